// ClockIndex::Impl: the state behind clock_index.h. Private to
// projections/: clock_index.cc (open, close, tailer), index_writer.cc (apply
// and rebuild) and clock_queries.cc (the reports).
//
// Locks, always taken in this order:
//   apply_mu_  one index writer at a time (tailer, CatchUp, Rebuild, Close);
//   db_mu_     the database's lifetime: readers (queries, writers) hold it
//              shared, Close exclusively;
//   mu_        published checkpoint, flags, tailer error (a leaf).
#ifndef EHCP_PROJECTIONS_INTERNAL_CLOCK_INDEX_IMPL_H_
#define EHCP_PROJECTIONS_INTERNAL_CLOCK_INDEX_IMPL_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ehcp/v1/events.pb.h"
#include "cases/case_cache.h"
#include "projections/clock_index.h"
#include "projections/internal/index_format.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/event_log.h"

namespace ehcp::projections {

// Wakes the tailer: set from a log callback (any thread), awaited by the
// tailer. Shared, so that a callback still running after Close has it alive.
class Wake {
 public:
  // `log_closed`: the log called back because it closed.
  void Signal(bool log_closed = false) {
    absl::MutexLock lock(&mu_);
    signalled_ = true;
    log_closed_ = log_closed_ || log_closed;
  }
  bool log_closed() const {
    absl::MutexLock lock(&mu_);
    return log_closed_;
  }
  // Waits until signalled or `timeout` passes; clears the signal.
  void Wait(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&signalled_), timeout);
    signalled_ = false;
  }

 private:
  mutable absl::Mutex mu_;
  bool signalled_ ABSL_GUARDED_BY(mu_) = false;
  bool log_closed_ ABSL_GUARDED_BY(mu_) = false;
};

// The index's column families (handles owned by Impl).
struct IndexFamilies {
  rocksdb::ColumnFamilyHandle* late = nullptr;
  rocksdb::ColumnFamilyHandle* stopped = nullptr;
  rocksdb::ColumnFamilyHandle* cases = nullptr;
  rocksdb::ColumnFamilyHandle* las = nullptr;
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  rocksdb::ColumnFamilyHandle* refs = nullptr;
  rocksdb::ColumnFamilyHandle* stages = nullptr;
  rocksdb::ColumnFamilyHandle* due = nullptr;
};

class ClockIndex::Impl {
 public:
  Impl(std::string dir, storage::EventLog* log, const Options& options);
  ~Impl();

  // clock_index.cc
  absl::Status OpenDatabase();
  absl::Status OpenDatabaseLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  void CloseDatabaseLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(db_mu_);
  // Opens the RocksDB database and its families (no meta read); read only
  // (nothing written: it opens on a full disk) with `read_only`.
  absl::Status OpenHandlesLocked(bool read_only = false)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(db_mu_);
  // After a full disk — opened read only (read_only_), or a write refused
  // RESOURCE_EXHAUSTED — tries, at most once per second, to write again:
  // reopens for writing, or RocksDB's Resume. OK once writable; otherwise
  // the error for the tailer. Nothing to do (OK) in other states.
  absl::Status ResumeWritesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  // RESOURCE_EXHAUSTED: open read-only for a full disk (`cause`).
  absl::Status ReadOnlyError(const absl::Status& cause) const;
  void StartTailer();
  bool WaitForCheckpoint(uint64_t position, absl::Time deadline) const;
  uint64_t NotifyAtCheckpoint(uint64_t position,
                              absl::AnyInvocable<void(bool) &&> reached);
  void CancelNotify(uint64_t token);
  uint64_t Checkpoint() const { return published_.load(); }
  IndexStatus Status() const;
  void Close();

  // index_writer.cc
  absl::Status CatchUpTo(uint64_t position);
  // Wipes this index and replays the log into it (the beside index of a
  // Rebuild).
  absl::StatusOr<RebuildResult> RebuildInPlace();

  // index_rebuild.cc
  // Builds a new index beside this one (in dir + ".rebuild") and swaps it
  // in once it has caught up; queries keep reading this one meanwhile.
  absl::StatusOr<RebuildResult> Rebuild();
  // Finishes or undoes a swap a crash interrupted, and removes a beside
  // index a crash left unfinished. Before Open.
  static absl::Status RecoverFromSwap(const std::string& dir);
  // Marks the index damaged by `error` (an Open that found it corrupt):
  // its database closed, every query and CatchUp answering the damage
  // until a Rebuild's swap.
  void MarkDamaged(const absl::Status& error);
  // The rebuild under way, if any.
  RebuildProgress Progress() const;

  cases::CaseCache* cases() const { return cases_; }

  // clock_queries.cc
  absl::StatusOr<BreachPage> ListBreaches(const BreachFilter& filter,
                                          const PageRequest& page) const;
  absl::StatusOr<BacklogReport> ReviewBacklog(const std::string& la_code,
                                              absl::CivilDay as_of) const;
  absl::StatusOr<TimelinessReport> Timeliness(const std::string& la_code,
                                              int year) const;

  // worklist_queries.cc
  absl::StatusOr<std::vector<CaseSummary>> FindCase(
      const std::string& la_code, const std::string& case_reference) const;
  absl::StatusOr<CasePage> ListCases(const CaseFilter& filter,
                                     const PageRequest& page) const;
  absl::StatusOr<DeadlinePage> ListDeadlines(const DeadlineFilter& filter,
                                             const PageRequest& page) const;

