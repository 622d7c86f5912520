// The asynchronous node layer's own promises: a reply may complete long
// after its request (from any thread) while no thread waits for it; a
// client that leaves before its reply costs nothing; WebSocket shares the
// acceptor; the connection bound answers 503; Stop() does not hang on a
// reply that never comes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "nodes/common/completion.h"
#include "nodes/common/node_server.h"
#include "nodes/common/test_util.h"

namespace dsc::node {
namespace {

using namespace std::chrono_literals;
using testing::PollUntil;
using testing::RawConnection;

// Requests parked on /park until the test completes them, as a service
// parks a reply until its record is durable.
class Parking {
 public:
  void Add(Done<int> done) {
    std::lock_guard lock(mutex_);
    parked_.push_back(std::move(done));
  }
  size_t size() {
    std::lock_guard lock(mutex_);
    return parked_.size();
  }
  void DropAll() {
    std::lock_guard lock(mutex_);
    parked_.clear();
  }
  // Completes every parked request with `value`, from the calling thread.
  void CompleteAll(int value) {
    std::deque<Done<int>> parked;
    {
      std::lock_guard lock(mutex_);
      parked.swap(parked_);
    }
    for (Done<int>& done : parked) done(value);
  }

 private:
  std::mutex mutex_;
  std::deque<Done<int>> parked_;
};

std::unique_ptr<NodeServer> StartParkingServer(Parking& parking, NodeServerOptions options = {}) {
  options.node_id = "async";
  if (options.threads == 0) options.threads = 2;
  auto server = std::make_unique<NodeServer>(options);
  server->Post("/park", [&parking](Request&) -> Awaitable<Response> {
    const int value =
        co_await AwaitCallback<int>([&](Done<int> done) { parking.Add(std::move(done)); });
    co_return ReplyJson(200, {{"value", value}});
  });
  EXPECT_TRUE(server->Start().ok());
  return server;
}

TEST(AsyncReply, Handler_CompletesLateFromAnotherThread) {
  Parking parking;
  auto server = StartParkingServer(parking);
  httplib::Client client("127.0.0.1", server->port());
  client.set_read_timeout(20s);
  auto reply =
      std::async(std::launch::async, [&] { return client.Post("/park", "", "text/plain"); });
  ASSERT_TRUE(PollUntil([&] { return parking.size() == 1; }));
  // The client is still waiting: nothing was written yet.
  EXPECT_EQ(reply.wait_for(50ms), std::future_status::timeout);
  std::thread completer([&] { parking.CompleteAll(42); });
  completer.join();
  auto r = reply.get();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(nlohmann::json::parse(r->body)["value"], 42);
}

TEST(AsyncReply, ParkedRequests_HoldNoThread) {
  // Two server threads and 200 requests parked at once: with a thread per
  // waiting request, the 3rd would never be read and /health would hang.
  Parking parking;
  auto server = StartParkingServer(parking);
  constexpr int kParked = 200;
  std::vector<std::unique_ptr<RawConnection>> connections;
  for (int i = 0; i < kParked; ++i) {
    connections.push_back(RawConnection::Connect(server->port()));
    ASSERT_TRUE(connections.back());
    ASSERT_TRUE(
        connections.back()->Send("POST /park HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
  }
  ASSERT_TRUE(PollUntil([&] { return parking.size() == kParked; }));
  httplib::Client client("127.0.0.1", server->port());
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);

  parking.CompleteAll(7);
  for (auto& connection : connections) {
    auto response = connection->ReadResponse(20s);
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(nlohmann::json::parse(response->body)["value"], 7);
  }
}

TEST(AsyncReply, ClientGoneBeforeReply_NothingLeaksAndTheNodeServesOn) {
  Parking parking;
  auto server = StartParkingServer(parking);
  {
    auto connection = RawConnection::Connect(server->port());
    ASSERT_TRUE(connection);
    ASSERT_TRUE(connection->Send("POST /park HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
    ASSERT_TRUE(PollUntil([&] { return parking.size() == 1; }));
  }                        // the client closes while its reply is parked
  parking.CompleteAll(1);  // the work still completes; the write just fails
  // The session ends: no connection stays counted.
  EXPECT_TRUE(PollUntil([&] { return server->open_connections() == 0; }));
  httplib::Client client("127.0.0.1", server->port());
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST(AsyncReply, DoneDestroyedUncalled_ClosesTheConnectionInsteadOfHanging) {
  Parking parking;
  auto server = StartParkingServer(parking);
  auto connection = RawConnection::Connect(server->port());
  ASSERT_TRUE(connection);
  ASSERT_TRUE(connection->Send("POST /park HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
  ASSERT_TRUE(PollUntil([&] { return parking.size() == 1; }));
  parking.DropAll();  // the callbacks are destroyed without being called
  // Destroying an uncalled `done` ends the waiting coroutine: the client
  // sees its connection close rather than wait forever.
  EXPECT_TRUE(connection->WaitClosed(20s));
  EXPECT_TRUE(PollUntil([&] { return server->open_connections() == 0; }));
}

// Routes whose callbacks finish at once (before `start` returns), on
// another thread right away (racing the coroutine's suspension), or are
// dropped uncalled before `start` returns.
std::unique_ptr<NodeServer> StartEagerServer(std::vector<std::thread>& completers,
                                             std::mutex& completers_mutex) {
  NodeServerOptions options;
  options.node_id = "eager";
  options.threads = 2;
  auto server = std::make_unique<NodeServer>(options);
  server->Post("/now", [](Request&) -> Awaitable<Response> {
    const int value = co_await AwaitCallback<int>([](Done<int> done) { done(5); });
    co_return ReplyJson(200, {{"value", value}});
  });
  server->Post("/race", [&](Request&) -> Awaitable<Response> {
    const int value = co_await AwaitCallback<int>([&](Done<int> done) {
      std::lock_guard lock(completers_mutex);
      completers.emplace_back([done = std::move(done)] { done(9); });
    });
    co_return ReplyJson(200, {{"value", value}});
  });
  server->Post("/drop", [](Request&) -> Awaitable<Response> {
    const int value = co_await AwaitCallback<int>([](Done<int> done) { (void)done; });
    co_return ReplyJson(200, {{"value", value}});
  });
  EXPECT_TRUE(server->Start().ok());
  return server;
}

TEST(AsyncReply, DoneCalledBeforeStartReturnsOrRacingIt_AnswersEveryRequest) {
  std::vector<std::thread> completers;
  std::mutex completers_mutex;
  auto server = StartEagerServer(completers, completers_mutex);
  httplib::Client client("127.0.0.1", server->port());
  client.set_read_timeout(20s);
  for (int i = 0; i < 100; ++i) {
    auto now = client.Post("/now", "", "text/plain");
    ASSERT_TRUE(now);
    ASSERT_EQ(now->status, 200);
    EXPECT_EQ(nlohmann::json::parse(now->body)["value"], 5);
    auto raced = client.Post("/race", "", "text/plain");
    ASSERT_TRUE(raced);
    ASSERT_EQ(raced->status, 200);
    EXPECT_EQ(nlohmann::json::parse(raced->body)["value"], 9);
  }
  std::lock_guard lock(completers_mutex);
  for (std::thread& completer : completers) completer.join();
}

TEST(AsyncReply, DoneDroppedBeforeStartReturns_ClosesTheConnection) {
  std::vector<std::thread> completers;
  std::mutex completers_mutex;
  auto server = StartEagerServer(completers, completers_mutex);
  auto connection = RawConnection::Connect(server->port());
  ASSERT_TRUE(connection);
  ASSERT_TRUE(connection->Send("POST /drop HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(connection->WaitClosed(20s));
  EXPECT_TRUE(PollUntil([&] { return server->open_connections() == 0; }));
}

TEST(AsyncReply, Stop_DoesNotHangOnAReplyThatNeverComes) {
  Parking parking;
  NodeServerOptions options;
  options.stop_timeout = 200ms;
  auto server = StartParkingServer(parking, options);
  auto connection = RawConnection::Connect(server->port());
  ASSERT_TRUE(connection);
  ASSERT_TRUE(connection->Send("POST /park HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
  ASSERT_TRUE(PollUntil([&] { return parking.size() == 1; }));
  const auto start = std::chrono::steady_clock::now();
  server->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  // The abandoned callback may still be called later without harm.
  parking.CompleteAll(3);
}

TEST(AsyncReply, Stop_ClosesIdleKeepAliveConnectionsAtOnce) {
  Parking parking;
  NodeServerOptions options;
  options.keep_alive_timeout = 60s;
  auto server = StartParkingServer(parking, options);
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 50; ++i) {
    idle.push_back(RawConnection::Connect(server->port()));
    ASSERT_TRUE(idle.back());
  }
  ASSERT_TRUE(PollUntil([&] { return server->open_connections() == 50; }));
  const auto start = std::chrono::steady_clock::now();
  server->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);  // well under keep_alive_timeout
  EXPECT_TRUE(idle.front()->WaitClosed(5s));
}

TEST(AsyncReply, OverTheConnectionBound_Gets503Overloaded) {
  Parking parking;
  NodeServerOptions options;
  options.max_connections = 2;
  auto server = StartParkingServer(parking, options);
  auto first = RawConnection::Connect(server->port());
  auto second = RawConnection::Connect(server->port());
  ASSERT_TRUE(first && second);
  ASSERT_TRUE(PollUntil([&] { return server->open_connections() == 2; }));
  auto extra = RawConnection::Connect(server->port());
  ASSERT_TRUE(extra);
  auto response = extra->ReadResponse(10s);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(nlohmann::json::parse(response->body)["error"], "overloaded");
  first.reset();
  second.reset();
  // Until the server has seen both go, a new connection would be refused
  // (and counted) too.
  ASSERT_TRUE(PollUntil([&] { return server->open_connections() == 0; }));
  httplib::Client client("127.0.0.1", server->port());
  ASSERT_TRUE(PollUntil([&] {
    auto r = client.Get("/metrics");
    return r && r->body.find("\ndsc_http_rejected_connections_total 1") != std::string::npos;
  }));
}

TEST(WebSocket, UpgradeOnTheSameAcceptorEchoes) {
  NodeServer server(NodeServerOptions{.node_id = "ws"});
  server.WebSocket("/echo", [](Request& req, WebSocketStream& ws) -> Awaitable<void> {
    const std::string greeting = "hello " + req.Query("user").value_or("?");
    co_await ws.async_write(asio::buffer(greeting), asio::use_awaitable);
    for (;;) {
      beast::flat_buffer buffer;
      auto [ec, n] = co_await ws.async_read(buffer, asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      ws.text(ws.got_text());
      co_await ws.async_write(buffer.data(), asio::use_awaitable);
    }
  });
  ASSERT_TRUE(server.Start().ok());

  // Plain HTTP still works on the same port...
  httplib::Client http_client("127.0.0.1", server.port());
  auto health = http_client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  // ...a plain GET on the WebSocket path is told to upgrade...
  auto plain = http_client.Get("/echo");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 426);

  // ...and a WebSocket client talks to the route.
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  beast::websocket::stream<asio::ip::tcp::socket> ws(io);
  asio::connect(ws.next_layer(), resolver.resolve("127.0.0.1", std::to_string(server.port())));
  ws.handshake("127.0.0.1", "/echo?user=ada");
  beast::flat_buffer buffer;
  ws.read(buffer);
  EXPECT_EQ(beast::buffers_to_string(buffer.data()), "hello ada");
  buffer.clear();
  ws.write(asio::buffer(std::string("ping")));
  ws.read(buffer);
  EXPECT_EQ(beast::buffers_to_string(buffer.data()), "ping");
  ws.close(beast::websocket::close_code::normal);
  server.Stop();
}

TEST(WebSocket, StopEndsOpenWebSocketSessions) {
  NodeServer server(NodeServerOptions{.node_id = "ws", .stop_timeout = 5000ms});
  server.WebSocket("/hold", [](Request&, WebSocketStream& ws) -> Awaitable<void> {
    beast::flat_buffer buffer;
    co_await ws.async_read(buffer, asio::as_tuple(asio::use_awaitable));  // waits for ever
  });
  ASSERT_TRUE(server.Start().ok());
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  beast::websocket::stream<asio::ip::tcp::socket> ws(io);
  asio::connect(ws.next_layer(), resolver.resolve("127.0.0.1", std::to_string(server.port())));
  ws.handshake("127.0.0.1", "/hold");
  ASSERT_TRUE(PollUntil([&] { return server.open_connections() == 1; }));
  const auto start = std::chrono::steady_clock::now();
  server.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
}

}  // namespace
}  // namespace dsc::node
