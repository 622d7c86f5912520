#include "nodes/raft/check/kv_client.h"

#include <httplib.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

namespace dsc::raft::check {

namespace {

std::string Trim(std::string text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  const auto end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

std::string NormaliseUrl(std::string url) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) url = "http://" + url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string StringOr(const nlohmann::json& body, const char* field) {
  if (!body.is_object()) return "";
  auto it = body.find(field);
  return it != body.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

Result<std::vector<NodeEndpoint>> ParseNodeList(const std::string& text) {
  std::vector<NodeEndpoint> nodes;
  std::set<std::string> ids;
  std::stringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    item = Trim(item);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
      return Status::InvalidArgument("expected ID=URL, got \"" + item + "\"");
    }
    NodeEndpoint node{Trim(item.substr(0, eq)), NormaliseUrl(Trim(item.substr(eq + 1)))};
    if (!ids.insert(node.id).second) {
      return Status::InvalidArgument("node \"" + node.id + "\" is listed twice");
    }
    nodes.push_back(std::move(node));
  }
  if (nodes.empty()) return Status::InvalidArgument("no nodes given");
  return nodes;
}

KvClient::KvClient(std::vector<NodeEndpoint> nodes, KvClientOptions options, uint64_t seed)
    : nodes_(std::move(nodes)), options_(options), random_(seed) {
  // Clients start at different nodes, so some meet followers and follow
  // their hints, as real clients do.
  const NodeEndpoint& first = nodes_[random_() % nodes_.size()];
  current_url_ = first.url;
  current_id_ = first.id;
}

KvClient::~KvClient() = default;

httplib::Client& KvClient::ClientFor(const std::string& url) {
  std::unique_ptr<httplib::Client>& client = clients_[url];
  if (!client) {
    client = std::make_unique<httplib::Client>(url);
    client->set_connection_timeout(std::chrono::seconds(1));
    client->set_read_timeout(options_.request_timeout);
    client->set_write_timeout(options_.request_timeout);
    client->set_tcp_nodelay(true);
  }
  return *client;
}

void KvClient::Redirect(const std::string& leader_id, const std::string& leader_url) {
  if (!leader_url.empty()) {
    current_url_ = NormaliseUrl(leader_url);
    current_id_ = leader_id.empty() ? current_url_ : leader_id;
    for (const NodeEndpoint& node : nodes_) {
      if (node.url == current_url_) current_id_ = node.id;
    }
    return;
  }
  for (const NodeEndpoint& node : nodes_) {
    if (!leader_id.empty() && node.id == leader_id) {
      current_url_ = node.url;
      current_id_ = node.id;
      return;
    }
  }
  // No usable hint: try the node after the current one.
  size_t next = 0;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].url == current_url_) next = (i + 1) % nodes_.size();
  }
  current_url_ = nodes_[next].url;
  current_id_ = nodes_[next].id;
}

// ANCHOR: perform
void KvClient::Perform(Operation& op) {
  const std::string path = "/kv/" + op.key;
  const auto give_up = std::chrono::steady_clock::now() + options_.retry_budget;
  if (op.kind == OpKind::kGet && options_.reads_anywhere) {
    const NodeEndpoint& node = nodes_[random_() % nodes_.size()];
    current_url_ = node.url;
    current_id_ = node.id;
  }
  for (;;) {
    op.node = current_id_;
    httplib::Client& client = ClientFor(current_url_);
    httplib::Result result = [&] {
      switch (op.kind) {
        case OpKind::kGet: return client.Get(path);
        case OpKind::kPut: return client.Put(path, op.value, "application/octet-stream");
        case OpKind::kDelete: return client.Delete(path);
        case OpKind::kCas: break;
      }
      const nlohmann::json body = {
          {"expected", op.expected ? nlohmann::json(*op.expected) : nlohmann::json(nullptr)},
          {"value", op.value}};
      return client.Post(path + "/cas", body.dump(), "application/json");
    }();

    bool retry = false;
    std::string leader_id, leader_url;
    if (!result) {
      op.note = httplib::to_string(result.error());
      // Refused before anything was sent: it cannot have taken effect.
      // Any other error may strike after the node received the request.
      retry = result.error() == httplib::Error::Connection;
      if (!retry) {
        op.outcome = Outcome::kUnknown;
        Redirect("", "");  // this node may be cut off: the next operation tries another
        return;
      }
    } else {
      const int status = result->status;
      op.note = "http " + std::to_string(status);
      nlohmann::json body = nlohmann::json::parse(result->body, nullptr, false);
      if (status == 421) {
        retry = true;
        leader_id = StringOr(body, "leader");
        leader_url = StringOr(body, "leader_url");
      } else if (status == 200 || status == 404 || (status == 412 && op.kind == OpKind::kCas)) {
        op.outcome = Outcome::kOk;
        op.swapped = op.kind == OpKind::kCas && status == 200;
        if (op.kind == OpKind::kGet && status == 200) {
          auto value = body.is_object() ? body.find("value") : body.end();
          if (value == body.end() || !value->is_string()) {
            op.outcome = Outcome::kUnknown;  // a reply we cannot read proves nothing
            op.note = "bad reply: 200 without a string \"value\"";
            return;
          }
          op.has_seen = true;
          op.seen = value->get<std::string>();
        } else if (status == 404 && op.kind == OpKind::kGet) {
          op.has_seen = true;
          op.seen.reset();
        } else if (status == 404 && op.kind == OpKind::kPut) {
          op.outcome = Outcome::kFailed;  // no such route: nothing was written
        } else if (status == 404 && op.kind == OpKind::kCas) {
          op.has_seen = true;  // no key to compare with: absent
          op.seen.reset();
        } else if (status == 412 && body.is_object() && body.contains("value") &&
                   (body["value"].is_string() || body["value"].is_null())) {
          op.has_seen = true;
          if (body["value"].is_string()) op.seen = body["value"].get<std::string>();
        }
        return;
      } else if (status >= 400 && status < 500) {
        op.outcome = Outcome::kFailed;  // refused: 400, 413, ...
        return;
      } else {
        op.outcome = Outcome::kUnknown;  // 503 and every other answer
        Redirect("", "");
        return;
      }
    }

    // Not taken: try where the answer points, while the budget lasts.
    if (std::chrono::steady_clock::now() >= give_up) {
      op.outcome = Outcome::kFailed;
      op.note += " (gave up following leaders)";
      return;
    }
    const std::string before = current_url_;
    Redirect(leader_id, leader_url);
    // A hint to a new place is followed at once; otherwise the cluster is
    // probably electing, so give it a moment.
    if (current_url_ == before || leader_url.empty()) {
      std::this_thread::sleep_for(options_.retry_pause);
    }
  }
}
// ANCHOR_END: perform

}  // namespace dsc::raft::check
