// Status and Result<T>: the error type of the control plane (config, load, init, MI, DB).
// A Status is ok or carries a code and a message; Result<T> is a value or a non-ok Status.
// Both are plain values, cheap to move; they allocate only for the message, so they are not
// used on per-packet paths (those use small enums such as ParseError and Verdict).
// Not shm-safe (std::string inside).
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace sipline {

enum class Code {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kNoMemory,
  kIoError,
  kUnavailable,
  kFailedPrecondition,
  kInternal,
  kUnsupported,
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status invalidArgument(std::string m) {
    return Status(Code::kInvalidArgument, std::move(m));
  }
  static Status notFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
  static Status alreadyExists(std::string m) { return Status(Code::kAlreadyExists, std::move(m)); }
  static Status noMemory(std::string m) { return Status(Code::kNoMemory, std::move(m)); }
  static Status ioError(std::string m) { return Status(Code::kIoError, std::move(m)); }
  static Status unavailable(std::string m) { return Status(Code::kUnavailable, std::move(m)); }
  static Status failedPrecondition(std::string m) {
    return Status(Code::kFailedPrecondition, std::move(m));
  }
  static Status internal(std::string m) { return Status(Code::kInternal, std::move(m)); }
  static Status unsupported(std::string m) { return Status(Code::kUnsupported, std::move(m)); }

  bool isOk() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "message" or "prefix: message"; returns a new Status with the same code.
  Status withPrefix(const std::string& prefix) const {
    return isOk() ? *this : Status(code_, prefix + ": " + message_);
  }

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: must not be ok
  bool isOk() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace sipline
