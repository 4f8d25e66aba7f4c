// ClockIndex::Impl: applying the log to the index (CatchUp, the tailer's
// batches) and rebuilding it. FORMAT.md, "One batch", says what a batch
// holds.
#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cases/case_cache.h"
#include "cases/event_codec.h"
#include "common/big_endian.h"
#include "common/status_macros.h"
#include "domain/case_state.h"
#include "domain/clocks.h"
#include "domain/dates.h"
#include "domain/journey.h"
#include "domain/validation.h"
#include "projections/internal/clock_index_impl.h"
#include "storage/rocksdb_status.h"

namespace ehcp::projections {
namespace {

namespace fmt = index_format;
using storage::FromRocksDb;

}  // namespace

absl::Status ClockIndex::Impl::CatchUpTo(uint64_t position) {
  absl::MutexLock lock(&apply_mu_);
  if (stopping_.load()) return ClosedError();
  const uint64_t target = std::min(position, log_->HeadPosition());
  if (applied_ < target) EHCP_RETURN_IF_ERROR(ResumeWritesLocked());
  if (rebuild_until_ != 0 && applied_ < target) {
    // A rebuild interrupted (by Close or a crash) goes on as it began: each
    // case indexed whole in the batch with its last record in the range.
    EHCP_ASSIGN_OR_RETURN(LastPositions last,
                          FindLastPositions(rebuild_until_));
    EHCP_RETURN_IF_ERROR(ReplayTo(std::min(target, rebuild_until_), &last));
  }
  return ReplayTo(target, nullptr);
}

absl::StatusOr<ClockIndex::Impl::LastPositions>
ClockIndex::Impl::FindLastPositions(uint64_t target) {
  LastPositions last;
  for (uint64_t from = 1; from <= target;) {
    if (stopping_.load()) return ClosedError();
    const size_t count = static_cast<size_t>(
        std::min<uint64_t>(storage::kMaxPageSize, target - from + 1));
    EHCP_ASSIGN_OR_RETURN(std::vector<storage::Record> page,
                          log_->ReadAll(from, count));
    if (page.empty()) {
      return absl::DataLossError(
          absl::StrCat("clock index: the log has no record at position ", from,
                       " below its head"));
    }
    for (const storage::Record& record : page) {
      last[record.stream_id] = record.position;
    }
    from = page.back().position + 1;
  }
  return last;
}

absl::Status ClockIndex::Impl::ReplayTo(uint64_t target,
                                        const LastPositions* last) {
  while (applied_ < target) {
    if (stopping_.load()) return ClosedError();
    absl::ReaderMutexLock db_lock(&db_mu_);
    if (db_ == nullptr) return ClosedError();
    const size_t count = static_cast<size_t>(
        std::min<uint64_t>(options_.batch_size, target - applied_));
    EHCP_ASSIGN_OR_RETURN(std::vector<storage::Record> page,
                          log_->ReadAll(applied_ + 1, count));
    if (page.empty() || page.front().position != applied_ + 1) {
      return absl::DataLossError(
          absl::StrCat("clock index: the log has no record at position ",
                       applied_ + 1, " below its head"));
    }
    EHCP_RETURN_IF_ERROR(ApplyPage(page, last));
  }
  return absl::OkStatus();
}

namespace {

// A key of the index as it stands before a batch, and as the batch leaves
// it (nullopt: absent).
struct KeyChange {
  rocksdb::ColumnFamilyHandle* family = nullptr;
  std::optional<std::string> before;
  std::optional<std::string> after;
};

// The keys a final row owns: in `late` from its late_from date, in
// `stopped` under its stop date (FORMAT.md, "Which rows are indexed").
void ForEachKey(const std::string& la_code, const std::string& case_id,
                const domain::ClockRow& row, const IndexFamilies& families,
                const std::function<void(rocksdb::ColumnFamilyHandle*,
                                         std::string, std::string)>& visit) {
  const fmt::RowSummary summary{.status = row.status,
                                .trigger = row.trigger,
                                .due = row.due.value_or(row.trigger),
                                .stop = row.stop};
  if (std::optional<absl::CivilDay> from = fmt::LateFrom(row)) {
    visit(families.late,
          fmt::RowKey(la_code, row.clock_id, *from, case_id, row.instance),
          fmt::EncodeRowSummary(summary));
  }
  if (fmt::IndexedAsStopped(row)) {
    visit(families.stopped,
          fmt::RowKey(la_code, row.clock_id, *row.stop, case_id, row.instance),
          fmt::EncodeRowSummary(summary));
  }
  if (fmt::IndexedAsDue(row)) {
    visit(families.due,
          fmt::DueKey(la_code, *row.due, case_id, row.clock_id, row.instance),
          fmt::EncodeRowSummary(summary));
  }
}

// The case's stage after its events up to `version`: the model's own state
// when it holds exactly those (the usual case: the tailer keeps up with the
// appends); otherwise a fold of the first `version` events (the append path
// has run ahead, or a catch-up reads a case in several batches).
v1::CaseStage StageAt(const domain::CaseModel& model, int64_t version) {
  if (version == model.version()) return model.state().stage;
  std::vector<const v1::Event*> events;
  events.reserve(static_cast<size_t>(version));
  for (int64_t v = 1; v <= version; ++v) events.push_back(&model.event(v));
  return domain::FoldCase(events).stage;
}

}  // namespace

absl::Status ClockIndex::Impl::ApplyPage(
    const std::vector<storage::Record>& page, const LastPositions* last) {
  const uint64_t end = page.back().position;
  // Each case's records in the page (version order), cases sorted, so that
  // a batch is built in the same order however it is fed.
  std::map<std::string, std::vector<const storage::Record*>> touched;
  for (const storage::Record& record : page) {
    touched[record.stream_id].push_back(&record);
  }

  rocksdb::WriteBatch batch;
  LaUpdates las;
  uint64_t indexed = indexed_cases_.load();
  for (const auto& [case_id, records] : touched) {
    if (last != nullptr) {
      // Rebuild: index each case once, in the batch with its last record.
      auto it = last->find(case_id);
      if (it != last->end() && it->second > end) continue;
    }
    EHCP_RETURN_IF_ERROR(
        IndexCase(case_id, records, last != nullptr, &batch, &las, &indexed));
  }
  for (const auto& [la_code, entry] : las) {
    batch.Put(families_.las, la_code, fmt::EncodeLaEntry(entry));
  }
  batch.Put(families_.meta, fmt::kCheckpointKey, ::ehcp::BigEndian64(end));
  batch.Put(families_.meta, fmt::kIndexedCasesKey,
            ::ehcp::BigEndian64(indexed));
  const bool rebuilt = rebuild_until_ != 0 && end >= rebuild_until_;
  if (rebuilt) batch.Delete(families_.meta, fmt::kRebuildUntilKey);
  // No fsync: see FORMAT.md, "Durability".
  write_error_ = FromRocksDb(db_->Write(rocksdb::WriteOptions(), &batch),
                             "clock index: write batch");
  EHCP_RETURN_IF_ERROR(write_error_);
  applied_ = end;
  if (rebuilt) rebuild_until_ = 0;
  indexed_cases_.store(indexed);
  Publish();
  return absl::OkStatus();
}

absl::StatusOr<fmt::LaEntry*> ClockIndex::Impl::LoadLa(
    const std::string& la_code, LaUpdates* las) {
  auto it = las->find(la_code);
  if (it != las->end()) return &it->second;
  fmt::LaEntry entry;
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), families_.las, la_code, &value);
  if (!s.IsNotFound()) {
    EHCP_RETURN_IF_ERROR(FromRocksDb(s, "clock index: read LA entry"));
    EHCP_ASSIGN_OR_RETURN(entry, fmt::DecodeLaEntry(value));
  }
  return &las->emplace(la_code, entry).first->second;
}

