#include "base/json_fields.h"

#include <cmath>

namespace dsc {
namespace {

// `field "lease_ms"`: how every message about a field starts.
std::string FieldName(std::string_view key) { return "field \"" + std::string(key) + "\""; }

// A double that is a whole number small enough (below 2^53) to convert
// to int64 exactly. NaN and infinities are not.
bool IsWhole(double d) { return std::nearbyint(d) == d && std::fabs(d) < 9e15; }

}  // namespace

JsonFields::JsonFields(const nlohmann::json& object, std::string_view what, Source source)
    : object_(object), what_(what), source_(source) {
  if (!object_.is_object()) {
    Fail(std::string("must be a JSON object, got ") + object_.type_name());
  }
}

bool JsonFields::Has(std::string_view key) const { return object_.contains(key); }

void JsonFields::Fail(std::string_view message) {
  if (!status_.ok()) return;
  const std::string text =
      what_.empty() ? std::string(message) : what_ + ": " + std::string(message);
  status_ = source_ == Source::kRequest ? Status::InvalidArgument(text) : Status::Corruption(text);
}

void JsonFields::FailType(std::string_view key, std::string_view expected,
                          const nlohmann::json& got) {
  Fail(FieldName(key) + ": expected " + std::string(expected) + ", got " + got.type_name());
}

const nlohmann::json* JsonFields::Find(std::string_view key, bool required) {
  // find() on a non-object finds nothing; the constructor already said why.
  const auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) {
    if (required) Fail("missing " + FieldName(key));
    return nullptr;
  }
  return &*it;
}

const nlohmann::json* JsonFields::FindEvenNull(std::string_view key) {
  const auto it = object_.find(key);
  if (it == object_.end()) {
    Fail("missing " + FieldName(key));
    return nullptr;
  }
  return &*it;
}

std::optional<std::string> JsonFields::AsString(std::string_view key, const nlohmann::json& value) {
  if (!value.is_string()) {
    FailType(key, "a string", value);
    return std::nullopt;
  }
  return value.get_ref<const std::string&>();
}

std::optional<int64_t> JsonFields::AsInt(std::string_view key, const nlohmann::json& value,
                                         IntRange range) {
  int64_t result = 0;
  if (value.is_number_unsigned()) {
    // nlohmann keeps non-negative integers as unsigned; past INT64_MAX
    // they do not fit.
    const auto u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      Fail(FieldName(key) + ": integer too large");
      return std::nullopt;
    }
    result = static_cast<int64_t>(u);
  } else if (value.is_number_integer()) {
    result = value.get<int64_t>();
  } else if (value.is_number_float() && IsWhole(value.get<double>())) {
    result = static_cast<int64_t>(value.get<double>());  // 5.0 is fine, 5.5 is not
  } else {
    FailType(key, "an integer", value);
    return std::nullopt;
  }
  if (result < range.min || result > range.max) {
    Fail(FieldName(key) + ": " + std::to_string(result) + " is out of range " +
         std::to_string(range.min) + ".." + std::to_string(range.max));
    return std::nullopt;
  }
  return result;
}

std::optional<double> JsonFields::AsNumber(std::string_view key, const nlohmann::json& value) {
  if (!value.is_number()) {
    FailType(key, "a number", value);
    return std::nullopt;
  }
  return value.get<double>();
}

std::optional<bool> JsonFields::AsBool(std::string_view key, const nlohmann::json& value) {
  if (!value.is_boolean()) {
    FailType(key, "true or false", value);
    return std::nullopt;
  }
  return value.get<bool>();
}

std::string JsonFields::RequireString(std::string_view key) {
  const nlohmann::json* value = Find(key, /*required=*/true);
  if (value == nullptr) return "";
  return AsString(key, *value).value_or("");
}

int64_t JsonFields::RequireInt(std::string_view key, IntRange range) {
  const nlohmann::json* value = Find(key, /*required=*/true);
  if (value == nullptr) return 0;
  return AsInt(key, *value, range).value_or(0);
}

double JsonFields::RequireNumber(std::string_view key) {
  const nlohmann::json* value = Find(key, /*required=*/true);
  if (value == nullptr) return 0;
  return AsNumber(key, *value).value_or(0);
}

bool JsonFields::RequireBool(std::string_view key) {
  const nlohmann::json* value = Find(key, /*required=*/true);
  if (value == nullptr) return false;
  return AsBool(key, *value).value_or(false);
}

std::vector<std::string> JsonFields::RequireStringArray(std::string_view key, size_t max_items) {
  const nlohmann::json* value = Find(key, /*required=*/true);
  if (value == nullptr) return {};
  if (!value->is_array()) {
    FailType(key, "an array of strings", *value);
    return {};
  }
  // Counted first, so a huge array costs nothing to refuse.
  if (value->size() > max_items) {
    Fail(FieldName(key) + ": more than " + std::to_string(max_items) + " items");
    return {};
  }
  std::vector<std::string> out;
  out.reserve(value->size());
  for (size_t i = 0; i < value->size(); ++i) {
    const nlohmann::json& item = (*value)[i];
    if (!item.is_string()) {
      Fail(FieldName(key) + ": expected an array of strings, item " + std::to_string(i) + " is " +
           item.type_name());
      return {};
    }
    out.push_back(item.get_ref<const std::string&>());
  }
  return out;
}

nlohmann::json JsonFields::RequireValue(std::string_view key) {
  const nlohmann::json* value = FindEvenNull(key);
  if (value == nullptr) return nullptr;
  return *value;
}

std::string JsonFields::RequireValueText(std::string_view key) {
  const nlohmann::json* value = FindEvenNull(key);
  if (value == nullptr) return "";
  // `replace` instead of throwing on invalid UTF-8 (a parsed value holds
  // none; one built in code might). Callers bound the nesting depth.
  return value->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<std::string> JsonFields::OptionalString(std::string_view key) {
  const nlohmann::json* value = Find(key, /*required=*/false);
  if (value == nullptr) return std::nullopt;
  return AsString(key, *value);
}

std::optional<int64_t> JsonFields::OptionalInt(std::string_view key, IntRange range) {
  const nlohmann::json* value = Find(key, /*required=*/false);
  if (value == nullptr) return std::nullopt;
  return AsInt(key, *value, range);
}

std::optional<double> JsonFields::OptionalNumber(std::string_view key) {
  const nlohmann::json* value = Find(key, /*required=*/false);
  if (value == nullptr) return std::nullopt;
  return AsNumber(key, *value);
}

std::optional<bool> JsonFields::OptionalBool(std::string_view key) {
  const nlohmann::json* value = Find(key, /*required=*/false);
  if (value == nullptr) return std::nullopt;
  return AsBool(key, *value);
}

}  // namespace dsc
