#include "projections/alert_scheduler.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cases/case_cache.h"
#include "common/big_endian.h"
#include "common/status_macros.h"
#include "domain/clocks.h"
#include "domain/dates.h"
#include "domain/rules.h"
#include "domain/validation.h"
#include "projections/internal/alert_format.h"
#include "projections/internal/index_format.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/rocksdb_db.h"
#include "storage/rocksdb_status.h"

namespace ehcp::projections {
namespace {

namespace fmt = alert_format;
using storage::FromRocksDb;

enum Family : size_t {
  kDefault = 0,
  kAlerts = 1,
  kInstances = 2,
  kWakes = 3,
  kCases = 4,
  kMeta = 5,
};

const storage::RocksDbLayout& Layout() {
  static const auto* const layout = new storage::RocksDbLayout{
      .name = "alert log",
      .a_name = "an alert log",
      .families = {rocksdb::kDefaultColumnFamilyName, fmt::kAlertsFamily,
                   fmt::kInstancesFamily, fmt::kWakesFamily, fmt::kCasesFamily,
                   fmt::kMetaFamily},
      .meta_family = kMeta,
      .format_version = fmt::kFormatVersion,
      .data_families = {kAlerts, kInstances, kWakes, kCases, kMeta},
      .data_noun = "keys",
      .on_other_version =
          "the alert log is history and is not rebuilt: run the ehcpd that "
          "wrote it, or restore the data directory from a backup of this "
          "version",
  };
  return *layout;
}

// The wake-up of the scheduler's thread: the log's commits and SetToday
// signal it. Shared with the log's callbacks, which may outlive a wait.
class Wake {
 public:
  void Signal() {
    absl::MutexLock lock(&mu_);
    signalled_ = true;
  }
  void Wait(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&signalled_), timeout);
    signalled_ = false;
  }

 private:
  absl::Mutex mu_;
  bool signalled_ ABSL_GUARDED_BY(mu_) = false;
};

// The work of one step, written in one batch.
struct Step {
  rocksdb::WriteBatch batch;
  std::vector<Alert> alerts;
  uint64_t next_sequence = 1;
  uint64_t checkpoint = 0;
  absl::CivilDay day;
};

}  // namespace

absl::string_view AlertKindName(AlertKind kind) {
  switch (kind) {
    case AlertKind::kDueSoon:
      return "DUE_SOON";
    case AlertKind::kBreached:
      return "BREACHED";
    case AlertKind::kResolved:
      return "RESOLVED";
    case AlertKind::kWithdrawn:
      return "WITHDRAWN";
  }
  return "UNKNOWN";
}

std::optional<AlertKind> AlertKindFromName(absl::string_view name) {
  for (AlertKind kind : {AlertKind::kDueSoon, AlertKind::kBreached,
                         AlertKind::kResolved, AlertKind::kWithdrawn}) {
    if (name == AlertKindName(kind)) return kind;
  }
  return std::nullopt;
}

bool AlertFilter::Matches(const Alert& alert) const {
  if (!la_code.empty() && alert.la_code != la_code) return false;
  if (!clock_ids.empty() && std::find(clock_ids.begin(), clock_ids.end(),
                                      alert.clock_id) == clock_ids.end()) {
    return false;
  }
  if (!kinds.empty() &&
      std::find(kinds.begin(), kinds.end(), alert.kind) == kinds.end()) {
    return false;
  }
  return true;
}

int AlertScheduler::LeadDays::For(const std::string& clock_id) const {
  auto it = by_clock.find(clock_id);
  return it != by_clock.end() ? it->second : other;
}

class AlertScheduler::Impl {
 public:
  Impl(std::string dir, storage::EventLog* log, const Options& options)
      : dir_(std::move(dir)),
        log_(log),
        options_(options),
        own_cases_(options.cases != nullptr
                       ? nullptr
                       : std::make_unique<cases::CaseCache>(
                             log, options.own_case_cache_bytes)),
        cases_(options.cases != nullptr ? options.cases : own_cases_.get()) {}

  ~Impl() { Close(); }

