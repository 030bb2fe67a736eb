#include "tools/siplinectl/db_errors.h"

namespace sipline::ctl {

std::string withoutServerDetail(std::string_view message) {
  std::size_t libpq_detail = message.find("DETAIL:");
  if (libpq_detail != std::string_view::npos) {
    message = message.substr(0, libpq_detail);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.remove_suffix(1);
    }
  }
  // db_postgres writes "primary[: detail][ (SQLSTATE xxxxx)]"; a primary with ": " in it
  // loses its tail as well, which errs on the side of showing less.
  std::size_t state = message.rfind(" (SQLSTATE ");
  if (state == std::string_view::npos) return std::string(message);
  std::size_t colon = message.find(": ");
  if (colon == std::string_view::npos || colon > state) return std::string(message);
  return std::string(message.substr(0, colon)) + std::string(message.substr(state));
}

Status fromDatabase(const Status& st) {
  if (st.isOk()) return st;
  std::string message = withoutServerDetail(st.message());
  if (st.code() == Code::kUnavailable) return Status::unavailable(std::move(message));
  return Status::internal(std::move(message));
}

Status rollbackWith(db::Connection& conn, Status st) {
  Status rb = conn.rollback();
  (void)rb;
  return st;
}

}  // namespace sipline::ctl
