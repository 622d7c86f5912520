// The error model every node answers with, and the helpers that build
// replies (JSON bodies, errors, empty replies).
//
// Every error body has the same shape, so learners and the checker can
// handle failures of every system alike:
//
//   {"error": CODE, "message": TEXT}
//
//   400 bad_request       the request is malformed (bad HTTP, JSON or field)
//   404 not_found         the thing asked for is absent (or no such route)
//   405 method_not_allowed  the path exists, the method does not
//   409 conflict          the request conflicts with the current state
//   410 gone              it existed once and was removed (a queue task
//                         past its retention)
//   413 too_large         the body exceeds the route's limit
//   421 not_leader        plus "leader" and "leader_url" (null if unknown)
//   500 internal          a bug: a handler threw
//   503 unavailable       no quorum, shutting down, log poisoned...
//       overloaded        the node is at its connection limit
//
// Handlers co_return what these build:
//
//   co_return ReplyJson(201, {{"id", id}});
//   co_return ReplyStatus(result.status());   // 400/404/409/503 by Status
//
// Thread-safety: stateless functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "nodes/common/http_types.h"

namespace dsc::node {

// The error codes above, for handlers that build errors themselves.
namespace error_code {
inline constexpr std::string_view kBadRequest = "bad_request";
inline constexpr std::string_view kNotFound = "not_found";
inline constexpr std::string_view kMethodNotAllowed = "method_not_allowed";
inline constexpr std::string_view kConflict = "conflict";
inline constexpr std::string_view kGone = "gone";
inline constexpr std::string_view kTooLarge = "too_large";
inline constexpr std::string_view kNotLeader = "not_leader";
inline constexpr std::string_view kInternal = "internal";
inline constexpr std::string_view kUnavailable = "unavailable";
inline constexpr std::string_view kOverloaded = "overloaded";
}  // namespace error_code

// `body` serialised (invalid UTF-8 in strings is replaced, never thrown
// on), with Content-Type application/json.
Response ReplyJson(int http_status, const nlohmann::json& body);

// `body` as is, with the given Content-Type.
Response ReplyText(int http_status, std::string body,
                   std::string_view content_type = "text/plain; charset=utf-8");

// A reply without a body (204 No Content, say).
Response ReplyEmpty(int http_status);

// {"error":code,"message":message} with the given HTTP status.
Response ReplyError(int http_status, std::string_view code, std::string_view message);

// Shorthands for the common cases.
Response ReplyBadRequest(std::string_view message);
Response ReplyNotFound(std::string_view message);
Response ReplyConflict(std::string_view message);
Response ReplyUnavailable(std::string_view message);
// 421 {"error":"not_leader","message":..,"leader":ID|null,"leader_url":URL|null}
Response ReplyNotLeader(const std::optional<std::string>& leader_id,
                        const std::optional<std::string>& leader_url);

// Maps a non-OK Status to the HTTP error above: InvalidArgument -> 400,
// NotFound -> 404, Conflict -> 409, Busy/Unavailable/Poisoned -> 503,
// anything else -> 500. The Status message becomes the "message".
Response ReplyStatus(const Status& status);
int HttpStatusFor(const Status& status);

// The default code for an HTTP status ("bad_request" for 400, ...), used
// for errors the server answers itself (a 413, a garbled request).
std::string_view DefaultErrorCode(int http_status);

}  // namespace dsc::node