  absl::Status Open(absl::CivilDay today);
  void Start() {
    thread_ = std::thread([this] { Loop(); });
  }
  void SetToday(absl::CivilDay today);
  absl::Status CatchUp();
  absl::StatusOr<AlertPage> ListAlerts(uint64_t from, const AlertFilter& filter,
                                       size_t max_alerts,
                                       size_t max_scan) const;
  uint64_t LastSequence() const { return last_sequence_.load(); }
  uint64_t NotifyAtSequence(uint64_t sequence,
                            absl::AnyInvocable<void(bool) &&> raised);
  bool CancelNotify(uint64_t token);
  SchedulerStatus Status() const;
  void Close();

 private:
  absl::Status ClosedError() const {
    return absl::UnavailableError(
        absl::StrCat("alert log: ", dir_, " is closed"));
  }
  absl::Status ApplyEventsLocked(uint64_t head)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status AdvanceDayLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status LookAtCase(const std::string& case_id,
                          absl::Span<const storage::Record* const> records,
                          uint64_t max_position, Step* step)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status CommitLocked(Step& step)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status OpenHandlesLocked(bool read_only)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(db_mu_);
  // A log opened read-only (full disk) tries to reopen for writing.
  absl::Status ReopenWritableLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  void Loop();

  rocksdb::ColumnFamilyHandle* family(Family f) const { return handles_[f]; }

  const std::string dir_;
  storage::EventLog* const log_;
  const Options options_;
  const std::unique_ptr<cases::CaseCache> own_cases_;
  cases::CaseCache* const cases_;

  // The database; its pointers change only at Close (writer lock).
  mutable absl::Mutex db_mu_;
  std::unique_ptr<rocksdb::DB> db_ ABSL_GUARDED_BY(db_mu_);
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::DBOptions db_options_;
  bool read_only_ ABSL_GUARDED_BY(write_mu_) = false;
  absl::Status read_only_error_ ABSL_GUARDED_BY(write_mu_);

  // One writer at a time: the thread, or a caller of CatchUp.
  absl::Mutex write_mu_;
  uint64_t checkpoint_ ABSL_GUARDED_BY(write_mu_) = 0;
  absl::CivilDay day_ ABSL_GUARDED_BY(write_mu_);
  absl::CivilDay first_day_;  // Set at Open.
  uint64_t next_sequence_ ABSL_GUARDED_BY(write_mu_) = 1;

  mutable absl::Mutex mu_;
  absl::CivilDay target_ ABSL_GUARDED_BY(mu_);
  SchedulerStatus status_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  struct Waiter {
    uint64_t token;
    absl::AnyInvocable<void(bool) &&> raised;
  };
  std::multimap<uint64_t, Waiter> waiters_ ABSL_GUARDED_BY(mu_);
  uint64_t next_token_ ABSL_GUARDED_BY(mu_) = 1;

  std::atomic<uint64_t> last_sequence_{0};
  std::atomic<bool> stopping_{false};
  const std::shared_ptr<Wake> wake_ = std::make_shared<Wake>();
  std::thread thread_;
};

