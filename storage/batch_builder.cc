#include "storage/internal/batch_builder.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/absl_string_view.h"
#include "storage/hash.h"

namespace ehcp::storage {

BatchBuilder::BatchBuilder(const ColumnFamilies& families,
                           const format::LogHead& head,
                           int64_t recorded_at_micros,
                           CommittedState* committed)
    : families_(families),
      committed_(committed),
      recorded_at_micros_(recorded_at_micros),
      head_(head) {}

absl::StatusOr<AppendResult> Replay(const format::IdempotencyEntry& entry,
                                    std::string_view stream_id,
                                    std::string_view key,
                                    std::string_view digest) {
  if (entry.request_digest != digest) {
    return absl::InvalidArgumentError(absl::StrCat(
        "stream ", ToAbsl(stream_id), ": idempotency key \"",
        absl::CHexEscape(ToAbsl(key)),
        "\" was used for a different request (request digests differ)"));
  }
  AppendResult result = entry.result;
  result.replayed = true;
  return result;
}

absl::StatusOr<AppendResult> BatchBuilder::Add(const AppendRequest& request) {
  // Idempotency first: a retry replays even if the stream has moved on.
  std::string idempotency_key;
  if (!request.idempotency_key.empty()) {
    idempotency_key =
        format::IdempotencyKey(request.stream_id, request.idempotency_key);
    if (auto it = idempotency_.find(idempotency_key);
        it != idempotency_.end()) {
      return Replay(it->second, request.stream_id, request.idempotency_key,
                    request.request_digest);
    }
    EHCP_ASSIGN_OR_RETURN(std::optional<format::IdempotencyEntry> entry,
                          committed_->CommittedIdempotency(idempotency_key));
    if (entry.has_value()) {
      return Replay(*entry, request.stream_id, request.idempotency_key,
                    request.request_digest);
    }
  }

  auto version_it = versions_.find(request.stream_id);
  uint64_t version;
  if (version_it != versions_.end()) {
    version = version_it->second;
  } else {
    EHCP_ASSIGN_OR_RETURN(version,
                          committed_->CommittedVersion(request.stream_id));
  }
  if (!request.expected.Matches(version)) {
    return absl::AbortedError(absl::StrCat(
        "stream ", request.stream_id, ": expected ",
        request.expected.ToString(), ", actual version ", version));
  }

  AppendResult result;
  result.first_version = version + 1;
  result.first_position = head_.position + 1;
  result.recorded_at_micros = recorded_at_micros_;
  for (const NewRecord& record : request.records) {
    ++version;
    ++head_.position;
    format::EncodeLogRecord(head_.position, request.stream_id, version,
                            recorded_at_micros_, record.type, record.data,
                            head_.hash, &value_buffer_);
    head_.hash = Sha256(value_buffer_);
    key_buffer_.clear();
    PutBigEndian64(&key_buffer_, head_.position);
    batch_.Put(families_.log, key_buffer_, value_buffer_);
    const std::string position_value = std::move(key_buffer_);
    key_buffer_ = format::StreamIndexKey(request.stream_id, version);
    batch_.Put(families_.streams, key_buffer_, position_value);
  }
  head_.recorded_at_micros = recorded_at_micros_;
  result.last_version = version;
  result.last_position = head_.position;

  if (version_it != versions_.end()) {
    version_it->second = version;
  } else {
    versions_.emplace(request.stream_id, version);
  }
  if (!idempotency_key.empty()) {
    format::IdempotencyEntry entry{request.request_digest, result};
    batch_.Put(families_.idempotency, idempotency_key,
               format::EncodeIdempotency(entry));
    idempotency_.emplace(std::move(idempotency_key), std::move(entry));
  }
  ++appends_;
  records_ += request.records.size();
  return result;
}

rocksdb::WriteBatch* BatchBuilder::Finish() {
  for (const auto& [stream_id, version] : versions_) {
    batch_.Put(families_.heads, stream_id, BigEndian64(version));
  }
  batch_.Put(families_.meta, format::kHeadKey, format::EncodeLogHead(head_));
  return &batch_;
}

}  // namespace ehcp::storage
