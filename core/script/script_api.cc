#include "core/script/script_api.h"

#include "core/base/strings.h"
#include "core/script/format.h"

namespace sipline {

std::string SourcePos::toString() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

const char* routeTypeName(RouteType type) {
  switch (type) {
    case kRequestRoute:
      return "route";
    case kOnReplyRoute:
      return "onreply_route";
    case kFailureRoute:
      return "failure_route";
    case kBranchRoute:
      return "branch_route";
    case kErrorRoute:
      return "error_route";
    case kStartupRoute:
      return "startup_route";
    case kTimerRoute:
      return "timer_route";
    case kLocalRoute:
      return "local_route";
    default:
      return "route";
  }
}

std::string routeMaskNames(std::uint32_t mask) {
  std::string out;
  for (std::uint32_t bit = 1; bit <= kLocalRoute; bit <<= 1) {
    if ((mask & bit) == 0) continue;
    if (!out.empty()) out += ", ";
    out += routeTypeName(static_cast<RouteType>(bit));
  }
  return out;
}

bool ScriptArg::hasPvars() const {
  if (kind == Kind::kPvar) return true;
  if (kind != Kind::kString) return false;
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] == '$' && text[i + 1] != '$' && text[i + 1] != ' ') return true;
  }
  return false;
}

std::string_view StrArg::eval(MsgContext& ctx, std::string& scratch) const {
  if (format_ == nullptr) return constant_;
  return format_->eval(ctx, scratch);
}

bool IntArg::eval(MsgContext& ctx, std::int64_t& out) const {
  if (!is_dynamic_) {
    out = constant_;
    return true;
  }
  std::string scratch;
  return parseInt(trim(dynamic_.eval(ctx, scratch)), out);
}

Status BindContext::error(const ScriptArg& arg, const Status& status) const {
  return Status::invalidArgument(arg.pos.toString() + ": " + command_ + "(): " + status.message());
}

Status BindContext::error(const std::string& message) const {
  return Status::invalidArgument(call_pos_.toString() + ": " + command_ + "(): " + message);
}

Status BindContext::requireRoute(const ScriptArg& arg, RouteType type) const {
  const char* keyword = routeTypeName(type);
  if (!arg.isConstant() || arg.text.empty()) {
    return error(arg, Status::invalidArgument(std::string("expects the name of a ") + keyword +
                                              "[name] as a constant"));
  }
  if (route_lookup_ && !route_lookup_(type, arg.text)) {
    return error(
        arg, Status::notFound(std::string("no ") + keyword + "[" + arg.text + "] in the script"));
  }
  return Status::ok();
}

Result<StrArg> BindContext::strArg(const ScriptArg& arg) const {
  if (arg.kind == ScriptArg::Kind::kInt) return StrArg(std::to_string(arg.int_value));
  std::string text = arg.kind == ScriptArg::Kind::kPvar ? "$" + arg.text : arg.text;
  if (!arg.hasPvars()) {
    // "$$" in a constant means a literal '$'.
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      out += text[i];
      if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '$') ++i;
    }
    return StrArg(std::move(out));
  }
  Result<FormatPtr> f = Format::compile(text);
  if (!f.isOk()) return error(arg, f.status());
  return StrArg(std::move(f.value()));
}

Result<IntArg> BindContext::intArg(const ScriptArg& arg) const {
  if (arg.kind == ScriptArg::Kind::kInt) return IntArg(arg.int_value);
  if (arg.isConstant()) {
    std::int64_t v = 0;
    if (!parseInt(trim(arg.text), v)) {
      return error(arg, Status::invalidArgument("expected an integer, got \"" + arg.text + "\""));
    }
    return IntArg(v);
  }
  Result<StrArg> s = strArg(arg);
  if (!s.isOk()) return s.status();
  return IntArg(std::move(s.value()));
}

}  // namespace sipline
