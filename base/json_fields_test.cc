#include "base/json_fields.h"

#include <gtest/gtest.h>

namespace dsc {
namespace {

using Source = JsonFields::Source;

nlohmann::json Parse(std::string_view text) { return nlohmann::json::parse(text); }

TEST(JsonFields, Getters_ReadWellTypedFields) {
  const nlohmann::json object =
      Parse(R"({"id":"t-1","n":7,"ratio":0.5,"dead":true,"ids":["a","b"],"payload":{"a":[1, 2]}})");
  JsonFields fields(object, "thing", Source::kRecord);
  EXPECT_EQ(fields.RequireString("id"), "t-1");
  EXPECT_EQ(fields.RequireInt("n", {0, 10}), 7);
  EXPECT_DOUBLE_EQ(fields.RequireNumber("ratio"), 0.5);
  EXPECT_DOUBLE_EQ(fields.RequireNumber("n"), 7.0);  // an integer is a number too
  EXPECT_TRUE(fields.RequireBool("dead"));
  EXPECT_EQ(fields.RequireStringArray("ids", 2), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(fields.RequireValue("payload"), Parse(R"({"a":[1,2]})"));
  EXPECT_EQ(fields.RequireValueText("payload"), R"({"a":[1,2]})");  // compact
  EXPECT_TRUE(fields.ok()) << fields.status().ToString();
}

TEST(JsonFields, RequireString_MissingFieldIsNamed) {
  const nlohmann::json object = Parse(R"({"other":1})");
  JsonFields fields(object, "ack command", Source::kRecord);
  EXPECT_EQ(fields.RequireString("worker"), "");
  EXPECT_EQ(fields.status().message(), "ack command: missing field \"worker\"");
}

TEST(JsonFields, RequireString_NullIsMissing) {
  const nlohmann::json object = Parse(R"({"worker":null})");
  JsonFields fields(object, "", Source::kRequest);
  fields.RequireString("worker");
  EXPECT_EQ(fields.status().message(), "missing field \"worker\"");
}

TEST(JsonFields, RequireInt_WrongTypeNamesFieldAndTypes) {
  const nlohmann::json object = Parse(R"({"lease_ms":"soon"})");
  JsonFields fields(object, "", Source::kRequest);
  EXPECT_EQ(fields.RequireInt("lease_ms"), 0);
  EXPECT_EQ(fields.status().message(), "field \"lease_ms\": expected an integer, got string");
}

TEST(JsonFields, RequireBool_WrongTypeNamesFieldAndTypes) {
  const nlohmann::json object = Parse(R"({"dead":"yes"})");
  JsonFields fields(object, "expire command", Source::kRecord);
  EXPECT_FALSE(fields.RequireBool("dead"));
  EXPECT_EQ(fields.status().message(),
            "expire command: field \"dead\": expected true or false, got string");
}

TEST(JsonFields, RequireInt_OutOfRangeIsNamed) {
  const nlohmann::json object = Parse(R"({"max_retries":500})");
  JsonFields fields(object, "", Source::kRequest);
  EXPECT_EQ(fields.RequireInt("max_retries", {0, 100}), 0);
  EXPECT_EQ(fields.status().message(), "field \"max_retries\": 500 is out of range 0..100");
}

TEST(JsonFields, RequireInt_BoundsAreInclusive) {
  const nlohmann::json object = Parse(R"({"low":0,"high":100})");
  JsonFields fields(object, "", Source::kRequest);
  EXPECT_EQ(fields.RequireInt("low", {0, 100}), 0);
  EXPECT_EQ(fields.RequireInt("high", {0, 100}), 100);
  EXPECT_TRUE(fields.ok());
}

TEST(JsonFields, RequireInt_WholeFloatIsAnIntegerFractionIsNot) {
  const nlohmann::json object = Parse(R"({"whole":5.0,"fraction":5.5})");
  JsonFields fields(object, "", Source::kRequest);
  EXPECT_EQ(fields.RequireInt("whole"), 5);
  EXPECT_TRUE(fields.ok());
  fields.RequireInt("fraction");
  EXPECT_EQ(fields.status().message(), "field \"fraction\": expected an integer, got number");
}

TEST(JsonFields, RequireInt_BeyondInt64IsRefused) {
  const nlohmann::json object =
      Parse(R"({"max":9223372036854775807,"huge":18446744073709551615,"float":1e300})");
  JsonFields fields(object, "", Source::kRequest);
  EXPECT_EQ(fields.RequireInt("max"), std::numeric_limits<int64_t>::max());
  EXPECT_TRUE(fields.ok());
  fields.RequireInt("huge");
  EXPECT_EQ(fields.status().message(), "field \"huge\": integer too large");
  JsonFields floats(object, "", Source::kRequest);
  floats.RequireInt("float");
  EXPECT_FALSE(floats.ok());
}

TEST(JsonFields, Optional_AbsentOrNullFallsBack) {
  const nlohmann::json object = Parse(R"({"key":null})");
  JsonFields fields(object, "", Source::kRequest);
  EXPECT_EQ(fields.OptionalString("key"), std::nullopt);
  EXPECT_EQ(fields.OptionalString("absent"), std::nullopt);
  EXPECT_EQ(fields.OptionalInt("absent").value_or(7), 7);
  EXPECT_EQ(fields.OptionalNumber("absent").value_or(0.25), 0.25);
  EXPECT_EQ(fields.OptionalBool("key").value_or(true), true);
  EXPECT_TRUE(fields.ok());
}

TEST(JsonFields, Optional_PresentIsCheckedLikeRequired) {
  const nlohmann::json object = Parse(R"({"wait_ms":-5,"key":7})");
  JsonFields fields(object, "", Source::kRequest);
  EXPECT_EQ(fields.OptionalInt("wait_ms", {0, 100}), std::nullopt);
  EXPECT_EQ(fields.status().message(), "field \"wait_ms\": -5 is out of range 0..100");
  JsonFields strings(object, "", Source::kRequest);
  EXPECT_EQ(strings.OptionalString("key"), std::nullopt);
  EXPECT_EQ(strings.status().message(), "field \"key\": expected a string, got number");
}

TEST(JsonFields, RequireValue_NullIsPresent) {
  const nlohmann::json object = Parse(R"({"payload":null})");
  JsonFields fields(object, "", Source::kRequest);
  EXPECT_TRUE(fields.Has("payload"));
  EXPECT_TRUE(fields.RequireValue("payload").is_null());
  EXPECT_EQ(fields.RequireValueText("payload"), "null");
  EXPECT_TRUE(fields.ok());
  EXPECT_FALSE(fields.Has("other"));
  fields.RequireValueText("other");
  EXPECT_EQ(fields.status().message(), "missing field \"other\"");
}

TEST(JsonFields, RequireValueText_InvalidUtf8IsReplacedNotThrown) {
  nlohmann::json object = nlohmann::json::object();
  object["payload"] = std::string("a\xFF");  // built in code: never parsed
  JsonFields fields(object, "", Source::kRecord);
  EXPECT_EQ(fields.RequireValueText("payload"), "\"a\xEF\xBF\xBD\"");  // U+FFFD
}

TEST(JsonFields, RequireStringArray_TooLongIsFoundBeforeCopying) {
  // The third item is not a string, but the count is checked first: no
  // item of an over-long array is looked at, let alone copied.
  const nlohmann::json object = Parse(R"({"ids":["a","b",3]})");
  JsonFields fields(object, "purge command", Source::kRecord);
  EXPECT_TRUE(fields.RequireStringArray("ids", 2).empty());
  EXPECT_EQ(fields.status().message(), "purge command: field \"ids\": more than 2 items");
}

TEST(JsonFields, RequireStringArray_ItemOfWrongTypeIsNamed) {
  const nlohmann::json object = Parse(R"({"ids":["a",null],"one":"a"})");
  JsonFields fields(object, "", Source::kRecord);
  EXPECT_TRUE(fields.RequireStringArray("ids", 10).empty());
  EXPECT_EQ(fields.status().message(),
            "field \"ids\": expected an array of strings, item 1 is null");
  JsonFields scalar(object, "", Source::kRecord);
  scalar.RequireStringArray("one", 10);
  EXPECT_EQ(scalar.status().message(), "field \"one\": expected an array of strings, got string");
}

TEST(JsonFields, Fail_KeepsTheFirstProblem) {
  const nlohmann::json object = Parse(R"({"a":1})");
  JsonFields fields(object, "", Source::kRequest);
  fields.RequireString("a");
  fields.RequireString("b");
  fields.Fail("later");
  EXPECT_EQ(fields.status().message(), "field \"a\": expected a string, got number");
  EXPECT_EQ(fields.RequireInt("a"), 1);  // a good field still reads after a problem
}

TEST(JsonFields, Fail_IsPrefixedWithWhat) {
  const nlohmann::json object = Parse("{}");
  JsonFields fields(object, "ack command", Source::kRecord);
  fields.Fail("the worker is empty");
  EXPECT_EQ(fields.status().message(), "ack command: the worker is empty");
}

TEST(JsonFields, Status_RequestProblemsAreInvalidArgument) {
  const nlohmann::json object = Parse("{}");
  JsonFields fields(object, "", Source::kRequest);
  fields.RequireString("worker");
  EXPECT_TRUE(fields.status().IsInvalidArgument());
}

TEST(JsonFields, Status_RecordProblemsAreCorruption) {
  const nlohmann::json object = Parse("{}");
  JsonFields fields(object, "task", Source::kRecord);
  fields.RequireString("id");
  EXPECT_TRUE(fields.status().IsCorruption());
}

TEST(JsonFields, Constructor_NonObjectIsAProblemAndNothingThrows) {
  for (const char* text : {"[1,2]", "null", "42", R"("text")"}) {
    const nlohmann::json object = Parse(text);
    JsonFields fields(object, "task", Source::kRecord);
    EXPECT_TRUE(fields.status().IsCorruption()) << text;
    EXPECT_EQ(fields.status().message().rfind("task: must be a JSON object, got ", 0), 0u) << text;
    EXPECT_EQ(fields.RequireString("id"), "") << text;
    EXPECT_EQ(fields.RequireStringArray("ids", 5).size(), 0u) << text;
    EXPECT_TRUE(fields.RequireValue("payload").is_null()) << text;
    EXPECT_FALSE(fields.Has("id")) << text;
  }
}

}  // namespace
}  // namespace dsc
