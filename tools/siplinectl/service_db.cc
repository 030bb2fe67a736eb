#include "tools/siplinectl/service_db.h"

namespace sipline::ctl {

std::string cellText(const db::Rows& rows, std::size_t row, int col) {
  std::optional<std::string_view> text = rows.text(row, col);
  return text ? std::string(*text) : std::string();
}

Status unexpectedAnswer(const std::string& what) {
  return Status::internal("unexpected answer from the database (" + what + ")");
}

db::Param fetchLimit(int limit) {
  return limit > 0 ? db::Param(std::int64_t{limit} + 1) : db::Param(std::monostate{});
}

Status lockSubscriber(db::Connection& conn, const Aor& aor) {
  Result<db::Rows> found =
      conn.query("SELECT 1 FROM subscriber WHERE username = $1 AND domain = $2 FOR SHARE",
                 {aor.user, aor.domain});
  if (!found.isOk()) return fromDatabase(found.status());
  if (found.value().empty()) {
    return Status::notFound("no subscriber " + aor.text() +
                            " ('siplinectl subscriber add' creates it; --force skips this check)");
  }
  return Status::ok();
}

}  // namespace sipline::ctl
