// EventLogImpl: the RocksDB-backed EventLog. Split over three files:
// event_log_open.cc (open, close, notifications), event_log_write.cc (the
// group commit) and event_log_read.cc (reads and chain verification).
//
// Group commit. AppendAsync validates the request and queues it. If no
// appender is committing, the caller becomes the committer and loops: take
// the queue (up to the batch caps), build one WriteBatch (BatchBuilder),
// write it (WAL synced, with Options::sync), publish the new head, give up
// the role, run the batch's callbacks and due notifications, and take the
// role back if more requests queued meanwhile and nobody else took it.
// Giving the role up before the callbacks lets another appender commit the
// next batch while they run, and lets a callback call Close(). A lone append
// thus commits on its own thread with no hand-off; concurrent ones share a
// batch and one fsync.
//
// Locks, in acquisition order:
//   db_mu_     the database's lifetime: shared by readers and the committer,
//              exclusive to Close.
//   commit_mu_ the committed head; held by the committer for a whole commit
//              (never contended in steady state: there is one committer).
//   cache_mu_  the stream version cache.
//   mu_        the queue, the committer role, close state, notifications
//              and counters; held only briefly.
// No lock is held while a callback runs.
#ifndef EHCP_STORAGE_INTERNAL_EVENT_LOG_IMPL_H_
#define EHCP_STORAGE_INTERNAL_EVENT_LOG_IMPL_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "rocksdb/db.h"
#include "storage/event_log.h"
#include "storage/internal/batch_builder.h"
#include "storage/internal/format.h"
#include "storage/internal/position_waiters.h"

namespace ehcp::storage {

class EventLogImpl final : public EventLog, private CommittedState {
 public:
  // See EventLog::Open.
  static absl::StatusOr<std::unique_ptr<EventLog>> Open(const std::string& dir,
                                                        const Options& options);

  // Open, with RocksDB doing its I/O through `env` (for tests that inject
  // failures); `env` must outlive the log. Null: the default Env.
  static absl::StatusOr<std::unique_ptr<EventLog>> OpenWithEnv(
      const std::string& dir, const Options& options, rocksdb::Env* env);

  ~EventLogImpl() override;

  void AppendAsync(AppendRequest request, AppendCallback done) override;
  absl::StatusOr<std::optional<AppendResult>> LookupIdempotency(
      std::string_view stream_id, std::string_view key,
      std::string_view digest) const override;
  absl::StatusOr<uint64_t> StreamVersion(
      std::string_view stream_id) const override;
  absl::StatusOr<std::vector<Record>> ReadStream(
      std::string_view stream_id, uint64_t from_version, Direction direction,
      size_t max_count) const override;
  absl::StatusOr<std::vector<Record>> ReadAll(uint64_t from_position,
                                              size_t max_count) const override;
  absl::StatusOr<std::vector<StoredRecord>> ReadStored(
      uint64_t from_position, size_t max_count) const override;
  absl::StatusOr<std::unique_ptr<LogImport>> BeginImport() override;
  uint64_t HeadPosition() const override {
    return head_position_.load(std::memory_order_acquire);
  }
  uint64_t NotifyAfter(uint64_t position,
                       absl::AnyInvocable<void(bool closed)> fn) override;
  bool CancelNotify(uint64_t token) override;
  bool WaitForPosition(uint64_t position, absl::Time deadline) const override;
  absl::Status VerifyChain(uint64_t from_position,
                           uint64_t to_position) const override;
  Stats GetStats() const override;
  absl::Status WriteStatus() const override;
  absl::Status ResumeWrites() override;
  void Close() override;

 private:
  // A queued append.
  struct Pending {
    AppendRequest request;
    AppendCallback done;
    size_t bytes = 0;                      // Payload size, for the batch cap.
    absl::StatusOr<AppendResult> outcome;  // Set by Commit.
  };
  // What a commit leaves to run once its locks are released.
  struct Completions {
    std::vector<Pending> appends;
    std::vector<PositionWaiters::Callback> notifications;
  };

