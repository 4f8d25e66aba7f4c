// EventLogImpl: reads and hash-chain verification. Reads run concurrently
// with commits and with each other; they see only positions up to the
// published head, so a reader never sees position N+1 before N.
#include <algorithm>
#include <limits>
#include <memory>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "rocksdb/iterator.h"
#include "storage/absl_string_view.h"
#include "storage/hash.h"
#include "storage/internal/event_log_impl.h"
#include "storage/internal/request_validation.h"
#include "storage/rocksdb_status.h"

namespace ehcp::storage {
namespace {

size_t PageSize(size_t max_count) {
  if (max_count == 0) return kDefaultPageSize;
  return std::min(max_count, kMaxPageSize);
}

absl::Status ChainBroken(uint64_t position, std::string_view what) {
  return absl::DataLossError(absl::StrCat("hash chain broken at position ",
                                          position, ": ", ToAbsl(what)));
}

// Prefixes a decode error (which begins "position N: ") for VerifyChain.
absl::Status ChainBroken(const absl::Status& decode_error) {
  return absl::DataLossError(
      absl::StrCat("hash chain broken at ", decode_error.message()));
}

// A record whose stored bytes do not hash to what its successor (or the log
// head) records for it: served by no read.
absl::Status Altered(uint64_t position) {
  return absl::DataLossError(absl::StrCat(
      "position ", position,
      ": its stored bytes do not match the hash the log keeps for them (the "
      "record, or the one after it, was altered; `ehcpctl verify` names the "
      "first bad position)"));
}

}  // namespace

absl::StatusOr<std::optional<std::string>> EventLogImpl::Get(
    rocksdb::ColumnFamilyHandle* family, std::string_view key,
    std::string_view context, const rocksdb::Snapshot* snapshot) const {
  rocksdb::ReadOptions read_options;
  read_options.snapshot = snapshot;
  std::string value;
  rocksdb::Status status = db_->Get(read_options, family, key, &value);
  if (status.IsNotFound()) return std::nullopt;
  EHCP_RETURN_IF_ERROR(FromRocksDb(status, context));
  return value;
}

absl::StatusOr<uint64_t> EventLogImpl::ReadStreamVersion(
    std::string_view stream_id) const {
  EHCP_ASSIGN_OR_RETURN(
      std::optional<std::string> value,
      Get(families_.heads, stream_id, "event log: read stream head"));
  if (!value.has_value()) return 0;
  return DecodeBigEndian64(
      *value, absl::StrCat("stream ", ToAbsl(stream_id), ": head"));
}

absl::StatusOr<uint64_t> EventLogImpl::StreamVersion(
    std::string_view stream_id) const {
  EHCP_RETURN_IF_ERROR(ValidateStreamId(stream_id));
  absl::ReaderMutexLock db_lock(&db_mu_);
  if (db_ == nullptr) return ClosedError();
  {
    absl::ReaderMutexLock lock(&cache_mu_);
    if (auto it = stream_versions_.find(ToAbsl(stream_id));
        it != stream_versions_.end()) {
      return it->second;
    }
  }
  return ReadStreamVersion(stream_id);
}

absl::StatusOr<std::optional<AppendResult>> EventLogImpl::LookupIdempotency(
    std::string_view stream_id, std::string_view key,
    std::string_view digest) const {
  EHCP_RETURN_IF_ERROR(ValidateStreamId(stream_id));
  EHCP_RETURN_IF_ERROR(ValidateIdempotencyKey(key));
  absl::ReaderMutexLock db_lock(&db_mu_);
  if (db_ == nullptr) return ClosedError();
  EHCP_ASSIGN_OR_RETURN(
      std::optional<std::string> value,
      Get(families_.idempotency, format::IdempotencyKey(stream_id, key),
          "event log: read idempotency record"));
  if (!value.has_value()) return std::nullopt;
  EHCP_ASSIGN_OR_RETURN(format::IdempotencyEntry entry,
                        format::DecodeIdempotency(*value));
  EHCP_ASSIGN_OR_RETURN(AppendResult result,
                        Replay(entry, stream_id, key, digest));
  return result;
}

absl::StatusOr<std::vector<Record>> EventLogImpl::ReadStream(
    std::string_view stream_id, uint64_t from_version, Direction direction,
    size_t max_count) const {
  EHCP_RETURN_IF_ERROR(ValidateStreamId(stream_id));
  const size_t limit = PageSize(max_count);
  absl::ReaderMutexLock db_lock(&db_mu_);
  if (db_ == nullptr) return ClosedError();
  const uint64_t head = HeadPosition();

  // Versions and positions from the stream index.
  const std::string prefix = format::StreamIndexPrefix(stream_id);
  std::vector<uint64_t> versions;
  std::vector<uint64_t> positions;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), families_.streams));
  const bool forwards = direction == Direction::kForwards;
  if (forwards) {
    it->Seek(
        format::StreamIndexKey(stream_id, std::max<uint64_t>(from_version, 1)));
  } else {
    it->SeekForPrev(format::StreamIndexKey(
        stream_id, from_version == 0 ? std::numeric_limits<uint64_t>::max()
                                     : from_version));
  }
  for (; it->Valid() && versions.size() < limit;
       forwards ? it->Next() : it->Prev()) {
    const std::string_view key = it->key().ToStringView();
    if (key.size() != prefix.size() + 8 ||
        key.substr(0, prefix.size()) != prefix) {
      break;  // Another stream's keys (shorter ids sort before the 0x00).
    }
    EHCP_ASSIGN_OR_RETURN(
        uint64_t version,
        DecodeBigEndian64(key.substr(prefix.size()), "stream index key"));
    EHCP_ASSIGN_OR_RETURN(
        uint64_t position,
        DecodeBigEndian64(it->value().ToStringView(),
                          absl::StrCat("stream ", ToAbsl(stream_id),
                                       " version ", version, ": index")));
    // Written but not yet published: later versions are later positions.
    if (position > head) {
      if (forwards) break;
      continue;
    }
    versions.push_back(version);
    positions.push_back(position);
  }
  EHCP_RETURN_IF_ERROR(
      FromRocksDb(it->status(), "event log: scan stream index"));
  return ReadPositions(stream_id, versions, positions);
}

