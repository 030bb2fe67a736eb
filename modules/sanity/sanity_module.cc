// sanity: sanity_check([checks]) answers a request that fails RFC 3261 §16.3 validation
// (416, 420, 483, 400) and returns false so the script can stop. Glue only; the checks are
// in sanity.cc.
#include "core/base/strings.h"
#include "core/module/module.h"
#include "core/sip/msg_context.h"
#include "core/sip/reply.h"
#include "modules/sanity/sanity.h"

namespace sipline {
namespace {

class SanityModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.summary("request checks a proxy makes before forwarding (RFC 3261 §16.3)");
    spec.description(
        "sanity_check() runs checks on a well-formed request and answers the first failure "
        "statelessly, then returns false, so the script only has to exit. The checks are "
        "ruri_scheme (416), max_forwards (483, OPTIONS excepted), proxy_require (420 for "
        "option tags not in proxy_require), from_tag (400), expires (400) and content_length "
        "(400); \"all\" selects every check. The core itself answers 400 to requests it cannot "
        "parse.\n\n"
        "Without an argument sanity_check() runs default_checks, which leaves from_tag out so "
        "that RFC 2543 clients without a From tag are still served.");
    spec.param("proxy_require", &supported_text_,
               "option tags this proxy supports in Proxy-Require, comma-separated");
    spec.param("default_checks", &default_checks_text_,
               "checks sanity_check() runs without an argument");
    spec.command(
        "sanity_check", {ArgSpec::str("checks").opt()}, kRequestRoute,
        [this](const ScriptArgs& args, BindContext& bc) -> Result<BoundCallPtr> {
          std::uint32_t checks = 0;
          if (args.empty()) {
            Result<std::uint32_t> d = parseSanityChecks(default_checks_text_);
            if (!d.isOk()) return bc.error("default_checks: " + d.status().message());
            checks = d.value();
          } else {
            if (!args[0].isConstant()) {
              return bc.error(args[0], Status::invalidArgument("the checks must be a constant"));
            }
            Result<std::uint32_t> c = parseSanityChecks(args[0].text);
            if (!c.isOk()) return bc.error(args[0], c.status());
            checks = c.value();
          }
          return makeCall([this, checks](MsgContext& ctx) { return run(ctx, checks); });
        },
        "sanity_check([\"ruri_scheme,max_forwards,proxy_require,from_tag,expires,"
        "content_length\"]): answers and returns false when the request fails a check");
    spec.stat("failed", &failed_, "requests that failed a check and were answered");
  }

  Status init(InitContext&) override {
    supported_.clear();
    std::string_view text = supported_text_;
    while (!text.empty()) {
      std::size_t comma = text.find(',');
      std::string_view tag = trim(text.substr(0, comma));
      text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
      if (!tag.empty()) supported_.emplace_back(tag);
    }
    return Status::ok();
  }

 private:
  Verdict run(MsgContext& ctx, std::uint32_t checks) {
    SanityFailure f = checkRequest(ctx.msg(), checks, supported_);
    if (f.code == 0) return Verdict::ok();
    failed_.inc();
    if (ctx.msg().method() != Method::kAck) {
      sendStatelessReply(ctx, f.code, f.reason, "", f.extra_headers);
      ctx.replied = true;
    }
    return Verdict::fail();
  }

  std::string supported_text_;
  // from_tag is opt-in: RFC 2543 clients send no From tag and must still be served
  // (RFC 4475 inv2543).
  std::string default_checks_text_ =
      "ruri_scheme,max_forwards,proxy_require,expires,content_length";
  std::vector<std::string> supported_;
  StatCounter failed_;
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("sanity", sipline::SanityModule)
