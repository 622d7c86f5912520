#include "nodes/common/json_error.h"

namespace dsc::node {

void ReplyJson(httplib::Response& res, int http_status, const nlohmann::json& body) {
  res.status = http_status;
  // dump() throws on invalid UTF-8 by default; a reply must never throw.
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

void ReplyError(httplib::Response& res, int http_status, std::string_view code,
                std::string_view message) {
  ReplyJson(res, http_status, {{"error", code}, {"message", message}});
}

void ReplyBadRequest(httplib::Response& res, std::string_view message) {
  ReplyError(res, 400, error_code::kBadRequest, message);
}

void ReplyNotFound(httplib::Response& res, std::string_view message) {
  ReplyError(res, 404, error_code::kNotFound, message);
}

void ReplyConflict(httplib::Response& res, std::string_view message) {
  ReplyError(res, 409, error_code::kConflict, message);
}

void ReplyUnavailable(httplib::Response& res, std::string_view message) {
  ReplyError(res, 503, error_code::kUnavailable, message);
}

void ReplyNotLeader(httplib::Response& res, const std::optional<std::string>& leader_id,
                    const std::optional<std::string>& leader_url) {
  nlohmann::json body = {{"error", error_code::kNotLeader},
                         {"message", leader_id ? "not the leader; ask " + *leader_id
                                               : std::string("not the leader; leader unknown")},
                         {"leader", nullptr},
                         {"leader_url", nullptr}};
  if (leader_id) body["leader"] = *leader_id;
  if (leader_url) body["leader_url"] = *leader_url;
  ReplyJson(res, 421, body);
}

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case Status::Code::kOk:
      return 200;
    case Status::Code::kInvalidArgument:
      return 400;
    case Status::Code::kNotFound:
      return 404;
    case Status::Code::kConflict:
      return 409;
    case Status::Code::kBusy:
    case Status::Code::kUnavailable:
    case Status::Code::kPoisoned:
      return 503;
    case Status::Code::kCorruption:
    case Status::Code::kIOError:
      return 500;
  }
  return 500;
}

void ReplyStatus(httplib::Response& res, const Status& status) {
  int http_status = HttpStatusFor(status);
  ReplyError(res, http_status, DefaultErrorCode(http_status), status.message());
}

std::string_view DefaultErrorCode(int http_status) {
  switch (http_status) {
    case 400:
      return error_code::kBadRequest;
    case 404:
      return error_code::kNotFound;
    case 405:
      return error_code::kMethodNotAllowed;
    case 409:
      return error_code::kConflict;
    case 411:
      return "length_required";
    case 413:
      return error_code::kTooLarge;
    case 421:
      return error_code::kNotLeader;
    case 503:
      return error_code::kUnavailable;
    default:
      return http_status >= 500 ? error_code::kInternal : error_code::kBadRequest;
  }
}

}  // namespace dsc::node
