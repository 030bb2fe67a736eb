#include "core/script/pvar.h"

#include <unistd.h>

#include <cctype>
#include <ctime>
#include <deque>
#include <memory>

#include "core/base/strings.h"
#include "core/parser/sip_message.h"
#include "core/script/socket_lookup.h"
#include "core/script/transform.h"
#include "core/sip/msg_context.h"
#include "core/sip/uri_rewrite.h"
#include "core/transport/listener.h"

namespace sipline::script {
namespace {

struct ModulePvar {
  PvarSpec spec;
  std::string module;
};
// A deque: compiled PvarRefs point at the specs.
std::deque<ModulePvar>& modulePvars() {
  static std::deque<ModulePvar> all;
  return all;
}

Value viewOrNull(std::string_view s) { return s.empty() ? Value::null() : Value::view(s); }

Value getRm(MsgContext& ctx, const PvarRef&) {
  SipMessage& m = ctx.msg();
  if (m.isRequest()) return Value::view(m.methodText());
  const CSeq* c = m.cseq();
  return c ? Value::view(c->method_text) : Value::null();
}
Value getRu(MsgContext& ctx, const PvarRef&) {
  return ctx.msg().isRequest() ? Value::view(ctx.ruri()) : Value::null();
}
Value getRU(MsgContext& ctx, const PvarRef&) {
  const SipUri* u = ctx.msg().isRequest() ? ctx.ruriParsed() : nullptr;
  return u ? viewOrNull(u->user) : Value::null();
}
Value getRd(MsgContext& ctx, const PvarRef&) {
  const SipUri* u = ctx.msg().isRequest() ? ctx.ruriParsed() : nullptr;
  return u ? viewOrNull(u->host) : Value::null();
}
Value getRp(MsgContext& ctx, const PvarRef&) {
  const SipUri* u = ctx.msg().isRequest() ? ctx.ruriParsed() : nullptr;
  if (u == nullptr) return Value::null();
  if (u->port != 0) return Value::integer(u->port);
  return Value::integer(u->scheme == SipUri::Scheme::kSips ? 5061 : 5060);
}
// $rP: the transport parameter (lower case); without one "udp", or "tls" for sips: (RFC 3261
// §19.1.2, §26.2).
Value getRP(MsgContext& ctx, const PvarRef&) {
  const SipUri* u = ctx.msg().isRequest() ? ctx.ruriParsed() : nullptr;
  if (u == nullptr) return Value::null();
  if (!u->transport.empty()) return Value::owned(toLower(u->transport));
  return Value::view(u->scheme == SipUri::Scheme::kSips ? "tls" : "udp");
}
Value getSi(MsgContext& ctx, const PvarRef&) { return Value::owned(ctx.rcv().src.ip()); }
Value getSp(MsgContext& ctx, const PvarRef&) { return Value::integer(ctx.rcv().src.port()); }
Value getRi(MsgContext& ctx, const PvarRef&) {
  const Listener* l = ctx.rcv().listener;
  return l ? Value::view(l->ip) : Value::null();
}
Value getRpLocal(MsgContext& ctx, const PvarRef&) {
  const Listener* l = ctx.rcv().listener;
  return l ? Value::integer(l->port) : Value::null();
}
Value getProto(MsgContext& ctx, const PvarRef&) { return Value::view(protoName(ctx.rcv().proto)); }
Value getAf(MsgContext& ctx, const PvarRef&) {
  return Value::view(ctx.rcv().src.isV6() ? "INET6" : "INET");
}
Value getCi(MsgContext& ctx, const PvarRef&) { return viewOrNull(ctx.msg().callId()); }
Value getCs(MsgContext& ctx, const PvarRef&) {
  const CSeq* c = ctx.msg().cseq();
  return c ? Value::integer(c->number) : Value::null();
}
Value getRs(MsgContext& ctx, const PvarRef&) {
  return ctx.msg().isReply() ? Value::integer(ctx.msg().statusCode()) : Value::null();
}
Value getRr(MsgContext& ctx, const PvarRef&) {
  return ctx.msg().isReply() ? Value::view(ctx.msg().reason()) : Value::null();
}
// $T_reply_code: the winning reply in failure_route, the reply itself in onreply_route.
Value getTReplyCode(MsgContext& ctx, const PvarRef&) {
  if (ctx.tm.reply_code != 0) return Value::integer(ctx.tm.reply_code);
  return ctx.msg().isReply() ? Value::integer(ctx.msg().statusCode()) : Value::null();
}
Value getTBranchIdx(MsgContext& ctx, const PvarRef&) {
  return ctx.tm.branch_index >= 0 ? Value::integer(ctx.tm.branch_index) : Value::null();
}
Value getDu(MsgContext& ctx, const PvarRef&) {
  return ctx.dst_uri.empty() ? Value::null() : Value::view(ctx.dst_uri);
}
Value getRc(MsgContext& ctx, const PvarRef&) { return Value::integer(ctx.last_rc); }

template <const NameAddr* (SipMessage::*Which)()>
Value nameAddrUri(MsgContext& ctx, const PvarRef&) {
  const NameAddr* na = (ctx.msg().*Which)();
  return na ? Value::view(na->uri_text) : Value::null();
}
template <const NameAddr* (SipMessage::*Which)()>
Value nameAddrUser(MsgContext& ctx, const PvarRef&) {
  const NameAddr* na = (ctx.msg().*Which)();
  return na ? viewOrNull(na->uri.user) : Value::null();
}
template <const NameAddr* (SipMessage::*Which)()>
Value nameAddrHost(MsgContext& ctx, const PvarRef&) {
  const NameAddr* na = (ctx.msg().*Which)();
  return na ? viewOrNull(na->uri.host) : Value::null();
}
template <const NameAddr* (SipMessage::*Which)()>
Value nameAddrTag(MsgContext& ctx, const PvarRef&) {
  const NameAddr* na = (ctx.msg().*Which)();
  return na ? viewOrNull(na->tag) : Value::null();
}
template <const NameAddr* (SipMessage::*Which)()>
Value nameAddrDisplay(MsgContext& ctx, const PvarRef&) {
  const NameAddr* na = (ctx.msg().*Which)();
  return na ? viewOrNull(na->display) : Value::null();
}

Value getUa(MsgContext& ctx, const PvarRef&) {
  const HeaderField* h = ctx.msg().header(HeaderType::kUserAgent);
  return h ? Value::view(h->body) : Value::null();
}
bool headerMatches(const HeaderField& h, HeaderType type, std::string_view name) {
  return type != HeaderType::kOther ? h.type == type : iequals(h.name, name);
}
// $hdr(Name): the first; [n] the n-th (negative: from the last); [*] all, joined by ", ".
Value getHdr(MsgContext& ctx, const PvarRef& ref) {
  auto type = static_cast<HeaderType>(ref.header_type);
  const std::vector<HeaderField>& headers = ctx.msg().headers();
  if (ref.index_kind == PvarRef::Index::kAll) {
    std::string all;
    bool any = false;
    for (const HeaderField& h : headers) {
      if (!headerMatches(h, type, ref.arg)) continue;
      if (any) all += ", ";
      all += h.body;
      any = true;
    }
    return any ? Value::owned(std::move(all)) : Value::null();
  }
  if (ref.index < 0) {
    int seen = 0;
    for (std::size_t i = headers.size(); i-- > 0;) {
      if (headerMatches(headers[i], type, ref.arg) && --seen == ref.index) {
        return Value::view(headers[i].body);
      }
    }
    return Value::null();
  }
  int seen = 0;
  for (const HeaderField& h : headers) {
    if (headerMatches(h, type, ref.arg) && seen++ == ref.index) return Value::view(h.body);
  }
  return Value::null();
}
Value getHdrCnt(MsgContext& ctx, const PvarRef& ref) {
  std::int64_t n = 0;
  auto type = static_cast<HeaderType>(ref.header_type);
  for (const HeaderField& h : ctx.msg().headers()) n += headerMatches(h, type, ref.arg) ? 1 : 0;
  return Value::integer(n);
}

Value getRv(MsgContext& ctx, const PvarRef&) { return viewOrNull(ctx.msg().version()); }
Value getMl(MsgContext& ctx, const PvarRef&) {
  return Value::integer(static_cast<std::int64_t>(ctx.msg().buffer().size()));
}
Value getMb(MsgContext& ctx, const PvarRef&) { return Value::view(ctx.msg().buffer()); }
Value getRb(MsgContext& ctx, const PvarRef&) { return viewOrNull(ctx.msg().body()); }
Value getCt(MsgContext& ctx, const PvarRef&) {
  const HeaderField* h = ctx.msg().header(HeaderType::kContact);
  return h ? Value::view(h->body) : Value::null();
}
Value getTs(MsgContext&, const PvarRef&) {
  return Value::integer(static_cast<std::int64_t>(std::time(nullptr)));
}
Value getTf(MsgContext&, const PvarRef&) {
  std::time_t now = std::time(nullptr);
  char buf[64];
  std::tm tm_now{};
  localtime_r(&now, &tm_now);
  std::strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S %Y", &tm_now);
  return Value::owned(buf);
}
// $time(format): strftime(3) of the current local time.
Value getTime(MsgContext&, const PvarRef& ref) {
  std::time_t now = std::time(nullptr);
  std::tm tm_now{};
  localtime_r(&now, &tm_now);
  char buf[256];
  std::size_t n = std::strftime(buf, sizeof(buf), ref.arg.c_str(), &tm_now);
  return Value::owned(std::string(buf, n));
}
Value getPp(MsgContext&, const PvarRef&) { return Value::integer(getpid()); }
Value getMf(MsgContext& ctx, const PvarRef&) { return Value::integer(ctx.flags); }

// $var(name): per-process script variables; they keep their value from one message to the
// next in the same process, as in OpenSIPS. Slots are numbered when the script compiles.
std::vector<std::string>& varNames() {
  static std::vector<std::string> names;
  return names;
}
std::vector<Value>& varValues() {
  static std::vector<Value> values;
  return values;
}
int varSlot(const std::string& name) {
  std::vector<std::string>& names = varNames();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<int>(i);
  }
  names.push_back(name);
  varValues().emplace_back();
  return static_cast<int>(names.size() - 1);
}
Value getVar(MsgContext&, const PvarRef& ref) {
  return varValues()[static_cast<std::size_t>(ref.slot)].ownedCopy();
}
Status setVar(MsgContext&, const PvarRef& ref, const Value& v) {
  varValues()[static_cast<std::size_t>(ref.slot)] = v.ownedCopy();
  return Status::ok();
}

Status setRu(MsgContext& ctx, const PvarRef&, const Value& v) { return ctx.setRuri(v.toString()); }
Status setDu(MsgContext& ctx, const PvarRef&, const Value& v) {
  if (v.isNull() || v.str().empty()) {
    ctx.dst_uri.clear();
    return Status::ok();
  }
  std::string text = v.toString();
  SipUri u;
  if (parseUri(text, u) != ParseError::kOk) return Status::invalidArgument("bad $du: " + text);
  ctx.dst_uri = std::move(text);
  return Status::ok();
}

// ---- $avp(name) ---------------------------------------------------------------------------
// Values are returned as copies: an assignment may change the store while the value is used.
Value getAvp(MsgContext& ctx, const PvarRef& ref) {
  if (ref.index_kind == PvarRef::Index::kAll) {
    std::string all;
    bool any = false;
    ctx.avps.forEach(ref.arg, [&](const Value& v) {
      if (any) all += ", ";
      all += v.toString();
      any = true;
    });
    return any ? Value::owned(std::move(all)) : Value::null();
  }
  const Value* v = ctx.avps.get(ref.arg, ref.index);
  return v ? v->ownedCopy() : Value::null();
}

// OpenSIPS semantics: "$avp(x) = v" adds v on top; "$avp(x)[n] = v" replaces the n-th value;
// "$avp(x)[*] = v" replaces all values by v. Assigning null deletes: the newest value, the
// n-th, or (with [*]) all of them.
Status setAvp(MsgContext& ctx, const PvarRef& ref, const Value& v) {
  AvpStore& avps = ctx.avps;
  switch (ref.index_kind) {
    case PvarRef::Index::kNone:
      if (v.isNull()) {
        avps.eraseAt(ref.arg, 0);
      } else {
        avps.push(ref.arg, v);
      }
      return Status::ok();
    case PvarRef::Index::kAt:
      if (v.isNull()) {
        avps.eraseAt(ref.arg, ref.index);
        return Status::ok();
      }
      if (!avps.replace(ref.arg, ref.index, v)) {
        return Status::notFound("$avp(" + ref.arg + ") has no value [" + std::to_string(ref.index) +
                                "] to replace (it has " + std::to_string(avps.count(ref.arg)) +
                                ")");
      }
      return Status::ok();
    case PvarRef::Index::kAll: {
      Value copy = v.ownedCopy();  // v may be one of the values erased next
      avps.erase(ref.arg);
      if (!copy.isNull()) avps.push(ref.arg, copy);
      return Status::ok();
    }
  }
  return Status::ok();
}

// ---- writable request-URI parts ($rU $rd $rp), forced socket ($fs), branch flags ($bf) ----
Status setRuriPart(MsgContext& ctx, UriPart part, const Value& v) {
  if (!ctx.msg().isRequest()) return Status::failedPrecondition("a reply has no request-URI");
  return rewriteRuriPart(ctx, part, v.isNull() ? std::string() : v.toString());
}
Status setRU(MsgContext& ctx, const PvarRef&, const Value& v) {
  return setRuriPart(ctx, UriPart::kUser, v);
}
Status setRd(MsgContext& ctx, const PvarRef&, const Value& v) {
  if (v.isNull()) return Status::invalidArgument("the request-URI host cannot be removed");
  return setRuriPart(ctx, UriPart::kHost, v);
}
Status setRp(MsgContext& ctx, const PvarRef&, const Value& v) {
  if (!v.isNull()) {
    std::int64_t port = 0;
    if (!v.toInt(port) || port < 1 || port > 65535) {
      return Status::invalidArgument("port must be 1..65535, got " + v.toString());
    }
  }
  return setRuriPart(ctx, UriPart::kPort, v);
}

Value getFs(MsgContext& ctx, const PvarRef&) {
  return ctx.send_socket ? Value::view(ctx.send_socket->text) : Value::null();
}
// Names one of our listeners ("udp:10.0.0.1:5060"); null or "" goes back to the automatic
// choice.
Status setFs(MsgContext& ctx, const PvarRef&, const Value& v) {
  if (v.isNull() || (v.isStr() && trim(v.str()).empty())) {
    ctx.send_socket = nullptr;
    return Status::ok();
  }
  Result<const Listener*> l = findListenerByText(listeners(), trim(v.toString()));
  if (!l.isOk()) return l.status();
  ctx.send_socket = l.value();
  return Status::ok();
}

Value getBf(MsgContext& ctx, const PvarRef&) { return Value::integer(ctx.bflags); }
Status setBf(MsgContext& ctx, const PvarRef&, const Value& v) {
  std::int64_t flags = 0;
  if (v.isNull()) {
    flags = 0;
  } else if (!v.toInt(flags) || flags < 0 || flags > 0xffffffffll) {
    return Status::invalidArgument("branch flags must be an integer 0..4294967295, got " +
                                   v.toString());
  }
  ctx.bflags = static_cast<std::uint32_t>(flags);
  return Status::ok();
}

// ---- digest credentials ($au $ad $ar) -------------------------------------------------
// The credentials a registrar or proxy would check: Authorization first for REGISTER,
// Proxy-Authorization first otherwise, then the other one (any realm).
bool credentials(MsgContext& ctx, AuthHeader& out) {
  SipMessage& m = ctx.msg();
  if (!m.isRequest()) return false;
  HeaderType first = m.method() == Method::kRegister ? HeaderType::kAuthorization
                                                     : HeaderType::kProxyAuthorization;
  HeaderType second = first == HeaderType::kAuthorization ? HeaderType::kProxyAuthorization
                                                          : HeaderType::kAuthorization;
  return m.auth(first, "", out) == FieldState::kOk || m.auth(second, "", out) == FieldState::kOk;
}
// A parameter value with its quoted-pairs decoded: a view into the message, or (only when
// it has escapes) a copy in `decoded`.
std::string_view unquoted(const AuthHeader& a, std::string_view s, std::string& decoded) {
  if (!a.has_escapes || s.find('\\') == std::string_view::npos) return s;
  decoded.resize(s.size());
  decoded.resize(unquoteTo(s, decoded.data()));
  return decoded;
}
Value viewOrCopy(std::string_view s, const std::string& decoded) {
  if (s.empty()) return Value::null();
  return decoded.empty() ? Value::view(s) : Value::owned(std::string(s));
}
// $au / $ad: the username "user@domain" split at the first '@' (no '@': all of it is the
// user and $ad is null). Once a check authorized the request, its credentials' (another
// header, for another realm, may come first); before, those of the first header.
Value authUserPart(MsgContext& ctx, bool domain) {
  AuthHeader a;
  std::string decoded;
  std::string_view name;
  if (!ctx.auth.username.empty()) {
    name = ctx.auth.username;
  } else {
    if (!credentials(ctx, a)) return Value::null();
    name = unquoted(a, a.username, decoded);
  }
  std::size_t at = name.find('@');
  if (!domain) return viewOrCopy(name.substr(0, at), decoded);
  return at == std::string_view::npos ? Value::null() : viewOrCopy(name.substr(at + 1), decoded);
}
Value getAu(MsgContext& ctx, const PvarRef&) { return authUserPart(ctx, false); }
Value getAd(MsgContext& ctx, const PvarRef&) { return authUserPart(ctx, true); }
Value getAr(MsgContext& ctx, const PvarRef&) {
  if (!ctx.auth.username.empty()) return Value::view(ctx.auth.realm);
  AuthHeader a;
  if (!credentials(ctx, a)) return Value::null();
  std::string decoded;
  return viewOrCopy(unquoted(a, a.realm, decoded), decoded);
}

// ---- transformations -------------------------------------------------------------------
Value getTransformed(MsgContext& ctx, const PvarRef& ref) {
  return ref.transforms->apply(ref.base->get(ctx, ref));
}
const PvarSpec kTransformedSpec = {"(transformed)", getTransformed, nullptr, 0,
                                   "a pseudo-variable with transformations (read-only)"};

// clang-format off
constexpr std::uint8_t kArg = kPvarNeedsArg;
constexpr std::uint8_t kArgIdx = kPvarNeedsArg | kPvarIndexed;
// $err.*: what error_route is running for (MsgContext::error).
Value getErrClass(MsgContext& ctx, const PvarRef&) {
  return ctx.error.cls != 0 ? Value::integer(ctx.error.cls) : Value::null();
}
Value getErrLevel(MsgContext& ctx, const PvarRef&) {
  return ctx.error.cls != 0 ? Value::integer(ctx.error.level) : Value::null();
}
Value getErrInfo(MsgContext& ctx, const PvarRef&) {
  return ctx.error.cls != 0 ? Value::view(ctx.error.info) : Value::null();
}
Value getErrRcode(MsgContext& ctx, const PvarRef&) {
  return ctx.error.cls != 0 ? Value::integer(ctx.error.rcode) : Value::null();
}
Value getErrRreason(MsgContext& ctx, const PvarRef&) {
  return ctx.error.cls != 0 ? Value::view(ctx.error.rreason) : Value::null();
}

const std::vector<PvarSpec> kPvars = {
    {"ru", getRu, setRu, 0, "request-URI (write: must be a valid URI)"},
    {"rU", getRU, setRU, 0, "user part of the request-URI (write: \"\" or null removes it)"},
    {"rd", getRd, setRd, 0, "host part of the request-URI"},
    {"rp", getRp, setRp, 0, "port of the request-URI, 5060 (5061 for sips:) when absent "
                            "(write: 1..65535; null removes it)"},
    {"rP", getRP, nullptr, 0, "transport of the request-URI: its transport parameter in lower "
                              "case, else \"udp\" (\"tls\" for sips:)"},
    {"rm", getRm, nullptr, 0, "request method (of the CSeq for replies)"},
    {"rs", getRs, nullptr, 0, "reply status code (null for requests)"},
    {"rr", getRr, nullptr, 0, "reply reason phrase (null for requests)"},
    {"rv", getRv, nullptr, 0, "SIP version of the message"},
    {"T_reply_code", getTReplyCode, nullptr, 0,
     "tm: the code of the winning reply in failure_route (of the reply in onreply_route)"},
    {"T_branch_idx", getTBranchIdx, nullptr, 0,
     "tm: the index of the branch in branch_route and onreply_route (0 first)"},
    {"du", getDu, setDu, 0, "destination URI, the next hop overriding the request-URI "
                            "(write: a URI; null or \"\" clears it)"},
    {"fs", getFs, setFs, 0, "forced send socket \"proto:ip:port\", null when not forced "
                            "(write: one of our sockets; null or \"\" clears it)"},
    {"si", getSi, nullptr, 0, "source IP address"},
    {"sp", getSp, nullptr, 0, "source port"},
    {"Ri", getRi, nullptr, 0, "IP address of the receiving socket"},
    {"Rp", getRpLocal, nullptr, 0, "port of the receiving socket"},
    {"proto", getProto, nullptr, 0, "transport of the received message (udp, tcp, tls)"},
    {"af", getAf, nullptr, 0, "address family of the received message (INET, INET6)"},
    {"ci", getCi, nullptr, 0, "Call-ID"},
    {"cs", getCs, nullptr, 0, "CSeq number"},
    {"fu", nameAddrUri<&SipMessage::from>, nullptr, 0, "From URI"},
    {"fU", nameAddrUser<&SipMessage::from>, nullptr, 0, "From URI user"},
    {"fd", nameAddrHost<&SipMessage::from>, nullptr, 0, "From URI host"},
    {"fn", nameAddrDisplay<&SipMessage::from>, nullptr, 0, "From display name"},
    {"ft", nameAddrTag<&SipMessage::from>, nullptr, 0, "From tag"},
    {"tu", nameAddrUri<&SipMessage::to>, nullptr, 0, "To URI"},
    {"tU", nameAddrUser<&SipMessage::to>, nullptr, 0, "To URI user"},
    {"td", nameAddrHost<&SipMessage::to>, nullptr, 0, "To URI host"},
    {"tn", nameAddrDisplay<&SipMessage::to>, nullptr, 0, "To display name"},
    {"tt", nameAddrTag<&SipMessage::to>, nullptr, 0, "To tag"},
    {"ua", getUa, nullptr, 0, "User-Agent header"},
    {"ct", getCt, nullptr, 0, "body of the first Contact header"},
    {"hdr", getHdr, nullptr, kArgIdx, "body of header Name: $hdr(Name) the first, "
                                      "$hdr(Name)[n] the n-th (-1: the last), "
                                      "$hdr(Name)[*] all of them joined by \", \""},
    {"hdrcnt", getHdrCnt, nullptr, kArg, "number of headers named Name: $hdrcnt(Name)"},
    {"mb", getMb, nullptr, 0, "the whole message as received"},
    {"ml", getMl, nullptr, 0, "length of the message"},
    {"rb", getRb, nullptr, 0, "the message body"},
    {"mf", getMf, nullptr, 0, "message flags as an integer"},
    {"bf", getBf, setBf, 0, "branch flags of branch 0 as an integer (write: an integer)"},
    {"au", getAu, nullptr, 0, "user part of the digest username in Authorization or "
                              "Proxy-Authorization"},
    {"ad", getAd, nullptr, 0, "domain part of the digest username (after '@'), null without"},
    {"ar", getAr, nullptr, 0, "realm of the digest credentials"},
    {"rc", getRc, nullptr, 0, "return code of the last function or route"},
    {"retcode", getRc, nullptr, 0, "the same as $rc (the OpenSIPS spelling)"},
    {"err.class", getErrClass, nullptr, 0, "in error_route: the error class (1: parse error)"},
    {"err.level", getErrLevel, nullptr, 0, "in error_route: the severity (1: the request is "
                                           "refused)"},
    {"err.info", getErrInfo, nullptr, 0, "in error_route: what is wrong with the request"},
    {"err.rcode", getErrRcode, nullptr, 0, "in error_route: the reply code the server would "
                                           "send (400, 505)"},
    {"err.rreason", getErrRreason, nullptr, 0, "in error_route: that reply's reason phrase"},
    {"var", getVar, setVar, kArg, "script variable of this process: $var(name); keeps its "
                                  "value from one message to the next"},
    {"avp", getAvp, setAvp, kArgIdx, "value of this message: $avp(name) the newest, "
                                     "$avp(name)[n] the n-th newest, [*] all; assigning "
                                     "adds, null deletes"},
    {"Ts", getTs, nullptr, 0, "current unix time"},
    {"Tf", getTf, nullptr, 0, "current time, formatted (ctime)"},
    {"time", getTime, nullptr, kArg, "current local time through strftime: $time(%H:%M)"},
    {"pp", getPp, nullptr, 0, "pid of this process"},
};
// clang-format on

bool isNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Position of the ')' closing the '(' at open, or npos.
std::size_t closingParen(std::string_view text, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < text.size(); ++i) {
    if (text[i] == '(') ++depth;
    if (text[i] == ')' && --depth == 0) return i;
  }
  return std::string_view::npos;
}

