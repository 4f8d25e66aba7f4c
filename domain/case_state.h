// The state of a case: where its journey stands, folded from its events.
//
// Event sourcing's evolve step (house-style.md): a case's state is never
// stored, it is the fold of its journey. `Evolve` applies one event to a
// state; it is total and never validates (admissibility.h decides what may
// be recorded, before it is recorded). `FoldCase` folds a whole stream:
//
//   std::vector<v1::Event> events = ...;            // version order
//   CaseState state = FoldCase(events);             // journey order inside
//
// (Its wire form for GetCaseState, ehcp.v1.CaseState, is made by the case
// service: services/internal/case_convert.h.)
//
// The journey is applied in occurred_on order (journey.h), so a late-recorded
// fact lands in its place. Voided and superseded events are left out and
// counted.
//
// Thread safety: plain values and pure functions.
#ifndef EHCP_DOMAIN_CASE_STATE_H_
#define EHCP_DOMAIN_CASE_STATE_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/types/span.h"
#include "ehcp/v1/events.pb.h"
#include "ehcp/v1/types.pb.h"

namespace ehcp::domain {

namespace v1 = ::ehcp::v1;

// Where a case stands after the events folded so far. The flags are what
// admissibility reasons about; the dates are what GetCaseState shows.
struct CaseState {
  // Identity, from the CaseOpened event.
  std::string case_id;
  std::string la_code;
  std::string case_reference;
  std::optional<absl::CivilMonth> birth_month;

  // The highest case_version folded (the stream's version after FoldCase).
  int64_t version = 0;
  // The stage of the last event that moved the journey on.
  v1::CaseStage stage = v1::CASE_STAGE_OPENED;
  // A plan is in force (issued or transferred in, not ceased or moved out).
  bool plan_in_force = false;

  // The date of the first journey-starting event (request, became
  // responsible, plan transferred in); nothing may come before it.
  std::optional<absl::CivilDay> first_journey_on;
  // Key dates (the latest of each).
  std::optional<absl::CivilDay> latest_request_on;  // or became responsible
  std::optional<absl::CivilDay> assessment_decision_on;
  std::optional<absl::CivilDay> draft_served_on;
  std::optional<absl::CivilDay> plan_issued_on;  // the plan in force
  std::optional<absl::CivilDay> last_amended_on;
  std::optional<absl::CivilDay> last_review_on;
  std::optional<absl::CivilDay> ended_on;  // ceased or transferred out

  // Assessment cycle: opened by a request (or becoming responsible), closed
  // by a decision not to assess, a decision not to issue or a final plan —
  // the events that close its clocks. A decision to assess given after the
  // cycle closed (a refusal reconsidered) does not reopen it.
  bool cycle_open = false;
  // An assessment is under way: from a decision to assess until a decision
  // not to assess, a decision not to issue or a final plan (a new cycle
  // does not end it).
  bool assessing = false;
  // Assessment cycles opened so far (their clocks are numbered 1, 2, ...).
  int cycles = 0;
  // A request, becoming responsible or tribunal order has been folded: a
  // decision whether to assess has something to answer.
  bool decision_may_follow = false;
  // A re-assessment (reg 27) is open: until an amended or final plan, a
  // decision not to amend when no amendments are proposed, or the plan's
  // end.
  bool reassessing = false;
  // A draft plan was served since the last final plan.
  bool draft_since_final = false;
  // A make_plan tribunal order still authorises a draft: no draft has been
  // served since the latest such order (§8: an order authorises one draft).
  bool make_plan_authorises_draft = false;
  // Sets of proposed amendments not yet answered by an amended plan or a
  // decision not to amend (each answer takes the latest; a final plan
  // answers none, as it stops no amendment clock).
  int open_proposals = 0;
  // A plan was transferred in at some point (a transfer notice answers one).
  bool transferred_in = false;

  // The journey has ended: a cessation, and no new start (request,
  // becoming responsible, plan transferred in, tribunal order) since. A
  // transfer out ends the plan, not the journey. `last_end_ceased` tells
  // whether the plan's last end was a cessation (a continue_and_amend order
  // reinstates only a ceased plan).
  bool ended = false;
  bool last_end_ceased = false;

  // Advice: every id ever requested, and those not yet received.
  std::set<std::string> known_advice_ids;
  std::set<std::string> open_advice_ids;
  // Every tribunal order id ever made.
  std::set<std::string> known_order_ids;
  // Appeals: every id ever registered, and those not yet concluded.
  std::set<std::string> known_appeal_ids;
  std::set<std::string> open_appeal_ids;

  int review_meetings = 0;
  // The placement named by the plan in force, if recorded.
  std::string placement;
  // Events voided or superseded in the stream.
  int voided_events = 0;

  bool operator==(const CaseState&) const = default;
};

// Applies one event of the journey to `state` and returns the new state.
// Total and pure: any event applies, however impossible (an unparsable
// occurred_on sets no date). A CaseOpened sets the identity fields; voids
// change nothing (FoldCase removes their targets and counts them).
CaseState Evolve(CaseState state, const v1::Event& event);

// Folds one case's stream, given in version order: identity from its
// CaseOpened event, the count of voided and superseded events, version = the
// highest case_version, then Evolve over EffectiveJourney(events).
CaseState FoldCase(absl::Span<const v1::Event> events_in_version_order);
// Same, for events held by pointer (in version order).
CaseState FoldCase(absl::Span<const v1::Event* const> events_in_version_order);

// Who statutory notices go to on `today` (§3 rights transfer): the parent
// until the end of compulsory school age, the young person from the day
// after it. The end is calendar.h's EndOfCompulsorySchoolAge: the last Friday
// in June of the school year in which the young person turns 16. Readings:
// only the birth month is known, so the birthday is taken as the 1st of that
// month (a September-December birth turns 16 in the school year ending the
// following June); and the age ends "at the end of" that Friday (Education
// Act 1996 s8(3)), so the Friday itself still goes to the parent.
// UNSPECIFIED with no birth month.
v1::NoticeRecipient NoticesTo(const CaseState& state, absl::CivilDay today);

}  // namespace ehcp::domain

#endif  // EHCP_DOMAIN_CASE_STATE_H_
