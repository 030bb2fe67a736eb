#include "modules/registrar/register_request.h"

#include "core/base/strings.h"
#include "modules/registrar/contact_match.h"

namespace sipline::registrar {
namespace {

constexpr std::size_t kMaxUserAgent = 255;
// RFC 3261 §10.3 step 7: 423 only for an interval below this (and below min_expires).
constexpr std::int64_t kBriefCeiling = 3600;

bool refuse(SaveReply& reply, int code, const char* reason, int rc, std::string error,
            std::string headers = "") {
  reply.code = code;
  reply.reason = reason;
  reply.rc = rc;
  reply.error = std::move(error);
  reply.headers = std::move(headers);
  return false;
}

std::string_view unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (v.size() >= 2 && v.front() == '<' && v.back() == '>') v = v.substr(1, v.size() - 2);
  return v;
}

// Whether the Contact's address differs from where the REGISTER came from, as `mode` counts
// differences (then the source is kept as received).
bool differsFromSource(const SipUri& uri, const SockAddr& src, Proto proto, ReceivedMode mode) {
  if (mode == ReceivedMode::kOff) return false;
  // Over TCP or TLS the connection is the way back to the phone (RFC 5626 §5.3 flows, RFC
  // 3261 §18.2.2): a Contact that is not exactly the connection's source is kept with it.
  if (proto != Proto::kUdp) mode = ReceivedMode::kDiffIpPort;
  SockAddr host;
  if (!SockAddr::fromNumeric(uri.hostNoBrackets(), src.port(), host) || !host.sameIp(src)) {
    return true;  // another IP, or a host name
  }
  if (mode == ReceivedMode::kDiffIp) return false;
  Proto contact_proto = uri.scheme == SipUri::Scheme::kSips ? Proto::kTls : Proto::kUdp;
  if (iequals(uri.transport, "tcp")) contact_proto = Proto::kTcp;
  if (iequals(uri.transport, "tls")) contact_proto = Proto::kTls;
  if (iequals(uri.transport, "udp")) contact_proto = Proto::kUdp;
  std::uint16_t port = uri.port != 0 ? uri.port : defaultPort(contact_proto);
  return contact_proto != proto || port != src.port();
}

// RFC 5626 §4.2: reg-id = 1*DIGIT, 1 to 2^31-1.
bool parseRegId(std::string_view text, std::int32_t& out) {
  std::int64_t v = 0;
  if (text.empty() || text.size() > 10 || text.front() == '-' || !parseInt(text, v) || v < 1 ||
      v > 0x7fffffffLL) {
    return false;
  }
  out = static_cast<std::int32_t>(v);
  return true;
}

// RFC 3261 §10.3 step 2 (§8.2.2.3): Require may only name what we do: path.
bool checkRequire(SipMessage& msg, SaveReply& reply) {
  if (msg.headerCount(HeaderType::kRequire) == 0) return true;
  std::vector<std::string_view> tags;
  if (msg.tokens(HeaderType::kRequire, tags) == FieldState::kBad) {
    return refuse(reply, 400, "Bad Request", kSaveBadRequest, "malformed Require");
  }
  std::string unsupported;
  for (std::string_view tag : tags) {
    if (tag == "path") continue;
    if (!unsupported.empty()) unsupported += ", ";
    unsupported += tag;
  }
  if (unsupported.empty()) return true;
  return refuse(reply, 420, "Bad Extension", kSaveBadRequest,
                "unsupported extension required: " + unsupported,
                "Unsupported: " + unsupported + "\r\n");
}

bool readAor(SipMessage& msg, std::optional<std::string_view> aor_text, const AorOptions& options,
             std::string& aor, SaveReply& reply) {
  AorError e = AorError::kBadUri;
  if (aor_text.has_value()) {
    e = aorFromText(*aor_text, options, aor);
  } else if (const NameAddr* to = msg.to(); to != nullptr) {
    // RFC 4475 unksm2: a To that is not a SIP/SIPS URI cannot be an AOR: 400.
    e = to->uri_ok ? aorFromUri(to->uri, options, aor) : AorError::kNotSip;
  }
  if (e == AorError::kOk) return true;
  return refuse(reply, 400, "Bad Request", kSaveBadRequest, aorErrorText(e));
}

bool readPath(SipMessage& msg, const SaveLimits& limits, RegisterRequest& out,
              std::string& path_received, SaveReply& reply) {
  if (msg.headerCount(HeaderType::kPath) == 0) return true;
  const std::vector<NameAddr>* path = msg.nameAddrs(HeaderType::kPath);
  if (path == nullptr || path->empty()) {
    return refuse(reply, 400, "Bad Request", kSaveBadRequest, "malformed Path");
  }
  for (const NameAddr& hop : *path) {
    if (!out.path.empty()) out.path += ',';
    out.path += hop.text;
  }
  bool supported = msg.hasToken(HeaderType::kSupported, "path");
  if (limits.path_mode == PathMode::kStrict && !supported) {
    // RFC 3327 §5.3: the UA must say it supports Path before it may be used.
    return refuse(reply, 420, "Bad Extension", kSaveBadRequest, "Path without Supported: path",
                  "Unsupported: path\r\nPath: " + out.path + "\r\n");
  }
  out.echo_path = supported && limits.path_mode != PathMode::kOff;
  if (limits.path_received && path->front().uri_ok) {
    std::string_view rcv;
    if (headerParam(path->front().uri.params, "received", rcv) && !rcv.empty()) {
      // Only a SIP URI is used: the value is echoed in the 200 and becomes $du, so an escaped
      // CRLF or anything else that is not a URI would forge headers.
      std::string decoded = unescapeUri(unquote(rcv));
      SipUri check;
      if (parseUri(decoded, check) == ParseError::kOk) path_received = std::move(decoded);
    }
  }
  return true;
}

// The received header param of a Contact (add_rcv_param() at a proxy in front of us), when
// it is a SIP URI: it becomes $du at lookup(), so anything else could forge a destination
// or, echoed in the 200, headers. "" when absent or not a URI.
std::string receivedParam(std::string_view params) {
  std::string_view rcv;
  if (!headerParam(params, "received", rcv) || rcv.empty()) return "";
  std::string decoded = unescapeUri(unquote(rcv));
  SipUri check;
  if (parseUri(decoded, check) != ParseError::kOk || check.scheme == SipUri::Scheme::kTel) {
    return "";
  }
  return decoded;
}

std::int64_t requestedExpires(const Contact& c, Uint32Field header, const SaveLimits& limits) {
  // RFC 3261 §10.3 step 6: the contact's expires param, else the Expires header, else the
  // registrar's default; malformed values count as absent (§20.19).
  if (c.expires.state == FieldState::kOk) return c.expires.value;
  if (c.expires.state == FieldState::kAbsent && header.state == FieldState::kOk)
    return header.value;
  return limits.default_expires;
}

bool readBinding(const Contact& c, Uint32Field header, const SaveLimits& limits,
                 const RequestSource& source, bool has_path, const std::string& path_received,
                 RequestedBinding& b, SaveReply& reply) {
  if (c.addr.uri_text.size() > limits.max_contact_len) {
    return refuse(reply, 400, "Bad Request", kSaveBadRequest,
                  "Contact URI longer than " + std::to_string(limits.max_contact_len));
  }
  b.uri = std::string(c.addr.uri_text);
  std::int64_t e = requestedExpires(c, header, limits);
  if (e > 0) {
    if (limits.max_expires > 0 && e > limits.max_expires) e = limits.max_expires;
    if (limits.min_expires > 0 && e < limits.min_expires) {
      if (limits.reject_too_brief && e < kBriefCeiling) {
        return refuse(reply, 423, "Interval Too Brief", kSaveTooBrief,
                      "expires " + std::to_string(e) + " below min_expires",
                      "Min-Expires: " + std::to_string(limits.min_expires) + "\r\n");
      }
      e = limits.min_expires;
    }
  }
  b.expires = e;
  b.q = c.has_q ? c.q : limits.default_q;
  std::string_view value;
  if (headerParam(c.addr.params, "+sip.instance", value)) b.instance = std::string(unquote(value));
  if (!b.instance.empty() && headerParam(c.addr.params, "reg-id", value) &&
      !parseRegId(value, b.reg_id)) {
    return refuse(reply, 400, "Bad Request", kSaveBadRequest, "invalid reg-id");
  }
  if (!path_received.empty()) {
    b.received = path_received;
  } else if (std::string contact_received = receivedParam(c.addr.params);
             !contact_received.empty()) {
    b.received = std::move(contact_received);
  } else if (source.force_received ||
             (!has_path && c.addr.uri_ok && c.addr.uri.scheme != SipUri::Scheme::kTel &&
              differsFromSource(c.addr.uri, source.src, source.proto, limits.received_mode))) {
    b.received = sourceUri(source.src, source.proto);
  }
  return true;
}

// A later Contact for the same binding replaces an earlier one of the same request.
void addDeduplicated(std::vector<RequestedBinding>& list, RequestedBinding b) {
  for (auto it = list.begin(); it != list.end(); ++it) {
    if (sameBinding(it->uri, it->instance, it->reg_id, b.uri, b.instance, b.reg_id)) {
      list.erase(it);
      break;
    }
  }
  list.push_back(std::move(b));
}

bool readContacts(SipMessage& msg, const SaveLimits& limits, const RequestSource& source,
                  const std::string& path_received, RegisterRequest& out, SaveReply& reply) {
  if (msg.headerCount(HeaderType::kContact) == 0) return true;  // a query
  out.has_contacts = true;
  const ContactList* contacts = msg.contacts();
  if (contacts == nullptr) {
    return refuse(reply, 400, "Bad Request", kSaveBadRequest, "malformed Contact");
  }
  Uint32Field header = msg.expires();
  if (contacts->star) {
    // RFC 3261 §10.3 step 6: "*" only alone (the parser refuses it with other values) and
    // with Expires: 0.
    if (!header.ok() || header.value != 0) {
      return refuse(reply, 400, "Bad Request", kSaveBadRequest, "Contact: * needs Expires: 0");
    }
    out.star = true;
    return true;
  }
  // Every new Contact is compared with the earlier ones (§10.3 step 6 URI equality): bound
  // the count so that one packet cannot cost a worker a noticeable slice of CPU.
  if (contacts->items.size() > kMaxContactsPerRegister) {
    return refuse(reply, 400, "Too Many Contacts", kSaveBadRequest,
                  std::to_string(contacts->items.size()) + " Contacts in one REGISTER (at most " +
                      std::to_string(kMaxContactsPerRegister) + ")");
  }
  for (const Contact& c : contacts->items) {
    RequestedBinding b;
    if (!readBinding(c, header, limits, source, !out.path.empty(), path_received, b, reply)) {
      return false;
    }
    addDeduplicated(out.bindings, std::move(b));
  }
  return true;
}

void readAttributes(SipMessage& msg, const RequestSource& source, RegisterRequest& out) {
  if (const HeaderField* ua = msg.header(HeaderType::kUserAgent); ua != nullptr) {
    out.user_agent = std::string(ua->body.substr(0, kMaxUserAgent));
  }
  if (msg.headerCount(HeaderType::kAllow) > 0) {
    std::vector<std::string_view> methods;
    if (msg.tokens(HeaderType::kAllow, methods) == FieldState::kOk) {
      out.methods = 0;
      for (std::string_view m : methods) out.methods |= methodBit(methodFromName(m));
    }
  }
  out.socket = std::string(source.socket);
  out.cflags = source.bflags;
}

}  // namespace

