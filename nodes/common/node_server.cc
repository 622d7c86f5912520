#include "nodes/common/node_server.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <set>

namespace dsc::node {
namespace {

using Clock = std::chrono::steady_clock;

// Per-request bookkeeping for metrics. httplib serves a request start to
// finish on one thread, and its hooks (pre-routing, handler, logger) get no
// shared context, so the thread carries it.
struct RequestContext {
  Clock::time_point start{};        // when the headers had arrived
  std::string route = "unmatched";  // the matched route's pattern
};
thread_local RequestContext t_request;

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

std::string DefaultErrorMessage(int http_status, size_t max_body_bytes) {
  switch (http_status) {
    case 400: return "malformed HTTP request";
    case 404: return "not found";
    case 413:
      return "request body exceeds the limit of " + std::to_string(max_body_bytes) + " bytes";
    case 414: return "request URI too long";
    case 405: return "method not allowed";
    default: return "HTTP error " + std::to_string(http_status);
  }
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

}  // namespace

std::optional<std::string> Request::Query(const std::string& name) const {
  if (!http.has_param(name)) return std::nullopt;
  return http.get_param_value(name);
}

std::optional<std::string> Request::Header(const std::string& name) const {
  if (!http.has_header(name)) return std::nullopt;
  return http.get_header_value(name);
}

NodeServer::NodeServer(NodeServerOptions options)
    : options_(std::move(options)),
      http_(ConnectionLimits{options_.read_timeout, options_.write_timeout,
                             options_.keep_alive_timeout, options_.max_requests_per_connection,
                             options_.worker_threads,
                             std::max(options_.max_connections, options_.worker_threads)}) {
  InstallHttplibHooks();
  AddBuiltinRoutes();
}

NodeServer::~NodeServer() { Stop(); }

void NodeServer::Handle(std::string_view method, const std::string& path_regex, Handler handler) {
  assert(!listen_thread_.joinable() && "register routes before Start()");
  auto [prefix, literal] = LiteralPrefix(path_regex);
  routes_.push_back(Route{std::string(method), path_regex, std::regex(path_regex),
                          std::move(prefix), literal, std::move(handler)});
}

void NodeServer::Get(const std::string& path_regex, Handler handler) {
  Handle("GET", path_regex, std::move(handler));
}
void NodeServer::Post(const std::string& path_regex, Handler handler) {
  Handle("POST", path_regex, std::move(handler));
}
void NodeServer::Put(const std::string& path_regex, Handler handler) {
  Handle("PUT", path_regex, std::move(handler));
}
void NodeServer::Delete(const std::string& path_regex, Handler handler) {
  Handle("DELETE", path_regex, std::move(handler));
}

void NodeServer::SetStatusProvider(std::function<nlohmann::json()> provider) {
  status_provider_ = std::move(provider);
}

std::string NodeServer::url() const { return ListenAddress{options_.listen.host, port_}.Url(); }

void NodeServer::AddBuiltinRoutes() {
  Get("/health", [this](const Request&, httplib::Response& res) {
    // The pid lets `dsc lab` tell the node it started from another process
    // that answers on the same port (a second lab, say).
    ReplyJson(res, 200, {{"status", "ok"}, {"node", options_.node_id}, {"pid", ::getpid()}});
  });
  Get("/status", [this](const Request&, httplib::Response& res) {
    ReplyJson(res, 200,
              status_provider_ ? status_provider_() : nlohmann::json{{"id", options_.node_id}});
  });
  Get("/metrics", [this](const Request&, httplib::Response& res) {
    res.set_content(metrics_.Render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  if (!options_.admin) return;
  Get("/admin/faults", [this](const Request&, httplib::Response& res) {
    ReplyJson(res, 200, faults_.Get().ToJson());
  });
  Post("/admin/faults", [this](const Request& req, httplib::Response& res) {
    Result<FaultSpec> spec = FaultSpec::Parse(req.body());
    if (!spec.ok()) return ReplyStatus(res, spec.status());
    spdlog::warn("node {}: faults set to {}", options_.node_id, spec->ToJson().dump());
    faults_.Set(*spec);
    ReplyJson(res, 200, spec->ToJson());
  });
  Delete("/admin/faults", [this](const Request&, httplib::Response& res) {
    spdlog::warn("node {}: faults cleared", options_.node_id);
    faults_.Clear();
    ReplyJson(res, 200, faults_.Get().ToJson());
  });
}

void NodeServer::InstallHttplibHooks() {
  http_.set_payload_max_length(options_.max_body_bytes);
  // Only SO_REUSEADDR: httplib's default also sets SO_REUSEPORT, which would
  // let a second node bind the same port instead of failing as busy.
  http_.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });

  // Every method goes to one dispatcher, which can tell 404 from 405.
  auto dispatch = [this](const httplib::Request& req, httplib::Response& res) {
    Dispatch(req, res);
  };
  http_.Get(".*", dispatch);
  http_.Post(".*", dispatch);
  http_.Put(".*", dispatch);
  http_.Patch(".*", dispatch);
  http_.Delete(".*", dispatch);
  http_.Options(".*", dispatch);

  http_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    t_request = RequestContext{Clock::now(), "unmatched"};
    return AnswerBeforeBody(req, res) ? httplib::Server::HandlerResponse::Handled
                                      : httplib::Server::HandlerResponse::Unhandled;
  });
  // Errors httplib answers itself (413, a garbled request...) get the JSON
  // shape; a body a handler already set is kept.
  http_.set_error_handler([this](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    ReplyError(res, res.status, DefaultErrorCode(res.status),
               DefaultErrorMessage(res.status, options_.max_body_bytes));
  });
  // Dispatch() catches everything; this is the last line of defence.
  http_.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        ReplyError(res, 500, error_code::kInternal, "internal error");
      });
  // Runs for every response, httplib's own errors included, just before it
  // is written: a client that sees the response then sees it counted.
  http_.set_post_routing_handler(
      [this](const httplib::Request& req, httplib::Response& res) { RecordRequest(req, res); });
  http_.set_on_reject([this] {
    metrics_
        .GetCounter("dsc_http_rejected_connections_total",
                    "Connections refused with 503 because the node was at max_connections")
        .Increment();
  });
}

