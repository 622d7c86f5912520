#include "nodes/log/record_json.h"

#include <gtest/gtest.h>

namespace dsc::lognode {
namespace {

TEST(RecordToJson, TextAsStringBytesAsBase64) {
  nlohmann::json text = RecordToJson(wal::Record{7, 3, "hi"});
  EXPECT_EQ(text, (nlohmann::json{{"lsn", 7}, {"type", 3}, {"payload", "hi"}}));
  nlohmann::json bytes = RecordToJson(wal::Record{8, 1, std::string("\x00\x01\x02\xff", 4)});
  EXPECT_EQ(bytes["payload"], "AAEC/w==");
  EXPECT_EQ(bytes["encoding"], "base64");
}

}  // namespace
}  // namespace dsc::lognode
