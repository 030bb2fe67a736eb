// Accounting records as syslog messages: RFC 3164 datagrams to a unix socket (/dev/log by
// default). These machines run no daemon, so the socket may be missing: a send then fails and
// is counted. Workers format the message (formatSyslog) and queue it; the writer sends it
// (SyslogSender), waiting at most 100 ms for a daemon whose queue is full. Process-private.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"

namespace sipline::acc {

// "local0".."local7", "user", "daemon", "auth", ...: the facility number, -1 when unknown.
int facilityNumber(std::string_view name);

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// "<PRI>Mmm dd hh:mm:ss sipline[pid]: ACC: <what>: k=v;k=v" with PRI = facility*8 + 6
// (info) and the local time of `unix_ms`. ';' and control bytes in values become ' '.
std::string formatSyslog(int facility, int pid, std::int64_t unix_ms, std::string_view what,
                         const KeyValues& kvs);

class SyslogSender {
 public:
  explicit SyslogSender(std::string path = "/dev/log") : path_(std::move(path)) {}
  ~SyslogSender();
  SyslogSender(const SyslogSender&) = delete;
  SyslogSender& operator=(const SyslogSender&) = delete;
  void setPath(std::string path) { path_ = std::move(path); }
  const std::string& path() const { return path_; }
  // One datagram; when the daemon's queue is full, waits up to 100 ms for room once.
  // kUnavailable when the socket is missing or stays full; the next call tries again.
  Status send(std::string_view message);

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace sipline::acc