  EventLogImpl(std::string dir, const Options& options, rocksdb::Env* env);

  // event_log_open.cc
  absl::Status OpenDatabase() ABSL_LOCKS_EXCLUDED(db_mu_, commit_mu_);
  // After db_ and handles_ are set: the families, then LoadMeta.
  absl::Status UseOpenedDatabase()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(db_mu_, commit_mu_);
  absl::Status LoadMeta() ABSL_EXCLUSIVE_LOCKS_REQUIRED(db_mu_, commit_mu_);
  // Opened read only on a full disk (read_only_): opens the database for
  // writing beside the read-only one, at most once per kResumeInterval, and
  // swaps it in; on failure the read-only one stays and write_error_ says
  // why.
  void ReopenWritable() ABSL_LOCKS_EXCLUDED(db_mu_, commit_mu_, mu_);
  // Number of completion rounds of this log running on the calling thread
  // (so that Close() from a callback does not wait for itself).
  int CompletionDepthOnThisThread() const;

  // event_log_write.cc
  // Runs group commits while the calling thread holds the committer role,
  // which it must hold on entry.
  void CommitWhileQueued() ABSL_LOCKS_EXCLUDED(mu_, db_mu_, commit_mu_);
  // Builds and writes one batch; fills each outcome; publishes the head;
  // gives up the committer role and counts the caller as a completer.
  Completions Commit(std::vector<Pending> batch)
      ABSL_LOCKS_EXCLUDED(mu_, db_mu_, commit_mu_);
  void RunCompletions(Completions completions) ABSL_LOCKS_EXCLUDED(mu_);
  void TakeBatch(std::vector<Pending>* batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t NextCommitTime() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_);
  // After a full disk (write_error_ RESOURCE_EXHAUSTED): asks RocksDB to
  // resume writing, at most once per kResumeInterval, and clears
  // write_error_ when it can.
  void TryResume() ABSL_SHARED_LOCKS_REQUIRED(db_mu_)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_);
  void CacheStreamVersions(
      const absl::flat_hash_map<std::string, uint64_t>& versions)
      ABSL_LOCKS_EXCLUDED(cache_mu_);
  void CacheStreamVersionLocked(std::string_view stream_id, uint64_t version)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(cache_mu_);
  // CommittedState, for the committer (which holds db_mu_ and commit_mu_).
  // Only the committer fills the cache from the database: a reader could
  // otherwise cache a version the committer has just moved past.
  absl::StatusOr<uint64_t> CommittedVersion(
      std::string_view stream_id) override;
  absl::StatusOr<std::optional<format::IdempotencyEntry>> CommittedIdempotency(
      std::string_view key) override;

  // event_log_import.cc
  class Import;
  // Ingests the staged files of an import into the empty log and publishes
  // its head (the import's Commit).
  absl::StatusOr<uint64_t> CommitImport(
      const std::vector<std::pair<std::string, std::string>>& files_by_family,
      const format::LogHead& head) ABSL_LOCKS_EXCLUDED(db_mu_, commit_mu_);
  void EndImport() ABSL_LOCKS_EXCLUDED(mu_);

