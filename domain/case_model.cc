#include "domain/case_model.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "domain/dates.h"
#include "domain/journey.h"

namespace ehcp::domain {
namespace {

bool IsVoid(const v1::Event& e) { return e.payload().has_event_voided(); }

// The id a void or supersede names ("" for other events).
const std::string& CorrectionTarget(const v1::Event& e) {
  return IsVoid(e) ? e.payload().event_voided().target_event_id()
                   : e.supersedes_event_id();
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

}  // namespace

size_t JourneyInsertionPoint(absl::Span<const v1::Event* const> journey,
                             const v1::Event& e) {
  size_t pos = journey.size();
  while (pos > 0 && JourneyBefore(e, *journey[pos - 1])) --pos;
  return pos;
}

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

bool CommutesWithTail(absl::Span<const v1::Event* const> journey,
                      const v1::Event& e) {
  if (!IsAdvice(e) || journey.empty() ||
      journey.back()->occurred_on() != e.occurred_on()) {
    return false;
  }
  size_t pos = journey.size();
  while (pos > 0 && JourneyBefore(e, *journey[pos - 1])) {
    --pos;
    if (journey.size() - pos > 64) return false;
  }
  return SameDayCommutes(e, journey.subspan(pos));
}

void CaseModel::StateFold::Apply(const v1::Event& e) {
  AddJourneyStart(e, &starts);
  state = Evolve(std::move(state), e);
}

size_t CaseModel::StateFold::ApproximateBytes() const {
  // Constant time (the cache measures a model after every change): an
  // advice id as a short string in a hash set's slot.
  return sizeof(StateFold) +
         starts.new_start_days.capacity() * sizeof(absl::CivilDay) +
         (state.known_advice_ids.size() + state.open_advice_ids.size()) * 48;
}

CaseModel::CaseModel(std::string case_id)
    : case_id_(std::move(case_id)), bytes_(sizeof(CaseModel)) {
  StateFold empty;
  empty.state.case_id = case_id_;
  journey_.emplace(std::move(empty));
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

const v1::Event* CaseModel::Target(const v1::Event& e) const {
  const std::string& target = CorrectionTarget(e);
  return target.empty() ? nullptr : FindEvent(target);
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
  for (const v1::Event& offered : events) {
    const v1::Event& e = events_.emplace_back(offered);
    bytes_ += EventBytes(e);
    by_id_[e.event_id()] = &e;
    // A correction takes its target out of the journey, once (removal is
    // for good: voiding a void or a supersede restores nothing, journey.h).
    const v1::Event* target = nullptr;
    if (const std::string& id = CorrectionTarget(e);
        !id.empty() && removed_.insert(id).second) {
      target = FindEvent(id);
      if (target != nullptr) ++voided_;
    }
    if (e.payload().has_case_opened()) {
      // The identity (FoldCase takes the first CaseOpened); not a journey
      // event. It is the first event, so the fold of no event is rebuilt
      // with it.
      if (e.case_version() == 1 && journey_->journey().empty()) {
        StateFold empty;
        empty.state = Evolve(journey_->fold().state, e);
        journey_.emplace(std::move(empty));
      }
      continue;
    }
    journey_->Add(e, target,
                  /*joins=*/!IsVoid(e) && !removed_.contains(e.event_id()));
  }
  journey_->Finish();
  CaseState& state = journey_->fold().state;
  state.version = version();
  state.voided_events = voided_;
  return absl::OkStatus();
}

CaseState CaseModel::StateBefore(size_t count) const {
  CaseState state = journey_->FoldOf(count).state;
  state.version = version();
  state.voided_events = voided_;
  return state;
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

void CaseModel::AddToClocks(int64_t version) {
  const v1::Event& e = events_[version - 1];
  // The clocks hold the case as of clocks_version_: an event voided by a
  // later version is still in their journey, until that void is added.
  const v1::Event* target = Target(e);
  if (target != nullptr && target->case_version() >= version) target = nullptr;
  clocks_->Add(e, target,
               /*joins=*/!IsVoid(e) && !e.payload().has_case_opened());
}

std::vector<ClockFold::Change> CaseModel::AdvanceClocks(int64_t from,
                                                        int64_t to) {
  from = std::clamp<int64_t>(from, 0, version());
  to = std::clamp<int64_t>(to, from, version());
  if (!clocks_ || clocks_version_ != from) {
    clocks_.emplace(ClockFold(BirthMonth()));
    for (int64_t v = 1; v <= from; ++v) AddToClocks(v);
    clocks_->Finish();
    clocks_->fold().TakeChanges();  // The rows of `from` are the writer's.
    clocks_version_ = from;
  }
  for (int64_t v = from + 1; v <= to; ++v) AddToClocks(v);
  clocks_->Finish();
  clocks_version_ = to;
  return clocks_->fold().TakeChanges();
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
