#include "modules/textops/substitute.h"

#include <cstdint>
#include <functional>
#include <string>

#include "core/parser/sip_message.h"

namespace sipline {
namespace {

// Reports the matches in `region`; stops after the first unless `all`. Returns how many.
using Finder = std::function<int(std::string_view region, const Substitution::OnMatch& on_match)>;

// The body as it leaves now: the received one, or what earlier edits made of it.
bool currentBody(SipMessage& msg, std::string& storage, std::string_view& body) {
  if (msg.edits().empty()) {
    body = msg.body();
    return true;
  }
  if (!msg.build(storage)) return false;
  // The first empty line ends the headers (CRLF or, as the parser allows, bare LF).
  std::size_t crlf = storage.find("\r\n\r\n");
  std::size_t lf = storage.find("\n\n");
  std::size_t start = std::string::npos;
  if (crlf != std::string::npos) start = crlf + 4;
  if (lf != std::string::npos && (start == std::string::npos || lf + 2 < start)) start = lf + 2;
  body = start == std::string::npos ? std::string_view() : std::string_view(storage).substr(start);
  return true;
}

// Where editMessage() looks: the headers, then (unless a header matched and only the first
// match is wanted) the body; or the body alone.
enum class Scope : std::uint8_t { kMessage, kBody };

int editMessage(SipMessage& msg, const Finder& find, bool all, Scope scope = Scope::kMessage) {
  std::string_view buffer = msg.buffer();
  // A failure takes back the header edits made here, so the message stays sendable.
  const std::size_t edits_before = msg.edits().size();
  auto undo = [&msg, edits_before] {
    msg.edits().truncate(edits_before);
    return -1;
  };
  int count = 0;
  if (scope == Scope::kMessage && !msg.headers().empty()) {
    std::size_t first = 0;
    if (msg.offsetOf(msg.headers().front().raw, first) && first <= msg.headersEnd()) {
      std::string_view headers = buffer.substr(first, msg.headersEnd() - first);
      count = find(headers, [&](std::size_t begin, std::size_t end, std::string replacement) {
        if (begin == end) {
          msg.edits().insert(first + begin, std::move(replacement));
        } else {
          msg.edits().replace(first + begin, end - begin, std::move(replacement));
        }
      });
    }
  }
  std::string storage;
  // A header match inside text an earlier edit changed or removed (remove_hf, another
  // substitution) cannot be applied: refuse it instead of leaving a message that cannot be
  // built (and so would not be sent).
  if (count > 0 && !msg.build(storage)) return undo();
  if (count > 0 && !all) return count;
  std::string_view body;
  if (!currentBody(msg, storage, body)) return undo();
  std::string new_body;
  std::size_t copied = 0;
  int in_body = find(body, [&](std::size_t begin, std::size_t end, std::string replacement) {
    new_body.append(body.substr(copied, begin - copied));
    new_body += replacement;
    copied = end;
  });
  if (in_body == 0) return count;
  new_body.append(body.substr(copied));
  if (!msg.replaceBody(std::move(new_body))) return undo();
  return count + in_body;
}

}  // namespace

int substituteInMessage(SipMessage& msg, const Substitution& subst,
                        const Substitution::TextExpander* expand) {
  return editMessage(
      msg,
      [&](std::string_view region, const Substitution::OnMatch& on_match) {
        return subst.run(region, expand, on_match);
      },
      subst.global());
}

namespace {

// replace()'s finder: each non-empty match of re becomes text (only the first unless all).
// append: text goes after the match instead, which stays.
Finder replaceFinder(const Regex& re, std::string_view text, bool all, bool append) {
  return [&re, text, all, append](std::string_view region, const Substitution::OnMatch& on_match) {
    int n = 0;
    std::size_t from = 0;
    RegexMatch m;
    while (from <= region.size() && re.find(region, from, m)) {
      if (m.end() == m.begin()) {
        from = m.begin() + 1;  // replace() needs text to replace
        continue;
      }
      if (append) {
        on_match(m.end(), m.end(), std::string(text));
      } else {
        on_match(m.begin(), m.end(), std::string(text));
      }
      ++n;
      if (!all) break;
      from = m.end();
    }
    return n;
  };
}

}  // namespace

int substituteInBody(SipMessage& msg, const Substitution& subst,
                     const Substitution::TextExpander* expand) {
  return editMessage(
      msg,
      [&](std::string_view region, const Substitution::OnMatch& on_match) {
        return subst.run(region, expand, on_match);
      },
      subst.global(), Scope::kBody);
}

int replaceInMessage(SipMessage& msg, const Regex& re, std::string_view text, bool all) {
  return editMessage(msg, replaceFinder(re, text, all, false), all);
}

int replaceInBody(SipMessage& msg, const Regex& re, std::string_view text, bool all) {
  return editMessage(msg, replaceFinder(re, text, all, false), all, Scope::kBody);
}

int appendAfterMatch(SipMessage& msg, const Regex& re, std::string_view text) {
  return editMessage(msg, replaceFinder(re, text, false, true), false);
}

}  // namespace sipline
