// The statutory clock catalogue as versioned data
// (docs/law.md §3, names per §8).
//
// Each clock id has one or more rule versions, each in force for the clocks
// it governs whose trigger date lies in [effective_from, effective_to]. A
// clock is always evaluated with the version in force on its trigger date;
// a clock triggered when no version is in force (before 2014-09-01) is not
// produced. Changing the law is a change to the tables in rules.cc:
//
//   - every clock: in force from 2014-09-01 (the 2014 Regulations);
//   - review_decision: the Devon reading from 2022-03-08 (the stop after an
//     amend decision is the later of the decision and the proposals);
//   - covid_2020: an extra exception limb for every deadline clock triggered
//     2020-05-01..2020-09-25 (SI 2020/471), applied as an overlay that splits
//     each version into before / during / after the window.
//
//   const ClockRule* rule = FindClockRule("final_plan_20w", trigger);
//   if (rule == nullptr) { /* not produced */ }
//   std::optional<absl::CivilDay> due = DueDate(*rule, trigger);
//
// Thread safety: the tables are immutable after first use (built on first
// call, thread-safely); every function is safe to call concurrently and the
// returned pointers live for the whole program.
#ifndef EHCP_DOMAIN_RULES_H_
#define EHCP_DOMAIN_RULES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/types/span.h"
#include "ehcp/v1/events.pb.h"
#include "ehcp/v1/types.pb.h"

namespace ehcp::domain {

namespace v1 = ::ehcp::v1;

// What kind of row a catalogue entry produces.
enum class ClockKind {
  // A time limit: PENDING, MET, BREACHED, OVERDUE, EXCUSED, NOT_APPLICABLE.
  kDeadline,
  // A window that runs out (draft representations): PENDING, then MET.
  kWindow,
  // A compliance check judged at one event: MET or BREACHED.
  kComplianceCheck,
};

// How a clock's due date follows from its trigger date.
enum class DueRule {
  // trigger + 7·weeks; `weeks` from the rule, or from the matching variant.
  kWeeks,
  // trigger + days.
  kDays,
  // The last day of the period of `months` months starting with the trigger
  // (§2: LastDayOfMonthsStartingWith).
  kMonthsStartingWith,
  // (transfer_year, month, day) of the variant named by the transfer kind.
  kFixedDateInTransferYear,
  // transfer_in_review (reg 15(5)): the later of the last day of the 12
  // months beginning with the old LA's last review (DueInputs
  // last_reviewed_on, when known) and the last day of the `months` months
  // beginning with the trigger.
  kLaterOfLastReviewYearAndMonthsStartingWith,
  // The first (month, day) strictly after the trigger (age 25: 31 July).
  kFirstMonthDayAfter,
  // Due on the trigger day itself (preparing for adulthood).
  kTriggerDay,
};

// Which event date stops a clock.
enum class StopRule {
  // The first qualifying stop event's date.
  kFirstStop,
  // review_decision under Devon: a maintain or cease decision stops it on
  // its date; an amend decision stops it on the later of the decision and
  // the first proposed amendments on or after the meeting.
  kLaterOfAmendDecisionAndFirstProposal,
};

// A due-date parameter set selected by a key: the phase-transfer kind word
// ("secondary_to_post16"; "" is the default) or the tribunal order part
// ("assess", "make_plan:draft", "make_plan:final", "amend", …).
struct DueVariant {
  std::string key = {};
  int weeks = 0;
  int month = 0;
  int day = 0;
};

// One version of one clock's rule.
struct ClockRule {
  std::string clock_id = {};
  // "2014", "2014+covid_2020", "devon_2022", …
  std::string version = {};
  absl::CivilDay effective_from = {};
  // Inclusive; nullopt while the version is still in force.
  std::optional<absl::CivilDay> effective_to = std::nullopt;
  ClockKind kind = ClockKind::kDeadline;
  // What starts and what stops the clock, in words (for reports and docs).
  std::string trigger = {};
  std::string stop = {};
  DueRule due_rule = DueRule::kWeeks;
  int weeks = 0;
  int days = 0;
  int months = 0;
  // kFirstMonthDayAfter.
  int month = 0;
  int day = 0;
  // kWeeks by order part, kFixedDateInTransferYear by kind.
  std::vector<DueVariant> variants = {};
  // False for decision_not_to_issue: open past due stays PENDING (§8).
  bool overdue_when_open_past_due = true;
  StopRule stop_rule = StopRule::kFirstStop;
  // Exception limbs that excuse a late or overdue instance.
  std::vector<v1::ExceptionLimb> allowed_limbs = {};
  // Counted in the review backlog when open past due (§8 Reports).
  bool counts_in_backlog = false;
  // Statutory source.
  std::string source = {};

