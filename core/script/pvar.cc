#include "core/script/pvar.h"

#include <unistd.h>

#include <ctime>

#include "core/base/strings.h"
#include "core/parser/sip_message.h"
#include "core/sip/msg_context.h"
#include "core/transport/listener.h"

namespace sipline::script {
namespace {

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
Value getHdr(MsgContext& ctx, const PvarRef& ref) {
  auto type = static_cast<HeaderType>(ref.header_type);
  int seen = 0;
  for (const HeaderField& h : ctx.msg().headers()) {
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
  const Value& v = varValues()[static_cast<std::size_t>(ref.slot)];
  return v.isStr() ? Value::owned(std::string(v.str())) : v;
}
Status setVar(MsgContext&, const PvarRef& ref, const Value& v) {
  varValues()[static_cast<std::size_t>(ref.slot)] =
      v.isStr() ? Value::owned(std::string(v.str())) : v;
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

// clang-format off
const std::vector<PvarSpec> kPvars = {
    {"rm", getRm, nullptr, false, "request method (of the CSeq for replies)"},
    {"ru", getRu, setRu, false, "request-URI"},
    {"rU", getRU, nullptr, false, "user part of the request-URI"},
    {"rd", getRd, nullptr, false, "host part of the request-URI"},
    {"rp", getRp, nullptr, false, "port of the request-URI (default 5060/5061)"},
    {"du", getDu, setDu, false, "destination URI (next hop overriding the request-URI)"},
    {"si", getSi, nullptr, false, "source IP address"},
    {"sp", getSp, nullptr, false, "source port"},
    {"Ri", getRi, nullptr, false, "IP address of the receiving socket"},
    {"Rp", getRpLocal, nullptr, false, "port of the receiving socket"},
    {"proto", getProto, nullptr, false, "transport of the received message"},
    {"ci", getCi, nullptr, false, "Call-ID"},
    {"cs", getCs, nullptr, false, "CSeq number"},
    {"rs", getRs, nullptr, false, "reply status code"},
    {"rr", getRr, nullptr, false, "reply reason phrase"},
    {"rc", getRc, nullptr, false, "return code of the last function or route"},
    {"fu", nameAddrUri<&SipMessage::from>, nullptr, false, "From URI"},
    {"fU", nameAddrUser<&SipMessage::from>, nullptr, false, "From URI user"},
    {"fd", nameAddrHost<&SipMessage::from>, nullptr, false, "From URI host"},
    {"fn", nameAddrDisplay<&SipMessage::from>, nullptr, false, "From display name"},
    {"ft", nameAddrTag<&SipMessage::from>, nullptr, false, "From tag"},
    {"tu", nameAddrUri<&SipMessage::to>, nullptr, false, "To URI"},
    {"tU", nameAddrUser<&SipMessage::to>, nullptr, false, "To URI user"},
    {"td", nameAddrHost<&SipMessage::to>, nullptr, false, "To URI host"},
    {"tn", nameAddrDisplay<&SipMessage::to>, nullptr, false, "To display name"},
    {"tt", nameAddrTag<&SipMessage::to>, nullptr, false, "To tag"},
    {"ua", getUa, nullptr, false, "User-Agent header"},
    {"hdr", getHdr, nullptr, true, "body of header Name: $hdr(Name), $hdr(Name)[n]"},
    {"hdrcnt", getHdrCnt, nullptr, true, "number of headers named Name"},
    {"var", getVar, setVar, true, "script variable of this process: $var(name)"},
    {"rv", getRv, nullptr, false, "SIP version of the message"},
    {"ml", getMl, nullptr, false, "length of the message"},
    {"mb", getMb, nullptr, false, "the whole message"},
    {"rb", getRb, nullptr, false, "the message body"},
    {"ct", getCt, nullptr, false, "Contact header"},
    {"Ts", getTs, nullptr, false, "current unix time"},
    {"Tf", getTf, nullptr, false, "current time, formatted (ctime)"},
    {"time", getTime, nullptr, true, "current local time through strftime: $time(%H:%M)"},
    {"pp", getPp, nullptr, false, "pid of this process"},
    {"mf", getMf, nullptr, false, "message flags as an integer"},
};
// clang-format on

}  // namespace

const std::vector<PvarSpec>& pvarSpecs() { return kPvars; }

Result<PvarRef> resolvePvar(std::string_view text) {
  PvarRef ref;
  ref.text = std::string(text);
  std::string_view name = text;
  std::size_t paren = text.find('(');
  std::size_t bracket = text.rfind('[');
  if (bracket != std::string_view::npos && text.back() == ']' &&
      (paren == std::string_view::npos || bracket > text.rfind(')'))) {
    std::int64_t idx = 0;
    if (!parseInt(text.substr(bracket + 1, text.size() - bracket - 2), idx) || idx < 0) {
      return Status::invalidArgument("bad index in $" + std::string(text));
    }
    ref.index = static_cast<int>(idx);
    text = text.substr(0, bracket);
    name = text;
  }
  if (paren != std::string_view::npos && paren < text.size()) {
    if (text.back() != ')') return Status::invalidArgument("missing ')' in $" + std::string(text));
    ref.arg = std::string(trim(text.substr(paren + 1, text.size() - paren - 2)));
    name = text.substr(0, paren);
  }
  std::vector<std::string> names;
  for (const PvarSpec& s : kPvars) {
    names.push_back(s.name);
    if (name == s.name) ref.spec = &s;
  }
  if (ref.spec == nullptr) {
    return Status::invalidArgument("unknown pseudo-variable $" + std::string(name) +
                                   didYouMean(name, names));
  }
  if (ref.spec->needs_arg && ref.arg.empty()) {
    return Status::invalidArgument("$" + std::string(name) + " needs an argument: $" +
                                   std::string(name) + "(Name)");
  }
  if (!ref.spec->needs_arg && paren != std::string_view::npos) {
    return Status::invalidArgument("$" + std::string(name) + " takes no argument");
  }
  if (ref.spec->get == getVar) ref.slot = varSlot(ref.arg);
  if (ref.spec->get == getHdr || ref.spec->get == getHdrCnt) {
    ref.header_type = static_cast<std::uint8_t>(headerTypeFromName(ref.arg));
  }
  return ref;
}

}  // namespace sipline::script
