// maxfwd: mf_process_maxfwd_header(limit) for the routing script. Glue only; the work is in
// maxfwd.cc.
#include "core/module/module.h"
#include "core/sip/msg_context.h"
#include "modules/maxfwd/maxfwd.h"

namespace sipline {
namespace {

class MaxFwdModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.summary("Max-Forwards processing against forwarding loops");
    spec.description(
        "mf_process_maxfwd_header() applies the Max-Forwards rules of a proxy (RFC 3261 "
        "§16.3, §16.6): it decrements the header, or adds it with the given limit when it is "
        "missing. It returns 2 when it added the header, 1 when it decremented it, -1 when "
        "the request came with Max-Forwards 0 (the script answers 483 Too Many Hops) and -2 "
        "when the header is malformed or above 255.");
    spec.param("max_limit", &max_limit_, IntRange{0, 255},
               "upper bound for the Max-Forwards sent on (0 = none)");
    spec.command(
        "mf_process_maxfwd_header", {ArgSpec::integer("limit")}, kRequestRoute | kFailureRoute,
        [this](const ScriptArgs& args, BindContext& bc) -> Result<BoundCallPtr> {
          Result<IntArg> limit = bc.intArg(args[0]);
          if (!limit.isOk()) return limit.status();
          if (!limit.value().isConstant() || limit.value().constant() < 1 ||
              limit.value().constant() > 255) {
            return bc.error(args[0], Status::invalidArgument("limit must be a number 1..255"));
          }
          std::int64_t value = limit.value().constant();
          return makeCall([this, value](MsgContext& ctx) {
            if (!ctx.msg().isRequest()) return Verdict::fail(kMaxFwdBad);
            int rc = processMaxForwards(ctx, value, max_limit_);
            if (rc == kMaxFwdExceeded) exceeded_.inc();
            return Verdict::of(rc);
          });
        },
        "mf_process_maxfwd_header(limit): decrements Max-Forwards, or adds it with limit; "
        "false (-1) when it is 0");
    spec.stat("exceeded", &exceeded_, "requests whose Max-Forwards was 0");
  }

 private:
  std::int64_t max_limit_ = 0;
  StatCounter exceeded_;
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("maxfwd", sipline::MaxFwdModule)
