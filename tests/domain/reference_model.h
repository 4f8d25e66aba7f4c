// An independent reference model of §8 admissibility (the test oracle).
//
// Written from docs/law.md §8 ("Order and time",
// "Which instance a stop stops", "Exceptions", "Per clock",
// "Admissibility") and the rule list the implementation follows, NOT from
// domain/admission_rules.cc or domain/case_state.cc. It has its own small
// vocabulary of facts (no protobuf), so that the production code and the
// oracle share nothing but the dates.
//
//   std::vector<RefFact> recorded = ...;            // recording order
//   std::vector<RefFact> j = JourneyOf(recorded);   // §8 Order 1 and 3
//   std::optional<std::string> rule = ExpectedRefusal(j, 3);
//   // "final_plan.requires_draft", or nullopt when admissible.
//
//   std::optional<RefRefusal> r = JudgeAppend(stored, {proposed});
//   // what Decide must answer when `proposed` is appended to `stored`.
//
// Readings taken where neither §8 nor the rule list says (each is used by
// the tests and listed here so that a disagreement can be traced):
//  - A journey with no request, becoming responsible or transfer in at all
//    has no start: every other event is "before the start".
//  - decision_not_to_issue.after_draft looks for a draft since the most
//    recent decision to assess.
//  - "Proposed amendments await an answer" is counted: each set of proposed
//    amendments awaits one answer (an amended plan or a decision not to
//    amend answers the most recent one); a cessation or transfer out drops
//    them.
//  - appeal_concluded.requires_appeal: an appeal registered with that id and
//    not concluded yet (§8 is silent; aligned with Decide).
//  - A transfer out closes open review_decision instances as a cessation
//    does (§8 names only plan_ceased; the plan is no longer this LA's),
//    but it does not end the journey: only a cessation does (§8).
//  - When a stored event was refused before the append, the fold still
//    applies it (it is in the journey) and its refusal does not count.
//
// Thread safety: pure functions over values.
#ifndef EHCP_TESTS_DOMAIN_REFERENCE_MODEL_H_
#define EHCP_TESTS_DOMAIN_REFERENCE_MODEL_H_

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"

namespace ehcp::domain::reference {

// The kinds of fact. The first 22 are in §8 Order 1's same-day order; the
// kinds §8 does not list follow (transferred out, adult services, mediation,
// appeals, voids).
enum class Kind {
  kRequest,
  kBecameResponsible,
  kTribunalOrder,
  kAssessmentDecision,
  kAdviceRequested,
  kAdviceReceived,
  kException,
  kDecisionNotToIssue,
  kDraftPlan,
  kWaiver,
  kFinalPlan,
  kTransferredIn,
  kTransferNotice,
  kReviewMeeting,
  kReviewReport,
  kReviewDecision,
  kAmendmentsProposed,
  kPhaseTransfer,
  kReassessment,
  kAmendedPlan,
  kDecisionNotToAmend,
  kPlanCeased,
  kTransferredOut,
  kAdultServices,
  kMediationRequested,
  kMediationArranged,
  kMediationConcluded,
  kAppealRegistered,
  kAppealConcluded,
  kVoid,
};
inline constexpr int kKindCount = static_cast<int>(Kind::kVoid) + 1;

// Lower sorts first among facts of one day (§8 Order 1).
int SameDayRank(Kind kind);

// "request", "final plan", … for messages.
const char* KindName(Kind kind);

// One fact as the model sees it. Only the fields of its kind matter.
struct RefFact {
  absl::CivilDay on;
  Kind kind = Kind::kRequest;
  // Recording order: 2, 3, … (the CaseOpened event is version 1).
  int version = 0;
  // kAssessmentDecision: true = decision to assess.
  bool assess = true;
  // Advice id, tribunal order id or appeal id.
  std::string id;
  // kTribunalOrder: "assess", "make_plan", "amend", "change_school",
  // "continue_and_amend".
  std::string order;
  // kReviewDecision: "maintain", "amend", "cease".
  std::string outcome;
  // kException: §8 limb name ("reg10_4_c", "covid_2020") and clocks
  // ("final_plan_20w", "advice:EP1", "tribunal_order:T1").
  std::string limb;
  std::vector<std::string> clocks;
  // kTransferredIn: the optional last_reviewed_on.
  std::optional<absl::CivilDay> last_reviewed_on;
  // kVoid: the version voided.
  int void_target = 0;
  // Any kind but kVoid: the version this fact supersedes (0 = none).
  int supersedes = 0;
};

// "2024-05-31 final plan" (with the fact's details).
std::string Describe(const RefFact& fact);
// One line per fact, in the given order, with versions.
std::string DescribeAll(const std::vector<RefFact>& facts);

// §8 Order 1 and 3: the facts that stand (without voids, without the
// targets of voids and supersedes), sorted by date, same-day rank, then
// recording order.
std::vector<RefFact> JourneyOf(const std::vector<RefFact>& recorded);

// The state of the journey just before a fact, as the rules read it.
struct RefState {
  bool cycle_open = false;      // a request / becoming responsible awaiting
                                // its outcome
  bool assessing = false;       // a decision to assess, not yet concluded
  bool draft_since_assess = false;
  bool reassessing = false;
  bool make_plan_authorises = false;
  bool draft_since_final = false;
  bool plan_active = false;
  enum class End { kNone, kCeased, kTransferredOut } last_end = End::kNone;
  bool ended = false;  // after a cessation, no new start since
  bool ever_request_or_order = false;  // request, becoming responsible, order
  bool ever_transferred_in = false;
  int awaiting_proposals = 0;
  int cycles = 0;    // assessment cycles opened so far
  int meetings = 0;  // review meetings so far
  std::set<std::string> advice_requested, advice_received, order_ids,
      appeal_ids, appeals_concluded;
  std::vector<std::string> advice_order;  // advice ids in request order

