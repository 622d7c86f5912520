#include "nodes/dsc/lab_http.h"

#include <httplib.h>

namespace dsc::lab {

namespace {

constexpr std::chrono::seconds kAdminTimeout{3};

httplib::Client ClientFor(const NodeAddress& node, std::chrono::milliseconds timeout) {
  httplib::Client client(node.host, node.port);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  return client;
}

// Turns an httplib result into a Status, naming the node and request.
Status Check(const httplib::Result& result, const NodeAddress& node, const std::string& what) {
  if (!result) {
    return Status::Unavailable(what + " " + node.Url() + ": " + httplib::to_string(result.error()));
  }
  if (result->status / 100 != 2) {
    return Status::Unavailable(what + " " + node.Url() + ": http " +
                               std::to_string(result->status) + " " + result->body);
  }
  return Status::Ok();
}

}  // namespace

Health CheckHealth(const NodeAddress& node, const std::string& node_id, pid_t pid,
                   std::chrono::milliseconds timeout) {
  httplib::Client client = ClientFor(node, timeout);
  httplib::Result result = client.Get("/health");
  if (!result) return {.ok = false, .detail = "unreachable"};
  if (result->status != 200) {
    return {.ok = false, .detail = "http " + std::to_string(result->status)};
  }
  nlohmann::json body = nlohmann::json::parse(result->body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("node")) return {.ok = false, .detail = "not a dsc node"};
  if (body["node"] != node_id) {
    return {.ok = false, .detail = "port held by " + body["node"].dump()};
  }
  if (!body.contains("pid") || body["pid"] != pid) {
    return {.ok = false, .detail = "port held by pid " + body.value("pid", nlohmann::json()).dump()};
  }
  return {.ok = true, .detail = "ok"};
}

Status PostFaults(const NodeAddress& node, const nlohmann::json& faults) {
  httplib::Client client = ClientFor(node, kAdminTimeout);
  return Check(client.Post("/admin/faults", faults.dump(), "application/json"), node,
               "POST /admin/faults");
}

Status ClearFaults(const NodeAddress& node) {
  httplib::Client client = ClientFor(node, kAdminTimeout);
  return Check(client.Delete("/admin/faults"), node, "DELETE /admin/faults");
}

}  // namespace dsc::lab
