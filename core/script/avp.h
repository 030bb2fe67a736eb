// AvpStore: the $avp(name) values of one message: named, multi-valued, in the order OpenSIPS
// gives them ($avp(x)[0] is the value added last). Lives in the MsgContext now and moves into
// the transaction when the stateful proxy keeps state. Values are stored owned (never views
// into a message). Process-private.
//
// Indexes: 0 is the newest value, 1 the one added before it, ...; a negative index counts
// from the other end (-1 is the oldest value).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/script/value.h"

namespace sipline::script {

class AvpStore {
 public:
  // Adds a value on top: it becomes $avp(name)[0]. A string is copied.
  void push(std::string_view name, const Value& v);
  // The index-th value of name; nullptr when there is none.
  const Value* get(std::string_view name, int index = 0) const;
  int count(std::string_view name) const;
  // Calls fn(value) for every value of name, newest first, in one pass.
  template <class Fn>
  void forEach(std::string_view name, Fn fn) const {
    for (std::size_t i = items_.size(); i-- > 0;) {
      if (items_[i].first == name) fn(items_[i].second);
    }
  }
  // Replaces the index-th value; false (nothing changed) when there is none.
  bool replace(std::string_view name, int index, const Value& v);
  // Removes the index-th value; false when there is none.
  bool eraseAt(std::string_view name, int index);
  // Removes every value of name.
  void erase(std::string_view name);
  bool empty() const { return items_.empty(); }
  // A compact text form, so tm can keep the values with a transaction (in shm) and give
  // them back to its failure_route: per value "<type><name length>:<name><value length>:"
  // "<value>" with type i (integer) or s (string). deserialize() replaces the content; false
  // (and empty) when the text is not of that form.
  std::string serialize() const;
  bool deserialize(std::string_view text);
  void clear() { items_.clear(); }

 private:
  // Position in items_ of the index-th value of name, or -1.
  long find(std::string_view name, int index) const;
  std::vector<std::pair<std::string, Value>> items_;  // oldest first
};

}  // namespace sipline::script
