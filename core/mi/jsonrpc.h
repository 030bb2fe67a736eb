// JSON-RPC 2.0 (https://www.jsonrpc.org/specification) on top of the MI registry: turns one
// request text into one response text. No I/O and no state, so the unix socket server, a future
// HTTP endpoint and the tests all share it. Runs in the MI process; the registry is read-only
// there, so no locks.
//
// Error mapping (the "code" of the error object):
//   -32700 parse error        the text is not JSON (message carries nlohmann's position text)
//   -32600 invalid request    not an object, "jsonrpc" != "2.0", "method" not a string, "id" not
//                             a string/number/null, "params" not an object/array, empty batch,
//                             a batch of more than kJsonRpcMaxBatch elements (one error, id
//                             null, naming the limit; none of the elements runs)
//   -32601 method not found   message names the method; data {"suggestions": [...]} when
//                             close names exist
//   -32602 invalid params     message names the param and the expected type (bindMiParams);
//                             data {"usage": "cmd a:string [b:int]"}
//   -32000 server error       the handler returned a non-ok Status: message is the status
//                             message, data {"status": "not_found"} (the Code in snake_case)
//   -32603 internal error     the handler threw (caught with a catch-all), or the server failed
//                             to build the response
// A handler's Status is a normal outcome ("no such AOR"), not an internal error, so it gets the
// implementation-defined server-error code and keeps its message; siplinectl maps "status".
// Notifications (valid requests without "id") run but get no response, whatever the outcome;
// a request that fails validation (-32700/-32600) is always answered, with "id" echoed when it
// was readable and null otherwise. A batch answers with an array of the non-notification
// responses, or nothing at all when every element was a notification.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/mi/json.h"
#include "core/mi/mi_registry.h"

namespace sipline {

// Elements of one batch at most: a batch runs to completion in the single-threaded MI loop,
// so its size bounds how long one client can hold every other one up.
inline constexpr std::size_t kJsonRpcMaxBatch = 100;

enum JsonRpcError : int {
  kJsonRpcParseError = -32700,
  kJsonRpcInvalidRequest = -32600,
  kJsonRpcMethodNotFound = -32601,
  kJsonRpcInvalidParams = -32602,
  kJsonRpcInternalError = -32603,
  kJsonRpcServerError = -32000,
};

// Handles one request text (a single object or a batch array) and returns the response text,
// compact and without a trailing newline; "" when nothing is to be answered (notifications
// only). Never throws. Strings that are not valid UTF-8 in a handler's result are replaced
// (U+FFFD) rather than failing the response.
std::string handleJsonRpc(const MiRegistry& registry, std::string_view request);

// A complete error response text with "id": null, for transport-level errors (an oversized
// request, too many clients).
std::string jsonRpcErrorResponse(int code, std::string_view message);

// Snake-case name of a status code ("invalid_argument"), used as the -32000 error's data.
const char* statusCodeName(Code code);

}  // namespace sipline
