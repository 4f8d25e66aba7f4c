// Bulk import into an empty log: records checked one by one as they come
// and staged in SST files beside the log (<dir>.import/), then ingested
// into the log's column families in one atomic step (RocksDB
// IngestExternalFiles). The log itself is untouched until that step, so a
// refused record, a failed commit or a crash leaves it as it was: empty.
#include <algorithm>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/big_endian.h"
#include "common/status_macros.h"
#include "rocksdb/sst_file_writer.h"
#include "storage/absl_string_view.h"
#include "storage/hash.h"
#include "storage/internal/event_log_impl.h"
#include "storage/rocksdb_status.h"

namespace ehcp::storage {

class EventLogImpl::Import final : public LogImport {
 public:
  Import(EventLogImpl* log, std::string staging, rocksdb::Options log_options,
         rocksdb::Options streams_options, rocksdb::Options heads_options,
         rocksdb::Options meta_options)
      : log_(log),
        staging_(std::move(staging)),
        log_options_(std::move(log_options)),
        streams_options_(std::move(streams_options)),
        heads_options_(std::move(heads_options)),
        meta_options_(std::move(meta_options)) {}

  ~Import() override {
    writer_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(staging_, ignored);
    log_->EndImport();
  }

  absl::StatusOr<Record> Add(std::string_view bytes,
                             std::string_view hash) override {
    EHCP_RETURN_IF_ERROR(failed_);
    absl::StatusOr<Record> added = AddRecord(bytes, hash);
    failed_ = added.status();
    return added;
  }

  uint64_t added() const override { return head_.position; }

  absl::StatusOr<uint64_t> Commit() override {
    EHCP_RETURN_IF_ERROR(failed_);
    failed_ = absl::FailedPreconditionError("the import was committed");
    if (head_.position == 0) return 0;  // Nothing to add.
    EHCP_RETURN_IF_ERROR(Finish(writer_.get(), "log"));
    writer_.reset();
    std::vector<std::pair<std::string, std::string>> files;
    files.emplace_back(format::kLogFamily, LogFile());

    // The stream index, sorted; the stream heads; the log head.
    std::sort(index_.begin(), index_.end());
    EHCP_RETURN_IF_ERROR(WriteSorted(streams_options_, "streams", index_));
    files.emplace_back(format::kStreamsFamily, File("streams"));
    std::vector<std::pair<std::string, std::string>> heads;
    heads.reserve(versions_.size());
    for (const auto& [stream, version] : versions_) {
      heads.emplace_back(stream, BigEndian64(version));
    }
    std::sort(heads.begin(), heads.end());
    EHCP_RETURN_IF_ERROR(WriteSorted(heads_options_, "heads", heads));
    files.emplace_back(format::kHeadsFamily, File("heads"));
    EHCP_RETURN_IF_ERROR(WriteSorted(
        meta_options_, "meta",
        {{format::kHeadKey, format::EncodeLogHead(head_)}}));
    files.emplace_back(format::kMetaFamily, File("meta"));
    return log_->CommitImport(files, head_);
  }

 private:
  std::string File(std::string_view family) const {
    return absl::StrCat(staging_, "/", ToAbsl(family), ".sst");
  }
  std::string LogFile() const { return File("log"); }

  static absl::Status Finish(rocksdb::SstFileWriter* writer,
                             std::string_view what) {
    rocksdb::ExternalSstFileInfo info;
    return FromRocksDb(writer->Finish(&info),
                       absl::StrCat("event log import: finish staged ",
                                    ToAbsl(what), " file"));
  }

  absl::Status WriteSorted(
      const rocksdb::Options& options, std::string_view family,
      const std::vector<std::pair<std::string, std::string>>& entries) {
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options);
    EHCP_RETURN_IF_ERROR(FromRocksDb(writer.Open(File(family)),
                                     "event log import: stage a file"));
    for (const auto& [key, value] : entries) {
      EHCP_RETURN_IF_ERROR(FromRocksDb(writer.Put(key, value),
                                       "event log import: stage an entry"));
    }
    return Finish(&writer, family);
  }

