// EventLogImpl: opening, closing, notifications and counters.
#include <algorithm>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>
#include <system_error>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "storage/absl_string_view.h"
#include "storage/hash.h"
#include "storage/internal/event_log_impl.h"
#include "storage/internal/info_log.h"
#include "storage/rocksdb_db.h"
#include "storage/rocksdb_status.h"

namespace ehcp::storage {
namespace {

// The log's database: its families in handle order (RocksDB requires
// "default"; the log leaves it empty) and its format version.
const RocksDbLayout& Layout() {
  static const auto* const layout = new RocksDbLayout{
      .name = "event log",
      .a_name = "an event log",
      .families = {rocksdb::kDefaultColumnFamilyName, format::kLogFamily,
                   format::kStreamsFamily, format::kHeadsFamily,
                   format::kIdempotencyFamily, format::kMetaFamily},
      .meta_family = 5,
      .format_version = format::kFormatVersion,
      .data_families = {1},
      .data_noun = "records",
      .on_other_version = "open it with the ehcpd build that wrote it",
  };
  return *layout;
}

rocksdb::ColumnFamilyOptions FamilyOptions(
    const std::shared_ptr<rocksdb::Cache>& cache, bool bloom) {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  rocksdb::ColumnFamilyOptions family;
  if (bloom) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    // Also in the memtable, where a look-up of an unused key would
    // otherwise walk the skip list.
    family.memtable_whole_key_filtering = true;
    family.memtable_prefix_bloom_size_ratio = 0.05;
  }
  family.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // Payloads are the caller's (often already compact) bytes; the log is
  // read mostly in order. See FORMAT.md, "Trade-offs".
  family.compression = rocksdb::kNoCompression;
  return family;
}

// The write-ahead log files in `dir`, by name ("000004.log, 000009.log").
std::string WalFiles(const std::string& dir, rocksdb::Env* env) {
  std::vector<std::string> children;
  if (!env->GetChildren(dir, &children).ok()) return "none found";
  std::vector<std::string> wals;
  for (const std::string& name : children) {
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0) {
      wals.push_back(name);
    }
  }
  std::sort(wals.begin(), wals.end());
  return wals.empty() ? "none" : absl::StrJoin(wals, ", ");
}

// The log head a point-in-time recovery of `dir` would keep: opened read
// only, so nothing on disk changes. An error when even that fails.
absl::StatusOr<format::LogHead> RecoverableHead(
    const std::string& dir, const rocksdb::DBOptions& base,
    const std::function<rocksdb::ColumnFamilyOptions(const std::string&)>&
        family_options) {
  rocksdb::DBOptions options = base;
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  EHCP_RETURN_IF_ERROR(
      OpenRocksDbReadOnly(Layout(), dir, options, family_options, &db, &handles));
  absl::StatusOr<format::LogHead> head = format::LogHead();
  std::string value;
  const rocksdb::Status got = db->Get(rocksdb::ReadOptions(),
                                      handles[Layout().meta_family],
                                      format::kHeadKey, &value);
  if (!got.IsNotFound()) {
    absl::Status read = FromRocksDb(got, "event log: read log head");
    head = read.ok() ? format::DecodeLogHead(value)
                     : absl::StatusOr<format::LogHead>(read);
  }
  CloseRocksDb(&db, &handles);
  return head;
}

}  // namespace

absl::Status ClosedError() {
  return absl::UnavailableError("event log is closed");
}

absl::Status ReadOnlyError(std::string_view dir, const absl::Status& cause) {
  return absl::ResourceExhaustedError(absl::StrCat(
      "event log: ", ToAbsl(dir), " is open read-only, the disk being full (",
      cause.message(),
      "); reads go on, and appends resume by themselves once there is room"));
}

EventLogImpl::EventLogImpl(std::string dir, const Options& options,
                           rocksdb::Env* env)
    : dir_(std::move(dir)), options_(options), env_(env) {}

EventLogImpl::~EventLogImpl() { Close(); }

absl::StatusOr<std::unique_ptr<EventLog>> EventLogImpl::Open(
    const std::string& dir, const Options& options) {
  return OpenWithEnv(dir, options, nullptr);
}

absl::StatusOr<std::unique_ptr<EventLog>> EventLogImpl::OpenWithEnv(
    const std::string& dir, const Options& options, rocksdb::Env* env) {
  if (dir.empty()) {
    return absl::InvalidArgumentError("event log: directory must not be empty");
  }
  if (env == nullptr) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) {
      return absl::ErrnoToStatus(
          error.value(), absl::StrCat("event log: create directory ", dir));
    }
  }  // Otherwise RocksDB creates it through `env` (one level only).
  std::unique_ptr<EventLogImpl> log(new EventLogImpl(dir, options, env));
  EHCP_RETURN_IF_ERROR(log->OpenDatabase());
  return std::unique_ptr<EventLog>(std::move(log));
}

