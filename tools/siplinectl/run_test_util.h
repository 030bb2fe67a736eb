// Test helper for the siplinectl tests: runs whole siplinectl invocations (runCtl) against a
// FakeDb, a given standard input and a fake MI server, and captures the output. Test-only.
#pragma once

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/mi/json.h"
#include "tools/siplinectl/fake_db_test_util.h"
#include "tools/siplinectl/mi_client.h"
#include "tools/siplinectl/run.h"

namespace sipline::ctl::testing {

// The MI server as siplinectl sees it: records the calls, answers `answer` (or fails).
struct FakeMi {
  Status connect_status;  // connecting fails with this
  Status call_status;     // each call fails with this
  Json answer = Json::object();
  std::map<std::string, Json> answers;   // by method; else `answer`
  std::map<std::string, Status> errors;  // by method: the call fails with this
  std::vector<std::string> paths;        // sockets (or URLs) connected to
  std::vector<std::pair<std::string, Json>> calls;
  std::vector<std::chrono::milliseconds> timeouts;  // each setTimeout()
  bool throw_on_call = false;                       // call() throws (the catch-all's test)
};

class FakeMiProxy final : public MiClient {
 public:
  explicit FakeMiProxy(FakeMi& mi) : mi_(mi) {}
  Result<Json> call(const std::string& method, const Json& params) override {
    mi_.calls.emplace_back(method, params);
    if (mi_.throw_on_call) throw std::runtime_error("thrown by FakeMi");
    if (!mi_.call_status.isOk()) return mi_.call_status;
    if (auto e = mi_.errors.find(method); e != mi_.errors.end()) return e->second;
    if (auto a = mi_.answers.find(method); a != mi_.answers.end()) return a->second;
    return mi_.answer;
  }
  void setTimeout(std::chrono::milliseconds timeout) override { mi_.timeouts.push_back(timeout); }

 private:
  FakeMi& mi_;
};

inline constexpr char kUrl[] = "postgres://sipline:secret@127.0.0.1:5999/sipline";

// Runs siplinectl against one FakeDb (which outlives the runs; each open hands out a proxy).
class Harness {
 public:
  FakeDb db;
  std::string out, err;
  std::string opened_url;
  const char* env = nullptr;
  std::string input;         // standard input (--stdin)
  FakeMi mi;                 // the server behind the MI socket
  bool mi_available = true;  // false: RunContext without an MI connector
  const char* env_mi_url = nullptr;
  const char* env_mi_password = nullptr;

  int run(const std::vector<std::string>& args) {
    std::ostringstream o, e;
    RunContext ctx{o,
                   e,
                   env,
                   [this](const std::string& url, const db::Options& options) {
                     opened_url = url;
                     CPPUNIT_ASSERT(options.connect_timeout_ms > 0);
                     return Result<std::unique_ptr<db::Connection>>(
                         std::unique_ptr<db::Connection>(new Proxy(db)));
                   },
                   false,
                   nullptr,
                   MiConnect()};
    std::istringstream in(input);
    ctx.in = &in;
    ctx.env_mi_url = env_mi_url;
    ctx.env_mi_password = env_mi_password;
    // Never the host's /etc/sipline/sipline.cfg (an installed server would change answers).
    ctx.default_settings_file = "/nonexistent/sipline-unit-test/sipline.cfg";
    if (mi_available) {
      ctx.mi_connect = [this](const std::string& path) -> Result<std::unique_ptr<MiClient>> {
        mi.paths.push_back(path);
        if (!mi.connect_status.isOk()) return mi.connect_status;
        return std::unique_ptr<MiClient>(new FakeMiProxy(mi));
      };
    }
    const int code = runCtl(args, ctx);
    out = o.str();
    err = e.str();
    return code;
  }

 private:
  class Proxy final : public db::Connection {
   public:
    explicit Proxy(FakeDb& db) : db_(db) {}
    Result<db::Rows> query(std::string_view s, std::initializer_list<db::Param> p) override {
      return db_.query(s, p);
    }
    Result<db::Rows> query(std::string_view s, const std::vector<db::Param>& p) override {
      return db_.query(s, p);
    }
    Result<std::int64_t> exec(std::string_view s, std::initializer_list<db::Param> p) override {
      return db_.exec(s, p);
    }
    Result<std::int64_t> exec(std::string_view s, const std::vector<db::Param>& p) override {
      return db_.exec(s, p);
    }
    Status begin() override { return db_.begin(); }
    Status commit() override { return db_.commit(); }
    Status rollback() override { return db_.rollback(); }
    bool connected() const override { return db_.connected(); }
    Status ensureConnected() override { return db_.ensureConnected(); }
    const db::DbUrl& url() const override { return db_.url(); }

   private:
    FakeDb& db_;
  };
};

}  // namespace sipline::ctl::testing
