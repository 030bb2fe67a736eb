#include "core/mi/mi_registry.h"

#include <algorithm>
#include <limits>
#include <set>
#include <utility>

#include "core/base/log.h"
#include "core/base/strings.h"

namespace sipline {
namespace {

const char* jsonKindName(const Json& value) {
  if (value.is_number_float()) return "float";
  if (value.is_number_integer()) return "int";
  if (value.is_boolean()) return "bool";
  return value.type_name();  // "string", "array", "object", "null"
}

bool hasType(const Json& value, MiParamType type) {
  switch (type) {
    case MiParamType::kString:
      return value.is_string();
    case MiParamType::kInt:
      if (value.is_number_unsigned()) {
        return value.get<std::uint64_t>() <=
               static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
      }
      return value.is_number_integer();
    case MiParamType::kBool:
      return value.is_boolean();
    case MiParamType::kAny:
      return true;
  }
  return false;
}

Status typeError(const MiCommand& cmd, const MiParamSpec& spec, const Json& value) {
  std::string got = jsonKindName(value);
  if (spec.type == MiParamType::kInt && value.is_number_unsigned()) got = "int beyond 64 bits";
  return Status::invalidArgument("param '" + spec.name + "' of '" + cmd.name + "' must be " +
                                 miParamTypeName(spec.type) + ", got " + got);
}

bool validCommandName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] < 'a' || name[0] > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Json paramJson(const MiParamSpec& spec) {
  Json out = Json::object();
  out["name"] = spec.name;
  out["type"] = miParamTypeName(spec.type);
  out["optional"] = spec.optional;
  out["help"] = spec.help;
  return out;
}

Result<Json> helpHandler(const MiRegistry& registry, const MiParams& params) {
  if (!params.has("command")) {
    Json list = Json::array();
    for (const MiCommand* cmd : registry.all()) {
      list.push_back(Json{{"name", cmd->name}, {"module", cmd->module}, {"help", cmd->help}});
    }
    return list;
  }
  std::string name = params.str("command");
  const MiCommand* cmd = registry.find(name);
  if (cmd == nullptr) {
    std::string message = "no such MI command: " + name;
    std::vector<std::string> close = registry.suggest(name);
    if (!close.empty()) {
      message += " (did you mean";
      for (std::size_t i = 0; i < close.size(); ++i) message += (i ? ", " : " ") + close[i];
      message += "?)";
    }
    return Status::notFound(message);
  }
  Json out = Json::object();
  out["name"] = cmd->name;
  out["module"] = cmd->module;
  out["usage"] = miUsage(*cmd);
  out["help"] = cmd->help;
  out["params"] = Json::array();
  for (const MiParamSpec& spec : cmd->params) out["params"].push_back(paramJson(spec));
  return out;
}

}  // namespace

const char* miParamTypeName(MiParamType type) {
  switch (type) {
    case MiParamType::kString:
      return "string";
    case MiParamType::kInt:
      return "int";
    case MiParamType::kBool:
      return "bool";
    case MiParamType::kAny:
      return "any";
  }
  return "?";
}

MiParams::MiParams(Json values) : values_(std::move(values)) {
  if (!values_.is_object()) values_ = Json::object();
}

