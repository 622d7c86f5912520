#include "bench/dsc_queue_system.h"

#include <httplib.h>

#include <chrono>
#include <utility>

#include <nlohmann/json.hpp>

#include "bench/http_connection.h"
#include "bench/queue_http_client.h"

namespace dsc::bench {
namespace {

using nlohmann::json;

// What an unexpected answer looked like, for an error message.
std::string Describe(const httplib::Result& result) {
  if (!result) return "no answer (" + httplib::to_string(result.error()) + ")";
  return "HTTP " + std::to_string(result->status) + " " + result->body;
}

}  // namespace

std::string DscQueueSystem::name() const {
  return options_.durable_leases ? "dsc --durable-leases" : "dsc";
}

std::vector<std::string> DscQueueSystem::ExtraFlags() const {
  std::vector<std::string> flags = {"--fsync", "always"};
  if (options_.durable_leases) flags.push_back("--durable-leases");
  if (options_.threads > 0) {
    flags.push_back("--threads");
    flags.push_back(std::to_string(options_.threads));
  }
  if (options_.retention_ms) {
    flags.push_back("--retention-ms");
    flags.push_back(std::to_string(*options_.retention_ms));
  }
  return flags;
}

Status DscQueueSystem::Start(const std::string& data_dir) {
  return StartServer(
      [&](int port) {
        std::vector<std::string> argv = {dsc_binary_,
                                         "queue",
                                         "serve",
                                         "--id",
                                         "bench",
                                         "--listen",
                                         "127.0.0.1:" + std::to_string(port),
                                         "--data",
                                         data_dir};
        for (std::string& flag : ExtraFlags()) argv.push_back(std::move(flag));
        return argv;
      },
      data_dir + ".log");
}

Result<std::unique_ptr<QueueConnection>> DscQueueSystem::Connect() {
  Result<HttpConnection> http = HttpConnection::Open(port());
  if (!http.ok()) return http.status();
  const std::string worker = "bench-" + std::to_string(next_worker_++);
  return NewQueueHttpConnection(std::move(http).value(), worker);
}

namespace {

// GET /stats, an object with "counters".
Result<json> GetStats(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(std::chrono::seconds(10));
  httplib::Result result = client.Get("/stats");
  if (!result || result->status != 200)
    return Status::Unavailable("GET /stats: " + Describe(result));
  json stats = json::parse(result->body, nullptr, /*allow_exceptions=*/false);
  if (!stats.is_object() || !stats.contains("counters") || !stats["counters"].is_object()) {
    return Status::Corruption("GET /stats: unexpected answer " + result->body);
  }
  return stats;
}

}  // namespace

Result<uint64_t> DscQueueSystem::PendingTasks() {
  Result<json> stats = GetStats(port());
  if (!stats.ok()) return stats.status();
  const json pending = stats->value("pending", json());
  if (!pending.is_number_unsigned()) {
    return Status::Corruption("GET /stats without a pending count: " + stats->dump());
  }
  return pending.get<uint64_t>();
}

Status DscQueueSystem::CheckDrained(uint64_t cycles) {
  Result<json> got = GetStats(port());
  if (!got.ok()) return got.status();
  json& stats = *got;
  // Every task completed once: none left pending, held, failed or expired.
  // With a short --retention-ms some completed tasks are already purged
  // (counted in "purged"; a node without retention does not report it).
  const json purged = stats["counters"].value("purged", json(0));
  if (!purged.is_number_unsigned() || purged.get<uint64_t>() > cycles) {
    return Status::Corruption("after " + std::to_string(cycles) + " cycles dsc's /stats says " +
                              stats.dump());
  }
  const std::pair<json, uint64_t> expected[] = {
      {stats.value("pending", json()), 0},
      {stats.value("processing", json()), 0},
      {stats.value("failed", json()), 0},
      {stats.value("completed", json()), cycles - purged.get<uint64_t>()},
      {stats["counters"].value("enqueued", json()), cycles},
      {stats["counters"].value("leased", json()), cycles},
      {stats["counters"].value("acked", json()), cycles},
      {stats["counters"].value("expired", json()), 0},
  };
  for (const auto& [value, want] : expected) {
    if (!value.is_number_unsigned() || value.get<uint64_t>() != want) {
      return Status::Corruption("after " + std::to_string(cycles) + " cycles dsc's /stats says " +
                                stats.dump());
    }
  }
  return Status::Ok();
}

}  // namespace dsc::bench
