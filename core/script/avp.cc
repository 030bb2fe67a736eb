#include "core/script/avp.h"

namespace sipline::script {
namespace {

// A copy that owns its text, so a stored value never points into a message or another value.

}  // namespace

void AvpStore::push(std::string_view name, const Value& v) {
  items_.emplace_back(std::string(name), v.ownedCopy());
}

long AvpStore::find(std::string_view name, int index) const {
  if (index < 0) {
    // -1 is the oldest: walk from the front.
    int seen = 0;
    for (std::size_t i = 0; i < items_.size(); ++i) {
      if (items_[i].first == name && --seen == index) return static_cast<long>(i);
    }
    return -1;
  }
  int seen = 0;
  for (std::size_t i = items_.size(); i-- > 0;) {
    if (items_[i].first == name && seen++ == index) return static_cast<long>(i);
  }
  return -1;
}

const Value* AvpStore::get(std::string_view name, int index) const {
  long at = find(name, index);
  return at < 0 ? nullptr : &items_[static_cast<std::size_t>(at)].second;
}

int AvpStore::count(std::string_view name) const {
  int n = 0;
  for (const auto& item : items_) n += item.first == name ? 1 : 0;
  return n;
}

bool AvpStore::replace(std::string_view name, int index, const Value& v) {
  long at = find(name, index);
  if (at < 0) return false;
  // Copy before assigning: v may be a view of the value being replaced.
  Value copy = v.ownedCopy();
  items_[static_cast<std::size_t>(at)].second = std::move(copy);
  return true;
}

bool AvpStore::eraseAt(std::string_view name, int index) {
  long at = find(name, index);
  if (at < 0) return false;
  items_.erase(items_.begin() + at);
  return true;
}

void AvpStore::erase(std::string_view name) {
  std::erase_if(items_, [name](const auto& item) { return item.first == name; });
}

namespace {

// "<n>:" then n bytes; advances `text`.
bool readCounted(std::string_view& text, std::string_view& out) {
  std::size_t colon = text.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon > 9) return false;
  std::size_t n = 0;
  for (std::size_t i = 0; i < colon; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    n = n * 10 + static_cast<std::size_t>(text[i] - '0');
  }
  if (text.size() - colon - 1 < n) return false;
  out = text.substr(colon + 1, n);
  text.remove_prefix(colon + 1 + n);
  return true;
}

void writeCounted(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out.append(s);
}

}  // namespace

std::string AvpStore::serialize() const {
  std::string out;
  for (const auto& [name, value] : items_) {
    if (value.isNull()) continue;
    out += value.isInt() ? 'i' : 's';
    writeCounted(out, name);
    writeCounted(out, value.isInt() ? std::to_string(value.i()) : std::string(value.str()));
  }
  return out;
}

bool AvpStore::deserialize(std::string_view text) {
  items_.clear();
  while (!text.empty()) {
    char type = text[0];
    text.remove_prefix(1);
    std::string_view name, value;
    if ((type != 'i' && type != 's') || !readCounted(text, name) || !readCounted(text, value)) {
      items_.clear();
      return false;
    }
    if (type == 'i') {
      std::int64_t n = 0;
      if (!parseInt(value, n)) {
        items_.clear();
        return false;
      }
      items_.emplace_back(std::string(name), Value::integer(n));
    } else {
      items_.emplace_back(std::string(name), Value::owned(std::string(value)));
    }
  }
  return true;
}

}  // namespace sipline::script
