#include "modules/avpops/avp_ops.h"

#include <fnmatch.h>

#include <algorithm>
#include <vector>

#include "core/base/strings.h"
#include "core/parser/uri.h"
#include "core/sip/msg_context.h"
#include "core/sip/uri_rewrite.h"
#include "modules/avpops/avp_spec.h"

namespace sipline::avpops {
namespace {

struct OpName {
  const char* name;
  CheckOp op;
};
constexpr OpName kOps[] = {{"eq", CheckOp::kEq}, {"ne", CheckOp::kNe},  {"lt", CheckOp::kLt},
                           {"le", CheckOp::kLe}, {"gt", CheckOp::kGt},  {"ge", CheckOp::kGe},
                           {"re", CheckOp::kRe}, {"fm", CheckOp::kFm},  {"and", CheckOp::kAnd},
                           {"or", CheckOp::kOr}, {"xor", CheckOp::kXor}};

bool isFlags(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == 'g' || c == 'i'; });
}

// -1, 0, 1: as integers when both read as integers, else as text (ignoring case with icase).
int compareValues(const script::Value& a, const script::Value& b, bool icase) {
  std::int64_t x = 0, y = 0;
  if (a.toInt(x) && b.toInt(y)) return x < y ? -1 : (x > y ? 1 : 0);
  std::string l = a.toString(), r = b.toString();
  if (icase) {
    l = toLower(l);
    r = toLower(r);
  }
  int c = l.compare(r);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

Status checkUri(std::string_view text) {
  SipUri uri;
  if (parseUri(text, uri) != ParseError::kOk) {
    return Status::invalidArgument("\"" + std::string(text) + "\" is not a URI");
  }
  return Status::ok();
}

}  // namespace

Result<PushSpec> parsePush(std::string_view destination, std::string_view name) {
  PushSpec spec;
  std::string dest = toLower(trim(destination));
  if (dest == "$ru") {
    spec.target = PushTarget::kRuri;
  } else if (dest == "$ru/username") {
    spec.target = PushTarget::kRuriUser;
  } else if (dest == "$ru/domain") {
    spec.target = PushTarget::kRuriHost;
  } else if (dest == "$du") {
    spec.target = PushTarget::kDstUri;
  } else if (dest == "$br") {
    spec.target = PushTarget::kBranch;
  } else {
    return Status::invalidArgument("unknown destination \"" + std::string(destination) +
                                   "\" (use $ru, $ru/username, $ru/domain, $du or $br)");
  }
  std::string_view avp = trim(name);
  if (avp.size() > 3 && avp.substr(avp.size() - 3) == "[*]") {
    if (spec.target != PushTarget::kBranch) {
      return Status::invalidArgument("every value ([*]) can only be pushed to $br");
    }
    spec.all = true;
    avp.remove_suffix(3);
  }
  Result<std::string> n = parseAvpName(avp, false);
  if (!n.isOk()) return n.status();
  spec.avp = std::move(n.value());
  return spec;
}

int pushTo(MsgContext& ctx, const PushSpec& spec, std::string* error) {
  if (!ctx.msg().isRequest()) return -1;
  std::vector<std::string> values;
  if (spec.all) {
    ctx.avps.forEach(spec.avp, [&](const script::Value& v) { values.push_back(v.toString()); });
    std::reverse(values.begin(), values.end());
  } else if (const script::Value* v = ctx.avps.get(spec.avp, 0); v != nullptr && !v->isNull()) {
    values.push_back(v->toString());
  }
  if (values.empty()) return -1;
  Status st = Status::ok();
  switch (spec.target) {
    case PushTarget::kRuri:
      st = rewriteRuriPart(ctx, UriPart::kWhole, values.front());
      break;
    case PushTarget::kRuriUser:
      st = rewriteRuriPart(ctx, UriPart::kUser, values.front());
      break;
    case PushTarget::kRuriHost:
      st = rewriteRuriPart(ctx, UriPart::kHost, values.front());
      break;
    case PushTarget::kDstUri:
      st = checkUri(values.front());
      if (st.isOk()) ctx.dst_uri = values.front();
      break;
    case PushTarget::kBranch:
      for (std::string& uri : values) {
        st = checkUri(uri);
        if (!st.isOk()) break;
        Branch b;
        b.uri = std::move(uri);
        b.send_socket = ctx.send_socket;
        st = ctx.appendBranch(std::move(b));
        if (!st.isOk()) break;
      }
      break;
  }
  if (!st.isOk()) {
    if (error != nullptr) *error = st.message();
    return -1;
  }
  return 1;
}

