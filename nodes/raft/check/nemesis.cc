#include "nodes/raft/check/nemesis.h"

#include <httplib.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace dsc::raft::check {

namespace {

struct KindName {
  NemesisKind kind;
  const char* name;
};
constexpr KindName kKindNames[] = {
    {NemesisKind::kNone, "none"},
    {NemesisKind::kIsolateLeader, "isolate-leader"},
    {NemesisKind::kIsolateRandom, "isolate-random"},
    {NemesisKind::kMinority, "minority"},
    {NemesisKind::kKillLeader, "kill-leader"},
    {NemesisKind::kKillRandom, "kill-random"},
    {NemesisKind::kMixed, "mixed"},
};

bool IsKill(NemesisKind kind) {
  return kind == NemesisKind::kKillLeader || kind == NemesisKind::kKillRandom;
}

std::unique_ptr<httplib::Client> AdminClient(const std::string& url) {
  auto client = std::make_unique<httplib::Client>(url);
  client->set_connection_timeout(std::chrono::seconds(1));
  client->set_read_timeout(std::chrono::seconds(2));
  client->set_write_timeout(std::chrono::seconds(2));
  return client;
}

std::string Join(const std::set<std::string>& ids) {
  std::string text;
  for (const std::string& id : ids) text += (text.empty() ? "" : ",") + id;
  return text;
}

}  // namespace

Result<NemesisKind> ParseNemesisKind(const std::string& text) {
  for (const KindName& entry : kKindNames) {
    if (text == entry.name) return entry.kind;
  }
  return Status::InvalidArgument(
      "nemesis must be none, isolate-leader, isolate-random, minority, kill-leader, "
      "kill-random or mixed, not \"" +
      text + "\"");
}

std::string_view NemesisKindName(NemesisKind kind) {
  for (const KindName& entry : kKindNames) {
    if (kind == entry.kind) return entry.name;
  }
  return "?";
}

Status ValidateNemesisOptions(const NemesisOptions& options) {
  if (options.interval <= std::chrono::milliseconds(0)) {
    return Status::InvalidArgument("the nemesis interval must be positive");
  }
  if (IsKill(options.kind) && (options.kill_cmd.empty() || options.restart_cmd.empty())) {
    return Status::InvalidArgument(std::string(NemesisKindName(options.kind)) +
                                   " needs --kill-cmd and --restart-cmd");
  }
  if (options.kill_cmd.empty() != options.restart_cmd.empty()) {
    return Status::InvalidArgument("--kill-cmd and --restart-cmd go together");
  }
  return Status::Ok();
}

void StopSignal::Stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

bool StopSignal::stopped() const {
  std::lock_guard lock(mu_);
  return stopped_;
}

bool StopSignal::SleepFor(std::chrono::milliseconds duration) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, duration, [this] { return stopped_; });
}

Nemesis::Nemesis(std::vector<NodeEndpoint> nodes, NemesisOptions options, uint64_t seed,
                 std::function<void(const std::string&)> log)
    : nodes_(std::move(nodes)), options_(std::move(options)), random_(seed), log_(std::move(log)) {}

// ANCHOR: nemesis_run
void Nemesis::Run(StopSignal& stop) {
  if (options_.kind == NemesisKind::kNone) return;
  while (stop.SleepFor(options_.interval)) {
    NemesisKind kind = options_.kind;
    if (kind == NemesisKind::kMixed) {
      std::vector<NemesisKind> kinds = {NemesisKind::kIsolateLeader, NemesisKind::kIsolateRandom,
                                        NemesisKind::kMinority};
      if (!options_.kill_cmd.empty()) {
        kinds.push_back(NemesisKind::kKillLeader);
        kinds.push_back(NemesisKind::kKillRandom);
      }
      kind = kinds[random_() % kinds.size()];
    }
    std::function<void()> repair = Inject(kind);
    stop.SleepFor(options_.interval);  // hold the fault (cut short by Stop)
    repair();
  }
  HealAll();
}
// ANCHOR_END: nemesis_run

