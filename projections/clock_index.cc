// ClockIndex: opening, closing, the tailer thread and the public forwarding
// methods. Writing the index is index_writer.cc; the reports are
// clock_queries.cc.
#include "projections/clock_index.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/big_endian.h"
#include "common/status_macros.h"
#include "projections/internal/clock_index_impl.h"
#include "rocksdb/cache.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "storage/rocksdb_db.h"
#include "storage/rocksdb_status.h"

namespace ehcp::projections {
namespace {

namespace fmt = index_format;
using storage::FromRocksDb;

// The index's database: its families in handle order (RocksDB requires
// "default"; the index leaves it empty) and its format version.
const storage::RocksDbLayout& Layout() {
  static const auto* const layout = new storage::RocksDbLayout{
      .name = "clock index",
      .a_name = "a clock index",
      .families = {rocksdb::kDefaultColumnFamilyName, fmt::kLateFamily,
                   fmt::kStoppedFamily, fmt::kCasesFamily, fmt::kLasFamily,
                   fmt::kMetaFamily, fmt::kRefsFamily, fmt::kStagesFamily,
                   fmt::kDueFamily},
      .meta_family = 5,
      .format_version = fmt::kFormatVersion,
      .data_families = {1, 2, 3, 4, 5, 6, 7, 8},
      .data_noun = "keys",
      .on_other_version = "delete the directory to rebuild the index",
  };
  return *layout;
}

// An index that has read the log further than the log goes.
absl::Status AheadOfLogError(const std::string& dir, uint64_t checkpoint,
                             uint64_t head) {
  return absl::FailedPreconditionError(absl::StrCat(
      "clock index: ", dir, " has read the event log up to position ",
      checkpoint, " but the log now ends at position ", head,
      ": the log has lost records it had acknowledged, or the data "
      "directory holds another log's index. Nothing was changed; restore "
      "the data directory from a backup. Keep this index: it shows how far "
      "the log went"));
}

}  // namespace

ClockIndex::Impl::Impl(std::string dir, storage::EventLog* log,
                       const Options& options)
    : dir_(std::move(dir)),
      log_(log),
      options_(options),
      own_cases_(options.cases != nullptr
                     ? nullptr
                     : std::make_unique<cases::CaseCache>(
                           log, options.own_case_cache_bytes)),
      cases_(options.cases != nullptr ? options.cases : own_cases_.get()) {}

ClockIndex::Impl::~Impl() { Close(); }

absl::Status ClockIndex::Impl::ClosedError() const {
  {
    absl::MutexLock lock(&mu_);
    if (!damage_.ok()) return damage_;
  }
  return absl::UnavailableError("clock index is closed");
}

void ClockIndex::Impl::MarkDamaged(const absl::Status& error) {
  {
    absl::MutexLock apply_lock(&apply_mu_);
    absl::WriterMutexLock db_lock(&db_mu_);
    CloseDatabaseLocked();
  }
  absl::MutexLock lock(&mu_);
  damage_ = absl::FailedPreconditionError(absl::StrCat(
      "clock index is damaged (", error.message(),
      "); the event log is not affected: RebuildProjections (ehcpctl "
      "rebuild) discards the index and builds it again from the log"));
  tailer_error_ = damage_;
}

absl::Status ClockIndex::Impl::OpenDatabase() {
  absl::MutexLock apply_lock(&apply_mu_);
  return OpenDatabaseLocked();
}

absl::Status ClockIndex::Impl::OpenDatabaseLocked() {
  {
    absl::WriterMutexLock db_lock(&db_mu_);
    absl::Status opened = OpenHandlesLocked();
    // A full disk: serve the index as it is; the tailer reopens it for
    // writing once there is room (and a log opened on the same full disk
    // is read only too: it has nothing new to index).
    if (absl::IsResourceExhausted(opened) &&
        OpenHandlesLocked(/*read_only=*/true).ok()) {
      read_only_ = true;
      write_error_ = ReadOnlyError(opened);
      opened = absl::OkStatus();
    }
    EHCP_RETURN_IF_ERROR(opened);
  }
  return LoadMeta();
}

absl::Status ClockIndex::Impl::ReadOnlyError(const absl::Status& cause) const {
  return absl::ResourceExhaustedError(absl::StrCat(
      "clock index: ", dir_, " is open read-only, the disk being full (",
      cause.message(), "); it catches up by itself once there is room"));
}

absl::Status ClockIndex::Impl::ResumeWritesLocked() {
  if (!read_only_ && !absl::IsResourceExhausted(write_error_)) {
    return absl::OkStatus();
  }
  const absl::Time now = absl::Now();
  if (now < next_resume_) return write_error_;
  next_resume_ = now + absl::Seconds(1);
  if (!read_only_) {
    absl::ReaderMutexLock db_lock(&db_mu_);
    if (db_ == nullptr) return ClosedError();
    // RocksDB flushes and starts a new WAL, dropping what the failed write
    // left (never published); the batch is applied again from applied_.
    if (db_->Resume().ok()) write_error_ = absl::OkStatus();
    return write_error_;
  }
  // The index is a projection: queries wait for the swap, and if the
  // read-only database cannot even be opened again it is unavailable until
  // the next try.
  absl::WriterMutexLock db_lock(&db_mu_);
  CloseDatabaseLocked();
  if (absl::Status opened = OpenHandlesLocked(); !opened.ok()) {
    write_error_ = ReadOnlyError(opened);
    if (absl::Status again = OpenHandlesLocked(/*read_only=*/true);
        !again.ok()) {
      return again;
    }
    return write_error_;
  }
  read_only_ = false;
  write_error_ = absl::OkStatus();
  return absl::OkStatus();
}

absl::Status ClockIndex::Impl::OpenHandlesLocked(bool read_only) {
  rocksdb::DBOptions db_options;
  // The index is written without fsync (it is rebuildable from the log and
  // its checkpoint travels in every batch): after a power cut, recovery
  // keeps a consistent prefix of batches (FORMAT.md, "Durability").
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db_options.atomic_flush = true;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 4;
  db_options.max_open_files = 256;

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options_.block_cache_bytes);
  rocksdb::ColumnFamilyOptions family;
  family.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  auto family_options = [&family](const std::string&) { return family; };
  EHCP_RETURN_IF_ERROR(
      read_only ? storage::OpenRocksDbReadOnly(Layout(), dir_, db_options,
                                               family_options, &db_, &handles_)
                : storage::OpenRocksDb(Layout(), dir_, db_options,
                                       family_options, &db_, &handles_));
  families_.late = handles_[1];
  families_.stopped = handles_[2];
  families_.cases = handles_[3];
  families_.las = handles_[4];
  families_.meta = handles_[5];
  families_.refs = handles_[6];
  families_.stages = handles_[7];
  families_.due = handles_[8];
  return absl::OkStatus();
}

