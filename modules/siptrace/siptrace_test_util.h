// Test helpers of the siptrace unit tests: SIP messages of a call, a fake DB connection
// that records its COPY loads (or fails as a DB that is down), the module's counters bound to
// local slots, and a collector connection reset with a RST.
#pragma once

#include <cppunit/extensions/HelperMacros.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/db/db.h"
#include "modules/siptrace/siptrace.h"

namespace sipline::siptrace::testing {

// traced, written, hep_sent, dropped, db_errors count into slots[0..4], zeroed.
inline void bindCounters(Counters& k, std::atomic<std::uint64_t> (&slots)[5]) {
  for (auto& s : slots) s.store(0);
  k.traced.bindForTest(&slots[0]);
  k.written.bindForTest(&slots[1]);
  k.hep_sent.bindForTest(&slots[2]);
  k.dropped.bindForTest(&slots[3]);
  k.db_errors.bindForTest(&slots[4]);
}

// The collector accepts the connection pending on listening socket lfd and resets it (RST),
// then stops listening.
inline void acceptAndReset(int lfd) {
  int conn = accept(lfd, nullptr, nullptr);
  CPPUNIT_ASSERT(conn >= 0);
  linger reset{1, 0};
  setsockopt(conn, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  close(conn);
  close(lfd);
}

inline std::string invite(std::string_view call_id, std::string_view from_user = "alice",
                          std::string_view to_user = "bob") {
  return "INVITE sip:" + std::string(to_user) +
         "@example.com SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
         "From: \"Alice\" <sip:" +
         std::string(from_user) +
         "@example.com>;tag=ft1\r\n"
         "To: <sip:" +
         std::string(to_user) +
         "@Example.COM>\r\n"
         "Call-ID: " +
         std::string(call_id) +
         "\r\n"
         "CSeq: 1 INVITE\r\n"
         "Content-Length: 0\r\n\r\n";
}

inline std::string reply(std::string_view call_id, std::string_view status) {
  return "SIP/2.0 " + std::string(status) +
         "\r\n"
         "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
         "f: sip:alice@example.com;tag=ft1\r\n"
         "t: <sip:bob@example.com>;tag=tt2\r\n"
         "i: " +
         std::string(call_id) +
         "\r\n"
         "CSeq: 1 INVITE\r\n"
         "Content-Length: 0\r\n\r\n";
}

struct FakeTraceDb {
  bool down = false;
  std::vector<std::string> statements;
  std::vector<std::vector<db::Param>> params;
};

class FakeTraceConnection final : public db::Connection {
 public:
  explicit FakeTraceConnection(FakeTraceDb* db) : db_(db) {}
  Result<db::Rows> query(std::string_view, std::initializer_list<db::Param>) override {
    return Status::unsupported("fake");
  }
  Result<db::Rows> query(std::string_view, const std::vector<db::Param>&) override {
    return Status::unsupported("fake");
  }
  Result<std::int64_t> exec(std::string_view sql, std::initializer_list<db::Param> p) override {
    return exec(sql, std::vector<db::Param>(p));
  }
  Result<std::int64_t> exec(std::string_view sql, const std::vector<db::Param>& p) override {
    if (db_->down) return Status::unavailable("connection refused");
    db_->statements.emplace_back(sql);
    db_->params.push_back(p);
    return static_cast<std::int64_t>(p.size() / 15);
  }
  // The COPY's rows decoded back into one parameter list per batch, as an INSERT's would be:
  // text unescaped, time_us and the ports as integers. Checks the rows' shape as it goes.
  Result<std::int64_t> copyIn(std::string_view sql, std::string_view data) override {
    if (db_->down) return Status::unavailable("connection refused");
    db_->statements.emplace_back(sql);
    std::vector<db::Param> out;
    std::int64_t rows = 0;
    std::string field;
    std::size_t column = 0;
    for (std::size_t i = 0; i < data.size(); ++i) {
      const char c = data[i];
      if (c == '\\') {
        CPPUNIT_ASSERT(i + 1 < data.size());
        const char e = data[++i];
        CPPUNIT_ASSERT(e == '\\' || e == 't' || e == 'n' || e == 'r');
        field += e == 't' ? '\t' : e == 'n' ? '\n' : e == 'r' ? '\r' : '\\';
        continue;
      }
      CPPUNIT_ASSERT(c != '\r');
      if (c != '\t' && c != '\n') {
        field += c;
        continue;
      }
      if (column == 1 || column == 9 || column == 12) {
        out.emplace_back(static_cast<std::int64_t>(std::stoll(field)));
      } else {
        out.emplace_back(field);
      }
      field.clear();
      ++column;
      if (c == '\n') {
        CPPUNIT_ASSERT_EQUAL(std::size_t{15}, column);
        column = 0;
        ++rows;
      }
    }
    CPPUNIT_ASSERT(field.empty() && column == 0);
    db_->params.push_back(std::move(out));
    return rows;
  }
  Status begin() override { return Status::ok(); }
  Status commit() override { return Status::ok(); }
  Status rollback() override { return Status::ok(); }
  bool connected() const override { return !db_->down; }
  Status ensureConnected() override { return Status::ok(); }
  const db::DbUrl& url() const override { return url_; }

 private:
  FakeTraceDb* db_;
  db::DbUrl url_;
};

}  // namespace sipline::siptrace::testing
