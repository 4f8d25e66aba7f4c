// EventLogImpl: the group commit (see event_log_impl.h for the design).
#include <algorithm>
#include <utility>

#include "absl/time/clock.h"
#include "storage/absl_string_view.h"
#include "storage/internal/event_log_impl.h"
#include "storage/internal/request_validation.h"
#include "storage/rocksdb_status.h"

namespace ehcp::storage {
namespace {

// The logs whose callbacks the current thread is running, innermost last.
thread_local std::vector<const EventLogImpl*> completing_logs;

// Marks the calling thread as running callbacks of `log`.
class CompletionScope {
 public:
  explicit CompletionScope(const EventLogImpl* log) {
    completing_logs.push_back(log);
  }
  ~CompletionScope() { completing_logs.pop_back(); }
  CompletionScope(const CompletionScope&) = delete;
  CompletionScope& operator=(const CompletionScope&) = delete;
};

size_t PayloadBytes(const AppendRequest& request) {
  size_t bytes = request.stream_id.size() + request.idempotency_key.size() +
                 request.request_digest.size();
  for (const NewRecord& record : request.records) {
    bytes += record.type.size() + record.data.size();
  }
  return bytes;
}

}  // namespace

int EventLogImpl::CompletionDepthOnThisThread() const {
  return static_cast<int>(
      std::count(completing_logs.begin(), completing_logs.end(), this));
}

void EventLogImpl::AppendAsync(AppendRequest request, AppendCallback done) {
  if (absl::Status status = ValidateAppendRequest(request); !status.ok()) {
    std::move(done)(std::move(status));
    return;
  }
  const size_t bytes = PayloadBytes(request);
  bool closed = false;
  {
    absl::MutexLock lock(&mu_);
    closed = closed_;
    if (!closed) {
      Pending& pending = queue_.emplace_back();
      pending.request = std::move(request);
      pending.done = std::move(done);
      pending.bytes = bytes;
      if (committer_active_) return;  // The committer will take it.
      committer_active_ = true;
    }
  }
  if (closed) {
    std::move(done)(ClosedError());
    return;
  }
  CommitWhileQueued();
}

void EventLogImpl::CommitWhileQueued() {
  while (true) {
    std::vector<Pending> batch;
    {
      absl::MutexLock lock(&mu_);
      if (closed_ || queue_.empty()) {
        committer_active_ = false;
        return;
      }
      TakeBatch(&batch);
    }
    // Opened read only on a full disk: try (at most once per
    // kResumeInterval) to reopen for writing before this batch.
    if (read_only_.load(std::memory_order_relaxed)) ReopenWritable();
    RunCompletions(Commit(std::move(batch)));
    absl::MutexLock lock(&mu_);
    --completers_;
    // Requests queued while this thread wrote or ran callbacks wait for a
    // committer: this thread, unless another appender took the role.
    if (committer_active_ || closed_ || queue_.empty()) return;
    committer_active_ = true;
  }
}

void EventLogImpl::TakeBatch(std::vector<Pending>* batch) {
  const size_t max_requests = std::max<size_t>(options_.max_batch_requests, 1);
  size_t bytes = 0;
  while (!queue_.empty() && batch->size() < max_requests) {
    Pending& next = queue_.front();
    if (!batch->empty() && bytes + next.bytes > options_.max_batch_bytes) break;
    bytes += next.bytes;
    batch->push_back(std::move(next));
    queue_.pop_front();
  }
}

void EventLogImpl::TryResume() {
  const absl::Time now = absl::Now();
  if (now < next_resume_) return;
  next_resume_ = now + kResumeInterval;
  // RocksDB flushes every family and starts a new WAL: what the failed
  // write left in the old one (never in a memtable, never acknowledged) goes
  // with that file. Still no room: the error stays, the message with it.
  // RocksDB's own recovery (it watches the free space) may be running:
  // Resume then answers Busy, and OK once it has finished.
  if (db_->Resume().ok()) write_error_ = absl::OkStatus();
}

absl::Status EventLogImpl::ResumeWrites() {
  if (absl::Status state = WriteStatus();
      !read_only_.load() && !absl::IsResourceExhausted(state)) {
    return state;
  }
  if (read_only_.load()) {
    ReopenWritable();
  } else {
    absl::ReaderMutexLock db_lock(&db_mu_);
    absl::MutexLock commit_lock(&commit_mu_);
    if (db_ != nullptr && absl::IsResourceExhausted(write_error_)) {
      TryResume();
    }
    absl::MutexLock lock(&mu_);
    write_state_ = write_error_;
  }
  return WriteStatus();
}

absl::Status EventLogImpl::WriteStatus() const {
  absl::MutexLock lock(&mu_);
  if (closed_) return ClosedError();
  return write_state_;
}

int64_t EventLogImpl::NextCommitTime() const {
  const int64_t now = options_.now_micros ? options_.now_micros()
                                          : absl::ToUnixMicros(absl::Now());
  return std::max(now, committed_head_.recorded_at_micros);
}

EventLogImpl::Completions EventLogImpl::Commit(std::vector<Pending> batch) {
  absl::ReaderMutexLock db_lock(&db_mu_);
  absl::MutexLock commit_lock(&commit_mu_);
  BatchBuilder builder(families_, committed_head_, NextCommitTime(), this);
  if (absl::IsResourceExhausted(write_error_)) TryResume();
  absl::Status write_status = write_error_;
  uint64_t replays = 0;
  uint64_t conflicts = 0;
  if (write_status.ok()) {
    for (Pending& pending : batch) {
      pending.outcome = builder.Add(pending.request);
      if (pending.outcome.ok()) {
        if (pending.outcome->replayed) ++replays;
      } else if (absl::IsAborted(pending.outcome.status())) {
        ++conflicts;
      }
    }
    if (!builder.empty()) {
      rocksdb::WriteOptions write_options;
      write_options.sync = options_.sync;
      write_status = FromRocksDb(db_->Write(write_options, builder.Finish()),
                                 "event log: write batch");
      write_error_ = write_status;
    }
  }
  const bool wrote = write_status.ok() && !builder.empty();
  if (!write_status.ok()) {
    // The whole batch fails, replays of its own appends included; what was
    // built on top of it is forgotten.
    for (Pending& pending : batch) pending.outcome = write_status;
  } else if (wrote) {
    committed_head_ = builder.head();
    CacheStreamVersions(builder.stream_versions());
  }

  Completions completions;
  {
    absl::MutexLock lock(&mu_);
    if (wrote) {
      head_position_.store(committed_head_.position, std::memory_order_release);
      completions.notifications =
          waiters_.TakeReached(committed_head_.position);
      ++stats_.batches;
      if (options_.sync) ++stats_.syncs;
      stats_.appends += builder.appends();
      stats_.records += builder.records();
      stats_.max_batch_appends =
          std::max<uint64_t>(stats_.max_batch_appends, batch.size());
      const auto bound = std::lower_bound(kBatchAppendsBounds.begin(),
                                          kBatchAppendsBounds.end(),
                                          uint64_t{builder.appends()});
      ++stats_.batch_appends[bound - kBatchAppendsBounds.begin()];
    }
    write_state_ = write_error_;
    if (!write_status.ok() && !builder.empty()) ++stats_.failed_writes;
    stats_.replays += write_status.ok() ? replays : 0;
    stats_.conflicts += write_status.ok() ? conflicts : 0;
    committer_active_ = false;
    ++completers_;
  }
  completions.appends = std::move(batch);
  return completions;
}

void EventLogImpl::RunCompletions(Completions completions) {
  CompletionScope scope(this);
  for (Pending& pending : completions.appends) {
    std::move(pending.done)(std::move(pending.outcome));
  }
  for (PositionWaiters::Callback& fn : completions.notifications) fn(false);
}

void EventLogImpl::CacheStreamVersions(
    const absl::flat_hash_map<std::string, uint64_t>& versions) {
  absl::MutexLock lock(&cache_mu_);
  for (const auto& [stream_id, version] : versions) {
    CacheStreamVersionLocked(stream_id, version);
  }
}

void EventLogImpl::CacheStreamVersionLocked(std::string_view stream_id,
                                            uint64_t version) {
  auto [it, inserted] =
      stream_versions_.try_emplace(ToAbsl(stream_id), version);
  if (!inserted) {
    it->second = version;
    return;
  }
  if (stream_versions_.size() <= options_.stream_cache_entries) return;
  // Over capacity: drop an eighth, arbitrarily (hash order), sparing the
  // entry just added.
  const size_t target =
      options_.stream_cache_entries - options_.stream_cache_entries / 8;
  for (auto drop = stream_versions_.begin();
       drop != stream_versions_.end() && stream_versions_.size() > target;) {
    if (drop->first == stream_id) {
      ++drop;
    } else {
      stream_versions_.erase(drop++);
    }
  }
}

absl::StatusOr<uint64_t> EventLogImpl::CommittedVersion(
    std::string_view stream_id) {
  db_mu_.AssertReaderHeld();
  {
    absl::ReaderMutexLock lock(&cache_mu_);
    if (auto it = stream_versions_.find(ToAbsl(stream_id));
        it != stream_versions_.end()) {
      return it->second;
    }
  }
  absl::StatusOr<uint64_t> version = ReadStreamVersion(stream_id);
  if (version.ok()) {
    absl::MutexLock lock(&cache_mu_);
    CacheStreamVersionLocked(stream_id, *version);
  }
  return version;
}

absl::StatusOr<std::optional<format::IdempotencyEntry>>
EventLogImpl::CommittedIdempotency(std::string_view key) {
  db_mu_.AssertReaderHeld();
  absl::StatusOr<std::optional<std::string>> value =
      Get(families_.idempotency, key, "event log: read idempotency record");
  if (!value.ok()) return value.status();
  if (!value->has_value()) return std::nullopt;
  absl::StatusOr<format::IdempotencyEntry> entry =
      format::DecodeIdempotency(**value);
  if (!entry.ok()) return entry.status();
  return *std::move(entry);
}

}  // namespace ehcp::storage
