// Finding one of our listening sockets from its script text ("udp:10.0.0.1:5060"), for $fs
// and force_send_socket(). The text is parsed like a socket in sipline.cfg (so "udp:10.0.0.1"
// means port 5060) and compared with each listener's canonical text. Pure lookup, no I/O.
#pragma once

#include <string_view>

#include "core/base/status.h"

namespace sipline {

struct Listener;
class Listeners;

// The listener named by text, or an error that names the text and lists our sockets.
Result<const Listener*> findListenerByText(const Listeners& set, std::string_view text);
// Before the sockets are bound: ok when canonical `text` is one of the declared sockets (or
// none is declared, as in unit tests), else an error that lists them.
Status checkDeclaredSocket(const Listeners& set, const std::string& text);

}  // namespace sipline
