#include "nodes/common/json_body.h"

#include <cmath>

namespace dsc::node {

JsonBody::JsonBody(std::string_view text) {
  if (text.empty()) return;
  // allow_exceptions=false: a parse error yields a "discarded" value.
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    Fail("body is not valid JSON");
    return;
  }
  if (!parsed.is_object()) {
    Fail(std::string("body must be a JSON object, got ") + parsed.type_name());
    return;
  }
  json_ = std::move(parsed);
}

bool JsonBody::Has(std::string_view key) const { return json_.contains(key); }

void JsonBody::Fail(std::string_view message) {
  if (status_.ok()) status_ = Status::InvalidArgument(message);
}

void JsonBody::FailType(std::string_view key, std::string_view expected,
                        const nlohmann::json& got) {
  Fail("field \"" + std::string(key) + "\": expected " + std::string(expected) + ", got " +
       got.type_name());
}

const nlohmann::json* JsonBody::Find(std::string_view key, bool required) {
  auto it = json_.find(key);
  if (it == json_.end() || it->is_null()) {
    if (required) Fail("missing field \"" + std::string(key) + "\"");
    return nullptr;
  }
  return &*it;
}

std::string JsonBody::RequireString(std::string_view key) {
  const nlohmann::json* value = Find(key, /*required=*/true);
  if (value == nullptr) return "";
  if (!value->is_string()) {
    FailType(key, "a string", *value);
    return "";
  }
  return value->get<std::string>();
}

std::string JsonBody::OptionalString(std::string_view key, std::string_view fallback) {
  if (!Has(key) || json_.at(key).is_null()) return std::string(fallback);
  return RequireString(key);
}

int64_t JsonBody::RequireInt(std::string_view key, IntRange range) {
  const nlohmann::json* value = Find(key, /*required=*/true);
  if (value == nullptr) return 0;
  int64_t result = 0;
  if (value->is_number_integer()) {
    // Unsigned values above int64 max arrive as number_unsigned.
    if (value->is_number_unsigned() &&
        value->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      Fail("field \"" + std::string(key) + "\": integer too large");
      return 0;
    }
    result = value->get<int64_t>();
  } else if (value->is_number_float() && std::nearbyint(value->get<double>()) == value->get<double>() &&
             std::fabs(value->get<double>()) < 9e15) {
    result = static_cast<int64_t>(value->get<double>());  // 5.0 is fine, 5.5 is not
  } else {
    FailType(key, "an integer", *value);
    return 0;
  }
  if (result < range.min || result > range.max) {
    Fail("field \"" + std::string(key) + "\": " + std::to_string(result) + " is out of range " +
         std::to_string(range.min) + ".." + std::to_string(range.max));
    return 0;
  }
  return result;
}

int64_t JsonBody::OptionalInt(std::string_view key, int64_t fallback, IntRange range) {
  if (!Has(key) || json_.at(key).is_null()) return fallback;
  return RequireInt(key, range);
}

double JsonBody::RequireNumber(std::string_view key) {
  const nlohmann::json* value = Find(key, /*required=*/true);
  if (value == nullptr) return 0;
  if (!value->is_number()) {
    FailType(key, "a number", *value);
    return 0;
  }
  return value->get<double>();
}

double JsonBody::OptionalNumber(std::string_view key, double fallback) {
  if (!Has(key) || json_.at(key).is_null()) return fallback;
  return RequireNumber(key);
}

bool JsonBody::OptionalBool(std::string_view key, bool fallback) {
  const nlohmann::json* value = Find(key, /*required=*/false);
  if (value == nullptr) return fallback;
  if (!value->is_boolean()) {
    FailType(key, "true or false", *value);
    return fallback;
  }
  return value->get<bool>();
}

nlohmann::json JsonBody::RequireValue(std::string_view key) {
  // Unlike the typed getters, an explicit null counts as present here.
  auto it = json_.find(key);
  if (it == json_.end()) {
    Fail("missing field \"" + std::string(key) + "\"");
    return nullptr;
  }
  return *it;
}

}  // namespace dsc::node
