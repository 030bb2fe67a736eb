#include "core/trace/capture.h"

#include "core/base/clock.h"

namespace sipline::trace {
namespace {

CaptureSink* g_sinks[kMaxSinks] = {};
int g_count = 0;

bool equalsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
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

std::optional<std::string_view> rawHeaderValue(std::string_view message, std::string_view name,
                                               std::string_view compact) {
  std::size_t pos = message.find('\n');  // past the start line
  while (pos != std::string_view::npos && pos + 1 < message.size()) {
    std::size_t start = pos + 1;
    std::size_t end = message.find('\n', start);
    std::string_view line =
        message.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (line.empty() || line == "\r") return std::nullopt;  // end of the headers
    std::size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view hname = trim(line.substr(0, colon));
      if (equalsNoCase(hname, name) || (!compact.empty() && equalsNoCase(hname, compact))) {
        return trim(line.substr(colon + 1));
      }
    }
    pos = end;
  }
  return std::nullopt;
}

std::string_view scanCallId(std::string_view message) {
  return rawHeaderValue(message, "call-id", "i").value_or(std::string_view());
}

}  // namespace sipline::trace
