// Formatting of rtpproxy commands and parsing of their replies.
#include "modules/rtpproxy/protocol.h"

#include <arpa/inet.h>

#include <array>
#include <vector>

#include "core/base/strings.h"

namespace sipline::rtpproxy {
namespace {

bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// A field that fits in the space-separated line: not empty, no blank, no control character.
bool isField(std::string_view v) {
  if (v.empty()) return false;
  for (char c : v) {
    if (isBlank(c) || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && isBlank(text[i])) ++i;
    std::size_t start = i;
    while (i < text.size() && !isBlank(text[i])) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

bool parseNumber(std::string_view s, std::int64_t max, std::int64_t& out) {
  if (s.empty() || s.size() > 10) return false;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v > max) return false;
  out = v;
  return true;
}

bool isNumericIp(std::string_view s) {
  if (s.empty() || s.size() >= 64) return false;
  std::string text(s);
  std::array<unsigned char, 16> buf{};
  int family = text.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  return inet_pton(family, text.c_str(), buf.data()) == 1;
}

// "E<n>" as the only word: the relay's error. True when it is one (code set).
bool isErrorReply(const std::vector<std::string_view>& w, int& code) {
  if (w.size() != 1 || w[0].empty() || w[0][0] != 'E') return false;
  std::int64_t n = -1;
  if (w[0].size() > 1 && !parseNumber(w[0].substr(1), 1000000, n)) return false;
  code = static_cast<int>(n);
  return true;
}

}  // namespace

bool formatStream(const StreamCommand& cmd, std::string& out) {
  if (!isField(cmd.call_id) || !isField(cmd.address) || !isField(cmd.from_tag)) return false;
  if (cmd.lookup && cmd.to_tag.empty()) return false;
  if (!cmd.to_tag.empty() && !isField(cmd.to_tag)) return false;
  if (!cmd.modifiers.empty() && !isField(cmd.modifiers)) return false;
  std::string line(cmd.lookup ? "L" : "U");
  line += cmd.modifiers;
  line += ' ';
  line += cmd.call_id;
  line += ' ';
  line += cmd.address;
  line += ' ';
  appendDecimal(line, cmd.port);
  for (std::string_view tag : {cmd.from_tag, cmd.to_tag}) {
    if (tag.empty()) continue;
    line += ' ';
    line += tag;
    line += ';';
    appendDecimal(line, cmd.media_index);
  }
  out = std::move(line);
  return true;
}

bool formatDelete(std::string_view call_id, std::string_view from_tag, std::string_view to_tag,
                  std::string& out) {
  if (!isField(call_id) || !isField(from_tag)) return false;
  if (!to_tag.empty() && !isField(to_tag)) return false;
  out = "D ";
  out += call_id;
  out += ' ';
  out += from_tag;
  if (!to_tag.empty()) {
    out += ' ';
    out += to_tag;
  }
  return true;
}

std::string formatCapability(std::string_view date) { return "VF " + std::string(date); }

const char* replyStatusText(ReplyStatus s) {
  switch (s) {
    case ReplyStatus::kOk:
      return "ok";
    case ReplyStatus::kError:
      return "error reply";
    case ReplyStatus::kNotFound:
      return "call not found";
    case ReplyStatus::kMalformed:
      return "malformed reply";
  }
  return "unknown reply status";
}

ReplyStatus parseStreamReply(std::string_view body, StreamReply& out, int& code) {
  std::vector<std::string_view> w = words(body);
  if (isErrorReply(w, code)) return ReplyStatus::kError;
  if (w.empty() || w.size() > 3) return ReplyStatus::kMalformed;
  std::int64_t port = 0;
  if (!parseNumber(w[0], 65535, port)) return ReplyStatus::kMalformed;
  StreamReply r;
  r.port = static_cast<std::uint16_t>(port);
  if (w.size() >= 2) {
    if (!isNumericIp(w[1])) return ReplyStatus::kMalformed;
    r.address = std::string(w[1]);
  }
  if (w.size() == 3) {
    if (w[2] != "4" && w[2] != "6") return ReplyStatus::kMalformed;
    r.family = w[2][0] - '0';
  }
  if (r.port == 0) return ReplyStatus::kNotFound;
  out = std::move(r);
  return ReplyStatus::kOk;
}

ReplyStatus parseDeleteReply(std::string_view body, int& code) {
  std::vector<std::string_view> w = words(body);
  if (isErrorReply(w, code)) return ReplyStatus::kError;
  std::int64_t n = 0;
  if (w.size() != 1 || !parseNumber(w[0], 1000000, n)) return ReplyStatus::kMalformed;
  return ReplyStatus::kOk;
}

ReplyStatus parseVersionReply(std::string_view body, std::string& version, int& code) {
  std::vector<std::string_view> w = words(body);
  if (isErrorReply(w, code)) return ReplyStatus::kError;
  std::int64_t n = 0;
  if (w.size() != 1 || w[0].size() != 8 || !parseNumber(w[0], 99999999, n)) {
    return ReplyStatus::kMalformed;
  }
  version = std::string(w[0]);
  return ReplyStatus::kOk;
}

ReplyStatus parseCapabilityReply(std::string_view body, bool& supported, int& code) {
  std::vector<std::string_view> w = words(body);
  if (isErrorReply(w, code)) return ReplyStatus::kError;
  if (w.size() != 1 || (w[0] != "0" && w[0] != "1")) return ReplyStatus::kMalformed;
  supported = w[0] == "1";
  return ReplyStatus::kOk;
}

}  // namespace sipline::rtpproxy
