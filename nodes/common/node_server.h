// NodeServer: the asynchronous HTTP (and WebSocket) server every dsc node
// is built on, on Boost.Asio and Boost.Beast.
//
// A handler is a C++20 coroutine: it reads the request, co_awaits whatever
// the answer depends on (a durable write, a quorum of peers, a long poll)
// and co_returns the reply. While it waits, no thread waits with it: the
// connection is parked in memory and the server's few threads serve other
// connections. So ten thousand idle or waiting clients cost memory, not
// threads.
//
//   NodeServer server(options);
//   server.Post(R"(/tasks/([^/]+)/ack)", [&](Request& req) -> Awaitable<Response> {
//     std::string id = req.match[1];
//     Status s = co_await AwaitCallback<Status>(        // completion.h
//         [&](auto done) { queue.Ack(id, std::move(done)); });
//     if (!s.ok()) co_return ReplyStatus(s);
//     co_return ReplyJson(200, {{"id", id}});
//   });
//   server.SetStatusProvider([&] { return queue.StatusJson(); });
//   if (Status s = server.Start(); !s.ok()) { /* print s, exit 1 */ }
//   shutdown.Wait();
//   queue.Shutdown();   // completes what handlers still wait for
//   server.Stop();
//
// Each connection is one coroutine (http_session.cc) that reads as the
// protocol does: read a request, route it, co_await the handler's reply,
// write it, repeat while the client keeps the connection alive. A request
// asking for a WebSocket upgrade on a WebSocket route becomes a WebSocket
// session on the same connection.
//
// What every node gets for free:
//   GET /health   200 {"status":"ok","node":ID,"pid":PID}
//   GET /status   the provider's JSON (default {"id":ID})
//   GET /metrics  Prometheus text: requests by route and status, latency,
//                 open and refused connections, plus what the node registers
//   /admin/faults (only with options.admin): see faults.h
// and every error as {"error":CODE,"message":TEXT} (json_error.h): 404
// unknown route, 405 wrong method (with Allow), 413 a body over the route's
// limit (refused before it is read, then the connection is closed), 400
// malformed HTTP or JSON, 500 a handler threw, 503 {"error":"overloaded"}
// beyond max_connections.
//
// Peer requests (header X-Dsc-Peer: <sender id>) pass through the fault
// injector first: from an isolated peer they get 503 {"error":"isolated"},
// dropped ones 503 {"error":"dropped"}, and delayed ones wait (on a timer).
//
// Slow and idle clients cannot starve a node: a whole request (headers and
// body) must arrive within read_timeout of its first byte (a "slow loris"
// is cut off), a reply must be written within write_timeout, and an idle
// keep-alive connection is closed after keep_alive_timeout.
//
// Thread-safety: register routes and the status provider before Start().
// Handlers run concurrently on the server's threads (each connection on
// its own strand when there are several) and must be thread-safe. Start() and Stop() are called
// from one controlling thread, never from a handler.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <nlohmann/json.hpp>

#include "base/status.h"
#include "nodes/common/address.h"
#include "nodes/common/faults.h"
#include "nodes/common/http_types.h"
#include "nodes/common/json_error.h"
#include "nodes/common/metrics.h"

namespace dsc::node {

struct NodeServerOptions {
  std::string node_id = "node";
  ListenAddress listen{"127.0.0.1", 0};  // port 0: any free port (see port())
  // The default body limit of a route (RouteOptions may raise or lower
  // it): larger bodies are refused with 413 {"error":"too_large"}.
  size_t max_body_bytes = 1u << 20;
  // A whole request (headers and body) must arrive within this time of its
  // first byte.
  std::chrono::milliseconds read_timeout{5000};
  // A reply must be written within this time.
  std::chrono::milliseconds write_timeout{5000};
  // An idle keep-alive connection is closed after this long. Idle
  // connections cost a few KiB each and no thread, so this can be long.
  std::chrono::milliseconds keep_alive_timeout{60'000};
  // Connections open at once; more are answered 503 {"error":"overloaded"}
  // and closed at once. Start() raises the process's open-file limit to
  // fit it when the hard limit allows.
  size_t max_connections = 15'000;
  // Threads running the io_context; 0: one per core but one, at least one
  // (the core left over runs the log's sync thread and the bench or
  // clients beside it). Handlers never block, so more threads than cores
  // buy nothing; with one, connections need no strands (queue_bench: about
  // 8% less CPU per cycle on two cores than with two threads).
  size_t threads = 0;
  // How long Stop() waits for requests in flight to be answered.
  std::chrono::milliseconds stop_timeout{5000};
  // Expose /admin/faults.
  bool admin = false;
};

// What a handler receives. Valid until the handler's coroutine returns.
struct Request {
  const HttpRequest& http;  // method, target, headers, body
  std::string path;         // the target's path, percent-decoded, no query
  std::smatch match;        // the route regex's groups over `path`: match[1], ...
  std::string peer;         // X-Dsc-Peer: the sending node, "" for clients

  const std::string& body() const { return http.body(); }
  std::string method() const { return std::string(http.method_string()); }
  // The query parameter `name` (percent-decoded; the first if repeated), or
  // nullopt.
  std::optional<std::string> Query(std::string_view name) const;
  std::optional<std::string> Header(std::string_view name) const;
};

using Handler = std::function<Awaitable<Response>(Request& req)>;

// A WebSocket session after the upgrade: the handler owns the conversation
// until it returns (then the connection closes). One coroutine reads and
// writes; a handler that must send from elsewhere posts to the stream's
// executor.
using WebSocketStream = beast::websocket::stream<beast::tcp_stream>;
using WebSocketHandler = std::function<Awaitable<void>(Request& req, WebSocketStream& ws)>;

struct RouteOptions {
  // Body limit for this route; 0: the server's max_body_bytes. (A Raft
  // node takes large snapshots from peers, small values from clients.)
  size_t max_body_bytes = 0;
};

struct SessionRegistry;

// The route label of a request no route took.
extern const std::string kUnmatchedRoute;

class NodeServer {
 public:
  explicit NodeServer(NodeServerOptions options);
  ~NodeServer();  // Stop()s
  NodeServer(const NodeServer&) = delete;
  NodeServer& operator=(const NodeServer&) = delete;

