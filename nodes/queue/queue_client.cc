#include "nodes/queue/queue_client.h"

#include <utility>

namespace dsc::queue {

QueueClient::QueueClient(const std::string& server_url, std::chrono::milliseconds read_timeout)
    : client_(server_url) {
  client_.set_connection_timeout(std::chrono::seconds(2));
  client_.set_tcp_nodelay(true);  // a request's body must not wait for an ACK (Nagle)
  client_.set_read_timeout(read_timeout);
  client_.set_write_timeout(std::chrono::seconds(10));
}

QueueClient::Reply QueueClient::Enqueue(std::string_view payload_json,
                                        const std::optional<std::string>& idempotency_key,
                                        std::optional<int> max_retries) {
  // Built as text so the payload goes out exactly as given.
  nlohmann::json rest = nlohmann::json::object();
  if (idempotency_key) rest["idempotency_key"] = *idempotency_key;
  if (max_retries) rest["max_retries"] = *max_retries;
  std::string body = "{\"payload\":" + std::string(payload_json);
  for (const auto& item : rest.items()) {
    body += "," + nlohmann::json(item.key()).dump() + ":" + item.value().dump();
  }
  body += "}";
  return ToReply(client_.Post("/tasks", body, "application/json"));
}

QueueClient::Reply QueueClient::Lease(std::string_view worker, int64_t lease_ms, int64_t wait_ms) {
  return Post("/tasks/lease", {{"worker", worker}, {"lease_ms", lease_ms}, {"wait_ms", wait_ms}});
}

QueueClient::Reply QueueClient::Ack(std::string_view id, std::string_view worker) {
  return Post("/tasks/" + std::string(id) + "/ack", {{"worker", worker}});
}

QueueClient::Reply QueueClient::Fail(std::string_view id, std::string_view worker,
                                     std::string_view error) {
  return Post("/tasks/" + std::string(id) + "/fail", {{"worker", worker}, {"error", error}});
}

QueueClient::Reply QueueClient::GetTask(std::string_view id) {
  return Get("/tasks/" + std::string(id));
}

QueueClient::Reply QueueClient::Get(const std::string& path) { return ToReply(client_.Get(path)); }

QueueClient::Reply QueueClient::Post(const std::string& path, const nlohmann::json& body) {
  return ToReply(client_.Post(path,
                              body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                              "application/json"));
}

QueueClient::Reply QueueClient::ToReply(const httplib::Result& result) {
  Reply reply;
  if (!result) {
    reply.error = httplib::to_string(result.error());
    return reply;
  }
  reply.status = result->status;
  if (!result->body.empty()) reply.body = nlohmann::json::parse(result->body, nullptr, false);
  if (reply.body.is_discarded()) reply.body = nullptr;
  return reply;
}

}  // namespace dsc::queue
