// A well-formed test module for the loader tests: typed params, a command, a statistic.
#include "core/module/module.h"

namespace sipline {
namespace {

class GoodModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.param("count", &count_, IntRange{1, 10});
    spec.param("mode", &mode_, OneOf{{"fast", "safe"}});
    spec.param("enabled", &enabled_);
    spec.command("good_cmd", {ArgSpec::str("text")}, kRequestRoute,
                 [](const ScriptArgs&, BindContext&) -> Result<BoundCallPtr> {
                   return makeCall([](MsgContext&) { return Verdict::ok(); });
                 });
    spec.stat("calls", &calls_);
  }

 private:
  std::int64_t count_ = 1;
  std::string mode_ = "safe";
  bool enabled_ = false;
  StatCounter calls_;
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("good", sipline::GoodModule)
