#include "tools/siplinectl/mi_args.h"

#include <algorithm>

namespace sipline::ctl {

namespace {

// The NAME of NAME=VALUE, "" when `arg` is a plain value ("sip:a@b;x=y" is one: ':' and '@'
// cannot be in a param name).
std::string paramName(const std::string& arg) {
  const std::size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0) return "";
  const std::string name = arg.substr(0, eq);
  if (!(name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z'))) return "";
  if (name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
    return "";
  }
  return name;
}

bool isInteger(const std::string& text) {
  const std::size_t digits = text[0] == '-' ? 1 : 0;
  return text.size() > digits && text.find_first_not_of("0123456789", digits) == std::string::npos;
}

// Doubles hold 15 significant digits for sure; a longer number is an identifier, not a value.
bool tooManyDigits(const std::string& number) {
  const std::size_t end = std::min(number.find_first_of("eE"), number.size());
  return std::count_if(number.begin(), number.begin() + static_cast<std::ptrdiff_t>(end),
                       [](char c) { return c >= '0' && c <= '9'; }) > 15;
}

Json jsonOrText(const std::string& text) {
  // Only texts that start like a JSON value: a word such as "info" or "1.2.3.4" stays a string.
  const char c = text[0];
  const bool jsonish = c == '"' || c == '[' || c == '{' || c == '-' || (c >= '0' && c <= '9') ||
                       text == "true" || text == "false" || text == "null";
  if (!jsonish) return Json(text);
  Json parsed = Json::parse(text, nullptr, false);
  if (parsed.is_discarded()) return Json(text);
  if (parsed.is_number() && tooManyDigits(text)) return Json(text);
  return parsed;
}

std::string typeOf(const MiParamTypes& types, const std::string& name) {
  for (const auto& [n, t] : types) {
    if (n == name) return t;
  }
  return "";
}

}  // namespace

MiParamTypes miParamTypesFromHelp(const Json& help) {
  MiParamTypes out;
  if (!help.is_object()) return out;
  const auto params = help.find("params");
  if (params == help.end() || !params->is_array()) return out;
  for (const Json& p : *params) {
    if (!p.is_object()) return {};
    const auto name = p.find("name");
    const auto type = p.find("type");
    if (name == p.end() || !name->is_string() || type == p.end() || !type->is_string()) return {};
    out.emplace_back(name->get<std::string>(), type->get<std::string>());
  }
  return out;
}

Json miValue(const std::string& text, std::string_view type) {
  if (type == "string" || text.empty()) return Json(text);
  if (type == "int") return isInteger(text) ? Json::parse(text, nullptr, false) : Json(text);
  if (type == "bool") {
    if (text == "true" || text == "false") return Json(text == "true");
    return Json(text);
  }
  return jsonOrText(text);  // "any", or not known
}

Result<Json> miParamsFromArgs(const std::vector<std::string>& args, const MiParamTypes& types) {
  if (args.empty()) return Json(nullptr);
  Json by_name = Json::object();
  Json by_position = Json::array();
  for (const std::string& arg : args) {
    const std::string name = paramName(arg);
    if (name.empty()) {
      const std::size_t index = by_position.size();
      by_position.push_back(miValue(arg, index < types.size() ? types[index].second : ""));
      continue;
    }
    if (by_name.contains(name)) {
      return Status::invalidArgument("param '" + name + "' given twice");
    }
    by_name[name] = miValue(arg.substr(name.size() + 1), typeOf(types, name));
  }
  if (!by_name.empty() && !by_position.empty()) {
    return Status::invalidArgument(
        "give every param as NAME=VALUE or every param by position, not both (a value "
        "with '=' is by position when the text before '=' is no param name)");
  }
  return by_name.empty() ? by_position : by_name;
}

}  // namespace sipline::ctl
