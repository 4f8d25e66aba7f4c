#include "services/case_repository.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "projections/event_codec.h"

namespace ehcp::services {

CaseRepository::CaseRepository(storage::EventLog* log, size_t max_cases)
    : log_(log), max_cases_(max_cases == 0 ? 1 : max_cases) {}

absl::StatusOr<std::shared_ptr<const CaseSnapshot>> CaseRepository::Load(
    const std::string& case_id) {
  {
    absl::MutexLock lock(&mu_);
    auto it = cases_.find(case_id);
    if (it != cases_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.lru_position);
      return it->second.snapshot;
    }
  }
  absl::StatusOr<std::shared_ptr<CaseSnapshot>> read = ReadFromLog(case_id);
  if (!read.ok()) return read.status();
  absl::MutexLock lock(&mu_);
  auto it = cases_.find(case_id);
  if (it != cases_.end()) {
    // Someone else filled or extended it meanwhile; keep the newer copy.
    if (it->second.snapshot->version() >= (*read)->version()) {
      return it->second.snapshot;
    }
  }
  InsertLocked(case_id, *read);
  return *read;
}

absl::StatusOr<std::shared_ptr<CaseSnapshot>> CaseRepository::ReadFromLog(
    const std::string& case_id) const {
  absl::StatusOr<std::vector<v1::Event>> events =
      projections::ReadCaseEvents(*log_, case_id);
  if (!events.ok()) return events.status();
  auto snapshot = std::make_shared<CaseSnapshot>();
  snapshot->case_id = case_id;
  snapshot->events = *std::move(events);
  if (snapshot->events.empty()) {
    return absl::NotFoundError(absl::StrCat("case ", case_id, " not found"));
  }
  return snapshot;
}

void CaseRepository::Appended(const std::string& case_id,
                              const std::vector<v1::Event>& appended) {
  if (appended.empty()) return;
  absl::MutexLock lock(&mu_);
  auto it = cases_.find(case_id);
  if (it == cases_.end()) {
    if (appended.front().case_version() == 1) {
      auto snapshot = std::make_shared<CaseSnapshot>();
      snapshot->case_id = case_id;
      snapshot->events = appended;
      InsertLocked(case_id, std::move(snapshot));
    }
    return;
  }
  std::shared_ptr<CaseSnapshot>& cached = it->second.snapshot;
  if (cached->version() + 1 != appended.front().case_version()) {
    lru_.erase(it->second.lru_position);
    cases_.erase(it);  // Out of step: the next Load reads the log.
    return;
  }
  // A reader still holds the cached snapshot: leave it as it is, and
  // publish an extended copy.
  if (cached.use_count() > 1) cached = std::make_shared<CaseSnapshot>(*cached);
  cached->events.insert(cached->events.end(), appended.begin(),
                        appended.end());
  lru_.splice(lru_.begin(), lru_, it->second.lru_position);
}

void CaseRepository::InsertLocked(const std::string& case_id,
                                  std::shared_ptr<CaseSnapshot> snapshot) {
  auto it = cases_.find(case_id);
  if (it != cases_.end()) {
    it->second.snapshot = std::move(snapshot);
    lru_.splice(lru_.begin(), lru_, it->second.lru_position);
    return;
  }
  lru_.push_front(case_id);
  cases_.emplace(case_id, Entry{std::move(snapshot), lru_.begin()});
  while (cases_.size() > max_cases_) {
    cases_.erase(lru_.back());
    lru_.pop_back();
  }
}

void CaseRepository::Invalidate(const std::string& case_id) {
  absl::MutexLock lock(&mu_);
  auto it = cases_.find(case_id);
  if (it == cases_.end()) return;
  lru_.erase(it->second.lru_position);
  cases_.erase(it);
}

size_t CaseRepository::CachedCases() const {
  absl::MutexLock lock(&mu_);
  return cases_.size();
}

}  // namespace ehcp::services
