#include "core/script/socket_lookup.h"

#include <string>
#include <vector>

#include "core/config/socket_spec.h"
#include "core/transport/listener.h"

namespace sipline {

namespace {
Status notOurs(const std::string& text, const std::vector<std::string>& ours) {
  std::string list;
  for (const std::string& t : ours) list += list.empty() ? t : ", " + t;
  return Status::notFound("socket " + text + " is not one of ours (" +
                          (list.empty() ? std::string("no sockets") : "listening on: " + list) +
                          ")");
}
}  // namespace

Result<const Listener*> findListenerByText(const Listeners& set, std::string_view text) {
  Result<SocketSpec> spec = parseSocketSpec(text);
  if (!spec.isOk()) return spec.status();
  for (const Listener& l : set.all()) {
    if (l.text == spec.value().text) return &l;
  }
  return notOurs(spec.value().text, set.socketTexts());
}

Status checkDeclaredSocket(const Listeners& set, const std::string& text) {
  std::vector<std::string> declared = set.socketTexts();
  if (declared.empty()) return Status::ok();
  for (const std::string& t : declared) {
    if (t == text) return Status::ok();
  }
  return notOurs(text, declared);
}

}  // namespace sipline
