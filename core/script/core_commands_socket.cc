// Where and how the request leaves: force_send_socket() (one of our listeners), the address
// and port written in our Via (set_advertised_address/port), and force_rport() (RFC 3581).
// They only mark the MsgContext; forward() (core/sip/forward.cc) and the reply path read it.
#include <string>
#include <vector>

#include "core/base/log.h"
#include "core/config/socket_spec.h"
#include "core/script/core_commands.h"
#include "core/script/script.h"
#include "core/script/socket_lookup.h"
#include "core/sip/msg_context.h"
#include "core/transport/listener.h"

namespace sipline {
namespace {

// A forced socket names a listener. Checked at load when the listeners are bound (a reload,
// or a process compiling after start); the first load of the master runs before the sockets
// are bound, so the name is then looked up once per process, at first use.
class ForceSendSocketCall : public BoundCall {
 public:
  ForceSendSocketCall(std::string text, const Listeners& set, const Listener* resolved,
                      ScriptErrorSite site)
      : text_(std::move(text)), set_(set), resolved_(resolved), site_(std::move(site)) {}
  Verdict run(MsgContext& ctx) override {
    if (resolved_ == nullptr) {
      Result<const Listener*> l = findListenerByText(set_, text_);
      if (!l.isOk()) {
        site_.report(ctx, "%s", l.status().message().c_str());
        return Verdict::fail();
      }
      resolved_ = l.value();
    }
    ctx.send_socket = resolved_;
    return Verdict::ok();
  }

 private:
  std::string text_;
  const Listeners& set_;
  const Listener* resolved_;
  ScriptErrorSite site_;
};

// The host as it goes into a Via: IPv6 in brackets, names lower-cased. "" resets.
Result<std::string> advertisedHost(std::string_view text) {
  if (text.empty()) return std::string();
  Result<HostPort> hp = parseHostPort(text, HostRule::kNameOrAddress, PortRule::kOptional);
  if (!hp.isOk()) {
    return Status::invalidArgument("\"" + std::string(text) + "\": " + hp.status().message());
  }
  if (hp.value().port != 0) {
    return Status::invalidArgument("\"" + std::string(text) +
                                   "\": an address without port (use set_advertised_port())");
  }
  return hp.value().toString();
}

Result<BoundCallPtr> bindAdvertisedAddress(const ScriptArgs& args, BindContext& bc) {
  Result<StrArg> addr = bc.strArg(args[0]);
  if (!addr.isOk()) return addr.status();
  if (addr.value().isConstant()) {
    Result<std::string> host = advertisedHost(addr.value().constant());
    if (!host.isOk()) return bc.error(args[0], host.status());
    return makeCall([host = host.value()](MsgContext& ctx) {
      ctx.advertised_address = host;
      return Verdict::ok();
    });
  }
  return makeCall([addr = std::move(addr.value()),
                   site = ScriptErrorSite(bc.pos(), "set_advertised_address")](MsgContext& ctx) {
    std::string scratch;
    Result<std::string> host = advertisedHost(addr.eval(ctx, scratch));
    if (!host.isOk()) {
      site.report(ctx, "%s", host.status().message().c_str());
      return Verdict::fail();
    }
    ctx.advertised_address = std::move(host.value());
    return Verdict::ok();
  });
}

Result<BoundCallPtr> bindAdvertisedPort(const ScriptArgs& args, BindContext& bc) {
  Result<IntArg> port = bc.intArg(args[0]);
  if (!port.isOk()) return port.status();
  if (port.value().isConstant() &&
      (port.value().constant() < 1 || port.value().constant() > 65535)) {
    return bc.error(args[0], Status::invalidArgument("a port is a number 1..65535"));
  }
  return makeCall([port = std::move(port.value()),
                   site = ScriptErrorSite(bc.pos(), "set_advertised_port")](MsgContext& ctx) {
    std::int64_t p = 0;
    if (!port.eval(ctx, p) || p < 1 || p > 65535) {
      site.report(ctx, "not a port 1..65535");
      return Verdict::fail();
    }
    ctx.advertised_port = static_cast<std::uint16_t>(p);
    return Verdict::ok();
  });
}

}  // namespace

Result<BoundCallPtr> bindForceSendSocket(const ScriptArgs& args, BindContext& bc,
                                         const Listeners& set) {
  if (!args[0].isConstant()) {
    return bc.error(args[0], Status::invalidArgument("the socket must be a constant"));
  }
  Result<SocketSpec> spec = parseSocketSpec(args[0].text);
  if (!spec.isOk()) return bc.error(args[0], spec.status());
  if (!spec.value().advertised.empty()) {
    return bc.error(args[0],
                    Status::invalidArgument("no 'as' part here (use set_advertised_address())"));
  }
  const Listener* found = nullptr;
  if (!set.all().empty()) {
    Result<const Listener*> l = findListenerByText(set, spec.value().text);
    if (!l.isOk()) return bc.error(args[0], l.status());
    found = l.value();
  } else if (Status st = checkDeclaredSocket(set, spec.value().text); !st.isOk()) {
    // Not bound yet (first start, sipline -c): checked against the settings' sockets.
    return bc.error(args[0], st);
  }
  return BoundCallPtr(std::make_unique<ForceSendSocketCall>(
      spec.value().text, set, found, ScriptErrorSite(bc.pos(), "force_send_socket")));
}

void addSocketCommands(std::vector<CommandSpec>& specs) {
  specs.push_back({"force_rport",
                   {},
                   kRequestRoute | kBranchRoute | kFailureRoute,
                   [](const ScriptArgs&, BindContext&) -> Result<BoundCallPtr> {
                     return makeCall([](MsgContext& ctx) {
                       ctx.force_rport = true;
                       return Verdict::ok();
                     });
                   },
                   "force_rport(): answer and annotate as if the top Via had rport (RFC 3581): "
                   "replies go to the source port",
                   "core"});
  specs.push_back(
      {"force_send_socket",
       {ArgSpec::str("socket")},
       kCoreDestRoutes,
       [](const ScriptArgs& a, BindContext& bc) { return bindForceSendSocket(a, bc, listeners()); },
       "force_send_socket(\"udp:ip:port\"): relays from that socket (one of ours)",
       "core"});
  specs.push_back({"set_advertised_address",
                   {ArgSpec::str("address")},
                   kCoreDestRoutes,
                   bindAdvertisedAddress,
                   "set_advertised_address(host): the address written in our Via when relaying "
                   "(\"\" back to the socket's)",
                   "core"});
  specs.push_back({"set_advertised_port",
                   {ArgSpec::integer("port")},
                   kCoreDestRoutes,
                   bindAdvertisedPort,
                   "set_advertised_port(port): the port written in our Via when relaying",
                   "core"});
}

}  // namespace sipline
