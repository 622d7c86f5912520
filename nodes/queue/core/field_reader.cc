#include "nodes/queue/core/field_reader.h"

#include <limits>

namespace dsc::queue {

FieldReader::FieldReader(const nlohmann::json& object, std::string_view what)
    : object_(object), what_(what) {
  if (!object_.is_object()) Fail("is not a JSON object");
}

const nlohmann::json* FieldReader::Find(std::string_view key) {
  if (!object_.is_object()) return nullptr;
  const auto it = object_.find(key);
  if (it == object_.end()) {
    Fail("has no \"" + std::string(key) + "\"");
    return nullptr;
  }
  return &*it;
}

void FieldReader::WrongType(std::string_view key, std::string_view expected) {
  Fail("field \"" + std::string(key) + "\" is not " + std::string(expected));
}

void FieldReader::Fail(std::string_view message) {
  if (status_.ok()) status_ = Status::Corruption(what_ + " " + std::string(message));
}

std::string FieldReader::String(std::string_view key) {
  const nlohmann::json* value = Find(key);
  if (value == nullptr) return {};
  if (!value->is_string()) {
    WrongType(key, "a string");
    return {};
  }
  return value->get_ref<const std::string&>();
}

int64_t FieldReader::Int(std::string_view key) {
  const nlohmann::json* value = Find(key);
  if (value == nullptr) return 0;
  // nlohmann stores non-negative integers as unsigned; those above
  // INT64_MAX do not fit. Floating-point numbers are refused, not rounded.
  if (value->is_number_unsigned()) {
    const auto u = value->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      WrongType(key, "a 64-bit signed integer");
      return 0;
    }
    return static_cast<int64_t>(u);
  }
  if (!value->is_number_integer()) {
    WrongType(key, "an integer");
    return 0;
  }
  return value->get<int64_t>();
}

bool FieldReader::Bool(std::string_view key) {
  const nlohmann::json* value = Find(key);
  if (value == nullptr) return false;
  if (!value->is_boolean()) {
    WrongType(key, "a boolean");
    return false;
  }
  return value->get<bool>();
}

std::optional<std::string> FieldReader::OptionalString(std::string_view key) {
  if (!object_.is_object()) return std::nullopt;
  const auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return std::nullopt;
  return String(key);
}

std::optional<int64_t> FieldReader::OptionalInt(std::string_view key) {
  if (!object_.is_object()) return std::nullopt;
  const auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return std::nullopt;
  return Int(key);
}

std::vector<std::string> FieldReader::StringArray(std::string_view key, size_t max_items) {
  const nlohmann::json* value = Find(key);
  if (value == nullptr) return {};
  if (!value->is_array()) {
    WrongType(key, "an array");
    return {};
  }
  if (value->size() > max_items) {
    Fail("field \"" + std::string(key) + "\" has more than " + std::to_string(max_items) +
         " items");
    return {};
  }
  std::vector<std::string> out;
  out.reserve(value->size());
  for (const nlohmann::json& item : *value) {
    if (!item.is_string()) {
      WrongType(key, "an array of strings");
      return {};
    }
    out.push_back(item.get_ref<const std::string&>());
  }
  return out;
}

std::string FieldReader::JsonText(std::string_view key) {
  const nlohmann::json* value = Find(key);
  if (value == nullptr) return {};
  // Cannot throw: a parsed value holds only valid UTF-8, and the callers
  // bound the nesting depth before parsing.
  return value->dump();
}

}  // namespace dsc::queue
