#include "nodes/queue/core/command.h"

#include <nlohmann/json.hpp>

#include "nodes/queue/core/field_reader.h"
#include "nodes/queue/core/overloaded.h"
#include "nodes/queue/core/queue_options.h"
#include "base/text.h"

namespace dsc::queue {
namespace {

// ordered_json keeps fields in insertion order, so "op" comes first.
using OrderedJson = nlohmann::ordered_json;

// The payload as a JSON value inside the record (readable in a dump),
// not as a string holding JSON. Parsing the compact text and writing it
// back gives the same bytes, which makes decoding exact.
OrderedJson EmbeddedPayload(const std::string& payload) {
  OrderedJson value = OrderedJson::parse(payload, nullptr, false);
  return value.is_discarded() ? OrderedJson(payload) : value;
}

OrderedJson ToJson(const Enqueue& c) {
  OrderedJson out{{"op", "enqueue"},
                  {"id", c.id},
                  {"payload", EmbeddedPayload(c.payload)},
                  {"max_retries", c.max_retries}};
  if (c.idempotency_key) out["idempotency_key"] = *c.idempotency_key;
  out["now_ms"] = c.now_ms;
  return out;
}

OrderedJson ToJson(const Lease& c) {
  return {{"op", "lease"},
          {"id", c.id},
          {"worker", c.worker},
          {"lease_expires_ms", c.lease_expires_ms},
          {"now_ms", c.now_ms}};
}

OrderedJson ToJson(const Ack& c) {
  return {{"op", "ack"}, {"id", c.id}, {"worker", c.worker}, {"now_ms", c.now_ms}};
}

OrderedJson ToJson(const Fail& c) {
  return {{"op", "fail"},
          {"id", c.id},
          {"worker", c.worker},
          {"error", c.error},
          {"retry_at_ms", c.retry_at_ms},
          {"dead", c.dead},
          {"now_ms", c.now_ms}};
}

OrderedJson ToJson(const Expire& c) {
  return {{"op", "expire"}, {"id", c.id}, {"dead", c.dead}, {"now_ms", c.now_ms}};
}

// Checks shared by every op: a task id and (where present) a worker that
// a Decide could have produced.
void CheckId(FieldReader& r, const std::string& id) {
  if (id.empty() || id.size() > kMaxIdBytes) r.Fail("has an id that is empty or too long");
}

void CheckWorker(FieldReader& r, const std::string& worker) {
  if (worker.empty() || worker.size() > kMaxWorkerBytes) {
    r.Fail("has a worker that is empty or too long");
  }
}

Result<Command> DecodeEnqueue(FieldReader& r) {
  Enqueue c;
  c.id = r.String("id");
  c.payload = r.JsonText("payload");
  const int64_t max_retries = r.Int("max_retries");
  c.idempotency_key = r.OptionalString("idempotency_key");
  c.now_ms = r.Int("now_ms");
  CheckId(r, c.id);
  if (max_retries < 0 || max_retries > kMaxRetriesLimit) r.Fail("has max_retries out of range");
  DSC_RETURN_IF_ERROR(r.status());
  c.max_retries = static_cast<int>(max_retries);
  return Command(std::move(c));
}

Result<Command> DecodeLease(FieldReader& r) {
  Lease c;
  c.id = r.String("id");
  c.worker = r.String("worker");
  c.lease_expires_ms = r.Int("lease_expires_ms");
  c.now_ms = r.Int("now_ms");
  CheckId(r, c.id);
  CheckWorker(r, c.worker);
  DSC_RETURN_IF_ERROR(r.status());
  return Command(std::move(c));
}

Result<Command> DecodeAck(FieldReader& r) {
  Ack c;
  c.id = r.String("id");
  c.worker = r.String("worker");
  c.now_ms = r.Int("now_ms");
  CheckId(r, c.id);
  CheckWorker(r, c.worker);
  DSC_RETURN_IF_ERROR(r.status());
  return Command(std::move(c));
}

Result<Command> DecodeFail(FieldReader& r) {
  Fail c;
  c.id = r.String("id");
  c.worker = r.String("worker");
  c.error = r.String("error");
  c.retry_at_ms = r.Int("retry_at_ms");
  c.dead = r.Bool("dead");
  c.now_ms = r.Int("now_ms");
  CheckId(r, c.id);
  CheckWorker(r, c.worker);
  DSC_RETURN_IF_ERROR(r.status());
  return Command(std::move(c));
}

Result<Command> DecodeExpire(FieldReader& r) {
  Expire c;
  c.id = r.String("id");
  c.dead = r.Bool("dead");
  c.now_ms = r.Int("now_ms");
  CheckId(r, c.id);
  DSC_RETURN_IF_ERROR(r.status());
  return Command(std::move(c));
}

}  // namespace

uint8_t CommandRecordType(const Command& command) {
  return std::visit(Overloaded{
                        [](const Enqueue&) { return kEnqueueRecordType; },
                        [](const Lease&) { return kLeaseRecordType; },
                        [](const Ack&) { return kAckRecordType; },
                        [](const Fail&) { return kFailRecordType; },
                        [](const Expire&) { return kExpireRecordType; },
                    },
                    command);
}

std::string_view CommandName(const Command& command) {
  return std::visit(Overloaded{
                        [](const Enqueue&) { return std::string_view("enqueue"); },
                        [](const Lease&) { return std::string_view("lease"); },
                        [](const Ack&) { return std::string_view("ack"); },
                        [](const Fail&) { return std::string_view("fail"); },
                        [](const Expire&) { return std::string_view("expire"); },
                    },
                    command);
}

const std::string& CommandTaskId(const Command& command) {
  return std::visit([](const auto& c) -> const std::string& { return c.id; }, command);
}

std::string EncodeCommand(const Command& command) {
  const OrderedJson json = std::visit([](const auto& c) { return ToJson(c); }, command);
  // `replace` instead of throwing on invalid UTF-8: decided commands never
  // hold any (base/text.h), and an encoder must not throw.
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<Command> DecodeCommand(std::string_view text) {
  // The command object itself is one level; its payload may use the rest.
  if (!JsonDepthAtMost(text, kMaxPayloadDepth + 1)) {
    return Status::Corruption("command: JSON nested too deeply");
  }
  const nlohmann::json object = nlohmann::json::parse(text, nullptr, false);
  if (object.is_discarded()) return Status::Corruption("command: not valid JSON");
  FieldReader r(object, "command");
  const std::string op = r.String("op");
  DSC_RETURN_IF_ERROR(r.status());

  FieldReader fields(object, TruncateUtf8(op, 32) + " command");
  if (op == "enqueue") return DecodeEnqueue(fields);
  if (op == "lease") return DecodeLease(fields);
  if (op == "ack") return DecodeAck(fields);
  if (op == "fail") return DecodeFail(fields);
  if (op == "expire") return DecodeExpire(fields);
  return Status::Corruption("command: unknown op \"" + TruncateUtf8(op, 32) + "\"");
}

}  // namespace dsc::queue