// name, name(arg), name(arg)[n], name(arg)[*]
Result<PvarRef> resolvePlain(std::string_view text) {
  PvarRef ref;
  ref.text = std::string(text);
  const std::string shown = "$" + std::string(text);
  std::size_t i = 0;
  while (i < text.size() && isNameChar(text[i])) ++i;
  if (i + 1 < text.size() && text[i] == '.' && isDottedPvarFamily(text.substr(0, i))) {
    ++i;  // "err.class"
    while (i < text.size() && isNameChar(text[i])) ++i;
  }
  std::string_view name = text.substr(0, i);
  if (name.empty()) return Status::invalidArgument("expected a pseudo-variable name in " + shown);
  bool has_paren = false;
  if (i < text.size() && text[i] == '(') {
    std::size_t close = closingParen(text, i);
    if (close == std::string_view::npos) return Status::invalidArgument("missing ')' in " + shown);
    ref.arg = std::string(trim(text.substr(i + 1, close - i - 1)));
    has_paren = true;
    i = close + 1;
  }
  if (i < text.size() && text[i] == '[') {
    if (text.back() != ']') return Status::invalidArgument("missing ']' in " + shown);
    std::string_view idx = trim(text.substr(i + 1, text.size() - i - 2));
    std::int64_t n = 0;
    if (idx == "*") {
      ref.index_kind = PvarRef::Index::kAll;
    } else if (parseInt(idx, n) && n > -100000 && n < 100000) {
      ref.index_kind = PvarRef::Index::kAt;
      ref.index = static_cast<int>(n);
    } else {
      return Status::invalidArgument("bad index [" + std::string(idx) + "] in " + shown +
                                     ": expected a number or *");
    }
    i = text.size();
  }
  if (i != text.size()) {
    return Status::invalidArgument("unexpected '" + std::string(text.substr(i)) + "' in " + shown);
  }
  std::vector<std::string_view> names;
  for (const PvarSpec& s : kPvars) {
    names.push_back(s.name);
    if (name == s.name) ref.spec = &s;
  }
  for (const ModulePvar& m : modulePvars()) {
    names.push_back(m.spec.name);
    if (name == m.spec.name) ref.spec = &m.spec;
  }
  const std::string pv = "$" + std::string(name);
  if (ref.spec == nullptr) {
    return Status::invalidArgument("unknown pseudo-variable " + pv + didYouMean(name, names));
  }
  if (ref.spec->needsArg() && ref.arg.empty()) {
    return Status::invalidArgument(pv + " needs an argument: " + pv +
                                   (ref.spec->get == getTime ? "(format)" : "(name)"));
  }
  if (!ref.spec->needsArg() && has_paren) {
    return Status::invalidArgument(pv + " takes no argument");
  }
  if (ref.index_kind != PvarRef::Index::kNone && !ref.spec->indexed()) {
    return Status::invalidArgument(pv +
                                   " has one value: an index [n] is allowed only on $hdr "
                                   "and $avp");
  }
  // OpenSIPS 1.x names AVPs "s:name" (a string name) or "i:number"; both are the name.
  if (ref.spec->get == getAvp && ref.arg.size() > 2 && ref.arg[1] == ':' &&
      (ref.arg[0] == 's' || ref.arg[0] == 'i')) {
    ref.arg.erase(0, 2);
  }
  if (ref.spec->get == getVar) ref.slot = varSlot(ref.arg);
  if (ref.spec->get == getHdr || ref.spec->get == getHdrCnt) {
    ref.header_type = static_cast<std::uint8_t>(headerTypeFromName(ref.arg));
  }
  return ref;
}

