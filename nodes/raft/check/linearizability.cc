#include "nodes/raft/check/linearizability.h"

#include <algorithm>
#include <limits>
#include <map>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <nlohmann/json.hpp>

#include "nodes/raft/check/kv_model.h"

namespace dsc::raft::check {

namespace {

// The return time of an unknown operation: it may take effect at any
// point after its invoke, so its return comes after every other event.
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
constexpr int kNone = -1;
// How many operations an explanation lists before it summarises.
constexpr size_t kExplainOps = 8;

// Which operations are linearized so far: one bit per operation.
class Bitset {
 public:
  explicit Bitset(size_t bits) : words_((bits + 63) / 64, 0) {}
  void Set(size_t bit) { words_[bit / 64] |= uint64_t{1} << (bit % 64); }
  void Clear(size_t bit) { words_[bit / 64] &= ~(uint64_t{1} << (bit % 64)); }
  bool Test(size_t bit) const { return (words_[bit / 64] >> (bit % 64)) & 1; }

 private:
  std::vector<uint64_t> words_;
};

// A set of operations as a 128-bit Zobrist hash: each operation has two
// random words, and the set is the XOR of its members' words, so adding or
// removing one costs O(1) however long the history. Two different sets
// collide with odds of about 2^-128 per pair; a collision could only make
// the search skip an order, never accept a wrong one.
struct SetHash {
  uint64_t a = 0, b = 0;
  bool operator==(const SetHash&) const = default;
};

// A point of the search: these operations (other than the
// interchangeable unknown ones, which are counted per class instead)
// linearized, leaving the key in this state.
struct Explored {
  SetHash linearized;
  ValueId state;
  bool operator==(const Explored&) const = default;
};

// splitmix64: the random words of SetHash, the same on every run.
uint64_t SplitMix64(uint64_t* x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// True when `a` used no more operations of any class than `b`: a point
// with counts `a` can do everything one with counts `b` can.
bool NoMoreUsed(const std::vector<int>& a, const std::vector<int>& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] > b[i]) return false;
  }
  return true;
}

struct ExploredHash {
  size_t operator()(const Explored& e) const {
    return static_cast<size_t>(e.linearized.a ^
                               (static_cast<uint64_t>(e.state + 2) * 0x9e3779b97f4a7c15ULL));
  }
};

// One call or return in the key's event list (a doubly linked list, so
// linearizing an operation can unlink its two events and backtracking can
// put them back in O(1)).
struct Event {
  int64_t time = 0;
  bool is_call = false;
  size_t op = 0;      // index into the key's operations
  int match = kNone;  // a call's return event
  int prev = kNone;
  int next = kNone;
};

// The Wing & Gong search over the operations of one key.
class KeySearch {
 public:
  KeySearch(std::string key, std::vector<const Operation*> ops, const CheckOptions& options,
            std::chrono::steady_clock::time_point deadline)
      : key_(std::move(key)), ops_(std::move(ops)), options_(options), deadline_(deadline) {
    for (const Operation* op : ops_) model_.push_back(ToModelOp(*op, values_));
    Prepare();
    BuildEvents();
    uint64_t seed = 0x5eed;
    for (size_t i = 0; i < ops_.size(); ++i) {
      zobrist_.push_back({SplitMix64(&seed), SplitMix64(&seed)});
    }
  }

  KeyResult Run() {
    KeyResult result;
    result.key = key_;
    result.operations = ops_.size();
    result.verdict = Search(&result.steps);
    if (result.verdict == Verdict::kNotLinearizable) result.explanation = Explain();
    if (result.verdict == Verdict::kUnknown) {
      result.explanation = "the search stopped after " + std::to_string(result.steps) +
                           " steps (step or time limit) without an answer";
    }
    return result;
  }

 private:
  // One choice of the search, to undo when backtracking.
  struct Frame {
    size_t op;          // the operation linearized here
    int call;           // its call event, or kNone for...
    int cls;            // ...the next member of this class
    ValueId state;      // the key's state before it
    int stuck;          // class members: the return the walk stopped at
    size_t next_class;  // class members: where that walk goes on
  };

