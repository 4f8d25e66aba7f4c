// The one place rocksdb::Status becomes absl::Status.
#ifndef EHCP_STORAGE_ROCKSDB_STATUS_H_
#define EHCP_STORAGE_ROCKSDB_STATUS_H_

#include <string_view>

#include "absl/status/status.h"
#include "rocksdb/status.h"

namespace ehcp::storage {

// Converts `status`, prefixing its message with `context` ("read log"), and
// choosing the code by what the caller should do next:
//   OK -> OK; NotFound -> NOT_FOUND; Corruption -> DATA_LOSS;
//   IOError with no space -> RESOURCE_EXHAUSTED; other IOError, Busy,
//   TimedOut, TryAgain, Incomplete, ShutdownInProgress -> UNAVAILABLE;
//   InvalidArgument, NotSupported -> FAILED_PRECONDITION (the database's
//   state or options do not allow it); Aborted -> ABORTED; others INTERNAL.
absl::Status FromRocksDb(const rocksdb::Status& status,
                         std::string_view context);

}  // namespace ehcp::storage

#endif  // EHCP_STORAGE_ROCKSDB_STATUS_H_
