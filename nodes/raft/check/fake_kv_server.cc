#include "nodes/raft/check/fake_kv_server.h"

#include <functional>
#include <optional>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "nodes/common/json_error.h"

namespace dsc::raft::check::testing {

namespace {

node::NodeServerOptions ServerOptions() {
  node::NodeServerOptions options;
  options.node_id = "fake";
  options.listen = {"127.0.0.1", 0};
  return options;
}

// The fake's handlers answer at once: plain functions, served as
// coroutines that never suspend.
node::Handler Now(std::function<node::Response(node::Request&)> handler) {
  return [handler = std::move(handler)](node::Request& req) -> node::Awaitable<node::Response> {
    co_return handler(req);
  };
}

node::Response Unknown503() {
  return node::ReplyJson(503, {{"error", "unavailable"}, {"message", "outcome unknown"}});
}

}  // namespace

FakeKvServer::FakeKvServer(Options options)
    : options_(std::move(options)), server_(ServerOptions()) {
  Route();
  if (Status started = server_.Start(); !started.ok()) {
    throw std::runtime_error("FakeKvServer: " + started.ToString());
  }
  if (options_.mode == Mode::kStaleReads) {
    refresher_ = std::thread([this] {
      std::unique_lock lock(mu_);
      while (!stop_cv_.wait_for(lock, options_.lag, [this] { return stopping_; })) {
        stale_copy_ = data_;
      }
    });
  }
}

FakeKvServer::~FakeKvServer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  server_.Stop();
  if (refresher_.joinable()) refresher_.join();
}

std::vector<std::string> FakeKvServer::admin_requests() const {
  std::lock_guard lock(mu_);
  return admin_requests_;
}

int FakeKvServer::Flake(bool* apply) {
  *apply = true;
  if (options_.mode != Mode::kFlaky503) return 0;
  const unsigned dice = random_() % 10;
  if (dice < 2) return 503;  // applied, but the client is told nothing
  if (dice < 3) {
    *apply = false;  // not applied, and the client cannot tell the difference
    return 503;
  }
  return 0;
}

void FakeKvServer::Route() {
  // The 421 in kRedirect mode, or nullopt.
  auto redirected = [this]() -> std::optional<node::Response> {
    if (options_.mode != Mode::kRedirect) return std::nullopt;
    return node::ReplyJson(
        421, {{"error", "not_leader"},
              {"message", "ask the leader"},
              {"leader", options_.leader_id},
              {"leader_url", options_.leader_url.empty() ? nlohmann::json(nullptr)
                                                         : nlohmann::json(options_.leader_url)}});
  };

  server_.Get(
      R"(/kv/([^/]+))", Now([this, redirected](node::Request& req) {
        if (auto reply = redirected()) return std::move(*reply);
        std::lock_guard lock(mu_);
        const auto& source = options_.mode == Mode::kStaleReads ? stale_copy_ : data_;
        auto it = source.find(req.match[1]);
        if (it == source.end()) {
          return node::ReplyJson(404, {{"error", "not_found"}, {"message", "no such key"}});
        }
        return node::ReplyJson(200, {{"key", it->first}, {"value", it->second}, {"index", 1}});
      }));

  server_.Put(R"(/kv/([^/]+))", Now([this, redirected](node::Request& req) {
                if (auto reply = redirected()) return std::move(*reply);
                std::lock_guard lock(mu_);
                bool apply = true;
                const int flake = Flake(&apply);
                if (apply) data_[req.match[1]] = req.body();
                if (flake != 0) return Unknown503();
                return node::ReplyJson(200, {{"key", req.match[1].str()}, {"index", 1}});
              }));

  server_.Delete(R"(/kv/([^/]+))", Now([this, redirected](node::Request& req) {
                   if (auto reply = redirected()) return std::move(*reply);
                   std::lock_guard lock(mu_);
                   bool apply = true;
                   const int flake = Flake(&apply);
                   if (apply) data_.erase(req.match[1]);
                   if (flake != 0) return Unknown503();
                   return node::ReplyJson(200, {{"key", req.match[1].str()}});
                 }));

  server_.Post(
      R"(/kv/([^/]+)/cas)", Now([this, redirected](node::Request& req) {
        if (auto reply = redirected()) return std::move(*reply);
        const nlohmann::json body = nlohmann::json::parse(req.body(), nullptr, false);
        if (!body.is_object() || !body.contains("value") || !body["value"].is_string() ||
            !body.contains("expected")) {
          return node::ReplyJson(
              400, {{"error", "bad_request"}, {"message", "need expected and value"}});
        }
        std::lock_guard lock(mu_);
        auto it = data_.find(req.match[1]);
        const nlohmann::json current =
            it == data_.end() ? nlohmann::json(nullptr) : nlohmann::json(it->second);
        if (current != body["expected"]) {
          return node::ReplyJson(
              412, {{"error", "precondition_failed"}, {"message", "no swap"}, {"value", current}});
        }
        bool apply = true;
        const int flake = Flake(&apply);
        if (apply) data_[req.match[1]] = body["value"].get<std::string>();
        if (flake != 0) return Unknown503();
        return node::ReplyJson(200, {{"key", req.match[1].str()}, {"value", body["value"]}});
      }));

  server_.SetStatusProvider([this] {
    return nlohmann::json{{"id", "fake"}, {"state", options_.role}, {"term", options_.term}};
  });
  // Recorded, not applied: the NodeServer's own /admin/faults is off
  // (options.admin is false), so these routes are the fake's.
  server_.Post("/admin/faults", Now([this](node::Request& req) {
                 std::lock_guard lock(mu_);
                 admin_requests_.push_back("POST " + req.body());
                 return node::ReplyJson(200, nlohmann::json::parse(req.body(), nullptr, false));
               }));
  server_.Delete("/admin/faults", Now([this](node::Request&) {
                   std::lock_guard lock(mu_);
                   admin_requests_.push_back("DELETE");
                   return node::ReplyJson(200, nlohmann::json::object());
                 }));
}

}  // namespace dsc::raft::check::testing
