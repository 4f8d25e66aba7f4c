#include "cases/case_cache.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cases/event_codec.h"

namespace ehcp::cases {

CaseCache::CaseCache(const storage::EventLog* log, size_t budget_bytes)
    : log_(log), budget_bytes_(budget_bytes) {}

absl::StatusOr<std::shared_ptr<SharedCase>> CaseCache::Load(
    const std::string& case_id) const {
  absl::StatusOr<std::vector<v1::Event>> events =
      ReadCaseEvents(*log_, case_id);
  if (!events.ok()) return events.status();
  if (events->empty()) {
    return absl::NotFoundError(absl::StrCat("case ", case_id, " not found"));
  }
  auto shared = std::make_shared<SharedCase>(case_id);
  absl::MutexLock lock(&shared->mu);
  if (absl::Status s = shared->model.Extend(*events); !s.ok()) {
    return absl::DataLossError(
        absl::StrCat("case ", case_id, ": its stored events ", s.message()));
  }
  return shared;
}

absl::StatusOr<std::shared_ptr<SharedCase>> CaseCache::Get(
    const std::string& case_id) {
  {
    absl::MutexLock lock(&mu_);
    auto it = cases_.find(case_id);
    if (it != cases_.end()) {
      ++hits_;
      TouchLocked(it->second);
      return it->second.shared;
    }
  }
  while (true) {
    uint64_t appends_before;
    {
      absl::MutexLock lock(&mu_);
      Loading& loading = loading_[case_id];
      ++loading.readers;
      appends_before = loading.appends;
      ++loads_;
    }
    absl::StatusOr<std::shared_ptr<SharedCase>> loaded = Load(case_id);
    absl::MutexLock lock(&mu_);
    Loading& loading = loading_[case_id];
    const bool raced = loading.appends != appends_before;
    if (--loading.readers == 0) loading_.erase(case_id);
    if (!loaded.ok()) return loaded.status();
    // An append committed while the log was read: the read may have missed
    // it. Read again (appends to one case take turns, so this ends).
    if (raced) continue;
    auto it = cases_.find(case_id);
    if (it != cases_.end()) {
      // Someone else loaded it meanwhile; theirs is as new as ours.
      TouchLocked(it->second);
      return it->second.shared;
    }
    size_t bytes;
    {
      absl::MutexLock model_lock(&(*loaded)->mu);
      bytes = (*loaded)->model.ApproximateBytes();
    }
    lru_.push_front(case_id);
    Entry& entry = cases_[case_id];
    entry.shared = *loaded;
    entry.lru_position = lru_.begin();
    SetBytesLocked(entry, bytes);
    EvictLocked();
    return *std::move(loaded);
  }
}

absl::StatusOr<std::shared_ptr<SharedCase>> CaseCache::GetHolding(
    const std::string& case_id,
    absl::Span<const storage::Record* const> records) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    absl::StatusOr<std::shared_ptr<SharedCase>> shared = Get(case_id);
    if (!shared.ok()) return shared.status();
    bool holds;
    {
      absl::MutexLock lock(&(*shared)->mu);
      domain::CaseModel& model = (*shared)->model;
      std::vector<v1::Event> missing;
      for (const storage::Record* record : records) {
        if (static_cast<int64_t>(record->version) <= model.version()) continue;
        absl::StatusOr<v1::Event> event = DecodeRecord(*record);
        if (!event.ok()) return event.status();
        missing.push_back(*std::move(event));
      }
      holds = missing.empty() || model.Extend(missing).ok();
    }
    if (holds) return *shared;
    Invalidate(case_id);  // Out of step: read the case again.
  }
  return absl::InternalError(absl::StrCat(
      "the case model of ", case_id, " does not follow the log's records"));
}

std::shared_ptr<SharedCase> CaseCache::Peek(const std::string& case_id) {
  absl::MutexLock lock(&mu_);
  auto it = cases_.find(case_id);
  if (it == cases_.end()) return nullptr;
  ++hits_;
  TouchLocked(it->second);
  return it->second.shared;
}

void CaseCache::Appended(const std::string& case_id,
                         absl::Span<const v1::Event> events) {
  if (events.empty()) return;
  std::shared_ptr<SharedCase> shared;
  {
    absl::MutexLock lock(&mu_);
    if (auto loading = loading_.find(case_id); loading != loading_.end()) {
      ++loading->second.appends;
    }
    auto it = cases_.find(case_id);
    if (it == cases_.end()) return;
    shared = it->second.shared;
    TouchLocked(it->second);
  }
  bool in_step;
  size_t bytes;
  {
    absl::MutexLock model_lock(&shared->mu);
    in_step = shared->model.Extend(events).ok();
    bytes = shared->model.ApproximateBytes();
  }
  absl::MutexLock lock(&mu_);
  auto it = cases_.find(case_id);
  if (it == cases_.end() || it->second.shared != shared) return;
  if (!in_step) {
    EraseLocked(case_id);
    return;
  }
  SetBytesLocked(it->second, bytes);
  EvictLocked();
}

void CaseCache::Measure(const std::string& case_id) {
  std::shared_ptr<SharedCase> shared = Peek(case_id);
  if (shared == nullptr) return;
  size_t bytes;
  {
    absl::MutexLock model_lock(&shared->mu);
    bytes = shared->model.ApproximateBytes();
  }
  absl::MutexLock lock(&mu_);
  auto it = cases_.find(case_id);
  if (it == cases_.end() || it->second.shared != shared) return;
  SetBytesLocked(it->second, bytes);
  EvictLocked();
}

void CaseCache::Invalidate(const std::string& case_id) {
  absl::MutexLock lock(&mu_);
  if (auto loading = loading_.find(case_id); loading != loading_.end()) {
    ++loading->second.appends;
  }
  EraseLocked(case_id);
}

CacheStats CaseCache::Stats() const {
  absl::MutexLock lock(&mu_);
  return CacheStats{.cases = cases_.size(),
                    .bytes = bytes_,
                    .hits = hits_,
                    .loads = loads_,
                    .evictions = evictions_};
}

void CaseCache::TouchLocked(Entry& entry) {
  lru_.splice(lru_.begin(), lru_, entry.lru_position);
}

void CaseCache::SetBytesLocked(Entry& entry, size_t bytes) {
  bytes_ = bytes_ - entry.bytes + bytes;
  entry.bytes = bytes;
}

void CaseCache::EvictLocked() {
  while (bytes_ > budget_bytes_ && cases_.size() > 1) {
    EraseLocked(lru_.back());
    ++evictions_;
  }
}

void CaseCache::EraseLocked(const std::string& case_id) {
  auto it = cases_.find(case_id);
  if (it == cases_.end()) return;
  bytes_ -= it->second.bytes;
  lru_.erase(it->second.lru_position);
  cases_.erase(it);
}

}  // namespace ehcp::cases