bool NodeServer::AnswerBeforeBody(const httplib::Request& req, httplib::Response& res) {
  if (req.has_header("Transfer-Encoding")) {
    // httplib 0.11 applies no size limit to chunked bodies.
    ReplyError(res, 411, "length_required", "send the body with a Content-Length");
  } else if (req.has_header("Content-Length")) {
    // httplib reads a malformed length as 0, and an oversized body in full
    // before refusing it; refuse both at once, unread.
    const std::string text = req.get_header_value("Content-Length");
    uint64_t length = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), length);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
      ReplyBadRequest(res, "bad Content-Length \"" + text + "\"");
    } else if (length > options_.max_body_bytes) {
      ReplyError(res, 413, error_code::kTooLarge,
                 DefaultErrorMessage(413, options_.max_body_bytes));
    } else {
      return false;  // httplib reads the body, then calls Dispatch()
    }
  } else {
    // No length and no chunking means an empty body (RFC 9112 §6.3), but
    // httplib would wait for the client to close; serve it now instead.
    Dispatch(req, res);
    return true;
  }
  // The unread body would be parsed as the next request: close instead.
  res.set_header("Connection", "close");
  GuardedHttpServer::CloseAfterResponse();
  return true;
}

void NodeServer::Dispatch(const httplib::Request& http, httplib::Response& res) {
  const std::string method = http.method == "HEAD" ? "GET" : http.method;
  const Route* found = nullptr;
  std::smatch match;
  std::vector<std::string> allowed;
  for (const Route& route : routes_) {
    if (route.literal ? http.path != route.prefix : !http.path.starts_with(route.prefix)) continue;
    std::smatch candidate;
    if (!std::regex_match(http.path, candidate, route.regex)) continue;
    if (route.method == method) {
      found = &route;
      match = std::move(candidate);
      break;
    }
    if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end()) {
      allowed.push_back(route.method);
    }
  }
  if (found == nullptr) {
    if (allowed.empty()) return ReplyNotFound(res, "no route for " + method + " " + http.path);
    res.set_header("Allow", Join(allowed, ", "));
    return ReplyError(
        res, 405, error_code::kMethodNotAllowed,
        method + " is not allowed on " + http.path + "; use " + Join(allowed, " or "));
  }
  t_request.route = found->pattern;

  Request req{http, std::move(match), http.get_header_value(kPeerHeader)};
  // Faults never block the admin API: the lab must always be able to heal.
  if (!req.peer.empty() && !found->pattern.starts_with("/admin/") &&
      !ApplyPeerFaults(req.peer, res)) {
    return;
  }
  try {
    found->handler(req, res);
  } catch (const nlohmann::json::parse_error& e) {
    ReplyBadRequest(res, std::string("malformed JSON: ") + e.what());
  } catch (const nlohmann::json::type_error& e) {
    ReplyBadRequest(res, std::string("wrong JSON type: ") + e.what());
  } catch (const nlohmann::json::out_of_range& e) {
    ReplyBadRequest(res, std::string("missing JSON field: ") + e.what());
  } catch (const std::exception& e) {
    spdlog::error("node {}: handler for {} {} threw: {}", options_.node_id, method, http.path,
                  e.what());
    ReplyError(res, 500, error_code::kInternal, std::string("internal error: ") + e.what());
  } catch (...) {
    spdlog::error("node {}: handler for {} {} threw a non-exception", options_.node_id, method,
                  http.path);
    ReplyError(res, 500, error_code::kInternal, "internal error");
  }
}