absl::Status AlertScheduler::Impl::Open(absl::CivilDay today) {
  rocksdb::DBOptions db_options;
  // Point-in-time recovery keeps a prefix of the batches after a crash;
  // each batch carries its checkpoint, and those holding alerts are synced.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db_options.atomic_flush = true;
  db_options.max_background_jobs = 1;
  db_options.keep_log_file_num = 4;
  db_options.max_open_files = 128;
  db_options_ = db_options;
  // Lock order: write_mu_, then db_mu_, then mu_.
  absl::MutexLock write_lock(&write_mu_);
  absl::WriterMutexLock db_lock(&db_mu_);
  if (absl::Status opened = OpenHandlesLocked(/*read_only=*/false);
      !opened.ok()) {
    // On a full disk an existing alert log opens read-only: alerts can be
    // listed, and are raised again once there is room (CatchUp reopens).
    if (!absl::IsResourceExhausted(opened) ||
        !OpenHandlesLocked(/*read_only=*/true).ok()) {
      return opened;
    }
    read_only_ = true;
    read_only_error_ = absl::ResourceExhaustedError(absl::StrCat(
        "alert log: ", dir_, " is open read-only, the disk being full (",
        opened.message(), "); alerts are raised again once there is room"));
  }
  rocksdb::DB* db = db_.get();
  auto fail = [&](absl::Status status) {
    storage::CloseRocksDb(&db_, &handles_);
    return status;
  };
  rocksdb::WriteOptions sync;
  sync.sync = true;
  if (absl::Status version =
          storage::CheckFormatVersion(Layout(), dir_, db, handles_, sync);
      !version.ok()) {
    return fail(version);
  }
  auto get = [&](const char* key, std::string* value) -> absl::StatusOr<bool> {
    rocksdb::Status s =
        db->Get(rocksdb::ReadOptions(), handles_[kMeta], key, value);
    if (s.IsNotFound()) return false;
    EHCP_RETURN_IF_ERROR(FromRocksDb(s, absl::StrCat("alert log: read ", key)));
    return true;
  };
  std::string value;
  absl::StatusOr<bool> has = get(fmt::kDayKey, &value);
  if (!has.ok()) return fail(has.status());
  if (!*has) {
    // A new alert log: it watches from today.
    rocksdb::WriteBatch batch;
    batch.Put(handles_[kMeta], fmt::kDayKey, index_format::DateKey(today));
    batch.Put(handles_[kMeta], fmt::kFirstDayKey, index_format::DateKey(today));
    batch.Put(handles_[kMeta], fmt::kCheckpointKey, BigEndian64(0));
    batch.Put(handles_[kMeta], fmt::kNextSequenceKey, BigEndian64(1));
    if (absl::Status s =
            FromRocksDb(db->Write(sync, &batch), "alert log: create");
        !s.ok()) {
      return fail(s);
    }
    day_ = today;
    first_day_ = today;
  } else {
    absl::StatusOr<absl::CivilDay> day =
        index_format::ParseDateKey(value, "alert log: meta day");
    if (!day.ok()) return fail(day.status());
    day_ = *day;
    auto read_day = [&](const char* key) -> absl::StatusOr<absl::CivilDay> {
      EHCP_ASSIGN_OR_RETURN(bool present, get(key, &value));
      if (!present) {
        return absl::DataLossError(
            absl::StrCat("alert log: ", dir_, " has no meta ", key));
      }
      return index_format::ParseDateKey(value,
                                        absl::StrCat("alert log: meta ", key));
    };
    auto read_number = [&](const char* key) -> absl::StatusOr<uint64_t> {
      EHCP_ASSIGN_OR_RETURN(bool present, get(key, &value));
      if (!present) {
        return absl::DataLossError(
            absl::StrCat("alert log: ", dir_, " has no meta ", key));
      }
      return DecodeBigEndian64(value, absl::StrCat("alert log: meta ", key));
    };
    absl::StatusOr<absl::CivilDay> first = read_day(fmt::kFirstDayKey);
    if (!first.ok()) return fail(first.status());
    first_day_ = *first;
    absl::StatusOr<uint64_t> checkpoint = read_number(fmt::kCheckpointKey);
    if (!checkpoint.ok()) return fail(checkpoint.status());
    absl::StatusOr<uint64_t> next = read_number(fmt::kNextSequenceKey);
    if (!next.ok()) return fail(next.status());
    if (*next == 0) {
      return fail(absl::DataLossError(
          absl::StrCat("alert log: ", dir_, " has next_sequence 0")));
    }
    checkpoint_ = *checkpoint;
    next_sequence_ = *next;
  }
  if (checkpoint_ > log_->HeadPosition()) {
    return fail(absl::FailedPreconditionError(absl::StrCat(
        "alert log: ", dir_, " has read the event log up to position ",
        checkpoint_, ", but the event log ends at ", log_->HeadPosition(),
        ": the event log lost acknowledged records, or this alert log "
        "belongs to another; restore the whole data directory from one "
        "backup")));
  }
  last_sequence_.store(next_sequence_ - 1);
  absl::MutexLock lock(&mu_);
  target_ = std::max(today, day_);
  status_.day = day_;
  status_.first_day = first_day_;
  status_.target_day = target_;
  status_.checkpoint = checkpoint_;
  status_.last_sequence = next_sequence_ - 1;
  return absl::OkStatus();
}

void AlertScheduler::Impl::SetToday(absl::CivilDay today) {
  {
    absl::MutexLock lock(&mu_);
    if (today <= target_) return;
    target_ = today;
    status_.target_day = today;
  }
  wake_->Signal();
}

