#include "nodes/common/node_server.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "nodes/common/http_session.h"
#include "nodes/common/url_query.h"

namespace dsc::node {
namespace {

using Clock = std::chrono::steady_clock;
using asio::ip::tcp;

}  // namespace

const std::string kUnmatchedRoute = "unmatched";

namespace {

const std::set<std::string, std::less<>> kKnownMethods = {"GET",    "HEAD",  "POST",   "PUT",
                                                          "DELETE", "PATCH", "OPTIONS"};

std::string Join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// The text every match of the ECMAScript `pattern` must start with, and
// whether the pattern is nothing but that text. Conservative: it stops at
// the first special character, drops a character a quantifier may make
// optional ("/tasks?" gives "/task"), and gives up on alternation.
std::pair<std::string, bool> LiteralPrefix(std::string_view pattern) {
  constexpr std::string_view kSpecial = "\\^$.|?*+()[]{}";
  if (pattern.find('|') != std::string_view::npos) return {"", false};
  const size_t special = pattern.find_first_of(kSpecial);
  if (special == std::string_view::npos) return {std::string(pattern), true};
  std::string_view prefix = pattern.substr(0, special);
  const char c = pattern[special];
  if (!prefix.empty() && (c == '?' || c == '*' || c == '{')) prefix.remove_suffix(1);
  return {std::string(prefix), false};
}

size_t ThreadCount(size_t configured) {
  if (configured > 0) return configured;
  const size_t cores = std::thread::hardware_concurrency();
  return cores > 1 ? cores - 1 : 1;
}

}  // namespace

std::optional<std::string> Request::Query(std::string_view name) const {
  const auto target = http.target();
  return TargetQuery(std::string_view(target.data(), target.size()), name);
}

std::optional<std::string> Request::Header(std::string_view name) const {
  auto found = http.find(beast::string_view(name.data(), name.size()));
  if (found == http.end()) return std::nullopt;
  return std::string(found->value().data(), found->value().size());
}

NodeServer::NodeServer(NodeServerOptions options)
    : options_(std::move(options)),
      io_(std::make_unique<asio::io_context>(static_cast<int>(ThreadCount(options_.threads)))),
      executor_(io_->get_executor()),
      sessions_(std::make_shared<SessionRegistry>()) {
  AddBuiltinRoutes();
}

NodeServer::~NodeServer() { Stop(); }

asio::any_io_executor NodeServer::executor() const { return executor_; }

void NodeServer::Handle(std::string_view method, const std::string& path_regex, Handler handler,
                        RouteOptions route_options) {
  assert(!started_ && "register routes before Start()");
  auto [prefix, literal] = LiteralPrefix(path_regex);
  routes_.push_back(Route{std::string(method), path_regex, std::regex(path_regex),
                          std::move(prefix), literal, std::move(handler), nullptr,
                          route_options.max_body_bytes});
}

void NodeServer::Get(const std::string& path_regex, Handler handler, RouteOptions o) {
  Handle("GET", path_regex, std::move(handler), o);
}
void NodeServer::Post(const std::string& path_regex, Handler handler, RouteOptions o) {
  Handle("POST", path_regex, std::move(handler), o);
}
void NodeServer::Put(const std::string& path_regex, Handler handler, RouteOptions o) {
  Handle("PUT", path_regex, std::move(handler), o);
}
void NodeServer::Delete(const std::string& path_regex, Handler handler, RouteOptions o) {
  Handle("DELETE", path_regex, std::move(handler), o);
}

void NodeServer::WebSocket(const std::string& path_regex, WebSocketHandler handler) {
  assert(!started_ && "register routes before Start()");
  auto [prefix, literal] = LiteralPrefix(path_regex);
  routes_.push_back(Route{"GET", path_regex, std::regex(path_regex), std::move(prefix), literal,
                          nullptr, std::move(handler), 0});
}

void NodeServer::SetStatusProvider(std::function<nlohmann::json()> provider) {
  status_provider_ = std::move(provider);
}

std::string NodeServer::url() const { return ListenAddress{options_.listen.host, port_}.Url(); }

void NodeServer::AddBuiltinRoutes() {
  metrics_.AddCollector([this](Metrics& metrics) {
    metrics
        .GetGauge("dsc_http_open_connections",
                  "Connections open now (idle keep-alive ones included)")
        .Set(static_cast<double>(open_connections_.load()));
  });
  Get("/health", [this](Request&) -> Awaitable<Response> {
    // The pid lets `dsc lab` tell the node it started from another process
    // that answers on the same port (a second lab, say).
    co_return ReplyJson(200, {{"status", "ok"}, {"node", options_.node_id}, {"pid", ::getpid()}});
  });
  Get("/status", [this](Request&) -> Awaitable<Response> {
    co_return ReplyJson(
        200, status_provider_ ? status_provider_() : nlohmann::json{{"id", options_.node_id}});
  });
  Get("/metrics", [this](Request&) -> Awaitable<Response> {
    co_return ReplyText(200, metrics_.Render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  if (!options_.admin) return;
  Get("/admin/faults", [this](Request&) -> Awaitable<Response> {
    co_return ReplyJson(200, faults_.Get().ToJson());
  });
  Post("/admin/faults", [this](Request& req) -> Awaitable<Response> {
    Result<FaultSpec> spec = FaultSpec::Parse(req.body());
    if (!spec.ok()) co_return ReplyStatus(spec.status());
    spdlog::warn("node {}: faults set to {}", options_.node_id, spec->ToJson().dump());
    faults_.Set(*spec);
    co_return ReplyJson(200, spec->ToJson());
  });
  Delete("/admin/faults", [this](Request&) -> Awaitable<Response> {
    spdlog::warn("node {}: faults cleared", options_.node_id);
    faults_.Clear();
    co_return ReplyJson(200, faults_.Get().ToJson());
  });
}

NodeServer::Match NodeServer::FindRoute(std::string_view method, const std::string& path) const {
  Match match;
  for (const Route& route : routes_) {
    if (route.literal ? path != route.prefix : !path.starts_with(route.prefix)) continue;
    std::smatch candidate;
    if (!std::regex_match(path, candidate, route.regex)) continue;
    if (route.method == method) {
      match.route = &route;
      match.groups = std::move(candidate);
      return match;
    }
    if (std::find(match.allowed.begin(), match.allowed.end(), route.method) ==
        match.allowed.end()) {
      match.allowed.push_back(route.method);
    }
  }
  return match;
}

Response NodeServer::NoRouteReply(const std::string& method, const std::string& path,
                                  const std::vector<std::string>& allowed) const {
  if (allowed.empty()) return ReplyNotFound("no route for " + method + " " + path);
  Response res =
      ReplyError(405, error_code::kMethodNotAllowed,
                 method + " is not allowed on " + path + "; use " + Join(allowed, " or "));
  res.set(http::field::allow, Join(allowed, ", "));
  return res;
}

Awaitable<Response> NodeServer::Dispatch(const Route& route, Request& req) {
  // Faults never block the admin API: the lab must always be able to heal.
  if (!req.peer.empty() && !route.pattern.starts_with("/admin/")) {
    if (std::optional<Response> faulted = co_await ApplyPeerFaults(req.peer)) {
      co_return std::move(*faulted);
    }
  }
  // A handler's exception becomes a JSON error (co_await is not allowed
  // inside a catch block, hence the reply built there and returned after).
  std::optional<Response> failed;
  try {
    co_return co_await route.handler(req);
  } catch (const nlohmann::json::parse_error& e) {
    failed = ReplyBadRequest(std::string("malformed JSON: ") + e.what());
  } catch (const nlohmann::json::type_error& e) {
    failed = ReplyBadRequest(std::string("wrong JSON type: ") + e.what());
  } catch (const nlohmann::json::out_of_range& e) {
    failed = ReplyBadRequest(std::string("missing JSON field: ") + e.what());
  } catch (const std::exception& e) {
    spdlog::error("node {}: handler for {} {} threw: {}", options_.node_id, req.method(), req.path,
                  e.what());
    failed = ReplyError(500, error_code::kInternal, std::string("internal error: ") + e.what());
  } catch (...) {
    spdlog::error("node {}: handler for {} {} threw a non-exception", options_.node_id,
                  req.method(), req.path);
    failed = ReplyError(500, error_code::kInternal, "internal error");
  }
  co_return std::move(*failed);
}

Awaitable<std::optional<Response>> NodeServer::ApplyPeerFaults(const std::string& peer) {
  FaultDecision decision = faults_.Decide(peer);
  switch (decision.action) {
    case FaultDecision::Action::kIsolated:
      metrics_
          .GetCounter("dsc_faults_applied_total", "Peer messages faulted",
                      {{"direction", "in"}, {"action", "isolated"}})
          .Increment();
      co_return ReplyError(
          503, "isolated",
          "node " + options_.node_id + " is isolated from " + peer + " (fault injection)");
    case FaultDecision::Action::kDrop:
      metrics_
          .GetCounter("dsc_faults_applied_total", "Peer messages faulted",
                      {{"direction", "in"}, {"action", "dropped"}})
          .Increment();
      co_return ReplyError(503, "dropped", "request from " + peer + " dropped (fault injection)");
    case FaultDecision::Action::kDeliver:
      if (decision.delay.count() > 0) {
        asio::steady_timer timer(co_await asio::this_coro::executor, decision.delay);
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      }
      co_return std::nullopt;
  }
  co_return std::nullopt;
}

void NodeServer::RecordRequest(std::string_view method, const std::string& route, int status,
                               Clock::duration elapsed) {
  // Bounded label values: unknown paths share "unmatched", odd methods "other".
  const std::string_view method_label = kKnownMethods.contains(method) ? method : "other";
  RequestInstruments instruments;
  {
    std::lock_guard lock(instruments_mutex_);
    auto found = instruments_.find(std::make_tuple(&route, method_label, status));
    if (found == instruments_.end()) {
      instruments.requests = &metrics_.GetCounter(
          "dsc_http_requests_total", "HTTP requests answered, by route, method and status",
          {{"route", route},
           {"method", std::string(method_label)},
           {"status", std::to_string(status)}});
      instruments.duration = &metrics_.GetHistogram("dsc_http_request_duration_seconds",
                                                    "Time from request headers to response ready",
                                                    Metrics::kLatencyBuckets, {{"route", route}});
      found = instruments_.emplace(InstrumentKey(&route, method_label, status), instruments).first;
    }
    instruments = found->second;
  }
  instruments.requests->Increment();
  instruments.duration->Observe(std::chrono::duration<double>(elapsed).count());
}

// ANCHOR: accept_loop
Awaitable<void> NodeServer::AcceptLoop() {
  for (;;) {
    // Each connection gets a strand of its own: its steps never run
    // concurrently, while different connections run on all threads. With
    // one thread nothing runs concurrently, and a strand would only cost.
    const asio::any_io_executor connection_executor =
        ThreadCount(options_.threads) == 1 ? asio::any_io_executor(io_->get_executor())
                                           : asio::any_io_executor(asio::make_strand(*io_));
    auto [ec, socket] =
        co_await acceptor_->async_accept(connection_executor, asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || stopping_) co_return;  // Stop()
    if (ec) {
      // Out of file descriptors, say: back off briefly rather than spin.
      spdlog::warn("node {}: accept failed: {}", options_.node_id, ec.message());
      asio::steady_timer pause(acceptor_->get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);  // each reply leaves when written
    beast::tcp_stream stream(std::move(socket));
    if (open_connections_.fetch_add(1) >= options_.max_connections) {
      open_connections_.fetch_sub(1);
      metrics_
          .GetCounter("dsc_http_rejected_connections_total",
                      "Connections refused with 503 because the node was at max_connections")
          .Increment();
      asio::co_spawn(stream.get_executor(), RejectOverloaded(std::move(stream)), asio::detached);
      continue;
    }
    auto executor = stream.get_executor();
    asio::co_spawn(executor, RunHttpSession(*this, std::move(stream)), asio::detached);
  }
}
// ANCHOR_END: accept_loop

void NodeServer::RaiseOpenFileLimit() const {
  // Each connection is a file descriptor; the usual soft limit (1024) would
  // refuse connections long before max_connections.
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = static_cast<rlim_t>(options_.max_connections) + 256;
  if (limit.rlim_cur >= wanted) return;
  limit.rlim_cur = std::min(wanted, limit.rlim_max);
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur < wanted) {
    spdlog::warn("node {}: open-file limit {} is below max_connections {}", options_.node_id,
                 static_cast<uint64_t>(limit.rlim_cur), options_.max_connections);
  }
}

Status NodeServer::Start() {
  if (started_) return Status::InvalidArgument("server already started");
  if (!IsValidNodeId(options_.node_id)) {
    return Status::InvalidArgument("bad node id \"" + options_.node_id +
                                   "\": use letters, digits, '-' or '_'");
  }
  if (options_.max_body_bytes == 0) return Status::InvalidArgument("max body bytes must be > 0");
  if (options_.max_connections == 0) return Status::InvalidArgument("max connections must be > 0");
  RaiseOpenFileLimit();

  const std::string where = options_.listen.ToString();
  beast::error_code ec;
  tcp::resolver resolver(*io_);
  auto endpoints = resolver.resolve(options_.listen.host, std::to_string(options_.listen.port),
                                    tcp::resolver::passive, ec);
  if (ec || endpoints.empty()) {
    return Status::IOError("cannot listen on " + where + ": " + (ec ? ec.message() : "no address"));
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  acceptor_ = std::make_unique<tcp::acceptor>(asio::make_strand(*io_));
  // SO_REUSEADDR only (never SO_REUSEPORT, which would let a second node
  // bind the same port instead of failing as busy).
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) port_ = acceptor_->local_endpoint(ec).port();
  if (ec) {
    acceptor_.reset();
    const std::string message = "cannot listen on " + where + ": " + ec.message();
    return ec == asio::error::address_in_use ? Status::Busy(message) : Status::IOError(message);
  }

  started_ = true;
  asio::co_spawn(acceptor_->get_executor(), AcceptLoop(), asio::detached);
  const size_t threads = ThreadCount(options_.threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { io_->run(); });
  spdlog::info("node {} ready on {}", options_.node_id, url());
  return Status::Ok();
}

void NodeServer::Stop() {
  if (!started_ || stopping_.exchange(true)) return;
  // No new connections...
  asio::post(acceptor_->get_executor(), [this] {
    beast::error_code ignored;
    acceptor_->close(ignored);
  });
  // ...idle ones close now, busy ones after their reply is written.
  sessions_->CloseIdle();
  const auto deadline = Clock::now() + options_.stop_timeout;
  while (open_connections_.load() > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    sessions_->CloseIdle();  // sessions that became idle meanwhile
  }
  const size_t stuck = open_connections_.load();
  io_->stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  // The posted close may not have run before stop(): close here, with no
  // thread left running, so the port is free when Stop() returns.
  beast::error_code ignored;
  acceptor_->close(ignored);
  if (stuck > 0) {
    // A handler still waits for something that never completed (a bug in
    // a service's shutdown). Destroying the context would free what that
    // callback will touch, so it is leaked instead: the process is ending.
    spdlog::warn("node {}: {} request(s) still unanswered after {} ms; abandoning them",
                 options_.node_id, stuck, options_.stop_timeout.count());
    // Kept reachable (not leaked) until the process exits.
    static auto* abandoned = new std::vector<std::unique_ptr<asio::io_context>>();
    static std::mutex abandoned_mutex;
    std::lock_guard lock(abandoned_mutex);
    acceptor_.reset();
    abandoned->push_back(std::move(io_));
  }
}

}  // namespace dsc::node