bool NodeServer::ApplyPeerFaults(const std::string& peer, httplib::Response& res) {
  FaultDecision decision = faults_.Decide(peer);
  switch (decision.action) {
    case FaultDecision::Action::kIsolated:
      metrics_
          .GetCounter("dsc_faults_applied_total", "Peer messages faulted",
                      {{"direction", "in"}, {"action", "isolated"}})
          .Increment();
      ReplyError(res, 503, "isolated",
                 "node " + options_.node_id + " is isolated from " + peer + " (fault injection)");
      return false;
    case FaultDecision::Action::kDrop:
      metrics_
          .GetCounter("dsc_faults_applied_total", "Peer messages faulted",
                      {{"direction", "in"}, {"action", "dropped"}})
          .Increment();
      ReplyError(res, 503, "dropped", "request from " + peer + " dropped (fault injection)");
      return false;
    case FaultDecision::Action::kDeliver:
      if (decision.delay.count() > 0) std::this_thread::sleep_for(decision.delay);
      return true;
  }
  return true;
}

void NodeServer::RecordRequest(const httplib::Request& http, const httplib::Response& res) {
  RequestContext context = std::exchange(t_request, RequestContext{});
  // Bounded label values: unknown paths share "unmatched", odd methods "other".
  const std::string method = kKnownMethods.contains(http.method) ? http.method : "other";
  metrics_
      .GetCounter(
          "dsc_http_requests_total", "HTTP requests answered, by route, method and status",
          {{"route", context.route}, {"method", method}, {"status", std::to_string(res.status)}})
      .Increment();
  if (context.start != Clock::time_point{}) {
    std::chrono::duration<double> seconds = Clock::now() - context.start;
    metrics_
        .GetHistogram("dsc_http_request_duration_seconds",
                      "Time from request headers to response ready", Metrics::kLatencyBuckets,
                      {{"route", context.route}})
        .Observe(seconds.count());
  }
}

Status NodeServer::Start() {
  if (listen_thread_.joinable()) return Status::InvalidArgument("server already started");
  if (!IsValidNodeId(options_.node_id)) {
    return Status::InvalidArgument("bad node id \"" + options_.node_id +
                                   "\": use letters, digits, '-' or '_'");
  }
  if (options_.max_body_bytes == 0) return Status::InvalidArgument("max body bytes must be > 0");
  if (options_.worker_threads == 0) return Status::InvalidArgument("worker threads must be > 0");

  const std::string& host = options_.listen.host;
  errno = 0;
  bool bound;
  if (options_.listen.port == 0) {
    port_ = http_.bind_to_any_port(host);
    bound = port_ > 0;
  } else {
    port_ = options_.listen.port;
    bound = http_.bind_to_port(host, port_);
  }
  if (!bound) {
    int error = errno;
    const std::string message = "cannot listen on " + options_.listen.ToString() +
                                (error != 0 ? std::string(": ") + std::strerror(error) : "");
    port_ = 0;
    return error == EADDRINUSE ? Status::Busy(message) : Status::IOError(message);
  }

  listen_returned_ = false;
  listen_thread_ = std::thread([this] {
    http_.listen_after_bind();
    listen_returned_ = true;
  });
  // httplib ignores stop() until its loop runs, so wait for that before
  // anyone can call Stop().
  while (!http_.is_running() && !listen_returned_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!http_.is_running()) {
    listen_thread_.join();
    return Status::IOError("cannot serve on " + options_.listen.ToString());
  }
  spdlog::info("node {} ready on {}", options_.node_id, url());
  return Status::Ok();
}

void NodeServer::Stop() {
  if (!listen_thread_.joinable()) return;
  http_.stop();
  listen_thread_.join();
}

}  // namespace dsc::node
