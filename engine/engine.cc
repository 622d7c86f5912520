#include "engine/engine.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <system_error>
#include <utility>

#include "engine/rocksdb_status.h"

namespace dsc::engine {

namespace {

// The checkpoint's key in "meta". Its value is the LSN as 8 bytes,
// little-endian (the byte order of the WAL format).
constexpr std::string_view kAppliedLsnKey = "applied_lsn";
constexpr size_t kLsnBytes = 8;

std::string EncodeLsn(uint64_t lsn) {
  std::string out(kLsnBytes, '\0');
  for (size_t i = 0; i < kLsnBytes; ++i) out[i] = static_cast<char>((lsn >> (8 * i)) & 0xff);
  return out;
}

uint64_t DecodeLsn(std::string_view bytes) {
  uint64_t lsn = 0;
  for (size_t i = 0; i < kLsnBytes; ++i) {
    lsn |= uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
  }
  return lsn;
}

rocksdb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }
std::string_view ToView(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

Status ValidateColumnFamilies(const std::vector<std::string>& names) {
  std::set<std::string_view> seen;
  for (const std::string& name : names) {
    if (name.empty()) return Status::InvalidArgument("column family name is empty");
    if (name == kMetaColumnFamily || name == kDefaultColumnFamily) {
      return Status::InvalidArgument(
          fmt::format("column family name '{}' is reserved by the engine", name));
    }
    if (!seen.insert(name).second) {
      return Status::InvalidArgument(fmt::format("column family '{}' is listed twice", name));
    }
  }
  return Status::Ok();
}

// Updates `target` to max(target, value) without a lock.
void RaiseTo(std::atomic<uint64_t>& target, uint64_t value) {
  uint64_t current = target.load();
  while (current < value && !target.compare_exchange_weak(current, value)) {
  }
}

}  // namespace

struct Engine::Impl {
  std::string dir;
  EngineOptions options;

  // Owned; deleted in Close() after every handle is destroyed.
  rocksdb::DB* db = nullptr;
  // Every handle RocksDB opened (including "default" and unlisted column
  // families); each must be destroyed before the DB is closed.
  std::vector<rocksdb::ColumnFamilyHandle*> all_handles;
  // Tables by name, plus "meta". Point into all_handles.
  std::map<std::string, rocksdb::ColumnFamilyHandle*, std::less<>> tables;
  rocksdb::ColumnFamilyHandle* meta = nullptr;

  std::atomic<uint64_t> applied_lsn{0};
  std::atomic<uint64_t> durable_applied_lsn{0};

  // Serialises Apply (so the applied LSN only moves forward) and guards
  // `error`. RocksDB's own write path is short when its WAL is off.
  mutable std::mutex mutex;
  Status error;  // GUARDED_BY(mutex): OK, poisoned or closed

  // The column family for a table name, or InvalidArgument.
  Result<rocksdb::ColumnFamilyHandle*> Table(std::string_view name) const {
    auto it = tables.find(name);
    if (it == tables.end()) {
      return Status::InvalidArgument(fmt::format("unknown column family '{}' (tables: {})", name,
                                                 fmt::join(options.column_families, ", ")));
    }
    return it->second;
  }

