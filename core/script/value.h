// Value: what a script expression evaluates to: nothing, an integer or a string. A string is
// either a view (into the message, which outlives the evaluation) or owned. Process-private.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/strings.h"

namespace sipline::script {

class Value {
 public:
  enum class Type : std::uint8_t { kNull, kInt, kStr };
  Value() = default;
  static Value null() { return Value(); }
  static Value integer(std::int64_t i) {
    Value v;
    v.type_ = Type::kInt;
    v.i_ = i;
    return v;
  }
  // The view must stay valid while the value is used (message text, script constants).
  static Value view(std::string_view s) {
    Value v;
    v.type_ = Type::kStr;
    v.view_ = s;
    return v;
  }
  static Value owned(std::string s) {
    Value v;
    v.type_ = Type::kStr;
    v.owned_ = std::move(s);
    v.is_owned_ = true;
    return v;
  }

  Type type() const { return type_; }
  bool isNull() const { return type_ == Type::kNull; }
  bool isInt() const { return type_ == Type::kInt; }
  bool isStr() const { return type_ == Type::kStr; }
  std::int64_t i() const { return i_; }
  std::string_view str() const { return is_owned_ ? std::string_view(owned_) : view_; }
  // Integers as-is; strings when the whole string is a decimal number.
  bool toInt(std::int64_t& out) const {
    if (type_ == Type::kInt) {
      out = i_;
      return true;
    }
    return type_ == Type::kStr && parseInt(str(), out);
  }
  std::string toString() const {
    if (type_ == Type::kInt) return std::to_string(i_);
    if (type_ == Type::kStr) return std::string(str());
    return "<null>";
  }
  // A copy whose text no longer points into the message or a script constant.
  Value ownedCopy() const { return type_ == Type::kStr ? owned(std::string(str())) : *this; }
  // Truth of a value used as a condition: non-zero integer, non-empty string.
  bool truthy() const {
    if (type_ == Type::kInt) return i_ != 0;
    if (type_ == Type::kStr) return !str().empty();
    return false;
  }

 private:
  Type type_ = Type::kNull;
  std::int64_t i_ = 0;
  std::string_view view_;
  std::string owned_;
  bool is_owned_ = false;
};

}  // namespace sipline::script