  // ANCHOR: prepare
  // Unknown operations are what makes the search expensive: each may take
  // effect at any point after its invoke, so each doubles the orders to
  // try. Three rules, each keeping exactly the same set of valid orders,
  // tame them:
  //  1. A value no operation reads or expects can only ever fail the
  //     model's comparisons, so all such values become one (kUnread).
  //  2. A write whose value someone observed (a read, or the current value
  //     a CAS saw or swapped) took effect before that observer completed:
  //     if it is the only write of that value, its return moves there.
  //  3. The remaining unknown operations (no bound on when they act)
  //     with the same effect (kind, expected, value) are interchangeable:
  //     they leave the event list, and each class offers only its earliest
  //     unused member (members_, used in Search). The memo counts how many
  //     of each class an order used rather than which; using fewer leaves
  //     more for later, so a point that used more of every class than one
  //     already explored is pruned, and a walk tries them last.
  void Prepare() {
    std::unordered_set<ValueId> compared;  // values the model compares with
    for (const ModelOp& op : model_) {
      if (op.has_seen) compared.insert(op.seen);
      if (op.kind == OpKind::kCas) compared.insert(op.expected);
    }
    std::unordered_map<ValueId, int> writers;
    for (ModelOp& op : model_) {
      if (op.kind != OpKind::kPut && op.kind != OpKind::kCas) continue;
      if (!compared.contains(op.value)) op.value = kUnread;  // rule 1
      ++writers[op.value];
    }
    // Rule 2: the earliest completion of an operation that observed each value.
    std::unordered_map<ValueId, int64_t> first_observed;
    for (size_t i = 0; i < ops_.size(); ++i) {
      const ModelOp& op = model_[i];
      std::optional<ValueId> observed;
      if (op.has_seen && op.seen != kAbsent) observed = op.seen;
      if (op.kind == OpKind::kCas && !op.unknown && op.swapped) observed = op.expected;
      if (!observed || *observed == kAbsent) continue;
      auto [it, inserted] = first_observed.try_emplace(*observed, ops_[i]->complete_ns);
      if (!inserted) it->second = std::min(it->second, ops_[i]->complete_ns);
    }
    return_ns_.resize(ops_.size());
    class_.assign(ops_.size(), kNone);
    std::map<std::tuple<OpKind, ValueId, ValueId>, int> classes;
    for (size_t i = 0; i < ops_.size(); ++i) {
      const Operation& op = *ops_[i];
      const ModelOp& model = model_[i];
      if (op.outcome == Outcome::kOk) {
        return_ns_[i] = std::max(op.complete_ns, op.invoke_ns);
        continue;
      }
      return_ns_[i] = kNever;
      auto observed = first_observed.find(model.value);
      const bool writes = model.kind == OpKind::kPut || model.kind == OpKind::kCas;
      if (writes && model.value != kUnread && writers[model.value] == 1 &&
          observed != first_observed.end()) {
        return_ns_[i] = std::max(observed->second, op.invoke_ns);  // rule 2
        continue;
      }
      const auto effect = std::make_tuple(model.kind, model.expected, model.value);
      class_[i] = classes.try_emplace(effect, static_cast<int>(classes.size())).first->second;
    }
    classes_ = classes.size();
    members_.resize(classes_);
    for (size_t i = 0; i < ops_.size(); ++i) {
      if (class_[i] != kNone) members_[static_cast<size_t>(class_[i])].push_back(i);
    }
    for (std::vector<size_t>& members : members_) {
      std::stable_sort(members.begin(), members.end(), [this](size_t a, size_t b) {
        return ops_[a]->invoke_ns < ops_[b]->invoke_ns;
      });
    }
  }
  // ANCHOR_END: prepare

