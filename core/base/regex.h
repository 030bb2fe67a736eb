// Regex: a POSIX extended regular expression, compiled once (at script load) and matched many
// times. Used by the script's =~ and by modules (textops). Case-insensitive by default, as in
// OpenSIPS scripts; substitutions ("/re/repl/flags", sed-like) choose with their 'i' flag.
// Matching never needs a NUL-terminated copy of the text (REG_STARTEND), so message bodies
// with NUL octets are searched whole. Process-private; not copyable.
//
// Substitution: a parsed "/re/repl/flags" expression (OpenSIPS subst syntax). The replacement
// is split at load into pieces: plain text (which a caller may expand further, e.g. the script
// layer turns "$ru" in it into the request-URI), escaped literals (\n \r \t \\ \$ \/) and group
// references (\0 the whole match, \1..\9). Flags: i (ignore case), g (every match), s (let '.'
// match line breaks and '^'/'$' only the ends of the text); without s, a match never crosses a
// line.
#pragma once

#include <regex.h>

#include <array>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace sipline {

// One match: offsets into the text given to Regex::find().
struct RegexMatch {
  static constexpr int kMaxGroups = 10;  // \0 .. \9
  struct Span {
    std::size_t begin = 0;
    std::size_t end = 0;
    bool matched = false;
  };
  std::array<Span, kMaxGroups> groups;  // groups[0]: the whole match
  std::size_t begin() const { return groups[0].begin; }
  std::size_t end() const { return groups[0].end; }
};

class Regex {
 public:
  struct Options {
    bool icase = true;
    bool per_line = false;  // '^'/'$' match at line breaks and '.' does not match them
    bool capture = false;   // find() reports groups (else only whether and where it matched)
  };

  Regex() = default;
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  // per_line: '^' and '$' match at line breaks too (searching a whole message).
  // On failure the Status carries regcomp's message.
  Status compile(const std::string& pattern, bool per_line = false);
  Status compile(const std::string& pattern, const Options& options);
  bool matches(std::string_view text) const;
  // The first match starting at or after `from` (whose context, for '^' and line starts, is
  // the whole text). False when there is none or from > text.size().
  bool find(std::string_view text, std::size_t from, RegexMatch& out) const;
  // Number of parenthesised groups in the pattern.
  std::size_t groupCount() const { return ok_ ? re_.re_nsub : 0; }

 private:
  regex_t re_{};
  bool ok_ = false;
  bool capture_ = false;
};

class Substitution {
 public:
  struct Piece {
    // kUri: "\\u", the request-URI; its text is "" and the expander, if any, provides it.
    enum class Kind : std::uint8_t { kText, kLiteral, kGroup, kUri };
    Kind kind = Kind::kText;
    std::string text;  // kText, kLiteral
    int group = 0;     // kGroup
  };
  // Appends the expansion of the kText or kUri piece with index `piece` to out (the default
  // appends its text as is).
  using TextExpander = std::function<void(std::size_t piece, std::string& out)>;
  // Called for each replaced range [begin, end) of the subject, in order.
  using OnMatch = std::function<void(std::size_t begin, std::size_t end, std::string replacement)>;

  // Parses "<sep>regex<sep>replacement<sep>flags"; any character but '\' may be the separator.
  // Errors (invalidArgument) say what is wrong: missing separator, unknown flag or escape, a
  // group the regex does not have, or regcomp's message.
  Status compile(std::string_view expr);

  const std::vector<Piece>& pieces() const { return pieces_; }
  bool global() const { return global_; }
  const Regex& regex() const { return re_; }

  // Finds the first (flag g: every) match in subject and reports each with its replacement.
  // As in sed, a zero-length match counts ("/^/+49/" prefixes), except right after the
  // previous match. Returns how many.
  int run(std::string_view subject, const TextExpander* expand, const OnMatch& on_match) const;
  // subject with the replacements made, into out; returns how many (0: out == subject).
  int apply(std::string_view subject, std::string& out, const TextExpander* expand = nullptr) const;

 private:
  Status parseReplacement(std::string_view repl, char sep);
  Regex re_;
  std::vector<Piece> pieces_;
  bool global_ = false;
};

}  // namespace sipline
