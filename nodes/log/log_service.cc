#include "nodes/log/log_service.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <optional>

#include "nodes/common/completion.h"
#include "nodes/common/json_error.h"
#include "nodes/log/record_json.h"

namespace dsc::lognode {
namespace {

// A decimal number in [min, max]; nullopt for "", "-1", "1x", overflow...
std::optional<uint64_t> ParseNumber(std::string_view text, uint64_t min, uint64_t max) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

// The record type from ?type= or X-Record-Type (default 1); both given must agree.
Result<uint8_t> RecordType(const node::Request& req) {
  std::optional<std::string> query = req.Query("type");
  std::optional<std::string> header = req.Header(kRecordTypeHeader);
  if (query && header && *query != *header) {
    return Status::InvalidArgument("record type given twice, as " + *query + " and " + *header);
  }
  std::optional<std::string> text = query ? query : header;
  if (!text) return uint8_t{1};
  std::optional<uint64_t> type = ParseNumber(*text, 1, 255);
  if (!type) return Status::InvalidArgument("bad record type \"" + *text + "\": expected 1..255");
  return static_cast<uint8_t>(*type);
}

node::Response ReplyCompacted(uint64_t from, uint64_t first_lsn) {
  return node::ReplyJson(
      404, {{"error", "compacted"},
            {"message", "records before " + std::to_string(first_lsn) +
                            " were dropped by compaction; asked from " + std::to_string(from)},
            {"first_lsn", first_lsn}});
}

}  // namespace

LogService::LogService(std::string node_id, wal::Log* log, std::string fsync,
                       std::function<void(const Status&)> on_fatal)
    : node_id_(std::move(node_id)),
      log_(log),
      fsync_(std::move(fsync)),
      on_fatal_(std::move(on_fatal)) {}

void LogService::Register(node::NodeServer& server) {
  server.Post("/records", [this](node::Request& req) { return Append(req); });
  server.Get("/records", [this](node::Request& req) { return Read(req); });
  server.SetStatusProvider([this] { return StatusJson(); });
  server.metrics().AddCollector([this](node::Metrics& metrics) { CollectMetrics(*log_, metrics); });
}

// ANCHOR: append
node::Awaitable<node::Response> LogService::Append(node::Request& req) {
  Result<uint8_t> type = RecordType(req);
  if (!type.ok()) co_return node::ReplyStatus(type.status());

  // Written (readable) at once; durable later, with the records of every
  // other client that arrived meanwhile, under one fdatasync.
  Result<uint64_t> lsn = log_->AppendAsync(*type, req.body());
  if (!lsn.ok()) {
    const Status& error = lsn.status();
    if (error.IsInvalidArgument()) co_return node::ReplyStatus(error);
    if (error.IsUnavailable()) co_return node::ReplyUnavailable(error.message());
    co_return Poisoned(error);
  }
  // Suspended, holding no thread, until the log's sync thread reports the
  // record as durable as the policy promises.
  const uint64_t appended = *lsn;
  Status durable = co_await node::AwaitCallback<Status>(
      [&](auto done) { log_->OnDurable(appended, std::move(done)); });
  if (durable.ok()) co_return node::ReplyJson(201, {{"lsn", appended}});
  if (durable.IsUnavailable()) co_return node::ReplyUnavailable(durable.message());
  co_return Poisoned(durable);
}
// ANCHOR_END: append

node::Response LogService::Poisoned(const Status& error) {
  // A failed write or fsync: the record's fate is unknown and the log
  // refuses every later append. Answer 503 and let the node restart.
  ReportFatal(error);
  return node::ReplyUnavailable("log is poisoned (" + error.message() +
                                "); the node is restarting");
}

node::Awaitable<node::Response> LogService::Read(node::Request& req) {
  const uint64_t first_lsn = log_->first_lsn();
  uint64_t from = first_lsn;
  if (std::optional<std::string> text = req.Query("from")) {
    std::optional<uint64_t> parsed = ParseNumber(*text, 1, UINT64_MAX);
    if (!parsed)
      co_return node::ReplyBadRequest("bad from \"" + *text + "\": expected an LSN >= 1");
    from = *parsed;
  }
  size_t limit = kDefaultReadLimit;
  if (std::optional<std::string> text = req.Query("limit")) {
    std::optional<uint64_t> parsed = ParseNumber(*text, 1, UINT64_MAX);
    if (!parsed) {
      co_return node::ReplyBadRequest("bad limit \"" + *text + "\": expected a number >= 1");
    }
    limit = static_cast<size_t>(std::min<uint64_t>(*parsed, kMaxReadLimit));
  }
  if (from < first_lsn) co_return ReplyCompacted(from, first_lsn);

  // Reads the segment files on this server thread: bounded by limit and
  // kMaxReadBytes, and mostly served from the page cache.
  Result<std::vector<wal::Record>> records = log_->Read(from, limit, kMaxReadBytes);
  if (!records.ok()) {
    // Compaction may have run between first_lsn() and Read().
    if (records.status().IsNotFound()) co_return ReplyCompacted(from, log_->first_lsn());
    co_return node::ReplyStatus(records.status());
  }
  nlohmann::json list = nlohmann::json::array();
  for (const wal::Record& record : *records) list.push_back(RecordToJson(record));
  const uint64_t next = records->empty() ? from : records->back().lsn + 1;
  co_return node::ReplyJson(200, {{"records", std::move(list)}, {"next_from", next}});
}

nlohmann::json LogService::StatusJson() const {
  nlohmann::json status = {{"id", node_id_},
                           {"first_lsn", log_->first_lsn()},
                           {"last_lsn", log_->last_lsn()},
                           {"durable_lsn", log_->durable_lsn()},
                           {"fsync", fsync_}};
  const Status health = log_->health();
  status["healthy"] = health.ok();
  if (!health.ok()) status["error"] = health.ToString();
  const wal::RecoveryReport& recovery = log_->recovery();
  status["recovered_records"] = recovery.records;
  if (recovery.truncated) status["recovered_torn_bytes"] = recovery.truncated->bytes;
  return status;
}

void LogService::ReportFatal(const Status& status) {
  if (fatal_reported_.exchange(true)) return;
  spdlog::error("node {}: log failed: {}; stopping so a restart recovers by replay", node_id_,
                status.ToString());
  if (on_fatal_) on_fatal_(status);
}

void LogService::CollectMetrics(const wal::Log& log, node::Metrics& metrics) {
  const wal::LogStats stats = log.stats();
  metrics.GetCounter("dsc_wal_appends_total", "Records appended")
      .SetTotal(static_cast<double>(stats.appends));
  metrics.GetCounter("dsc_wal_groups_total", "Group commits (write batches) issued")
      .SetTotal(static_cast<double>(stats.groups));
  metrics.GetCounter("dsc_wal_syncs_total", "fdatasync calls on segments")
      .SetTotal(static_cast<double>(stats.syncs));
  metrics.GetCounter("dsc_wal_bytes_total", "Bytes written to segments")
      .SetTotal(static_cast<double>(stats.bytes));
  metrics.GetCounter("dsc_wal_segments_created_total", "Segment files created")
      .SetTotal(static_cast<double>(stats.segments_created));
  metrics.GetGauge("dsc_wal_first_lsn", "First LSN held").Set(static_cast<double>(log.first_lsn()));
  metrics.GetGauge("dsc_wal_last_lsn", "Last LSN written").Set(static_cast<double>(log.last_lsn()));
  metrics.GetGauge("dsc_wal_durable_lsn", "Last LSN known on disk")
      .Set(static_cast<double>(log.durable_lsn()));
}

}  // namespace dsc::lognode
