// A test module that needs a module nobody loaded: the loader must name both.
#include "core/module/module.h"

namespace sipline {
namespace {
class NeedsMissing : public Module {
 public:
  void describe(ModuleSpec& spec) override { spec.dependsOn("usrloc"); }
};
}  // namespace
}  // namespace sipline

SIPLINE_MODULE("needs_missing", sipline::NeedsMissing)
