#include "nodes/common/address.h"

#include <charconv>
#include <set>

namespace dsc::node {
namespace {

constexpr size_t kMaxNodeIdLength = 64;

std::string FormatHostPort(const std::string& host, int port) {
  // An IPv6 literal contains ':' and needs brackets to keep the port apart.
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

bool IsValidHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

// Parses a decimal port; `min_port` is 0 for listening, 1 for peers.
Result<int> ParsePort(std::string_view text, std::string_view whole, int min_port) {
  int port = -1;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, port);
  if (text.empty() || ec != std::errc() || ptr != end || port < min_port || port > 65535) {
    return Status::InvalidArgument("bad port in \"" + std::string(whole) + "\": expected " +
                                   std::to_string(min_port) + "..65535");
  }
  return port;
}

Result<ListenAddress> ParseHostPort(std::string_view text, int min_port) {
  const std::string whole(text);
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::InvalidArgument("bad address \"" + whole + "\": expected [v6-address]:port");
    }
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
    if (host.empty()) return Status::InvalidArgument("empty host in \"" + whole + "\"");
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return Status::InvalidArgument("bad address \"" + whole + "\": expected host:port");
    }
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (host.empty()) return Status::InvalidArgument("empty host in \"" + whole + "\"");
    for (char c : host) {
      if (!IsValidHostChar(c)) {
        return Status::InvalidArgument("bad host in \"" + whole +
                                       "\" (IPv6 addresses need brackets: [::1]:7000)");
      }
    }
  }
  Result<int> port = ParsePort(port_text, whole, min_port);
  if (!port.ok()) return port.status();
  return ListenAddress{std::move(host), *port};
}

}  // namespace

std::string ListenAddress::ToString() const { return FormatHostPort(host, port); }
std::string ListenAddress::Url() const { return "http://" + ToString(); }

std::string PeerAddress::ToString() const { return id + "=" + FormatHostPort(host, port); }
std::string PeerAddress::Url() const { return "http://" + FormatHostPort(host, port); }

bool IsValidNodeId(std::string_view id) {
  if (id.empty() || id.size() > kMaxNodeIdLength) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  return ParseHostPort(text, /*min_port=*/0);
}

Result<std::vector<PeerAddress>> ParsePeerList(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("empty peer list: expected id=host:port,...");
  std::vector<PeerAddress> peers;
  std::set<std::string, std::less<>> seen;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(start, comma - start);
    start = comma + 1;

    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument("bad peer \"" + std::string(item) +
                                     "\": expected id=host:port");
    }
    std::string_view id = item.substr(0, eq);
    if (!IsValidNodeId(id)) {
      return Status::InvalidArgument("bad peer id \"" + std::string(id) +
                                     "\": use letters, digits, '-' or '_'");
    }
    if (!seen.insert(std::string(id)).second) {
      return Status::InvalidArgument("peer id \"" + std::string(id) + "\" appears twice");
    }
    Result<ListenAddress> address = ParseHostPort(item.substr(eq + 1), /*min_port=*/1);
    if (!address.ok()) return address.status();
    peers.push_back(PeerAddress{std::string(id), address->host, address->port});
  }
  return peers;
}

}  // namespace dsc::node
