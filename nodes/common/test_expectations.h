// GoogleTest expectations every node's process tests share: the uniform
// JSON error of docs/DESIGN.md, and garbage bytes answered with a 4xx JSON error
// instead of a crash or a hang. Header-only; include from test files that
// already link GoogleTest, cpp-httplib and nlohmann-json.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "nodes/common/test_util.h"

namespace dsc::node::testing {

// `r` answered `status` with {"error": code, "message": "..."}.
inline void ExpectJsonError(const httplib::Result& r, int status, const std::string& code) {
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, status) << r->body;
  nlohmann::json body = nlohmann::json::parse(r->body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << r->body;
  EXPECT_EQ(body["error"], code);
  EXPECT_TRUE(body["message"].is_string());
}

// Sends requests no HTTP client would (a TLS hello, a bad and a huge
// Content-Length on a POST to `path`) on raw connections to 127.0.0.1:port;
// each must get a 4xx response with a JSON error body.
inline void ExpectGarbageGets4xxJson(int port, const std::string& path) {
  using namespace std::chrono_literals;
  for (const std::string& garbage :
       {std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n", 16),  // a TLS hello
        "POST " + path + " HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
        "POST " + path + " HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n"}) {
    auto conn = RawConnection::Connect(port);
    ASSERT_TRUE(conn);
    conn->Send(garbage);
    std::optional<RawResponse> response = conn->ReadResponse(20s);
    ASSERT_TRUE(response.has_value()) << garbage;
    EXPECT_GE(response->status, 400);
    EXPECT_LT(response->status, 500);
    EXPECT_TRUE(nlohmann::json::parse(response->body, nullptr, false).contains("error"))
        << response->body;
  }
}

}  // namespace dsc::node::testing
