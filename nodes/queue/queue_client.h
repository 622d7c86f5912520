// QueueClient: a small typed HTTP client for the queue node's API
// (queue_http.h), used by the worker, the producer and the tests.
//
//   QueueClient client("http://127.0.0.1:7000");
//   QueueClient::Reply r = client.Lease("w1", 30'000, 5'000);
//   if (r.status == 200) { std::string id = r.body["id"]; ... }
//
// A Reply with status 0 means no answer arrived (the node is down or
// restarting, or the connection broke): the request may or may not have
// taken effect. Callers decide whether retrying is safe (an enqueue with
// an idempotency key is; one without may create a second task).
//
// Thread-safety: one QueueClient per thread (it keeps one connection).
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace dsc::queue {

class QueueClient {
 public:
  struct Reply {
    int status = 0;       // HTTP status; 0 when no answer arrived
    nlohmann::json body;  // the parsed JSON body; null when empty or not JSON
    std::string error;    // why there was no answer (status 0)
  };

  // `server_url`: "http://HOST:PORT". `read_timeout` must exceed the
  // longest long-poll wait used.
  explicit QueueClient(const std::string& server_url,
                       std::chrono::milliseconds read_timeout = std::chrono::seconds(45));

  // False when `server_url` could not be understood.
  bool valid() const { return client_.is_valid(); }

  // `payload_json` must be JSON text; it is embedded as is.
  Reply Enqueue(std::string_view payload_json,
                const std::optional<std::string>& idempotency_key = std::nullopt,
                std::optional<int> max_retries = std::nullopt);
  Reply Lease(std::string_view worker, int64_t lease_ms, int64_t wait_ms);
  Reply Ack(std::string_view id, std::string_view worker);
  Reply Fail(std::string_view id, std::string_view worker, std::string_view error);
  Reply GetTask(std::string_view id);
  Reply Get(const std::string& path);  // GET /stats, /status, /health...

 private:
  Reply Post(const std::string& path, const nlohmann::json& body);
  static Reply ToReply(const httplib::Result& result);

  httplib::Client client_;
};

}  // namespace dsc::queue
