// The on-disk layout of the event log: column families, keys and value
// codecs. storage/FORMAT.md is the prose specification with a worked
// example; keep the two in step. Internal to storage/ and its tests. BE64
// is common/big_endian.h; the format version is read and written by
// storage/rocksdb_db.h (under kFormatVersionKey).
//
//   log          BE64(position)                       -> LogRecord
//   streams      stream_id 0x00 BE64(version)         -> BE64(position)
//   heads        stream_id                            -> BE64(version)
//   idempotency  stream_id 0x00 key                   -> IdempotencyRecord
//   meta         "format_version"                     -> BE64(kFormatVersion)
//                "head"                               -> LogHead
#ifndef EHCP_STORAGE_INTERNAL_FORMAT_H_
#define EHCP_STORAGE_INTERNAL_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/big_endian.h"
#include "storage/event_log.h"

namespace ehcp::storage::format {

// Bumped for any incompatible change; Open refuses other versions.
inline constexpr uint64_t kFormatVersion = 1;

// Column family names, in the order Open passes them to RocksDB.
inline constexpr char kLogFamily[] = "log";
inline constexpr char kStreamsFamily[] = "streams";
inline constexpr char kHeadsFamily[] = "heads";
inline constexpr char kIdempotencyFamily[] = "idempotency";
inline constexpr char kMetaFamily[] = "meta";

inline constexpr char kHeadKey[] = "head";

inline constexpr size_t kHashSize = 32;  // SHA-256.

// The prev_hash of position 1: kHashSize zero bytes.
const std::string& ZeroHash();

// log: BE64(position).
std::string LogKey(uint64_t position);
// streams: stream_id 0x00 (the prefix of every key of the stream) …
std::string StreamIndexPrefix(std::string_view stream_id);
// … followed by BE64(version).
std::string StreamIndexKey(std::string_view stream_id, uint64_t version);
// idempotency: stream_id 0x00 key.
std::string IdempotencyKey(std::string_view stream_id, std::string_view key);

// The fields of a LogRecord value that a reader needs, decoded.
struct DecodedRecord {
  Record record;          // record.hash is the SHA-256 of `bytes`.
  std::string prev_hash;  // kHashSize bytes.
};

// Serializes a log record value (a LogRecord message) into *out.
void EncodeLogRecord(uint64_t position, std::string_view stream_id,
                     uint64_t version, int64_t recorded_at_micros,
                     std::string_view type, std::string_view data,
                     std::string_view prev_hash, std::string* out);

// Decodes the value stored under LogKey(position). DATA_LOSS naming the
// position if it does not parse, names another position, or has a malformed
// prev_hash.
absl::StatusOr<DecodedRecord> DecodeLogRecord(uint64_t position,
                                              std::string_view bytes);

// The stored log head: the last record's position and hash.
struct LogHead {
  uint64_t position = 0;
  std::string hash = ZeroHash();
  int64_t recorded_at_micros = 0;
};
std::string EncodeLogHead(const LogHead& head);
absl::StatusOr<LogHead> DecodeLogHead(std::string_view bytes);

// An idempotency record: the request digest and the first result.
struct IdempotencyEntry {
  std::string request_digest;
  AppendResult result;  // replayed is not stored.
};
std::string EncodeIdempotency(const IdempotencyEntry& entry);
absl::StatusOr<IdempotencyEntry> DecodeIdempotency(std::string_view bytes);

}  // namespace ehcp::storage::format

#endif  // EHCP_STORAGE_INTERNAL_FORMAT_H_