absl::Status EventLogImpl::CheckWitnesses(
    const std::vector<Record>& records,
    const std::vector<std::optional<std::string>>& witnesses) const {
  for (size_t i = 0; i < records.size(); ++i) {
    std::string witness;
    if (witnesses[i].has_value()) {
      witness = *witnesses[i];
    } else {
      EHCP_ASSIGN_OR_RETURN(witness,
                            SuccessorWitness(records[i].position, nullptr));
    }
    if (witness != records[i].hash) return Altered(records[i].position);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Record>> EventLogImpl::ReadPositions(
    std::string_view stream_id, const std::vector<uint64_t>& versions,
    const std::vector<uint64_t>& positions) const {
  // Each record, and the record after it (whose prev_hash witnesses the
  // record's bytes). Without a snapshot (releasing one can start a
  // compaction): records never change once written, and a successor
  // missing here is looked for again by SuccessorWitness.
  std::vector<std::string> keys;
  keys.reserve(2 * positions.size());
  for (uint64_t position : positions) keys.push_back(format::LogKey(position));
  for (uint64_t position : positions) {
    keys.push_back(format::LogKey(position + 1));
  }
  std::vector<rocksdb::Slice> key_slices(keys.begin(), keys.end());
  std::vector<rocksdb::ColumnFamilyHandle*> families(keys.size(),
                                                     families_.log);
  std::vector<std::string> values;
  std::vector<rocksdb::Status> statuses =
      db_->MultiGet(rocksdb::ReadOptions(), families, key_slices, &values);

  std::vector<Record> records;
  records.reserve(positions.size());
  for (size_t i = 0; i < positions.size(); ++i) {
    if (statuses[i].IsNotFound()) {
      return absl::DataLossError(absl::StrCat(
          "stream ", ToAbsl(stream_id), " version ", versions[i], ": position ",
          positions[i], " is missing from the log"));
    }
    EHCP_RETURN_IF_ERROR(FromRocksDb(statuses[i], "event log: read log"));
    EHCP_ASSIGN_OR_RETURN(format::DecodedRecord decoded,
                          format::DecodeLogRecord(positions[i], values[i]));
    if (decoded.record.stream_id != stream_id ||
        decoded.record.version != versions[i]) {
      return absl::DataLossError(
          absl::StrCat("position ", positions[i], ": holds stream ",
                       decoded.record.stream_id, " version ",
                       decoded.record.version, " but the index expects stream ",
                       ToAbsl(stream_id), " version ", versions[i]));
    }
    records.push_back(std::move(decoded.record));
  }
  std::vector<std::optional<std::string>> witnesses(positions.size());
  for (size_t i = 0; i < positions.size(); ++i) {
    const size_t j = positions.size() + i;
    if (statuses[j].IsNotFound()) continue;  // The last: the head witnesses.
    EHCP_RETURN_IF_ERROR(FromRocksDb(statuses[j], "event log: read log"));
    absl::StatusOr<format::DecodedRecord> next =
        format::DecodeLogRecord(positions[i] + 1, values[j]);
    if (!next.ok()) return next.status();
    witnesses[i] = std::move(next->prev_hash);
  }
  EHCP_RETURN_IF_ERROR(CheckWitnesses(records, witnesses));
  return records;
}

absl::StatusOr<std::vector<Record>> EventLogImpl::ReadAll(
    uint64_t from_position, size_t max_count) const {
  return ReadRange(from_position, max_count, nullptr);
}

absl::StatusOr<std::vector<StoredRecord>> EventLogImpl::ReadStored(
    uint64_t from_position, size_t max_count) const {
  std::vector<StoredRecord> stored;
  EHCP_ASSIGN_OR_RETURN(std::vector<Record> records,
                        ReadRange(from_position, max_count, &stored));
  for (size_t i = 0; i < records.size(); ++i) {
    stored[i].record = std::move(records[i]);
  }
  return stored;
}

absl::StatusOr<std::vector<Record>> EventLogImpl::ReadRange(
    uint64_t from_position, size_t max_count,
    std::vector<StoredRecord>* stored) const {
  const size_t limit = PageSize(max_count);
  absl::ReaderMutexLock db_lock(&db_mu_);
  if (db_ == nullptr) return ClosedError();
  const uint64_t head = HeadPosition();
  const uint64_t from = std::max<uint64_t>(from_position, 1);
  std::vector<Record> records;
  if (from > head) return records;
  const uint64_t last = std::min<uint64_t>(head, from + limit - 1);

  // The page and the record after it: each record's bytes are witnessed
  // by the prev_hash of the next one.
  const std::string upper = format::LogKey(last + 2);
  const rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(read_options, families_.log));
  std::vector<std::optional<std::string>> witnesses;
  uint64_t expected = from;
  for (it->Seek(format::LogKey(from)); it->Valid(); it->Next(), ++expected) {
    EHCP_ASSIGN_OR_RETURN(
        uint64_t position,
        DecodeBigEndian64(it->key().ToStringView(), "log key"));
    if (position != expected) break;
    EHCP_ASSIGN_OR_RETURN(
        format::DecodedRecord decoded,
        format::DecodeLogRecord(position, it->value().ToStringView()));
    if (position <= last && stored != nullptr) {
      stored->push_back(StoredRecord{Record(), decoded.prev_hash,
                                     std::string(it->value().ToStringView())});
    }
    if (!witnesses.empty()) witnesses.back() = std::move(decoded.prev_hash);
    if (position > last) break;  // Only the witness of the page's last.
    records.push_back(std::move(decoded.record));
    witnesses.emplace_back();
  }
  EHCP_RETURN_IF_ERROR(FromRocksDb(it->status(), "event log: scan log"));
  if (expected <= last) {
    return absl::DataLossError(
        absl::StrCat("position ", expected, ": missing from the log"));
  }
  EHCP_RETURN_IF_ERROR(CheckWitnesses(records, witnesses));
  return records;
}

absl::StatusOr<std::string> EventLogImpl::SuccessorWitness(
    uint64_t position, const rocksdb::Snapshot* snapshot) const {
  // The prev_hash of the record after `position`, if it is there.
  auto next_prev_hash = [&]() -> absl::StatusOr<std::optional<std::string>> {
    EHCP_ASSIGN_OR_RETURN(std::optional<std::string> value,
                          Get(families_.log, format::LogKey(position + 1),
                              "event log: read log", snapshot));
    if (!value.has_value()) return std::nullopt;
    absl::StatusOr<format::DecodedRecord> next =
        format::DecodeLogRecord(position + 1, *value);
    if (!next.ok()) return ChainBroken(next.status());
    return std::move(next->prev_hash);
  };
  EHCP_ASSIGN_OR_RETURN(std::optional<std::string> witness, next_prev_hash());
  if (witness.has_value()) return *std::move(witness);
  // The last record: the head, written in the same batch, is the witness.
  EHCP_ASSIGN_OR_RETURN(std::optional<std::string> value,
                        Get(families_.meta, format::kHeadKey,
                            "event log: read log head", snapshot));
  if (!value.has_value()) {
    return ChainBroken(position, "the log head is missing");
  }
  EHCP_ASSIGN_OR_RETURN(format::LogHead stored, format::DecodeLogHead(*value));
  if (stored.position > position && snapshot == nullptr) {
    // Without a snapshot: the next record committed after the first look
    // (a record and the head move in one batch), so it is there now.
    EHCP_ASSIGN_OR_RETURN(witness, next_prev_hash());
    if (witness.has_value()) return *std::move(witness);
  }
  if (stored.position > position) {
    return ChainBroken(position + 1, "record missing");
  }
  if (stored.position < position) {
    return ChainBroken(position, absl::StrCat("the log head names position ",
                                              stored.position));
  }
  return stored.hash;
}

absl::Status EventLogImpl::VerifyChain(uint64_t from_position,
                                       uint64_t to_position) const {
  absl::ReaderMutexLock db_lock(&db_mu_);
  if (db_ == nullptr) return ClosedError();
  const uint64_t head = HeadPosition();
  const uint64_t from = std::max<uint64_t>(from_position, 1);
  const uint64_t to =
      (to_position == 0 || to_position > head) ? head : to_position;
  if (from > to) return absl::OkStatus();
  // One consistent view: a batch committed meanwhile adds a record and moves
  // the stored head together, or not at all.
  const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
  absl::Cleanup release = [this, snapshot]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    db_->ReleaseSnapshot(snapshot);
  };

  // The hash the record at `from` must carry as prev_hash.
  std::string expected_prev = format::ZeroHash();
  if (from > 1) {
    EHCP_ASSIGN_OR_RETURN(std::optional<std::string> value,
                          Get(families_.log, format::LogKey(from - 1),
                              "event log: read log", snapshot));
    if (!value.has_value()) return ChainBroken(from - 1, "record missing");
    expected_prev = Sha256(*value);
  }

  const std::string upper = format::LogKey(to + 1);
  const rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &upper_slice;
  read_options.snapshot = snapshot;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(read_options, families_.log));
  uint64_t position = from;
  for (it->Seek(format::LogKey(from)); it->Valid(); it->Next(), ++position) {
    EHCP_ASSIGN_OR_RETURN(
        uint64_t key, DecodeBigEndian64(it->key().ToStringView(), "log key"));
    if (key != position) return ChainBroken(position, "record missing");
    const std::string_view bytes = it->value().ToStringView();
    absl::StatusOr<format::DecodedRecord> decoded =
        format::DecodeLogRecord(position, bytes);
    if (!decoded.ok()) return ChainBroken(decoded.status());
    if (decoded->prev_hash != expected_prev) {
      // Either this record changed (its prev_hash field, so its own hash
      // no longer matches its successor's witness either) or the record
      // before it changed (and this record's own link is intact).
      EHCP_ASSIGN_OR_RETURN(std::string witness,
                            SuccessorWitness(position, snapshot));
      if (witness == decoded->record.hash) {
        return ChainBroken(position - 1,
                           absl::StrCat("its stored bytes do not match the "
                                        "prev_hash of position ",
                                        position));
      }
      return ChainBroken(position,
                         absl::StrCat("its prev_hash does not match the stored "
                                      "bytes of position ",
                                      position - 1));
    }
    expected_prev = std::move(decoded->record.hash);
  }
  EHCP_RETURN_IF_ERROR(FromRocksDb(it->status(), "event log: scan log"));
  if (position <= to) return ChainBroken(position, "record missing");

  // The last record's bytes, against the record after it or the head.
  EHCP_ASSIGN_OR_RETURN(std::string witness, SuccessorWitness(to, snapshot));
  if (witness != expected_prev) {
    return ChainBroken(
        to, to < head
                ? absl::StrCat("its stored bytes do not match the "
                               "prev_hash of position ",
                               to + 1)
                : std::string("its stored bytes do not match the log head"));
  }
  return absl::OkStatus();
}

}  // namespace ehcp::storage
