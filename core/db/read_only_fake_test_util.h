// Tests only: what every read-only fake db::Connection answers alike. A subclass gives
// query(sql, params) and down(); the initializer-list query forwards to it, writes are
// refused, transactions succeed, and the connection is up unless down().
#pragma once

#include <initializer_list>
#include <string_view>
#include <vector>

#include "core/db/db.h"

namespace sipline::db::testing {

class ReadOnlyFakeConnection : public Connection {
 public:
  ReadOnlyFakeConnection() { url_.text = "postgres://fake/sipline"; }
  Result<Rows> query(std::string_view sql, std::initializer_list<Param> p) override {
    return query(sql, std::vector<Param>(p));
  }
  Result<Rows> query(std::string_view sql, const std::vector<Param>& p) override = 0;
  Result<std::int64_t> exec(std::string_view, std::initializer_list<Param>) override {
    return Status::unsupported("fake: read-only");
  }
  Result<std::int64_t> exec(std::string_view, const std::vector<Param>&) override {
    return Status::unsupported("fake: read-only");
  }
  Status begin() override { return Status::ok(); }
  Status commit() override { return Status::ok(); }
  Status rollback() override { return Status::ok(); }
  bool connected() const override { return !down(); }
  Status ensureConnected() override {
    return down() ? Status::unavailable("fake DB is down") : Status::ok();
  }
  const DbUrl& url() const override { return url_; }

 protected:
  virtual bool down() const = 0;

 private:
  DbUrl url_;
};

}  // namespace sipline::db::testing
