#include "modules/rtpengine/bencode.h"

#include <limits>
#include <set>

#include "core/base/strings.h"

namespace sipline::rtpengine {

Bencode Bencode::integer(std::int64_t v) {
  Bencode b(Type::kInt);
  b.int_ = v;
  return b;
}

Bencode Bencode::string(std::string s) {
  Bencode b(Type::kString);
  b.str_ = std::move(s);
  return b;
}

Bencode Bencode::list() { return Bencode(Type::kList); }
Bencode Bencode::dict() { return Bencode(Type::kDict); }

Bencode& Bencode::push(Bencode v) {
  items_.push_back(std::move(v));
  return items_.back();
}

Bencode& Bencode::set(std::string key, Bencode v) {
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) return items_[i] = std::move(v);
  }
  keys_.push_back(std::move(key));
  items_.push_back(std::move(v));
  return items_.back();
}

Bencode& Bencode::add(std::string key, Bencode v) {
  keys_.push_back(std::move(key));
  items_.push_back(std::move(v));
  return items_.back();
}

const Bencode* Bencode::get(std::string_view key) const {
  if (type_ != Type::kDict) return nullptr;
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) return &items_[i];
  }
  return nullptr;
}

Bencode* Bencode::get(std::string_view key) {
  return const_cast<Bencode*>(static_cast<const Bencode*>(this)->get(key));
}

std::string_view Bencode::getString(std::string_view key) const {
  const Bencode* v = get(key);
  return v != nullptr && v->isString() ? std::string_view(v->str_) : std::string_view();
}

void Bencode::encode(std::string& out) const {
  switch (type_) {
    case Type::kInt:
      out += 'i';
      appendDecimal(out, int_);
      out += 'e';
      return;
    case Type::kString:
      appendDecimal(out, static_cast<std::int64_t>(str_.size()));
      out += ':';
      out += str_;
      return;
    case Type::kList:
      out += 'l';
      for (const Bencode& b : items_) b.encode(out);
      out += 'e';
      return;
    case Type::kDict:
      out += 'd';
      for (std::size_t i = 0; i < keys_.size(); ++i) {
        appendDecimal(out, static_cast<std::int64_t>(keys_[i].size()));
        out += ':';
        out += keys_[i];
        items_[i].encode(out);
      }
      out += 'e';
      return;
  }
}

std::string Bencode::encode() const {
  std::string out;
  encode(out);
  return out;
}

namespace {

class Decoder {
 public:
  Decoder(std::string_view in, DecodeLimits limits) : in_(in), limits_(limits) {}

  Result<Bencode> run() {
    Bencode v;
    if (!value(v, 0)) return fail();
    if (pos_ != in_.size()) {
      error_ = "trailing data";
      return fail();
    }
    return v;
  }

 private:
  Status fail() const {
    return Status::invalidArgument("bencode: " + error_ + " at offset " + std::to_string(pos_));
  }
  bool err(const char* what) {
    error_ = what;
    return false;
  }
  bool isDigit(char c) const { return c >= '0' && c <= '9'; }

  // Digits up to `end` (exclusive) as a non-negative number without leading zeros.
  bool number(char end, std::uint64_t max, std::uint64_t& out) {
    std::size_t start = pos_;
    out = 0;
    while (pos_ < in_.size() && isDigit(in_[pos_])) {
      std::uint64_t d = static_cast<std::uint64_t>(in_[pos_] - '0');
      if (out > (max - d) / 10) return err("number too large");
      out = out * 10 + d;
      ++pos_;
    }
    if (pos_ == start) return err("digit expected");
    if (in_[start] == '0' && pos_ - start > 1) return err("leading zero");
    if (pos_ >= in_.size() || in_[pos_] != end)
      return err(end == ':' ? "':' expected" : "'e' expected");
    ++pos_;
    return true;
  }

  bool string(std::string_view& out) {
    std::uint64_t len = 0;
    if (!number(':', std::numeric_limits<std::uint32_t>::max(), len)) return false;
    if (len > in_.size() - pos_) return err("string longer than the input");
    out = in_.substr(pos_, static_cast<std::size_t>(len));
    pos_ += static_cast<std::size_t>(len);
    return true;
  }

  bool value(Bencode& out, std::size_t depth) {
    if (++values_ > limits_.max_values) return err("too many values");
    if (pos_ >= in_.size()) return err("unexpected end");
    char c = in_[pos_];
    if (c == 'i') {
      ++pos_;
      bool neg = pos_ < in_.size() && in_[pos_] == '-';
      if (neg) ++pos_;
      std::uint64_t mag = 0;
      std::uint64_t max =
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + (neg ? 1 : 0);
      if (!number('e', max, mag)) return false;
      if (neg && mag == 0) return err("negative zero");
      out = Bencode::integer(neg ? static_cast<std::int64_t>(0 - mag)
                                 : static_cast<std::int64_t>(mag));
      return true;
    }
    if (isDigit(c)) {
      std::string_view s;
      if (!string(s)) return false;
      out = Bencode::string(std::string(s));
      return true;
    }
    if (c != 'l' && c != 'd') return err("unexpected character");
    if (depth >= limits_.max_depth) return err("nested too deeply");
    ++pos_;
    out = c == 'l' ? Bencode::list() : Bencode::dict();
    std::set<std::string_view> seen;
    for (;;) {
      if (pos_ >= in_.size()) return err("unterminated list or dictionary");
      if (in_[pos_] == 'e') {
        ++pos_;
        return true;
      }
      if (c == 'l') {
        Bencode item;
        if (!value(item, depth + 1)) return false;
        out.push(std::move(item));
      } else {
        if (!isDigit(in_[pos_])) return err("dictionary key must be a string");
        std::string_view key;
        if (!string(key)) return false;
        if (!seen.insert(key).second) return err("duplicate dictionary key");
        Bencode item;
        if (!value(item, depth + 1)) return false;
        out.add(std::string(key), std::move(item));
      }
    }
  }

  std::string_view in_;
  DecodeLimits limits_;
  std::size_t pos_ = 0;
  std::size_t values_ = 0;
  std::string error_;
};

}  // namespace

Result<Bencode> decodeBencode(std::string_view in, DecodeLimits limits) {
  return Decoder(in, limits).run();
}

}  // namespace sipline::rtpengine
