#include "domain/case_model.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "domain/dates.h"
#include "domain/journey.h"

namespace ehcp::domain {
namespace {

bool IsCorrection(const v1::Event& e) {
  return e.payload().has_event_voided() || !e.supersedes_event_id().empty();
}

// Rough memory of one decoded event and its indexes.
size_t EventBytes(const v1::Event& e) {
  return sizeof(v1::Event) + 2 * e.ByteSizeLong() + 3 * sizeof(void*) + 64;
}

}  // namespace

CaseModel::CaseModel(std::string case_id)
    : case_id_(std::move(case_id)), bytes_(sizeof(CaseModel)) {
  state_.case_id = case_id_;
}

int64_t CaseModel::last_position() const {
  return events_.empty() ? 0 : events_.back().global_position();
}

std::vector<const v1::Event*> CaseModel::Events() const {
  std::vector<const v1::Event*> all;
  all.reserve(events_.size());
  for (const v1::Event& e : events_) all.push_back(&e);
  return all;
}

const v1::Event* CaseModel::FindEvent(const std::string& event_id) const {
  auto it = by_id_.find(event_id);
  return it == by_id_.end() ? nullptr : it->second;
}

absl::Status CaseModel::Extend(absl::Span<const v1::Event> events) {
  size_t skip = 0;
  while (skip < events.size() && events[skip].case_version() <= version()) {
    ++skip;
  }
  events.remove_prefix(skip);
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].case_version() != version() + 1 + static_cast<int64_t>(i)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "case model ", case_id_, ": holds version ", version(),
          ", offered version ", events[i].case_version(), " next"));
    }
    if (events[i].case_id() != case_id_) {
      return absl::FailedPreconditionError(
          absl::StrCat("case model ", case_id_, ": offered an event of case ",
                       events[i].case_id()));
    }
  }
  bool refold = false;
  for (const v1::Event& offered : events) {
    const v1::Event& e = events_.emplace_back(offered);
    bytes_ += EventBytes(e);
    by_id_[e.event_id()] = &e;
    if (e.payload().has_event_voided()) {
      removed_.insert(e.payload().event_voided().target_event_id());
    }
    if (!e.supersedes_event_id().empty()) removed_.insert(e.supersedes_event_id());
    state_.version = std::max(state_.version, e.case_version());
    if (refold) continue;
    if (IsCorrection(e) || removed_.contains(e.event_id())) {
      refold = true;
      continue;
    }
    if (e.payload().has_case_opened()) {
      // The identity (FoldCase takes the first CaseOpened); not a journey
      // event.
      if (e.case_version() == 1) state_ = Evolve(std::move(state_), e);
      continue;
    }
    if (!journey_.empty() && JourneyBefore(e, *journey_.back())) {
      refold = true;
      continue;
    }
    journey_.push_back(&e);
    AddJourneyStart(e, &starts_);
    state_ = Evolve(std::move(state_), e);
  }
  if (refold) Refold();
  return absl::OkStatus();
}

void CaseModel::Refold() {
  ++refolds_;
  const std::vector<const v1::Event*> all = Events();
  state_ = FoldCase(absl::MakeConstSpan(all));
  journey_ = EffectiveJourney(absl::MakeConstSpan(all));
  starts_ = FindJourneyStarts(journey_);
}

std::optional<absl::CivilMonth> CaseModel::BirthMonth() const {
  // A CaseOpened can be neither voided nor superseded (admissibility.h), so
  // the first event's birth month stands.
  if (events_.empty() || !events_.front().payload().has_case_opened()) {
    return std::nullopt;
  }
  const auto month =
      ParseMonth(events_.front().payload().case_opened().birth_month());
  if (!month.ok()) return std::nullopt;
  return *month;
}

void CaseModel::RefoldClocks(int64_t to) {
  std::vector<const v1::Event*> prefix;
  prefix.reserve(static_cast<size_t>(to));
  for (int64_t v = 1; v <= to; ++v) prefix.push_back(&events_[v - 1]);
  clocks_.emplace(BirthMonth());
  clocks_last_ = nullptr;
  for (const v1::Event* e : EffectiveJourney(absl::MakeConstSpan(prefix))) {
    clocks_->Apply(*e);
    clocks_last_ = e;
  }
  clocks_version_ = to;
}

std::vector<ClockFold::Change> CaseModel::AdvanceClocks(int64_t from,
                                                        int64_t to) {
  from = std::clamp<int64_t>(from, 0, version());
  to = std::clamp<int64_t>(to, from, version());
  if (!clocks_ || clocks_version_ != from) {
    RefoldClocks(from);
    clocks_->TakeChanges();  // The rows of `from` are the writer's.
  }
  for (int64_t v = from + 1; v <= to; ++v) {
    const v1::Event& e = events_[v - 1];
    if (e.payload().has_case_opened()) continue;
    if (IsCorrection(e) || removed_.contains(e.event_id()) ||
        (clocks_last_ != nullptr && JourneyBefore(e, *clocks_last_))) {
      // Out of journey order: the changes so far, then every row before
      // and every row after. (An event voided later is refolded too, so
      // the clocks never hold it.)
      std::vector<ClockFold::Change> changes = clocks_->TakeChanges();
      for (ClockRow& row : clocks_->Rows()) {
        changes.push_back({std::move(row), std::nullopt});
      }
      RefoldClocks(to);
      clocks_->TakeChanges();
      for (ClockRow& row : clocks_->Rows()) {
        changes.push_back({std::nullopt, std::move(row)});
      }
      return changes;
    }
    clocks_->Apply(e);
    clocks_last_ = &e;
    clocks_version_ = v;
  }
  clocks_version_ = to;
  return clocks_->TakeChanges();
}

std::vector<ClockRow> CaseModel::FinalRowsAt(int64_t to) const {
  std::vector<const v1::Event*> prefix;
  to = std::clamp<int64_t>(to, 0, version());
  for (int64_t v = 1; v <= to; ++v) prefix.push_back(&events_[v - 1]);
  return EvaluateClocks(absl::MakeConstSpan(prefix), kEndOfTime);
}

std::vector<ClockRow> CaseModel::ClocksAsOf(
    absl::CivilDay as_of, int64_t max_position,
    std::optional<absl::Time> as_known_at) const {
  std::vector<const v1::Event*> events;
  events.reserve(events_.size());
  for (const v1::Event& e : events_) {
    if (e.global_position() > max_position) break;
    events.push_back(&e);
  }
  return EvaluateClocks(absl::MakeConstSpan(events), as_of, as_known_at);
}

}  // namespace ehcp::domain
