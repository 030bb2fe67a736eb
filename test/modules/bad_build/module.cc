// A test module built "with other flags": the loader must refuse its build id.
#include "core/module/module.h"

namespace sipline {
namespace {
class BadBuild : public Module {
 public:
  void describe(ModuleSpec&) override {}
};
ModulePtr create() { return std::make_unique<BadBuild>(); }
}  // namespace
}  // namespace sipline

extern "C" __attribute__((visibility("default"))) const sipline::ModuleEntry*
sipline_module_entry() {
  static const sipline::ModuleEntry entry{sipline::kModuleAbi, "0.0.0 clang++ 99 san=1",
                                          "bad_build", &sipline::create};
  return &entry;
}
