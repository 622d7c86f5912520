// http_floor_server: the cheapest server queue_bench's cycle can meet.
//
// It answers the queue's three requests (POST /tasks, POST /tasks/lease,
// POST /tasks/{id}/ack) and does nothing else: no queue, no JSON parser,
// one epoll loop. The only state is what the client checks: a lease hands
// back, with a fresh id, the payload this connection enqueued before
// (queue_bench's clients enqueue, lease and ack in turn). GET /stats
// reports how many of each it answered, so queue_bench checks it like the
// others.
//
// Without --journal nothing is written anywhere. With --journal FILE it
// also does the least that durability takes: each enqueue and ack body is
// appended to FILE, and its reply waits until one write() and one
// fdatasync() covered it. A second thread syncs one batch while the loop
// reads the next (group commit, pipelined, as dsc's log does); the loop
// sends a batch's replies when its sync is done. Leases are answered at
// once, as dsc's are by default.
//
// What it reaches with queue_bench's clients on the same two cores is an
// upper bound for any queue server there: a real one does all of this and
// more.
//
// Not a server to learn from: it trusts its one client (no limits, no
// timeouts, Content-Length bodies only) and exists to be measured.
//
//   http_floor_server --port N [--journal FILE]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

volatile sig_atomic_t g_stop = 0;

struct Counters {
  uint64_t enqueued = 0;
  uint64_t leased = 0;
  uint64_t acked = 0;
};

std::string Reply(int status, std::string_view reason, std::string_view body) {
  std::string out =
      "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n";
  out += body;
  return out;
}

// The value of Content-Length in `head` (request line and headers), or 0.
size_t ContentLength(std::string_view head) {
  constexpr std::string_view kName = "content-length:";
  for (size_t at = head.find("\r\n"); at != std::string_view::npos;
       at = head.find("\r\n", at + 2)) {
    std::string_view line = head.substr(at + 2);
    if (line.size() < kName.size()) break;
    bool match = true;
    for (size_t i = 0; i < kName.size() && match; ++i) {
      match = std::tolower(static_cast<unsigned char>(line[i])) == kName[i];
    }
    if (match) return std::strtoull(line.data() + kName.size(), nullptr, 10);
  }
  return 0;
}

// The JSON string literal after "payload": in `body`, quotes and escapes
// kept, so it goes back out exactly as it came.
std::string_view PayloadLiteral(std::string_view body) {
  const size_t key = body.find("\"payload\"");
  if (key == std::string_view::npos) return "\"\"";
  const size_t open = body.find('"', body.find(':', key) + 1);
  if (open == std::string_view::npos) return "\"\"";
  for (size_t at = open + 1; at < body.size(); ++at) {
    if (body[at] == '\\') {
      ++at;
    } else if (body[at] == '"') {
      return body.substr(open, at - open + 1);
    }
  }
  return "\"\"";
}

struct Connection {
  std::string in;
  std::deque<std::string> enqueued;  // payload literals not yet leased
  bool needs_sync = false;           // a request just answered must be durable first
};

// Replies for one socket, held until the records they answer are durable.
using Held = std::pair<int, std::string>;

// The --journal file, and what the loop gathered since it last handed a
// batch to the sync thread.
struct Journal {
  int fd = -1;
  std::string pending;     // records not yet written
  std::vector<Held> held;  // their replies
};

