// Property tests for the checker.
//
// Histories are made by running random operations one at a time against
// a plain map (the sequential model), at instants 0, 10, 20... ms, and
// then giving each operation a random interval around its instant, so
// operations overlap in real time. Each instant lies inside its
// operation's interval, so the instants themselves are a valid order:
// such a history is linearizable by construction, and the checker must
// say so. Some writes are recorded as unknown (they happened, or did not,
// and the client never learnt which) and some as failed (they did not
// happen).
//
// Then one read is made to return a value it cannot have seen (a value
// nobody wrote, or one whose write started only after the read returned):
// the checker must reject that history.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nodes/raft/check/check_test_util.h"
#include "nodes/raft/check/linearizability.h"

namespace dsc::raft::check {
namespace {

using testing::kMs;

// The raw random choices for one operation.
struct Choice {
  int kind = 0;        // 0-3 get, 4-5 put, 6 delete, 7-8 cas
  int key = 0;         // k0..k2
  int expected = 0;    // cas: which recent value to expect (0: absent)
  int fate = 0;        // writes: 0-7 ok, 8 unknown and applied, 9 unknown and not, 10 failed
  int64_t before = 0;  // invoke this long before the instant (ms)
  int64_t after = 0;   // complete this long after it (ms)
};

rc::Gen<Choice> GenChoice() {
  return rc::gen::apply(
      [](int kind, int key, int expected, int fate, int64_t before, int64_t after) {
        return Choice{kind, key, expected, fate, before, after};
      },
      rc::gen::inRange(0, 9), rc::gen::inRange(0, 3), rc::gen::inRange(0, 4),
      rc::gen::inRange(0, 11), rc::gen::inRange<int64_t>(0, 40), rc::gen::inRange<int64_t>(0, 40));
}

// Runs the choices against a map, one every 10 ms, and records what each
// client would have seen.
History RunSequentially(const std::vector<Choice>& choices) {
  std::map<std::string, std::string> store;
  std::vector<std::string> written;  // every value put so far
  History history;
  for (size_t i = 0; i < choices.size(); ++i) {
    const Choice& c = choices[i];
    const int64_t instant = static_cast<int64_t>(i) * 10 + 50;
    Operation op;
    op.id = i;
    op.client = static_cast<int>(i % 5);
    op.key = "k" + std::to_string(c.key);
    op.invoke_ns = (instant - c.before) * kMs;
    op.complete_ns = (instant + c.after) * kMs;
    op.outcome = Outcome::kOk;
    auto current = [&]() -> std::optional<std::string> {
      auto it = store.find(op.key);
      return it == store.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    const bool is_write = c.kind >= 4;
    const bool applied = !is_write || c.fate <= 8;
    if (c.kind <= 3) {
      op.kind = OpKind::kGet;
      op.has_seen = true;
      op.seen = current();
    } else if (c.kind <= 5) {
      op.kind = OpKind::kPut;
      op.value = "v" + std::to_string(i);
      if (applied) store[op.key] = op.value;
      written.push_back(op.value);
    } else if (c.kind == 6) {
      op.kind = OpKind::kDelete;
      if (applied) store.erase(op.key);
    } else {
      op.kind = OpKind::kCas;
      op.value = "v" + std::to_string(i);
      written.push_back(op.value);
      // Expect the current value often, so swaps happen.
      if (c.expected == 1) {
        op.expected = current();
      } else if (c.expected >= 2 && written.size() >= 2) {
        op.expected = written[written.size() - 2];
      }
      op.swapped = op.expected == current();
      if (applied && op.swapped) store[op.key] = op.value;
    }
    if (is_write && c.fate >= 8) {
      testing::MakeUnknown(op);
      if (c.fate == 10) op.outcome = Outcome::kFailed;
    }
    history.push_back(std::move(op));
  }
  return history;
}

RC_GTEST_PROP(LinearizabilityPropertyTest, SequentialRunWithOverlaps_IsLinearizable, ()) {
  const auto choices = *rc::gen::container<std::vector<Choice>>(GenChoice());
  const History history = RunSequentially(choices);
  const CheckResult result = CheckHistory(history);
  RC_ASSERT(result.verdict == Verdict::kLinearizable);
}

RC_GTEST_PROP(LinearizabilityPropertyTest, OneReadOfAnInvisibleValue_IsNotLinearizable, ()) {
  const auto choices = *rc::gen::nonEmpty(rc::gen::container<std::vector<Choice>>(GenChoice()));
  History history = RunSequentially(choices);
  std::vector<size_t> reads;
  for (size_t i = 0; i < history.size(); ++i) {
    if (history[i].kind == OpKind::kGet) reads.push_back(i);
  }
  RC_PRE(!reads.empty());
  Operation& read = history[*rc::gen::elementOf(reads)];

  // A value the read cannot have seen: one nobody wrote, or one whose
  // write (put or CAS, any outcome) was invoked after the read returned.
  std::vector<std::string> invisible = {"never-written"};
  for (const Operation& op : history) {
    if ((op.kind == OpKind::kPut || op.kind == OpKind::kCas) && op.key == read.key &&
        op.invoke_ns > read.complete_ns) {
      invisible.push_back(op.value);
    }
  }
  read.seen = *rc::gen::elementOf(invisible);
  RC_TAG(read.seen == "never-written" ? "never written" : "written later");

  const CheckResult result = CheckHistory(history);
  RC_ASSERT(result.verdict == Verdict::kNotLinearizable);
}

}  // namespace
}  // namespace dsc::raft::check
