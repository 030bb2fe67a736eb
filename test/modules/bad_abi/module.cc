// A test module that claims another module ABI: the loader must refuse it.
#include "core/module/module.h"

namespace sipline {
namespace {
class BadAbi : public Module {
 public:
  void describe(ModuleSpec&) override {}
};
ModulePtr create() { return std::make_unique<BadAbi>(); }
}  // namespace
}  // namespace sipline

extern "C" __attribute__((visibility("default"))) const sipline::ModuleEntry*
sipline_module_entry() {
  static const sipline::ModuleEntry entry{sipline::kModuleAbi + 41, sipline::kBuildId, "bad_abi",
                                          &sipline::create};
  return &entry;
}