  void BuildEvents() {
    const size_t n = ops_.size();
    events_.resize(2 * n + 1);
    std::vector<int> order;
    for (size_t i = 0; i < n; ++i) {
      const Operation& op = *ops_[i];
      Event& call = events_[2 * i];
      call.time = op.invoke_ns;
      call.is_call = true;
      call.op = i;
      call.match = static_cast<int>(2 * i + 1);
      Event& ret = events_[2 * i + 1];
      ret.time = return_ns_[i];
      ret.op = i;
      if (class_[i] != kNone) continue;  // rule 3: kept per class instead
      order.push_back(static_cast<int>(2 * i));
      order.push_back(static_cast<int>(2 * i + 1));
    }
    // At equal times calls go first: the two operations then overlap, the
    // lenient reading of clocks that cannot tell which came first.
    std::sort(order.begin(), order.end(), [this](int a, int b) {
      const Event& x = events_[static_cast<size_t>(a)];
      const Event& y = events_[static_cast<size_t>(b)];
      if (x.time != y.time) return x.time < y.time;
      if (x.is_call != y.is_call) return x.is_call;
      return a < b;
    });
    head_ = static_cast<int>(2 * n);
    int last = head_;
    for (int index : order) {
      At(last).next = index;
      At(index).prev = last;
      last = index;
    }
  }

  Event& At(int index) { return events_[static_cast<size_t>(index)]; }
  const Event& At(int index) const { return events_[static_cast<size_t>(index)]; }

  // Unlinks a call and its return: the operation is linearized.
  void Lift(int call) {
    for (int index : {call, At(call).match}) {
      Event& e = At(index);
      At(e.prev).next = e.next;
      if (e.next != kNone) At(e.next).prev = e.prev;
    }
  }

  // Puts them back, in the reverse order of Lift.
  void Unlift(int call) {
    for (int index : {At(call).match, call}) {
      Event& e = At(index);
      At(e.prev).next = index;
      if (e.next != kNone) At(e.next).prev = index;
    }
  }

  // ANCHOR: wing_gong
  Verdict Search(uint64_t* steps) {
    ValueId state = kAbsent;  // every key starts absent
    Bitset linearized(ops_.size());
    SetHash memo_bits;                   // linearized, without class members
    std::vector<int> used(classes_, 0);  // class members linearized, per class
    std::vector<Frame> stack;
    std::unordered_map<Explored, std::vector<std::vector<int>>, ExploredHash> explored;
    int entry = At(head_).next;
    // A walk looks at the pending calls in time order until the first
    // pending return; then (stuck set) at the next member of each class
    // that was invoked by then.
    int stuck = kNone;
    size_t next_class = 0;
    // Once every operation in the list is linearized, only unknown ones
    // are left, and they can all take effect at the end.
    while (At(head_).next != kNone) {
      if (++*steps > options_.max_steps_per_key) return Verdict::kUnknown;
      if (*steps % 4096 == 0 && std::chrono::steady_clock::now() > deadline_) {
        return Verdict::kUnknown;
      }
      if (stuck == kNone) {
        const Event& e = At(entry);
        if (!e.is_call) {
          // A return whose call is still pending: nothing after it may go
          // first. Try the unknown operations here before giving up.
          stuck = entry;
          next_class = 0;
          continue;
        }
        // Try to linearize this pending operation next.
        std::optional<ValueId> after = ApplyToRegister(state, model_[e.op]);
        if (after) {
          Toggle(&memo_bits, e.op);
          if (FirstVisit(explored, Explored{memo_bits, *after}, used)) {
            linearized.Set(e.op);
            stack.push_back({e.op, entry, kNone, state, kNone, 0});
            state = *after;
            Lift(entry);
            entry = At(head_).next;  // start again from the earliest pending call
            continue;
          }
          Toggle(&memo_bits, e.op);  // this point was a dead end before
        }
        entry = e.next;
        continue;
      }
      if (TryNextClass(state, stuck, &next_class, &used, &linearized, memo_bits, explored, &stack,
                       &state)) {
        stuck = kNone;
        entry = At(head_).next;
        continue;
      }
      // Nothing can go before `stuck`: the order so far cannot be
      // completed. Undo its last choice and try the next candidate.
      NoteFurthest(stuck, stack, state, linearized);
      if (stack.empty()) return Verdict::kNotLinearizable;
      const Frame frame = stack.back();
      stack.pop_back();
      state = frame.state;
      if (frame.call != kNone) {
        linearized.Clear(frame.op);
        Toggle(&memo_bits, frame.op);
        Unlift(frame.call);
        stuck = kNone;
        entry = At(frame.call).next;
      } else {
        const size_t c = static_cast<size_t>(frame.cls);
        --used[c];
        linearized.Clear(frame.op);
        stuck = frame.stuck;
        next_class = frame.next_class;
      }
    }
    return Verdict::kLinearizable;
  }
  // ANCHOR_END: wing_gong

