#include "modules/dialog/kv_codec.h"

#include <charconv>

namespace sipline::dialog {
namespace {

void appendField(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out.append(field.data(), field.size());
}

bool readField(std::string_view text, std::size_t& pos, std::string& out) {
  std::size_t colon = text.find(':', pos);
  if (colon == std::string_view::npos || colon == pos) return false;
  std::size_t len = 0;
  auto [end, ec] = std::from_chars(text.data() + pos, text.data() + colon, len);
  if (ec != std::errc() || end != text.data() + colon) return false;
  if (len > text.size() - colon - 1) return false;
  out.assign(text.substr(colon + 1, len));
  pos = colon + 1 + len;
  return true;
}

}  // namespace

std::string encodeKv(const KvList& list) {
  std::string out;
  for (const auto& [name, value] : list) {
    appendField(out, name);
    appendField(out, value);
  }
  return out;
}

bool decodeKv(std::string_view text, KvList& out) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::string name;
    std::string value;
    if (!readField(text, pos, name) || !readField(text, pos, value)) return false;
    out.emplace_back(std::move(name), std::move(value));
  }
  return true;
}

const std::string* findKv(const KvList& list, std::string_view name) {
  for (const auto& kv : list) {
    if (kv.first == name) return &kv.second;
  }
  return nullptr;
}

}  // namespace sipline::dialog
