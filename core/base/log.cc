#include "core/base/log.h"

#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace sipline {
namespace {

struct LogState {
  LogTarget target = LogTarget::kStderr;
  char role[48] = "main";
};
LogState g_log;
// The level before logBindLevel() (and after logBindLevel(nullptr)).
std::atomic<std::int32_t> g_private_level{static_cast<std::int32_t>(LogLevel::kNotice)};

int syslogPriority(LogLevel level) {
  switch (level) {
    case LogLevel::kAlert:
      return LOG_ALERT;
    case LogLevel::kCrit:
      return LOG_CRIT;
    case LogLevel::kErr:
      return LOG_ERR;
    case LogLevel::kWarn:
      return LOG_WARNING;
    case LogLevel::kNotice:
      return LOG_NOTICE;
    case LogLevel::kInfo:
      return LOG_INFO;
    case LogLevel::kDbg:
      return LOG_DEBUG;
  }
  return LOG_NOTICE;
}

int facilityCode(const std::string& name) {
  static const struct {
    const char* name;
    int code;
  } kFacilities[] = {{"daemon", LOG_DAEMON}, {"user", LOG_USER},     {"local0", LOG_LOCAL0},
                     {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
                     {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6},
                     {"local7", LOG_LOCAL7}};
  for (const auto& f : kFacilities) {
    if (name == f.name) return f.code;
  }
  return LOG_DAEMON;
}

}  // namespace

namespace log_detail {
std::atomic<std::atomic<std::int32_t>*> g_level_word{&g_private_level};
}  // namespace log_detail

bool parseLogLevel(std::string_view text, LogLevel& out) {
  static const struct {
    const char* name;
    LogLevel level;
  } kNames[] = {{"alert", LogLevel::kAlert},
                {"crit", LogLevel::kCrit},
                {"error", LogLevel::kErr},
                {"err", LogLevel::kErr},
                {"warning", LogLevel::kWarn},
                {"warn", LogLevel::kWarn},
                {"notice", LogLevel::kNotice},
                {"info", LogLevel::kInfo},
                {"debug", LogLevel::kDbg},
                // OpenSIPS numeric levels: -3 alert .. 4 debug.
                {"-3", LogLevel::kAlert},
                {"-2", LogLevel::kCrit},
                {"-1", LogLevel::kErr},
                {"1", LogLevel::kWarn},
                {"2", LogLevel::kNotice},
                {"3", LogLevel::kInfo},
                {"4", LogLevel::kDbg}};
  for (const auto& n : kNames) {
    if (text.size() == std::strlen(n.name) && strncasecmp(text.data(), n.name, text.size()) == 0) {
      out = n.level;
      return true;
    }
  }
  return false;
}

const char* logLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kAlert:
      return "alert";
    case LogLevel::kCrit:
      return "crit";
    case LogLevel::kErr:
      return "error";
    case LogLevel::kWarn:
      return "warning";
    case LogLevel::kNotice:
      return "notice";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kDbg:
      return "debug";
  }
  return "notice";
}

void logInit(LogTarget target, LogLevel level, const std::string& facility) {
  g_log.target = target;
  logSetLevel(level);
  if (target == LogTarget::kSyslog) openlog("sipline", LOG_NDELAY, facilityCode(facility));
}

void logSetLevel(LogLevel level) {
  log_detail::g_level_word.load(std::memory_order_relaxed)
      ->store(static_cast<std::int32_t>(level), std::memory_order_relaxed);
}

void logBindLevel(std::atomic<std::int32_t>* shared) {
  log_detail::g_level_word.store(shared != nullptr ? shared : &g_private_level,
                                 std::memory_order_relaxed);
}

void logSetRole(const std::string& role) {
  std::snprintf(g_log.role, sizeof(g_log.role), "%s", role.c_str());
}

namespace {

// Control characters from the network (a Call-ID with ESC, a User-Agent with BEL) must not
// reach a terminal or split a log line: they are written as \xNN.
void escapeControls(const char* in, char* out, std::size_t out_size) {
  std::size_t o = 0;
  for (const unsigned char* p = reinterpret_cast<const unsigned char*>(in); *p && o + 5 < out_size;
       ++p) {
    if (*p < 0x20 || *p == 0x7f) {
      o += static_cast<std::size_t>(std::snprintf(out + o, out_size - o, "\\x%02x", *p));
    } else {
      out[o++] = static_cast<char>(*p);
    }
  }
  out[o] = '\0';
}

}  // namespace

void logWrite(LogLevel level, const char* fmt, ...) {
  char raw[2048];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(raw, sizeof(raw), fmt, ap);
  va_end(ap);
  if (n < 0) return;
  char text[2048];
  escapeControls(raw, text, sizeof(text));
  if (g_log.target == LogTarget::kSyslog) {
    syslog(syslogPriority(level), "%s[%d] %s: %s", g_log.role, static_cast<int>(getpid()),
           logLevelName(level), text);
    return;
  }
  // One write() per line so lines from concurrent processes do not interleave.
  char line[2300];
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm tmv{};
  localtime_r(&ts.tv_sec, &tmv);
  int len = std::snprintf(line, sizeof(line), "%02d:%02d:%02d.%03ld %s[%d] %s: %s\n", tmv.tm_hour,
                          tmv.tm_min, tmv.tm_sec, ts.tv_nsec / 1000000, g_log.role,
                          static_cast<int>(getpid()), logLevelName(level), text);
  if (len > static_cast<int>(sizeof(line))) len = sizeof(line);
  ssize_t ignored = ::write(STDERR_FILENO, line, static_cast<size_t>(len));
  (void)ignored;
}

bool LogRateLimit::allow(std::uint32_t burst) {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  if (ts.tv_sec != window_start) {
    if (suppressed > 0) {
      logWrite(LogLevel::kErr, "(%u similar messages suppressed)", suppressed);
    }
    window_start = ts.tv_sec;
    in_window = 0;
    suppressed = 0;
  }
  if (in_window < burst) {
    ++in_window;
    return true;
  }
  ++suppressed;
  return false;
}

}  // namespace sipline
