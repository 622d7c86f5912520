// HttpSession: one accepted connection of a NodeServer, as one coroutine.
// Internal to nodes/common (node_server.cc starts one per connection).
//
// The whole life of a connection reads top to bottom in Run():
//
//   wait for the next request (idle: keep_alive_timeout)
//   read its headers (the request's read_timeout starts at its first byte)
//   route it; refuse a body over the route's limit before reading it (413)
//   read the body, co_await the handler's reply, write it (write_timeout)
//   repeat while both sides keep the connection alive
//
// or, on a WebSocket route, accept the upgrade and hand the stream to the
// route's handler.
//
// Thread-safety: a session runs on its own strand; Stop() reaches it only
// through SessionRegistry::CloseIdle, which posts to that strand.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <boost/beast/core/tcp_stream.hpp>

#include "nodes/common/http_types.h"

namespace dsc::node {

class NodeServer;

// What Stop() may do to a live session: close it if it is idle (waiting
// for a request, or a WebSocket session).
struct SessionHandle {
  beast::tcp_stream* stream = nullptr;  // null once the session ended
  bool closable = false;                // idle between requests, or WebSocket
};

// The live sessions of a server.
struct SessionRegistry {
  std::mutex mutex;
  uint64_t next_id = 0;                                                   // GUARDED_BY(mutex)
  std::unordered_map<uint64_t, std::shared_ptr<SessionHandle>> sessions;  // GUARDED_BY(mutex)

  // Closes every closable session, each on its own strand.
  void CloseIdle();
};

// Serves one connection until it closes. Counts itself in the server's
// open connections for as long as it runs.
Awaitable<void> RunHttpSession(NodeServer& server, beast::tcp_stream stream);

// Writes a fixed 503 {"error":"overloaded"} and closes, without reading.
Awaitable<void> RejectOverloaded(beast::tcp_stream stream);

}  // namespace dsc::node
