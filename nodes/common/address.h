// Addresses of nodes: where a node listens and where its peers are.
//
// Every `dsc <system> serve` takes the same two flags, parsed here:
//
//   --listen 127.0.0.1:7101                       -> ListenAddress
//   --peers  n1=127.0.0.1:7101,n2=127.0.0.1:7102  -> std::vector<PeerAddress>
//
// Bad input is an InvalidArgument Status whose message names the offending
// part, so `dsc` can print it as the one-line reason it exits with.
//
// Peers should be IP addresses: cpp-httplib's name lookups ignore connect
// timeouts, so a partitioned host name can stall a caller for many seconds.
// Host names are accepted (Docker Compose service names need them).
//
// Thread-safety: plain values and stateless functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace dsc::node {

struct ListenAddress {
  std::string host;  // an IPv4/IPv6 literal or a host name, without brackets
  int port = 0;      // 0 asks the kernel for any free port (tests use it)

  // "127.0.0.1:7500", "[::1]:7500" for IPv6 literals.
  std::string ToString() const;
  // "http://127.0.0.1:7500"
  std::string Url() const;

  bool operator==(const ListenAddress&) const = default;
};

struct PeerAddress {
  std::string id;  // the node id, e.g. "n2"
  std::string host;
  int port = 0;  // 1..65535

  std::string ToString() const;  // "n2=127.0.0.1:7102"
  std::string Url() const;       // "http://127.0.0.1:7102"

  bool operator==(const PeerAddress&) const = default;
};

// Parses "host:port" (port 0..65535) or "[v6-literal]:port".
Result<ListenAddress> ParseListenAddress(std::string_view text);

// Parses "id=host:port,id=host:port,..." keeping the given order. Ids are
// letters, digits, '-' and '_' and must be unique; ports must be 1..65535.
Result<std::vector<PeerAddress>> ParsePeerList(std::string_view text);

// True when `id` is usable as a node id (non-empty, [A-Za-z0-9_-], at most
// 64 characters).
bool IsValidNodeId(std::string_view id);

}  // namespace dsc::node