  // Linearizes the next usable class member invoked before `stuck`,
  // trying classes from *next_class on; false if none leads anywhere new.
  bool TryNextClass(
      ValueId state, int stuck, size_t* next_class, std::vector<int>* used, Bitset* linearized,
      const SetHash& memo_bits,
      std::unordered_map<Explored, std::vector<std::vector<int>>, ExploredHash>& explored,
      std::vector<Frame>* stack, ValueId* new_state) {
    while (*next_class < classes_) {
      const size_t c = (*next_class)++;
      int& count = (*used)[c];
      if (static_cast<size_t>(count) == members_[c].size()) continue;
      const size_t op = members_[c][static_cast<size_t>(count)];
      if (ops_[op]->invoke_ns > At(stuck).time) continue;  // not invoked yet here
      std::optional<ValueId> after = ApplyToRegister(state, model_[op]);
      // An unknown operation that changes nothing here (a CAS that would
      // not swap, a delete of an absent key) is better kept for later: an
      // order that used it here is no better than one that did not.
      if (!after || *after == state) continue;
      ++count;
      if (FirstVisit(explored, Explored{memo_bits, *after}, *used)) {
        linearized->Set(op);
        stack->push_back({op, kNone, static_cast<int>(c), state, stuck, *next_class});
        *new_state = *after;
        return true;
      }
      --count;
    }
    return false;
  }

  // Adds `op` to the set, or removes it.
  void Toggle(SetHash* set, size_t op) const {
    set->a ^= zobrist_[op].a;
    set->b ^= zobrist_[op].b;
  }

  // Records a point; false if it, or one that used no more of any class,
  // was explored before.
  static bool FirstVisit(
      std::unordered_map<Explored, std::vector<std::vector<int>>, ExploredHash>& explored,
      Explored point, const std::vector<int>& used) {
    std::vector<std::vector<int>>& seen = explored[std::move(point)];
    for (const std::vector<int>& earlier : seen) {
      if (NoMoreUsed(earlier, used)) return false;
    }
    seen.push_back(used);
    return true;
  }

  // Remembers the deepest point the search reached, for the explanation.
  void NoteFurthest(int stuck_return, const std::vector<Frame>& stack, ValueId state,
                    const Bitset& linearized) {
    if (furthest_ && stack.size() <= furthest_->depth) return;
    Furthest f{stack.size(), state, Describe(state, stack), linearized, At(stuck_return).op, {}};
    const size_t tail = std::min<size_t>(stack.size(), 3);
    for (size_t i = stack.size() - tail; i < stack.size(); ++i) {
      f.last_placed.push_back(stack[i].op);
    }
    furthest_ = std::move(f);
  }

  // The value `state` stands for, in words. A kUnread state is named by
  // the last write in the order that put it there.
  std::string Describe(ValueId state, const std::vector<Frame>& stack) const {
    if (state != kUnread) return values_.Describe(state);
    for (size_t i = stack.size(); i-- > 0;) {
      const size_t op = stack[i].op;
      const ModelOp& model = model_[op];
      const bool wrote = model.kind == OpKind::kPut ||
                         (model.kind == OpKind::kCas && stack[i].state == model.expected);
      if (wrote) {
        return nlohmann::json(ops_[op]->value)
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
               " (which nobody read)";
      }
    }
    return values_.Describe(state);
  }

