#include "nodes/common/node_server.h"

#include <httplib.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nodes/common/json_body.h"
#include "nodes/common/peer_client.h"
#include "nodes/common/test_async.h"
#include "nodes/common/test_util.h"

namespace dsc::node {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

NodeServerOptions SmallOptions(std::string id = "t1") {
  NodeServerOptions options;
  options.node_id = std::move(id);
  options.threads = 2;
  return options;
}

nlohmann::json JsonOf(const httplib::Result& r) { return nlohmann::json::parse(r->body); }

// Asserts the uniform error shape and returns the code.
std::string ErrorCodeOf(const httplib::Result& r) {
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  nlohmann::json body = nlohmann::json::parse(r->body, nullptr, false);
  EXPECT_TRUE(body.is_object()) << r->body;
  if (!body.is_object()) return "";
  EXPECT_TRUE(body["message"].is_string()) << r->body;
  return body.value("error", "");
}

class NodeServerTest : public ::testing::Test {
 protected:
  void StartServer(NodeServerOptions options) {
    server_ = std::make_unique<NodeServer>(std::move(options));
    server_->Post(R"(/items/([a-z0-9]+))", [](Request& req) -> Awaitable<Response> {
      co_return ReplyJson(201, {{"id", req.match[1].str()}, {"body", req.body()}, {"peer", req.peer}});
    });
    server_->Get("/items", [](Request& req) -> Awaitable<Response> {
      co_return ReplyJson(200, {{"from", req.Query("from").value_or("none")}});
    });
    server_->Get("/throw", [](Request&) -> Awaitable<Response> {
      throw std::runtime_error("boom");
      co_return ReplyEmpty(200);  // never reached; makes the lambda a coroutine
    });
    server_->Post("/parse", [](Request& req) -> Awaitable<Response> {
      nlohmann::json parsed = nlohmann::json::parse(req.body());  // may throw
      co_return ReplyJson(200, parsed);
    });
    server_->Post("/conflict", [](Request&) -> Awaitable<Response> {
      co_return ReplyError(409, "conflict", "custom message");
    });
    server_->Post("/fields", [](Request& req) -> Awaitable<Response> {
      JsonBody body(req.body());
      std::string worker = body.RequireString("worker");
      int64_t wait_ms = body.OptionalInt("wait_ms", 0, {0, 1000});
      if (!body.ok()) co_return ReplyStatus(body.status());
      co_return ReplyJson(200, {{"worker", worker}, {"wait_ms", wait_ms}});
    });
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(20s);
  }