// The sync thread: writes and fdatasyncs one batch of records at a time
// and says so through an eventfd the loop polls, so that the loop, which
// alone touches sockets, sends the batch's replies.
class Syncer {
 public:
  explicit Syncer(int file_fd)
      : file_fd_(file_fd),
        done_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
        thread_([this] { Run(); }) {}
  ~Syncer() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
    close(done_fd_);
  }

  int done_fd() const { return done_fd_; }
  bool busy() const { return busy_; }  // a batch is being synced

  // Loop thread: syncs `journal`'s batch; its replies wait in the Syncer.
  void Start(Journal& journal) {
    busy_ = true;
    held_ = std::move(journal.held);
    journal.held.clear();
    {
      std::lock_guard lock(mutex_);
      records_ = std::move(journal.pending);
      ready_ = true;
    }
    journal.pending.clear();
    wake_.notify_one();
  }

  // Loop thread, once done_fd() is readable: the synced batch's replies,
  // or false in `ok` if the write or the sync failed.
  std::vector<Held> Finish(bool& ok) {
    uint64_t count = 0;
    (void)!read(done_fd_, &count, sizeof(count));
    busy_ = false;
    {
      std::lock_guard lock(mutex_);
      ok = !failed_;
    }
    return std::move(held_);
  }

  // Loop thread: forgets the held replies of a socket it closes.
  void Forget(int fd) {
    std::erase_if(held_, [fd](const Held& held) { return held.first == fd; });
  }

 private:
  void Run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return ready_ || stop_; });
      if (stop_) return;
      std::string records = std::move(records_);
      lock.unlock();
      const bool ok =
          write(file_fd_, records.data(), records.size()) == static_cast<ssize_t>(records.size()) &&
          fdatasync(file_fd_) == 0;
      if (!ok) std::fprintf(stderr, "http_floor_server: journal: %s\n", std::strerror(errno));
      lock.lock();
      failed_ = failed_ || !ok;
      ready_ = false;
      const uint64_t one = 1;
      (void)!write(done_fd_, &one, sizeof(one));
    }
  }

  const int file_fd_;
  const int done_fd_;
  bool busy_ = false;       // loop thread only
  std::vector<Held> held_;  // loop thread only
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string records_;
  bool ready_ = false;
  bool failed_ = false;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the rest is set
};

// Answers one complete request.
std::string Answer(std::string_view head, std::string_view body, Connection& connection,
                   Counters& counters) {
  const size_t space = head.find(' ');
  const size_t end = head.find(' ', space + 1);
  const std::string_view method = head.substr(0, space);
  const std::string_view path = head.substr(space + 1, end - space - 1);
  if (method == "POST" && path == "/tasks") {
    ++counters.enqueued;
    connection.enqueued.emplace_back(PayloadLiteral(body));
    connection.needs_sync = true;
    return Reply(201, "Created",
                 "{\"id\":\"t-" + std::to_string(counters.enqueued) + "\",\"state\":\"pending\"}");
  }
  if (method == "POST" && path == "/tasks/lease") {
    if (connection.enqueued.empty()) return Reply(204, "No Content", "");
    ++counters.leased;
    std::string reply = "{\"id\":\"t-" + std::to_string(counters.leased) +
                        "\",\"payload\":" + connection.enqueued.front() + "}";
    connection.enqueued.pop_front();
    return Reply(200, "OK", reply);
  }
  if (method == "POST" && path.size() > 4 && path.substr(path.size() - 4) == "/ack") {
    ++counters.acked;
    connection.needs_sync = true;
    return Reply(200, "OK", R"({"state":"completed"})");
  }
  if (method == "GET" && path == "/stats") {
    return Reply(200, "OK",
                 "{\"enqueued\":" + std::to_string(counters.enqueued) +
                     ",\"leased\":" + std::to_string(counters.leased) +
                     ",\"acked\":" + std::to_string(counters.acked) + "}");
  }
  return Reply(404, "Not Found", R"({"error":"not_found"})");
}

// A reply this small goes out in one send on loopback; a short one ends
// the connection rather than being retried.
bool SendAll(int fd, const std::string& out) {
  return send(fd, out.data(), out.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(out.size());
}

void Close(int epoll_fd, int fd, std::unordered_map<int, Connection>& connections) {
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);
  connections.erase(fd);
}