  // True when `limb` is one of allowed_limbs.
  bool Allows(v1::ExceptionLimb limb) const;
  // True when `day` lies in [effective_from, effective_to].
  bool InForceOn(absl::CivilDay day) const;
};

// Inputs some due rules need besides the trigger date.
struct DueInputs {
  // Variant key (phase-transfer kind word, tribunal order part).
  std::string variant;
  // phase_transfer: the calendar year of the transfer.
  int transfer_year = 0;
  // transfer_in_review: the date the old LA made the plan or last
  // reviewed it (PlanTransferredIn.last_reviewed_on), if known.
  std::optional<absl::CivilDay> last_reviewed_on;
};

// The clock ids in catalogue order (the order rows of one day are listed
// in): decision_to_assess, advice, decision_not_to_issue, final_plan_20w,
// draft_representations, annual_review, review_report, review_decision,
// amendment, phase_transfer, transfer_in_notice, transfer_in_review,
// reassessment, tribunal_order, age_25_cessation, premature_final_plan,
// preparing_for_adulthood.
absl::Span<const std::string> ClockIds();

// The position of `clock_id` in ClockIds(), or -1 when unknown.
int CatalogueIndex(absl::string_view clock_id);

// True when `clock_id` is in the catalogue (compliance checks included).
bool IsKnownClockId(absl::string_view clock_id);

// The version of `clock_id` in force on `trigger`, or nullptr when the clock
// is unknown or no version is in force then (the clock is not produced).
const ClockRule* FindClockRule(absl::string_view clock_id,
                               absl::CivilDay trigger);

// Every version of `clock_id`, by effective_from (empty when unknown).
std::vector<const ClockRule*> ClockRuleVersions(absl::string_view clock_id);

// The due date `rule` gives a clock triggered on `trigger`; nullopt when the
// rule needs a variant that `inputs` does not name (e.g. no kind).
std::optional<absl::CivilDay> DueDate(const ClockRule& rule,
                                      absl::CivilDay trigger,
                                      const DueInputs& inputs = {});

// True when some version of `clock_id` allows `limb` (covid_2020: every
// deadline clock; its date window applies when a clock is evaluated).
bool LimbAllowed(v1::ExceptionLimb limb, absl::string_view clock_id);

// The window of triggers for which covid_2020 excuses a deadline clock
// (SI 2020/471): 2020-05-01..2020-09-25, both included.
struct CovidWindow {
  absl::CivilDay from;
  absl::CivilDay to;
};
CovidWindow CovidExceptionWindow();

// "reg5_4_a", …, "reg44_3_b", "covid_2020"; "unspecified" otherwise.
std::string LimbName(v1::ExceptionLimb limb);

// The §8 words: "primary_to_secondary", "secondary_to_post16", …; "" when
// unspecified.
std::string PhaseTransferKindName(v1::PhaseTransferKind kind);
// "assess", "make_plan", "amend", "change_school", "continue_and_amend"; ""
// when unspecified.
std::string TribunalOrderKindName(v1::TribunalOrderKind kind);

// One entry of ExceptionRecorded.clocks: "<clock>" or "<clock>:<instance>".
struct ClockRef {
  std::string clock_id;
  // Empty: every instance.
  std::string instance;
};

// Splits "<clock>[:<instance>]" at the first ':'. The instance may itself
// contain ':' ("tribunal_order:T1:draft").
ClockRef ParseClockRef(absl::string_view text);

// True when `ref` names instance `instance` of clock `clock_id`: same clock,
// and no instance, the same instance, or (tribunal_order) the order id of a
// "<id>:draft" / "<id>:final" instance.
bool RefNamesInstance(const ClockRef& ref, absl::string_view clock_id,
                      absl::string_view instance);

// Whether an exception may be recorded as proposed (§8 Exceptions: refused
// whole). OK when every clock it names is known and allows its limb.
// FAILED_PRECONDITION naming the limb and the clock when a named clock does
// not exist or does not allow the limb; INVALID_ARGUMENT when the limb is
// unspecified, no clock is named or a name is malformed ("", ":1",
// "advice:"). Instances are not checked against a journey here.
absl::Status CheckExceptionAllowed(const v1::ExceptionRecorded& exception);

}  // namespace ehcp::domain

#endif  // EHCP_DOMAIN_RULES_H_