std::uint32_t methodBit(Method m) {
  return m == Method::kOther ? 0 : (1u << static_cast<unsigned>(m));
}

bool headerParam(std::string_view params, std::string_view name, std::string_view& value) {
  std::size_t pos = 0;
  while (pos < params.size()) {
    // One param: up to the next ';' outside quotes.
    std::size_t end = pos;
    bool quoted = false;
    for (; end < params.size(); ++end) {
      char c = params[end];
      if (c == '\\' && quoted && end + 1 < params.size()) {
        ++end;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == ';' && !quoted) {
        break;
      }
    }
    std::string_view param = trim(params.substr(pos, end - pos));
    std::size_t eq = param.find('=');
    if (iequals(trim(param.substr(0, eq)), name)) {
      value = eq == std::string_view::npos ? std::string_view() : trim(param.substr(eq + 1));
      return true;
    }
    pos = end + 1;
  }
  return false;
}

Status checkExpiresLimits(std::int64_t default_expires, std::int64_t min_expires,
                          std::int64_t max_expires) {
  auto n = [](std::int64_t v) { return std::to_string(v); };
  if (max_expires > 0 && min_expires > max_expires) {
    return Status::invalidArgument("min_expires (" + n(min_expires) + ") is above max_expires (" +
                                   n(max_expires) + "): every REGISTER would get 423");
  }
  if (min_expires > 0 && default_expires < min_expires) {
    return Status::invalidArgument(
        "default_expires (" + n(default_expires) + ") is below min_expires (" + n(min_expires) +
        "): a REGISTER without an expiry would get 423 or be raised to " + n(min_expires) +
        "; lower min_expires or raise default_expires");
  }
  if (max_expires > 0 && default_expires > max_expires) {
    return Status::invalidArgument("default_expires (" + n(default_expires) +
                                   ") is above max_expires (" + n(max_expires) +
                                   "): a REGISTER without an expiry would be cut to " +
                                   n(max_expires) + "; raise max_expires or lower default_expires");
  }
  return Status::ok();
}

std::string sourceUri(const SockAddr& src, Proto proto) {
  std::string uri = "sip:";
  uri += src.ipForUri();
  uri += ':';
  appendDecimal(uri, src.port());
  if (proto != Proto::kUdp) {
    uri += ";transport=";
    uri += protoName(proto);
  }
  return uri;
}

bool parseRegister(SipMessage& msg, const RequestSource& source,
                   std::optional<std::string_view> aor_text, const SaveLimits& limits,
                   RegisterRequest& out, SaveReply& reply) {
  if (!checkRequire(msg, reply)) return false;
  if (!readAor(msg, aor_text, limits.aor, out.aor, reply)) return false;
  out.callid = std::string(msg.callId());
  out.cseq = static_cast<std::int32_t>(msg.cseq()->number);
  std::string path_received;
  if (!readPath(msg, limits, out, path_received, reply)) return false;
  if (!readContacts(msg, limits, source, path_received, out, reply)) return false;
  readAttributes(msg, source, out);
  return true;
}

}  // namespace sipline::registrar