absl::Status EventLogImpl::OpenDatabase() {
  if (env_ != nullptr) db_options_.env = env_;
  // A torn last write is a batch nobody was told of: dropped. Damage
  // anywhere else in the WAL may hide acknowledged batches after it, and
  // refuses the open (FORMAT.md, "Recovery").
  db_options_.wal_recovery_mode =
      rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  // Every family flushes at one sequence number, so the SST files never run
  // ahead of one another or of the WAL.
  db_options_.atomic_flush = true;
  db_options_.max_open_files = options_.max_open_files;
  db_options_.max_background_jobs = 2;
  db_options_.keep_log_file_num = 4;

  std::shared_ptr<rocksdb::Cache> cache =
      rocksdb::NewLRUCache(options_.block_cache_bytes);
  family_options_ = [cache](const std::string& name) {
    // Bloom filters where reads are point look-ups that usually miss or hit
    // by key: stream heads and idempotency keys.
    const bool bloom =
        name == format::kHeadsFamily || name == format::kIdempotencyFamily;
    return FamilyOptions(cache, bloom);
  };

  if (options_.recover_to.has_value()) {
    absl::StatusOr<format::LogHead> recoverable =
        RecoverableHead(dir_, db_options_, family_options_);
    if (!recoverable.ok()) return recoverable.status();
    if (recoverable->position != *options_.recover_to) {
      return absl::FailedPreconditionError(absl::StrCat(
          "event log: recovering ", dir_, " would keep positions 1-",
          recoverable->position, ", not 1-", *options_.recover_to,
          "; nothing was changed"));
    }
    db_options_.wal_recovery_mode =
        rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  }
  absl::MutexLock db_lock(&db_mu_);
  absl::MutexLock commit_lock(&commit_mu_);
  absl::Status opened = OpenRocksDb(Layout(), dir_, db_options_,
                                    family_options_, &db_, &handles_);
  if (absl::IsResourceExhausted(opened) && !options_.recover_to.has_value()) {
    // A full disk: RocksDB cannot write what opening writes (a flush of the
    // WAL, a new MANIFEST). Serve the log as it is, read only, and reopen
    // it for writing once there is room (ResumeWrites).
    if (OpenRocksDbReadOnly(Layout(), dir_, db_options_, family_options_,
                            &db_, &handles_)
            .ok()) {
      read_only_.store(true);
      write_error_ = ReadOnlyError(dir_, opened);
      opened = absl::OkStatus();
    }
  }
  if (!opened.ok()) {
    if (!absl::IsDataLoss(opened)) return opened;
    // Damaged: say what can still be vouched for, and change nothing.
    rocksdb::Env* env = env_ != nullptr ? env_ : rocksdb::Env::Default();
    absl::StatusOr<format::LogHead> recoverable =
        RecoverableHead(dir_, db_options_, family_options_);
    return absl::DataLossError(absl::StrCat(
        "event log: ", dir_, " is damaged and was not opened (",
        opened.message(), "; write-ahead log files: ", WalFiles(dir_, env),
        "). ",
        recoverable.ok()
            ? absl::StrCat("Recovering up to the damage would keep positions "
                           "1-", recoverable->position,
                           "; records acknowledged after it may be lost. ")
            : absl::StrCat("No prefix could be recovered either (",
                           recoverable.status().message(), "). "),
        "Nothing was changed: restore the data directory from a backup",
        recoverable.ok()
            ? absl::StrCat(", or accept losing what follows position ",
                           recoverable->position,
                           " with `ehcpd --recover_to=", recoverable->position,
                           "` (it keeps a copy of the damaged files)")
            : "",
        " (storage/FORMAT.md, \"Opening and recovery\")."));
  }
  return UseOpenedDatabase();
}

void EventLogImpl::ReopenWritable() {
  absl::MutexLock db_lock(&db_mu_);  // Readers wait for the swap.
  absl::MutexLock commit_lock(&commit_mu_);
  if (!read_only_.load() || db_ == nullptr) return;
  const absl::Time now = absl::Now();
  if (now < next_resume_) return;
  next_resume_ = now + kResumeInterval;
  // Opened beside the read-only instance (which holds no lock on the
  // directory), so that a failure leaves the log readable as it was.
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  if (absl::Status opened = OpenRocksDb(Layout(), dir_, db_options_,
                                        family_options_, &db, &handles);
      !opened.ok()) {
    write_error_ =
        absl::IsResourceExhausted(opened)
            ? ReadOnlyError(dir_, opened)
            : absl::UnavailableError(absl::StrCat(
                  "event log: ", dir_,
                  " is open read-only (the disk was full); reopening it for "
                  "writing failed (",
                  opened.message(), "); it is tried again every second"));
    absl::MutexLock lock(&mu_);
    write_state_ = write_error_;
    return;
  }
  CloseRocksDb(&db_, &handles_);
  db_ = std::move(db);
  handles_ = std::move(handles);
  read_only_.store(false);
  // Nothing was written meanwhile: the head read again is the one served.
  write_error_ = UseOpenedDatabase();
  absl::MutexLock lock(&mu_);
  write_state_ = write_error_;
}

