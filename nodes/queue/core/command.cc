#include "nodes/queue/core/command.h"

#include <charconv>
#include <cstdint>
#include <iterator>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/json_fields.h"
#include "base/overloaded.h"
#include "base/text.h"
#include "nodes/queue/core/queue_options.h"

namespace dsc::queue {
namespace {

// ordered_json keeps fields in insertion order, so "op" comes first.
using OrderedJson = nlohmann::ordered_json;

// The payload as a JSON value inside the record (readable in a dump),
// not as a string holding JSON. A decided command's payload is canonical
// JSON text (command.h), which is exactly what parsing it and writing it
// back would give, so it goes in as it is; text that is not JSON at all is
// written as a JSON string. Either way decoding gives the payload back.
std::string EmbeddedPayloadText(const std::string& payload) {
  if (nlohmann::json::accept(payload)) return payload;
  return OrderedJson(payload).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The records are written by hand, field by field, because the log is on
// every request's path and building an ordered_json object per command
// cost more than the rest of the request's queue work. The bytes are
// exactly those of ordered_json::dump() with error_handler_t::replace
// (command_test.cc compares the two): fields in the order listed, no
// spaces, strings escaped as nlohmann escapes them.
class RecordWriter {
 public:
  explicit RecordWriter(std::string_view op) {
    out_.reserve(160);
    out_ += "{\"op\":";
    String(op);
  }
  RecordWriter& Field(std::string_view key, std::string_view value) {
    Key(key);
    String(value);
    return *this;
  }
  RecordWriter& Field(std::string_view key, int64_t value) {
    Key(key);
    char digits[24];
    auto [end, ec] = std::to_chars(std::begin(digits), std::end(digits), value);
    out_.append(digits, end);
    return *this;
  }
  RecordWriter& Field(std::string_view key, bool value) {
    Key(key);
    out_ += value ? "true" : "false";
    return *this;
  }
  RecordWriter& Field(std::string_view key, const std::vector<std::string>& values) {
    Key(key);
    out_ += '[';
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out_ += ',';
      String(values[i]);
    }
    out_ += ']';
    return *this;
  }
  RecordWriter& RawField(std::string_view key, std::string_view json_text) {
    Key(key);
    out_ += json_text;
    return *this;
  }
  std::string Finish() {
    out_ += '}';
    return std::move(out_);
  }

 private:
  void Key(std::string_view key) {  // keys are ASCII names: no escaping
    out_ += ",\"";
    out_ += key;
    out_ += "\":";
  }
  void String(std::string_view value) {
    for (char c : value) {
      if ((static_cast<unsigned char>(c) & 0x80) != 0) {
        // Non-ASCII: nlohmann checks the UTF-8 and replaces what is
        // invalid; let it write this (rare) string.
        out_ += OrderedJson(std::string(value))
                    .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        return;
      }
    }
    out_ += '"';
    for (char c : value) {
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\b': out_ += "\\b"; break;
        case '\f': out_ += "\\f"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            constexpr char kHex[] = "0123456789abcdef";
            out_ += "\\u00";
            out_ += kHex[(c >> 4) & 0xf];
            out_ += kHex[c & 0xf];
          } else {
            out_ += c;
          }
      }
    }
    out_ += '"';
  }

  std::string out_;
};

std::string Encode(const Enqueue& c) {
  RecordWriter w("enqueue");
  w.Field("id", c.id)
      .RawField("payload", EmbeddedPayloadText(c.payload))
      .Field("max_retries", int64_t{c.max_retries});
  if (c.idempotency_key) w.Field("idempotency_key", std::string_view(*c.idempotency_key));
  if (c.enqueue_seq != 0) w.Field("enqueue_seq", static_cast<int64_t>(c.enqueue_seq));
  return w.Field("now_ms", c.now_ms).Finish();
}

std::string Encode(const Lease& c) {
  return RecordWriter("lease")
      .Field("id", c.id)
      .Field("worker", c.worker)
      .Field("lease_expires_ms", c.lease_expires_ms)
      .Field("now_ms", c.now_ms)
      .Finish();
}

std::string Encode(const Ack& c) {
  return RecordWriter("ack")
      .Field("id", c.id)
      .Field("worker", c.worker)
      .Field("now_ms", c.now_ms)
      .Finish();
}

std::string Encode(const Fail& c) {
  return RecordWriter("fail")
      .Field("id", c.id)
      .Field("worker", c.worker)
      .Field("error", c.error)
      .Field("retry_at_ms", c.retry_at_ms)
      .Field("dead", c.dead)
      .Field("now_ms", c.now_ms)
      .Finish();
}

std::string Encode(const Expire& c) {
  return RecordWriter("expire")
      .Field("id", c.id)
      .Field("dead", c.dead)
      .Field("now_ms", c.now_ms)
      .Finish();
}

std::string Encode(const Purge& c) {
  return RecordWriter("purge").Field("ids", c.ids).Field("now_ms", c.now_ms).Finish();
}