  void Apply(const RefFact& fact);
};

// A deadline-clock instance the journey opens, for the covid_2020 window
// rule and for naming instances in generated exceptions.
struct RefInstance {
  std::string clock;
  std::string name;
  absl::CivilDay trigger;
};

// Folds one (sorted, effective) journey and says what each fact breaks.
class ReferenceModel {
 public:
  explicit ReferenceModel(const std::vector<RefFact>& journey);

  // The first rule `fact` breaks against the state so far, or nullopt.
  std::optional<std::string> Check(const RefFact& fact) const;
  // Applies `fact` to the state.
  void Apply(const RefFact& fact) { state_.Apply(fact); }

  const RefState& state() const { return state_; }
  // Every deadline-clock instance the whole journey opens.
  const std::vector<RefInstance>& instances() const { return instances_; }

 private:
  std::optional<std::string> CheckJourneyRules(const RefFact& fact) const;
  bool NewStartOn(absl::CivilDay day) const;

  std::optional<absl::CivilDay> first_start_;
  std::set<absl::CivilDay> new_start_days_;
  std::set<absl::CivilDay> transfer_in_days_;
  std::vector<RefInstance> instances_;
  RefState state_;
};

// The rule that fact `index` of a sorted effective journey breaks, or
// nullopt when it is admissible.
std::optional<std::string> ExpectedRefusal(
    const std::vector<RefFact>& journey_sorted, size_t index);

struct RefRefusal {
  std::string rule;
  int version = 0;  // the fact refused
};

// Every refusal of a sorted effective journey, in journey order (the fold
// continues past a refused fact).
std::vector<RefRefusal> AllRefusals(const std::vector<RefFact>& journey_sorted);

// True when every fact of the recorded facts' journey is admissible.
bool Admissible(const std::vector<RefFact>& recorded);

// What Decide must answer when `proposed` (recording order, versions after
// the stored ones) is appended to `stored`: nullopt for OK, else the rule of
// the first envelope refusal, or of the first refusal in journey order of a
// proposed fact or of a stored fact that the append newly makes impossible.
std::optional<RefRefusal> JudgeAppend(const std::vector<RefFact>& stored,
                                      const std::vector<RefFact>& proposed);

// §8 Names: is `limb` allowed for catalogue clock `clock`?
bool LimbAllowed(const std::string& limb, const std::string& clock);
// The deadline clocks of the catalogue (§3), which exceptions may name.
const std::vector<std::string>& DeadlineClocks();
// Every limb name of §8.
const std::vector<std::string>& LimbNames();

// §8 Which instance a stop stops, for the stops the acceptance test uses.
// The number of the assessment cycle opened by the latest request or
// becoming responsible dated on or before `day` (0 when none).
int LatestCycle(const std::vector<RefFact>& journey_sorted, absl::CivilDay day);
// The review_decision instance (meeting number) that a review decision dated
// `day`, applied after every fact of the journey, attaches to: the most
// recently opened instance open on that day with no decision yet.
std::optional<int> ReviewDecisionTakingADecision(
    const std::vector<RefFact>& journey_sorted, absl::CivilDay day);

}  // namespace ehcp::domain::reference

#endif  // EHCP_TESTS_DOMAIN_REFERENCE_MODEL_H_
