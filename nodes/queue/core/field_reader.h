// FieldReader: reads the fields of a parsed JSON object without throwing.
// Internal to dsc_queue_core (commands and tasks use it to decode).
//
//   FieldReader r(object, "ack command");
//   Ack ack{.id = r.String("id"), .worker = r.String("worker"), ...};
//   DSC_RETURN_IF_ERROR(r.status());
//
// Each getter returns the field's value, or a harmless default when the
// field is missing or has the wrong type; the first such problem is kept
// as a Corruption status naming the field, so the caller checks once at
// the end. nlohmann's own accessors throw on a type mismatch, which must
// never escape a decoder that reads bytes from disk.
//
// Thread-safety: one reader per thread; it borrows `object`, which must
// outlive it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace dsc::queue {

class FieldReader {
 public:
  // `what` names the object in error messages ("enqueue command").
  FieldReader(const nlohmann::json& object, std::string_view what);

  std::string String(std::string_view key);
  int64_t Int(std::string_view key);
  bool Bool(std::string_view key);
  // Absent and null both read as nullopt.
  std::optional<std::string> OptionalString(std::string_view key);
  std::optional<int64_t> OptionalInt(std::string_view key);
  // An array of strings (possibly empty). An array longer than max_items
  // is an error, found before anything is copied.
  std::vector<std::string> StringArray(std::string_view key, size_t max_items);
  // Any JSON value, written back as compact text.
  std::string JsonText(std::string_view key);

  // Records a problem found by the caller (a value out of range...).
  void Fail(std::string_view message);

  // OK when every field read so far was present and well typed.
  const Status& status() const { return status_; }

 private:
  // The field, or nullptr (and a recorded error) when it is missing.
  const nlohmann::json* Find(std::string_view key);
  void WrongType(std::string_view key, std::string_view expected);

  const nlohmann::json& object_;
  std::string what_;
  Status status_;
};

}  // namespace dsc::queue
