#include "engine/rocksdb_status.h"

#include <string>

namespace dsc::engine {

Status FromRocksDb(const rocksdb::Status& status, std::string_view context) {
  if (status.ok()) return Status::Ok();
  const std::string message = std::string(context) + ": " + status.ToString();
  if (status.IsNotFound()) return Status::NotFound(message);
  if (status.IsCorruption()) return Status::Corruption(message);
  if (status.IsInvalidArgument()) return Status::InvalidArgument(message);
  if (status.IsBusy() || status.IsTryAgain() || status.IsTimedOut()) return Status::Busy(message);
  if (status.IsShutdownInProgress()) return Status::Unavailable(message);
  // IOError, NoSpace, Aborted, Incomplete, ...: the storage refused.
  return Status::IOError(message);
}

}  // namespace dsc::engine
