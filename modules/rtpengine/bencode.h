// Bencode values for rtpengine's ng control protocol: integers, byte strings, lists and
// dictionaries. Encoding keeps the dictionary's insertion order (rtpengine does not need
// sorted keys). Decoding is strict and bounded, for replies read off the network: the whole
// input must be one value, integers have no leading zeros or "-0" and fit in 64 bits, string
// lengths fit in the input, dictionary keys are strings and unique, nesting and the number of
// values are capped. Malformed input is an error, never a crash. Process-private.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace sipline::rtpengine {

class Bencode {
 public:
  enum class Type : std::uint8_t { kInt, kString, kList, kDict };

  Bencode() : type_(Type::kString) {}
  static Bencode integer(std::int64_t v);
  static Bencode string(std::string s);
  static Bencode list();
  static Bencode dict();

  Type type() const { return type_; }
  bool isInt() const { return type_ == Type::kInt; }
  bool isString() const { return type_ == Type::kString; }
  bool isList() const { return type_ == Type::kList; }
  bool isDict() const { return type_ == Type::kDict; }

  std::int64_t intValue() const { return int_; }
  const std::string& str() const { return str_; }
  // List items, or dictionary values (in key order of keys()).
  const std::vector<Bencode>& items() const { return items_; }
  const std::vector<std::string>& keys() const { return keys_; }

  // List: appends. Returns the new item.
  Bencode& push(Bencode v);
  // Dictionary: sets key (replacing an existing one). Returns the value.
  Bencode& set(std::string key, Bencode v);
  // Dictionary: appends key without looking for an existing one (the decoder checked).
  Bencode& add(std::string key, Bencode v);
  // Dictionary: the value of key, nullptr when absent (or not a dictionary).
  const Bencode* get(std::string_view key) const;
  Bencode* get(std::string_view key);
  // Dictionary: the string value of key, "" when absent or not a string.
  std::string_view getString(std::string_view key) const;

  void encode(std::string& out) const;
  std::string encode() const;

 private:
  explicit Bencode(Type t) : type_(t) {}
  Type type_;
  std::int64_t int_ = 0;
  std::string str_;
  std::vector<std::string> keys_;
  std::vector<Bencode> items_;
};

struct DecodeLimits {
  std::size_t max_depth = 16;
  std::size_t max_values = 20000;
};

// One value spanning all of `in`. invalidArgument says what is wrong and at which offset.
Result<Bencode> decodeBencode(std::string_view in, DecodeLimits limits = {});

}  // namespace sipline::rtpengine
