#include "domain/journey.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "domain/dates.h"

namespace ehcp::domain {

int JourneyRank(const v1::EventPayload& payload) {
  using K = v1::EventPayload::KindCase;
  switch (payload.kind_case()) {
    case K::kCaseOpened: return 0;
    case K::kRequestReceived: return 1;
    case K::kBecameResponsible: return 2;
    case K::kTribunalOrderMade: return 3;
    case K::kAssessmentDecision: return 4;
    case K::kAdviceRequested: return 5;
    case K::kAdviceReceived: return 6;
    case K::kExceptionRecorded: return 7;
    case K::kDecisionNotToIssue: return 8;
    case K::kDraftPlanServed: return 9;
    case K::kRepresentationsWaived: return 10;
    case K::kFinalPlanIssued: return 11;
    case K::kPlanTransferredIn: return 12;
    case K::kTransferNoticeSent: return 13;
    case K::kReviewMeetingHeld: return 14;
    case K::kReviewReportSent: return 15;
    case K::kReviewDecision: return 16;
    case K::kAmendmentsProposed: return 17;
    case K::kPhaseTransferIdentified: return 18;
    case K::kReassessmentDecided: return 19;
    case K::kAmendedPlanIssued: return 20;
    case K::kDecisionNotToAmend: return 21;
    case K::kPlanCeased: return 22;
    case K::kPlanTransferredOut: return 23;
    case K::kTransferredToAdultServices: return 24;
    case K::kMediationRequested: return 25;
    case K::kMediationArranged: return 26;
    case K::kMediationConcluded: return 27;
    case K::kAppealRegistered: return 28;
    case K::kAppealConcluded: return 29;
    case K::kEventVoided: return 30;
    case K::KIND_NOT_SET: return 31;
  }
  return 31;
}

absl::Time RecordedAt(const v1::Event& event) {
  return absl::FromUnixSeconds(event.recorded_at().seconds()) +
         absl::Nanoseconds(event.recorded_at().nanos());
}

bool JourneyBefore(const v1::Event& a, const v1::Event& b) {
  if (a.occurred_on() != b.occurred_on()) {
    return a.occurred_on() < b.occurred_on();
  }
  const int ra = JourneyRank(a.payload());
  const int rb = JourneyRank(b.payload());
  if (ra != rb) return ra < rb;
  return a.case_version() < b.case_version();
}

bool KnownAt(const v1::Event& event, std::optional<absl::Time> as_known_at) {
  return !as_known_at.has_value() || RecordedAt(event) <= *as_known_at;
}

absl::flat_hash_set<std::string> RemovedEventIds(
    absl::Span<const v1::Event* const> events,
    std::optional<absl::Time> as_known_at) {
  absl::flat_hash_set<std::string> removed;
  for (const v1::Event* e : events) {
    if (!KnownAt(*e, as_known_at)) continue;
    if (e->payload().has_event_voided()) {
      removed.insert(e->payload().event_voided().target_event_id());
    }
    if (!e->supersedes_event_id().empty()) {
      removed.insert(e->supersedes_event_id());
    }
  }
  return removed;
}

std::optional<absl::CivilDay> FirstEventDay(
    absl::Span<const v1::Event* const> events) {
  std::optional<absl::CivilDay> first;
  for (const v1::Event* e : events) {
    absl::StatusOr<absl::CivilDay> day = ParseDate(e->occurred_on());
    if (day.ok() && (!first || *day < *first)) first = *day;
  }
  return first;
}

std::optional<absl::CivilDay> FirstEventDay(
    absl::Span<const v1::Event> events) {
  std::vector<const v1::Event*> ptrs;
  ptrs.reserve(events.size());
  for (const v1::Event& e : events) ptrs.push_back(&e);
  return FirstEventDay(absl::MakeConstSpan(ptrs));
}

std::vector<const v1::Event*> EffectiveJourney(
    absl::Span<const v1::Event* const> events,
    std::optional<absl::Time> as_known_at) {
  const absl::flat_hash_set<std::string> removed =
      RemovedEventIds(events, as_known_at);
  std::vector<const v1::Event*> journey;
  journey.reserve(events.size());
  for (const v1::Event* e : events) {
    if (!KnownAt(*e, as_known_at) || removed.contains(e->event_id())) continue;
    if (e->payload().has_event_voided() || e->payload().has_case_opened()) {
      continue;
    }
    journey.push_back(e);
  }
  std::stable_sort(journey.begin(), journey.end(),
                   [](const v1::Event* a, const v1::Event* b) {
                     return JourneyBefore(*a, *b);
                   });
  return journey;
}

std::vector<const v1::Event*> EffectiveJourney(
    absl::Span<const v1::Event> events,
    std::optional<absl::Time> as_known_at) {
  std::vector<const v1::Event*> ptrs;
  ptrs.reserve(events.size());
  for (const v1::Event& e : events) ptrs.push_back(&e);
  return EffectiveJourney(absl::MakeConstSpan(ptrs), as_known_at);
}

}  // namespace ehcp::domain
