// The one place rocksdb::Status becomes absl::Status, for the event log and
// the clock index alike (storage/rocksdb_db.h opens their databases).
#ifndef EHCP_STORAGE_ROCKSDB_STATUS_H_
#define EHCP_STORAGE_ROCKSDB_STATUS_H_

#include <string_view>

#include "absl/status/status.h"
#include "rocksdb/status.h"

namespace ehcp::storage {

// Converts `status`, prefixing its message with `context`: the caller's
// name, then what it was doing ("event log: read log", "clock index: scan"
// give "clock index: scan: <RocksDB's message>"). The code is chosen by
// what the caller should do next:
//   OK -> OK; NotFound -> NOT_FOUND; Corruption -> DATA_LOSS;
//   IOError with no space -> RESOURCE_EXHAUSTED; other IOError, Busy,
//   TimedOut, TryAgain, Incomplete, ShutdownInProgress -> UNAVAILABLE;
//   InvalidArgument, NotSupported -> FAILED_PRECONDITION (the database's
//   state or options do not allow it); Aborted -> ABORTED; others INTERNAL.
absl::Status FromRocksDb(const rocksdb::Status& status,
                         std::string_view context);

}  // namespace ehcp::storage

#endif  // EHCP_STORAGE_ROCKSDB_STATUS_H_
