#include "modules/registrar/flags.h"

#include <vector>

#include "core/base/strings.h"

namespace sipline::registrar {
namespace {

// Splits "a, b=1 ,c" into trimmed words; an empty word (",,") is an error.
bool splitWords(std::string_view text, std::vector<std::string_view>& out) {
  text = trim(text);
  if (text.empty()) return true;
  while (true) {
    std::size_t comma = text.find(',');
    std::string_view word = trim(text.substr(0, comma));
    if (word.empty()) return false;
    out.push_back(word);
    if (comma == std::string_view::npos) return true;
    text.remove_prefix(comma + 1);
  }
}

// "name=value" → name, value ("" and has_value false without '=').
void splitValue(std::string_view word, std::string_view& name, std::string_view& value,
                bool& has_value) {
  std::size_t eq = word.find('=');
  has_value = eq != std::string_view::npos;
  name = trim(word.substr(0, eq));
  value = has_value ? trim(word.substr(eq + 1)) : std::string_view();
}

Status unknownFlag(std::string_view word, const std::vector<std::string_view>& names,
                   const char* legacy_hint) {
  std::string hint = didYouMean(word, names);
  if (hint.empty() && word.size() <= 4) hint = std::string(" (") + legacy_hint + ")";
  return Status::invalidArgument("unknown flag '" + std::string(word) + "'" + hint);
}

Result<std::int64_t> nonNegative(std::string_view name, std::string_view value, bool has_value,
                                 std::int64_t max) {
  std::int64_t v = 0;
  if (!has_value || !parseInt(value, v) || v < 0 || v > max) {
    return Status::invalidArgument("flag '" + std::string(name) + "' needs a number 0.." +
                                   std::to_string(max) + ", got '" + std::string(value) + "'");
  }
  return v;
}

Status noValue(std::string_view name) {
  return Status::invalidArgument("flag '" + std::string(name) + "' takes no value");
}

}  // namespace

Result<SaveFlags> parseSaveFlags(std::string_view text) {
  static const std::vector<std::string_view> kNames = {
      "memory-only",  "no-reply",    "force-registration", "path-off",
      "path-lazy",    "path-strict", "path-received",      "only-request-contacts",
      "max-contacts", "min-expires", "max-expires"};
  std::vector<std::string_view> words;
  if (!splitWords(text, words))
    return Status::invalidArgument("empty flag in '" + std::string(text) + "'");
  SaveFlags f;
  for (std::string_view word : words) {
    std::string_view name, value;
    bool has_value = false;
    splitValue(word, name, value, has_value);
    bool* boolean = nullptr;
    if (name == "memory-only")
      boolean = &f.memory_only;
    else if (name == "no-reply")
      boolean = &f.no_reply;
    else if (name == "force-registration")
      boolean = &f.force;
    else if (name == "path-received")
      boolean = &f.path_received;
    else if (name == "only-request-contacts")
      boolean = &f.only_request_contacts;
    if (boolean != nullptr) {
      if (has_value) return noValue(name);
      *boolean = true;
      continue;
    }
    if (name == "path-off" || name == "path-lazy" || name == "path-strict") {
      if (has_value) return noValue(name);
      f.path_mode = name == "path-off"    ? PathMode::kOff
                    : name == "path-lazy" ? PathMode::kLazy
                                          : PathMode::kStrict;
      continue;
    }
    std::optional<std::int64_t>* number = nullptr;
    std::int64_t max = 0;
    if (name == "max-contacts")
      number = &f.max_contacts, max = 1000000;
    else if (name == "min-expires")
      number = &f.min_expires, max = 0xffffffffLL;
    else if (name == "max-expires")
      number = &f.max_expires, max = 0xffffffffLL;
    if (number == nullptr) {
      return unknownFlag(name, kNames,
                         "OpenSIPS 3.x spells the old letters out: m memory-only, r no-reply, "
                         "cN max-contacts=N, f force-registration, p0/p1/p2 "
                         "path-off/path-lazy/path-strict, v path-received, eN min-expires=N, "
                         "EN max-expires=N");
    }
    Result<std::int64_t> v = nonNegative(name, value, has_value, max);
    if (!v.isOk()) return v.status();
    *number = v.value();
  }
  return f;
}

Result<LookupFlags> parseLookupFlags(std::string_view text) {
  static const std::vector<std::string_view> kNames = {
      "no-branches", "to-branches-only", "method-filtering", "ua-filtering", "case-insensitive"};
  std::vector<std::string_view> words;
  if (!splitWords(text, words))
    return Status::invalidArgument("empty flag in '" + std::string(text) + "'");
  LookupFlags f;
  for (std::string_view word : words) {
    std::string_view name, value;
    bool has_value = false;
    splitValue(word, name, value, has_value);
    if (name == "ua-filtering") {
      // The value is /regexp/, as in OpenSIPS.
      if (!has_value || value.size() < 3 || value.front() != '/' || value.back() != '/') {
        return Status::invalidArgument("flag 'ua-filtering' needs a /regexp/, got '" +
                                       std::string(value) + "'");
      }
      f.ua_regex = std::string(value.substr(1, value.size() - 2));
      continue;
    }
    bool* boolean = nullptr;
    if (name == "no-branches")
      boolean = &f.no_branches;
    else if (name == "to-branches-only")
      boolean = &f.to_branches_only;
    else if (name == "method-filtering")
      boolean = &f.method_filtering;
    else if (name == "case-insensitive")
      boolean = &f.ua_case_insensitive;
    if (boolean == nullptr) {
      return unknownFlag(name, kNames,
                         "OpenSIPS 3.x spells the old letters out: b no-branches, B "
                         "to-branches-only, m method-filtering, u/re/ ua-filtering=/re/, i "
                         "case-insensitive");
    }
    if (has_value) return noValue(name);
    *boolean = true;
  }
  if (f.no_branches && f.to_branches_only) {
    return Status::invalidArgument("flags 'no-branches' and 'to-branches-only' exclude each other");
  }
  if (f.ua_case_insensitive && f.ua_regex.empty()) {
    return Status::invalidArgument("flag 'case-insensitive' only applies to 'ua-filtering'");
  }
  return f;
}

}  // namespace sipline::registrar