  // Records the first failure; every later Apply and Flush returns it.
  Status PoisonLocked(const Status& cause) {  // with `mutex` held
    if (error.ok()) {
      error = Status::Poisoned(
          fmt::format("engine {}: {}; reopen it and replay the log", dir, cause.ToString()));
      spdlog::error("{}", error.message());
    }
    return error;
  }
  Status Poison(const Status& cause) {
    std::lock_guard lock(mutex);
    return PoisonLocked(cause);
  }
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Engine::~Engine() { (void)Close(); }

Result<std::unique_ptr<Engine>> Engine::Open(const std::string& dir, EngineOptions options) {
  DSC_RETURN_IF_ERROR(ValidateColumnFamilies(options.column_families));

  // A RocksDB database exists when its CURRENT file does.
  std::error_code ec;
  const bool exists = std::filesystem::exists(std::filesystem::path(dir) / "CURRENT", ec);
  if (!exists) {
    if (!options.create_if_missing) {
      return Status::NotFound(fmt::format("no engine database in {}", dir));
    }
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::IOError(fmt::format("create {}: {}", dir, ec.message()));
  }

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = true;
  // ANCHOR: atomic_flush
  // Without RocksDB's WAL, column families flushed one by one could leave
  // "tasks" on disk at LSN 100 and "meta" at LSN 50 (or the reverse, which
  // loses data). atomic_flush makes every flush, manual or automatic, cut
  // all column families at the same write, so the disk always holds one
  // consistent checkpoint.
  db_options.atomic_flush = true;
  // ANCHOR_END: atomic_flush
  // Close() decides itself whether to flush (flush_on_close).
  db_options.avoid_flush_during_shutdown = true;
  db_options.keep_log_file_num = 4;  // RocksDB's LOG files, not a WAL

  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.write_buffer_size = options.write_buffer_bytes;

  // RocksDB must open every column family that exists, listed or not.
  std::vector<std::string> names = {std::string(kDefaultColumnFamily),
                                    std::string(kMetaColumnFamily)};
  names.insert(names.end(), options.column_families.begin(), options.column_families.end());
  if (exists) {
    std::vector<std::string> on_disk;
    DSC_RETURN_IF_ERROR(FromRocksDb(rocksdb::DB::ListColumnFamilies(db_options, dir, &on_disk),
                                    "list column families of " + dir));
    for (const std::string& name : on_disk) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : names) descriptors.emplace_back(name, cf_options);

  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->options = std::move(options);
  DSC_RETURN_IF_ERROR(
      FromRocksDb(rocksdb::DB::Open(db_options, dir, descriptors, &impl->all_handles, &impl->db),
                  "open engine " + dir));
  // From here on the Engine owns the DB: its destructor closes it.
  std::unique_ptr<Engine> engine(new Engine(std::move(impl)));
  Impl& im = *engine->impl_;

  im.meta = im.all_handles[1];
  for (size_t i = 0; i < im.options.column_families.size(); ++i) {
    im.tables.emplace(im.options.column_families[i], im.all_handles[2 + i]);
  }

  std::string stored;
  rocksdb::Status s = im.db->Get(rocksdb::ReadOptions(), im.meta, ToSlice(kAppliedLsnKey), &stored);
  if (s.ok()) {
    if (stored.size() != kLsnBytes) {
      return Status::Corruption(
          fmt::format("engine {}: applied LSN checkpoint has {} bytes, want {}", dir, stored.size(),
                      kLsnBytes));
    }
    im.applied_lsn = DecodeLsn(stored);
  } else if (!s.IsNotFound()) {
    return FromRocksDb(s, "read applied LSN of " + dir);
  }
  // What Open found is on disk: without RocksDB's WAL only flushed state
  // survives, and with it RocksDB flushes what it recovered during Open.
  im.durable_applied_lsn = im.applied_lsn.load();

  spdlog::info("engine: opened {} (tables: {}; applied_lsn {}; rocksdb_wal {})", dir,
               fmt::join(im.options.column_families, ", "), im.applied_lsn.load(),
               im.options.rocksdb_wal ? "on" : "off");
  return engine;
}

Status Engine::health() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->error;
}

const std::string& Engine::dir() const { return impl_->dir; }

const std::vector<std::string>& Engine::column_families() const {
  return impl_->options.column_families;
}

uint64_t Engine::applied_lsn() const { return impl_->applied_lsn.load(); }

uint64_t Engine::durable_applied_lsn() const { return impl_->durable_applied_lsn.load(); }

Result<std::string> Engine::Get(std::string_view column_family, std::string_view key) const {
  if (impl_->db == nullptr) return Status::Unavailable("engine is closed");
  Result<rocksdb::ColumnFamilyHandle*> table = impl_->Table(column_family);
  if (!table.ok()) return table.status();
  std::string value;
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), *table, ToSlice(key), &value);
  if (s.IsNotFound()) {
    return Status::NotFound(fmt::format("no such key in '{}'", column_family));
  }
  if (!s.ok()) return FromRocksDb(s, fmt::format("get from '{}'", column_family));
  return value;
}

Result<std::string> Engine::Get(std::string_view column_family, std::string_view key,
                                const Batch& unapplied) const {
  // Check the column family first, so a typo fails the same way whether
  // or not the batch happens to hold the key.
  if (impl_->db == nullptr) return Status::Unavailable("engine is closed");
  if (Result<rocksdb::ColumnFamilyHandle*> table = impl_->Table(column_family); !table.ok()) {
    return table.status();
  }
  Batch::Lookup pending = unapplied.Find(column_family, key);
  switch (pending.state) {
    case Batch::Lookup::State::kPut:
      return *pending.value;
    case Batch::Lookup::State::kDeleted:
      return Status::NotFound(fmt::format("no such key in '{}'", column_family));
    case Batch::Lookup::State::kAbsent:
      break;
  }
  return Get(column_family, key);
}

