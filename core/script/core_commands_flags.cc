// Message flags (setflag/resetflag/isflagset: MsgContext::flags) and branch flags
// (setbflag/resetbflag/isbflagset: branch 0's MsgContext::bflags or an appended branch's).
// Flags are numbers 0..31, checked when the script loads.
#include <string>
#include <vector>

#include "core/base/log.h"
#include "core/script/core_commands.h"
#include "core/script/script.h"
#include "core/sip/msg_context.h"

namespace sipline {
namespace {

enum class FlagOp : std::uint8_t { kSet, kReset, kTest };

Verdict applyFlag(std::uint32_t& flags, std::uint32_t bit, FlagOp op) {
  switch (op) {
    case FlagOp::kSet:
      flags |= bit;
      return Verdict::ok();
    case FlagOp::kReset:
      flags &= ~bit;
      return Verdict::ok();
    case FlagOp::kTest:
      break;
  }
  return (flags & bit) ? Verdict::ok() : Verdict::fail();
}

Result<std::uint32_t> flagBit(const ScriptArg& arg, BindContext& bc) {
  Result<IntArg> flag = bc.intArg(arg);
  if (!flag.isOk()) return flag.status();
  if (!flag.value().isConstant() || flag.value().constant() < 0 || flag.value().constant() > 31) {
    return bc.error(arg, Status::invalidArgument("a flag is a number 0..31"));
  }
  return 1u << flag.value().constant();
}

Result<BoundCallPtr> bindFlag(const ScriptArgs& args, BindContext& bc, FlagOp op) {
  Result<std::uint32_t> bit = flagBit(args[0], bc);
  if (!bit.isOk()) return bit.status();
  return makeCall(
      [bit = bit.value(), op](MsgContext& ctx) { return applyFlag(ctx.flags, bit, op); });
}

// setbflag(flag[, branch]): branch 0 (the request-URI) unless an index is given.
Result<BoundCallPtr> bindBranchFlag(const ScriptArgs& args, BindContext& bc, FlagOp op) {
  Result<std::uint32_t> bit = flagBit(args[0], bc);
  if (!bit.isOk()) return bit.status();
  IntArg branch(std::int64_t{0});
  if (args.size() > 1) {
    Result<IntArg> b = bc.intArg(args[1]);
    if (!b.isOk()) return b.status();
    branch = std::move(b.value());
    if (branch.isConstant() &&
        (branch.constant() < 0 ||
         branch.constant() >= static_cast<std::int64_t>(MsgContext::kMaxBranches))) {
      return bc.error(
          args[1], Status::invalidArgument("a branch index is a number 0.." +
                                           std::to_string(MsgContext::kMaxBranches - 1) +
                                           " (0: the "
                                           "request-URI, 1..: branches added by append_branch)"));
    }
  }
  return makeCall(
      [bit = bit.value(), op, branch = std::move(branch),
       site = ScriptErrorSite(bc.pos(), op == FlagOp::kSet     ? "setbflag"
                                        : op == FlagOp::kReset ? "resetbflag"
                                                               : "isbflagset")](MsgContext& ctx) {
        std::int64_t index = 0;
        std::uint32_t* flags = nullptr;
        if (branch.eval(ctx, index) && index >= 0) {
          flags = ctx.branchFlags(static_cast<std::size_t>(index));
        }
        if (flags == nullptr) {
          if (op != FlagOp::kTest) {
            site.report(ctx, "no branch %lld to change flags of", static_cast<long long>(index));
          }
          return Verdict::fail();
        }
        return applyFlag(*flags, bit, op);
      });
}

CommandSpec flagSpec(const char* name, FlagOp op, const char* help) {
  return {name,      {ArgSpec::integer("flag")},
          kAnyRoute, [op](const ScriptArgs& a, BindContext& bc) { return bindFlag(a, bc, op); },
          help,      "core"};
}

CommandSpec branchFlagSpec(const char* name, FlagOp op, const char* help) {
  return {name,
          {ArgSpec::integer("flag"), ArgSpec::integer("branch").opt()},
          kCoreMsgRoutes,
          [op](const ScriptArgs& a, BindContext& bc) { return bindBranchFlag(a, bc, op); },
          help,
          "core"};
}

}  // namespace

void addFlagCommands(std::vector<CommandSpec>& specs) {
  specs.push_back(flagSpec("setflag", FlagOp::kSet, "setflag(n): sets message flag n (0..31)"));
  specs.push_back(flagSpec("resetflag", FlagOp::kReset, "resetflag(n): clears message flag n"));
  specs.push_back(
      flagSpec("isflagset", FlagOp::kTest, "isflagset(n): true when message flag n is set"));
  specs.push_back(branchFlagSpec(
      "setbflag", FlagOp::kSet,
      "setbflag(n[, branch]): sets flag n (0..31) of a branch (0, the default: the request-URI)"));
  specs.push_back(branchFlagSpec("resetbflag", FlagOp::kReset,
                                 "resetbflag(n[, branch]): clears flag n of a branch"));
  specs.push_back(branchFlagSpec("isbflagset", FlagOp::kTest,
                                 "isbflagset(n[, branch]): true when flag n of the branch is set"));
}

}  // namespace sipline
