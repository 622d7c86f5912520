// BeanstalkSystem: beanstalkd with its binlog fsynced on every write
// (`beanstalkd -l 127.0.0.1 -p PORT -b DIR -f 0`), driven through its text
// protocol over plain TCP sockets, one connection per client:
//   enqueue  put <pri> <delay> <ttr> <bytes>\r\n<payload>\r\n   -> INSERTED <id>
//   lease    reserve-with-timeout <s>\r\n   -> RESERVED <id> <bytes>\r\n<payload>\r\n
//   ack      delete <id>\r\n                 -> DELETED
// and checked afterwards with `stats`.
// (The protocol: doc/protocol.txt in beanstalkd's sources.)
//
// Thread-safety: see queue_system.h.
#pragma once

#include <memory>
#include <string>

#include "bench/server_queue_system.h"

namespace dsc::bench {

class BeanstalkSystem : public ServerQueueSystem {
 public:
  // `binary`: the beanstalkd executable (a path).
  explicit BeanstalkSystem(std::string binary) : binary_(std::move(binary)) {}

  std::string name() const override { return "beanstalkd"; }
  Status Start(const std::string& data_dir) override;
  Result<std::unique_ptr<QueueConnection>> Connect() override;
  Status CheckDrained(uint64_t cycles) override;

 private:
  const std::string binary_;
};

}  // namespace dsc::bench
