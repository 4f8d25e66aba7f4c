// ClockIndex::Impl: applying the log to the index (CatchUp, the tailer's
// batches) and rebuilding it. FORMAT.md, "One batch", says what a batch
// holds.
#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "domain/case_state.h"
#include "domain/clocks.h"
#include "domain/dates.h"
#include "domain/journey.h"
#include "domain/validation.h"
#include "projections/clock_index_impl.h"
#include "projections/event_codec.h"
#include "storage/rocksdb_status.h"

namespace ehcp::projections {
namespace {

namespace fmt = index_format;
using storage::FromRocksDb;

}  // namespace

absl::Status ClockIndex::Impl::CatchUpTo(uint64_t position) {
  absl::MutexLock lock(&apply_mu_);
  if (stopping_.load()) return ClosedError();
  return ReplayTo(std::min(position, log_->HeadPosition()), nullptr);
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

absl::Status ClockIndex::Impl::ApplyPage(
    const std::vector<storage::Record>& page, const LastPositions* last) {
  const uint64_t end = page.back().position;
  // Sorted, so that a batch is built in the same order however it is fed.
  std::set<std::string> touched;
  for (const storage::Record& record : page) touched.insert(record.stream_id);

  rocksdb::WriteBatch batch;
  LaUpdates las;
  uint64_t indexed = indexed_cases_.load();
  for (const std::string& case_id : touched) {
    if (last != nullptr) {
      // Rebuild: index each case once, in the batch with its last record.
      auto it = last->find(case_id);
      if (it != last->end() && it->second > end) continue;
    }
    EHCP_ASSIGN_OR_RETURN(std::vector<v1::Event> events,
                          ReadCaseEvents(*log_, case_id));
    // The index reflects the log up to `end`, whatever was appended since.
    std::erase_if(events, [end](const v1::Event& e) {
      return static_cast<uint64_t>(e.global_position()) > end;
    });
    EHCP_RETURN_IF_ERROR(IndexCase(case_id, events, &batch, &las, &indexed));
  }
  for (const auto& [la_code, entry] : las) {
    batch.Put(families_.las, la_code, fmt::EncodeLaEntry(entry));
  }
  batch.Put(families_.meta, fmt::kCheckpointKey, fmt::BigEndian64(end));
  batch.Put(families_.meta, fmt::kIndexedCasesKey, fmt::BigEndian64(indexed));
  const bool rebuilt = rebuild_until_ != 0 && end >= rebuild_until_;
  if (rebuilt) batch.Delete(families_.meta, fmt::kRebuildUntilKey);
  // No fsync: see FORMAT.md, "Durability".
  EHCP_RETURN_IF_ERROR(FromRocksDb(db_->Write(rocksdb::WriteOptions(), &batch),
                                   "clock index: write batch"));
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

absl::Status ClockIndex::Impl::IndexCase(const std::string& case_id,
                                         const std::vector<v1::Event>& events,
                                         rocksdb::WriteBatch* batch,
                                         LaUpdates* las,
                                         uint64_t* indexed_cases) {
  std::optional<fmt::CaseEntry> old;
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), families_.cases, case_id, &value);
  if (!s.IsNotFound()) {
    EHCP_RETURN_IF_ERROR(FromRocksDb(s, "clock index: read case entry"));
    EHCP_ASSIGN_OR_RETURN(old, fmt::DecodeCaseEntry(value));
  }

  // The case's rows as of the end of time, the index's view of them.
  const std::string la_code = domain::FoldCase(events).la_code;
  std::optional<fmt::CaseEntry> fresh;
  std::map<std::string, std::string> late, stopped;
  if (domain::IsOnsLaCode(la_code)) {
    fresh.emplace();
    fresh->la_code = la_code;
    for (const domain::ClockRow& row :
         domain::EvaluateClocks(events, fmt::kFarFuture)) {
      const fmt::RowSummary summary{.status = row.status,
                                    .trigger = row.trigger,
                                    .due = row.due.value_or(row.trigger),
                                    .stop = row.stop};
      if (std::optional<absl::CivilDay> from = fmt::LateFrom(row)) {
        late[fmt::RowKey(la_code, row.clock_id, *from, case_id, row.instance)] =
            fmt::EncodeRowSummary(summary);
      }
      if (fmt::IndexedAsStopped(row)) {
        stopped[fmt::RowKey(la_code, row.clock_id, *row.stop, case_id,
                            row.instance)] = fmt::EncodeRowSummary(summary);
      }
    }
    for (const auto& kv : late) fresh->late_keys.push_back(kv.first);
    for (const auto& kv : stopped) fresh->stopped_keys.push_back(kv.first);
  }
  // A case is never stored without a CaseOpened naming an ONS code; such a
  // stream is not a case the index can place, and has no keys.

  if (old) {
    for (const std::string& key : old->late_keys) {
      if (!late.contains(key)) batch->Delete(families_.late, key);
    }
    for (const std::string& key : old->stopped_keys) {
      if (!stopped.contains(key)) batch->Delete(families_.stopped, key);
    }
  }
  for (const auto& [key, summary] : late) {
    batch->Put(families_.late, key, summary);
  }
  for (const auto& [key, summary] : stopped) {
    batch->Put(families_.stopped, key, summary);
  }
  if (fresh) {
    batch->Put(families_.cases, case_id, fmt::EncodeCaseEntry(*fresh));
  } else if (old) {
    batch->Delete(families_.cases, case_id);
  }

  // LA bookkeeping. A case's LA comes from its first event and never
  // changes; the general case is handled for safety, not for use.
  const bool moved = old && (!fresh || old->la_code != fresh->la_code);
  if (moved) {
    EHCP_ASSIGN_OR_RETURN(fmt::LaEntry * entry, LoadLa(old->la_code, las));
    if (entry->cases > 0) --entry->cases;
    --*indexed_cases;
  }
  if (fresh) {
    EHCP_ASSIGN_OR_RETURN(fmt::LaEntry * entry, LoadLa(la_code, las));
    if (!old || moved) {
      ++entry->cases;
      ++*indexed_cases;
    }
    const std::optional<absl::CivilDay> first = domain::FirstEventDay(events);
    if (first && (!entry->first_day || *first < *entry->first_day)) {
      entry->first_day = first;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<RebuildResult> ClockIndex::Impl::Rebuild() {
  absl::MutexLock lock(&apply_mu_);
  if (stopping_.load()) return ClosedError();
  const uint64_t target = log_->HeadPosition();

  // Pass 1: where each case's last record in [1, target] is, so that pass 2
  // evaluates every case once.
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

  // The wipe: every key of every family, in one batch, with the rebuild's
  // target recorded so that a crash before the end is finished by the tailer
  // and the checkpoint is not published meanwhile.
  {
    absl::ReaderMutexLock db_lock(&db_mu_);
    if (db_ == nullptr) return ClosedError();
    rocksdb::WriteBatch wipe;
    for (rocksdb::ColumnFamilyHandle* family :
         {families_.late, families_.stopped, families_.cases, families_.las,
          families_.meta}) {
      wipe.DeleteRange(family, fmt::kMinKey, fmt::kMaxKeyBound);
    }
    wipe.Put(families_.meta, fmt::kFormatVersionKey,
             fmt::BigEndian64(fmt::kFormatVersion));
    if (target > 0) {
      wipe.Put(families_.meta, fmt::kRebuildUntilKey, fmt::BigEndian64(target));
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