Result<CheckSpec> parseCheck(std::string_view name, std::string_view op_value) {
  CheckSpec spec;
  Result<std::string> n = parseAvpName(name, false);
  if (!n.isOk()) return n.status();
  spec.avp = std::move(n.value());
  std::string_view text = trim(op_value);
  std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return Status::invalidArgument("expected \"op/value[/flags]\", got \"" + std::string(text) +
                                   "\"");
  }
  std::string op = toLower(text.substr(0, slash));
  bool known = false;
  for (const OpName& o : kOps) {
    if (op == o.name) {
      spec.op = o.op;
      known = true;
    }
  }
  if (!known) {
    return Status::invalidArgument("unknown operator \"" + op +
                                   "\" (eq, ne, lt, le, gt, ge, re, fm, and, or, xor)");
  }
  std::string_view value = text.substr(slash + 1);
  std::size_t last = value.rfind('/');
  if (last != std::string_view::npos && isFlags(value.substr(last + 1))) {
    for (char f : value.substr(last + 1)) {
      spec.all = spec.all || f == 'g';
      spec.icase = spec.icase || f == 'i';
    }
    value = value.substr(0, last);
  }
  if (value.empty()) return Status::invalidArgument("the value to check against is empty");
  if (value.front() == '$') {
    if (value.size() < 2) return Status::invalidArgument("\"$\" names no pseudo-variable");
    spec.pvar = std::string(value.substr(1));
    return spec;
  }
  std::int64_t number = 0;
  if (value.substr(0, 2) == "i:") {
    if (!parseInt(value.substr(2), number)) {
      return Status::invalidArgument("\"" + std::string(value) + "\" is not an integer");
    }
    spec.constant = script::Value::integer(number);
  } else if (value.substr(0, 2) == "s:") {
    spec.constant = script::Value::owned(std::string(value.substr(2)));
  } else if (parseInt(value, number)) {
    spec.constant = script::Value::integer(number);
  } else {
    spec.constant = script::Value::owned(std::string(value));
  }
  if ((spec.op == CheckOp::kAnd || spec.op == CheckOp::kOr || spec.op == CheckOp::kXor) &&
      !spec.constant.isInt()) {
    return Status::invalidArgument("\"" + op + "\" needs an integer, got \"" + std::string(value) +
                                   "\"");
  }
  if (spec.op == CheckOp::kRe) {
    spec.re = std::make_shared<Regex>();
    Status st = spec.re->compile(spec.constant.toString(), /*per_line=*/true);
    if (!st.isOk()) return st;
  }
  return spec;
}

bool checkValue(const CheckSpec& spec, const script::Value& avp_value, const script::Value& value) {
  if (avp_value.isNull() || value.isNull()) return false;
  std::int64_t x = 0, y = 0;
  switch (spec.op) {
    case CheckOp::kEq:
      return compareValues(avp_value, value, spec.icase) == 0;
    case CheckOp::kNe:
      return compareValues(avp_value, value, spec.icase) != 0;
    case CheckOp::kLt:
      return compareValues(avp_value, value, spec.icase) < 0;
    case CheckOp::kLe:
      return compareValues(avp_value, value, spec.icase) <= 0;
    case CheckOp::kGt:
      return compareValues(avp_value, value, spec.icase) > 0;
    case CheckOp::kGe:
      return compareValues(avp_value, value, spec.icase) >= 0;
    case CheckOp::kRe: {
      if (spec.re) return spec.re->matches(avp_value.toString());
      Regex re;
      if (!re.compile(value.toString(), /*per_line=*/true).isOk()) return false;
      return re.matches(avp_value.toString());
    }
    case CheckOp::kFm:
      return fnmatch(value.toString().c_str(), avp_value.toString().c_str(),
                     spec.icase ? FNM_CASEFOLD : 0) == 0;
    case CheckOp::kAnd:
    case CheckOp::kOr:
    case CheckOp::kXor:
      if (!avp_value.toInt(x) || !value.toInt(y)) return false;
      if (spec.op == CheckOp::kAnd) return (x & y) != 0;
      if (spec.op == CheckOp::kOr) return (x | y) != 0;
      return (x ^ y) != 0;
  }
  return false;
}

bool checkAvp(MsgContext& ctx, const CheckSpec& spec, const script::Value& value) {
  if (!spec.all) {
    const script::Value* v = ctx.avps.get(spec.avp, 0);
    return v != nullptr && checkValue(spec, *v, value);
  }
  bool any = false;
  ctx.avps.forEach(spec.avp,
                   [&](const script::Value& v) { any = any || checkValue(spec, v, value); });
  return any;
}

Result<IsSetSpec> parseIsSet(std::string_view name) {
  IsSetSpec spec;
  std::string_view text = trim(name);
  std::size_t slash = text.rfind('/');
  if (slash != std::string_view::npos && slash > text.rfind(')')) {
    std::string_view flag = text.substr(slash + 1);
    if (flag != "s" && flag != "n" && flag != "e") {
      return Status::invalidArgument("unknown type \"/" + std::string(flag) +
                                     "\" (use /s a string, /n an integer, /e an empty string)");
    }
    spec.type = flag[0];
    text = text.substr(0, slash);
  }
  Result<std::string> n = parseAvpName(text, false);
  if (!n.isOk()) return n.status();
  spec.avp = std::move(n.value());
  return spec;
}

bool isAvpSet(MsgContext& ctx, const IsSetSpec& spec) {
  bool any = false;
  ctx.avps.forEach(spec.avp, [&](const script::Value& v) {
    switch (spec.type) {
      case 's':
        any = any || v.isStr();
        break;
      case 'n':
        any = any || v.isInt();
        break;
      case 'e':
        any = any || (v.isStr() && v.str().empty());
        break;
      default:
        any = any || !v.isNull();
    }
  });
  return any;
}

}  // namespace sipline::avpops
