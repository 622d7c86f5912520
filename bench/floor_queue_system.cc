#include "bench/floor_queue_system.h"

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/http_connection.h"
#include "bench/queue_bench_report.h"
#include "bench/queue_http_client.h"

namespace dsc::bench {

using nlohmann::json;

std::string FloorQueueSystem::name() const { return durable_ ? kFloorDurable : kFloor; }

Status FloorQueueSystem::Start(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return Status::IOError("create " + data_dir + ": " + ec.message());
  return StartServer(
      [&](int port) {
        std::vector<std::string> argv = {floor_binary_, "--port", std::to_string(port)};
        if (durable_) {
          argv.push_back("--journal");
          argv.push_back(data_dir + "/journal");
        }
        return argv;
      },
      data_dir + ".log");
}

Result<std::unique_ptr<QueueConnection>> FloorQueueSystem::Connect() {
  Result<HttpConnection> http = HttpConnection::Open(port());
  if (!http.ok()) return http.status();
  return NewQueueHttpConnection(std::move(http).value(), "bench-" + std::to_string(next_worker_++));
}

Status FloorQueueSystem::CheckDrained(uint64_t cycles) {
  Result<HttpConnection> http = HttpConnection::Open(port());
  if (!http.ok()) return http.status();
  Result<HttpReply> reply = http->Request("GET", "/stats", "application/json", "");
  if (!reply.ok()) return reply.status().WithContext("GET /stats");
  const json stats = json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
  for (const char* counter : {"enqueued", "leased", "acked"}) {
    if (!stats.is_object() || !stats.contains(counter) || !stats[counter].is_number_unsigned() ||
        stats[counter].get<uint64_t>() != cycles) {
      return Status::Corruption("after " + std::to_string(cycles) +
                                " cycles the floor server's /stats says " + reply->body);
    }
  }
  return Status::Ok();
}

std::string FindFloorServerBinary() {
  const std::string dir = ThisExecutableDir();
  return dir.empty() ? "" : FindExecutable(dir + "/http_floor_server");
}

}  // namespace dsc::bench
