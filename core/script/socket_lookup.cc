#include "core/script/socket_lookup.h"

#include <string>

#include "core/config/socket_spec.h"
#include "core/transport/listener.h"

namespace sipline {

Result<const Listener*> findListenerByText(const Listeners& set, std::string_view text) {
  Result<SocketSpec> spec = parseSocketSpec(text);
  if (!spec.isOk()) return spec.status();
  std::string ours;
  for (const Listener& l : set.all()) {
    if (l.text == spec.value().text) return &l;
    ours += ours.empty() ? l.text : ", " + l.text;
  }
  return Status::notFound("socket " + spec.value().text + " is not one of ours (" +
                          (ours.empty() ? std::string("no sockets") : "listening on: " + ours) +
                          ")");
}

}  // namespace sipline
