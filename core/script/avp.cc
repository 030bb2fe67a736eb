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

}  // namespace sipline::script
