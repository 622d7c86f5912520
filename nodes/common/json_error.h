// The error model every node answers with, and small JSON reply helpers.
//
// Every error body has the same shape, so learners and the checker can
// handle failures of every system alike:
//
//   {"error": CODE, "message": TEXT}
//
//   400 bad_request       the request is malformed (bad JSON, bad field)
//   404 not_found         the thing asked for is absent (or no such route)
//   405 method_not_allowed  the path exists, the method does not
//   409 conflict          the request conflicts with the current state
//   411 length_required   a chunked body: send a Content-Length instead
//   413 too_large         the body exceeds the node's limit
//   421 not_leader        plus "leader" and "leader_url" (null if unknown)
//   500 internal          a bug: a handler threw
//   503 unavailable       no quorum, shutting down, log poisoned...
//
// Thread-safety: stateless functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "base/status.h"

namespace dsc::node {

// The error codes above, for handlers that build errors themselves.
namespace error_code {
inline constexpr std::string_view kBadRequest = "bad_request";
inline constexpr std::string_view kNotFound = "not_found";
inline constexpr std::string_view kMethodNotAllowed = "method_not_allowed";
inline constexpr std::string_view kConflict = "conflict";
inline constexpr std::string_view kTooLarge = "too_large";
inline constexpr std::string_view kNotLeader = "not_leader";
inline constexpr std::string_view kInternal = "internal";
inline constexpr std::string_view kUnavailable = "unavailable";
}  // namespace error_code

// Serialises `body` (invalid UTF-8 in strings is replaced, never thrown on)
// and sets it with Content-Type application/json.
void ReplyJson(httplib::Response& res, int http_status, const nlohmann::json& body);

// {"error":code,"message":message} with the given HTTP status.
void ReplyError(httplib::Response& res, int http_status, std::string_view code,
                std::string_view message);

// Shorthands for the common cases.
void ReplyBadRequest(httplib::Response& res, std::string_view message);
void ReplyNotFound(httplib::Response& res, std::string_view message);
void ReplyConflict(httplib::Response& res, std::string_view message);
void ReplyUnavailable(httplib::Response& res, std::string_view message);
// 421 {"error":"not_leader","message":..,"leader":ID|null,"leader_url":URL|null}
void ReplyNotLeader(httplib::Response& res, const std::optional<std::string>& leader_id,
                    const std::optional<std::string>& leader_url);

// Maps a non-OK Status to the HTTP error above: InvalidArgument -> 400,
// NotFound -> 404, Conflict -> 409, Busy/Unavailable/Poisoned -> 503,
// anything else -> 500. The Status message becomes the "message".
void ReplyStatus(httplib::Response& res, const Status& status);
int HttpStatusFor(const Status& status);

// The default code for an HTTP status ("bad_request" for 400, ...), used to
// fill bodies that httplib produced itself (a 413, a 400 for a garbled
// request line).
std::string_view DefaultErrorCode(int http_status);

}  // namespace dsc::node
