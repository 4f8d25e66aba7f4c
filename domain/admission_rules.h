// The rules of a possible journey, one event at a time.
//
// Each rule looks at one event of the journey and the case's state just
// before it (case_state.h) and says whether the event could have happened
// then. Decide (admissibility.h) folds a whole journey through these rules;
// this header is the rules themselves, as a table with a stable dotted id
// per rule ("final_plan.requires_draft"). Ids are part of the API: callers
// and tests match on them, so an id is never renamed or reused.
//
//   std::optional<Refusal> r = CheckJourneyEvent(state_before, event, starts);
//   if (r) ...  // r->rule == "final_plan.requires_draft"
//
// Readings chosen where docs/law.md §8 is silent are
// written next to the rule in admission_rules.cc and listed in
// AdmissibilityRules().
//
// Thread safety: pure functions over constant tables.
#ifndef EHCP_DOMAIN_ADMISSION_RULES_H_
#define EHCP_DOMAIN_ADMISSION_RULES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/types/span.h"
#include "domain/case_state.h"
#include "ehcp/v1/events.pb.h"

namespace ehcp::domain {

namespace v1 = ::ehcp::v1;

// One rule of admissibility: its stable id and what it refuses.
struct AdmissibilityRule {
  absl::string_view id;
  absl::string_view refuses;
};

// Every rule Decide applies, journey rules and envelope rules (future dates,
// voids, supersedes) alike, in the order they are checked.
absl::Span<const AdmissibilityRule> AdmissibilityRules();

// Why an event is refused: the rule's id and the circumstance, phrased to
// follow "<event> on <date>", e.g. "with no draft plan served since the last
// final plan".
struct Refusal {
  absl::string_view rule;
  std::string why;
};

// What the rules need to know of the whole journey, beyond the state just
// before an event: §8 judges "before the start" and "a new start on or
// before it" by date, so an event may rely on a start recorded the same day
// that rule 1's same-day order applies after it.
struct JourneyStarts {
  // The date of the journey's first request, becoming responsible or plan
  // transferred in.
  std::optional<absl::CivilDay> first;
  // Every date with a new start (those three, or a tribunal order), sorted.
  std::vector<absl::CivilDay> new_start_days;

  // True when a new start is dated `day`.
  bool NewStartOn(absl::CivilDay day) const;
};

// The starts of `journey`, which must be in journey order (journey.h).
JourneyStarts FindJourneyStarts(absl::Span<const v1::Event* const> journey);

// Adds `e` to `starts` when it is a start: the next event of a journey
// whose earlier events `starts` holds (journey order).
void AddJourneyStart(const v1::Event& e, JourneyStarts* starts);

// Checks one event of the journey against the state just before it:
// std::nullopt when possible, else the first rule it breaks. Envelope
// checks (dates in the future, void targets, exception limbs) and the
// exception's covid_2020 window (which needs the clocks) are Decide's.
std::optional<Refusal> CheckJourneyEvent(const CaseState& before,
                                         const v1::Event& event,
                                         const JourneyStarts& starts);

// How messages name a kind of fact: "final plan", "advice request", ...
absl::string_view EventNoun(const v1::EventPayload& payload);

}  // namespace ehcp::domain

#endif  // EHCP_DOMAIN_ADMISSION_RULES_H_
