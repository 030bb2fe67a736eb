#include "tools/siplinectl/service_input.h"

#include <netinet/in.h>

#include <tuple>

#include "core/base/regex.h"
#include "core/base/strings.h"
#include "core/config/socket_spec.h"
#include "core/parser/uri.h"
#include "core/transport/sock_addr.h"

namespace sipline::ctl {

namespace {

Status bad(std::string message) { return Status::invalidArgument(std::move(message)); }

// Text for a column: at most `max` characters, no control characters (a row is one line).
Status checkText(std::string_view option, std::string_view text, std::size_t max) {
  if (text.size() > max) {
    return bad(std::string(option) + " is longer than " + std::to_string(max) + " characters");
  }
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return bad(std::string(option) + " holds a control character");
  }
  return Status::ok();
}

Result<std::int64_t> optionNumber(std::string_view option, const std::string& text,
                                  std::int64_t max) {
  return parseNumber(std::string(option), text, 0, max);
}

Status checkProto(const std::string& proto) {
  static const char* const kProtos[] = {"any", "udp", "tcp", "tls", "ws", "wss"};
  for (const char* p : kProtos) {
    if (proto == p) return Status::ok();
  }
  return bad("--proto needs any, udp, tcp, tls, ws or wss, got '" + proto + "'");
}

Status prepareDispatcher(const Invocation& inv, ServiceInput& in) {
  const std::vector<std::string>& ops = inv.operands;
  const bool set_state = inv.command == Command::kDispatcherSetState;
  const std::size_t first = set_state ? 1 : 0;
  if (inv.command == Command::kDispatcherList) {
    if (!ops.empty()) {
      Result<std::int64_t> n = parseSmallNumber("SETID", ops[0]);
      if (!n.isOk()) return n.status();
      in.number = n.value();
    }
    return Status::ok();
  }
  if (set_state) {
    std::optional<DsState> state = dsStateFromName(ops[0]);
    if (!state) return bad("set-state needs active, inactive or probing, got '" + ops[0] + "'");
    in.ds_state_letter = *state == DsState::kActive     ? "a"
                         : *state == DsState::kInactive ? "i"
                                                        : "p";
  }
  Result<std::int64_t> setid = parseSmallNumber("SETID", ops.at(first));
  if (!setid.isOk()) return setid.status();
  in.gateway.setid = setid.value();
  Status st = checkDestination(ops.at(first + 1));
  if (!st.isOk()) return st;
  in.gateway.destination = ops[first + 1];
  if (inv.command != Command::kDispatcherAdd) return Status::ok();
  if (!inv.weight.empty()) {
    Result<std::int64_t> n = optionNumber("--weight", inv.weight, 2147483647);
    if (!n.isOk()) return n.status();
    in.gateway.weight = n.value();
  }
  if (!inv.priority.empty()) {
    Result<std::int64_t> n = optionNumber("--priority", inv.priority, 2147483647);
    if (!n.isOk()) return n.status();
    in.gateway.priority = n.value();
  }
  if (!inv.state.empty()) {
    std::optional<DsState> state = dsStateFromName(inv.state);
    if (!state) return bad("--state needs active, inactive or probing, got '" + inv.state + "'");
    in.gateway.state = static_cast<std::int64_t>(*state);
  }
  if (!inv.socket.empty()) {
    Result<SocketSpec> spec = parseSocketSpec(inv.socket);
    if (!spec.isOk()) return bad("--socket: " + spec.status().message());
    if (!spec.value().advertised.empty()) return bad("--socket takes no 'as' part");
    in.gateway.socket = spec.value().text;
  }
  for (const auto& [option, text, max] :
       {std::tuple<const char*, const std::string&, std::size_t>{"--attrs", inv.attrs, 128},
        {"--description", inv.description, 64}}) {
    st = checkText(option, text, max);
    if (!st.isOk()) return st;
  }
  in.gateway.attrs = inv.attrs;
  in.gateway.description = inv.description;
  return Status::ok();
}

Status prepareAddress(const Invocation& inv, ServiceInput& in) {
  const std::vector<std::string>& ops = inv.operands;
  if (inv.command == Command::kAddressList) {
    if (!ops.empty()) {
      Result<std::int64_t> n = parseSmallNumber("GROUP", ops[0]);
      if (!n.isOk()) return n.status();
      in.number = n.value();
    }
    return Status::ok();
  }
  Result<std::int64_t> group = parseSmallNumber("GROUP", ops.at(0));
  if (!group.isOk()) return group.status();
  in.address.group = group.value();
  Status st = parseAddressMask(ops.at(1), in.address);
  if (!st.isOk()) return st;
  if (!inv.port.empty()) {
    Result<std::int64_t> n = optionNumber("--port", inv.port, 65535);
    if (!n.isOk()) return n.status();
    in.address.port = n.value();
    in.port = n.value();
  }
  if (!inv.proto.empty()) {
    const std::string proto = toLower(inv.proto);
    st = checkProto(proto);
    if (!st.isOk()) return st;
    in.address.proto = proto;
    in.proto = proto;
  }
  if (!inv.pattern.empty()) {
    st = checkPattern(inv.pattern);
    if (!st.isOk()) return st;
    in.address.pattern = inv.pattern;
  }
  st = checkText("--context", inv.context, 32);
  if (!st.isOk()) return st;
  in.address.context = inv.context;
  return Status::ok();
}

Status prepareCallfwd(const Invocation& inv, ServiceInput& in) {
  const std::pair<const char*, const std::string*> given[] = {
      {"--always", inv.fwd_always_given ? &inv.fwd_always : nullptr},
      {"--busy", inv.fwd_busy_given ? &inv.fwd_busy : nullptr},
      {"--noanswer", inv.fwd_noanswer_given ? &inv.fwd_noanswer : nullptr}};
  if (inv.command == Command::kCallfwdSet) {
    if (given[0].second == nullptr && given[1].second == nullptr && given[2].second == nullptr) {
      return bad("callfwd set needs --always URI, --busy URI or --noanswer URI");
    }
    for (const auto& [option, uri] : given) {
      if (uri == nullptr) continue;
      Status st = checkForwardUri(option, *uri);
      if (!st.isOk()) return st;
    }
    if (given[0].second) in.forwarding.always = *given[0].second;
    if (given[1].second) in.forwarding.busy = *given[1].second;
    if (given[2].second) in.forwarding.noanswer = *given[2].second;
  } else if (inv.command == Command::kCallfwdClear) {
    const bool all = !inv.fwd_always_given && !inv.fwd_busy_given && !inv.fwd_noanswer_given;
    if (all || inv.fwd_always_given) in.clear.push_back(kFwdAlways);
    if (all || inv.fwd_busy_given) in.clear.push_back(kFwdBusy);
    if (all || inv.fwd_noanswer_given) in.clear.push_back(kFwdNoAnswer);
  }
  return Status::ok();
}

}  // namespace

