// Engine: the state a system materialises from its write-ahead log, kept
// in RocksDB, one column family per table.
//
//   EngineOptions options;
//   options.column_families = {"tasks"};
//   auto engine = Engine::Open("data/state", options);
//   ReplayLog(*log, **engine, apply);          // catch up (replay.h)
//   ...
//   Batch batch;                               // for each new record:
//   batch.Put("tasks", id, json);
//   (*engine)->Apply(batch, lsn);              // data + LSN, atomically
//   ...
//   auto covered = (*engine)->Flush();         // durably on disk up to...
//   log->DropPrefix(*covered + 1);             // ...so the log may forget it
//
// The checkpoint. Every Apply writes its operations AND the LSN the state
// now reflects (applied_lsn) into the internal "meta" column family in ONE
// atomic RocksDB write. A crash therefore never separates the two: after
// any crash, the state on disk is exactly the fold of records 1..L for the
// L it records, and replaying the log from L + 1 brings it up to date.
// That is what makes replay idempotent. Whether a crash can lose recent
// Applies (and so what replay must redo) depends on
// EngineOptions::rocksdb_wal; Flush() tells which LSN is safe on disk.
//
// Errors: expected failures are Status values. A failed Apply or Flush
// poisons the Engine: every later Apply and Flush fails with Poisoned,
// because after a failed write nobody knows what reached the disk. Reads
// keep working. The cure is to reopen and replay. Closing or destroying a
// poisoned Engine is safe (it skips the flush; replay redoes the work).
//
// RocksDB stays behind this header (pimpl): systems see only Status,
// strings, Batch and KeyRange.
//
// Thread-safety: Get, Scan, Apply, Flush and the accessors may be called
// from many threads at once. Apply calls are serialised internally (one
// applied LSN sequence); reads never wait for them. Close() and the
// destructor must not run concurrently with any other call.
// Lifetime: strings passed to a ScanVisitor are valid only during that call.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/batch.h"
#include "engine/engine_options.h"
#include "engine/key_range.h"

namespace dsc::engine {

// Reserved column family names (see EngineOptions::column_families).
inline constexpr std::string_view kMetaColumnFamily = "meta";
inline constexpr std::string_view kDefaultColumnFamily = "default";

// Called once per key in key order; return false to stop the scan.
using ScanVisitor = std::function<bool(std::string_view key, std::string_view value)>;

class Engine {
 public:
  // Opens (creating if needed, see EngineOptions) the database in `dir`
  // and its column families. InvalidArgument for a bad column family list;
  // Corruption if the stored checkpoint is unreadable; IOError if RocksDB
  // cannot open the directory (for instance another process holds it).
  static Result<std::unique_ptr<Engine>> Open(const std::string& dir, EngineOptions options);

  ~Engine();  // Close()s, ignoring the status.
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // --- reads ---------------------------------------------------------------

  // The value of `key`, NotFound if absent, InvalidArgument for a column
  // family that is not one of the tables.
  Result<std::string> Get(std::string_view column_family, std::string_view key) const;
  // As above, but first consults `unapplied`: a key it puts or deletes is
  // answered from the batch. An Applier that reads before it writes uses
  // this to see the records before it in the same replay chunk.
  Result<std::string> Get(std::string_view column_family, std::string_view key,
                          const Batch& unapplied) const;

  // Visits the keys of `range` in order, on a consistent snapshot of the
  // column family. Stops early when `visit` returns false (still OK).
  Status Scan(std::string_view column_family, const KeyRange& range,
              const ScanVisitor& visit) const;

  // The LSN of the last record the state reflects; 0 before the first Apply.
  uint64_t applied_lsn() const;

  // --- writes --------------------------------------------------------------

  // Writes every operation of `batch` and records `applied_lsn` as the new
  // checkpoint, all in one atomic write: after a crash either all of it or
  // none of it is there. InvalidArgument, writing nothing, when
  // `applied_lsn` <= applied_lsn() or an operation names an unknown column
  // family. An empty batch just advances the checkpoint.
  Status Apply(const Batch& batch, uint64_t applied_lsn);

  // Flushes every memtable to disk atomically (all column families, so the
  // data and its "meta" checkpoint land together) and waits for it. Returns
  // the LSN the on-disk state now covers: it is safe to call
  // wal::Log::DropPrefix(lsn + 1) afterwards. Applies racing with Flush may
  // or may not be included; the returned LSN is a safe lower bound.
  Result<uint64_t> Flush();

  // The LSN covered by state known to be durably on disk: applied_lsn() as
  // found at Open, then raised by each successful Flush(). RocksDB may
  // flush more on its own; this stays a safe lower bound.
  uint64_t durable_applied_lsn() const;

  // --- lifecycle -----------------------------------------------------------

  // Flushes (if EngineOptions::flush_on_close and the Engine is healthy),
  // then closes RocksDB. Later calls fail with Unavailable. Idempotent.
  Status Close();

  // OK, or why the Engine is poisoned or closed.
  Status health() const;

  const std::string& dir() const;
  // The tables, as given in EngineOptions (without "meta").
  const std::vector<std::string>& column_families() const;

 private:
  struct Impl;  // holds every RocksDB type (engine.cc)
  explicit Engine(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace dsc::engine
