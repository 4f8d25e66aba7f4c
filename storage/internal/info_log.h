// RocksDB's informational log (the LOG file of a database directory),
// written so that it can never take the process down.
//
// RocksDB's own LOG writer, in Debian's librocksdb 7.8, asserts when it is
// used again after a failed write: on a full disk the first line it cannot
// write is followed by SIGABRT, at the next line, at shutdown, or at the
// next start on the still-full disk. This logger writes each line with one
// write(2) to `dir`/LOG (appended; moved to LOG.old beyond 16 MiB) and
// ignores every failure: the LOG is for operators, never for durability,
// and losing a line of it is not losing anything acknowledged.
//
//   rocksdb::DBOptions options;
//   options.info_log = NewInfoLog(dir);
//
// Thread safety: RocksDB calls Logv from many threads; it is safe to.
#ifndef EHCP_STORAGE_INTERNAL_INFO_LOG_H_
#define EHCP_STORAGE_INTERNAL_INFO_LOG_H_

#include <memory>
#include <string>

#include "rocksdb/env.h"

namespace ehcp::storage {

// The LOG file grows to this many bytes before it is moved to LOG.old.
inline constexpr uint64_t kInfoLogMaxBytes = 16 << 20;

// A logger of `dir`/LOG at INFO level and above. The file is opened at the
// first line (RocksDB creates `dir` when it opens a new database).
std::shared_ptr<rocksdb::Logger> NewInfoLog(const std::string& dir);

}  // namespace ehcp::storage

#endif  // EHCP_STORAGE_INTERNAL_INFO_LOG_H_