  // Adds a route: `path_regex` must match the whole path (ECMAScript
  // syntax); HEAD is served by GET routes. Call before Start().
  void Handle(std::string_view method, const std::string& path_regex, Handler handler,
              RouteOptions route_options = {});
  void Get(const std::string& path_regex, Handler handler, RouteOptions route_options = {});
  void Post(const std::string& path_regex, Handler handler, RouteOptions route_options = {});
  void Put(const std::string& path_regex, Handler handler, RouteOptions route_options = {});
  void Delete(const std::string& path_regex, Handler handler, RouteOptions route_options = {});
  // A GET that upgrades to WebSocket (a plain GET on it gets 426).
  void WebSocket(const std::string& path_regex, WebSocketHandler handler);

  // Supplies the body of GET /status. Called on a server thread for each
  // request; keep it cheap (the lab console polls it).
  void SetStatusProvider(std::function<nlohmann::json()> provider);

  // Binds and starts serving on the server's threads, then logs one INFO
  // line "node ID ready on http://HOST:PORT". Busy if the port is taken,
  // InvalidArgument for bad options, IOError for other bind failures.
  Status Start();
  // Stops accepting, closes idle connections, lets requests in flight be
  // answered (up to stop_timeout: whatever they wait for must complete,
  // which is why a node shuts its services down first), then stops the
  // threads. Idempotent.
  void Stop();

  // The executor of the server's io_context: timers and the peer client of
  // a node run on it. Valid from construction; runs once Start() returns.
  asio::any_io_executor executor() const;

  const std::string& node_id() const { return options_.node_id; }
  const NodeServerOptions& options() const { return options_; }
  int port() const { return port_; }  // the bound port, after Start()
  std::string url() const;            // http://HOST:PORT, after Start()
  Metrics& metrics() { return metrics_; }
  FaultInjector& faults() { return faults_; }
  size_t open_connections() const { return open_connections_.load(); }

 private:
  friend Awaitable<void> RunHttpSession(NodeServer& server, beast::tcp_stream stream);

  struct Route {
    std::string method;
    std::string pattern;  // as registered; the metrics label
    std::regex regex;
    // Every path the regex matches starts with this text, and equals it
    // when `literal`: a cheap test that skips std::regex_match, which
    // costs microseconds, for most routes.
    std::string prefix;
    bool literal = false;
    Handler handler;             // set for HTTP routes
    WebSocketHandler websocket;  // set for WebSocket routes
    size_t max_body_bytes = 0;
  };

  // What routing found for a request's method and path.
  struct Match {
    const Route* route = nullptr;  // null: 404 or 405
    std::smatch groups;
    std::vector<std::string> allowed;  // methods the path takes, for 405
  };

  void AddBuiltinRoutes();
  // `path` must outlive the match (its groups point into it).
  Match FindRoute(std::string_view method, const std::string& path) const;
  // 404, or 405 with an Allow header, for a request no route took.
  Response NoRouteReply(const std::string& method, const std::string& path,
                        const std::vector<std::string>& allowed) const;
  // Runs the route's handler (after peer faults), turning exceptions into
  // JSON errors. Used by HttpSession.
  Awaitable<Response> Dispatch(const Route& route, Request& req);
  // Returns the reply when a peer fault answers the request instead of the
  // handler (after waiting out any injected delay).
  Awaitable<std::optional<Response>> ApplyPeerFaults(const std::string& peer);
  // Counts the request and its duration under (route, method, status).
  // `route` is a Route's pattern or kUnmatchedRoute (both live as long as
  // the server: the instruments are cached by its address).
  void RecordRequest(std::string_view method, const std::string& route, int status,
                     std::chrono::steady_clock::duration elapsed);
  Awaitable<void> AcceptLoop();
  void RaiseOpenFileLimit() const;

  const NodeServerOptions options_;
  Metrics metrics_;
  // RecordRequest's two instruments for each (route, method, status) seen:
  // rendering and looking up their labels on every request cost more
  // than the rest of the request's bookkeeping.
  struct RequestInstruments {
    Counter* requests = nullptr;
    Histogram* duration = nullptr;
  };
  using InstrumentKey = std::tuple<const std::string*, std::string, int>;
  std::mutex instruments_mutex_;
  std::map<InstrumentKey, RequestInstruments, std::less<>> instruments_;
  FaultInjector faults_;
  std::vector<Route> routes_;  // fixed once Start() runs
  std::function<nlohmann::json()> status_provider_;

  // Owned by pointer: if Stop() times out with handlers still waiting on
  // something that never completed, the context is kept alive until the
  // process exits rather than destroyed under them (see Stop()).
  std::unique_ptr<asio::io_context> io_;
  const asio::any_io_executor executor_;  // io_'s, kept if io_ is abandoned
  std::unique_ptr<asio::ip::tcp::acceptor> acceptor_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> open_connections_{0};
  std::atomic<bool> stopping_{false};
  // Every live session, so Stop() can close the idle ones.
  std::shared_ptr<SessionRegistry> sessions_;
  int port_ = 0;
  bool started_ = false;
};

}  // namespace dsc::node