const Json* MiParams::lookup(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool MiParams::has(std::string_view name) const { return lookup(name) != nullptr; }

std::string MiParams::str(std::string_view name, std::string fallback) const {
  const Json* value = lookup(name);
  return value != nullptr && value->is_string() ? value->get<std::string>() : fallback;
}

std::int64_t MiParams::integer(std::string_view name, std::int64_t fallback) const {
  const Json* value = lookup(name);
  return value != nullptr && hasType(*value, MiParamType::kInt) ? value->get<std::int64_t>()
                                                                : fallback;
}

bool MiParams::boolean(std::string_view name, bool fallback) const {
  const Json* value = lookup(name);
  return value != nullptr && value->is_boolean() ? value->get<bool>() : fallback;
}

const Json& MiParams::raw(std::string_view name) const {
  static const Json kNull;
  const Json* value = lookup(name);
  return value != nullptr ? *value : kNull;
}

Result<MiParams> bindMiParams(const MiCommand& cmd, const Json& params) {
  Json values = Json::object();
  if (params.is_array()) {
    if (params.size() > cmd.params.size()) {
      return Status::invalidArgument("'" + cmd.name + "' takes at most " +
                                     std::to_string(cmd.params.size()) + " params, got " +
                                     std::to_string(params.size()));
    }
    for (std::size_t i = 0; i < params.size(); ++i) values[cmd.params[i].name] = params[i];
  } else if (params.is_object()) {
    for (const auto& [key, value] : params.items()) {
      bool known = std::any_of(cmd.params.begin(), cmd.params.end(),
                               [&key](const MiParamSpec& spec) { return spec.name == key; });
      if (!known) {
        std::string message = "unknown param '" + key + "' for '" + cmd.name + "'";
        message += cmd.params.empty() ? " (it takes none)" : " (usage: " + miUsage(cmd) + ")";
        return Status::invalidArgument(message);
      }
      values[key] = value;
    }
  } else if (!params.is_null()) {
    return Status::invalidArgument("params of '" + cmd.name + "' must be an object or an array");
  }

  for (const MiParamSpec& spec : cmd.params) {
    auto it = values.find(spec.name);
    if (it == values.end() || it->is_null()) {
      if (!spec.optional) {
        return Status::invalidArgument("missing required param '" + spec.name + "' (" +
                                       miParamTypeName(spec.type) + ") of '" + cmd.name + "'");
      }
      if (it != values.end()) values.erase(it);
      continue;
    }
    if (!hasType(*it, spec.type)) return typeError(cmd, spec, *it);
  }
  return MiParams(std::move(values));
}

std::string miUsage(const MiCommand& cmd) {
  std::string out = cmd.name;
  for (const MiParamSpec& spec : cmd.params) {
    std::string one = spec.name + ":" + miParamTypeName(spec.type);
    out += spec.optional ? " [" + one + "]" : " " + one;
  }
  return out;
}

Status MiRegistry::add(MiCommand cmd) {
  if (!validCommandName(cmd.name)) {
    return Status::invalidArgument("bad MI command name '" + cmd.name + "' from module '" +
                                   cmd.module + "' (want [a-z][a-z0-9_]*, at most 64 chars)");
  }
  if (!cmd.handler) {
    return Status::invalidArgument("MI command '" + cmd.name + "' from module '" + cmd.module +
                                   "' has no handler");
  }
  std::set<std::string_view> seen;
  for (const MiParamSpec& spec : cmd.params) {
    if (spec.name.empty() || !seen.insert(spec.name).second) {
      return Status::invalidArgument("MI command '" + cmd.name + "' from module '" + cmd.module +
                                     "' has an empty or duplicate param name '" + spec.name + "'");
    }
  }
  auto it = commands_.find(cmd.name);
  if (it != commands_.end()) {
    return Status::alreadyExists("MI command '" + cmd.name + "' from module '" + cmd.module +
                                 "' is already registered by module '" + it->second.module + "'");
  }
  std::string name = cmd.name;
  commands_.emplace(std::move(name), std::move(cmd));
  return Status::ok();
}

const MiCommand* MiRegistry::find(std::string_view name) const {
  auto it = commands_.find(name);
  return it == commands_.end() ? nullptr : &it->second;
}

std::vector<const MiCommand*> MiRegistry::all() const {
  std::vector<const MiCommand*> out;
  out.reserve(commands_.size());
  for (const auto& [name, cmd] : commands_) out.push_back(&cmd);
  return out;
}

std::vector<std::string> MiRegistry::suggest(std::string_view name) const {
  if (name.empty() || name.size() > 256) return {};
  std::vector<std::pair<std::size_t, const std::string*>> scored;
  std::size_t max_distance = std::max<std::size_t>(2, name.size() / 3);
  for (const auto& [candidate, cmd] : commands_) {
    std::size_t distance = editDistance(name, candidate);
    bool contains = name.size() >= 3 && candidate.find(name) != std::string::npos;
    if (distance <= max_distance || contains) scored.emplace_back(distance, &candidate);
  }
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : *a.second < *b.second;
  });
  std::vector<std::string> out;
  for (std::size_t i = 0; i < scored.size() && i < 5; ++i) out.push_back(*scored[i].second);
  return out;
}

void registerBuiltinMiCommands(MiRegistry& registry) {
  MiCommand which;
  which.name = "which";
  which.help = "Lists the names of all MI commands.";
  which.module = "core";
  which.handler = [&registry](const MiParams&) -> Result<Json> {
    Json names = Json::array();
    for (const MiCommand* cmd : registry.all()) names.push_back(cmd->name);
    return names;
  };
  MiCommand help;
  help.name = "help";
  help.params = {{"command", MiParamType::kString, true, "the command to describe"}};
  help.help =
      "Describes one MI command (its module, usage, help and params); without 'command', lists "
      "every command with its help.";
  help.module = "core";
  help.handler = [&registry](const MiParams& params) { return helpHandler(registry, params); };
  for (MiCommand* cmd : {&which, &help}) {
    Status status = registry.add(std::move(*cmd));
    if (!status.isOk()) SL_ERR("mi: %s", status.message().c_str());
  }
}

}  // namespace sipline
