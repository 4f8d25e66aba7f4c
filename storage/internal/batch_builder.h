// Builds the one rocksdb::WriteBatch of a group commit.
//
// The committing appender adds the queued requests one by one. Each is
// checked against the committed state overlaid with the requests already
// added, so two appends to one stream in one batch see each other, and a
// request that fails leaves the batch as it was. The batch then holds every
// record, stream index entry, stream head, idempotency record and the log
// head (FORMAT.md), to be written at once.
#ifndef EHCP_STORAGE_INTERNAL_BATCH_BUILDER_H_
#define EHCP_STORAGE_INTERNAL_BATCH_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/event_log.h"
#include "storage/internal/format.h"

namespace ehcp::storage {

// The handles of the log's column families; owned by the EventLogImpl.
struct ColumnFamilies {
  rocksdb::ColumnFamilyHandle* log = nullptr;
  rocksdb::ColumnFamilyHandle* streams = nullptr;
  rocksdb::ColumnFamilyHandle* heads = nullptr;
  rocksdb::ColumnFamilyHandle* idempotency = nullptr;
  rocksdb::ColumnFamilyHandle* meta = nullptr;
};

// What is already committed, as the builder needs it.
class CommittedState {
 public:
  virtual ~CommittedState() = default;
  // The stream's committed version, 0 if none; an error status on I/O error.
  virtual absl::StatusOr<uint64_t> CommittedVersion(
      std::string_view stream_id) = 0;
  // The committed idempotency record under `key` (format::IdempotencyKey),
  // nullopt if none; an error status on I/O error or corruption.
  virtual absl::StatusOr<std::optional<format::IdempotencyEntry>>
  CommittedIdempotency(std::string_view key) = 0;
};

// Replays a stored idempotency record for a request with `digest`:
// the stored result with replayed=true, or INVALID_ARGUMENT if the key was
// used for a request with another digest.
absl::StatusOr<AppendResult> Replay(const format::IdempotencyEntry& entry,
                                    std::string_view stream_id,
                                    std::string_view key,
                                    std::string_view digest);

// Single use, by one thread.
class BatchBuilder {
 public:
  // Builds on `head`, the last committed record; every record of the batch
  // gets `recorded_at_micros`, which must not be below
  // head.recorded_at_micros. `committed` must outlive the builder.
  BatchBuilder(const ColumnFamilies& families, const format::LogHead& head,
               int64_t recorded_at_micros, CommittedState* committed);

  BatchBuilder(const BatchBuilder&) = delete;
  BatchBuilder& operator=(const BatchBuilder&) = delete;

  // Checks a validated request and, if it is to be written, adds its writes.
  // Returns its result once the batch is written; replayed=true (nothing
  // added) for a retry of an append committed earlier or added earlier to
  // this batch; INVALID_ARGUMENT for a known key with another digest;
  // ABORTED for a version mismatch; the committed state's error on I/O
  // error. Only a returned result with replayed=false added anything.
  absl::StatusOr<AppendResult> Add(const AppendRequest& request);

  // True if no request has added writes.
  bool empty() const { return appends_ == 0; }

  // Adds the stream heads and the log head, and returns the batch to write.
  // Call once, after the last Add, and only if !empty().
  rocksdb::WriteBatch* Finish();

  // The log head after the batch (the input head while empty()).
  const format::LogHead& head() const { return head_; }
  // stream_id -> version after the batch, for each stream it writes.
  const absl::flat_hash_map<std::string, uint64_t>& stream_versions() const {
    return versions_;
  }
  size_t appends() const { return appends_; }
  size_t records() const { return records_; }

 private:
  const ColumnFamilies families_;
  CommittedState* const committed_;
  const int64_t recorded_at_micros_;
  format::LogHead head_;
  rocksdb::WriteBatch batch_;
  // Overlay of the requests added so far.
  absl::flat_hash_map<std::string, uint64_t> versions_;
  absl::flat_hash_map<std::string, format::IdempotencyEntry> idempotency_;
  size_t appends_ = 0;
  size_t records_ = 0;
  std::string key_buffer_;
  std::string value_buffer_;
};

}  // namespace ehcp::storage

#endif  // EHCP_STORAGE_INTERNAL_BATCH_BUILDER_H_
