// JsonBody: reads the fields of a JSON request body, remembering the first
// problem so a handler checks once instead of after every field.
//
//   JsonBody body(req.body());
//   std::string worker = body.RequireString("worker");
//   int64_t lease_ms = body.RequireInt("lease_ms", {1, 3'600'000});
//   int64_t wait_ms = body.OptionalInt("wait_ms", 0, {0, 60'000});
//   if (!body.ok()) return ReplyStatus(res, body.status());  // 400
//
// Once a problem is found (malformed JSON, the body not an object, a
// missing field, a field of the wrong type or out of range) status() holds
// an InvalidArgument naming it, e.g. `field "lease_ms": expected an
// integer, got string`, and later getters return their defaults without
// overwriting it. Nothing here throws.
//
// Thread-safety: a JsonBody is used by one thread (one request).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace dsc::node {

// Inclusive bounds for an integer field.
struct IntRange {
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();
};

class JsonBody {
 public:
  // Parses `text`; an empty body reads as `{}` so a request whose fields
  // are all optional needs no body. The body must be a JSON object.
  explicit JsonBody(std::string_view text);

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  // The parsed object ({} when parsing failed).
  const nlohmann::json& json() const { return json_; }
  bool Has(std::string_view key) const;

  std::string RequireString(std::string_view key);
  std::string OptionalString(std::string_view key, std::string_view fallback = "");

  int64_t RequireInt(std::string_view key, IntRange range = {});
  int64_t OptionalInt(std::string_view key, int64_t fallback, IntRange range = {});

  double RequireNumber(std::string_view key);
  double OptionalNumber(std::string_view key, double fallback);

  bool OptionalBool(std::string_view key, bool fallback);

  // Any JSON value (object, array, string, even null), e.g. a task's payload.
  nlohmann::json RequireValue(std::string_view key);

  // Records a problem found by the handler's own checks (first one wins).
  void Fail(std::string_view message);

 private:
  // The value under `key`, or null when absent (records "missing field"
  // when `required`).
  const nlohmann::json* Find(std::string_view key, bool required);
  void FailType(std::string_view key, std::string_view expected, const nlohmann::json& got);

  nlohmann::json json_ = nlohmann::json::object();
  Status status_;
};

}  // namespace dsc::node
