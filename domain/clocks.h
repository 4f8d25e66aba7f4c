// Statutory clock evaluation: every clock instance of one case, as of a date
// (docs/law.md §2, §3 and the readings of §8).
//
// EvaluateClocks folds a case's effective journey (voids and supersedes
// applied, `as_known_at` honoured, same-day events in journey order; see
// journey.h) into clock instances, using the rule version in force on each
// instance's trigger date (rules.h), and reports one row per instance:
//
//   std::vector<ClockRow> rows =
//       EvaluateClocks(events, absl::CivilDay(2025, 9, 1));
//   for (const ClockRow& r : rows) {
//     // r.clock_id "amendment", r.instance "1", r.status kOverdue,
//     // r.days_late 27, …
//   }
//
// The readings this file encodes where §8 is silent are written next to the
// code that applies them (clocks.cc) and summarised here:
//
//  - as_of: voids and supersedes remove their targets whatever their own
//    dates (§8 Order 3); only then are events with occurred_on > as_of
//    dropped (Order 2). A supersede dated after as_of therefore removes its
//    target but does not yet stand in its place.
//  - A stop applies only to instances opened before it in journey order: a
//    final plan listed before a phase transfer identified on the same day
//    does not stop it (the same-day journey order of Order 1 says which
//    came first).
//  - plan_transferred_out closes exactly the clocks plan_ceased closes
//    (NOT_APPLICABLE), and closes an open age_25_cessation NOT_APPLICABLE
//    instead of stopping it: the plan is no longer this LA's to cease.
//  - Review meetings are numbered per case (1, 2, … over the case's
//    history); a transferred-in plan's first meeting in this LA takes the
//    next number (1 in a new case). The other LA's meetings are not counted.
//  - A review meeting with no annual_review open (a transferred-in plan)
//    opens the chain from the meeting date.
//  - review_decision: each instance takes at most one decision and one set
//    of proposed amendments (§8). When a Devon amend decision and its
//    proposals share a date the decision is the stop event; otherwise the
//    later of the two is.
//  - A continue_and_amend order that reinstates a ceased plan also counts
//    as a plan made active for age_25_cessation.
//  - Instances triggered before 2014-09-01 are folded like any other (they
//    can absorb stops) but are not listed.
//  - decision_not_to_issue open past due is PENDING and its days_remaining
//    is due − as_of, which is then negative.
//  - age_25_cessation has no trigger event: trigger_event_id is empty.
//
// Thread safety: pure functions.
#ifndef EHCP_DOMAIN_CLOCKS_H_
#define EHCP_DOMAIN_CLOCKS_H_

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "ehcp/v1/events.pb.h"

namespace ehcp::domain {

namespace v1 = ::ehcp::v1;

// §2 "Clock statuses".
enum class ClockStatus {
  kPending,
  kMet,
  kBreached,
  kOverdue,
  kExcused,
  kNotApplicable,
};

// "PENDING", "MET", "BREACHED", "OVERDUE", "EXCUSED", "NOT_APPLICABLE".
absl::string_view ClockStatusName(ClockStatus status);

// One clock instance as of the evaluation date.
struct ClockRow {
  // Catalogue id (rules.h ClockIds()).
  std::string clock_id;
  // §8 Instances: "1", "2", … ; the advice id; "<order id>" or
  // "<order id>:draft" / "<order id>:final".
  std::string instance;
  // The event that opened the instance (for premature_final_plan, the draft;
  // empty for age_25_cessation, which a birthday opens).
  std::string trigger_event_id;
  absl::CivilDay trigger;
  // Last compliant day (window end for draft_representations and
  // premature_final_plan).
  std::optional<absl::CivilDay> due;
  // The event that stopped it and its date; empty / nullopt while open, for
  // windows and for NOT_APPLICABLE.
  std::string stop_event_id;
  std::optional<absl::CivilDay> stop;
  ClockStatus status = ClockStatus::kPending;
  // §8 Days late: stop − due when stopped late (BREACHED, or EXCUSED when
  // stopped); as_of − due when open past due (OVERDUE, or EXCUSED while
  // open); otherwise 0.
  int days_late = 0;
  // due − as_of when PENDING, else 0.
  int days_remaining = 0;
  // For EXCUSED: the first exception (journey order) that excuses it and the
  // name of its limb ("reg10_4_c"). Empty otherwise.
  std::string excused_by_event_id;
  std::string excused_by_limb;
  // True when an exception that would excuse this instance exists (allowed
  // limb in the rule version, names it, dated trigger..stop − 1, or trigger..
  // as_of while open), late or not: the SEN2 "has an exception" flag.
  bool has_exception = false;
  // The rule version it was evaluated with ("2014", "devon_2022", …).
  std::string rule_version;