  std::unique_ptr<NodeServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(NodeServerTest, Health_ReturnsOkAndNodeId) {
  StartServer(SmallOptions("node-a"));
  auto r = client_->Get("/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(JsonOf(r),
            (nlohmann::json{{"status", "ok"}, {"node", "node-a"}, {"pid", ::getpid()}}));
  EXPECT_EQ(server_->url(), "http://127.0.0.1:" + std::to_string(server_->port()));
}

TEST_F(NodeServerTest, Head_IsServedByGetRoutes) {
  StartServer(SmallOptions());
  auto r = client_->Head("/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(NodeServerTest, Route_CapturesGroupsBodyAndQuery) {
  StartServer(SmallOptions());
  auto r = client_->Post("/items/abc1", "raw bytes", "application/octet-stream");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(JsonOf(r)["id"], "abc1");
  EXPECT_EQ(JsonOf(r)["body"], "raw bytes");
  EXPECT_EQ(JsonOf(r)["peer"], "");
  auto q = client_->Get("/items?from=7");
  ASSERT_TRUE(q);
  EXPECT_EQ(JsonOf(q)["from"], "7");
}

TEST_F(NodeServerTest, Route_UnknownPathIs404Json) {
  StartServer(SmallOptions());
  auto r = client_->Get("/nope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(ErrorCodeOf(r), "not_found");
  // The regex must match the whole path.
  auto partial = client_->Post("/items/abc/extra", "", "text/plain");
  ASSERT_TRUE(partial);
  EXPECT_EQ(partial->status, 404);
}

TEST_F(NodeServerTest, Route_WrongMethodIs405JsonWithAllow) {
  StartServer(SmallOptions());
  auto r = client_->Delete("/items/abc");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(ErrorCodeOf(r), "method_not_allowed");
  EXPECT_EQ(r->get_header_value("Allow"), "POST");
}

TEST_F(NodeServerTest, Body_OverLimitIs413Json) {
  NodeServerOptions options = SmallOptions();
  options.max_body_bytes = 1024;
  StartServer(options);
  auto r = client_->Post("/items/a", std::string(4096, 'x'), "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(ErrorCodeOf(r), "too_large");
  EXPECT_THAT(r->body, HasSubstr("1024"));
  auto ok = client_->Post("/items/a", std::string(1024, 'x'), "text/plain");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 201);
}

TEST_F(NodeServerTest, Body_HugeContentLengthIs413WithoutReadingTheBody) {
  NodeServerOptions options = SmallOptions();
  options.max_body_bytes = 1024;
  options.read_timeout = 60s;  // a server waiting for the body would hang the test
  StartServer(options);
  auto conn = testing::RawConnection::Connect(server_->port());
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->Send("POST /items/a HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\n"));
  auto response = conn->ReadResponse(10s);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(nlohmann::json::parse(response->body)["error"], "too_large");
  EXPECT_TRUE(conn->WaitClosed(10s));  // the unread body makes the connection unusable
}

TEST_F(NodeServerTest, Body_MalformedContentLengthIs400AndClosed) {
  StartServer(SmallOptions());
  auto conn = testing::RawConnection::Connect(server_->port());
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->Send("POST /items/a HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\nbody"));
  auto response = conn->ReadResponse(10s);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  EXPECT_THAT(response->body, HasSubstr("Content-Length"));
  EXPECT_TRUE(conn->WaitClosed(10s));
}

TEST_F(NodeServerTest, Body_ChunkedIsReadWithinTheLimit) {
  NodeServerOptions options = SmallOptions();
  options.max_body_bytes = 8;
  StartServer(options);
  auto conn = testing::RawConnection::Connect(server_->port());
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->Send("POST /items/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
  auto response = conn->ReadResponse(10s);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(nlohmann::json::parse(response->body)["body"], "hello");

  // Chunks past the limit: 413, and the rest is never read.
  auto big = testing::RawConnection::Connect(server_->port());
  ASSERT_TRUE(big);
  ASSERT_TRUE(big->Send("POST /items/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n"));
  auto refused = big->ReadResponse(10s);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 413);
  EXPECT_EQ(nlohmann::json::parse(refused->body)["error"], "too_large");
  EXPECT_TRUE(big->WaitClosed(10s));
}

TEST_F(NodeServerTest, Body_PerRouteLimitOverridesTheServers) {
  server_ = std::make_unique<NodeServer>(SmallOptions());
  server_->Post("/small", [](Request& req) -> Awaitable<Response> {
    co_return ReplyJson(200, {{"size", req.body().size()}});
  }, RouteOptions{.max_body_bytes = 10});
  server_->Post("/large", [](Request& req) -> Awaitable<Response> {
    co_return ReplyJson(200, {{"size", req.body().size()}});
  }, RouteOptions{.max_body_bytes = 4u << 20});
  ASSERT_TRUE(server_->Start().ok());
  httplib::Client client("127.0.0.1", server_->port());
  auto small = client.Post("/small", std::string(11, 'x'), "text/plain");
  ASSERT_TRUE(small);
  EXPECT_EQ(small->status, 413);
  auto large = client.Post("/large", std::string(2u << 20, 'x'), "text/plain");
  ASSERT_TRUE(large);
  EXPECT_EQ(large->status, 200);
  EXPECT_EQ(JsonOf(large)["size"], 2u << 20);
}

TEST_F(NodeServerTest, Body_PostWithoutLengthIsEmptyAndServedAtOnce) {
  NodeServerOptions options = SmallOptions();
  options.read_timeout = 60s;  // waiting for EOF would hang the test
  StartServer(options);
  auto conn = testing::RawConnection::Connect(server_->port());
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->Send("POST /items/a HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto response = conn->ReadResponse(10s);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(nlohmann::json::parse(response->body)["body"], "");
}

TEST_F(NodeServerTest, Garbage_RequestLineIs400JsonAndNodeStaysUp) {
  StartServer(SmallOptions());
  auto conn = testing::RawConnection::Connect(server_->port());
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->Send(std::string("\x01\x02garbage \xff\xfe\r\n\r\n", 16)));
  auto response = conn->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(nlohmann::json::parse(response->body)["error"], "bad_request");
  auto health = client_->Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto metrics = client_->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->body, HasSubstr(R"(dsc_http_requests_total{route="unmatched",method="other",status="400"} )"));
}

TEST_F(NodeServerTest, Handler_ThrowIs500Json) {
  StartServer(SmallOptions());
  auto r = client_->Get("/throw");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(ErrorCodeOf(r), "internal");
}

TEST_F(NodeServerTest, Handler_JsonParseErrorIs400Json) {
  StartServer(SmallOptions());
  auto r = client_->Post("/parse", "{not json", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(ErrorCodeOf(r), "bad_request");
  EXPECT_THAT(r->body, HasSubstr("malformed JSON"));
}

TEST_F(NodeServerTest, Handler_ErrorBodyIsKept) {
  StartServer(SmallOptions());
  auto r = client_->Post("/conflict", "", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409);
  EXPECT_EQ(JsonOf(r)["message"], "custom message");
}

TEST_F(NodeServerTest, JsonBody_ProblemsAre400NamingTheField) {
  StartServer(SmallOptions());
  auto missing = client_->Post("/fields", "{}", "application/json");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 400);
  EXPECT_THAT(JsonOf(missing)["message"].get<std::string>(), HasSubstr("\"worker\""));
  auto wrong = client_->Post("/fields", R"({"worker":"w","wait_ms":"x"})", "application/json");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 400);
  EXPECT_THAT(JsonOf(wrong)["message"].get<std::string>(), HasSubstr("wait_ms"));
  auto ok = client_->Post("/fields", R"({"worker":"w","wait_ms":5})", "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(NodeServerTest, Status_UsesProvider) {
  auto server = std::make_unique<NodeServer>(SmallOptions("s1"));
  server->SetStatusProvider([] { return nlohmann::json{{"id", "s1"}, {"state", "leader"}}; });
  ASSERT_TRUE(server->Start().ok());
  httplib::Client client("127.0.0.1", server->port());
  auto r = client.Get("/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(JsonOf(r)["state"], "leader");
}

TEST_F(NodeServerTest, Metrics_CountsRequestsByRouteAndStatus) {
  StartServer(SmallOptions());
  ASSERT_TRUE(client_->Post("/items/a", "x", "text/plain"));
  ASSERT_TRUE(client_->Get("/nope"));
  auto r = client_->Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->get_header_value("Content-Type"), HasSubstr("text/plain"));
  EXPECT_THAT(r->body, HasSubstr("# TYPE dsc_http_requests_total counter"));
  EXPECT_THAT(r->body, HasSubstr(
      R"x(dsc_http_requests_total{route="/items/([a-z0-9]+)",method="POST",status="201"} 1)x"));
  EXPECT_THAT(r->body,
              HasSubstr(R"(dsc_http_requests_total{route="unmatched",method="GET",status="404"} 1)"));
  EXPECT_THAT(r->body, HasSubstr(R"x(dsc_http_request_duration_seconds_bucket{route="/items/([a-z0-9]+)",le="+Inf"} 1)x"));
}

TEST_F(NodeServerTest, Start_BusyPortFailsNamingHostAndPort) {
  StartServer(SmallOptions());
  NodeServerOptions options = SmallOptions("t2");
  options.listen = ListenAddress{"127.0.0.1", server_->port()};
  NodeServer second(options);
  Status s = second.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("127.0.0.1:" + std::to_string(server_->port())));
}

