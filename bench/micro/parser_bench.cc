// Micro-benchmarks of the message layer (Google Benchmark): header index (parse()), full parse
// of every typed header, and building a relayed request (the stateless proxy's edits).
// Run: make bench-micro (or build/bench_micro --benchmark_filter=Invite).
#include <benchmark/benchmark.h>

#include <string>

#include "core/parser/sip_message.h"
#include "core/sip/via_ops.h"
#include "core/transport/listener.h"

namespace sipline {
namespace {

// A typical INVITE from a desk phone, with SDP (about 900 bytes).
const std::string kInvite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74bf9;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: \"Alice Liddell\" <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    "CSeq: 31862 INVITE\r\n"
    "Contact: <sip:alice@192.0.2.101:5060;transport=udp>\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO\r\n"
    "Supported: replaces, timer\r\n"
    "User-Agent: Grandstream GXP2170 1.0.11.3\r\n"
    "Session-Expires: 1800\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 290\r\n"
    "\r\n"
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 192.0.2.101\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.101\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0 8 18 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=fmtp:18 annexb=no\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n"
    "a=rtcp:49171 IN IP4 192.0.2.101\r\n";

const std::string kRegister =
    "REGISTER sip:registrar.biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.201:5060;branch=z9hG4bKnashds7;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: Bob <sip:bob@biloxi.example.com>;tag=a73kszlfl\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "Call-ID: 1j9FpLxk3uxtm8tn@192.0.2.201\r\n"
    "CSeq: 1 REGISTER\r\n"
    "Contact: <sip:bob@192.0.2.201:5060>;expires=3600\r\n"
    "User-Agent: Yealink SIP-T46S 66.86.0.15\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

const std::string kOk =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKsl0123456789abcdef\r\n"
    "Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74bf9;rport=5060;received=192.0.2.101\r\n"
    "From: \"Alice Liddell\" <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    "To: Bob <sip:bob@biloxi.example.com>;tag=8321234356\r\n"
    "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    "CSeq: 31862 INVITE\r\n"
    "Contact: <sip:bob@192.0.2.4:5060>\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

void headerIndex(benchmark::State& state, const std::string& text) {
  for (auto _ : state) {
    SipMessage msg;
    ParseError e = msg.parse(text);
    benchmark::DoNotOptimize(e);
    benchmark::DoNotOptimize(msg.headers().size());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void fullParse(benchmark::State& state, const std::string& text) {
  for (auto _ : state) {
    SipMessage msg;
    ParseError e = msg.parse(text);
    benchmark::DoNotOptimize(e);
    benchmark::DoNotOptimize(msg.requestUri());
    benchmark::DoNotOptimize(msg.vias());
    benchmark::DoNotOptimize(msg.from());
    benchmark::DoNotOptimize(msg.to());
    benchmark::DoNotOptimize(msg.cseq());
    benchmark::DoNotOptimize(msg.maxForwards());
    benchmark::DoNotOptimize(msg.callId());
  }
}

void BM_HeaderIndex_Invite(benchmark::State& s) { headerIndex(s, kInvite); }
void BM_HeaderIndex_Register(benchmark::State& s) { headerIndex(s, kRegister); }
void BM_HeaderIndex_200Ok(benchmark::State& s) { headerIndex(s, kOk); }
void BM_FullParse_Invite(benchmark::State& s) { fullParse(s, kInvite); }
void BM_FullParse_Register(benchmark::State& s) { fullParse(s, kRegister); }
void BM_FullParse_200Ok(benchmark::State& s) { fullParse(s, kOk); }

// What forward() does to a request: received/rport on the top Via, our Via on top,
// Max-Forwards decremented, then one build of the outgoing buffer.
void BM_BuildRelayedInvite(benchmark::State& state) {
  Listener out;
  out.via_host = "203.0.113.5";
  out.via_port = 5060;
  SockAddr src;
  SockAddr::fromNumeric("198.51.100.7", 40000, src);
  std::string wire;
  for (auto _ : state) {
    SipMessage msg;
    msg.parse(kInvite);
    annotateTopVia(msg, src);
    const HeaderField* via = msg.header(HeaderType::kVia);
    msg.insertHeaderBefore(*via, statelessVia(msg, out, msg.requestUriText()));
    const HeaderField* mf = msg.header(HeaderType::kMaxForwards);
    std::size_t offset = 0;
    msg.offsetOf(mf->body, offset);
    msg.edits().replace(offset, mf->body.size(), std::to_string(msg.maxForwards() - 1));
    msg.build(wire);
    benchmark::DoNotOptimize(wire.data());
  }
}

// What a reply relay does: remove our Via, build.
void BM_BuildRelayed200Ok(benchmark::State& state) {
  std::string wire;
  for (auto _ : state) {
    SipMessage msg;
    msg.parse(kOk);
    msg.removeTopVia();
    msg.build(wire);
    benchmark::DoNotOptimize(wire.data());
  }
}

BENCHMARK(BM_HeaderIndex_Invite);
BENCHMARK(BM_HeaderIndex_Register);
BENCHMARK(BM_HeaderIndex_200Ok);
BENCHMARK(BM_FullParse_Invite);
BENCHMARK(BM_FullParse_Register);
BENCHMARK(BM_FullParse_200Ok);
BENCHMARK(BM_BuildRelayedInvite);
BENCHMARK(BM_BuildRelayed200Ok);

}  // namespace
}  // namespace sipline

BENCHMARK_MAIN();