// "(name(arg)[n]{t1}{t2,a})": the variable, then its transformations.
Result<PvarRef> resolveTransformed(std::string_view text) {
  const std::string shown = "$" + std::string(text);
  if (closingParen(text, 0) != text.size() - 1) {
    return Status::invalidArgument("unbalanced parentheses in " + shown);
  }
  std::string_view inner = text.substr(1, text.size() - 2);
  std::size_t brace = std::string_view::npos;
  int depth = 0;
  for (std::size_t i = 0; i < inner.size() && brace == std::string_view::npos; ++i) {
    depth += inner[i] == '(' ? 1 : inner[i] == ')' ? -1 : 0;
    if (inner[i] == '{' && depth == 0) brace = i;
  }
  Result<PvarRef> ref = resolvePlain(trim(inner.substr(0, brace)));
  if (!ref.isOk()) return ref;
  ref.value().text = std::string(text);
  if (brace == std::string_view::npos) return ref;  // "$(avp(x)[1])": only grouping
  Result<TransformChain> chain = TransformChain::parse(inner.substr(brace));
  if (!chain.isOk()) return Status::invalidArgument(chain.status().message() + " in " + shown);
  ref.value().base = ref.value().spec;
  ref.value().spec = &kTransformedSpec;
  ref.value().transforms = std::make_shared<const TransformChain>(std::move(chain.value()));
  return ref;
}

}  // namespace

