// JsonBody: reads the fields of a JSON request body, remembering the first
// problem so a handler checks once instead of after every field.
//
//   JsonBody body(req.body());
//   std::string worker = body.RequireString("worker");
//   int64_t lease_ms = body.RequireInt("lease_ms", {1, 3'600'000});
//   int64_t wait_ms = body.OptionalInt("wait_ms", 0, {0, 60'000});
//   if (!body.ok()) return ReplyStatus(res, body.status());  // 400
//
// It parses the text and hands the fields to a JsonFields
// (base/json_fields.h), which holds the rules. Once a problem is found
// (malformed JSON, the body not an object, a missing field, a field of the
// wrong type or out of range) status() holds an InvalidArgument naming it,
// e.g. `field "lease_ms": expected an integer, got string`; a getter with
// a problem returns its default. Nothing here throws.
//
// Thread-safety: a JsonBody is used by one thread (one request).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/json_fields.h"
#include "base/status.h"

namespace dsc::node {

using dsc::IntRange;

class JsonBody {
 public:
  // Parses `text`; an empty body reads as `{}` so a request whose fields
  // are all optional needs no body. The body must be a JSON object.
  explicit JsonBody(std::string_view text);

  bool ok() const { return fields_.ok(); }
  const Status& status() const { return fields_.status(); }

  // The parsed object ({} when parsing failed).
  const nlohmann::json& json() const { return *json_; }
  bool Has(std::string_view key) const { return fields_.Has(key); }

  std::string RequireString(std::string_view key) { return fields_.RequireString(key); }
  std::string OptionalString(std::string_view key, std::string_view fallback = "") {
    return fields_.OptionalString(key).value_or(std::string(fallback));
  }

  int64_t RequireInt(std::string_view key, IntRange range = {}) {
    return fields_.RequireInt(key, range);
  }
  int64_t OptionalInt(std::string_view key, int64_t fallback, IntRange range = {}) {
    return fields_.OptionalInt(key, range).value_or(fallback);
  }

  double RequireNumber(std::string_view key) { return fields_.RequireNumber(key); }
  double OptionalNumber(std::string_view key, double fallback) {
    return fields_.OptionalNumber(key).value_or(fallback);
  }

  bool OptionalBool(std::string_view key, bool fallback) {
    return fields_.OptionalBool(key).value_or(fallback);
  }

  // Any JSON value (object, array, string, even null), e.g. a task's payload.
  nlohmann::json RequireValue(std::string_view key) { return fields_.RequireValue(key); }

  // Records a problem found by the handler's own checks (first one wins).
  void Fail(std::string_view message) { fields_.Fail(message); }

 private:
  // On the heap so that fields_, which borrows it, stays valid when a
  // JsonBody is moved (handlers return one from a helper).
  std::unique_ptr<nlohmann::json> json_;
  JsonFields fields_;
};

}  // namespace dsc::node
