#include "nodes/common/json_error.h"

#include <gtest/gtest.h>

namespace dsc::node {
namespace {

nlohmann::json BodyOf(const Response& res) { return nlohmann::json::parse(res.body()); }
int StatusOf(const Response& res) { return res.result_int(); }

TEST(ReplyError, HasTheUniformShape) {
  Response res = ReplyError(409, error_code::kConflict, "already exists");
  EXPECT_EQ(StatusOf(res), 409);
  EXPECT_EQ(res[http::field::content_type], "application/json");
  EXPECT_EQ(res[http::field::content_length], std::to_string(res.body().size()));
  EXPECT_EQ(BodyOf(res), (nlohmann::json{{"error", "conflict"}, {"message", "already exists"}}));
}

TEST(ReplyNotLeader, CarriesLeaderOrNulls) {
  Response known = ReplyNotLeader("n2", "http://127.0.0.1:7102");
  EXPECT_EQ(StatusOf(known), 421);
  EXPECT_EQ(BodyOf(known)["error"], "not_leader");
  EXPECT_EQ(BodyOf(known)["leader"], "n2");
  EXPECT_EQ(BodyOf(known)["leader_url"], "http://127.0.0.1:7102");

  Response unknown = ReplyNotLeader(std::nullopt, std::nullopt);
  EXPECT_TRUE(BodyOf(unknown)["leader"].is_null());
  EXPECT_TRUE(BodyOf(unknown)["leader_url"].is_null());
  EXPECT_TRUE(BodyOf(unknown).contains("message"));
}

TEST(ReplyStatus, MapsStatusCodes) {
  struct Case {
    Status status;
    int http;
    const char* code;
  };
  for (const Case& c :
       {Case{Status::InvalidArgument("x"), 400, "bad_request"},
        Case{Status::NotFound("x"), 404, "not_found"}, Case{Status::Conflict("x"), 409, "conflict"},
        Case{Status::Busy("x"), 503, "unavailable"},
        Case{Status::Unavailable("x"), 503, "unavailable"},
        Case{Status::Poisoned("x"), 503, "unavailable"},
        Case{Status::IOError("x"), 500, "internal"}}) {
    Response res = ReplyStatus(c.status);
    EXPECT_EQ(StatusOf(res), c.http);
    EXPECT_EQ(BodyOf(res)["error"], c.code);
    EXPECT_EQ(BodyOf(res)["message"], "x");
  }
}

TEST(ReplyJson, InvalidUtf8IsReplacedNotThrown) {
  Response res = ReplyJson(200, {{"v", std::string("\xff\xfe")}});
  EXPECT_EQ(StatusOf(res), 200);
  EXPECT_NO_THROW(BodyOf(res));
}

TEST(ReplyEmpty, HasNoBodyAndALengthOfZero) {
  Response res = ReplyEmpty(204);
  EXPECT_EQ(StatusOf(res), 204);
  EXPECT_TRUE(res.body().empty());
}

TEST(DefaultErrorCode, CoversDesignCodes) {
  EXPECT_EQ(DefaultErrorCode(413), "too_large");
  EXPECT_EQ(DefaultErrorCode(410), "gone");
  EXPECT_EQ(DefaultErrorCode(405), "method_not_allowed");
  EXPECT_EQ(DefaultErrorCode(503), "unavailable");
  EXPECT_EQ(DefaultErrorCode(500), "internal");
}

}  // namespace
}  // namespace dsc::node
