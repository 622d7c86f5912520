#include "nodes/queue/core/command.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nodes/queue/core/queue_options.h"
#include "nodes/queue/core/task.h"

namespace dsc::queue {
namespace {

std::vector<Command> OneOfEach() {
  return {
      Enqueue{"t-1", R"({"n":1})", 3, std::nullopt, 1'000, 1},
      Enqueue{"t-2", R"([1,"two",{"three":3.5}])", 0, "order-42", 1'001, 2},
      Enqueue{"t-3", "7", 3, std::nullopt, 1'002, 0},  // an older record: no enqueue_seq
      Lease{"t-1", "w1", 31'000, 1'000},
      Ack{"t-1", "w1", 2'000},
      Fail{"t-1", "w1", "timeout: h\xC3\xA9", 3'100, false, 2'000},
      Fail{"t-1", "w1", "", 2'000, true, 2'000},
      Expire{"t-1", false, 31'000},
      Expire{"t-1", true, 31'000},
      Purge{{"t-1"}, 3'700'000},
      Purge{{"t-018bcfe56800a3f29c17e5d0b48c", "t-2", "caf\xC3\xA9"}, 3'700'000},
  };
}

TEST(EncodeCommand, WritesCompactJsonWithOpFirst) {
  EXPECT_EQ(EncodeCommand(Enqueue{"t-1", R"({"n":1})", 3, std::nullopt, 1'000, 7}),
            R"({"op":"enqueue","id":"t-1","payload":{"n":1},"max_retries":3,"enqueue_seq":7,)"
            R"("now_ms":1000})");
  // As written before enqueue_seq was logged.
  EXPECT_EQ(EncodeCommand(Enqueue{"t-1", R"({"n":1})", 3, std::nullopt, 1'000, 0}),
            R"({"op":"enqueue","id":"t-1","payload":{"n":1},"max_retries":3,"now_ms":1000})");
  EXPECT_EQ(EncodeCommand(Lease{"t-1", "w1", 31'000, 1'000}),
            R"({"op":"lease","id":"t-1","worker":"w1","lease_expires_ms":31000,"now_ms":1000})");
  EXPECT_EQ(EncodeCommand(Ack{"t-1", "w1", 2'000}),
            R"({"op":"ack","id":"t-1","worker":"w1","now_ms":2000})");
  EXPECT_EQ(EncodeCommand(Fail{"t-1", "w1", "timeout", 3'100, false, 2'000}),
            R"({"op":"fail","id":"t-1","worker":"w1","error":"timeout","retry_at_ms":3100,)"
            R"("dead":false,"now_ms":2000})");
  EXPECT_EQ(EncodeCommand(Expire{"t-1", true, 31'000}),
            R"({"op":"expire","id":"t-1","dead":true,"now_ms":31000})");
  EXPECT_EQ(EncodeCommand(Purge{{"t-1", "t-2"}, 3'700'000}),
            R"({"op":"purge","ids":["t-1","t-2"],"now_ms":3700000})");
}

TEST(EncodeCommand, EmbedsCanonicalPayloadTextAsParsingAndWritingItWould) {
  // What the encoder did before it trusted canonical text: parse, dump.
  auto reference = [](const std::string& payload) {
    nlohmann::ordered_json value = nlohmann::ordered_json::parse(payload, nullptr, false);
    if (value.is_discarded()) value = payload;
    return std::string(R"({"op":"enqueue","id":"t-1","payload":)") +
           value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
           R"(,"max_retries":3,"now_ms":5})";
  };
  // Canonical text, as DecideEnqueue makes it (parse, then dump), and
  // text that is not JSON at all.
  auto canonical = [](const std::string& text) {
    const nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
    return value.is_discarded() ? text : value.dump();
  };
  const std::string payloads[] = {"1",
                                  "-2.5e-7",
                                  "null",
                                  "true",
                                  "[]",
                                  "{}",
                                  R"({"b":[1,{"a":null}],"a":"\u00e9\"x"})",
                                  R"("caf\u00c3\u00a9")",
                                  R"("\u0001")",
                                  "not json {",
                                  "bad \xC3 utf-8",
                                  ""};
  for (const std::string& payload : payloads) {
    const Enqueue enqueue{"t-1", canonical(payload), 3, std::nullopt, 5, 0};
    const std::string encoded = EncodeCommand(enqueue);
    EXPECT_EQ(encoded, reference(enqueue.payload)) << payload;
    const Result<Command> decoded = DecodeCommand(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded;
    // Text that is not JSON comes back as the JSON string holding it, as
    // it always did; canonical JSON comes back as it went in.
    if (nlohmann::json::accept(payload)) {
      EXPECT_EQ(*decoded, Command(enqueue)) << encoded;
    }
  }
}

TEST(EncodeCommand, PurgeMatchesNlohmann) {
  const Purge purge{{"t-1", "quote \" \\ \n", "h\xC3\xA9", "bad \xFF"}, -3};
  const nlohmann::ordered_json reference{
      {"op", "purge"}, {"ids", purge.ids}, {"now_ms", purge.now_ms}};
  EXPECT_EQ(EncodeCommand(purge),
            reference.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// What EncodeCommand wrote before it wrote records by hand: the same
// fields through nlohmann::ordered_json. The log's bytes must not change.
std::string ReferenceEncoding(const Fail& c) {
  nlohmann::ordered_json json{{"op", "fail"},
                              {"id", c.id},
                              {"worker", c.worker},
                              {"error", c.error},
                              {"retry_at_ms", c.retry_at_ms},
                              {"dead", c.dead},
                              {"now_ms", c.now_ms}};
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

TEST(EncodeCommand, EscapesStringsExactlyAsNlohmannDoes) {
  constexpr char kControl[] = "nul \0 and \x01 \x1f \x7f";
  const std::string tricky[] = {
      "",
      "plain",
      "quote \" backslash \\ slash /",
      "\b\f\n\r\t",
      std::string(kControl, sizeof(kControl) - 1),
      "h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",  // valid UTF-8
      "bad \xC3 \xFF utf-8",                      // replaced by U+FFFD
  };
  for (const std::string& text : tricky) {
    const Fail fail{"t-1", text, text, -5, true, 9'007'199'254'740'993};
    EXPECT_EQ(EncodeCommand(fail), ReferenceEncoding(fail)) << text;
  }
}

RC_GTEST_PROP(CommandProperty, EncodingMatchesNlohmann,
              (const std::string& worker, const std::string& error, int64_t retry_at, bool dead)) {
  const Fail fail{"t-1", worker, error, retry_at, dead, retry_at};
  RC_ASSERT(EncodeCommand(fail) == ReferenceEncoding(fail));
}

TEST(DecodeCommand, RoundTripsEveryCommand) {
  for (const Command& command : OneOfEach()) {
    const std::string encoded = EncodeCommand(command);
    const Result<Command> decoded = DecodeCommand(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded << ": " << decoded.status().ToString();
    EXPECT_EQ(*decoded, command) << encoded;
    EXPECT_EQ(EncodeCommand(*decoded), encoded);  // byte for byte
  }
}

TEST(DecodeCommand, RoundTripsTheLargestPurge) {
  Purge purge;
  purge.now_ms = 1'700'000'000'000;
  for (size_t i = 0; i < kMaxPurgeBatch; ++i) purge.ids.push_back(MakeTaskId(1'000 + i, i));
  const Result<Command> decoded = DecodeCommand(EncodeCommand(purge));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, Command(purge));
}

TEST(DecodeCommand, RejectsBadPurgesAsCorruption) {
  std::string too_many = R"({"op":"purge","ids":[)";
  for (size_t i = 0; i <= kMaxPurgeBatch; ++i) {
    too_many += (i > 0 ? ",\"t-" : "\"t-") + std::to_string(i) + "\"";
  }
  too_many += R"(],"now_ms":5})";
  const std::vector<std::string> garbage = {
      R"({"op":"purge","ids":[],"now_ms":5})",         // names nothing
      R"({"op":"purge","now_ms":5})",                  // no ids
      R"({"op":"purge","ids":["t-1"]})",               // no now_ms
      R"({"op":"purge","ids":"t-1","now_ms":5})",      // not an array
      R"({"op":"purge","ids":["t-1",2],"now_ms":5})",  // not all strings
      R"({"op":"purge","ids":["t-1",null],"now_ms":5})",
      R"({"op":"purge","ids":[["t-1"]],"now_ms":5})",
      R"({"op":"purge","ids":["t-1",""],"now_ms":5})",  // an empty id
      R"({"op":"purge","ids":["t-1"],"now_ms":"5"})",
      R"({"op":"purge","ids":["t-1","t-2"],"now_ms":5)",  // torn
      R"({"op":"purge","ids":["t-1","t-2)",               // torn inside the array
      R"({"op":"purge","ids":[")" + std::string(129, 'x') + R"("],"now_ms":5})",  // id too long
      too_many,
  };
  for (const std::string& text : garbage) {
    const Result<Command> decoded = DecodeCommand(text);
    ASSERT_FALSE(decoded.ok()) << text;
    EXPECT_TRUE(decoded.status().IsCorruption()) << text;
  }
}

TEST(CommandRecordType, IsOneToSixPerOp) {
  EXPECT_EQ(CommandRecordType(Enqueue{}), 1);
  EXPECT_EQ(CommandRecordType(Lease{}), 2);
  EXPECT_EQ(CommandRecordType(Ack{}), 3);
  EXPECT_EQ(CommandRecordType(Fail{}), 4);
  EXPECT_EQ(CommandRecordType(Expire{}), 5);
  EXPECT_EQ(CommandRecordType(Purge{}), 6);
}

TEST(CommandName, MatchesTheOpField) {
  for (const Command& command : OneOfEach()) {
    const nlohmann::json encoded = nlohmann::json::parse(EncodeCommand(command));
    EXPECT_EQ(encoded["op"], CommandName(command));
    if (std::holds_alternative<Purge>(command)) {
      EXPECT_EQ(CommandTaskId(command), "");  // a purge names its tasks in "ids"
    } else {
      EXPECT_EQ(encoded["id"], CommandTaskId(command));
    }
  }
}

TEST(DecodeCommand, RejectsGarbageAsCorruption) {
  const std::vector<std::string> garbage = {
      "",
      "null",
      "[]",
      "42",
      "{}",
      R"({"op":1})",
      R"({"op":"delete","id":"t-1"})",
      R"({"op":"ack","id":"t-1","worker":"w1"})",               // no now_ms
      R"({"op":"ack","id":"t-1","worker":"w1","now_ms":"5"})",  // wrong type
      R"({"op":"ack","id":"t-1","worker":"w1","now_ms":5.5})",  // not an integer
      R"({"op":"ack","id":"t-1","worker":"w1","now_ms":18446744073709551615})",
      R"({"op":"ack","id":"","worker":"w1","now_ms":5})",   // empty id
      R"({"op":"ack","id":"t-1","worker":"","now_ms":5})",  // empty worker
      R"({"op":"expire","id":"t-1","dead":"yes","now_ms":5})",
      R"({"op":"enqueue","id":"t-1","max_retries":3,"now_ms":5})",  // no payload
      R"({"op":"enqueue","id":"t-1","payload":1,"max_retries":101,"now_ms":5})",
      R"({"op":"enqueue","id":"t-1","payload":1,"max_retries":3,"now_ms":5,"idempotency_key":7})",
      R"({"op":"enqueue","id":"t-1","payload":1,"max_retries":3,"enqueue_seq":0,"now_ms":5})",
      R"({"op":"enqueue","id":"t-1","payload":1,"max_retries":3,"enqueue_seq":-1,"now_ms":5})",
      R"({"op":"lease","id":"t-1","worker":"w1","now_ms":5)",               // torn
      "{\"op\":\"ack\",\"id\":\"t-\xFF\",\"worker\":\"w1\",\"now_ms\":5}",  // not UTF-8
      R"({"op":"enqueue","id":"t-1","payload":)" + std::string(200, '[') + std::string(200, ']') +
          R"(,"max_retries":3,"now_ms":5})",
      std::string(100'000, '['),
  };
  for (const std::string& text : garbage) {
    const Result<Command> decoded = DecodeCommand(text);
    ASSERT_FALSE(decoded.ok()) << text;
    EXPECT_TRUE(decoded.status().IsCorruption()) << text;
  }
}

// Whatever the bytes, DecodeCommand answers (never throws, never crashes)
// and only ever with a command or Corruption.
RC_GTEST_PROP(CommandProperty, DecodeNeverThrowsOnArbitraryBytes, (const std::string& bytes)) {
  const Result<Command> decoded = DecodeCommand(bytes);
  RC_ASSERT(decoded.ok() || decoded.status().IsCorruption());
}

RC_GTEST_PROP(CommandProperty, DecodeNeverThrowsOnDamagedCommands, ()) {
  const std::vector<Command> commands = OneOfEach();
  std::string text = EncodeCommand(*rc::gen::elementOf(commands));
  const size_t at = *rc::gen::inRange<size_t>(0, text.size());
  const int damage = *rc::gen::inRange(0, 3);
  if (damage == 0) text[at] = *rc::gen::arbitrary<char>();  // flip a byte
  if (damage == 1) text.erase(at);                          // tear the tail
  if (damage == 2) text.insert(at, *rc::gen::arbitrary<std::string>());
  const Result<Command> decoded = DecodeCommand(text);
  RC_ASSERT(decoded.ok() || decoded.status().IsCorruption());
  // Whatever still decodes is a well-formed command: it encodes again to
  // something that decodes to itself.
  if (decoded.ok()) {
    const Result<Command> again = DecodeCommand(EncodeCommand(*decoded));
    RC_ASSERT(again.ok());
    RC_ASSERT(*again == *decoded);
  }
}

}  // namespace
}  // namespace dsc::queue
