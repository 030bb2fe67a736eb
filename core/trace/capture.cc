#include "core/trace/capture.h"

#include "core/base/clock.h"

namespace sipline::trace {
namespace {

CaptureSink* g_sinks[kMaxSinks] = {};
int g_count = 0;

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char a = s[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != prefix[i]) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// The value after "name" + optional blanks + ':' at the start of `line`, or nullopt-ish "".
bool headerValue(std::string_view line, std::string_view name, std::string_view& value) {
  if (!startsWithNoCase(line, name)) return false;
  std::string_view rest = line.substr(name.size());
  std::size_t i = 0;
  while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\t')) ++i;
  if (i >= rest.size() || rest[i] != ':') return false;
  value = trim(rest.substr(i + 1));
  return true;
}

}  // namespace

bool addCaptureSink(CaptureSink* sink) {
  if (g_count >= kMaxSinks) return false;
  g_sinks[g_count++] = sink;
  return true;
}

void removeCaptureSinksForTest() {
  for (CaptureSink*& s : g_sinks) s = nullptr;
  g_count = 0;
}

bool capturing() { return g_count != 0; }

void captureMessage(Proto proto, bool outgoing, const SockAddr& src, const SockAddr& dst,
                    std::string_view message, std::int64_t time_us) {
  if (g_count == 0) return;
  Captured c;
  c.time_us = time_us != 0 ? time_us : unixNowUs();
  c.proto = proto;
  c.outgoing = outgoing;
  c.src = &src;
  c.dst = &dst;
  c.message = message;
  c.call_id = scanCallId(message);
  for (int i = 0; i < g_count; ++i) g_sinks[i]->onCaptured(c);
}

std::string_view scanCallId(std::string_view message) {
  std::size_t pos = message.find('\n');  // past the start line
  while (pos != std::string_view::npos && pos + 1 < message.size()) {
    std::size_t start = pos + 1;
    std::size_t end = message.find('\n', start);
    std::string_view line =
        message.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (line.empty() || line == "\r") return {};  // end of the headers
    std::string_view value;
    if (headerValue(line, "call-id", value) || headerValue(line, "i", value)) return value;
    pos = end;
  }
  return {};
}

}  // namespace sipline::trace