std::function<void()> Nemesis::Inject(NemesisKind kind) {
  std::string why;
  switch (kind) {
    case NemesisKind::kIsolateLeader: {
      const NodeEndpoint& node = LeaderOrRandom(&why);
      return Isolate({node.id}, why);
    }
    case NemesisKind::kIsolateRandom: return Isolate({RandomNode().id}, "random");
    case NemesisKind::kMinority: {
      // The largest minority: the rest still has a quorum.
      std::vector<std::string> ids;
      for (const NodeEndpoint& node : nodes_) ids.push_back(node.id);
      std::shuffle(ids.begin(), ids.end(), random_);
      const size_t minority = (nodes_.size() - 1) / 2;
      if (minority == 0) {
        log_("nemesis: " + std::to_string(nodes_.size()) + " node(s) have no minority to cut off");
        return [] {};
      }
      return Isolate(std::set<std::string>(ids.begin(), ids.begin() + static_cast<long>(minority)),
                     "minority");
    }
    case NemesisKind::kKillLeader: {
      const NodeEndpoint& node = LeaderOrRandom(&why);
      return Kill(node, why);
    }
    case NemesisKind::kKillRandom: return Kill(RandomNode(), "random");
    case NemesisKind::kNone:
    case NemesisKind::kMixed: break;
  }
  return [] {};
}

std::function<void()> Nemesis::Isolate(const std::set<std::string>& side, const std::string& why) {
  log_("nemesis: isolate " + Join(side) + " (" + why + ")");
  // Each side drops the other side's traffic: both directions are cut.
  std::vector<std::string> inside(side.begin(), side.end()), outside;
  for (const NodeEndpoint& node : nodes_) {
    if (!side.contains(node.id)) outside.push_back(node.id);
  }
  for (const NodeEndpoint& node : nodes_)
    PostFaults(node, side.contains(node.id) ? outside : inside);
  return [this] { HealAll(); };
}

std::function<void()> Nemesis::Kill(const NodeEndpoint& node, const std::string& why) {
  log_("nemesis: kill " + node.id + " (" + why + ")");
  RunCommand(options_.kill_cmd, node);
  return [this, &node] {
    log_("nemesis: restart " + node.id);
    RunCommand(options_.restart_cmd, node);
  };
}

void Nemesis::HealAll() {
  log_("nemesis: heal");
  for (const NodeEndpoint& node : nodes_) {
    httplib::Result result = AdminClient(node.url)->Delete("/admin/faults");
    if (!result || result->status >= 300) {
      if (warned_.insert(node.id).second) {
        log_("nemesis: warning: DELETE " + node.url + "/admin/faults: " +
             (result ? "http " + std::to_string(result->status)
                     : httplib::to_string(result.error())));
      }
    }
  }
}

void Nemesis::PostFaults(const NodeEndpoint& node, const std::vector<std::string>& isolate) {
  const nlohmann::json body = {{"isolate", isolate}};
  httplib::Result result =
      AdminClient(node.url)->Post("/admin/faults", body.dump(), "application/json");
  if ((!result || result->status >= 300) && warned_.insert(node.id).second) {
    // Said once per node: usually it runs without --admin, or is down.
    log_("nemesis: warning: POST " + node.url + "/admin/faults: " +
         (result ? "http " + std::to_string(result->status) + " (is it running with --admin?)"
                 : httplib::to_string(result.error())));
  }
}

const NodeEndpoint& Nemesis::LeaderOrRandom(std::string* why) {
  const NodeEndpoint* leader = nullptr;
  int64_t leader_term = -1;
  for (const NodeEndpoint& node : nodes_) {
    httplib::Result result = AdminClient(node.url)->Get("/status");
    if (!result || result->status != 200) continue;
    nlohmann::json status = nlohmann::json::parse(result->body, nullptr, false);
    if (!status.is_object() || status.value("state", nlohmann::json()) != "leader") continue;
    const nlohmann::json term = status.value("term", nlohmann::json());
    const int64_t t = term.is_number_integer() ? term.get<int64_t>() : 0;
    if (t > leader_term) {
      leader = &node;
      leader_term = t;
    }
  }
  if (leader != nullptr) {
    *why = "leader, term " + std::to_string(leader_term);
    return *leader;
  }
  *why = "no leader answered /status; picked at random";
  return RandomNode();
}

const NodeEndpoint& Nemesis::RandomNode() { return nodes_[random_() % nodes_.size()]; }

void Nemesis::RunCommand(const std::string& command_template, const NodeEndpoint& node) {
  std::string command = command_template;
  for (size_t at = command.find("{node}"); at != std::string::npos;
       at = command.find("{node}", at + node.id.size())) {
    command.replace(at, 6, node.id);
  }
  // The command's output is kept and shown only when it fails.
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    log_("nemesis: warning: cannot run: " + command);
    return;
  }
  std::string output;
  char buffer[512];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  const int status = ::pclose(pipe);
  if (status != 0) {
    while (!output.empty() && output.back() == '\n') output.pop_back();
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    log_("nemesis: warning: `" + command + "` exited " + std::to_string(code) +
         (output.empty() ? "" : ": " + output));
  }
}

}  // namespace dsc::raft::check