  bool operator==(const ClockRow&) const = default;
};

// A one-line description for logs and test failures.
std::string ClockRowDebugString(const ClockRow& row);
void PrintTo(const ClockRow& row, std::ostream* os);

// Evaluates every clock of one case as of `as_of`.
//
// `events` are the case's stored events in version order, including its
// CaseOpened event (whose birth_month feeds age_25_cessation and
// preparing_for_adulthood; without one, or with no birth month, those rows
// are absent). `as_known_at`, when set, hides events recorded after it
// (voids included). Events whose occurred_on does not parse are ignored.
//
// Returns one row per instance triggered on or before `as_of` and on or
// after 2014-09-01, ordered by trigger date, then clock id in catalogue
// order, then instance (numerically when both are numbers), then opening
// order. Never fails: the journey is taken as given.
std::vector<ClockRow> EvaluateClocks(
    absl::Span<const v1::Event> events, absl::CivilDay as_of,
    std::optional<absl::Time> as_known_at = std::nullopt);

// Same, for events held by pointer (in version order).
std::vector<ClockRow> EvaluateClocks(
    absl::Span<const v1::Event* const> events, absl::CivilDay as_of,
    std::optional<absl::Time> as_known_at = std::nullopt);

// The birth month of the CaseOpened event among `events` (version order)
// as known at `as_known_at`: what EvaluateClocks counts age_25_cessation and
// preparing_for_adulthood from. nullopt without one, or without a month.
std::optional<absl::CivilMonth> BirthMonthOf(
    absl::Span<const v1::Event* const> events,
    std::optional<absl::Time> as_known_at = std::nullopt);

// The end of the representable calendar (dates.h parses years up to 2199):
// rows "as of the end of time" are a clock's final rows, the ones the clock
// index keeps.
inline constexpr absl::CivilDay kEndOfTime = absl::CivilDay(2199, 12, 31);

// The clocks of one case as of kEndOfTime, folded one event at a time: the
// incremental form of EvaluateClocks(events, kEndOfTime), for a case model
// that grows with its case (case_model.h). Applying the events of a journey
// in journey order and then calling Rows() gives exactly what
// EvaluateClocks gives for those events; TakeChanges() says which rows the
// events applied since the last call changed, at a cost that does not grow
// with the number of instances the case already has (§8 stops look only at
// open instances; an exception re-checks the instances it names).
//
//   ClockFold clocks(birth_month);
//   for (const v1::Event* e : journey) clocks.Apply(*e);
//   for (const ClockFold::Change& c : clocks.TakeChanges()) {
//     // c.before: the row last reported (nullopt: none); c.after: now.
//   }
//
// Events given to Apply must outlive the fold (it keeps pointers to some).
// Thread safety: a plain value; not safe for concurrent mutation.
class ClockFold {
 public:
  explicit ClockFold(std::optional<absl::CivilMonth> birth_month);
  ~ClockFold();
  ClockFold(ClockFold&&) noexcept;
  ClockFold& operator=(ClockFold&&) noexcept;

  // Applies the next event of the journey: an event of the effective
  // journey (journey.h), never sorting before one already applied. Events
  // with an unparsable or too late occurred_on are ignored, as
  // EvaluateClocks ignores them.
  void Apply(const v1::Event& e);

  // Every row as of kEndOfTime, as EvaluateClocks orders them.
  std::vector<ClockRow> Rows() const;
  // Every row as of `day`, when every event applied so far occurred on or
  // before `day`: what EvaluateClocks gives as of `day` for the events
  // applied (a replay's view of the clocks after each event; replay.h).
  std::vector<ClockRow> RowsAsOf(absl::CivilDay day) const;

  // A row that appeared, changed or went away since the previous call (or
  // since construction): the row reported before (nullopt: none) and the
  // row now (nullopt: no longer listed). Rows are compared whole.
  struct Change {
    std::optional<ClockRow> before;
    std::optional<ClockRow> after;
  };
  std::vector<Change> TakeChanges();

  // A copy of the fold's progress, without what it has reported: a point of
  // the journey to return to (Restore) when an event lands before it.
  ClockFold Saved() const;
  // Returns the fold to `saved`, a Saved() of this fold's journey at an
  // earlier point, keeping what was reported. The next TakeChanges then
  // compares every row with what was reported, and lists every row that
  // went before every row that came (refolded, a row may move from one
  // instance to another).
  void Restore(const ClockFold& saved);

  // Memory held, roughly (for a cache's budget).
  size_t ApproximateBytes() const;

 private:
  struct State;
  explicit ClockFold(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace ehcp::domain

#endif  // EHCP_DOMAIN_CLOCKS_H_
