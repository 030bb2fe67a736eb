// The reason phrase of a status code (RFC 3261 §21 and the extensions a proxy meets), for
// replies the server makes up itself from a code alone: a final regenerated when the one
// received could not be kept (shared memory full), a timeout, a transport error.
#pragma once

#include <string_view>

namespace sipline {

// "Busy Here" for 486; for a code not listed, the phrase of its class ("Client Error" for an
// unknown 4xx), "Unknown" outside 100-699.
std::string_view reasonPhrase(int code);

}  // namespace sipline
