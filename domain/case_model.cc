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

bool IsAdvice(const v1::Event& e) {
  return e.payload().has_advice_requested() ||
         e.payload().has_advice_received();
}

const std::string& AdviceId(const v1::Event& e) {
  return e.payload().has_advice_requested()
             ? e.payload().advice_requested().advice_id()
             : e.payload().advice_received().advice_id();
}

// Where `e` goes in `journey` (journey order): after every event that does
// not sort after it.
size_t InsertionPoint(const std::vector<const v1::Event*>& journey,
                      const v1::Event& e) {
  size_t pos = journey.size();
  while (pos > 0 && JourneyBefore(e, *journey[pos - 1])) --pos;
  return pos;
}

// The events of `journey` from `pos`, when all lie on e's day and e may be
// folded after them (SameDayCommutes); nullopt otherwise.
std::optional<absl::Span<const v1::Event* const>> CommutingTail(
    const std::vector<const v1::Event*>& journey, const v1::Event& e) {
  if (!IsAdvice(e) || journey.empty() ||
      journey.back()->occurred_on() != e.occurred_on()) {
    return std::nullopt;
  }
  size_t pos = journey.size();
  while (pos > 0 && JourneyBefore(e, *journey[pos - 1])) {
    --pos;
    if (journey.size() - pos > 64) return std::nullopt;
  }
  absl::Span<const v1::Event* const> later(journey.data() + pos,
                                           journey.size() - pos);
  if (!SameDayCommutes(e, later)) return std::nullopt;
  return later;
}

}  // namespace

bool SameDayCommutes(const v1::Event& e,
                     absl::Span<const v1::Event* const> later) {
  if (!IsAdvice(e) || later.size() > 64) return false;
  for (const v1::Event* l : later) {
    if (!IsAdvice(*l) || AdviceId(*l) == AdviceId(e) ||
        l->occurred_on() != e.occurred_on()) {
      return false;
    }
  }
  return true;
}

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
      if (!CommutingTail(journey_, e)) {
        refold = true;
        continue;
      }
      // Recorded out of the same-day order, but independent of what it
      // sorts before: in its place in the journey, folded last.
      journey_.insert(journey_.begin() + InsertionPoint(journey_, e), &e);
      state_ = Evolve(std::move(state_), e);
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
  clocks_day_.clear();
  for (const v1::Event* e : EffectiveJourney(absl::MakeConstSpan(prefix))) {
    clocks_->Apply(*e);
    if (!clocks_day_.empty() &&
        clocks_day_.back()->occurred_on() != e->occurred_on()) {
      clocks_day_.clear();
    }
    clocks_day_.push_back(e);
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
    const bool before_last =
        !clocks_day_.empty() && JourneyBefore(e, *clocks_day_.back());
    if (IsCorrection(e) || removed_.contains(e.event_id()) ||
        (before_last && !CommutingTail(clocks_day_, e))) {
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
    if (before_last) {
      clocks_day_.insert(
          clocks_day_.begin() + InsertionPoint(clocks_day_, e), &e);
    } else {
      if (!clocks_day_.empty() &&
          clocks_day_.back()->occurred_on() != e.occurred_on()) {
        clocks_day_.clear();
      }
      clocks_day_.push_back(&e);
    }
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
