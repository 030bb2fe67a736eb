// Table address (scripts/sql/address.sql) as `siplinectl address` maintains it: the trusted
// source addresses of the permissions module, by group. Values come in checked
// (service_input.h). The table has no unique key; add refuses a row equal to one that exists
// in (grp, ip, mask, port, proto). Parameterised statements only; kUnavailable when the
// database is gone, kInternal for any other database error (db_errors.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/db/db.h"

namespace sipline::ctl {

struct AddressRow {
  std::int64_t id = 0;  // read back only
  std::int64_t group = 0;
  std::string ip;          // IPv4 or IPv6 text, lower case
  std::int64_t mask = 32;  // prefix length
  std::int64_t port = 0;   // 0 = any
  std::string proto = "any";
  std::string pattern;  // "" = none
  std::string context;  // context_info
};

// "IP/MASK" (IPv6 without brackets).
std::string addressText(const AddressRow& row);

// kAlreadyExists: an equal row exists (nothing changed).
Status addAddress(db::Connection& conn, const AddressRow& row);

// Removes the rows of (group, ip, mask), narrowed to `port` and `proto` when given; returns
// how many. kNotFound when none matched.
Result<std::int64_t> removeAddresses(db::Connection& conn, std::int64_t group,
                                     const std::string& ip, std::int64_t mask,
                                     std::optional<std::int64_t> port,
                                     std::optional<std::string> proto);

struct AddressPage {
  std::vector<AddressRow> rows;  // by group, ip, mask, port, proto
  bool truncated = false;
};
// group nullopt = every group; limit 0 = no limit.
Result<AddressPage> listAddresses(db::Connection& conn, std::optional<std::int64_t> group,
                                  int limit);

}  // namespace sipline::ctl