TEST_F(NodeServerTest, Start_BadNodeIdIsInvalidArgument) {
  NodeServer server(SmallOptions("bad id"));
  EXPECT_TRUE(server.Start().IsInvalidArgument());
}

TEST_F(NodeServerTest, Stop_IsIdempotentAndFreesThePort) {
  StartServer(SmallOptions());
  int port = server_->port();
  server_->Stop();
  server_->Stop();
  NodeServerOptions options = SmallOptions();
  options.listen = ListenAddress{"127.0.0.1", port};
  NodeServer again(options);
  EXPECT_TRUE(again.Start().ok());
}

TEST_F(NodeServerTest, Pipelined_RequestsOnOneConnectionAreAllAnswered) {
  StartServer(SmallOptions());
  auto conn = testing::RawConnection::Connect(server_->port());
  ASSERT_TRUE(conn);
  const std::string request = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_TRUE(conn->Send(request + request + request));
  for (int i = 0; i < 3; ++i) {
    auto response = conn->ReadResponse();
    ASSERT_TRUE(response.has_value()) << i;
    EXPECT_EQ(response->status, 200);
  }
}

TEST_F(NodeServerTest, Admin_OffMeans404) {
  StartServer(SmallOptions());
  auto r = client_->Post("/admin/faults", R"({"drop_rate":1})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(ErrorCodeOf(r), "not_found");
}

TEST_F(NodeServerTest, Admin_SetsGetsAndClearsFaults) {
  NodeServerOptions options = SmallOptions();
  options.admin = true;
  StartServer(options);
  auto set = client_->Post("/admin/faults", R"({"isolate":["n2"],"delay_ms":5})", "application/json");
  ASSERT_TRUE(set);
  EXPECT_EQ(set->status, 200);
  auto get = client_->Get("/admin/faults");
  ASSERT_TRUE(get);
  EXPECT_EQ(JsonOf(get)["isolate"], nlohmann::json::parse(R"(["n2"])"));
  EXPECT_EQ(JsonOf(get)["delay_ms"], 5);
  auto cleared = client_->Delete("/admin/faults");
  ASSERT_TRUE(cleared);
  EXPECT_EQ(cleared->status, 200);
  EXPECT_TRUE(server_->faults().Get().empty());
}

TEST_F(NodeServerTest, Admin_BadValuesAre400) {
  NodeServerOptions options = SmallOptions();
  options.admin = true;
  StartServer(options);
  for (const char* bad : {R"({"drop_rate":2})", R"({"delay_ms":-1})", R"({"isolate":"n2"})", "{x"}) {
    auto r = client_->Post("/admin/faults", bad, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad;
    EXPECT_EQ(ErrorCodeOf(r), "bad_request");
  }
  EXPECT_TRUE(server_->faults().Get().empty());
}

// Two in-process nodes that know each other, both with --admin.
class TwoNodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* id : {"a", "b"}) {
      NodeServerOptions options = SmallOptions(id);
      options.admin = true;
      auto server = std::make_unique<NodeServer>(options);
      server->Post("/peer/ping", [id](Request& req) -> Awaitable<Response> {
        co_return ReplyJson(200, {{"pong", id}, {"from", req.peer}});
      });
      ASSERT_TRUE(server->Start().ok());
      servers_.push_back(std::move(server));
    }
    std::vector<PeerAddress> peers = {{"a", "127.0.0.1", servers_[0]->port()},
                                      {"b", "127.0.0.1", servers_[1]->port()}};
    PeerClientOptions options;
    options.request_timeout = 10s;
    a_ = std::make_unique<PeerClient>(servers_[0]->executor(), "a", peers, options,
                                      &servers_[0]->faults());
    b_ = std::make_unique<PeerClient>(servers_[1]->executor(), "b", peers, options,
                                      &servers_[1]->faults());
  }
  void TearDown() override {
    // The clients' idle connections live on the servers' io_contexts.
    a_.reset();
    b_.reset();
  }

  // Runs one peer call from the test thread and waits for its result.
  static Result<PeerResponse> Call(PeerClient& from, const std::string& to,
                                   const nlohmann::json& body = nlohmann::json::object()) {
    return testing::RunAndWait(from.executor(), from.Post(to, "/peer/ping", body));
  }

  std::vector<std::unique_ptr<NodeServer>> servers_;
  std::unique_ptr<PeerClient> a_;
  std::unique_ptr<PeerClient> b_;
};

