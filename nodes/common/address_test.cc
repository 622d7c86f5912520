#include "nodes/common/address.h"

#include <gtest/gtest.h>

namespace dsc::node {
namespace {

TEST(ParseListenAddress, HostAndPort) {
  Result<ListenAddress> a = ParseListenAddress("127.0.0.1:7500");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 7500);
  EXPECT_EQ(a->ToString(), "127.0.0.1:7500");
  EXPECT_EQ(a->Url(), "http://127.0.0.1:7500");
}

TEST(ParseListenAddress, PortZeroMeansAnyPort) {
  Result<ListenAddress> a = ParseListenAddress("localhost:0");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->port, 0);
}

TEST(ParseListenAddress, BracketedIpv6) {
  Result<ListenAddress> a = ParseListenAddress("[::1]:7000");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->ToString(), "[::1]:7000");
}

TEST(ParseListenAddress, BadInputNamesTheProblem) {
  for (const char* bad : {"", "7500", "127.0.0.1", "127.0.0.1:", ":7500", "127.0.0.1:x",
                          "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:80x", "::1:7000",
                          "[::1]7000", "[]:7000", "a b:1"}) {
    Result<ListenAddress> a = ParseListenAddress(bad);
    EXPECT_FALSE(a.ok()) << bad;
    if (!a.ok()) {
      EXPECT_TRUE(a.status().IsInvalidArgument()) << bad;
      EXPECT_FALSE(a.status().message().empty());
    }
  }
}

TEST(ParsePeerList, KeepsOrder) {
  Result<std::vector<PeerAddress>> peers =
      ParsePeerList("n2=127.0.0.1:7102,n1=127.0.0.1:7101,n3=10.0.0.3:7103");
  ASSERT_TRUE(peers.ok()) << peers.status().ToString();
  ASSERT_EQ(peers->size(), 3u);
  EXPECT_EQ((*peers)[0], (PeerAddress{"n2", "127.0.0.1", 7102}));
  EXPECT_EQ((*peers)[1].id, "n1");
  EXPECT_EQ((*peers)[2].Url(), "http://10.0.0.3:7103");
  EXPECT_EQ((*peers)[2].ToString(), "n3=10.0.0.3:7103");
}

TEST(ParsePeerList, RejectsBadEntries) {
  struct Case {
    const char* text;
    const char* mentions;
  };
  for (const Case& c : {Case{"", "empty"}, Case{"n1", "n1"}, Case{"n1=127.0.0.1", "127.0.0.1"},
                        Case{"n1=127.0.0.1:0", "port"}, Case{"=127.0.0.1:1", "id"},
                        Case{"n 1=127.0.0.1:1", "n 1"}, Case{"n1=127.0.0.1:1,", "peer"},
                        Case{"n1=127.0.0.1:1,n1=127.0.0.1:2", "twice"}}) {
    Result<std::vector<PeerAddress>> peers = ParsePeerList(c.text);
    ASSERT_FALSE(peers.ok()) << c.text;
    EXPECT_TRUE(peers.status().IsInvalidArgument());
    EXPECT_NE(peers.status().message().find(c.mentions), std::string::npos)
        << c.text << " -> " << peers.status().message();
  }
}

TEST(IsValidNodeId, AcceptsSimpleIds) {
  EXPECT_TRUE(IsValidNodeId("n1"));
  EXPECT_TRUE(IsValidNodeId("log-1_a"));
  EXPECT_FALSE(IsValidNodeId(""));
  EXPECT_FALSE(IsValidNodeId("a/b"));
  EXPECT_FALSE(IsValidNodeId(std::string(65, 'a')));
}

}  // namespace
}  // namespace dsc::node
