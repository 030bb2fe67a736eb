// textops: header and text operations for the routing script (append_hf, insert_hf,
// remove_hf, is_present_hf, search, search_body, has_body, is_content_type). Glue only; the
// header edits are in textops.cc.
#include <memory>

#include "core/base/regex.h"
#include "core/base/strings.h"
#include "core/module/module.h"
#include "core/parser/sip_message.h"
#include "core/sip/msg_context.h"
#include "modules/textops/textops.h"

namespace sipline {
namespace {

Result<std::shared_ptr<Regex>> bindRegex(const ScriptArg& arg, BindContext& bc) {
  if (!arg.isConstant()) {
    return bc.error(arg, Status::invalidArgument("the regex must be a constant"));
  }
  auto re = std::make_shared<Regex>();
  Status st = re->compile(arg.text, /*per_line=*/true);
  if (!st.isOk()) return bc.error(arg, st);
  return re;
}

constexpr std::uint32_t kMsgRoutes =
    kRequestRoute | kOnReplyRoute | kFailureRoute | kBranchRoute | kErrorRoute | kLocalRoute;

class TextopsModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.command(
        "append_hf", {ArgSpec::str("header")}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) { return bindAdd(a, bc, false); },
        "append_hf(\"Name: value\"): adds a header after the last one");
    spec.command(
        "insert_hf", {ArgSpec::str("header")}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) { return bindAdd(a, bc, true); },
        "insert_hf(\"Name: value\"): adds a header before the first one");
    spec.command(
        "remove_hf", {ArgSpec::str("name")}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          Result<StrArg> name = bc.strArg(a[0]);
          if (!name.isOk()) return name.status();
          return makeCall([name = std::move(name.value())](MsgContext& ctx) {
            std::string scratch;
            int n = removeHeaders(ctx.msg(), name.eval(ctx, scratch));
            return n > 0 ? Verdict::of(n) : Verdict::fail();
          });
        },
        "remove_hf(name): removes every header of that name; returns how many");
    spec.command(
        "is_present_hf", {ArgSpec::str("name")}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          Result<StrArg> name = bc.strArg(a[0]);
          if (!name.isOk()) return name.status();
          return makeCall([name = std::move(name.value())](MsgContext& ctx) {
            std::string scratch;
            return hasHeader(ctx.msg(), name.eval(ctx, scratch)) ? Verdict::ok() : Verdict::fail();
          });
        },
        "is_present_hf(name): true when the message has that header");
    spec.command(
        "search", {ArgSpec::str("regex")}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          Result<std::shared_ptr<Regex>> re = bindRegex(a[0], bc);
          if (!re.isOk()) return re.status();
          return makeCall([re = re.value()](MsgContext& ctx) {
            return re->matches(ctx.msg().buffer()) ? Verdict::ok() : Verdict::fail();
          });
        },
        "search(regex): true when the message (as received) matches");
    spec.command(
        "search_body", {ArgSpec::str("regex")}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          Result<std::shared_ptr<Regex>> re = bindRegex(a[0], bc);
          if (!re.isOk()) return re.status();
          return makeCall([re = re.value()](MsgContext& ctx) {
            return re->matches(ctx.msg().body()) ? Verdict::ok() : Verdict::fail();
          });
        },
        "search_body(regex): true when the body matches");
    spec.command(
        "has_body", {ArgSpec::str("content_type").opt()}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          std::string wanted;
          if (!a.empty()) {
            if (!a[0].isConstant()) {
              return bc.error(a[0], Status::invalidArgument("the type must be a constant"));
            }
            wanted = toLower(a[0].text);
          }
          return makeCall([wanted](MsgContext& ctx) {
            if (ctx.msg().body().empty()) return Verdict::fail();
            if (wanted.empty()) return Verdict::ok();
            const ContentType* ct = ctx.msg().contentType();
            if (ct == nullptr) return Verdict::fail();
            std::string have = toLower(ct->type) + "/" + toLower(ct->subtype);
            return have == wanted ? Verdict::ok() : Verdict::fail();
          });
        },
        "has_body([\"type/subtype\"]): true when there is a body (of that type)");
  }

 private:
  static Result<BoundCallPtr> bindAdd(const ScriptArgs& args, BindContext& bc, bool at_top) {
    Result<StrArg> text = bc.strArg(args[0]);
    if (!text.isOk()) return text.status();
    if (text.value().isConstant() && headerLine(text.value().constant()).empty()) {
      return bc.error(args[0], Status::invalidArgument("not a header: \"" + args[0].text +
                                                       "\" (expected \"Name: value\")"));
    }
    return makeCall([at_top, text = std::move(text.value())](MsgContext& ctx) {
      std::string scratch;
      std::string_view line = text.eval(ctx, scratch);
      bool ok = at_top ? insertHeaderLine(ctx.msg(), line) : appendHeaderLine(ctx.msg(), line);
      return ok ? Verdict::ok() : Verdict::fail();
    });
  }
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("textops", sipline::TextopsModule)
