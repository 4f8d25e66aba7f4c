// Admissibility: may these events be appended to this case?
//
// Event sourcing's decide step (house-style.md). Given a case's stored
// events and the events a caller proposes, Decide says whether the journey
// stays possible. Malformed input is validation.h's business and must be
// refused before calling Decide; Decide refuses what is well formed but
// impossible, with FAILED_PRECONDITION naming a rule by its stable dotted id
// (admission_rules.h) and the event:
//
//   absl::Status s = Decide(history, proposed, today);
//   // FAILED_PRECONDITION "rule final_plan.requires_draft: final plan on
//   // 2024-05-31 (events[0]) with no draft plan served since the last
//   // final plan"
//
// The journey is judged whole (docs/law.md §8 "Admissibility" and
// "Order and time"): the proposed events take their occurred_on places among
// the stored ones, voids and supersedes remove their targets, and every
// event of the resulting journey is checked against the case's state just
// before it. So a late-recorded fact is accepted when the journey stays
// possible, and refused when it makes a later, already stored event
// impossible (a cessation dated before a stored review meeting).
//
// A stored event that the rules already refuse without the proposed events
// (recorded before a rule existed, or imported) does not block later
// appends; only events the append makes impossible do.
//
// Thread safety: pure function.
#ifndef EHCP_DOMAIN_ADMISSIBILITY_H_
#define EHCP_DOMAIN_ADMISSIBILITY_H_

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/types/span.h"
#include "domain/case_model.h"
#include "ehcp/v1/events.pb.h"

namespace ehcp::domain {

namespace v1 = ::ehcp::v1;

// Decides whether `proposed` may be appended to a case whose stored events
// are `history` (version order, CaseOpened first). The proposed events must
// already be validated (ValidateProposedEvent) and stamped by the caller
// with their tentative event_id, case_version and recorded_at, in append
// order; `today` is today's date in Europe/London.
//
// Returns OK when every proposed event may be appended. Otherwise:
//   FAILED_PRECONDITION "rule event.not_in_future: ..." when a proposed
//     event's occurred_on is after `today`;
//   FAILED_PRECONDITION "rule void.* / supersede.* ..." when a void or a
//     supersede names an event not in this case (earlier events of the
//     same append count), a void, the CaseOpened event, or an event already
//     voided or superseded;
//   FAILED_PRECONDITION "rule <id>: ..." for the first event of the
//     resulting journey (in journey order) that a journey rule refuses;
//     proposed events are named "events[i]", stored ones "version N";
//   INVALID_ARGUMENT naming the field when a proposed event is malformed
//     anyway (unparsable occurred_on, a CaseOpened payload).
absl::Status Decide(absl::Span<const v1::Event> history,
                    absl::Span<const v1::Event> proposed, absl::CivilDay today);

// The same decision for the case `model` holds: exactly Decide(the model's
// events, proposed, today), but when the proposed events correct nothing
// and sort after the stored journey (the usual append) only they are
// judged, against the model's folded state, at a cost that does not grow
// with the length of the case. Late facts (nothing corrected) are judged
// from where the first of them goes, against the state the model has
// saved before that place, when that gives the same verdict (the
// journey's starts unchanged, no exception of that day before it);
// corrections judge the whole journey.
absl::Status Decide(const CaseModel& model,
                    absl::Span<const v1::Event> proposed, absl::CivilDay today);

}  // namespace ehcp::domain

#endif  // EHCP_DOMAIN_ADMISSIBILITY_H_
