#include "nodes/raft/check/check_raft.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <ostream>
#include <random>

#include "nodes/raft/check/history.h"
#include "nodes/raft/check/linearizability.h"
#include "nodes/raft/check/workload.h"

namespace dsc::raft::check {

namespace {

std::chrono::milliseconds Millis(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

// "1200 ok, 3 failed (http 421 (gave up following leaders): 3), 40 unknown
// (http 503: 30, timeout: 10)".
std::string Outcomes(const History& history) {
  std::map<Outcome, size_t> counts;
  std::map<Outcome, std::map<std::string, size_t>> reasons;
  for (const Operation& op : history) {
    ++counts[op.outcome];
    if (op.outcome != Outcome::kOk) ++reasons[op.outcome][op.note.empty() ? "?" : op.note];
  }
  std::string text;
  for (Outcome outcome : {Outcome::kOk, Outcome::kFailed, Outcome::kUnknown}) {
    if (!text.empty()) text += ", ";
    text += std::to_string(counts[outcome]) + " " + std::string(OutcomeName(outcome));
    if (reasons[outcome].empty()) continue;
    std::vector<std::pair<size_t, std::string>> top;
    for (const auto& [note, n] : reasons[outcome]) top.emplace_back(n, note);
    std::sort(top.rbegin(), top.rend());
    text += " (";
    for (size_t i = 0; i < top.size() && i < 3; ++i) {
      text += (i ? ", " : "") + top[i].second + ": " + std::to_string(top[i].first);
    }
    if (top.size() > 3) text += ", ...";
    text += ")";
  }
  return text;
}

int Usage(std::ostream& err, const std::string& message) {
  err << "dsc: error: " << message << " (see --help)\n";
  return kExitUnknown;
}

}  // namespace

int RunCheckRaft(const CheckRaftOptions& options, std::ostream& out, std::ostream& err) {
  History history;
  if (!options.check_only.empty()) {
    Result<History> loaded = LoadHistoryFile(options.check_only);
    if (!loaded.ok()) return Usage(err, loaded.status().message());
    history = std::move(*loaded);
    out << "checking " << history.size() << " operations from " << options.check_only << "\n";
  } else {
    if (options.clients < 1 || options.keys < 1)
      return Usage(err, "--clients and --keys must be >= 1");
    if (options.seconds <= 0) return Usage(err, "--seconds must be positive");
    if (options.request_timeout_ms <= 0) return Usage(err, "--request-timeout-ms must be positive");
    Result<std::vector<NodeEndpoint>> nodes = ParseNodeList(options.nodes);
    if (!nodes.ok()) return Usage(err, "--nodes: " + nodes.status().message());
    Result<NemesisKind> kind = ParseNemesisKind(options.nemesis);
    if (!kind.ok()) return Usage(err, "--nemesis: " + kind.status().message());

    WorkloadOptions workload;
    workload.nodes = std::move(*nodes);
    workload.clients = options.clients;
    workload.keys = options.keys;
    workload.duration = Millis(options.seconds);
    workload.client.request_timeout = std::chrono::milliseconds(options.request_timeout_ms);
    workload.client.retry_budget = workload.client.request_timeout;
    workload.nemesis.kind = *kind;
    workload.nemesis.interval = Millis(options.nemesis_interval_seconds);
    workload.nemesis.kill_cmd = options.kill_cmd;
    workload.nemesis.restart_cmd = options.restart_cmd;
    Status valid = ValidateNemesisOptions(workload.nemesis);
    if (!valid.ok()) return Usage(err, valid.message());
    workload.seed = options.seed != 0 ? options.seed : std::random_device{}() | 1;
    workload.key_prefix = "run" + std::to_string(workload.seed % 100000);

    out << "dsc check raft: " << workload.clients << " clients on " << workload.keys << " keys for "
        << options.seconds << "s, nemesis " << NemesisKindName(*kind) << ", seed " << workload.seed
        << "\nnodes:";
    for (const NodeEndpoint& node : workload.nodes) out << " " << node.id << "=" << node.url;
    out << "\n" << std::flush;
    history = RunWorkload(workload, [&out](const std::string& line) {
      out << line << "\n" << std::flush;
    });
    out << "history: " << history.size() << " operations: " << Outcomes(history) << "\n";
    if (!options.history_file.empty()) {
      Status saved = SaveHistoryFile(history, options.history_file);
      if (saved.ok()) {
        out << "history saved to " << options.history_file
            << " (check it again: dsc check raft --check-only " << options.history_file << ")\n";
      } else {
        err << "dsc: warning: " << saved.message() << "\n";
      }
    }
  }

  CheckOptions check;
  check.time_limit = Millis(options.check_seconds);
  const auto started = std::chrono::steady_clock::now();
  const CheckResult result = CheckHistory(history, check);
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  out << "verdict: " << FormatCheckResult(result);
  out << "(checked in " << took << "s)\n";
  switch (result.verdict) {
    case Verdict::kNotLinearizable: return kExitNotLinearizable;
    case Verdict::kUnknown: return kExitUnknown;
    case Verdict::kLinearizable: break;
  }
  if (result.ok == 0) {
    // Nothing completed: the history is trivially linearizable and says
    // nothing about the cluster.
    out << "but no operation completed, so this proves nothing: is the cluster up?\n";
    return kExitUnknown;
  }
  return kExitLinearizable;
}

}  // namespace dsc::raft::check
