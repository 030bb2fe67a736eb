// Unit tests only: a throw-away PostgreSQL server through scripts/pg-scratch (a cluster in a
// fresh /tmp directory on a free 127.0.0.1 port with database and user `sipline`, password
// `sipline`). Header-only so that it is never linked into the server.
//
// PgScratch::shared() starts one server per test process on first use; the suite that wants
// it gone calls PgScratch::stopShared() when it ends (a CppUnit TestSetUp decorator), and
// whatever is left is stopped at exit by the process that started it (forked children never
// stop it). pg-scratch's watchdog removes it even if the runner is killed. When PostgreSQL is
// not installed, shared() returns null with the reason and the caller skips its tests.
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>

#ifndef SIPLINE_SOURCE_DIR
#define SIPLINE_SOURCE_DIR "."
#endif

namespace sipline::db {

class PgScratch {
 public:
  ~PgScratch() { stop(); }

  const std::string& url() const { return url_; }
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }

  // Outage helpers: stop keeping the data / start again on the same port; SIGSTOP / SIGCONT
  // of the postmaster and all its children. Each returns false (with `error()` set) on failure.
  bool down() { return run("down", "", nullptr); }
  bool up() { return run("up", "", nullptr); }
  bool freeze() { return run("freeze", "", nullptr); }
  bool thaw() { return run("thaw", "", nullptr); }
  // Runs SQL as user sipline (psql -At); `out` gets what it printed.
  bool psql(const std::string& sql, std::string* out = nullptr) {
    return run("psql", "-At -c " + quote(sql), out);
  }
  const std::string& error() const { return error_; }

  // The process's server, started on first call. Null when it cannot start; `why` says why,
  // and `missing` is set when PostgreSQL is not installed (skip) rather than broken (fail).
  static PgScratch* shared(std::string* why = nullptr, bool* missing = nullptr) {
    Slot& s = slot();
    if (s.server == nullptr && !s.tried) {
      s.tried = true;
      s.server.reset(new PgScratch());
      if (!s.server->start()) {
        s.why = s.server->error_;
        s.missing = s.server->missing_;
        s.server.reset();
      } else {
        s.owner = getpid();
        atexit(&PgScratch::stopAtExit);
      }
    }
    if (why != nullptr) *why = s.why;
    if (missing != nullptr) *missing = s.missing;
    return s.server.get();
  }
  // Stops and removes the shared server (the next shared() starts a new one).
  static void stopShared() {
    Slot& s = slot();
    if (s.owner == getpid()) s.server.reset();
    s.tried = false;
  }

 private:
  struct Slot {
    std::unique_ptr<PgScratch> server;
    pid_t owner = 0;
    bool tried = false;
    bool missing = false;
    std::string why;
  };
  static Slot& slot() {
    static Slot s;
    return s;
  }
  static void stopAtExit() {
    Slot& s = slot();
    if (s.owner == getpid() && s.server != nullptr) s.server->stop();
  }

  static std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
  }

  bool start() {
    char tmpl[] = "/tmp/sipline-pg-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      error_ = "mkdtemp failed";
      return false;
    }
    dir_ = tmpl;
    std::string out;
    if (!run("start", "", &out)) {
      rmdir(dir_.c_str());
      dir_.clear();
      return false;
    }
    auto field = [&](const std::string& key) {
      std::size_t at = out.find(key + "=");
      if (at == std::string::npos) return std::string();
      std::size_t end = out.find('\n', at);
      return out.substr(at + key.size() + 1,
                        end == std::string::npos ? end : end - at - key.size() - 1);
    };
    url_ = field("URL");
    port_ = atoi(field("PORT").c_str());
    if (url_.empty() || port_ <= 0) {
      error_ = "pg-scratch printed no PORT/URL: " + out;
      return false;
    }
    return true;
  }

  void stop() {
    if (dir_.empty()) return;
    run("stop", "", nullptr);
    dir_.clear();
  }

  bool run(const std::string& cmd, const std::string& args, std::string* out) {
    std::string line = "PG_SCRATCH_OWNER=" + std::to_string(getpid()) +
                       " '" SIPLINE_SOURCE_DIR "/scripts/pg-scratch' " + cmd + " " + quote(dir_) +
                       " " + args + " 2>&1";
    FILE* p = popen(line.c_str(), "r");
    if (p == nullptr) {
      error_ = "cannot run scripts/pg-scratch";
      return false;
    }
    std::string text;
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
    int status = pclose(p);
    if (out != nullptr) *out = text;
    if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
    missing_ = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 3;
    error_ = "pg-scratch " + cmd + " failed: " + text;
    return false;
  }

  std::string dir_;
  std::string url_;
  int port_ = 0;
  std::string error_;
  bool missing_ = false;
};

}  // namespace sipline::db