absl::Status AlertScheduler::Impl::OpenHandlesLocked(bool read_only) {
  auto family_options = [](const std::string&) {
    return rocksdb::ColumnFamilyOptions();
  };
  return read_only
             ? storage::OpenRocksDbReadOnly(Layout(), dir_, db_options_,
                                            family_options, &db_, &handles_)
             : storage::OpenRocksDb(Layout(), dir_, db_options_, family_options,
                                    &db_, &handles_);
}

absl::Status AlertScheduler::Impl::ReopenWritableLocked() {
  absl::WriterMutexLock db_lock(&db_mu_);
  if (db_ == nullptr) return ClosedError();
  storage::CloseRocksDb(&db_, &handles_);
  if (absl::Status opened = OpenHandlesLocked(/*read_only=*/false);
      !opened.ok()) {
    if (absl::Status again = OpenHandlesLocked(/*read_only=*/true);
        !again.ok()) {
      return again;
    }
    return read_only_error_;
  }
  read_only_ = false;
  read_only_error_ = absl::OkStatus();
  return absl::OkStatus();
}

absl::Status AlertScheduler::Impl::CatchUp() {
  absl::MutexLock write_lock(&write_mu_);
  if (read_only_) EHCP_RETURN_IF_ERROR(ReopenWritableLocked());
  const uint64_t head = log_->HeadPosition();
  while (checkpoint_ < head) {
    if (stopping_.load()) return ClosedError();
    EHCP_RETURN_IF_ERROR(ApplyEventsLocked(head));
  }
  absl::CivilDay target;
  {
    absl::MutexLock lock(&mu_);
    target = target_;
  }
  while (day_ < target) {
    if (stopping_.load()) return ClosedError();
    EHCP_RETURN_IF_ERROR(AdvanceDayLocked());
  }
  return absl::OkStatus();
}

absl::Status AlertScheduler::Impl::ApplyEventsLocked(uint64_t head) {
  const size_t count = static_cast<size_t>(
      std::min<uint64_t>(options_.batch_size, head - checkpoint_));
  EHCP_ASSIGN_OR_RETURN(std::vector<storage::Record> page,
                        log_->ReadAll(checkpoint_ + 1, count));
  if (page.empty() || page.front().position != checkpoint_ + 1) {
    return absl::DataLossError(
        absl::StrCat("alert log: the event log has no record at position ",
                     checkpoint_ + 1, " below its head"));
  }
  Step step;
  step.next_sequence = next_sequence_;
  step.checkpoint = page.back().position;
  step.day = day_;
  // Each touched case once, in the order of its first record in the page.
  std::vector<std::string> touched;
  absl::flat_hash_map<std::string, std::vector<const storage::Record*>> of;
  for (const storage::Record& record : page) {
    std::vector<const storage::Record*>& records = of[record.stream_id];
    if (records.empty()) touched.push_back(record.stream_id);
    records.push_back(&record);
  }
  for (const std::string& case_id : touched) {
    EHCP_RETURN_IF_ERROR(
        LookAtCase(case_id, of[case_id], step.checkpoint, &step));
  }
  return CommitLocked(step);
}

absl::Status AlertScheduler::Impl::AdvanceDayLocked() {
  Step step;
  step.next_sequence = next_sequence_;
  step.checkpoint = checkpoint_;
  step.day = day_ + 1;
  // The cases due a look on or before the new day (earlier ones only if a
  // step was lost: they are looked at now).
  std::vector<std::string> due;
  {
    absl::ReaderMutexLock db_lock(&db_mu_);
    if (db_ == nullptr) return ClosedError();
    const std::string bound = index_format::DateKey(step.day + 1);
    rocksdb::Slice upper(bound);
    rocksdb::ReadOptions read;
    read.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(read, family(kWakes)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      EHCP_ASSIGN_OR_RETURN(fmt::WakeKeyParts parts,
                            fmt::ParseWakeKey(it->key().ToStringView()));
      due.push_back(std::move(parts.case_id));
    }
    EHCP_RETURN_IF_ERROR(FromRocksDb(it->status(), "alert log: read wakes"));
  }
  for (const std::string& case_id : due) {
    EHCP_RETURN_IF_ERROR(LookAtCase(case_id, {}, step.checkpoint, &step));
  }
  return CommitLocked(step);
}

