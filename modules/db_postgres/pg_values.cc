// Parameter marshalling and SQLSTATE mapping for db_postgres (see pg_values.h).
#include "modules/db_postgres/pg_values.h"

#include <charconv>
#include <cmath>
#include <type_traits>

namespace sipline::pg {
namespace {

// Type oids from PostgreSQL's pg_type.dat; they are fixed since 7.x.
constexpr unsigned int kBoolOid = 16;
constexpr unsigned int kInt8Oid = 20;
constexpr unsigned int kFloat8Oid = 701;

}  // namespace

unsigned int paramOid(const db::Param& p) {
  return std::visit(
      [](const auto& v) -> unsigned int {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::int64_t>) return kInt8Oid;
        if constexpr (std::is_same_v<T, double>) return kFloat8Oid;
        if constexpr (std::is_same_v<T, bool>) return kBoolOid;
        return 0;
      },
      p);
}

std::string paramText(const db::Param& p) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::int64_t>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<T, double>) {
          if (std::isnan(v)) return "NaN";
          if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
          char buf[32];
          auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest exact form
          return ec == std::errc() ? std::string(buf, end) : std::string("NaN");
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "t" : "f";
        } else if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else {
          return "";
        }
      },
      p);
}

Status statusForSqlState(std::string_view sqlstate, std::string_view primary,
                         std::string_view detail) {
  std::string msg(primary.empty() ? std::string_view("server error") : primary);
  if (!detail.empty()) msg.append(": ").append(detail);
  if (!sqlstate.empty()) msg.append(" (SQLSTATE ").append(sqlstate).append(")");
  std::string_view cls = sqlstate.substr(0, std::min<std::size_t>(2, sqlstate.size()));
  if (cls == "08" || cls == "57" || cls == "53" || cls == "58") {
    return Status::unavailable(std::move(msg));
  }
  if (cls == "22" || cls == "42") return Status::invalidArgument(std::move(msg));
  return Status::failedPrecondition(std::move(msg));
}

bool invalidatesStatement(std::string_view sqlstate) {
  return sqlstate == "26000" || sqlstate == "0A000";
}

}  // namespace sipline::pg
