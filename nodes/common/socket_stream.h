// SocketStream: an httplib::Stream over one accepted TCP connection, with
// the deadlines that keep a slow client from holding a worker forever.
//
// httplib's own stream applies its read timeout to each recv(), so a
// "slow-loris" client that sends one header byte per second is never timed
// out. Here a whole request (line, headers and body) must arrive within
// `read_timeout` of StartRequest(); each write must make progress within
// `write_timeout`.
//
// Writes are buffered: httplib writes a response as several pieces (status
// line and headers, then the body), and each send() of its own would be a
// packet of its own, which can wake the client once per piece. The buffer
// goes out in one send() by Flush(), which the server calls after each
// response, and which read() calls before it waits for the peer (so an
// interim response such as "100 Continue" is never held back).
//
// Thread-safety: used by one worker thread at a time. Does not own the fd.
#pragma once

#include <httplib.h>

#include <chrono>
#include <string>

namespace dsc::node {

class SocketStream final : public httplib::Stream {
 public:
  SocketStream(int fd, std::chrono::milliseconds read_timeout,
               std::chrono::milliseconds write_timeout);

  // Starts the clock for the next request.
  void StartRequest();
  // True when bytes already read from the socket wait in the buffer (a
  // pipelined request), so the socket itself may not poll readable.
  bool HasBufferedInput() const { return buffer_pos_ < buffer_len_; }
  // Sends every buffered byte; false when the peer is gone or stopped
  // reading for write_timeout.
  bool Flush();

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return fd_; }

 private:
  // Waits until `events` are ready on the socket or `timeout` passes.
  bool WaitFor(short events, std::chrono::milliseconds timeout) const;
  std::chrono::milliseconds TimeLeftToRead() const;

  static constexpr size_t kBufferSize = 4096;
  // Larger responses are sent as they are written, in pieces this big.
  static constexpr size_t kMaxPendingOutput = 64 * 1024;

  const int fd_;
  const std::chrono::milliseconds read_timeout_;
  const std::chrono::milliseconds write_timeout_;
  std::chrono::steady_clock::time_point read_deadline_;
  char buffer_[kBufferSize];
  size_t buffer_pos_ = 0;
  size_t buffer_len_ = 0;
  std::string output_;  // written, not yet sent
  struct Address {
    bool known = false;
    std::string ip;
    int port = 0;
  };
  mutable Address remote_;  // cached by get_remote_ip_and_port
  mutable Address local_;   // cached by get_local_ip_and_port
};

}  // namespace dsc::node