  std::string Explain() const {
    if (!furthest_) return "no order is legal";
    const Furthest& f = *furthest_;
    const Operation& stuck = *ops_[f.stuck_op];
    std::string text =
        "no order of its " + std::to_string(ops_.size()) +
        " operations is legal. The furthest any order got: " + std::to_string(f.depth) +
        " placed, the key then " + (f.state == kAbsent ? "absent" : "holding " + f.state_text) +
        ".\n";
    if (!f.last_placed.empty()) {
      text += "  the last operations placed:\n";
      for (size_t op : f.last_placed) text += "    " + DescribeOperation(*ops_[op]) + "\n";
    }
    text += "  then " + DescribeOperation(stuck) +
            " had completed, yet none of the operations that could go next fits:\n";
    size_t listed = 0, more = 0, unknown = 0;
    for (size_t i = 0; i < ops_.size(); ++i) {
      if (f.linearized.Test(i) || ops_[i]->invoke_ns > stuck.complete_ns) continue;
      if (class_[i] != kNone) {
        ++unknown;  // fits anywhere; listing each says nothing
        continue;
      }
      if (listed == kExplainOps) {
        ++more;
        continue;
      }
      ++listed;
      const std::string why = ApplyToRegister(f.state, model_[i])
                                  ? "fits, but every order from there fails later"
                                  : WhyNot(f.state, f.state_text, model_[i], values_);
      text += "    " + DescribeOperation(*ops_[i]) + ": " + why + "\n";
    }
    if (more > 0) text += "    ... and " + std::to_string(more) + " more\n";
    if (unknown > 0) {
      text += "    (and " + std::to_string(unknown) +
              " operations with unknown outcomes, which fit anywhere but did not help)\n";
    }
    return text;
  }

  struct Furthest {
    size_t depth = 0;
    ValueId state = kAbsent;
    std::string state_text;
    Bitset linearized;
    size_t stuck_op = 0;
    std::vector<size_t> last_placed;
  };

  const std::string key_;
  const std::vector<const Operation*> ops_;
  const CheckOptions& options_;
  const std::chrono::steady_clock::time_point deadline_;
  ValueTable values_;
  std::vector<ModelOp> model_;      // model_[i] is ops_[i]
  std::vector<int64_t> return_ns_;  // when ops_[i] returns in the event list
  std::vector<int> class_;          // rule 3: ops_[i]'s class, or kNone
  size_t classes_ = 0;
  std::vector<std::vector<size_t>> members_;  // each class's ops, by invoke time
  std::vector<SetHash> zobrist_;              // each op's random words
  std::vector<Event> events_;                 // 2i: call of op i, 2i+1: its return, last: the head
  int head_ = kNone;
  std::optional<Furthest> furthest_;
};

}  // namespace

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kLinearizable: return "linearizable";
    case Verdict::kNotLinearizable: return "not linearizable";
    case Verdict::kUnknown: return "unknown";
  }
  return "?";
}

CheckResult CheckHistory(const History& history, const CheckOptions& options) {
  const auto deadline = std::chrono::steady_clock::now() + options.time_limit;
  CheckResult result;
  std::map<std::string, std::vector<const Operation*>> by_key;
  for (const Operation& op : history) {
    switch (op.outcome) {
      case Outcome::kOk: ++result.ok; break;
      case Outcome::kFailed: ++result.failed; break;
      case Outcome::kUnknown: ++result.unknown; break;
    }
    // A failed operation never happened, and an unknown read changed
    // nothing and told us nothing: neither constrains the order.
    if (op.outcome == Outcome::kFailed) continue;
    if (op.outcome == Outcome::kUnknown && op.kind == OpKind::kGet) continue;
    by_key[op.key].push_back(&op);
  }
  for (auto& [key, ops] : by_key) {
    KeyResult key_result = KeySearch(key, std::move(ops), options, deadline).Run();
    if (key_result.verdict == Verdict::kNotLinearizable) {
      result.verdict = Verdict::kNotLinearizable;
    } else if (key_result.verdict == Verdict::kUnknown &&
               result.verdict == Verdict::kLinearizable) {
      result.verdict = Verdict::kUnknown;
    }
    result.keys.push_back(std::move(key_result));
  }
  return result;
}

std::string FormatCheckResult(const CheckResult& result) {
  std::string text = std::string(VerdictName(result.verdict)) + ": " +
                     std::to_string(result.keys.size()) + " keys, " +
                     std::to_string(result.ok + result.failed + result.unknown) + " operations (" +
                     std::to_string(result.ok) + " ok, " + std::to_string(result.failed) +
                     " failed, " + std::to_string(result.unknown) + " unknown)\n";
  for (const KeyResult& key : result.keys) {
    if (key.verdict == Verdict::kLinearizable) continue;
    text += "key " +
            nlohmann::json(key.key).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
            " is " + std::string(VerdictName(key.verdict)) + ": " + key.explanation;
    if (text.back() != '\n') text += "\n";
  }
  return text;
}

}  // namespace dsc::raft::check
