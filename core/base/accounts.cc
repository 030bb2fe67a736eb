#include "core/base/accounts.h"

#include <grp.h>
#include <pwd.h>

#include <charconv>
#include <optional>
#include <system_error>
#include <vector>

namespace sipline {
namespace {

std::optional<unsigned> parseId(const std::string& text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value == static_cast<unsigned>(-1)) return std::nullopt;  // (uid_t)-1: "no change"
  return value;
}

std::string lookupFailure(const char* kind, const std::string& name, int rc) {
  std::string text = std::string("no ") + kind + " '" + name + "'";
  if (rc != 0) text += " (" + std::error_code(rc, std::generic_category()).message() + ")";
  return text;
}

}  // namespace

Result<uid_t> userId(const std::string& user) {
  if (std::optional<unsigned> id = parseId(user)) return static_cast<uid_t>(*id);
  std::vector<char> buf(16384);
  passwd pw;
  passwd* found = nullptr;
  int rc = getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
  if (found == nullptr) return Status::notFound(lookupFailure("user", user, rc));
  return pw.pw_uid;
}

Result<gid_t> groupId(const std::string& group) {
  if (std::optional<unsigned> id = parseId(group)) return static_cast<gid_t>(*id);
  std::vector<char> buf(16384);
  struct group gr;
  struct group* found = nullptr;
  int rc = getgrnam_r(group.c_str(), &gr, buf.data(), buf.size(), &found);
  if (found == nullptr) return Status::notFound(lookupFailure("group", group, rc));
  return gr.gr_gid;
}

std::string userName(uid_t uid) {
  std::vector<char> buf(16384);
  passwd pw;
  passwd* found = nullptr;
  getpwuid_r(uid, &pw, buf.data(), buf.size(), &found);
  return found != nullptr ? std::string(found->pw_name) : std::string();
}

}  // namespace sipline
