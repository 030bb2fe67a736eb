#include "modules/registrar/reply_headers.h"

#include <ctime>

#include "core/base/strings.h"

namespace sipline::registrar {
namespace {

void appendTwoDigits(std::string& out, int v) {
  out += static_cast<char>('0' + v / 10);
  out += static_cast<char>('0' + v % 10);
}

}  // namespace

std::string formatQ(std::int32_t q) {
  if (q >= 1000) return "1";
  if (q <= 0) return "0";
  std::string s = "0.";
  s += static_cast<char>('0' + q / 100);
  s += static_cast<char>('0' + q / 10 % 10);
  s += static_cast<char>('0' + q % 10);
  while (s.back() == '0') s.pop_back();
  return s;
}

void appendContactLines(std::string& out, const std::vector<usrloc::Contact>& bindings,
                        std::int64_t now, std::string_view received_param) {
  for (const usrloc::Contact& c : bindings) {
    if (c.expires <= now) continue;
    out += "Contact: <";
    out += c.uri;
    out += ">;expires=";
    appendDecimal(out, c.expires - now);
    if (c.q >= 0) {
      out += ";q=";
      out += formatQ(c.q);
    }
    if (!c.instance.empty()) {
      out += ";+sip.instance=\"<";
      out += c.instance;
      out += ">\"";
      if (c.reg_id > 0) {
        out += ";reg-id=";
        appendDecimal(out, c.reg_id);
      }
    }
    if (!received_param.empty() && !c.received.empty()) {
      out += ';';
      out += received_param;
      out += "=\"";
      out += c.received;
      out += '"';
    }
    out += "\r\n";
  }
}

void appendDateLine(std::string& out, std::int64_t now) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // Formatted once per second (gmtime_r takes glibc's time zone lock on every call).
  static thread_local std::int64_t formatted_at = -1;
  static thread_local std::string line;
  if (now != formatted_at || line.empty()) {
    std::time_t t = static_cast<std::time_t>(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    line = "Date: ";
    line += kDays[tm.tm_wday];
    line += ", ";
    appendTwoDigits(line, tm.tm_mday);
    line += ' ';
    line += kMonths[tm.tm_mon];
    line += ' ';
    appendDecimal(line, tm.tm_year + 1900);
    line += ' ';
    appendTwoDigits(line, tm.tm_hour);
    line += ':';
    appendTwoDigits(line, tm.tm_min);
    line += ':';
    appendTwoDigits(line, tm.tm_sec);
    line += " GMT\r\n";
    formatted_at = now;
  }
  out += line;
}

}  // namespace sipline::registrar
