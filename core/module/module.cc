#include "core/module/module.h"

namespace sipline {

const char* paramTypeName(ParamSpec::Type type) {
  switch (type) {
    case ParamSpec::Type::kInt:
      return "integer";
    case ParamSpec::Type::kStr:
      return "string";
    case ParamSpec::Type::kBool:
      return "boolean";
  }
  return "?";
}

void ModuleSpec::param(std::string name, std::int64_t* target, IntRange range, std::string help) {
  ParamSpec p;
  p.name = std::move(name);
  p.type = ParamSpec::Type::kInt;
  p.int_target = target;
  p.range = range;
  p.help = std::move(help);
  params_.push_back(std::move(p));
}

void ModuleSpec::param(std::string name, std::string* target, std::string help) {
  param(std::move(name), target, OneOf{}, std::move(help));
}

void ModuleSpec::param(std::string name, std::string* target, OneOf allowed, std::string help) {
  ParamSpec p;
  p.name = std::move(name);
  p.type = ParamSpec::Type::kStr;
  p.str_target = target;
  p.one_of = std::move(allowed.values);
  p.help = std::move(help);
  params_.push_back(std::move(p));
}

void ModuleSpec::param(std::string name, bool* target, std::string help) {
  ParamSpec p;
  p.name = std::move(name);
  p.type = ParamSpec::Type::kBool;
  p.bool_target = target;
  p.help = std::move(help);
  params_.push_back(std::move(p));
}

void ModuleSpec::command(std::string name, std::vector<ArgSpec> args, std::uint32_t route_mask,
                         BindFn bind, std::string help) {
  commands_.push_back(CommandSpec{std::move(name), std::move(args), route_mask, std::move(bind),
                                  std::move(help), module_});
}

void ModuleSpec::mi(std::string name, std::vector<MiParamSpec> params, std::string help,
                    MiHandler fn) {
  mi_.push_back(
      MiCommand{std::move(name), std::move(params), std::move(help), module_, std::move(fn)});
}

void ModuleSpec::stat(std::string name, StatCounter* counter, std::string help, StatKind kind) {
  stats_.push_back(StatDecl{std::move(name), counter, std::move(help), kind});
}

void ModuleSpec::timer(std::string name, std::uint32_t interval_ms, std::function<void()> fn) {
  timers_.push_back(TimerSpec{std::move(name), interval_ms, std::move(fn)});
}

void ModuleSpec::process(std::string name, std::function<int()> body, std::function<bool()> enabled,
                         bool stops_last) {
  processes_.push_back(
      ProcessSpec{std::move(name), std::move(body), std::move(enabled), stops_last});
}

}  // namespace sipline