bool isServiceCommand(Command c) {
  return c >= Command::kDispatcherAdd && c <= Command::kCallfwdShow;
}

bool isServiceMiCommand(Command c) {
  return c == Command::kDispatcherReload || c == Command::kDispatcherStatus ||
         c == Command::kDispatcherSetState || c == Command::kAddressReload;
}

bool changesCachedTable(Command c) {
  return c == Command::kDispatcherAdd || c == Command::kDispatcherRm || c == Command::kAddressAdd ||
         c == Command::kAddressRm;
}

Result<std::int64_t> parseSmallNumber(std::string_view what, std::string_view text) {
  return parseNumber(std::string(what), std::string(text), 0, 2147483647LL);
}

Status checkDestination(std::string_view uri) {
  if (uri.size() > kMaxDestinationLength) {
    return bad("URI is longer than " + std::to_string(kMaxDestinationLength) + " characters");
  }
  SipUri parsed;
  if (parseUri(uri, parsed) != ParseError::kOk) {
    return bad("'" + std::string(uri) + "' is not a SIP URI (sip:HOST[:PORT][;PARAMS])");
  }
  if (parsed.scheme == SipUri::Scheme::kTel) {
    return bad("a destination needs a sip: or sips: URI, got '" + std::string(uri) + "'");
  }
  return Status::ok();
}

Status checkForwardUri(std::string_view option, std::string_view uri) {
  if (uri.size() > kMaxFwdUriLength) {
    return bad(std::string(option) + ": the URI is longer than " +
               std::to_string(kMaxFwdUriLength) + " characters");
  }
  SipUri parsed;
  if (parseUri(uri, parsed) != ParseError::kOk) {
    return bad(std::string(option) + ": '" + std::string(uri) + "' is not a sip: or sips: URI");
  }
  // The value becomes the request-URI of the forwarded call, which needs a host to be sent
  // to; the shipped routes reach the PSTN through sip:NUMBER@OUR-DOMAIN.
  if (parsed.scheme == SipUri::Scheme::kTel) {
    return bad(std::string(option) + ": '" + std::string(uri) +
               "' is a tel: URI, which has no host to send the call to; write a number as " +
               "sip:NUMBER@DOMAIN");
  }
  return Status::ok();
}