absl::Status ClockIndex::Impl::DiscardOlderFormat(
    const std::string& dir, const storage::EventLog& log) {
  rocksdb::DBOptions db_options;
  if (!db_options.env->FileExists(dir + "/CURRENT").ok()) {
    return absl::OkStatus();
  }
  std::vector<std::string> found;
  if (!rocksdb::DB::ListColumnFamilies(db_options, dir, &found).ok()) {
    return absl::OkStatus();  // The open says what is wrong.
  }
  // Only the families of a clock index, of this version or an older one
  // (versions 1 and 2 had the first five data families); any other
  // database is left for the open to refuse.
  const std::set<std::string> families(found.begin(), found.end());
  const std::vector<std::string>& current = Layout().families;
  const std::set<std::string> older(current.begin(), current.begin() + 6);
  if (families != std::set<std::string>(current.begin(), current.end()) &&
      families != older) {
    return absl::OkStatus();
  }
  const auto meta = std::find(found.begin(), found.end(), fmt::kMetaFamily);
  // Opened read-only as it is, whatever families its version had.
  storage::RocksDbLayout as_found = Layout();
  as_found.families = found;
  as_found.meta_family = static_cast<size_t>(meta - found.begin());
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  if (!storage::OpenRocksDbReadOnly(
           as_found, dir, db_options,
           [](const std::string&) { return rocksdb::ColumnFamilyOptions(); },
           &db, &handles)
           .ok()) {
    return absl::OkStatus();  // Damage: the open marks it so.
  }
  auto read = [&](const char* key) -> std::optional<uint64_t> {
    std::string value;
    if (!db->Get(rocksdb::ReadOptions(), handles[as_found.meta_family], key,
                 &value)
             .ok()) {
      return std::nullopt;
    }
    absl::StatusOr<uint64_t> n = ::ehcp::DecodeBigEndian64(value, key);
    return n.ok() ? std::optional<uint64_t>(*n) : std::nullopt;
  };
  const std::optional<uint64_t> version = read(fmt::kFormatVersionKey);
  const uint64_t checkpoint = read(fmt::kCheckpointKey).value_or(0);
  storage::CloseRocksDb(&db, &handles);
  if (!version || *version == fmt::kFormatVersion) return absl::OkStatus();
  if (*version > fmt::kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "clock index: ", dir, " has format version ", *version,
        "; this build reads only version ", fmt::kFormatVersion, " (",
        Layout().on_other_version, ")"));
  }
  const uint64_t head = log.HeadPosition();
  if (checkpoint > head) return AheadOfLogError(dir, checkpoint, head);
  // An older index: a projection of the same log, so nothing is lost by
  // building the current one from the log instead. Moved aside first, so a
  // crash while it is removed leaves it whole (RecoverFromSwap puts
  // <dir>.old back, and the next Open discards it again).
  std::error_code error;
  const std::string old = dir + ".old";
  std::filesystem::rename(dir, old, error);
  if (!error) std::filesystem::remove_all(old, error);
  if (!error) std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::ErrnoToStatus(
        error.value(),
        absl::StrCat("clock index: remove ", dir, " (format version ",
                     *version, ", to be rebuilt)"));
  }
  return absl::OkStatus();
}

