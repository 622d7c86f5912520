// The HTTP vocabulary of every dsc node: Boost.Beast's request and response
// with string bodies, and the short namespace names the node layer uses.
//
// A handler builds a Response with the helpers of json_error.h
// (ReplyJson, ReplyStatus, ...) and co_returns it; it never touches the
// socket.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace dsc::node {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

using HttpRequest = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// A coroutine that runs on a node's io_context and produces a T.
template <typename T>
using Awaitable = asio::awaitable<T>;

}  // namespace dsc::node