TEST_F(TwoNodesTest, PeerCall_CarriesSenderId) {
  Result<PeerResponse> r = Call(*a_, "b", {{"x", 1}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body["pong"], "b");
  EXPECT_EQ(r->body["from"], "a");
}

TEST_F(TwoNodesTest, Isolate_CutsBothDirectionsButNotClients) {
  httplib::Client admin_a("127.0.0.1", servers_[0]->port());
  auto set = admin_a.Post("/admin/faults", R"({"isolate":["b"]})", "application/json");
  ASSERT_TRUE(set);
  ASSERT_EQ(set->status, 200);

  // Outgoing from a: fails fast as unreachable.
  Result<PeerResponse> out = Call(*a_, "b");
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(out.status().IsUnavailable());
  EXPECT_THAT(out.status().message(), HasSubstr("isolated"));

  // Incoming to a from b: refused.
  Result<PeerResponse> in = Call(*b_, "a");
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(in->status, 503);
  EXPECT_EQ(in->body["error"], "isolated");

  // A client (no X-Dsc-Peer) still reaches a.
  auto client = admin_a.Post("/peer/ping", "{}", "application/json");
  ASSERT_TRUE(client);
  EXPECT_EQ(client->status, 200);

  // Heal.
  auto healed = admin_a.Delete("/admin/faults");
  ASSERT_TRUE(healed);
  EXPECT_TRUE(Call(*a_, "b").ok());
  Result<PeerResponse> back = Call(*b_, "a");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->status, 200);
}

TEST_F(TwoNodesTest, DropRateOne_DropsPeerTrafficBothWays) {
  servers_[1]->faults().Set(*FaultSpec::Parse(R"({"drop_rate":1.0})"));
  Result<PeerResponse> in = Call(*a_, "b");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->status, 503);
  EXPECT_EQ(in->body["error"], "dropped");
  Result<PeerResponse> out = Call(*b_, "a");
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("dropped"));
  httplib::Client metrics("127.0.0.1", servers_[1]->port());
  auto m = metrics.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_THAT(m->body, HasSubstr(R"(dsc_faults_applied_total{direction="in",action="dropped"} 1)"));
}

TEST_F(TwoNodesTest, Delay_DelaysButDelivers) {
  servers_[1]->faults().Set(*FaultSpec::Parse(R"({"delay_ms":50})"));
  auto start = std::chrono::steady_clock::now();
  Result<PeerResponse> r = Call(*a_, "b");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
}

}  // namespace
}  // namespace dsc::node
