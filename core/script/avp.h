// AvpStore: the $avp(name) values of one message: named, multi-valued, in the order OpenSIPS
// gives them ($avp(x)[0] is the value added last). Lives in the MsgContext now and moves into
// the transaction when the stateful proxy keeps state. Process-private.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/script/value.h"

namespace sipline::script {

class AvpStore {
 public:
  // Adds a value on top: it becomes $avp(name)[0].
  void push(std::string_view name, const Value& v);
  // The index-th value of name (0 = newest); nullptr when there is none.
  const Value* get(std::string_view name, int index = 0) const;
  int count(std::string_view name) const;
  // Removes every value of name.
  void erase(std::string_view name);
  bool empty() const { return items_.empty(); }
  void clear() { items_.clear(); }

 private:
  std::vector<std::pair<std::string, Value>> items_;  // oldest first
};

}  // namespace sipline::script