Status Engine::Scan(std::string_view column_family, const KeyRange& range,
                    const ScanVisitor& visit) const {
  if (impl_->db == nullptr) return Status::Unavailable("engine is closed");
  Result<rocksdb::ColumnFamilyHandle*> table = impl_->Table(column_family);
  if (!table.ok()) return table.status();

  rocksdb::ReadOptions read_options;  // an iterator reads one implicit snapshot
  rocksdb::Slice upper_bound;         // must outlive the iterator
  if (range.end) {
    upper_bound = ToSlice(*range.end);
    read_options.iterate_upper_bound = &upper_bound;
  }
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(read_options, *table));
  for (it->Seek(ToSlice(range.start)); it->Valid(); it->Next()) {
    if (!visit(ToView(it->key()), ToView(it->value()))) break;
  }
  return FromRocksDb(it->status(), fmt::format("scan '{}'", column_family));
}

Status Engine::Apply(const Batch& batch, uint64_t applied_lsn) {
  Impl& im = *impl_;
  if (im.db == nullptr) return Status::Unavailable("engine is closed");

  // Resolve every column family before writing anything, so a bad name
  // leaves the state untouched.
  rocksdb::WriteBatch write;
  for (const Batch::Op& op : batch.ops()) {
    Result<rocksdb::ColumnFamilyHandle*> table = im.Table(op.column_family);
    if (!table.ok()) return table.status();
    rocksdb::Status s = op.kind == Batch::Op::Kind::kPut
                            ? write.Put(*table, ToSlice(op.key), ToSlice(op.value))
                            : write.Delete(*table, ToSlice(op.key));
    if (!s.ok()) return FromRocksDb(s, "build write batch");
  }
  // ANCHOR: apply_checkpoint
  // The checkpoint rides in the same WriteBatch: RocksDB applies a
  // WriteBatch atomically, so data and LSN can never be seen (or
  // recovered) apart.
  rocksdb::Status s = write.Put(im.meta, ToSlice(kAppliedLsnKey), ToSlice(EncodeLsn(applied_lsn)));
  if (!s.ok()) return FromRocksDb(s, "build write batch");

  std::lock_guard lock(im.mutex);
  if (!im.error.ok()) return im.error;
  const uint64_t current = im.applied_lsn.load();
  if (applied_lsn <= current) {
    return Status::InvalidArgument(
        fmt::format("applied LSN {} does not advance past {}", applied_lsn, current));
  }
  rocksdb::WriteOptions write_options;
  write_options.disableWAL = !im.options.rocksdb_wal;
  s = im.db->Write(write_options, &write);
  if (!s.ok()) {
    // Unknown what reached the memtable or the disk: stop writing until a
    // reopen and replay rebuild the truth.
    return im.PoisonLocked(FromRocksDb(s, fmt::format("apply up to LSN {}", applied_lsn)));
  }
  im.applied_lsn = applied_lsn;
  return Status::Ok();
}
// ANCHOR_END: apply_checkpoint

Result<uint64_t> Engine::Flush() {
  Impl& im = *impl_;
  if (im.db == nullptr) return Status::Unavailable("engine is closed");
  DSC_RETURN_IF_ERROR(health());

  // Read before flushing: every Apply up to here is in the memtables that
  // the flush below persists, so this LSN is covered once it succeeds.
  const uint64_t covered = im.applied_lsn.load();
  std::vector<rocksdb::ColumnFamilyHandle*> families = {im.meta};
  for (const auto& [name, handle] : im.tables) families.push_back(handle);
  rocksdb::FlushOptions flush_options;
  flush_options.wait = true;
  rocksdb::Status s = im.db->Flush(flush_options, families);
  if (!s.ok()) return im.Poison(FromRocksDb(s, "flush"));
  RaiseTo(im.durable_applied_lsn, covered);
  return im.durable_applied_lsn.load();
}

Status Engine::Close() {
  Impl& im = *impl_;
  if (im.db == nullptr) return Status::Ok();

  Status result;
  if (im.options.flush_on_close && health().ok()) {
    Result<uint64_t> flushed = Flush();
    if (!flushed.ok()) result = flushed.status();
  }
  // Handles first, then the DB; RocksDB asserts on the reverse order.
  for (rocksdb::ColumnFamilyHandle* handle : im.all_handles) {
    rocksdb::Status s = im.db->DestroyColumnFamilyHandle(handle);
    if (!s.ok() && result.ok()) result = FromRocksDb(s, "close column family");
  }
  im.all_handles.clear();
  im.tables.clear();
  im.meta = nullptr;
  // Close reports background errors (for instance after a failed write);
  // the DB object is deleted whatever it says.
  rocksdb::Status s = im.db->Close();
  if (!s.ok() && result.ok()) result = FromRocksDb(s, "close engine " + im.dir);
  delete im.db;
  im.db = nullptr;

  std::lock_guard lock(im.mutex);
  if (im.error.ok()) im.error = Status::Unavailable("engine is closed");
  return result;
}

}  // namespace dsc::engine