absl::Status AlertScheduler::Impl::LookAtCase(
    const std::string& case_id,
    absl::Span<const storage::Record* const> records, uint64_t max_position,
    Step* step) {
  const absl::CivilDay day = step->day;
  // The model holds every record up to the checkpoint (the append path
  // tells the cache of its commits; this step's records are added if it
  // has not yet).
  absl::StatusOr<std::shared_ptr<cases::SharedCase>> shared =
      cases_->GetHolding(case_id, records);
  if (absl::IsNotFound(shared.status())) return absl::OkStatus();
  if (!shared.ok()) return shared.status();
  std::vector<domain::ClockRow> rows_now, rows_final;
  std::string la_code, reference;
  std::optional<absl::CivilDay> next_event_day;
  {
    absl::MutexLock lock(&(*shared)->mu);
    const domain::CaseModel& model = (*shared)->model;
    if (model.version() == 0 || !model.event(1).payload().has_case_opened()) {
      return absl::OkStatus();
    }
    const v1::CaseOpened& opened = model.event(1).payload().case_opened();
    la_code = opened.la_code();
    reference = opened.case_reference();
    rows_now = model.ClocksAsOf(day, static_cast<int64_t>(max_position));
    rows_final = model.ClocksAsOf(domain::kEndOfTime,
                                  static_cast<int64_t>(max_position));
    // An event recorded with a date after the scheduler's day (the server's
    // day may run ahead of the scheduler's) changes the clocks on its date.
    for (int64_t v = 1; v <= model.version(); ++v) {
      const v1::Event& e = model.event(v);
      if (static_cast<uint64_t>(e.global_position()) > max_position) break;
      absl::StatusOr<absl::CivilDay> on = domain::ParseDate(e.occurred_on());
      if (on.ok() && *on > day && (!next_event_day || *on < *next_event_day)) {
        next_event_day = *on;
      }
    }
  }
  cases_->Measure(case_id);
  // A stream without an LA is not a case the reports place; no alerts.
  if (!domain::IsOnsLaCode(la_code)) return absl::OkStatus();

  // What was announced of the case's instances, and when it is next due a
  // look.
  std::map<std::pair<std::string, std::string>, fmt::InstanceState> announced;
  std::optional<std::string> old_wake;
  {
    absl::ReaderMutexLock db_lock(&db_mu_);
    if (db_ == nullptr) return ClosedError();
    const std::string prefix = fmt::InstancePrefix(case_id);
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), family(kInstances)));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
         it->Next()) {
      EHCP_ASSIGN_OR_RETURN(fmt::InstanceKeyParts parts,
                            fmt::ParseInstanceKey(it->key().ToStringView()));
      EHCP_ASSIGN_OR_RETURN(
          fmt::InstanceState state,
          fmt::DecodeInstanceState(it->value().ToStringView()));
      announced[{parts.clock_id, parts.instance}] = state;
    }
    EHCP_RETURN_IF_ERROR(
        FromRocksDb(it->status(), "alert log: read instances"));
    std::string value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), family(kCases), case_id, &value);
    if (!s.IsNotFound()) {
      EHCP_RETURN_IF_ERROR(FromRocksDb(s, "alert log: read case entry"));
      old_wake = std::move(value);
    }
  }

  auto raise = [&](AlertKind kind, const std::string& clock_id,
                   const std::string& instance,
                   std::optional<absl::CivilDay> due, int days_late,
                   int days_remaining) {
    Alert alert{.sequence = step->next_sequence++,
                .kind = kind,
                .day = day,
                .position = max_position,
                .case_id = case_id,
                .case_reference = reference,
                .la_code = la_code,
                .clock_id = clock_id,
                .instance = instance,
                .due = due,
                .days_late = days_late,
                .days_remaining = days_remaining};
    step->batch.Put(family(kAlerts), fmt::SequenceKey(alert.sequence),
                    fmt::EncodeAlert(alert));
    step->alerts.push_back(std::move(alert));
  };

  std::set<std::pair<std::string, std::string>> listed;
  for (const domain::ClockRow& row : rows_now) {
    const std::pair<std::string, std::string> id{row.clock_id, row.instance};
    // A duplicate instance name (rare) is announced under its first row.
    if (!listed.insert(id).second) continue;
    const auto it = announced.find(id);
    const fmt::InstanceState before =
        it != announced.end() ? it->second : fmt::InstanceState{};
    fmt::InstanceState after = before;
    const domain::ClockRule* rule =
        domain::FindClockRule(row.clock_id, row.trigger);
    const bool overdue = row.status == domain::ClockStatus::kOverdue;
    if (rule != nullptr && rule->kind == domain::ClockKind::kDeadline &&
        row.status == domain::ClockStatus::kPending && !row.stop && row.due &&
        !(after.flags & (fmt::kDueSoonRaised | fmt::kBreachedRaised))) {
      const int lead = options_.lead_days.For(row.clock_id);
      if (lead > 0 && day >= *row.due - lead && day <= *row.due) {
        raise(AlertKind::kDueSoon, row.clock_id, row.instance, row.due, 0,
              static_cast<int>(*row.due - day));
        after.flags |= fmt::kDueSoonRaised;
      }
    }
    if (!(after.flags & fmt::kBreachedRaised)) {
      if (overdue) {
        raise(AlertKind::kBreached, row.clock_id, row.instance, row.due,
              row.days_late, 0);
        after.flags |= fmt::kBreachedRaised | fmt::kBreachedWhileOpen;
      } else if (row.status == domain::ClockStatus::kBreached && row.stop &&
                 *row.stop >= first_day_) {
        raise(AlertKind::kBreached, row.clock_id, row.instance, row.due,
              row.days_late, 0);
        after.flags |= fmt::kBreachedRaised;
      }
    }
    if ((after.flags & fmt::kBreachedWhileOpen) &&
        !(after.flags & fmt::kResolvedRaised) && !overdue) {
      raise(AlertKind::kResolved, row.clock_id, row.instance, row.due,
            row.days_late, 0);
      after.flags |= fmt::kResolvedRaised;
    }
    if (after.flags != 0) after.due = row.due;
    if (after != before) {
      step->batch.Put(family(kInstances),
                      fmt::InstanceKey(case_id, row.clock_id, row.instance),
                      fmt::EncodeInstanceState(after));
    }
  }
  // Announced instances a correction took away.
  for (const auto& [id, state] : announced) {
    if (listed.contains(id) || (state.flags & fmt::kWithdrawnRaised)) continue;
    raise(AlertKind::kWithdrawn, id.first, id.second, state.due, 0, 0);
    fmt::InstanceState after = state;
    after.flags |= fmt::kWithdrawnRaised;
    step->batch.Put(family(kInstances),
                    fmt::InstanceKey(case_id, id.first, id.second),
                    fmt::EncodeInstanceState(after));
  }

  // The next day the case's clocks can change without a new event.
  std::optional<absl::CivilDay> next;
  auto consider = [&](absl::CivilDay candidate) {
    if (candidate > day && (!next || candidate < *next)) next = candidate;
  };
  for (const domain::ClockRow& row : rows_final) {
    consider(row.trigger);
    if (row.stop) consider(*row.stop);
    if (row.due) {
      consider(*row.due + 1);
      const int lead = options_.lead_days.For(row.clock_id);
      if (lead > 0) consider(*row.due - lead);
    }
  }
  if (next_event_day) consider(*next_event_day);
  std::optional<std::string> new_wake;
  if (next) new_wake = index_format::DateKey(*next);
  if (new_wake != old_wake) {
    if (old_wake) {
      step->batch.Delete(family(kWakes), absl::StrCat(*old_wake, case_id));
    }
    if (new_wake) {
      step->batch.Put(family(kWakes), absl::StrCat(*new_wake, case_id), "");
      step->batch.Put(family(kCases), case_id, *new_wake);
    } else {
      step->batch.Delete(family(kCases), case_id);
    }
  }
  return absl::OkStatus();
}

