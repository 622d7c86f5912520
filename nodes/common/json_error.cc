#include "nodes/common/json_error.h"

namespace dsc::node {

Response ReplyText(int http_status, std::string body, std::string_view content_type) {
  Response res{static_cast<http::status>(http_status), 11};
  res.set(http::field::content_type, content_type);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response ReplyJson(int http_status, const nlohmann::json& body) {
  // dump() throws on invalid UTF-8 by default; a reply must never throw.
  return ReplyText(http_status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                   "application/json");
}

Response ReplyEmpty(int http_status) {
  Response res{static_cast<http::status>(http_status), 11};
  res.prepare_payload();
  return res;
}

Response ReplyError(int http_status, std::string_view code, std::string_view message) {
  return ReplyJson(http_status, {{"error", code}, {"message", message}});
}

Response ReplyBadRequest(std::string_view message) {
  return ReplyError(400, error_code::kBadRequest, message);
}

Response ReplyNotFound(std::string_view message) {
  return ReplyError(404, error_code::kNotFound, message);
}

Response ReplyConflict(std::string_view message) {
  return ReplyError(409, error_code::kConflict, message);
}

Response ReplyUnavailable(std::string_view message) {
  return ReplyError(503, error_code::kUnavailable, message);
}

Response ReplyNotLeader(const std::optional<std::string>& leader_id,
                        const std::optional<std::string>& leader_url) {
  nlohmann::json body = {{"error", error_code::kNotLeader},
                         {"message", leader_id ? "not the leader; ask " + *leader_id
                                               : std::string("not the leader; leader unknown")},
                         {"leader", nullptr},
                         {"leader_url", nullptr}};
  if (leader_id) body["leader"] = *leader_id;
  if (leader_url) body["leader_url"] = *leader_url;
  return ReplyJson(421, body);
}

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case Status::Code::kOk: return 200;
    case Status::Code::kInvalidArgument: return 400;
    case Status::Code::kNotFound: return 404;
    case Status::Code::kConflict: return 409;
    case Status::Code::kBusy:
    case Status::Code::kUnavailable:
    case Status::Code::kPoisoned: return 503;
    case Status::Code::kCorruption:
    case Status::Code::kIOError: return 500;
  }
  return 500;
}

Response ReplyStatus(const Status& status) {
  int http_status = HttpStatusFor(status);
  return ReplyError(http_status, DefaultErrorCode(http_status), status.message());
}

std::string_view DefaultErrorCode(int http_status) {
  switch (http_status) {
    case 400: return error_code::kBadRequest;
    case 404: return error_code::kNotFound;
    case 405: return error_code::kMethodNotAllowed;
    case 409: return error_code::kConflict;
    case 410: return error_code::kGone;
    case 413: return error_code::kTooLarge;
    case 421: return error_code::kNotLeader;
    case 503: return error_code::kUnavailable;
    default: return http_status >= 500 ? error_code::kInternal : error_code::kBadRequest;
  }
}

}  // namespace dsc::node