  absl::StatusOr<Record> AddRecord(std::string_view bytes,
                                   std::string_view hash) {
    const uint64_t position = head_.position + 1;
    absl::StatusOr<format::DecodedRecord> decoded =
        format::DecodeLogRecord(position, bytes);
    if (!decoded.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "position ", position, ": not the next record of the import (",
          decoded.status().message(), ")"));
    }
    if (decoded->prev_hash != head_.hash) {
      return absl::InvalidArgumentError(absl::StrCat(
          "position ", position,
          ": its prev_hash is not the hash of the record before it: the "
          "records do not chain"));
    }
    if (decoded->record.hash != hash) {
      return absl::InvalidArgumentError(absl::StrCat(
          "position ", position, ": its bytes do not have the hash given (",
          absl::BytesToHexString(ToAbsl(hash)).substr(0, 16), "...)"));
    }
    if (writer_ == nullptr) {
      writer_ = std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(),
                                                         log_options_);
      EHCP_RETURN_IF_ERROR(FromRocksDb(writer_->Open(LogFile()),
                                       "event log import: stage the log"));
    }
    const std::string key = format::LogKey(position);
    EHCP_RETURN_IF_ERROR(FromRocksDb(writer_->Put(key, rocksdb::Slice(bytes.data(), bytes.size())),
                                     "event log import: stage a record"));
    const Record& r = decoded->record;  // Moved out at the end.
    uint64_t& version = versions_[r.stream_id];
    if (r.version != version + 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "position ", position, ": stream ", r.stream_id, " version ",
          r.version, " does not follow version ", version));
    }
    version = r.version;
    index_.emplace_back(format::StreamIndexKey(r.stream_id, r.version), key);
    head_.position = position;
    head_.hash = r.hash;
    head_.recorded_at_micros = r.recorded_at_micros;
    return std::move(decoded->record);
  }

  EventLogImpl* const log_;
  const std::string staging_;
  const rocksdb::Options log_options_, streams_options_, heads_options_,
      meta_options_;
  std::unique_ptr<rocksdb::SstFileWriter> writer_;
  absl::Status failed_;
  format::LogHead head_;
  absl::flat_hash_map<std::string, uint64_t> versions_;
  std::vector<std::pair<std::string, std::string>> index_;
};

absl::StatusOr<std::unique_ptr<LogImport>> EventLogImpl::BeginImport() {
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return ClosedError();
    if (importing_) {
      return absl::FailedPreconditionError(
          "event log: another import is running");
    }
    if (head_position_.load(std::memory_order_acquire) != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "event log: an import needs an empty log, and ", dir_, " holds ",
          head_position_.load(std::memory_order_acquire),
          " records (start ehcpd on a new data directory to import)"));
    }
    importing_ = true;
  }
  const std::string staging = dir_ + ".import";
  std::error_code error;
  std::filesystem::remove_all(staging, error);  // A crashed import's files.
  std::filesystem::create_directories(staging, error);
  if (error) {
    EndImport();
    return absl::UnavailableError(absl::StrCat(
        "event log import: cannot make ", staging, ": ", error.message()));
  }
  absl::ReaderMutexLock db_lock(&db_mu_);
  if (db_ == nullptr) {
    EndImport();
    return ClosedError();
  }
  auto options = [&](rocksdb::ColumnFamilyHandle* family) {
    return rocksdb::Options(db_->GetDBOptions(), db_->GetOptions(family));
  };
  return std::unique_ptr<LogImport>(
      new Import(this, staging, options(families_.log),
                 options(families_.streams), options(families_.heads),
                 options(families_.meta)));
}

void EventLogImpl::EndImport() {
  absl::MutexLock lock(&mu_);
  importing_ = false;
}

absl::StatusOr<uint64_t> EventLogImpl::CommitImport(
    const std::vector<std::pair<std::string, std::string>>& files_by_family,
    const format::LogHead& head) {
  Completions completions;
  {
    absl::ReaderMutexLock db_lock(&db_mu_);
    if (db_ == nullptr) return ClosedError();
    absl::MutexLock commit_lock(&commit_mu_);
    EHCP_RETURN_IF_ERROR(write_error_);
    if (committed_head_.position != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "event log: ", committed_head_.position,
          " records were appended while the import was staged; it needs an "
          "empty log, and nothing was imported"));
    }
    std::vector<rocksdb::IngestExternalFileArg> args;
    for (const auto& [family, file] : files_by_family) {
      rocksdb::IngestExternalFileArg arg;
      arg.column_family = family == format::kLogFamily       ? families_.log
                          : family == format::kStreamsFamily ? families_.streams
                          : family == format::kHeadsFamily   ? families_.heads
                                                             : families_.meta;
      arg.external_files = {file};
      arg.options.move_files = true;
      args.push_back(std::move(arg));
    }
    EHCP_RETURN_IF_ERROR(FromRocksDb(db_->IngestExternalFiles(args),
                                     "event log import: ingest the staged "
                                     "files"));
    committed_head_ = head;
    {
      absl::MutexLock cache_lock(&cache_mu_);
      stream_versions_.clear();
    }
    absl::MutexLock lock(&mu_);
    head_position_.store(head.position, std::memory_order_release);
    completions.notifications = waiters_.TakeReached(head.position);
    stats_.records += head.position;
  }
  RunCompletions(std::move(completions));
  return head.position;
}

}  // namespace ehcp::storage