absl::Status ClockIndex::Impl::IndexCase(
    const std::string& case_id,
    const std::vector<const storage::Record*>& records, bool whole,
    rocksdb::WriteBatch* batch, LaUpdates* las, uint64_t* indexed_cases) {
  EHCP_ASSIGN_OR_RETURN(std::shared_ptr<cases::SharedCase> shared,
                        cases_->GetHolding(case_id, records));
  // The rows change from the case as of the version before the page (what
  // the index holds) to the case as of the page's last record; a rebuild
  // starts from nothing.
  const int64_t from =
      whole ? 0 : static_cast<int64_t>(records.front()->version) - 1;
  const int64_t to = static_cast<int64_t>(records.back()->version);
  std::string la_code;
  std::string case_reference;
  v1::CaseStage stage;
  std::vector<domain::ClockFold::Change> changes;
  std::optional<absl::CivilDay> first_day;
  {
    absl::MutexLock lock(&shared->mu);
    domain::CaseModel& model = shared->model;
    // Identity comes from the CaseOpened event (version 1), which no
    // correction may touch.
    la_code = model.state().la_code;
    case_reference = model.state().case_reference;
    stage = StageAt(model, to);
    changes = model.AdvanceClocks(from, to);
    for (int64_t v = from + 1; v <= to; ++v) {
      const absl::StatusOr<absl::CivilDay> day =
          domain::ParseDate(model.event(v).occurred_on());
      if (day.ok() && (!first_day || *day < *first_day)) first_day = *day;
    }
  }
  cases_->Measure(case_id);
  // A case is never stored without a CaseOpened naming an ONS code; such a
  // stream is not a case the index can place, and has no keys.
  if (!domain::IsOnsLaCode(la_code)) return absl::OkStatus();

  // The changes in order (a row may go and come back); only keys whose
  // bytes differ at the end are written.
  std::map<std::pair<rocksdb::ColumnFamilyHandle*, std::string>, KeyChange>
      keys;
  for (const domain::ClockFold::Change& change : changes) {
    if (change.before) {
      ForEachKey(
          la_code, case_id, *change.before, families_,
          [&](rocksdb::ColumnFamilyHandle* family, std::string key,
              std::string value) {
            auto [it, fresh] = keys.try_emplace({family, std::move(key)});
            if (fresh) it->second.before = std::move(value);
            it->second.after.reset();
          });
    }
    if (change.after) {
      ForEachKey(la_code, case_id, *change.after, families_,
                 [&](rocksdb::ColumnFamilyHandle* family, std::string key,
                     std::string value) {
                   keys[{family, std::move(key)}].after = std::move(value);
                 });
    }
  }
  for (const auto& [where, change] : keys) {
    if (change.before == change.after) continue;
    if (change.after) {
      batch->Put(where.first, where.second, *change.after);
    } else {
      batch->Delete(where.first, where.second);
    }
  }

  // The case's entry, its reference and its stage: written with its first
  // record, and again when the stage changes (the entry says which stage
  // key to delete).
  const fmt::CaseEntry case_entry{.la_code = la_code, .stage = stage};
  if (from == 0) {
    batch->Put(families_.cases, case_id, fmt::EncodeCaseEntry(case_entry));
    batch->Put(families_.refs,
               fmt::RefKey(la_code, case_reference, case_id), "");
    batch->Put(families_.stages, fmt::StageKey(la_code, stage, case_id),
               case_reference);
  } else {
    std::string value;
    EHCP_RETURN_IF_ERROR(FromRocksDb(
        db_->Get(rocksdb::ReadOptions(), families_.cases, case_id, &value),
        "clock index: read case entry"));
    EHCP_ASSIGN_OR_RETURN(const fmt::CaseEntry old,
                          fmt::DecodeCaseEntry(value));
    if (old.stage != stage) {
      batch->Delete(families_.stages,
                    fmt::StageKey(la_code, old.stage, case_id));
      batch->Put(families_.stages, fmt::StageKey(la_code, stage, case_id),
                 case_reference);
      batch->Put(families_.cases, case_id, fmt::EncodeCaseEntry(case_entry));
    }
  }

  // LA bookkeeping: a case is counted when its first record is read, and
  // the LA's first day only ever moves earlier.
  EHCP_ASSIGN_OR_RETURN(fmt::LaEntry * entry, LoadLa(la_code, las));
  if (from == 0) {
    ++entry->cases;
    ++*indexed_cases;
  }
  if (first_day && (!entry->first_day || *first_day < *entry->first_day)) {
    entry->first_day = first_day;
  }
  return absl::OkStatus();
}

