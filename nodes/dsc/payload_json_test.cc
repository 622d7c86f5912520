#include "nodes/dsc/payload_json.h"

#include <gtest/gtest.h>

namespace dsc::cli {
namespace {

TEST(AddPayloadTest, JsonPayloadIsEmbeddedAsJson) {
  nlohmann::ordered_json line;
  AddPayload(R"({"op":"enqueue","n":1})", &line);
  EXPECT_EQ(line["payload"]["op"], "enqueue");
  EXPECT_FALSE(line.contains("encoding"));
}

TEST(AddPayloadTest, TextPayloadIsAString) {
  nlohmann::ordered_json line;
  AddPayload("just some text", &line);
  EXPECT_EQ(line["payload"], "just some text");
  EXPECT_FALSE(line.contains("encoding"));
}

TEST(AddPayloadTest, BinaryPayloadIsBase64) {
  nlohmann::ordered_json line;
  AddPayload(std::string("\x00\xFF\x10", 3), &line);
  EXPECT_EQ(line["payload"], "AP8Q");
  EXPECT_EQ(line["encoding"], "base64");
  EXPECT_NO_THROW(line.dump());
}

}  // namespace
}  // namespace dsc::cli
