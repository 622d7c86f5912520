#include "nodes/common/json_body.h"

#include <gtest/gtest.h>

namespace dsc::node {
namespace {

TEST(JsonBody, ReadsTypedFields) {
  JsonBody body(R"({"worker":"w1","lease_ms":3000,"ratio":0.5,"flag":true,"payload":{"a":[1]}})");
  EXPECT_EQ(body.RequireString("worker"), "w1");
  EXPECT_EQ(body.RequireInt("lease_ms", {1, 10000}), 3000);
  EXPECT_EQ(body.OptionalInt("wait_ms", 7), 7);
  EXPECT_DOUBLE_EQ(body.RequireNumber("ratio"), 0.5);
  EXPECT_TRUE(body.OptionalBool("flag", false));
  EXPECT_EQ(body.RequireValue("payload"), nlohmann::json::parse(R"({"a":[1]})"));
  EXPECT_EQ(body.OptionalString("missing", "dflt"), "dflt");
  EXPECT_TRUE(body.ok()) << body.status().ToString();
}

TEST(JsonBody, EmptyBodyIsAnEmptyObject) {
  JsonBody body("");
  EXPECT_EQ(body.OptionalInt("wait_ms", 5), 5);
  EXPECT_TRUE(body.ok());
}

TEST(JsonBody, MalformedJsonIsInvalidArgument) {
  JsonBody body("{\"worker\": ");
  EXPECT_FALSE(body.ok());
  EXPECT_TRUE(body.status().IsInvalidArgument());
  EXPECT_NE(body.status().message().find("not valid JSON"), std::string::npos);
  EXPECT_EQ(body.RequireString("worker"), "");  // defaults after an error
}

TEST(JsonBody, NonObjectIsRefused) {
  JsonBody body("[1,2]");
  EXPECT_FALSE(body.ok());
  EXPECT_NE(body.status().message().find("object"), std::string::npos);
}

TEST(JsonBody, MissingFieldIsNamed) {
  JsonBody body(R"({"other":1})");
  body.RequireString("worker");
  EXPECT_EQ(body.status().message(), "missing field \"worker\"");
}

TEST(JsonBody, WrongTypeIsNamed) {
  JsonBody body(R"({"lease_ms":"soon"})");
  body.RequireInt("lease_ms");
  EXPECT_EQ(body.status().message(), "field \"lease_ms\": expected an integer, got string");
}

TEST(JsonBody, OutOfRangeIsNamed) {
  JsonBody body(R"({"wait_ms":-5})");
  body.OptionalInt("wait_ms", 0, {0, 100});
  EXPECT_FALSE(body.ok());
  EXPECT_NE(body.status().message().find("out of range 0..100"), std::string::npos);
}

TEST(JsonBody, FractionIsNotAnInteger) {
  JsonBody whole(R"({"n":5.0})");
  EXPECT_EQ(whole.RequireInt("n"), 5);
  EXPECT_TRUE(whole.ok());
  JsonBody fraction(R"({"n":5.5})");
  fraction.RequireInt("n");
  EXPECT_FALSE(fraction.ok());
}

TEST(JsonBody, HugeUnsignedIsRefused) {
  JsonBody body(R"({"n":18446744073709551615})");
  body.RequireInt("n");
  EXPECT_FALSE(body.ok());
}

TEST(JsonBody, FirstErrorWins) {
  JsonBody body(R"({"a":1})");
  body.RequireString("a");
  body.RequireString("b");
  body.Fail("later");
  EXPECT_EQ(body.status().message(), "field \"a\": expected a string, got number");
}

TEST(JsonBody, ExplicitNullIsPresentForRequireValue) {
  JsonBody body(R"({"payload":null})");
  EXPECT_TRUE(body.RequireValue("payload").is_null());
  EXPECT_TRUE(body.ok());
  body.RequireValue("other");
  EXPECT_FALSE(body.ok());
}

}  // namespace
}  // namespace dsc::node
