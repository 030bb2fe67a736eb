#include "core/server/simulate.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/base/log.h"
#include "core/base/strings.h"
#include "core/config/settings.h"
#include "core/config/socket_spec.h"
#include "core/parser/sip_message.h"
#include "core/proc/process_info.h"
#include "core/server/config_loader.h"
#include "core/server/sim_message.h"
#include "core/server/sim_trace.h"
#include "core/shm/segment.h"
#include "core/sip/forward.h"
#include "core/sip/msg_context.h"
#include "core/sip/receive.h"
#include "core/stats/stats.h"
#include "core/transport/listener.h"
#include "core/transport/send.h"

namespace sipline {
namespace {

constexpr int kRan = 0;
constexpr int kLoadError = 1;
constexpr int kInputError = 2;

int inputError(const std::string& message) {
  std::fprintf(stderr, "sipline: %s\n", message.c_str());
  return kInputError;
}

int loadError(const Status& st) {
  std::fprintf(stderr, "sipline: %s\n", st.message().c_str());
  return kLoadError;
}

struct Sent {
  std::string from;  // the socket, "udp:127.0.0.1:5060"
  std::string to;    // "udp:192.0.2.20:5060"
  std::string data;
};

// "reply 404 Not Found" for a reply we send, "relay to udp:192.0.2.20:5060" for a message
// passed on (a request, or a reply going back by its Via).
std::string decisionOf(const Sent& s, bool input_is_request) {
  std::string_view data = s.data;
  if (input_is_request && data.substr(0, 8) == "SIP/2.0 ") {
    std::size_t eol = data.find("\r\n");
    return "reply " + std::string(data.substr(8, eol == std::string_view::npos ? eol : eol - 8));
  }
  return "relay to " + s.to;
}

// Every message the server would have sent, in order; each one is shown in the trace too.
class CapturedSends : public SendCapture {
 public:
  CapturedSends(TracePrinter& trace, const bool& input_is_request)
      : trace_(trace), input_is_request_(input_is_request) {}
  void captured(const Listener& from, const SockAddr& to, std::string_view data) override {
    sent.push_back(
        {from.text, std::string(protoName(from.proto)) + ":" + to.toString(), std::string(data)});
    std::string what = decisionOf(sent.back(), input_is_request_);
    what = what.compare(0, 6, "reply ") == 0 ? "sends " + what + " to " + sent.back().to
                                             : "relays to " + sent.back().to;
    trace_.sent(what);
  }
  std::vector<Sent> sent;