absl::Status ClockIndex::Impl::LoadMeta() {
  absl::ReaderMutexLock db_lock(&db_mu_);
  rocksdb::DB* db = db_.get();
  auto get = [&](const char* key, std::string* value) -> absl::StatusOr<bool> {
    rocksdb::Status s =
        db->Get(rocksdb::ReadOptions(), families_.meta, key, value);
    if (s.IsNotFound()) return false;
    EHCP_RETURN_IF_ERROR(
        FromRocksDb(s, absl::StrCat("clock index: read meta ", key)));
    return true;
  };
  EHCP_RETURN_IF_ERROR(storage::CheckFormatVersion(Layout(), dir_, db, handles_,
                                                   rocksdb::WriteOptions()));
  std::string value;
  uint64_t checkpoint = 0, indexed = 0, rebuild_until = 0;
  EHCP_ASSIGN_OR_RETURN(bool has, get(fmt::kCheckpointKey, &value));
  if (has) {
    EHCP_ASSIGN_OR_RETURN(
        checkpoint,
        ::ehcp::DecodeBigEndian64(value, "clock index: meta checkpoint"));
  }
  EHCP_ASSIGN_OR_RETURN(has, get(fmt::kIndexedCasesKey, &value));
  if (has) {
    EHCP_ASSIGN_OR_RETURN(
        indexed,
        ::ehcp::DecodeBigEndian64(value, "clock index: meta indexed_cases"));
  }
  EHCP_ASSIGN_OR_RETURN(has, get(fmt::kRebuildUntilKey, &value));
  if (has) {
    EHCP_ASSIGN_OR_RETURN(
        rebuild_until,
        ::ehcp::DecodeBigEndian64(value, "clock index: meta rebuild_until"));
  }
  const uint64_t head = log_->HeadPosition();
  if (checkpoint > head) return AheadOfLogError(dir_, checkpoint, head);
  applied_ = checkpoint;
  rebuild_until_ = rebuild_until > checkpoint ? rebuild_until : 0;
  indexed_cases_.store(indexed);
  Publish();
  return absl::OkStatus();
}