const std::vector<PvarSpec>& pvarSpecs() { return kPvars; }

Status registerModulePvar(const PvarSpec& spec, const std::string& module) {
  if (spec.name == nullptr || spec.get == nullptr) {
    return Status::invalidArgument("module " + module +
                                   " offers a pseudo-variable without a "
                                   "name or getter");
  }
  std::string_view name = spec.name;
  for (const PvarSpec& s : kPvars) {
    if (name == s.name) {
      return Status::alreadyExists("module " + module + " offers $" + std::string(name) +
                                   ", a pseudo-variable of the core");
    }
  }
  for (ModulePvar& m : modulePvars()) {
    if (name != m.spec.name) continue;
    if (m.module != module) {
      return Status::alreadyExists("$" + std::string(name) + " is offered by both " + m.module +
                                   " and " + module);
    }
    m.spec = spec;
    return Status::ok();
  }
  modulePvars().push_back(ModulePvar{spec, module});
  return Status::ok();
}

std::vector<const PvarSpec*> modulePvarSpecs() {
  std::vector<const PvarSpec*> out;
  for (const ModulePvar& m : modulePvars()) out.push_back(&m.spec);
  return out;
}

Result<PvarRef> resolvePvar(std::string_view text) {
  if (!text.empty() && text.front() == '(') return resolveTransformed(text);
  return resolvePlain(text);
}

bool isDottedPvarFamily(std::string_view name) { return name == "err"; }

}  // namespace sipline::script