// Reads what `fd` has, answers every complete request in it; false when
// the connection is done.
bool Serve(int fd, Connection& connection, Counters& counters, Journal& journal) {
  char buffer[16384];
  for (;;) {
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n == 0) return false;
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      return false;
    }
    connection.in.append(buffer, static_cast<size_t>(n));
    if (static_cast<size_t>(n) < sizeof(buffer)) break;
  }
  std::string out;
  for (;;) {
    const size_t head_end = connection.in.find("\r\n\r\n");
    if (head_end == std::string::npos) break;
    const std::string_view head(connection.in.data(), head_end);
    const size_t total = head_end + 4 + ContentLength(head);
    if (connection.in.size() < total) break;
    const std::string_view body =
        std::string_view(connection.in).substr(head_end + 4, total - head_end - 4);
    out += Answer(head, body, connection, counters);
    if (connection.needs_sync && journal.fd >= 0) {
      journal.pending.append(body);
      journal.pending += '\n';
    }
    connection.in.erase(0, total);
  }
  if (connection.needs_sync && journal.fd >= 0 && !out.empty()) {
    connection.needs_sync = false;
    journal.held.emplace_back(fd, std::move(out));
    return true;
  }
  connection.needs_sync = false;
  return out.empty() || SendAll(fd, out);
}

}  // namespace

int main(int argc, char** argv) {
  if ((argc != 3 && argc != 5) || std::string_view(argv[1]) != "--port" ||
      (argc == 5 && std::string_view(argv[3]) != "--journal")) {
    std::fprintf(stderr, "usage: http_floor_server --port N [--journal FILE]\n");
    return 2;
  }
  Journal journal;
  std::unique_ptr<Syncer> syncer;
  if (argc == 5) {
    journal.fd = open(argv[4], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (journal.fd < 0) {
      std::fprintf(stderr, "http_floor_server: cannot open %s: %s\n", argv[4],
                   std::strerror(errno));
      return 1;
    }
    syncer = std::make_unique<Syncer>(journal.fd);
  }
  const int port = std::atoi(argv[2]);
  if (port <= 0 || port > 65535) {
    std::fprintf(stderr, "http_floor_server: bad --port %s\n", argv[2]);
    return 2;
  }
  signal(SIGTERM, [](int) { g_stop = 1; });
  signal(SIGINT, [](int) { g_stop = 1; });

  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(listener, 1024) != 0) {
    std::fprintf(stderr, "http_floor_server: cannot listen on 127.0.0.1:%d: %s\n", port,
                 std::strerror(errno));
    return 1;
  }
  const int epoll_fd = epoll_create1(0);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = listener;
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &event);
  if (syncer) {
    epoll_event done_event{};
    done_event.events = EPOLLIN;
    done_event.data.fd = syncer->done_fd();
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, syncer->done_fd(), &done_event);
  }

  Counters counters;
  std::unordered_map<int, Connection> connections;
  epoll_event ready[256];
  while (!g_stop) {
    const int n = epoll_wait(epoll_fd, ready, 256, 200);
    for (int i = 0; i < n; ++i) {
      const int fd = ready[i].data.fd;
      if (syncer && fd == syncer->done_fd()) {
        bool ok = true;
        for (const auto& [client, out] : syncer->Finish(ok)) SendAll(client, out);
        if (!ok) return 1;
        continue;
      }
      if (fd == listener) {
        for (int client; (client = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK)) >= 0;) {
          setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
          epoll_event client_event{};
          client_event.events = EPOLLIN;
          client_event.data.fd = client;
          epoll_ctl(epoll_fd, EPOLL_CTL_ADD, client, &client_event);
          connections[client];
        }
        continue;
      }
      auto found = connections.find(fd);
      if (found == connections.end()) continue;
      if (!Serve(fd, found->second, counters, journal)) {
        std::erase_if(journal.held, [fd](const Held& held) { return held.first == fd; });
        if (syncer) syncer->Forget(fd);
        Close(epoll_fd, fd, connections);
      }
    }
    // The next batch goes to the sync thread as soon as it is free.
    if (syncer && !syncer->busy() && !journal.pending.empty()) syncer->Start(journal);
  }
  for (auto& [fd, connection] : connections) close(fd);
  close(epoll_fd);
  close(listener);
  return 0;
}
