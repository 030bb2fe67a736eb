// Logging for every process. SL_ERR..SL_DBG are printf-style (checked by the compiler); the
// level is tested before any formatting. Every line is prefixed with the process role and pid
// (set by core/proc after fork) and, inside module code, the module name given by the caller's
// text. Target is stderr (default) or syslog. Per-packet paths log at DBG, or use
// SL_ERR_RATELIMITED for errors so a flood cannot fill the disk.
// Process-private state; call logInit() once in the master, logSetRole() after each fork.
//
// The level a process logs at may live in shared memory (its process-table slot), so the MI can
// change it at run time: logBindLevel() points the level at that word. Until then (and in
// tools and tests) it is a process-private value. Reading it is one relaxed atomic load.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace sipline {

enum class LogLevel : int { kAlert = 1, kCrit, kErr, kWarn, kNotice, kInfo, kDbg };

// Parses "alert|crit|error|warning|notice|info|debug" (also the OpenSIPS numbers -3..4).
bool parseLogLevel(std::string_view text, LogLevel& out);
const char* logLevelName(LogLevel level);

enum class LogTarget { kStderr, kSyslog };
// facility: a syslog facility name such as "local0"; ignored for stderr.
void logInit(LogTarget target, LogLevel level, const std::string& facility = "daemon");
// Sets the level where it lives now (the bound shared word, else the private value).
void logSetLevel(LogLevel level);
// `shared`: the word the level is read from from now on (a process-table slot; it keeps its
// value, the caller stores the starting level), or nullptr for the private value again.
void logBindLevel(std::atomic<std::int32_t>* shared);

namespace log_detail {
// Where logLevel() reads; never null.
extern std::atomic<std::atomic<std::int32_t>*> g_level_word;
}  // namespace log_detail

// Inline: every SL_* call asks it before formatting anything.
inline LogLevel logLevel() {
  return static_cast<LogLevel>(
      log_detail::g_level_word.load(std::memory_order_relaxed)->load(std::memory_order_relaxed));
}
// Role label shown in every line ("master", "udp-worker#1", "timer", ...).
void logSetRole(const std::string& role);

void logWrite(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// True at most `burst` times per second for this call site; counts what it suppresses.
struct LogRateLimit {
  std::int64_t window_start = 0;
  std::uint32_t in_window = 0;
  std::uint32_t suppressed = 0;
  bool allow(std::uint32_t burst = 10);
};

}  // namespace sipline

#define SL_LOG_(lvl, ...)                                                   \
  do {                                                                      \
    if (static_cast<int>(lvl) <= static_cast<int>(::sipline::logLevel())) { \
      ::sipline::logWrite(lvl, __VA_ARGS__);                                \
    }                                                                       \
  } while (0)
#define SL_ALERT(...) SL_LOG_(::sipline::LogLevel::kAlert, __VA_ARGS__)
#define SL_CRIT(...) SL_LOG_(::sipline::LogLevel::kCrit, __VA_ARGS__)
#define SL_ERR(...) SL_LOG_(::sipline::LogLevel::kErr, __VA_ARGS__)
#define SL_WARN(...) SL_LOG_(::sipline::LogLevel::kWarn, __VA_ARGS__)
#define SL_NOTICE(...) SL_LOG_(::sipline::LogLevel::kNotice, __VA_ARGS__)
#define SL_INFO(...) SL_LOG_(::sipline::LogLevel::kInfo, __VA_ARGS__)
#define SL_DBG(...) SL_LOG_(::sipline::LogLevel::kDbg, __VA_ARGS__)
// Errors on per-packet paths: at most 10 lines per second per call site.
#define SL_ERR_RATELIMITED(...)                      \
  do {                                               \
    static ::sipline::LogRateLimit sl_rate_limit_;   \
    if (sl_rate_limit_.allow()) SL_ERR(__VA_ARGS__); \
  } while (0)
// Expands a string_view into the two arguments "%.*s" wants.
#define SL_SV(sv) static_cast<int>((sv).size()), (sv).data()
