#include "nodes/common/json_error.h"

#include <gtest/gtest.h>

namespace dsc::node {
namespace {

nlohmann::json BodyOf(const httplib::Response& res) { return nlohmann::json::parse(res.body); }

TEST(ReplyError, HasTheUniformShape) {
  httplib::Response res;
  ReplyError(res, 409, error_code::kConflict, "already exists");
  EXPECT_EQ(res.status, 409);
  EXPECT_EQ(res.get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(BodyOf(res), (nlohmann::json{{"error", "conflict"}, {"message", "already exists"}}));
}

TEST(ReplyNotLeader, CarriesLeaderOrNulls) {
  httplib::Response known;
  ReplyNotLeader(known, "n2", "http://127.0.0.1:7102");
  EXPECT_EQ(known.status, 421);
  EXPECT_EQ(BodyOf(known)["error"], "not_leader");
  EXPECT_EQ(BodyOf(known)["leader"], "n2");
  EXPECT_EQ(BodyOf(known)["leader_url"], "http://127.0.0.1:7102");

  httplib::Response unknown;
  ReplyNotLeader(unknown, std::nullopt, std::nullopt);
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
  for (const Case& c : {Case{Status::InvalidArgument("x"), 400, "bad_request"},
                        Case{Status::NotFound("x"), 404, "not_found"},
                        Case{Status::Conflict("x"), 409, "conflict"},
                        Case{Status::Busy("x"), 503, "unavailable"},
                        Case{Status::Unavailable("x"), 503, "unavailable"},
                        Case{Status::Poisoned("x"), 503, "unavailable"},
                        Case{Status::IOError("x"), 500, "internal"}}) {
    httplib::Response res;
    ReplyStatus(res, c.status);
    EXPECT_EQ(res.status, c.http);
    EXPECT_EQ(BodyOf(res)["error"], c.code);
    EXPECT_EQ(BodyOf(res)["message"], "x");
  }
}

TEST(ReplyJson, InvalidUtf8IsReplacedNotThrown) {
  httplib::Response res;
  ReplyJson(res, 200, {{"v", std::string("\xff\xfe")}});
  EXPECT_EQ(res.status, 200);
  EXPECT_NO_THROW(BodyOf(res));
}

TEST(DefaultErrorCode, CoversDesignCodes) {
  EXPECT_EQ(DefaultErrorCode(413), "too_large");
  EXPECT_EQ(DefaultErrorCode(405), "method_not_allowed");
  EXPECT_EQ(DefaultErrorCode(503), "unavailable");
  EXPECT_EQ(DefaultErrorCode(500), "internal");
}

}  // namespace
}  // namespace dsc::node