absl::Status AlertScheduler::Impl::CommitLocked(Step& step) {
  step.batch.Put(family(kMeta), fmt::kCheckpointKey,
                 BigEndian64(step.checkpoint));
  step.batch.Put(family(kMeta), fmt::kDayKey, index_format::DateKey(step.day));
  step.batch.Put(family(kMeta), fmt::kNextSequenceKey,
                 BigEndian64(step.next_sequence));
  {
    absl::ReaderMutexLock db_lock(&db_mu_);
    if (db_ == nullptr) return ClosedError();
    rocksdb::WriteOptions write;
    // An alert once delivered must never be raised again: batches that hold
    // alerts are synced before anyone can read them. A lost batch without
    // alerts is redone, with the same outcome, from the checkpoint before.
    write.sync = !step.alerts.empty();
    EHCP_RETURN_IF_ERROR(
        FromRocksDb(db_->Write(write, &step.batch), "alert log: write"));
  }
  checkpoint_ = step.checkpoint;
  day_ = step.day;
  next_sequence_ = step.next_sequence;
  last_sequence_.store(next_sequence_ - 1);
  std::vector<absl::AnyInvocable<void(bool) &&>> reached;
  {
    absl::MutexLock lock(&mu_);
    status_.day = day_;
    status_.checkpoint = checkpoint_;
    status_.last_sequence = next_sequence_ - 1;
    for (const Alert& alert : step.alerts) {
      ++status_.raised_by_kind[static_cast<int>(alert.kind) - 1];
    }
    while (!waiters_.empty() && waiters_.begin()->first <= next_sequence_ - 1) {
      reached.push_back(std::move(waiters_.begin()->second.raised));
      waiters_.erase(waiters_.begin());
    }
  }
  for (auto& fn : reached) std::move(fn)(true);
  return absl::OkStatus();
}