 private:
  TracePrinter& trace_;
  const bool& input_is_request_;
};

// --source ip[:port] (IPv6 in brackets); the port defaults to 5060.
Result<SockAddr> parseSource(const std::string& text) {
  Result<HostPort> hp = parseHostPort(text, HostRule::kNumericOnly, PortRule::kOptional);
  if (!hp.isOk()) {
    return Status::invalidArgument("--source '" + text + "': " + hp.status().message() +
                                   " (expected an IP address and port, e.g. 192.0.2.10:5060)");
  }
  SockAddr addr;
  std::uint16_t port = hp.value().port != 0 ? hp.value().port : 5060;
  if (!SockAddr::fromNumeric(hp.value().host, port, addr)) {
    return Status::invalidArgument("--source '" + text + "': not an IP address");
  }
  return addr;
}

// Without --source a request comes from its top Via's sent-by when that is an address (where
// a client without NAT sends from). A reply's top Via is ours, so a reply, and a request with
// a host name in its Via, comes from 192.0.2.1:5060 (an RFC 5737 documentation address).
SockAddr defaultSource(SipMessage& msg) {
  SockAddr addr;
  const Via* via = msg.isRequest() ? msg.topVia() : nullptr;
  if (via != nullptr && SockAddr::fromNumeric(via->host, via->port != 0 ? via->port : 5060, addr)) {
    return addr;
  }
  SockAddr::fromNumeric("192.0.2.1", 5060, addr);
  return addr;
}

// The socket the message arrives on: the first one of the source's address family.
const Listener* receivingSocket(const SockAddr& src) {
  const std::vector<Listener>& all = listeners().all();
  for (const Listener& l : all) {
    if (l.addr.family() == src.family()) return &l;
  }
  return all.empty() ? nullptr : &all.front();
}

// TODO(#4): listeners().addUnbound(settings.sockets) once core/transport/listener has it
// (/tmp/docs/sim-listener.patch): binding here fails when a running server holds the port.
// The configured sockets, recorded but not bound: the simulator sends nothing, and a running
// server may hold the ports.
Status declareSockets(const Settings& settings) {
  Status st = listeners().addUnbound(settings.sockets);
  if (!st.isOk()) return st;
  listeners().setAliases(settings.aliases);
  return Status::ok();
}

std::string joinNames(const std::vector<std::string>& names) {
  if (names.empty()) return "none";
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

struct Simulation {
  const SimulateOptions& options;
  const Settings& settings;
  LoadedConfig& config;
  std::string text;  // the datagram
  SockAddr src;
  const Listener* socket = nullptr;
  bool is_request = false;
  TracePrinter trace;
  CapturedSends sends;

  Simulation(const SimulateOptions& o, const Settings& s, LoadedConfig& c, std::string t)
      : options(o),
        settings(s),
        config(c),
        text(std::move(t)),
        trace(dirOf(s.routes)),
        sends(trace, is_request) {}

  static std::string dirOf(const std::string& path) {
    std::size_t slash = path.rfind('/');
    return slash == std::string::npos ? "" : path.substr(0, slash);
  }

  ParseLimits limits() const {
    ParseLimits l;
    l.max_message = settings.max_message_size;
    l.max_headers = static_cast<std::size_t>(settings.max_headers);
    l.max_header_len = static_cast<std::size_t>(settings.max_header_length);
    return l;
  }

  // The main route: exactly what a UDP worker does with the datagram.
  void runReceivePath() {
    MessageProcessor processor(config.script.get(), limits());
    processor.onDatagram(*socket, src, text);
  }

  // --route NAME: that route alone, then what the core does after an onreply route.
  void runNamedRoute() {
    SipMessage msg;
    (void)msg.parse(text, limits());  // checked before
    ReceiveInfo rcv{socket, src, socket->proto};
    RouteType type = is_request ? kRequestRoute : kOnReplyRoute;
    MsgContext ctx(msg, rcv, type);
    int rc = 0;
    config.script->runNamed(type, options.route, ctx, &rc);
    if (!is_request && !ctx.dropped && !ctx.relayed) forwardReply(ctx);
  }

  // Why nothing was sent, when the path does not show it.
  std::string noDecisionNote(const std::string& outcome) {
    if (!trace.routeRan()) {
      if (is_request) {
        return "the core refused the request before the script ran (see the log above)";
      }
      SipMessage msg;
      (void)msg.parse(text, limits());
      const Via* top = msg.topVia();
      if (top == nullptr || !listeners().isMyself(top->host, top->port != 0 ? top->port : 5060)) {
        return "the reply's top Via is not this server's, so the core drops it";
      }
    }
    if (!is_request) {
      return trace.dropped() ? "" : "the reply could not be relayed back (see the log above)";
    }
    if (outcome == "no decision") {
      return "the script neither replied nor relayed: the server drops the request silently "
             "(counted in core:drop_requests)";
    }
    return "";
  }

  void print(const std::vector<std::string>& notes, const std::string& first_line,
             const std::string& call_id) {
    std::printf("simulate: %s (Call-ID %s) from %s:%s on %s\n", first_line.c_str(), call_id.c_str(),
                protoName(socket->proto), src.toString().c_str(), socket->text.c_str());
    for (const std::string& n : notes) {
      std::printf("note: %s: %s\n", options.message_file.c_str(), n.c_str());
    }
    std::printf("path:\n");
    std::string path = trace.text();
    std::size_t begin = 0;
    while (begin < path.size()) {
      std::size_t eol = path.find('\n', begin);
      std::printf("  %s\n", path.substr(begin, eol - begin).c_str());
      begin = eol + 1;
    }
    if (!trace.routeRan()) std::printf("  (the script did not run)\n");
    std::string outcome;
    for (const Sent& s : sends.sent) {
      outcome += (outcome.empty() ? "" : ", then ") + decisionOf(s, is_request);
    }
    if (outcome.empty()) outcome = trace.dropped() || !is_request ? "drop" : "no decision";
    std::printf("outcome: %s\n", outcome.c_str());
    if (sends.sent.empty()) {
      std::string why = noDecisionNote(outcome);
      if (!why.empty()) std::printf("note: %s\n", why.c_str());
    }
    for (std::size_t i = 0; i < sends.sent.size(); ++i) {
      const Sent& s = sends.sent[i];
      std::printf("message %zu of %zu: %s -> %s, %zu bytes\n", i + 1, sends.sent.size(),
                  s.from.c_str(), s.to.c_str(), s.data.size());
      std::fwrite(s.data.data(), 1, s.data.size(), stdout);
      std::printf("\n");
    }
    std::fflush(stdout);
  }
};

}  // namespace

int runSimulation(const SimulateOptions& options) {
  // Command-line input first: a typo there needs no configuration to be reported.
  SockAddr source;
  if (!options.source.empty()) {
    Result<SockAddr> s = parseSource(options.source);
    if (!s.isOk()) return inputError(s.status().message());
    source = s.value();
  }
  Result<SimMessage> file = readSimMessage(options.message_file);
  if (!file.isOk()) return inputError(file.status().message());

  Result<Settings> loaded = loadSettings(options.config);
  if (!loaded.isOk()) return loadError(loaded.status());
  const Settings& settings = loaded.value();
  logInit(LogTarget::kStderr, settings.log_level, settings.log_facility);
  logSetRole("simulate");

  LoadedConfig config;
  Status st = loadModulesAndScript(settings, config);
  if (!st.isOk()) return loadError(st);

  Simulation sim(options, settings, config, std::move(file.value().text));
  SipMessage msg;
  ParseError err = msg.parse(sim.text, sim.limits());
  if (err != ParseError::kOk) {
    return inputError(options.message_file +
                      ": not a SIP message the server would route: " + parseErrorText(err));
  }
  sim.is_request = msg.isRequest();
  if (!options.route.empty()) {
    RouteType type = sim.is_request ? kRequestRoute : kOnReplyRoute;
    std::vector<std::string> names = config.script->routeNames(type);
    bool found = false;
    for (const std::string& n : names) found = found || n == options.route;
    if (!found) {
      return inputError("--route " + options.route + ": " + routeTypeName(type) + "[" +
                        options.route + "] is not defined in " + settings.routes + " (a " +
                        (sim.is_request ? "request" : "reply") + " runs " + routeTypeName(type) +
                        "[NAME]; defined: " + joinNames(names) + ")");
    }
  }
  sim.src = options.source.empty() ? defaultSource(msg) : source;

  st = declareSockets(settings);
  if (!st.isOk()) return loadError(st);
  sim.socket = receivingSocket(sim.src);
  if (sim.socket == nullptr) return loadError(Status::invalidArgument("no socket configured"));

  // Modules run their init and child init as in a UDP worker: some need shared memory.
  Result<std::unique_ptr<shm::Segment>> seg = shm::Segment::create(settings.shm_size_mb << 20);
  if (!seg.isOk()) return loadError(seg.status());
  shm::setSegment(seg.value().get());
  st = stats().materialize(*seg.value());
  InitContext init_ctx(seg.value().get(), &config.services, &settings);
  if (st.isOk()) st = config.modules.initAll(init_ctx);
  if (st.isOk()) st = config.modules.childInitAll(ProcessInfo{ProcessRole::kUdpWorker, 0, ""});
  if (!st.isOk()) {
    config.modules.destroyAll();
    return loadError(st);
  }

  std::string first_line(msg.firstLine());
  std::string call_id(msg.callId());
  setSendCapture(&sim.sends);
  config.script->setTracer(&sim.trace);
  if (options.route.empty()) {
    sim.runReceivePath();
  } else {
    sim.runNamedRoute();
  }
  config.script->setTracer(nullptr);
  setSendCapture(nullptr);
  sim.trace.finish();
  sim.print(file.value().notes, first_line, call_id);
  config.modules.destroyAll();
  shm::setSegment(nullptr);
  return kRan;
}

}  // namespace sipline
