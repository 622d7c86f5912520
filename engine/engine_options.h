// EngineOptions: how an Engine opens its RocksDB directory.
//
// Every field says its default and what a crash does with it. The one
// that matters most is `rocksdb_wal`; read its comment before changing it.
//
// Thread-safety: a plain value; copy it freely.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace dsc::engine {

struct EngineOptions {
  // The system's tables, one RocksDB column family each (e.g. {"tasks"}).
  // Missing ones are created on Open. Names must be non-empty and unique;
  // "meta" and "default" are reserved (Engine keeps its applied-LSN
  // checkpoint in "meta"; RocksDB owns "default"). Column families that
  // exist on disk but are not listed are opened (RocksDB insists) and left
  // untouched; they are not reachable through the Engine.
  std::vector<std::string> column_families;

  // Whether RocksDB writes its own write-ahead log. Default: false.
  //
  // Why off is safe: our wal::Log is the source of truth. Every Apply
  // writes the data and the LSN it reached in one atomic batch, and on
  // start ReplayLog re-applies the log from applied_lsn() + 1. A kill -9
  // loses only RocksDB's memtable (the SST files on disk stay consistent,
  // and "meta" goes down with the data it describes because Engine sets
  // RocksDB's atomic_flush), so the state on disk is some earlier,
  // consistent checkpoint and replay rebuilds the rest. Writing a second
  // log would buy nothing but a second fsync-free copy of the same bytes.
  //
  // The one rule it needs: a prefix of our wal::Log may be dropped only
  // once the state covering it is durably on disk, that is up to the LSN
  // Engine::Flush() returns (durable_applied_lsn()). Records after that
  // LSN may exist only in the memtable and must stay replayable.
  //
  // On: every Apply also goes to RocksDB's WAL (not fsynced), so a
  // kill -9 of the process loses nothing that was applied, only a power
  // loss can; replay then has less to do. The rule above still holds.
  bool rocksdb_wal = false;

  // Whether closing the Engine flushes the memtables first. Default: true,
  // so a clean shutdown leaves nothing to replay. Tests set it to false to
  // simulate a kill -9 (the memtable is thrown away, as a crash would) when
  // rocksdb_wal is off.
  bool flush_on_close = true;

  // Create the directory and database if absent. Default: true. With
  // false, Open of a missing database fails with NotFound.
  bool create_if_missing = true;

  // Size of one memtable per column family before RocksDB flushes it by
  // itself. Default 64 MiB (RocksDB's). Larger means less flushing and
  // more to replay after a crash when rocksdb_wal is off.
  size_t write_buffer_bytes = 64u << 20;
};

}  // namespace dsc::engine