void AlertScheduler::Impl::Loop() {
  while (!stopping_.load()) {
    absl::Status status = CatchUp();
    if (stopping_.load()) return;
    {
      absl::MutexLock lock(&mu_);
      status_.error = status;
    }
    uint64_t token = 0;
    if (status.ok()) {
      std::shared_ptr<Wake> wake = wake_;
      uint64_t checkpoint;
      {
        absl::MutexLock write_lock(&write_mu_);
        checkpoint = checkpoint_;
      }
      token = log_->NotifyAfter(checkpoint,
                                [wake](bool /*closed*/) { wake->Signal(); });
    }
    wake_->Wait(options_.poll_interval);
    if (token != 0) log_->CancelNotify(token);
  }
}

absl::StatusOr<AlertPage> AlertScheduler::Impl::ListAlerts(
    uint64_t from, const AlertFilter& filter, size_t max_alerts,
    size_t max_scan) const {
  if (from == 0) {
    return absl::InvalidArgumentError(
        "from_sequence: alerts are numbered from 1");
  }
  if (!filter.la_code.empty() && !domain::IsOnsLaCode(filter.la_code)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "la_code: \"", filter.la_code, "\" is not an ONS LA code"));
  }
  for (const std::string& clock : filter.clock_ids) {
    if (!domain::IsKnownClockId(clock)) {
      return absl::InvalidArgumentError(
          absl::StrCat("clock_ids: unknown clock \"", clock, "\""));
    }
  }
  if (max_alerts < 1 || max_alerts > 10000 || max_scan < 1 ||
      max_scan > 10000) {
    return absl::InvalidArgumentError("page size: must be between 1 and 10000");
  }
  AlertPage page;
  page.next_sequence = from;
  // Only alerts whose batch is written (and synced) are visible.
  page.last_sequence = last_sequence_.load();
  if (from > page.last_sequence) return page;
  absl::ReaderMutexLock db_lock(&db_mu_);
  if (db_ == nullptr) return ClosedError();
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), handles_[kAlerts]));
  size_t scanned = 0;
  uint64_t expected = from;
  for (it->Seek(fmt::SequenceKey(from));
       it->Valid() && expected <= page.last_sequence && scanned < max_scan &&
       page.alerts.size() < max_alerts;
       it->Next(), ++expected, ++scanned) {
    const uint64_t sequence = ReadBigEndian(it->key().ToStringView());
    if (sequence != expected) {
      return absl::DataLossError(
          absl::StrCat("alert log: ", dir_, " has no alert ", expected,
                       " (the next stored is ", sequence,
                       "): restore the data directory from a backup"));
    }
    EHCP_ASSIGN_OR_RETURN(
        Alert alert, fmt::DecodeAlert(sequence, it->value().ToStringView()));
    if (filter.Matches(alert)) page.alerts.push_back(std::move(alert));
  }
  EHCP_RETURN_IF_ERROR(FromRocksDb(it->status(), "alert log: read alerts"));
  if (expected <= page.last_sequence && scanned < max_scan &&
      page.alerts.size() < max_alerts) {
    return absl::DataLossError(
        absl::StrCat("alert log: ", dir_, " has no alert ", expected,
                     ": restore the data directory from a backup"));
  }
  page.next_sequence = expected;
  return page;
}