absl::Status EventLogImpl::UseOpenedDatabase() {
  families_.log = handles_[1];
  families_.streams = handles_[2];
  families_.heads = handles_[3];
  families_.idempotency = handles_[4];
  families_.meta = handles_[5];
  return LoadMeta();
}

absl::Status EventLogImpl::LoadMeta() {
  // The format version: written once, when the log is created.
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  EHCP_RETURN_IF_ERROR(
      CheckFormatVersion(Layout(), dir_, db_.get(), handles_, write_options));

  // The head, cross-checked against the last record.
  format::LogHead head;
  std::string value;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), families_.meta,
                                    format::kHeadKey, &value);
  if (!status.IsNotFound()) {
    EHCP_RETURN_IF_ERROR(FromRocksDb(status, "event log: read log head"));
    EHCP_ASSIGN_OR_RETURN(head, format::DecodeLogHead(value));
  }
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), families_.log));
  it->SeekToLast();
  EHCP_RETURN_IF_ERROR(FromRocksDb(it->status(), "event log: scan log"));
  if (!it->Valid()) {
    if (head.position != 0) {
      return absl::DataLossError(
          absl::StrCat("event log: the head names position ", head.position,
                       " but the log is empty"));
    }
  } else {
    EHCP_ASSIGN_OR_RETURN(
        uint64_t last, DecodeBigEndian64(it->key().ToStringView(), "log key"));
    if (last != head.position) {
      return absl::DataLossError(
          absl::StrCat("event log: the log ends at position ", last,
                       " but the head names position ", head.position));
    }
    if (Sha256(it->value().ToStringView()) != head.hash) {
      return absl::DataLossError(
          absl::StrCat("hash chain broken at position ", last,
                       ": its stored bytes do not match the log head"));
    }
  }
  committed_head_ = head;
  absl::MutexLock lock(&mu_);
  head_position_.store(head.position, std::memory_order_release);
  write_state_ = write_error_;
  return absl::OkStatus();
}

void EventLogImpl::Close() {
  std::deque<Pending> orphans;
  std::vector<PositionWaiters::Callback> waiters;
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    orphans.swap(queue_);
    const int own = CompletionDepthOnThisThread();
    struct Idle {
      const EventLogImpl* log;
      int own;
    } idle{this, own};
    mu_.Await(absl::Condition(
        +[](Idle* idle) ABSL_NO_THREAD_SAFETY_ANALYSIS {
          return !idle->log->committer_active_ &&
                 idle->log->completers_ <= idle->own;
        },
        &idle));
    waiters = waiters_.TakeAll();
  }
  for (Pending& pending : orphans) std::move(pending.done)(ClosedError());
  for (PositionWaiters::Callback& fn : waiters) fn(true);

  absl::MutexLock lock(&db_mu_);
  families_ = ColumnFamilies();
  // Everything acknowledged is already in the WAL; a failure to close
  // cleanly loses nothing and there is no caller to tell.
  CloseRocksDb(&db_, &handles_);
}

uint64_t EventLogImpl::NotifyAfter(uint64_t position,
                                   absl::AnyInvocable<void(bool closed)> fn) {
  bool closed;
  {
    absl::MutexLock lock(&mu_);
    if (head_position_.load(std::memory_order_relaxed) > position) {
      closed = false;
    } else if (closed_) {
      closed = true;
    } else {
      return waiters_.Add(position, std::move(fn));
    }
  }
  fn(closed);
  return 0;
}

bool EventLogImpl::CancelNotify(uint64_t token) {
  absl::MutexLock lock(&mu_);
  return waiters_.Remove(token);
}

bool EventLogImpl::WaitForPosition(uint64_t position,
                                   absl::Time deadline) const {
  if (HeadPosition() >= position) return true;
  struct Wait {
    const EventLogImpl* log;
    uint64_t position;
  } wait{this, position};
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithDeadline(absl::Condition(
                            +[](Wait* wait) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                              return wait->log->HeadPosition() >=
                                         wait->position ||
                                     wait->log->closed_;
                            },
                            &wait),
                        deadline);
  return HeadPosition() >= position;
}

EventLog::Stats EventLogImpl::GetStats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace ehcp::storage
