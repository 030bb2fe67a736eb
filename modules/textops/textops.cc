#include "modules/textops/textops.h"

#include <cctype>

#include "core/base/strings.h"
#include "core/parser/multipart.h"
#include "core/parser/sip_message.h"

namespace sipline {
namespace {

bool isTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
}

// RFC 3261 §7.3.3: a compact name and its long form name the same header.
bool sameHeader(const HeaderField& h, std::string_view name) {
  HeaderType type = headerTypeFromName(name);
  return type != HeaderType::kOther ? h.type == type : iequals(h.name, name);
}

}  // namespace

std::string headerLine(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  std::size_t colon = text.find(':');
  if (colon == 0 || colon == std::string_view::npos) return "";
  for (std::size_t i = 0; i < colon; ++i) {
    if (!isTokenChar(text[i])) return "";
  }
  // No line break inside the value: a script must not be able to inject a second header.
  if (text.find_first_of("\r\n") != std::string_view::npos) return "";
  return std::string(text) + "\r\n";
}

bool appendHeaderLine(SipMessage& msg, std::string_view text) {
  std::string line = headerLine(text);
  if (line.empty()) return false;
  msg.appendHeader(std::move(line));
  return true;
}

bool insertHeaderLine(SipMessage& msg, std::string_view text) {
  std::string line = headerLine(text);
  if (line.empty() || msg.headers().empty()) return false;
  msg.insertHeaderBefore(msg.headers().front(), std::move(line));
  return true;
}

namespace {

const HeaderField* firstHeader(SipMessage& msg, std::string_view name) {
  for (const HeaderField& h : msg.headers()) {
    if (sameHeader(h, name)) return &h;
  }
  return nullptr;
}

}  // namespace

bool appendHeaderLineAfter(SipMessage& msg, std::string_view text, std::string_view name) {
  const HeaderField* h = firstHeader(msg, name);
  std::size_t off = 0;
  if (h == nullptr || !msg.offsetOf(h->raw, off)) return appendHeaderLine(msg, text);
  std::string line = headerLine(text);
  if (line.empty()) return false;
  msg.edits().insert(off + h->raw.size(), std::move(line));
  return true;
}

bool insertHeaderLineBefore(SipMessage& msg, std::string_view text, std::string_view name) {
  const HeaderField* h = firstHeader(msg, name);
  if (h == nullptr) return insertHeaderLine(msg, text);
  std::string line = headerLine(text);
  if (line.empty()) return false;
  msg.insertHeaderBefore(*h, std::move(line));
  return true;
}

int removeHeaders(SipMessage& msg, std::string_view name) {
  const std::size_t edits_before = msg.edits().size();
  int n = 0;
  for (const HeaderField& h : msg.headers()) {
    if (sameHeader(h, name)) {
      msg.removeHeader(h);
      ++n;
    }
  }
  // A header an earlier edit changed in part (subst) cannot also be removed: the message could
  // not be built, and so would not be sent. Take the removals back instead.
  std::string probe;
  if (n > 0 && !msg.build(probe)) {
    msg.edits().truncate(edits_before);
    return -1;
  }
  return n;
}

bool hasHeader(SipMessage& msg, std::string_view name) { return firstHeader(msg, name) != nullptr; }

bool isContentType(SipMessage& msg, std::string_view type_subtype) {
  if (msg.headerCount(HeaderType::kContentType) != 1) return false;
  std::string_view content_type = msg.header(HeaderType::kContentType)->body;
  if (isMediaType(content_type, type_subtype)) return true;
  if (!iequals(mediaTypeOf(content_type).substr(0, 10), "multipart/")) return false;
  std::string_view part;
  std::size_t offset = 0;
  return findBodyOfType(content_type, msg.body(), type_subtype, part, offset) ==
         MultipartError::kOk;
}

}  // namespace sipline
