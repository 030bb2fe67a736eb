#include "core/script/format.h"

#include <cctype>

#include "core/sip/msg_context.h"

namespace sipline {
namespace {

bool isNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Where the pseudo-variable starting at `start` (just after '$') ends: after its name, its
// "(...)" (nested parentheses allowed, as in "$(hdr(Via)[1]{s.len})") and an optional
// "[...]" after it. Returns start when there is no name (a literal '$'), npos when a '(' is not
// closed.
std::size_t pvarEnd(std::string_view text, std::size_t start) {
  std::size_t j = start;
  while (j < text.size() && isNameChar(text[j])) ++j;
  if (j + 1 < text.size() && text[j] == '.' && isNameChar(text[j + 1]) &&
      script::isDottedPvarFamily(text.substr(start, j - start))) {
    ++j;  // "$err.info"
    while (j < text.size() && isNameChar(text[j])) ++j;
  }
  if (j == start && (j >= text.size() || text[j] != '(')) return start;
  if (j >= text.size() || text[j] != '(') return j;
  int depth = 0;
  do {
    if (j >= text.size()) return std::string_view::npos;
    depth += text[j] == '(' ? 1 : text[j] == ')' ? -1 : 0;
    ++j;
  } while (depth > 0);
  // An index only after "(...)" ("$avp(x)[1]"), so "$si[...]" stays "$si" and text.
  if (j < text.size() && text[j] == '[') {
    std::size_t end = text.find(']', j);
    if (end != std::string_view::npos) j = end + 1;
  }
  return j;
}

}  // namespace

Result<FormatPtr> Format::compile(std::string_view text) {
  auto f = std::make_shared<Format>();
  std::string literal;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c != '$') {
      literal += c;
      ++i;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '$') {
      literal += '$';
      i += 2;
      continue;
    }
    std::size_t j = pvarEnd(text, i + 1);
    if (j == i + 1) {
      literal += '$';
      ++i;
      continue;
    }
    if (j == std::string_view::npos) {
      return Status::invalidArgument("missing ')' after $" + std::string(text.substr(i + 1)));
    }
    Result<script::PvarRef> ref = script::resolvePvar(text.substr(i + 1, j - i - 1));
    if (!ref.isOk()) return ref.status();
    if (!literal.empty()) {
      f->pieces_.push_back(Piece{std::move(literal), {}, false});
      literal.clear();
    }
    f->pieces_.push_back(Piece{"", std::move(ref.value()), true});
    f->has_pvars_ = true;
    i = j;
  }
  if (!literal.empty()) f->pieces_.push_back(Piece{std::move(literal), {}, false});
  return FormatPtr(std::move(f));
}

std::string_view Format::eval(MsgContext& ctx, std::string& out) const {
  out.clear();
  for (const Piece& p : pieces_) {
    if (!p.is_pvar) {
      out += p.literal;
      continue;
    }
    script::Value v = p.pvar.get(ctx);
    if (v.isInt()) {
      out += std::to_string(v.i());
    } else if (v.isStr()) {
      out += v.str();
    } else {
      out += "<null>";
    }
  }
  return out;
}

}  // namespace sipline