Status parseAddressMask(std::string_view text, AddressRow& row) {
  const std::size_t slash = text.find('/');
  // The permissions module parses the column with inet_pton: what it refuses ("010.0.0.1")
  // must be refused here, and one address has one spelling (inet_ntop's) so that add finds
  // duplicates and rm finds the row however the operator writes it.
  const std::string_view ip = text.substr(0, slash);
  SockAddr addr;
  if (ip.find('[') != std::string_view::npos || !SockAddr::fromNumeric(ip, 0, addr)) {
    return bad("'" + std::string(text) + "' is not an IP address (IPv4 or IPv6, no brackets, " +
               "optionally /MASK)");
  }
  const bool v4 = !addr.isV6();
  if (!v4 && IN6_IS_ADDR_V4MAPPED(&reinterpret_cast<const sockaddr_in6*>(addr.sa())->sin6_addr)) {
    // The module turns it into the IPv4 address, where a mask above 32 is out of range.
    return bad("'" + std::string(text) + "' is an IPv4-mapped IPv6 address; give the IPv4 " +
               "address and a mask of 0 to 32");
  }
  const std::int64_t max = v4 ? 32 : 128;
  row.ip = addr.ip();
  row.mask = max;
  if (slash == std::string_view::npos) return Status::ok();
  const std::string_view mask = text.substr(slash + 1);
  if (mask.empty() || mask.size() > 3 ||
      mask.find_first_not_of("0123456789") != std::string_view::npos ||
      std::stoll(std::string(mask)) > max) {
    return bad("the mask of " + std::string(text) + " needs a prefix length from 0 to " +
               std::to_string(max));
  }
  row.mask = std::stoll(std::string(mask));
  return Status::ok();
}

Status checkGroupName(std::string_view group) {
  if (group.empty() || group.size() > kMaxGroupNameLength ||
      group.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
          std::string_view::npos) {
    return bad("a group name needs 1 to 64 letters, digits, '_', '-' or '.', got '" +
               std::string(group) + "'");
  }
  return Status::ok();
}

Status checkPattern(std::string_view pattern) {
  Status st = checkText("--pattern", pattern, 64);
  if (!st.isOk()) return st;
  // The module compiles it with core/base/regex.h: the same class decides here.
  Regex re;
  const std::string text(pattern);
  st = re.compile(text);
  if (!st.isOk()) {
    return bad("--pattern '" + text + "' is not a regular expression: " + st.message());
  }
  return Status::ok();
}

Status parseAlias(std::string_view text, std::string& user, std::optional<std::string>& domain) {
  const std::size_t at = text.find('@');
  if (at == std::string_view::npos) {
    Status st = checkUser(text);
    if (!st.isOk()) return st;
    user = std::string(text);
    domain.reset();
    return Status::ok();
  }
  Result<Aor> aor = parseAor(text);
  if (!aor.isOk()) return aor.status();
  user = aor.value().user;
  domain = aor.value().domain;
  return Status::ok();
}

Result<ServiceInput> prepareService(const Invocation& inv) {
  ServiceInput in;
  const std::vector<std::string>& ops = inv.operands;
  Status st;
  switch (inv.command) {
    case Command::kDispatcherAdd:
    case Command::kDispatcherRm:
    case Command::kDispatcherList:
    case Command::kDispatcherSetState:
      st = prepareDispatcher(inv, in);
      break;
    case Command::kAddressAdd:
    case Command::kAddressRm:
    case Command::kAddressList:
      st = prepareAddress(inv, in);
      break;
    case Command::kGroupAdd:
    case Command::kGroupRm:
    case Command::kGroupShow: {
      Result<Aor> aor = parseAor(ops.at(0));
      if (!aor.isOk()) return aor.status();
      in.aor = aor.value();
      if (inv.command != Command::kGroupShow) {
        st = checkGroupName(ops.at(1));
        in.group = ops[1];
      }
      break;
    }
    case Command::kGroupList:
      st = checkGroupName(ops.at(0));
      in.group = ops[0];
      break;
    case Command::kAliasAdd: {
      st = parseAlias(ops.at(0), in.alias_user, in.alias_domain);
      if (!st.isOk()) return st;
      Result<Aor> aor = parseAor(ops.at(1));
      if (!aor.isOk()) return aor.status();
      in.aor = aor.value();
      if (!in.alias_domain) in.alias_domain = in.aor.domain;
      break;
    }
    case Command::kAliasRm:
      st = parseAlias(ops.at(0), in.alias_user, in.alias_domain);
      break;
    case Command::kAliasList:
      if (!ops.empty()) {
        Result<Aor> aor = parseAor(ops[0]);
        if (!aor.isOk()) return aor.status();
        in.list_aor = aor.value();
      }
      break;
    case Command::kCallfwdSet:
    case Command::kCallfwdClear:
    case Command::kCallfwdShow: {
      Result<Aor> aor = parseAor(ops.at(0));
      if (!aor.isOk()) return aor.status();
      in.aor = aor.value();
      st = prepareCallfwd(inv, in);
      break;
    }
    default:
      break;  // reload, status: nothing to check
  }
  if (!st.isOk()) return st;
  return in;
}

}  // namespace sipline::ctl
