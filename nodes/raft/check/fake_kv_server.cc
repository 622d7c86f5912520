#include "nodes/raft/check/fake_kv_server.h"

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace dsc::raft::check::testing {

namespace {

void ReplyJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

}  // namespace

FakeKvServer::FakeKvServer(Options options) : options_(std::move(options)) {
  Route();
  port_ = server_.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("FakeKvServer: cannot bind");
  listener_ = std::thread([this] { server_.listen_after_bind(); });
  if (options_.mode == Mode::kStaleReads) {
    refresher_ = std::thread([this] {
      std::unique_lock lock(mu_);
      while (!stop_cv_.wait_for(lock, options_.lag, [this] { return stopping_; })) {
        stale_copy_ = data_;
      }
    });
  }
  while (!server_.is_running()) std::this_thread::yield();
}

FakeKvServer::~FakeKvServer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  server_.stop();
  listener_.join();
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
  // Answers 421 in kRedirect mode; returns whether it did.
  auto redirected = [this](httplib::Response& res) {
    if (options_.mode != Mode::kRedirect) return false;
    ReplyJson(res, 421,
              {{"error", "not_leader"},
               {"message", "ask the leader"},
               {"leader", options_.leader_id},
               {"leader_url", options_.leader_url.empty() ? nlohmann::json(nullptr)
                                                          : nlohmann::json(options_.leader_url)}});
    return true;
  };

  server_.Get(R"(/kv/([^/]+))",
              [this, redirected](const httplib::Request& req, httplib::Response& res) {
                if (redirected(res)) return;
                std::lock_guard lock(mu_);
                const auto& source = options_.mode == Mode::kStaleReads ? stale_copy_ : data_;
                auto it = source.find(req.matches[1]);
                if (it == source.end()) {
                  ReplyJson(res, 404, {{"error", "not_found"}, {"message", "no such key"}});
                  return;
                }
                ReplyJson(res, 200, {{"key", it->first}, {"value", it->second}, {"index", 1}});
              });

  server_.Put(R"(/kv/([^/]+))",
              [this, redirected](const httplib::Request& req, httplib::Response& res) {
                if (redirected(res)) return;
                std::lock_guard lock(mu_);
                bool apply = true;
                const int flake = Flake(&apply);
                if (apply) data_[req.matches[1]] = req.body;
                if (flake != 0) {
                  ReplyJson(res, flake, {{"error", "unavailable"}, {"message", "outcome unknown"}});
                  return;
                }
                ReplyJson(res, 200, {{"key", req.matches[1]}, {"index", 1}});
              });

  server_.Delete(
      R"(/kv/([^/]+))", [this, redirected](const httplib::Request& req, httplib::Response& res) {
        if (redirected(res)) return;
        std::lock_guard lock(mu_);
        bool apply = true;
        const int flake = Flake(&apply);
        if (apply) data_.erase(req.matches[1]);
        if (flake != 0) {
          ReplyJson(res, flake, {{"error", "unavailable"}, {"message", "outcome unknown"}});
          return;
        }
        ReplyJson(res, 200, {{"key", req.matches[1]}});
      });

  server_.Post(R"(/kv/([^/]+)/cas)", [this, redirected](const httplib::Request& req,
                                                        httplib::Response& res) {
    if (redirected(res)) return;
    const nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("value") || !body["value"].is_string() ||
        !body.contains("expected")) {
      ReplyJson(res, 400, {{"error", "bad_request"}, {"message", "need expected and value"}});
      return;
    }
    std::lock_guard lock(mu_);
    auto it = data_.find(req.matches[1]);
    const nlohmann::json current =
        it == data_.end() ? nlohmann::json(nullptr) : nlohmann::json(it->second);
    if (current != body["expected"]) {
      ReplyJson(res, 412,
                {{"error", "precondition_failed"}, {"message", "no swap"}, {"value", current}});
      return;
    }
    bool apply = true;
    const int flake = Flake(&apply);
    if (apply) data_[req.matches[1]] = body["value"].get<std::string>();
    if (flake != 0) {
      ReplyJson(res, flake, {{"error", "unavailable"}, {"message", "outcome unknown"}});
      return;
    }
    ReplyJson(res, 200, {{"key", req.matches[1]}, {"value", body["value"]}});
  });

  server_.Get("/status", [this](const httplib::Request&, httplib::Response& res) {
    ReplyJson(res, 200, {{"id", "fake"}, {"state", options_.role}, {"term", options_.term}});
  });
  server_.Post("/admin/faults", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    admin_requests_.push_back("POST " + req.body);
    ReplyJson(res, 200, nlohmann::json::parse(req.body, nullptr, false));
  });
  server_.Delete("/admin/faults", [this](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(mu_);
    admin_requests_.push_back("DELETE");
    ReplyJson(res, 200, nlohmann::json::object());
  });
}

}  // namespace dsc::raft::check::testing
