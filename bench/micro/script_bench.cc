// Micro-benchmark of the routing script engine: bench/micro/residential.routes (a provider's
// ~190-line script: sanity, NAT detection, auth, registrar, dial plan, PSTN, voicemail) run
// per request. Module commands are stubs that return at once, so the figure is the script's
// own time: control flow, conditions, pseudo-variables, transformations, core functions.
// Target (issue 4): under 2 µs per request. Run: build/bench_micro --benchmark_filter=Script
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/base/log.h"
#include "core/parser/sip_message.h"
#include "core/script/script.h"
#include "core/sip/msg_context.h"
#include "core/transport/listener.h"

namespace sipline {
namespace {

const char kScriptPath[] = SIPLINE_SOURCE_DIR "/bench/micro/residential.routes";

// Module commands the script calls, with the verdict each stub returns.
struct Stub {
  const char* name;
  int args;
  int rc;
};
const Stub kStubs[] = {
    {"mf_process_maxfwd_header", 1, 1},
    {"sl_send_reply", 2, 1},
    {"sanity_check", 0, 1},
    {"t_check_trans", 0, -1},
    {"t_relay", 0, 1},
    {"remove_hf", 1, 1},
    {"append_hf", 1, 1},
    {"record_route", 0, 1},
    {"loose_route", 0, 1},
    {"proxy_authorize", 2, 1},
    {"proxy_challenge", 2, 1},
    {"consume_credentials", 0, 1},
    {"www_authorize", 2, 1},
    {"www_challenge", 2, 1},
    {"save", 1, 1},
    {"lookup", 1, 1},
    {"sl_reply_error", 0, 1},
    {"nat_uac_test", 1, -1},
    {"fix_nated_register", 0, 1},
    {"fix_nated_contact", 0, 1},
    {"rtpengine_offer", 0, 1},
    {"t_on_failure", 1, 1},
    {"t_on_reply", 1, 1},
    {"t_was_cancelled", 0, -1},
    {"t_check_status", 1, 1},
    {"has_body", 1, 1},
};

// How often t_relay() ran: proves each benchmarked request walked its whole path.
long g_relays = 0;

const Script& script() {
  static ScriptPtr compiled = [] {
    logInit(LogTarget::kStderr, LogLevel::kErr);
    listeners().setAliases({"voip.example.com"});  // the provider's domain is `myself`
    CommandRegistry commands;
    Status st = registerCoreCommands(commands);
    for (const Stub& s : kStubs) {
      if (!st.isOk()) break;
      CommandSpec spec;
      spec.name = s.name;
      spec.module = "bench";
      for (int i = 0; i < s.args; ++i) spec.args.push_back(ArgSpec::str("a").opt());
      spec.route_mask = kAnyRoute;
      int rc = s.rc;
      bool relay = std::string(s.name) == "t_relay";
      spec.bind = [rc, relay](const ScriptArgs&, BindContext&) -> Result<BoundCallPtr> {
        return makeCall([rc, relay](MsgContext&) {
          g_relays += relay ? 1 : 0;
          return Verdict::of(rc);
        });
      };
      st = commands.add(std::move(spec));
    }
    Result<ScriptPtr> s =
        st.isOk() ? Script::load(kScriptPath, commands, nullptr) : Result<ScriptPtr>(st);
    if (!s.isOk()) {
      std::fprintf(stderr, "script_bench: %s\n", s.status().message().c_str());
      std::abort();
    }
    return std::move(s.value());
  }();
  return *compiled;
}

std::string request(const std::string& first, const std::string& from_user,
                    const std::string& to_tag, const std::string& method) {
  return first +
         "\r\n"
         "Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74bf9;rport\r\n"
         "Max-Forwards: 70\r\n"
         "From: \"Alice\" <sip:" +
         from_user +
         "@voip.example.com>;tag=9fxced76sl\r\n"
         "To: <sip:bob@voip.example.com>" +
         to_tag +
         "\r\n"
         "Call-ID: 3848276298220188511@192.0.2.101\r\n"
         "CSeq: 2 " +
         method +
         "\r\n"
         "Contact: <sip:alice@192.0.2.101:5060>\r\n"
         "Proxy-Authorization: Digest username=\"alice\", realm=\"voip.example.com\", "
         "nonce=\"abc\", uri=\"sip:bob@voip.example.com\", response=\"0123\"\r\n"
         "User-Agent: Grandstream GXP2170 1.0.11.3\r\n"
         "Content-Length: 0\r\n\r\n";
}

// Runs the request route on `text` (parsed once) per iteration.
void runScript(benchmark::State& state, const std::string& text) {
  const Script& s = script();
  SipMessage msg;
  if (msg.parse(text) != ParseError::kOk) {
    state.SkipWithError("message does not parse");
    return;
  }
  ReceiveInfo rcv;
  (void)SockAddr::fromNumeric("192.0.2.101", 5060, rcv.src);
  long relays = g_relays;
  for (auto _ : state) {
    MsgContext ctx(msg, rcv, kRequestRoute);
    benchmark::DoNotOptimize(s.runRequest(ctx));
  }
  state.counters["relays_per_request"] =
      static_cast<double>(g_relays - relays) / static_cast<double>(state.iterations());
}

void BM_ScriptInviteToPstn(benchmark::State& state) {
  runScript(state,
            request("INVITE sip:+4930123456@voip.example.com SIP/2.0", "alice", "", "INVITE"));
}
BENCHMARK(BM_ScriptInviteToPstn);

void BM_ScriptInviteToSubscriber(benchmark::State& state) {
  runScript(state, request("INVITE sip:bob@voip.example.com SIP/2.0", "alice", "", "INVITE"));
}
BENCHMARK(BM_ScriptInviteToSubscriber);

void BM_ScriptInDialogBye(benchmark::State& state) {
  runScript(state, request("BYE sip:bob@192.0.2.7:5060 SIP/2.0", "alice", ";tag=xyz", "BYE"));
}
BENCHMARK(BM_ScriptInDialogBye);

void BM_ScriptRegister(benchmark::State& state) {
  runScript(state, request("REGISTER sip:voip.example.com SIP/2.0", "alice", "", "REGISTER"));
}
BENCHMARK(BM_ScriptRegister);

}  // namespace
}  // namespace sipline
