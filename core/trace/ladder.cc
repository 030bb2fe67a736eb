#include "core/trace/ladder.h"

#include <algorithm>
#include <cstdio>
#include <set>

namespace sipline::trace {
namespace {

constexpr std::size_t kMaxLabel = 64;
constexpr std::size_t kMaxFirstLine = 1024;

// RFC 3261 §25.1 token characters (a method is a token).
bool isTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
}

std::string printable(std::string_view s) {
  std::string out(s.substr(0, kMaxLabel));
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "+1.234s": milliseconds, truncated; magnitudes past 99999.999 s are capped.
std::string formatDelta(std::int64_t delta_us) {
  const char sign = delta_us < 0 ? '-' : '+';
  std::int64_t ms = (delta_us < 0 ? -(delta_us / 1000) : delta_us / 1000);
  ms = std::min<std::int64_t>(ms, 99999999);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%c%lld.%03llds", sign, static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return buf;
}

// Fits a column name into `max` characters, keeping the tail (the port, the end of an IPv6
// address) behind a '~'.
std::string fitName(const std::string& name, std::size_t max) {
  if (name.size() <= max) return name;
  return "~" + name.substr(name.size() - (max - 1));
}

void put(std::string& line, std::size_t at, std::string_view text) {
  if (line.size() < at + text.size()) line.resize(at + text.size(), ' ');
  line.replace(at, text.size(), text);
}

void rtrim(std::string& s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
}

}  // namespace

std::string ladderLabel(std::string_view message) {
  if (!message.empty() && message.find_first_not_of("\r\n") == std::string_view::npos) {
    return "keepalive";
  }
  std::string_view line = message.substr(0, std::min(message.size(), kMaxFirstLine));
  line = line.substr(0, line.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

  if (line.substr(0, 8) == "SIP/2.0 ") {
    std::string_view rest = line.substr(8);
    if (rest.size() < 3 ||
        !std::all_of(rest.begin(), rest.begin() + 3, [](char c) { return c >= '0' && c <= '9'; })) {
      return "?";
    }
    if (rest.size() > 3 && rest[3] != ' ') return "?";
    std::string_view reason = rest.size() > 3 ? trim(rest.substr(4)) : std::string_view();
    return printable(reason.empty() ? rest.substr(0, 3)
                                    : std::string(rest.substr(0, 3)) + " " + std::string(reason));
  }
  // Request-Line (RFC 3261 §7.1): Method SP Request-URI SP SIP-Version.
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = line.rfind(' ');
  if (sp1 == 0 || sp1 == std::string_view::npos || sp2 == sp1 ||
      line.substr(sp2 + 1) != "SIP/2.0") {
    return "?";
  }
  std::string_view method = line.substr(0, sp1);
  if (!std::all_of(method.begin(), method.end(), isTokenChar)) return "?";
  return printable(method);
}

std::string renderLadder(const std::vector<Record>& records, const LadderOptions& opts) {
  if (records.empty()) return "";
  const std::size_t w = static_cast<std::size_t>(std::clamp(opts.column_width, 12, 40));
  const std::size_t tw = kLadderTimeWidth;

  // Columns in order of first appearance.
  std::vector<std::string> keys;
  auto columnOf = [&keys](const std::string& key) {
    auto it = std::find(keys.begin(), keys.end(), key);
    if (it != keys.end()) return static_cast<std::size_t>(it - keys.begin());
    keys.push_back(key);
    return keys.size() - 1;
  };
  std::vector<std::pair<std::size_t, std::size_t>> ends;
  ends.reserve(records.size());
  for (const Record& r : records) {
    const std::size_t s = columnOf(r.src.toString());
    ends.emplace_back(s, columnOf(r.dst.toString()));
  }
  auto center = [&](std::size_t col) { return tw + col * w + w / 2; };
  // The bare lifelines: every row starts from this.
  std::string bars;
  for (std::size_t c = 0; c < keys.size(); ++c) put(bars, center(c), "|");

  std::string out;
  std::string header;
  for (std::size_t c = 0; c < keys.size(); ++c) {
    auto named = opts.names.find(keys[c]);
    const std::string name = fitName(named != opts.names.end() ? named->second : keys[c], w - 2);
    put(header, center(c) - name.size() / 2, name);
  }
  rtrim(header);
  out += header + "\n" + bars + "\n";

  std::set<std::string> seen;  // "src dst message" of every earlier record
  for (std::size_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i];
    const auto [s, d] = ends[i];
    std::string line = bars;
    put(line, 0, formatDelta(r.time_us - records.front().time_us));
    std::string label = ladderLabel(r.message);
    if (s == d) {
      label.resize(std::min(label.size(), w - 5));
      put(line, center(s) + 1, "<- " + label);
    } else {
      const std::size_t lo = center(std::min(s, d)) + 1;
      const std::size_t hi = center(std::max(s, d)) - 1;
      put(line, lo, std::string(hi - lo + 1, '-'));
      put(line, s < d ? hi : lo, s < d ? ">" : "<");
      // The label is centred on the shaft (the dashes), keeping one dash at each end.
      const std::size_t shaft = hi - lo;
      const std::size_t first_dash = s < d ? lo : lo + 1;
      label.resize(std::min(label.size(), shaft - 2));
      put(line, first_dash + 1 + (shaft - 2 - label.size()) / 2, label);
    }
    std::string note;
    if (r.proto != Proto::kUdp) note = r.proto == Proto::kTcp ? "tcp" : "tls";
    std::string key = keys[s] + " " + keys[d] + " ";
    key += r.message;
    if (!seen.insert(std::move(key)).second) {
      note += note.empty() ? "retransmission" : ", retransmission";
    }
    if (!note.empty()) {
      line.resize(std::max(line.size(), tw + keys.size() * w), ' ');
      line += "  (" + note + ")";
    }
    rtrim(line);
    out += line + "\n";
  }
  return out;
}

}  // namespace sipline::trace
