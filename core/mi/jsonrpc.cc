#include "core/mi/jsonrpc.h"

#include <exception>
#include <optional>
#include <utility>
#include <vector>

#include "core/base/log.h"
#include "core/proc/process_load.h"

namespace sipline {
namespace {

constexpr std::size_t kMaxParseMessage = 240;

// A SAX consumer that accepts everything and keeps the parser's error text: lets us report
// where the JSON broke without letting nlohmann throw.
struct ParseErrorCapture {
  std::string error;
  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(Json::number_integer_t) { return true; }
  bool number_unsigned(Json::number_unsigned_t) { return true; }
  bool number_float(Json::number_float_t, const Json::string_t&) { return true; }
  bool string(Json::string_t&) { return true; }
  bool binary(Json::binary_t&) { return true; }
  bool start_object(std::size_t) { return true; }
  bool key(Json::string_t&) { return true; }
  bool end_object() { return true; }
  bool start_array(std::size_t) { return true; }
  bool end_array() { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) {
    error = ex.what();
    return false;
  }
};

std::string parseErrorMessage(std::string_view text) {
  ParseErrorCapture capture;
  try {
    Json::sax_parse(text, &capture);
  } catch (const std::exception& e) {
    capture.error = e.what();
  }
  std::string message = capture.error;
  // "[json.exception.parse_error.101] parse error at line 1, ..." -> "parse error at line 1, ..."
  if (!message.empty() && message[0] == '[') {
    std::size_t end = message.find("] ");
    if (end != std::string::npos) message.erase(0, end + 2);
  }
  if (message.empty()) message = "parse error";
  if (message.size() > kMaxParseMessage) message = message.substr(0, kMaxParseMessage) + "...";
  return message;
}

Json errorResponse(const Json& id, int code, std::string message, Json data = nullptr) {
  Json error = Json::object();
  error["code"] = code;
  error["message"] = std::move(message);
  if (!data.is_null()) error["data"] = std::move(data);
  Json response = Json::object();
  response["jsonrpc"] = "2.0";
  response["error"] = std::move(error);
  response["id"] = id;
  return response;
}

Json invalidRequest(const Json& id, const std::string& why) {
  return errorResponse(id, kJsonRpcInvalidRequest, "invalid request: " + why);
}

// One request object -> its response, or nullopt for a notification.
std::optional<Json> handleOne(const MiRegistry& registry, const Json& request) {
  static const Json kNullId;
  if (!request.is_object()) return invalidRequest(kNullId, "expected an object");

  Json id;  // null
  auto id_it = request.find("id");
  bool notification = id_it == request.end();
  if (!notification) {
    if (!id_it->is_string() && !id_it->is_number() && !id_it->is_null()) {
      return invalidRequest(kNullId, "'id' must be a string, a number or null");
    }
    id = *id_it;
  }
  auto version = request.find("jsonrpc");
  if (version == request.end() || !version->is_string() || *version != "2.0") {
    return invalidRequest(id, "'jsonrpc' must be \"2.0\"");
  }
  auto method = request.find("method");
  if (method == request.end() || !method->is_string()) {
    return invalidRequest(id, "'method' must be a string");
  }
  static const Json kNoParams;
  const Json* params = &kNoParams;
  auto params_it = request.find("params");
  if (params_it != request.end()) {
    if (!params_it->is_object() && !params_it->is_array()) {
      return invalidRequest(id, "'params' must be an object or an array");
    }
    params = &*params_it;
  }

  const std::string& name = method->get_ref<const std::string&>();
  const MiCommand* cmd = registry.find(name);
  if (cmd == nullptr) {
    if (notification) return std::nullopt;
    Json data;
    std::vector<std::string> close = registry.suggest(name);
    if (!close.empty()) data = Json{{"suggestions", close}};
    return errorResponse(id, kJsonRpcMethodNotFound, "method not found: " + name, std::move(data));
  }
  Result<MiParams> bound = bindMiParams(*cmd, *params);
  if (!bound.isOk()) {
    if (notification) return std::nullopt;
    return errorResponse(id, kJsonRpcInvalidParams, "invalid params: " + bound.status().message(),
                         Json{{"usage", miUsage(*cmd)}});
  }

  std::optional<Result<Json>> result;
  std::string failure;
  try {
    result.emplace(cmd->handler(bound.value()));
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  if (!result) {
    SL_ERR("mi: command '%s' (module %s) threw: %s", cmd->name.c_str(), cmd->module.c_str(),
           failure.c_str());
    if (notification) return std::nullopt;
    return errorResponse(id, kJsonRpcInternalError,
                         "internal error in '" + cmd->name + "': " + failure);
  }
  if (!result->isOk()) {
    const Status& status = result->status();
    SL_DBG("mi: command '%s' failed: %s", cmd->name.c_str(), status.message().c_str());
    if (notification) return std::nullopt;
    std::string message = status.message().empty() ? "command failed" : status.message();
    return errorResponse(id, kJsonRpcServerError, std::move(message),
                         Json{{"status", statusCodeName(status.code())}});
  }
  if (notification) return std::nullopt;
  Json response = Json::object();
  response["jsonrpc"] = "2.0";
  response["result"] = std::move(*result).value();
  response["id"] = id;
  return response;
}

std::string dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

const char* statusCodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidArgument:
      return "invalid_argument";
    case Code::kNotFound:
      return "not_found";
    case Code::kAlreadyExists:
      return "already_exists";
    case Code::kNoMemory:
      return "no_memory";
    case Code::kIoError:
      return "io_error";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kFailedPrecondition:
      return "failed_precondition";
    case Code::kInternal:
      return "internal";
    case Code::kUnsupported:
      return "unsupported";
  }
  return "unknown";
}

std::string jsonRpcErrorResponse(int code, std::string_view message) {
  try {
    return dump(errorResponse(Json(), code, std::string(message)));
  } catch (...) {
    return R"({"jsonrpc":"2.0","error":{"code":-32603,"message":"internal error"},"id":null})";
  }
}

std::string handleJsonRpc(const MiRegistry& registry, std::string_view request) {
  BusyScope busy;  // the MI process's load: its time answering requests
  try {
    Json parsed = Json::parse(request, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
      return dump(errorResponse(Json(), kJsonRpcParseError, parseErrorMessage(request)));
    }
    if (!parsed.is_array()) {
      std::optional<Json> response = handleOne(registry, parsed);
      return response ? dump(*response) : std::string();
    }
    if (parsed.empty()) return dump(invalidRequest(Json(), "empty batch"));
    if (parsed.size() > kJsonRpcMaxBatch) {
      return dump(invalidRequest(Json(), "batch of " + std::to_string(parsed.size()) +
                                             " requests exceeds the limit of " +
                                             std::to_string(kJsonRpcMaxBatch)));
    }
    Json responses = Json::array();
    for (const Json& element : parsed) {
      std::optional<Json> response = handleOne(registry, element);
      if (response) responses.push_back(std::move(*response));
    }
    return responses.empty() ? std::string() : dump(responses);
  } catch (const std::exception& e) {
    SL_ERR("mi: failed to answer a JSON-RPC request: %s", e.what());
    return jsonRpcErrorResponse(kJsonRpcInternalError, std::string("internal error: ") + e.what());
  } catch (...) {
    SL_ERR("mi: failed to answer a JSON-RPC request");
    return jsonRpcErrorResponse(kJsonRpcInternalError, "internal error");
  }
}

}  // namespace sipline
