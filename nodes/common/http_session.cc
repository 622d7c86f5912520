#include "nodes/common/http_session.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket.hpp>

#include "nodes/common/json_error.h"
#include "nodes/common/node_server.h"
#include "nodes/common/url_query.h"

namespace dsc::node {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Request line and headers together; more is refused with 431.
constexpr uint32_t kMaxHeaderBytes = 16 * 1024;
// How much an idle read takes from the socket at once.
constexpr size_t kReadChunk = 4096;
// After refusing a request whose body was left unread, keep reading (and
// discarding) this long before closing, so the client gets to read our
// answer instead of a connection reset.
// The byte bound covers a body a few times the default 1 MiB limit: with
// less, a client still sending a 2 MiB PUT was reset before it read its
// 413 (raft_cluster_test saw it under load).
constexpr std::chrono::milliseconds kLingerTime{1000};
constexpr size_t kLingerBytes = 16u << 20;

std::string ToString(beast::string_view text) { return std::string(text.data(), text.size()); }

// Registers the session for Stop() and counts it as open; undoes both at
// the end of the session, whichever way it ends.
class SessionScope {
 public:
  SessionScope(NodeServer& server, std::atomic<size_t>& open, SessionRegistry& registry,
               beast::tcp_stream* stream)
      : open_(open), registry_(registry), handle_(std::make_shared<SessionHandle>()) {
    (void)server;
    handle_->stream = stream;
    std::lock_guard lock(registry_.mutex);
    id_ = registry_.next_id++;
    registry_.sessions.emplace(id_, handle_);
  }
  ~SessionScope() {
    handle_->stream = nullptr;  // on the session's strand, like CloseIdle's check
    {
      std::lock_guard lock(registry_.mutex);
      registry_.sessions.erase(id_);
    }
    open_.fetch_sub(1);
  }
  SessionScope(const SessionScope&) = delete;
  SessionScope& operator=(const SessionScope&) = delete;

  void SetClosable(bool closable) { handle_->closable = closable; }
  void MoveTo(beast::tcp_stream* stream) { handle_->stream = stream; }

 private:
  std::atomic<size_t>& open_;
  SessionRegistry& registry_;
  std::shared_ptr<SessionHandle> handle_;
  uint64_t id_ = 0;
};

// Half-closes, then drains what the client still sends for a moment, so
// it reads the answer we wrote before it sees the connection end.
Awaitable<void> LingeringClose(beast::tcp_stream& stream) {
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  stream.expires_after(kLingerTime);
  char sink[4096];
  size_t drained = 0;
  while (drained < kLingerBytes) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), kTuple);
    if (ec) break;
    drained += n;
  }
  stream.socket().close(ignored);
}

Awaitable<bool> WriteResponse(beast::tcp_stream& stream, Response& res, bool head_only,
                              std::chrono::milliseconds timeout) {
  stream.expires_after(timeout);
  if (head_only) {
    // HEAD: the headers a GET would get, Content-Length included, no body.
    http::response_serializer<http::string_body> serializer(res);
    auto [ec, n] = co_await http::async_write_header(stream, serializer, kTuple);
    co_return !ec;
  }
  auto [ec, n] = co_await http::async_write(stream, res, kTuple);
  co_return !ec;
}

// The answer to a request that could not be read (malformed, too large,
// too slow), or nullopt when the connection just went away.
std::optional<Response> ReadFailureReply(const beast::error_code& ec, size_t body_limit) {
  if (ec == http::error::end_of_stream || ec == asio::error::eof ||
      ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
      ec == beast::error::timeout) {
    return std::nullopt;
  }
  if (ec == http::error::body_limit) {
    return ReplyError(413, error_code::kTooLarge,
                      "request body exceeds the limit of " + std::to_string(body_limit) + " bytes");
  }
  if (ec == http::error::header_limit) {
    return ReplyError(431, error_code::kBadRequest,
                      "request headers exceed " + std::to_string(kMaxHeaderBytes) + " bytes");
  }
  return ReplyBadRequest("malformed HTTP request: " + ec.message());
}

}  // namespace

void SessionRegistry::CloseIdle() {
  std::lock_guard lock(mutex);
  for (auto& [id, handle] : sessions) {
    beast::tcp_stream* stream = handle->stream;
    if (stream == nullptr) continue;
    asio::post(stream->get_executor(), [handle = handle] {
      // On the session's strand: the session cannot be mid-step here.
      if (handle->stream != nullptr && handle->closable) {
        beast::error_code ignored;
        handle->stream->socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        handle->stream->socket().close(ignored);
      }
    });
  }
}

