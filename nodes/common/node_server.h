// NodeServer: the HTTP/JSON server every dsc node is built on.
//
//   NodeServer server(options);
//   server.Post(R"(/tasks/([^/]+)/ack)", [&](const Request& req, httplib::Response& res) {
//     std::string id = req.match[1];
//     ...
//     ReplyJson(res, 200, {{"id", id}});
//   });
//   server.SetStatusProvider([&] { return queue.StatusJson(); });
//   if (Status s = server.Start(); !s.ok()) { /* print s, exit 1 */ }
//   shutdown.Wait();
//   server.Stop();
//
// What every node gets for free:
//   GET /health   200 {"status":"ok","node":ID}
//   GET /status   the provider's JSON (default {"id":ID})
//   GET /metrics  Prometheus text: requests by route and status, latency,
//                 refused connections, plus whatever the node registers
//   /admin/faults (only with options.admin): see faults.h
// and every error, its own or httplib's, as {"error":CODE,"message":TEXT}
// (json_error.h): 404 unknown route, 405 wrong method, 413 body over
// max_body_bytes (refused before it is read), 411 a chunked body (send a
// Content-Length), 400 malformed HTTP or JSON, 500 a handler threw.
//
// Peer requests (header X-Dsc-Peer: <sender id>) pass through the fault
// injector first: from an isolated peer they get 503 {"error":"isolated"},
// dropped ones 503 {"error":"dropped"}, and delayed ones wait.
//
// Idle and slow clients cannot starve a node: see guarded_http_server.h.
//
// Thread-safety: register routes and the status provider before Start();
// handlers run concurrently on the worker threads and must be thread-safe.
// Start() and Stop() are called from one controlling thread, never from a
// handler.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "nodes/common/address.h"
#include "nodes/common/faults.h"
#include "nodes/common/guarded_http_server.h"
#include "nodes/common/json_error.h"
#include "nodes/common/metrics.h"

namespace dsc::node {

struct NodeServerOptions {
  std::string node_id = "node";
  ListenAddress listen{"127.0.0.1", 0};  // port 0: any free port (see port())
  // Larger request bodies are refused with 413 {"error":"too_large"}.
  size_t max_body_bytes = 1u << 20;
  // A whole request (headers and body) must arrive within this time.
  std::chrono::milliseconds read_timeout{5000};
  std::chrono::milliseconds write_timeout{5000};
  // An idle keep-alive connection is closed after this long (sooner when
  // other connections are waiting for a worker).
  std::chrono::milliseconds keep_alive_timeout{2000};
  // High on purpose: when a server ends a kept-alive connection, a client
  // may already be sending its next request on it, and that request fails
  // with no answer (cpp-httplib 0.11's client does; queue_bench saw it at
  // 16 clients with a limit of 100). Idle connections still time out.
  size_t max_requests_per_connection = 10000;
  // Connections served at once. Handlers may block (a durable append, a
  // long poll), so this is the node's concurrency, not a CPU count.
  size_t worker_threads = 16;
  // Connections being served or waiting; more are refused at once with 503
  // {"error":"overloaded"}. At least worker_threads.
  size_t max_connections = 256;
  // Expose /admin/faults.
  bool admin = false;
};

// What a handler receives.
struct Request {
  const httplib::Request& http;  // method, path, headers, body, query params
  std::smatch match;             // the route regex's groups: match[1], ...
  std::string peer;              // X-Dsc-Peer: the sending node, "" for clients

  const std::string& body() const { return http.body; }
  const std::string& path() const { return http.path; }
  const std::string& method() const { return http.method; }
  // The query parameter `name` (first if repeated), or nullopt.
  std::optional<std::string> Query(const std::string& name) const;
  std::optional<std::string> Header(const std::string& name) const;
};

using Handler = std::function<void(const Request& req, httplib::Response& res)>;

class NodeServer {
 public:
  explicit NodeServer(NodeServerOptions options);
  ~NodeServer();  // Stop()s
  NodeServer(const NodeServer&) = delete;
  NodeServer& operator=(const NodeServer&) = delete;

  // Adds a route: `path_regex` must match the whole path (ECMAScript
  // syntax); HEAD is served by GET routes. Call before Start().
  void Handle(std::string_view method, const std::string& path_regex, Handler handler);
  void Get(const std::string& path_regex, Handler handler);
  void Post(const std::string& path_regex, Handler handler);
  void Put(const std::string& path_regex, Handler handler);
  void Delete(const std::string& path_regex, Handler handler);

  // Supplies the body of GET /status. Called on a worker thread for each
  // request; keep it cheap (the lab console polls it).
  void SetStatusProvider(std::function<nlohmann::json()> provider);

  // Binds and starts serving in the background, then logs one INFO line
  // "node ID ready on http://HOST:PORT". Busy if the port is taken,
  // InvalidArgument for bad options, IOError for other bind failures.
  Status Start();
  // Stops accepting, closes idle connections, waits for running handlers.
  // Idempotent.
  void Stop();

  const std::string& node_id() const { return options_.node_id; }
  const NodeServerOptions& options() const { return options_; }
  int port() const { return port_; }  // the bound port, after Start()
  std::string url() const;            // http://HOST:PORT, after Start()
  Metrics& metrics() { return metrics_; }
  FaultInjector& faults() { return faults_; }

 private:
  struct Route {
    std::string method;
    std::string pattern;  // as registered; the metrics label
    std::regex regex;
    // Every path the regex matches starts with this text (LiteralPrefix in
    // node_server.cc), and equals it when `literal`: a cheap test that
    // skips std::regex_match, which costs microseconds, for most routes.
    std::string prefix;
    bool literal = false;
    Handler handler;
  };

  void AddBuiltinRoutes();
  void InstallHttplibHooks();
  // Runs before httplib reads the body. Answers (and returns true) a
  // request whose body must not be read (chunked, malformed or over-limit
  // Content-Length) or that has no body at all.
  bool AnswerBeforeBody(const httplib::Request& req, httplib::Response& res);
  // The single httplib handler: routes, applies peer faults, catches.
  void Dispatch(const httplib::Request& http, httplib::Response& res);
  // Returns false when a peer fault already answered the request.
  bool ApplyPeerFaults(const std::string& peer, httplib::Response& res);
  void RecordRequest(const httplib::Request& http, const httplib::Response& res);

  const NodeServerOptions options_;
  Metrics metrics_;
  FaultInjector faults_;
  std::vector<Route> routes_;  // fixed once Start() runs
  std::function<nlohmann::json()> status_provider_;

  GuardedHttpServer http_;
  std::thread listen_thread_;
  std::atomic<bool> listen_returned_{false};
  int port_ = 0;
};

}  // namespace dsc::node
