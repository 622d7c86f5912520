// JsonFields: reads the fields of a parsed JSON object without throwing,
// remembering the first problem so the caller checks once at the end.
//
//   JsonFields fields(object, "ack command", JsonFields::Source::kRecord);
//   Ack ack{.id = fields.RequireString("id"), .now_ms = fields.RequireInt("now_ms")};
//   DSC_RETURN_IF_ERROR(fields.status());
//
// Each getter returns the field's value, or a default (empty, 0, false,
// nullopt) when the field has a problem: missing, of the wrong type, out of
// range. The first problem is kept, later ones are dropped, and it names
// the field: `ack command: field "now_ms": expected an integer, got string`.
// The Source decides its code: a client's request is InvalidArgument (a
// 400), bytes dsc wrote itself are Corruption. nlohmann's own accessors
// throw on a type mismatch; nothing here does.
//
// An explicit null is "missing" to the typed getters (so `"worker": null`
// reads as no worker) but present to Has and RequireValue(Text). An
// integer may be written as a whole float (5.0, as some clients send) but
// never as 5.5.
//
// Thread-safety: one JsonFields per thread. It borrows `object`, which must
// outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace dsc {

// Inclusive bounds for an integer field.
struct IntRange {
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();
};

class JsonFields {
 public:
  // Where the object came from, which decides what a problem is.
  enum class Source {
    kRequest,  // a client sent it: problems are InvalidArgument
    kRecord,   // dsc wrote it (a log record, a saved task): problems are Corruption
  };

  // `what` starts each message ("enqueue command: ..."); empty adds nothing.
  // An `object` that is not a JSON object is itself a problem.
  JsonFields(const nlohmann::json& object, std::string_view what, Source source);

  // True when `key` is present, even as null.
  bool Has(std::string_view key) const;

  std::string RequireString(std::string_view key);
  int64_t RequireInt(std::string_view key, IntRange range = {});
  double RequireNumber(std::string_view key);  // an integer or a float
  bool RequireBool(std::string_view key);
  // An array of strings, possibly empty. One longer than max_items is a
  // problem, found before anything is copied.
  std::vector<std::string> RequireStringArray(std::string_view key, size_t max_items);
  // Any JSON value, even null: as JSON, or written back as compact text.
  nlohmann::json RequireValue(std::string_view key);
  std::string RequireValueText(std::string_view key);

  // Absent or null reads as nullopt, and so does a field with a problem.
  std::optional<std::string> OptionalString(std::string_view key);
  std::optional<int64_t> OptionalInt(std::string_view key, IntRange range = {});
  std::optional<double> OptionalNumber(std::string_view key);
  std::optional<bool> OptionalBool(std::string_view key);

  // Records a problem the caller found itself ("id is empty"), unless an
  // earlier one is already kept.
  void Fail(std::string_view message);

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

 private:
  // The value under `key`, or nullptr when it is absent or null (a
  // "missing field" problem when `required`).
  const nlohmann::json* Find(std::string_view key, bool required);
  // The value under `key`, even null, or nullptr after "missing field".
  const nlohmann::json* FindEvenNull(std::string_view key);
  // The value as each type, or nullopt after recording why it is not one.
  std::optional<std::string> AsString(std::string_view key, const nlohmann::json& value);
  std::optional<int64_t> AsInt(std::string_view key, const nlohmann::json& value, IntRange range);
  std::optional<double> AsNumber(std::string_view key, const nlohmann::json& value);
  std::optional<bool> AsBool(std::string_view key, const nlohmann::json& value);
  void FailType(std::string_view key, std::string_view expected, const nlohmann::json& got);

  const nlohmann::json& object_;
  std::string what_;
  Source source_;
  Status status_;
};

}  // namespace dsc