void ClockIndex::Impl::Publish() {
  std::vector<Waiter> due;
  {
    absl::MutexLock lock(&mu_);
    rebuilding_.store(rebuild_until_ != 0);
    applied_mirror_.store(applied_);
    published_.store(rebuild_until_ != 0 ? 0 : applied_);
    const auto end = waiters_.upper_bound(published_.load());
    for (auto it = waiters_.begin(); it != end; ++it) {
      due.push_back(std::move(it->second));
    }
    waiters_.erase(waiters_.begin(), end);
  }
  for (Waiter& waiter : due) std::move(waiter.reached)(true);
}

uint64_t ClockIndex::Impl::NotifyAtCheckpoint(
    uint64_t position, absl::AnyInvocable<void(bool) &&> reached) {
  bool now = false;
  bool closing = false;
  uint64_t token = 0;
  {
    absl::MutexLock lock(&mu_);
    if (published_.load() >= position) {
      now = true;
    } else if (closing_) {
      closing = true;
    } else {
      token = next_token_++;
      waiters_.emplace(position, Waiter{token, std::move(reached)});
    }
  }
  if (now || closing) std::move(reached)(now);
  return token;
}

void ClockIndex::Impl::CancelNotify(uint64_t token) {
  absl::MutexLock lock(&mu_);
  for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
    if (it->second.token == token) {
      waiters_.erase(it);
      return;
    }
  }
}

bool ClockIndex::Impl::WaitForCheckpoint(uint64_t position,
                                         absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, position]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return published_.load() >= position || closing_;
  };
  mu_.AwaitWithDeadline(absl::Condition(&reached), deadline);
  return published_.load() >= position;
}

IndexStatus ClockIndex::Impl::Status() const {
  IndexStatus status;
  status.checkpoint = published_.load();
  status.head = log_->HeadPosition();
  status.lag =
      status.head > status.checkpoint ? status.head - status.checkpoint : 0;
  status.indexed_cases = indexed_cases_.load();
  status.rebuild = Progress();
  status.rebuilding = rebuilding_.load() || status.rebuild.running;
  absl::MutexLock lock(&mu_);
  status.tailer_error = tailer_error_;
  status.damage = damage_;
  return status;
}

void ClockIndex::Impl::StartTailer() {
  tailer_ = std::thread([this] { TailLoop(); });
}

void ClockIndex::Impl::TailLoop() {
  while (!stopping_.load()) {
    absl::Status status = CatchUpTo(UINT64_MAX);
    if (stopping_.load()) return;
    if (status.ok() && wake_->log_closed()) {
      // Nothing more will come; keep polling until Close().
      status = absl::UnavailableError("event log is closed");
    }
    {
      absl::MutexLock lock(&mu_);
      tailer_error_ = status;
    }
    uint64_t token = 0;
    if (status.ok()) {
      // Woken by the next commit past what was just applied. The callback
      // only signals: it may run on an appender's thread.
      std::shared_ptr<Wake> wake = wake_;
      token = log_->NotifyAfter(applied_mirror_.load(), [wake](bool closed) {
        wake->Signal(/*log_closed=*/closed);
      });
    }
    // No waiting for more: what committed meanwhile is read in one page,
    // so batches grow with the load, never with a delay.
    wake_->Wait(options_.poll_interval);
    if (token != 0) log_->CancelNotify(token);
  }
}

