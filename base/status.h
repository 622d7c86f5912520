// Status and Result: how dsc reports expected failures.
//
// A Status is either OK or a code plus a human-readable message. Functions
// that can fail in normal operation (a missing file, a corrupt record, a
// full disk) return [[nodiscard]] Status or Result<T>; exceptions never
// cross a module boundary. Modelled on LevelDB's Status.
//
// Thread-safety: immutable values; safe to copy between threads.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace dsc {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kNotFound,         // the thing asked for does not exist
    kCorruption,       // stored bytes fail a checksum or break the format
    kInvalidArgument,  // the caller asked for something impossible
    kIOError,          // the operating system refused (open, write, fsync...)
    kBusy,             // a resource is held by someone else (port, lock)
    kUnavailable,      // temporarily cannot serve (shutting down, no quorum)
    kPoisoned,         // an earlier fsync failed; the log must be reopened
    kConflict,         // the request clashes with the current state (HTTP 409)
  };

  Status() = default;  // OK

  static Status Ok() { return Status(); }
  static Status NotFound(std::string_view msg) { return {Code::kNotFound, msg}; }
  static Status Corruption(std::string_view msg) { return {Code::kCorruption, msg}; }
  static Status InvalidArgument(std::string_view msg) { return {Code::kInvalidArgument, msg}; }
  static Status IOError(std::string_view msg) { return {Code::kIOError, msg}; }
  static Status Busy(std::string_view msg) { return {Code::kBusy, msg}; }
  static Status Unavailable(std::string_view msg) { return {Code::kUnavailable, msg}; }
  static Status Poisoned(std::string_view msg) { return {Code::kPoisoned, msg}; }
  static Status Conflict(std::string_view msg) { return {Code::kConflict, msg}; }

  bool ok() const { return code_ == Code::kOk; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsBusy() const { return code_ == Code::kBusy; }
  bool IsUnavailable() const { return code_ == Code::kUnavailable; }
  bool IsPoisoned() const { return code_ == Code::kPoisoned; }
  bool IsConflict() const { return code_ == Code::kConflict; }

  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // The same failure with `context` in front of its message:
  // IOError("disk full").WithContext("replay LSN 7") -> IOError("replay LSN 7: disk full").
  // OK stays OK.
  Status WithContext(std::string_view context) const;

  // "Corruption: segment 00000000000000000001.wal offset 4096: bad checksum"
  std::string ToString() const;

 private:
  Status(Code code, std::string_view msg) : code_(code), message_(msg) {}

  Code code_ = Code::kOk;
  std::string message_;
};

// Result<T> holds a T or a non-OK Status (in the spirit of std::expected,
// which C++20 lacks).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!status_.ok() && "Result needs a value or an error");
  }

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }

  // OK when a value is held.
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;  // OK exactly when value_ is set
};

}  // namespace dsc

// Returns early from the enclosing function when `expr` is not OK.
#define DSC_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::dsc::Status dsc_status_ = (expr);        \
    if (!dsc_status_.ok()) return dsc_status_; \
  } while (0)