// Checks shared by every op: a task id and (where present) a worker that
// a Decide could have produced.
void CheckId(JsonFields& r, const std::string& id) {
  if (id.empty() || id.size() > kMaxIdBytes) r.Fail("an id is empty or too long");
}

void CheckWorker(JsonFields& r, const std::string& worker) {
  if (worker.empty() || worker.size() > kMaxWorkerBytes) r.Fail("the worker is empty or too long");
}

Result<Command> DecodeEnqueue(JsonFields& r) {
  Enqueue c;
  c.id = r.RequireString("id");
  c.payload = r.RequireValueText("payload");
  const int64_t max_retries = r.RequireInt("max_retries", {0, kMaxRetriesLimit});
  c.idempotency_key = r.OptionalString("idempotency_key");
  const std::optional<int64_t> enqueue_seq = r.OptionalInt("enqueue_seq", {.min = 1});
  c.now_ms = r.RequireInt("now_ms");
  CheckId(r, c.id);
  DSC_RETURN_IF_ERROR(r.status());
  c.max_retries = static_cast<int>(max_retries);
  c.enqueue_seq = static_cast<uint64_t>(enqueue_seq.value_or(0));
  return Command(std::move(c));
}

Result<Command> DecodeLease(JsonFields& r) {
  Lease c;
  c.id = r.RequireString("id");
  c.worker = r.RequireString("worker");
  c.lease_expires_ms = r.RequireInt("lease_expires_ms");
  c.now_ms = r.RequireInt("now_ms");
  CheckId(r, c.id);
  CheckWorker(r, c.worker);
  DSC_RETURN_IF_ERROR(r.status());
  return Command(std::move(c));
}

Result<Command> DecodeAck(JsonFields& r) {
  Ack c;
  c.id = r.RequireString("id");
  c.worker = r.RequireString("worker");
  c.now_ms = r.RequireInt("now_ms");
  CheckId(r, c.id);
  CheckWorker(r, c.worker);
  DSC_RETURN_IF_ERROR(r.status());
  return Command(std::move(c));
}

Result<Command> DecodeFail(JsonFields& r) {
  Fail c;
  c.id = r.RequireString("id");
  c.worker = r.RequireString("worker");
  c.error = r.RequireString("error");
  c.retry_at_ms = r.RequireInt("retry_at_ms");
  c.dead = r.RequireBool("dead");
  c.now_ms = r.RequireInt("now_ms");
  CheckId(r, c.id);
  CheckWorker(r, c.worker);
  DSC_RETURN_IF_ERROR(r.status());
  return Command(std::move(c));
}

Result<Command> DecodeExpire(JsonFields& r) {
  Expire c;
  c.id = r.RequireString("id");
  c.dead = r.RequireBool("dead");
  c.now_ms = r.RequireInt("now_ms");
  CheckId(r, c.id);
  DSC_RETURN_IF_ERROR(r.status());
  return Command(std::move(c));
}

Result<Command> DecodePurge(JsonFields& r) {
  Purge c;
  c.ids = r.RequireStringArray("ids", kMaxPurgeBatch);
  c.now_ms = r.RequireInt("now_ms");
  if (r.ok() && c.ids.empty()) r.Fail("field \"ids\" names no task");
  for (const std::string& id : c.ids) CheckId(r, id);
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
                        [](const Purge&) { return kPurgeRecordType; },
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
                        [](const Purge&) { return std::string_view("purge"); },
                    },
                    command);
}

const std::string& CommandTaskId(const Command& command) {
  static const std::string kNone;
  return std::visit(Overloaded{
                        [](const Purge&) -> const std::string& { return kNone; },
                        [](const auto& c) -> const std::string& { return c.id; },
                    },
                    command);
}

std::string EncodeCommand(const Command& command) {
  // `replace` instead of throwing on invalid UTF-8: decided commands never
  // hold any (base/text.h), and an encoder must not throw.
  return std::visit([](const auto& c) { return Encode(c); }, command);
}

Result<Command> DecodeCommand(std::string_view text) {
  // The command object itself is one level; its payload may use the rest.
  if (!JsonDepthAtMost(text, kMaxPayloadDepth + 1)) {
    return Status::Corruption("command: JSON nested too deeply");
  }
  const nlohmann::json object = nlohmann::json::parse(text, nullptr, false);
  if (object.is_discarded()) return Status::Corruption("command: not valid JSON");
  JsonFields r(object, "command", JsonFields::Source::kRecord);
  const std::string op = r.RequireString("op");
  DSC_RETURN_IF_ERROR(r.status());

  JsonFields fields(object, TruncateUtf8(op, 32) + " command", JsonFields::Source::kRecord);
  if (op == "enqueue") return DecodeEnqueue(fields);
  if (op == "lease") return DecodeLease(fields);
  if (op == "ack") return DecodeAck(fields);
  if (op == "fail") return DecodeFail(fields);
  if (op == "expire") return DecodeExpire(fields);
  if (op == "purge") return DecodePurge(fields);
  return Status::Corruption("command: unknown op \"" + TruncateUtf8(op, 32) + "\"");
}

}  // namespace dsc::queue
