// The WAL's promise, tested the hard way: an append acknowledged under
// `always` survives kill -9.
//
// Each cycle starts wal_crash_child on the same directory, lets its
// appenders run for a random few milliseconds (sometimes still inside
// Log::Open's recovery, usually mid-append), SIGKILLs it, then reopens the
// log here and checks:
//   * every record the child acknowledged is there, at the LSN it was given,
//     with the payload it wrote;
//   * LSNs run 1, 2, 3, ... with no gap, and every payload is intact;
//   * a record recovered in an earlier cycle is never lost later (a kill
//     loses no write(2) that returned, so only a wrong repair could lose it);
//   * after Open repaired the tail, a scan finds no torn tail and no
//     corruption.
// The seed is printed; DSC_CRASH_SEED=N replays the same kill times and
// DSC_CRASH_CYCLES=N runs longer drills.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base/scratch_dir.h"
#include "tests/crash/crash_payload.h"
#include "tests/crash/killed_child.h"
#include "wal/log.h"
#include "wal/log_reader.h"

namespace dsc::crash {
namespace {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

struct CrashScenario {
  int cycles = 30;
  uint32_t threads = 4;
  uint64_t segment_bytes = 0;                     // 0: the LogOptions default (16 MiB)
  uint64_t filler_spread = kDefaultFillerSpread;  // payload sizes, see crash_payload.h
};

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::stoull(value) : fallback;
}

// A fresh directory under the system temp dir (a kill -9 keeps the page
// cache, so tmpfs tests this promise as well as a disk does).
std::string MakeTempDir() {
  Result<std::string> made = MakeScratchDir("wal_crash");
  return made.ok() ? *made : std::string();
}

// The child's "<lsn> <id>" lines as lsn -> id.
AssertionResult ParseAcknowledgements(const std::string& output,
                                      std::map<uint64_t, std::string>* acks) {
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (lines.eof()) break;  // no newline: not a whole line (cannot happen, see the child)
    std::istringstream fields(line);
    uint64_t lsn = 0;
    std::string id;
    if (!(fields >> lsn >> id)) return AssertionFailure() << "bad line from child: " << line;
    acks->emplace(lsn, id);
  }
  return AssertionSuccess();
}

// What must survive, accumulated over the cycles of one test.
class SurvivalChecker {
 public:
  SurvivalChecker(std::string dir, const CrashScenario& scenario)
      : dir_(std::move(dir)), scenario_(scenario) {}

  // Adds one cycle's acknowledgements; an LSN acknowledged twice (by two
  // children) would mean the log handed it out again.
  AssertionResult AddAcknowledged(const std::map<uint64_t, std::string>& acks) {
    for (const auto& [lsn, id] : acks) {
      auto [it, inserted] = acknowledged_.emplace(lsn, id);
      if (!inserted) {
        return AssertionFailure() << "LSN " << lsn << " acknowledged twice: for " << it->second
                                  << " and for " << id;
      }
    }
    return AssertionSuccess();
  }

  // Reopens the log the way a restarted node would and checks it.
  AssertionResult ReopenAndCheck() {
    wal::LogOptions options;
    options.system = "test";
    if (scenario_.segment_bytes > 0) options.segment_bytes = scenario_.segment_bytes;
    auto log = wal::Log::Open(dir_, options);
    if (!log.ok()) return AssertionFailure() << "Log::Open: " << log.status().ToString();
    if ((*log)->recovery().truncated) ++torn_tails_repaired_;

    auto records = (*log)->Read((*log)->first_lsn());
    if (!records.ok()) return AssertionFailure() << "Read: " << records.status().ToString();
    if ((*log)->first_lsn() != 1) {
      return AssertionFailure() << "first_lsn " << (*log)->first_lsn() << ", expected 1";
    }
    if (records->size() != (*log)->last_lsn()) {
      return AssertionFailure() << "Read returned " << records->size() << " records, last_lsn is "
                                << (*log)->last_lsn();
    }
    AssertionResult checked = CheckRecords(*records);
    if (!checked) return checked;
    Status closed = (*log)->Close();
    if (!closed.ok()) return AssertionFailure() << "Close: " << closed.ToString();

    const wal::ScanResult scan = wal::ScanLog(wal::FileSystem::Default(), dir_);
    if (!scan.status.ok()) return AssertionFailure() << "rescan: " << scan.status.ToString();
    if (scan.torn_tail) {
      return AssertionFailure() << "rescan after Open still finds a torn tail in "
                                << scan.torn_tail->segment << " at " << scan.torn_tail->offset;
    }
    segments_ = scan.segments.size();
    return AssertionSuccess();
  }

  size_t acknowledged() const { return acknowledged_.size(); }
  size_t recovered() const { return recovered_.size(); }
  int torn_tails_repaired() const { return torn_tails_repaired_; }
  size_t segments() const { return segments_; }

