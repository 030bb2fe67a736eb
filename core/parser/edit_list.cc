#include "core/parser/edit_list.h"

#include <algorithm>
#include <utility>

namespace sipline {

void EditList::insert(std::size_t offset, std::string text) {
  edits_.push_back(Edit{offset, 0, std::move(text), 0});
}

void EditList::remove(std::size_t offset, std::size_t length) {
  // Removing the same range twice (remove_hf twice in a script) is one removal.
  for (const Edit& e : edits_) {
    if (e.offset == offset && e.length == length && e.text.empty() && length != 0) return;
  }
  edits_.push_back(Edit{offset, length, std::string(), 0});
}

void EditList::replace(std::size_t offset, std::size_t length, std::string text) {
  edits_.push_back(Edit{offset, length, std::move(text), 0});
}

void EditList::replaceKeyed(std::uint32_t key, std::size_t offset, std::size_t length,
                            std::string text) {
  if (key != 0) {
    for (Edit& e : edits_) {
      if (e.key == key) {
        e.offset = offset;
        e.length = length;
        e.text = std::move(text);
        return;
      }
    }
  }
  edits_.push_back(Edit{offset, length, std::move(text), key});
}

bool EditList::build(std::string_view original, std::string& out) const {
  out.clear();
  if (edits_.empty()) {
    out.assign(original);
    return true;
  }
  std::vector<const Edit*> order;
  order.reserve(edits_.size());
  std::size_t grow = 0;
  for (const Edit& e : edits_) {
    if (e.offset > original.size() || e.length > original.size() - e.offset) return false;
    order.push_back(&e);
    grow += e.text.size();
  }
  // Stable: same offset and kind keep call order; inserts sort before a removal there.
  std::stable_sort(order.begin(), order.end(), [](const Edit* a, const Edit* b) {
    if (a->offset != b->offset) return a->offset < b->offset;
    return a->length == 0 && b->length != 0;
  });
  out.reserve(original.size() + grow);
  std::size_t cursor = 0;  // next original byte not yet copied or skipped
  for (const Edit* e : order) {
    if (e->offset < cursor) return false;  // inside or overlapping a removed range
    out.append(original.substr(cursor, e->offset - cursor));
    out.append(e->text);
    cursor = e->offset + e->length;
  }
  out.append(original.substr(cursor));
  return true;
}

}  // namespace sipline