uint64_t AlertScheduler::Impl::NotifyAtSequence(
    uint64_t sequence, absl::AnyInvocable<void(bool) &&> raised) {
  bool reached;
  {
    absl::MutexLock lock(&mu_);
    reached = last_sequence_.load() >= sequence;
    if (!reached && !closing_) {
      const uint64_t token = next_token_++;
      waiters_.emplace(sequence, Waiter{token, std::move(raised)});
      return token;
    }
  }
  std::move(raised)(reached);
  return 0;
}

bool AlertScheduler::Impl::CancelNotify(uint64_t token) {
  if (token == 0) return false;
  absl::MutexLock lock(&mu_);
  for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
    if (it->second.token == token) {
      waiters_.erase(it);
      return true;
    }
  }
  return false;
}

SchedulerStatus AlertScheduler::Impl::Status() const {
  const uint64_t head = log_->HeadPosition();
  absl::MutexLock lock(&mu_);
  SchedulerStatus status = status_;
  status.head = head;
  return status;
}

void AlertScheduler::Impl::Close() {
  {
    absl::MutexLock lock(&mu_);
    if (closing_) {
      mu_.Await(absl::Condition(&closed_));
      return;
    }
    closing_ = true;
  }
  stopping_.store(true);
  wake_->Signal();
  if (thread_.joinable()) thread_.join();
  std::multimap<uint64_t, Waiter> waiters;
  {
    absl::MutexLock lock(&mu_);
    waiters.swap(waiters_);
  }
  for (auto& [sequence, waiter] : waiters) std::move(waiter.raised)(false);
  {
    absl::MutexLock write_lock(&write_mu_);
    absl::WriterMutexLock db_lock(&db_mu_);
    storage::CloseRocksDb(&db_, &handles_);
  }
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

absl::StatusOr<std::unique_ptr<AlertScheduler>> AlertScheduler::Open(
    const std::string& dir, storage::EventLog* log, absl::CivilDay today,
    const Options& options) {
  if (dir.empty()) return absl::InvalidArgumentError("alert log: no directory");
  if (log == nullptr) return absl::InvalidArgumentError("alert log: no log");
  if (options.batch_size < 1 || options.batch_size > 10000) {
    return absl::InvalidArgumentError(
        "alert log: batch_size must be between 1 and 10000");
  }
  for (const auto& [clock, days] : options.lead_days.by_clock) {
    if (days < 0 || !domain::IsKnownClockId(clock)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "alert lead days: \"", clock, "=", days,
          "\" needs a catalogue clock id and a number of days ≥ 0"));
    }
  }
  if (options.lead_days.other < 0) {
    return absl::InvalidArgumentError(
        "alert lead days: the default must be ≥ 0");
  }
  auto impl = std::make_unique<Impl>(dir, log, options);
  EHCP_RETURN_IF_ERROR(impl->Open(today));
  if (options.start_thread) impl->Start();
  return std::unique_ptr<AlertScheduler>(new AlertScheduler(std::move(impl)));
}

AlertScheduler::AlertScheduler(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
AlertScheduler::~AlertScheduler() { Close(); }
void AlertScheduler::SetToday(absl::CivilDay today) { impl_->SetToday(today); }
absl::Status AlertScheduler::CatchUp() { return impl_->CatchUp(); }
absl::StatusOr<AlertPage> AlertScheduler::ListAlerts(uint64_t from_sequence,
                                                     const AlertFilter& filter,
                                                     size_t max_alerts,
                                                     size_t max_scan) const {
  return impl_->ListAlerts(from_sequence, filter, max_alerts, max_scan);
}
uint64_t AlertScheduler::LastSequence() const { return impl_->LastSequence(); }
uint64_t AlertScheduler::NotifyAtSequence(
    uint64_t sequence, absl::AnyInvocable<void(bool) &&> raised) {
  return impl_->NotifyAtSequence(sequence, std::move(raised));
}
bool AlertScheduler::CancelNotify(uint64_t token) {
  return impl_->CancelNotify(token);
}
SchedulerStatus AlertScheduler::Status() const { return impl_->Status(); }
void AlertScheduler::Close() {
  if (impl_ != nullptr) impl_->Close();
}

}  // namespace ehcp::projections