// ANCHOR: session
Awaitable<void> RunHttpSession(NodeServer& server, beast::tcp_stream stream) {
  const NodeServerOptions& options = server.options_;
  SessionScope scope(server, server.open_connections_, *server.sessions_, &stream);
  beast::flat_buffer buffer;

  for (;;) {
    // 1. Idle until the next request's first byte arrives.
    if (buffer.size() == 0) {
      if (server.stopping_) co_return;
      scope.SetClosable(true);
      stream.expires_after(options.keep_alive_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kReadChunk), kTuple);
      scope.SetClosable(false);
      if (ec) co_return;  // the client left, idled out, or the server stops
      buffer.commit(n);
    }
    const Clock::time_point start = Clock::now();

    // 2. The headers, within read_timeout (which also covers the body).
    stream.expires_after(options.read_timeout);
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    // No body limit yet: it depends on the route, known after the headers
    // (a Content-Length over it is refused below, chunks as they come).
    parser.body_limit(boost::none);
    if (auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kTuple); ec) {
      if (std::optional<Response> reply = ReadFailureReply(ec, options.max_body_bytes)) {
        reply->keep_alive(false);
        // Counted before it is written: a client that saw it sees it counted.
        server.RecordRequest("other", kUnmatchedRoute, reply->result_int(), Clock::now() - start);
        co_await WriteResponse(stream, *reply, false, options.write_timeout);
        co_await LingeringClose(stream);
      }
      co_return;
    }

    // 3. Route on the method and the decoded path.
    const HttpRequest& head = parser.get();
    const std::string method =
        head.method() == http::verb::head ? std::string("GET") : ToString(head.method_string());
    Request req{head, TargetPath(ToString(head.target())), {}, ToString(head[kPeerHeader])};
    NodeServer::Match match = server.FindRoute(method, req.path);
    const NodeServer::Route* route = match.route;
    req.match = std::move(match.groups);

    // 4. The body, unless the route refuses it unread.
    const size_t body_limit = route != nullptr && route->max_body_bytes > 0
                                  ? route->max_body_bytes
                                  : options.max_body_bytes;
    std::optional<Response> early;  // an answer decided before reading the body
    if (parser.content_length() && *parser.content_length() > body_limit) {
      early =
          ReplyError(413, error_code::kTooLarge,
                     "request body of " + std::to_string(*parser.content_length()) +
                         " bytes exceeds the limit of " + std::to_string(body_limit) + " bytes");
    } else {
      parser.body_limit(body_limit);
      if (beast::iequals(head[http::field::expect], "100-continue")) {
        http::response<http::empty_body> go_on{http::status::continue_, 11};
        stream.expires_after(options.write_timeout);
        if (auto [ec, n] = co_await http::async_write(stream, go_on, kTuple); ec) co_return;
        stream.expires_after(options.read_timeout);
      }
      if (!parser.is_done()) {
        if (auto [ec, n] = co_await http::async_read(stream, buffer, parser, kTuple); ec) {
          if (std::optional<Response> reply = ReadFailureReply(ec, body_limit)) {
            reply->keep_alive(false);
            server.RecordRequest(method, route != nullptr ? route->pattern : kUnmatchedRoute,
                                 reply->result_int(), Clock::now() - start);
            co_await WriteResponse(stream, *reply, false, options.write_timeout);
            co_await LingeringClose(stream);
          }
          co_return;
        }
      }
    }
    stream.expires_never();  // a handler may wait as long as it needs

    // 5. A WebSocket route takes the connection over.
    if (route != nullptr && route->websocket && !early) {
      if (!beast::websocket::is_upgrade(parser.get())) {
        early = ReplyError(426, error_code::kBadRequest,
                           "this path speaks WebSocket: send an Upgrade request");
      } else {
        WebSocketStream ws(std::move(stream));
        scope.MoveTo(&ws.next_layer());
        scope.SetClosable(true);  // Stop() may end a WebSocket session
        ws.set_option(beast::websocket::stream_base::timeout::suggested(beast::role_type::server));
        if (auto [ec] = co_await ws.async_accept(parser.get(), kTuple); ec) co_return;
        server.RecordRequest(method, route->pattern, 101, Clock::now() - start);
        co_await route->websocket(req, ws);
        co_return;
      }
    }

    // 6. The handler's reply: it may take a while (a sync, a quorum), but
    // only this coroutine waits for it.
    Response res;
    if (early) {
      res = std::move(*early);
    } else if (route == nullptr) {
      res = server.NoRouteReply(method, req.path, match.allowed);
    } else {
      res = co_await server.Dispatch(*route, req);
    }

    // 7. Write it, and go round again if both sides keep the connection.
    const bool keep_alive = !early && parser.get().keep_alive() && !server.stopping_;
    res.version(parser.get().version());
    res.keep_alive(keep_alive);
    server.RecordRequest(method, route != nullptr ? route->pattern : kUnmatchedRoute,
                         res.result_int(), Clock::now() - start);
    const bool written = co_await WriteResponse(stream, res, head.method() == http::verb::head,
                                                options.write_timeout);
    if (!written) co_return;
    if (!keep_alive) {
      if (early) {
        // The body was left unread (413): it must not be parsed as the
        // next request, and the client must get to read our answer.
        co_await LingeringClose(stream);
      } else {
        beast::error_code ignored;
        stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
      }
      co_return;
    }
  }
}
// ANCHOR_END: session

Awaitable<void> RejectOverloaded(beast::tcp_stream stream) {
  Response reply =
      ReplyError(503, error_code::kOverloaded, "the node is at its connection limit; retry later");
  reply.keep_alive(false);
  co_await WriteResponse(stream, reply, false, std::chrono::milliseconds(1000));
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream.socket().close(ignored);
}

}  // namespace dsc::node