  // clock_index.cc
  // Before Open: an index of an older format version in `dir` (whatever
  // its families) is removed, so that the tailer builds the current one
  // from the log; FAILED_PRECONDITION when it had read the log past `log`'s
  // head (as LoadMeta), or when it is of a newer version. Anything else
  // (no database, not a clock index, damage) is left to the open.
  static absl::Status DiscardOlderFormat(const std::string& dir,
                                         const storage::EventLog& log);

 private:
  // Stream id -> position of its last record in a rebuild's range.
  using LastPositions = absl::flat_hash_map<std::string, uint64_t>;
  // Per-LA entries changed by the batch being built.
  using LaUpdates = std::map<std::string, index_format::LaEntry>;

  // clock_index.cc
  absl::Status LoadMeta() ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  void TailLoop();
  // Makes applied_ (or 0 while a rebuild is unfinished) the published
  // checkpoint and wakes WaitForCheckpoint.
  void Publish() ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  // UNAVAILABLE "closed", or the damage while the index is damaged.
  absl::Status ClosedError() const;

  // index_writer.cc
  // Re-indexes every case `page` touches (with `last`, only those whose last
  // record in the rebuild range is in the page) and moves the checkpoint to
  // the page's last position, in one WriteBatch.
  absl::Status ApplyPage(const std::vector<storage::Record>& page,
                         const LastPositions* last)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_)
          ABSL_SHARED_LOCKS_REQUIRED(db_mu_);
  // Writes the changes of one case's clock rows from the version before
  // `records` (or from nothing, `whole`) to the last of them.
  absl::Status IndexCase(const std::string& case_id,
                         const std::vector<const storage::Record*>& records,
                         bool whole, rocksdb::WriteBatch* batch,
                         LaUpdates* las, uint64_t* indexed_cases)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_)
          ABSL_SHARED_LOCKS_REQUIRED(db_mu_);
  absl::StatusOr<index_format::LaEntry*> LoadLa(const std::string& la_code,
                                                LaUpdates* las)
      ABSL_SHARED_LOCKS_REQUIRED(db_mu_);
  absl::Status ReplayTo(uint64_t target, const LastPositions* last)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);
  // Where each stream's last record in [1, target] is.
  absl::StatusOr<LastPositions> FindLastPositions(uint64_t target)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mu_);

  const std::string dir_;
  storage::EventLog* const log_;
  const Options options_;
  // The case models: the server's (Options::cases), or the index's own.
  std::unique_ptr<cases::CaseCache> own_cases_;
  cases::CaseCache* cases_;

  mutable absl::Mutex apply_mu_ ABSL_ACQUIRED_BEFORE(db_mu_);
  // Durable state, as of the last batch written.
  uint64_t applied_ ABSL_GUARDED_BY(apply_mu_) = 0;
  uint64_t rebuild_until_ ABSL_GUARDED_BY(apply_mu_) = 0;
  // Opened read only because the disk was full; ResumeWritesLocked reopens.
  bool read_only_ ABSL_GUARDED_BY(apply_mu_) = false;
  // The last batch's write, and when ResumeWritesLocked may next try.
  absl::Status write_error_ ABSL_GUARDED_BY(apply_mu_);
  absl::Time next_resume_ ABSL_GUARDED_BY(apply_mu_) = absl::InfinitePast();

  mutable absl::Mutex db_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::unique_ptr<rocksdb::DB> db_ ABSL_GUARDED_BY(db_mu_);
  std::vector<rocksdb::ColumnFamilyHandle*> handles_ ABSL_GUARDED_BY(db_mu_);
  IndexFamilies families_;  // Valid while db_ is.

  mutable absl::Mutex mu_;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status tailer_error_ ABSL_GUARDED_BY(mu_);
  // Found damaged at Open (ClockIndex::Open); cleared by a Rebuild's swap.
  absl::Status damage_ ABSL_GUARDED_BY(mu_);
  // NotifyAtCheckpoint callbacks by position, and their tokens.
  struct Waiter {
    uint64_t token;
    absl::AnyInvocable<void(bool) &&> reached;
  };
  std::multimap<uint64_t, Waiter> waiters_ ABSL_GUARDED_BY(mu_);
  uint64_t next_token_ ABSL_GUARDED_BY(mu_) = 1;
  // Mirrors of published, for lock-free readers; written under mu_.
  std::atomic<uint64_t> published_{0};
  std::atomic<uint64_t> indexed_cases_{0};
  std::atomic<bool> rebuilding_{false};
  std::atomic<uint64_t> applied_mirror_{0};
  // Writers stop between batches once set.
  std::atomic<bool> stopping_{false};

  std::shared_ptr<Wake> wake_ = std::make_shared<Wake>();

  // One Rebuild at a time; the beside index being built, for Progress.
  absl::Mutex rebuild_mu_;
  mutable absl::Mutex progress_mu_;
  Impl* beside_ ABSL_GUARDED_BY(progress_mu_) = nullptr;
  uint64_t beside_target_ ABSL_GUARDED_BY(progress_mu_) = 0;
  absl::Time beside_started_ ABSL_GUARDED_BY(progress_mu_);
  const char* beside_phase_ ABSL_GUARDED_BY(progress_mu_) = "";
  std::thread tailer_;
};

}  // namespace ehcp::projections

#endif  // EHCP_PROJECTIONS_INTERNAL_CLOCK_INDEX_IMPL_H_