  // event_log_read.cc
  // ReadAll; with `stored`, also each record's bytes and prev_hash (in
  // stored[i], whose record is left empty).
  absl::StatusOr<std::vector<Record>> ReadRange(
      uint64_t from_position, size_t max_count,
      std::vector<StoredRecord>* stored) const ABSL_LOCKS_EXCLUDED(db_mu_);
  // A point read (at `snapshot`, if not null); nullopt if absent.
  absl::StatusOr<std::optional<std::string>> Get(
      rocksdb::ColumnFamilyHandle* family, std::string_view key,
      std::string_view context,
      const rocksdb::Snapshot* snapshot = nullptr) const
      ABSL_SHARED_LOCKS_REQUIRED(db_mu_);
  absl::StatusOr<uint64_t> ReadStreamVersion(std::string_view stream_id) const
      ABSL_SHARED_LOCKS_REQUIRED(db_mu_);
  // The records at `positions`, which the stream index gives for
  // `stream_id`'s `versions`.
  absl::StatusOr<std::vector<Record>> ReadPositions(
      std::string_view stream_id, const std::vector<uint64_t>& versions,
      const std::vector<uint64_t>& positions) const
      ABSL_SHARED_LOCKS_REQUIRED(db_mu_);
  // OK when each record's hash equals its witness: witnesses[i], or when
  // that is nullopt, SuccessorWitness(records[i].position, nullptr).
  // DATA_LOSS naming the first record that does not match.
  absl::Status CheckWitnesses(
      const std::vector<Record>& records,
      const std::vector<std::optional<std::string>>& witnesses) const
      ABSL_SHARED_LOCKS_REQUIRED(db_mu_);
  // The hash that the record after `position` (or, for the last record,
  // the stored log head) records for `position`. With no snapshot, a head
  // that has moved past `position` meanwhile sends it back to the record.
  absl::StatusOr<std::string> SuccessorWitness(
      uint64_t position, const rocksdb::Snapshot* snapshot) const
      ABSL_SHARED_LOCKS_REQUIRED(db_mu_);

  const std::string dir_;
  const Options options_;
  rocksdb::Env* const env_;  // Null: RocksDB's default.
  // Set by OpenDatabase, then read only (by ReopenWritable).
  rocksdb::DBOptions db_options_;
  std::function<rocksdb::ColumnFamilyOptions(const std::string&)>
      family_options_;
  // Opened with OpenForReadOnly because the disk was full (write_error_
  // then says so); cleared by ReopenWritable.
  std::atomic<bool> read_only_{false};

  mutable absl::Mutex db_mu_;
  std::unique_ptr<rocksdb::DB> db_ ABSL_GUARDED_BY(db_mu_);
  std::vector<rocksdb::ColumnFamilyHandle*> handles_ ABSL_GUARDED_BY(db_mu_);
  ColumnFamilies families_ ABSL_GUARDED_BY(db_mu_);

  absl::Mutex commit_mu_ ABSL_ACQUIRED_AFTER(db_mu_);
  format::LogHead committed_head_ ABSL_GUARDED_BY(commit_mu_);
  // Sticky: after a failed write nothing more is written until reopened;
  // except after a full disk, which TryResume clears once there is room.
  absl::Status write_error_ ABSL_GUARDED_BY(commit_mu_);
  absl::Time next_resume_ ABSL_GUARDED_BY(commit_mu_) = absl::InfinitePast();

  mutable absl::Mutex cache_mu_ ABSL_ACQUIRED_AFTER(commit_mu_);
  absl::flat_hash_map<std::string, uint64_t> stream_versions_
      ABSL_GUARDED_BY(cache_mu_);

  mutable absl::Mutex mu_ ABSL_ACQUIRED_AFTER(commit_mu_, cache_mu_);
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool committer_active_ ABSL_GUARDED_BY(mu_) = false;
  // Threads running the callbacks of a finished commit.
  int completers_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool importing_ ABSL_GUARDED_BY(mu_) = false;
  PositionWaiters waiters_ ABSL_GUARDED_BY(mu_);
  // write_error_ as of the last commit or reopen, for WriteStatus.
  absl::Status write_state_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
  // Stored under mu_ (after the batch is written), loaded lock-free.
  std::atomic<uint64_t> head_position_{0};
};

// How often appends after a full disk ask RocksDB whether it can resume.
inline constexpr absl::Duration kResumeInterval = absl::Seconds(1);

// UNAVAILABLE: "event log is closed".
absl::Status ClosedError();

// RESOURCE_EXHAUSTED: `dir` is open read-only because the disk was full
// (`cause`), and appends resume once there is room.
absl::Status ReadOnlyError(std::string_view dir, const absl::Status& cause);

}  // namespace ehcp::storage

#endif  // EHCP_STORAGE_INTERNAL_EVENT_LOG_IMPL_H_