 private:
  AssertionResult CheckRecords(const std::vector<wal::Record>& records) {
    if (records.size() < recovered_.size()) {
      return AssertionFailure() << "log shrank from " << recovered_.size() << " to "
                                << records.size() << " records";
    }
    // Records seen in earlier cycles must be byte-for-byte unchanged; only
    // the new ones need their payloads checked (which keeps each cycle's
    // cost proportional to what the last child wrote).
    for (size_t i = 0; i < records.size(); ++i) {
      const wal::Record& record = records[i];
      if (record.lsn != i + 1) {
        return AssertionFailure() << "record " << i << " has LSN " << record.lsn << ", expected "
                                  << i + 1;
      }
      if (i < recovered_.size()) {
        if (record.payload != recovered_[i].payload) {
          return AssertionFailure() << "LSN " << record.lsn << " changed since an earlier cycle";
        }
        continue;
      }
      const std::optional<PayloadId> id = ParsePayload(record.payload, scenario_.filler_spread);
      if (!id) return AssertionFailure() << "LSN " << record.lsn << ": damaged payload";
      if (!ids_.insert(id->ToString()).second) {
        return AssertionFailure() << "payload " << id->ToString() << " appears twice";
      }
      recovered_.push_back({record.payload, id->ToString()});
    }
    for (const auto& [lsn, id] : acknowledged_) {
      if (lsn > records.size()) {
        return AssertionFailure() << "acknowledged LSN " << lsn << " (" << id
                                  << ") lost; the log ends at " << records.size();
      }
      if (recovered_[lsn - 1].id != id) {
        return AssertionFailure() << "acknowledged LSN " << lsn << " should hold " << id
                                  << " but holds " << recovered_[lsn - 1].id;
      }
    }
    return AssertionSuccess();
  }

  struct Recovered {
    std::string payload;
    std::string id;
  };

  const std::string dir_;
  const CrashScenario scenario_;
  std::map<uint64_t, std::string> acknowledged_;  // every cycle's, by LSN
  std::vector<Recovered> recovered_;              // the log as last reopened, by LSN - 1
  std::set<std::string> ids_;                     // the ids in recovered_
  int torn_tails_repaired_ = 0;
  size_t segments_ = 0;
};

// wal_crash_child's command line for one cycle (see wal_crash_child.cc).
std::vector<std::string> ChildCommand(const CrashScenario& scenario, const std::string& dir,
                                      int cycle) {
  std::vector<std::string> command = {DSC_WAL_CRASH_CHILD, "--dir", dir};
  auto add = [&command](const char* flag, uint64_t value) {
    command.push_back(flag);
    command.push_back(std::to_string(value));
  };
  add("--run", static_cast<uint64_t>(cycle));
  add("--threads", scenario.threads);
  add("--segment-bytes", scenario.segment_bytes);
  add("--filler-spread", scenario.filler_spread);
  return command;
}

void RunCrashCycles(const CrashScenario& scenario) {
  const uint64_t seed = EnvOr("DSC_CRASH_SEED", std::random_device{}());
  const int cycles = static_cast<int>(EnvOr("DSC_CRASH_CYCLES", uint64_t(scenario.cycles)));
  spdlog::set_level(spdlog::level::warn);  // one recovery INFO line per cycle is noise
  std::cout << "crash test seed " << seed << " (replay with DSC_CRASH_SEED=" << seed << ")\n";
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<int> run_ms(2, 200);

  const std::string dir = MakeTempDir();
  ASSERT_FALSE(dir.empty()) << "mkdtemp failed";
  SurvivalChecker checker(dir, scenario);
  const auto start = std::chrono::steady_clock::now();

  for (int cycle = 1; cycle <= cycles; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle) + ", seed " + std::to_string(seed) + ", dir " +
                 dir);
    const std::chrono::milliseconds run_for(run_ms(random));
    Result<KilledChild> child = RunThenKill(ChildCommand(scenario, dir, cycle), run_for);
    ASSERT_TRUE(child.ok()) << child.status().ToString();
    ASSERT_TRUE(child->killed_by_us())
        << "the child ended by itself (wait status " << child->wait_status << ")";

    std::map<uint64_t, std::string> acks;
    ASSERT_TRUE(ParseAcknowledgements(child->output, &acks));
    ASSERT_TRUE(checker.AddAcknowledged(acks));
    ASSERT_TRUE(checker.ReopenAndCheck());
  }

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << cycles << " kill -9 cycles in " << seconds << " s: " << checker.acknowledged()
            << " acknowledged appends, " << checker.recovered() << " records, "
            << checker.segments() << " segments, " << checker.torn_tails_repaired()
            << " torn tails repaired\n";
  EXPECT_GT(checker.acknowledged(), 0u) << "no child ever got an append acknowledged";
  std::filesystem::remove_all(dir);  // kept on failure (ASSERTs return first) for a post-mortem
}

TEST(WalCrashTest, KillDuringAppends_AcknowledgedRecordsSurvive) {
  RunCrashCycles({.cycles = 70, .threads = 4, .segment_bytes = 0});
}

// Segments of 2 KiB hold a dozen records, so many kills land while a
// segment is being closed, created or its directory entry synced.
TEST(WalCrashTest, KillAroundSegmentRolls_AcknowledgedRecordsSurvive) {
  RunCrashCycles({.cycles = 70, .threads = 4, .segment_bytes = 2048});
}

// Records of up to 16 KiB span several pages, and the kernel may stop a write(2)
// between pages when SIGKILL arrives: this is how a plain kill leaves a
// real torn tail for recovery to cut off. It is rare (the summary line
// counts them), so the test cannot insist on one.
TEST(WalCrashTest, KillDuringLargeWrites_AcknowledgedRecordsSurvive) {
  RunCrashCycles(
      {.cycles = 30, .threads = 4, .segment_bytes = 1u << 20, .filler_spread = 16u << 10});
}

}  // namespace
}  // namespace dsc::crash