absl::StatusOr<RebuildResult> ClockIndex::Impl::RebuildInPlace() {
  absl::MutexLock lock(&apply_mu_);
  if (stopping_.load()) return ClosedError();
  const uint64_t target = log_->HeadPosition();

  // Pass 1: where each case's last record in [1, target] is, so that pass 2
  // evaluates every case once.
  EHCP_ASSIGN_OR_RETURN(LastPositions last, FindLastPositions(target));

  // The wipe: every key of every family, in one batch, with the rebuild's
  // target recorded so that a crash before the end is finished by the tailer
  // and the checkpoint is not published meanwhile.
  {
    absl::ReaderMutexLock db_lock(&db_mu_);
    if (db_ == nullptr) return ClosedError();
    rocksdb::WriteBatch wipe;
    for (rocksdb::ColumnFamilyHandle* family :
         {families_.late, families_.stopped, families_.cases, families_.las,
          families_.meta, families_.refs, families_.stages, families_.due}) {
      wipe.DeleteRange(family, fmt::kMinKey, fmt::kMaxKeyBound);
    }
    wipe.Put(families_.meta, fmt::kFormatVersionKey,
             ::ehcp::BigEndian64(fmt::kFormatVersion));
    if (target > 0) {
      wipe.Put(families_.meta, fmt::kRebuildUntilKey,
               ::ehcp::BigEndian64(target));
    }
    EHCP_RETURN_IF_ERROR(FromRocksDb(db_->Write(rocksdb::WriteOptions(), &wipe),
                                     "clock index: wipe"));
    applied_ = 0;
    rebuild_until_ = target;
    indexed_cases_.store(0);
    Publish();
  }

  // Pass 2: the replay.
  EHCP_RETURN_IF_ERROR(ReplayTo(target, &last));
  RebuildResult result;
  result.checkpoint = applied_;
  result.events_read = target;
  result.indexed_cases = indexed_cases_.load();
  return result;
}

}  // namespace ehcp::projections