void ClockIndex::Impl::Close() {
  {
    absl::MutexLock lock(&mu_);
    if (closing_) {
      mu_.Await(absl::Condition(&closed_));
      return;
    }
    closing_ = true;
  }
  stopping_.store(true);
  {
    // A rebuild under way stops after its current batch.
    absl::MutexLock lock(&progress_mu_);
    if (beside_ != nullptr) beside_->stopping_.store(true);
  }
  wake_->Signal();
  if (tailer_.joinable()) tailer_.join();
  std::multimap<uint64_t, Waiter> waiters;
  {
    absl::MutexLock lock(&mu_);
    waiters.swap(waiters_);
  }
  for (auto& [position, waiter] : waiters) std::move(waiter.reached)(false);
  {
    absl::MutexLock apply_lock(&apply_mu_);
    absl::WriterMutexLock db_lock(&db_mu_);
    CloseDatabaseLocked();
  }
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

void ClockIndex::Impl::CloseDatabaseLocked() {
  families_ = IndexFamilies();
  storage::CloseRocksDb(&db_, &handles_);
}

// ---------------------------------------------------------------------------
// ClockIndex: forwarding.

absl::StatusOr<std::unique_ptr<ClockIndex>> ClockIndex::Open(
    const std::string& dir, storage::EventLog* log, const Options& options) {
  if (dir.empty()) {
    return absl::InvalidArgumentError(
        "clock index: directory must not be empty");
  }
  if (log == nullptr) {
    return absl::InvalidArgumentError("clock index: no event log given");
  }
  if (options.batch_size < 1 || options.batch_size > storage::kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("clock index: batch_size must be 1-",
                     storage::kMaxPageSize, ", got ", options.batch_size));
  }
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::ErrnoToStatus(
        error.value(), absl::StrCat("clock index: create directory ", dir));
  }
  EHCP_RETURN_IF_ERROR(Impl::RecoverFromSwap(dir));
  EHCP_RETURN_IF_ERROR(Impl::DiscardOlderFormat(dir, *log));
  auto impl = std::make_unique<Impl>(dir, log, options);
  if (absl::Status opened = impl->OpenDatabase(); !opened.ok()) {
    // A damaged index is rebuilt from the log, not a reason to stay down.
    if (!absl::IsDataLoss(opened)) return opened;
    impl->MarkDamaged(opened);
  }
  if (options.start_tailer) impl->StartTailer();
  return std::unique_ptr<ClockIndex>(new ClockIndex(std::move(impl)));
}

ClockIndex::ClockIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ClockIndex::~ClockIndex() { Close(); }

absl::Status ClockIndex::CatchUp() { return impl_->CatchUpTo(UINT64_MAX); }

absl::Status ClockIndex::CatchUpTo(uint64_t position) {
  return impl_->CatchUpTo(position);
}

bool ClockIndex::WaitForCheckpoint(uint64_t position,
                                   absl::Time deadline) const {
  return impl_->WaitForCheckpoint(position, deadline);
}

uint64_t ClockIndex::NotifyAtCheckpoint(
    uint64_t position, absl::AnyInvocable<void(bool) &&> reached) {
  return impl_->NotifyAtCheckpoint(position, std::move(reached));
}

void ClockIndex::CancelNotify(uint64_t token) { impl_->CancelNotify(token); }

uint64_t ClockIndex::Checkpoint() const { return impl_->Checkpoint(); }

IndexStatus ClockIndex::Status() const { return impl_->Status(); }

absl::StatusOr<RebuildResult> ClockIndex::Rebuild() { return impl_->Rebuild(); }

absl::StatusOr<BreachPage> ClockIndex::ListBreaches(
    const BreachFilter& filter, const PageRequest& page) const {
  return impl_->ListBreaches(filter, page);
}

absl::StatusOr<BacklogReport> ClockIndex::ReviewBacklog(
    const std::string& la_code, absl::CivilDay as_of) const {
  return impl_->ReviewBacklog(la_code, as_of);
}

absl::StatusOr<TimelinessReport> ClockIndex::Timeliness(
    const std::string& la_code, int year) const {
  return impl_->Timeliness(la_code, year);
}

absl::StatusOr<std::vector<CaseSummary>> ClockIndex::FindCase(
    const std::string& la_code, const std::string& case_reference) const {
  return impl_->FindCase(la_code, case_reference);
}

absl::StatusOr<CasePage> ClockIndex::ListCases(const CaseFilter& filter,
                                               const PageRequest& page) const {
  return impl_->ListCases(filter, page);
}

absl::StatusOr<DeadlinePage> ClockIndex::ListDeadlines(
    const DeadlineFilter& filter, const PageRequest& page) const {
  return impl_->ListDeadlines(filter, page);
}

void ClockIndex::Close() { impl_->Close(); }

}  // namespace ehcp::projections
