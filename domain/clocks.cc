#include "domain/clocks.h"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "domain/calendar.h"
#include "domain/dates.h"
#include "domain/journey.h"
#include "domain/rules.h"

namespace ehcp::domain {
namespace {

using K = v1::EventPayload::KindCase;

// The clocks the fold opens (rows are ordered by rules.h's catalogue).
enum Clock : int {
  kDecisionToAssess,
  kAdvice,
  kDecisionNotToIssue,
  kFinalPlan20w,
  kDraftRepresentations,
  kAnnualReview,
  kReviewReport,
  kReviewDecision,
  kAmendment,
  kPhaseTransfer,
  kTransferInNotice,
  kTransferInReview,
  kReassessment,
  kTribunalOrder,
  kAge25Cessation,
  kPrematureFinalPlan,
  kPreparingForAdulthood,
  kClockCount,
};

constexpr std::array<absl::string_view, kClockCount> kClockId = {
    "decision_to_assess",   "advice",
    "decision_not_to_issue", "final_plan_20w",
    "draft_representations", "annual_review",
    "review_report",        "review_decision",
    "amendment",            "phase_transfer",
    "transfer_in_notice",   "transfer_in_review",
    "reassessment",         "tribunal_order",
    "age_25_cessation",     "premature_final_plan",
    "preparing_for_adulthood",
};

// The clocks plan_ceased (and, by our reading, plan_transferred_out) closes
// NOT_APPLICABLE (§8 Per clock). Advice, assessment-cycle and tribunal
// clocks are untouched.
constexpr Clock kClosedByCessation[] = {
    kAnnualReview,  kReviewReport,     kReviewDecision,
    kAmendment,     kPhaseTransfer,    kTransferInNotice,
    kTransferInReview, kReassessment,
};

struct Instance {
  Clock clock = kDecisionToAssess;
  std::string instance = {};
  std::string trigger_event_id = {};
  absl::CivilDay trigger = {};
  // The version in force on the trigger date; nullptr: not produced (§8
  // Order 4), but still folded.
  const ClockRule* rule = nullptr;
  std::optional<absl::CivilDay> due = std::nullopt;
  bool open = true;
  bool not_applicable = false;
  std::optional<absl::CivilDay> stop = std::nullopt;
  std::string stop_event_id = {};
  // Compliance checks: decided when the row is made.
  std::optional<ClockStatus> check_status = std::nullopt;
  // tribunal_order: "assess", "make_plan:draft", … (the due variant key).
  std::string order_part = {};
  // review_decision: a decision and a set of proposed amendments have
  // attached to it (§8 Per clock: at most one of each).
  bool decided = false;
  bool proposals_attached = false;
  // review_decision (Devon): an amend decision waiting for proposals.
  std::optional<absl::CivilDay> armed_on = std::nullopt;
  std::string armed_event_id = {};
};

struct Exception {
  const v1::Event* event = nullptr;
  absl::CivilDay on = {};
  v1::ExceptionLimb limb = v1::EXCEPTION_LIMB_UNSPECIFIED;
  std::vector<ClockRef> refs = {};
};

// One assessment cycle: its three instances (indexes into the fold).
struct Cycle {
  int decision_to_assess;
  int decision_not_to_issue;
  int final_plan;
};

// The fold of one case's journey into clock instances.
class Fold {
 public:
  Fold(absl::CivilDay as_of, std::optional<absl::CivilMonth> birth_month)
      : as_of_(as_of), birth_month_(birth_month) {
    if (birth_month_) {
      // §8: trigger = the 1st of the month of the 25th birthday.
      age25_trigger_ = absl::CivilDay(absl::CivilMonth(
          birth_month_->year() + 25, birth_month_->month()));
    }
  }

  void Apply(const v1::Event& e, absl::CivilDay on);
  // Date-driven triggers up to and including as_of.
  void Finish() { AdvanceTo(as_of_ + 1); }
  std::vector<ClockRow> Rows() const { return RowsAt(as_of_); }
  // The rows as of `day` ≤ as_of, when every event applied occurred on or
  // before it: the listed instances evaluated on `day`, and the
  // age_25_cessation instance AdvanceTo(day + 1) would open (for a fold
  // that has not yet been finished: a replay's view after each event).
  std::vector<ClockRow> RowsAt(absl::CivilDay day) const;

  // Incremental use (ClockFold): the instances whose row may have changed
  // since the last call, in opening order (an index into the fold), and the
  // row of one instance, when it is listed as of as_of.
  std::vector<int> TakeDirty();
  std::optional<ClockRow> ListedRow(int i) const;
  // Events applied so far, and the instances changed since `applied` of
  // them had been (a fold restored to that point must compare them).
  int64_t applied() const { return applied_; }
  void TouchedSince(int64_t applied, std::vector<int>* out) const {
    for (size_t i = 0; i < touched_at_.size(); ++i) {
      if (touched_at_[i] > applied) out->push_back(static_cast<int>(i));
    }
  }
  // The row Finish() would add for age_25_cessation, if it would open one
  // (the fold has not yet passed its trigger day).
  std::optional<ClockRow> PendingAge25Row() const;
  size_t instance_count() const { return insts_.size(); }

 private:
  int Open(Clock clock, std::string instance, const v1::Event* e,
           absl::CivilDay trigger, const DueInputs& inputs = {});
  void Stop(int i, absl::CivilDay on, const std::string& event_id);
  void StopIfOpen(int i, absl::CivilDay on, const v1::Event& e) {
    if (i >= 0 && insts_[i].open) Stop(i, on, e.event_id());
  }
  void CloseNotApplicable(int i);
  void CloseAllNotApplicable(Clock clock);
  // Marks instance i as changed (TakeDirty).
  void Touch(int i) {
    touched_at_[i] = applied_;
    if (!dirty_flag_[i]) {
      dirty_flag_[i] = true;
      dirty_.push_back(i);
    }
  }
  // Drops instance i from the open list of its clock (it was open).
  void Closed(int i);
  // §8 "the most recently opened open instance"; -1 when none.
  int MostRecentOpen(Clock clock) const;
  // Stops every open tribunal_order instance whose part is in `parts`.
  void StopTribunalOrders(std::initializer_list<absl::string_view> parts,
                          absl::CivilDay on, const v1::Event& e);
  // Stops every open instance of `clock` (§8: every open instance the event
  // satisfies).
  void StopAllOpen(Clock clock, absl::CivilDay on, const v1::Event& e);
  std::string NextNumber(Clock clock) const {
    return absl::StrCat(opened_[clock] + 1);
  }
  // Opens date-driven clocks whose trigger day lies before `day` (all events
  // of the trigger day have been applied).
  void AdvanceTo(absl::CivilDay day);
  ClockRow MakeRow(const Instance& inst, absl::CivilDay as_of) const;

  void OnCycleOpened(const v1::Event& e, absl::CivilDay on);
  void OnFinalPlan(const v1::Event& e, absl::CivilDay on);
  void OnReviewMeeting(const v1::Event& e, absl::CivilDay on);
  void OnReviewDecision(const v1::Event& e, absl::CivilDay on);
  void OnAmendmentsProposed(const v1::Event& e, absl::CivilDay on);
  void OnPlanEnded(const v1::Event& e, absl::CivilDay on, bool ceased);

  const absl::CivilDay as_of_;
  const std::optional<absl::CivilMonth> birth_month_;
  std::optional<absl::CivilDay> age25_trigger_;
  bool age25_done_ = false;

  std::vector<Instance> insts_;
  // Instances opened per clock, and the open ones in opening order: the
  // stops look only at open instances, so an event costs the same however
  // many closed instances the case has.
  std::array<int, kClockCount> opened_ = {};
  std::array<std::vector<int>, kClockCount> open_;
  // Instances changed since the last TakeDirty.
  std::vector<int> dirty_;
  std::vector<bool> dirty_flag_;
  // For each instance, the number of events applied when it last changed.
  std::vector<int64_t> touched_at_;
  int64_t applied_ = 0;
  std::vector<Cycle> cycles_;
  std::vector<Exception> exceptions_;
  // Dates of representations waivers.
  std::vector<absl::CivilDay> waivers_;
  // The latest draft plan served since the previous final plan.
  const v1::Event* pending_draft_ = nullptr;
  absl::CivilDay pending_draft_on_;
  int review_meetings_ = 0;
  int premature_rows_ = 0;
  bool plan_active_ = false;
  // The plan's last end was a cessation (not a transfer out).
  bool last_end_ceased_ = false;
};

Instance MakeInstance(Clock clock, std::string instance, const v1::Event* e,
                      absl::CivilDay trigger, const DueInputs& inputs) {
  const absl::string_view id = kClockId[clock];
  Instance inst{.clock = clock,
                .instance = std::move(instance),
                .trigger_event_id = e != nullptr ? e->event_id() : "",
                .trigger = trigger,
                .rule = FindClockRule(id, trigger)};
  // A hidden (pre-2014) instance still gets a due date, from the nearest
  // version, so that it folds like any other.
  const ClockRule* due_rule = inst.rule;
  if (due_rule == nullptr) {
    const std::vector<const ClockRule*> versions = ClockRuleVersions(id);
    if (!versions.empty()) {
      due_rule = trigger < versions.front()->effective_from ? versions.front()
                                                            : versions.back();
    }
  }
  if (due_rule != nullptr) inst.due = DueDate(*due_rule, trigger, inputs);
  // A deadline without a due date (no kind, no transfer year) cannot be
  // judged: fold it, but do not list it.
  if (!inst.due) inst.rule = nullptr;
  inst.order_part = inputs.variant;
  return inst;
}

int Fold::Open(Clock clock, std::string instance, const v1::Event* e,
               absl::CivilDay trigger, const DueInputs& inputs) {
  Instance inst = MakeInstance(clock, std::move(instance), e, trigger, inputs);
  insts_.push_back(std::move(inst));
  const int i = static_cast<int>(insts_.size()) - 1;
  ++opened_[clock];
  open_[clock].push_back(i);
  dirty_flag_.push_back(false);
  touched_at_.push_back(applied_);
  Touch(i);
  return i;
}

void Fold::Closed(int i) {
  std::vector<int>& open = open_[insts_[i].clock];
  // Usually the most recent: search from the back.
  auto it = std::find(open.rbegin(), open.rend(), i);
  if (it != open.rend()) open.erase(std::next(it).base());
}

void Fold::Stop(int i, absl::CivilDay on, const std::string& event_id) {
  Instance& inst = insts_[i];
  if (inst.open) Closed(i);
  inst.open = false;
  inst.stop = on;
  inst.stop_event_id = event_id;
  Touch(i);
}

void Fold::CloseNotApplicable(int i) {
  if (i < 0 || !insts_[i].open) return;
  Closed(i);
  insts_[i].open = false;
  insts_[i].not_applicable = true;
  Touch(i);
}

void Fold::CloseAllNotApplicable(Clock clock) {
  const std::vector<int> open = open_[clock];
  for (int i : open) CloseNotApplicable(i);
}

int Fold::MostRecentOpen(Clock clock) const {
  const std::vector<int>& v = open_[clock];
  return v.empty() ? -1 : v.back();
}

void Fold::StopTribunalOrders(std::initializer_list<absl::string_view> parts,
                              absl::CivilDay on, const v1::Event& e) {
  const std::vector<int> open = open_[kTribunalOrder];
  for (int i : open) {
    for (absl::string_view part : parts) {
      if (insts_[i].order_part == part) {
        Stop(i, on, e.event_id());
        break;
      }
    }
  }
}

void Fold::StopAllOpen(Clock clock, absl::CivilDay on, const v1::Event& e) {
  const std::vector<int> open = open_[clock];
  for (int i : open) StopIfOpen(i, on, e);
}

void Fold::AdvanceTo(absl::CivilDay day) {
  if (age25_done_ || !age25_trigger_ || !(*age25_trigger_ < day)) return;
  age25_done_ = true;
  // §8: it exists when a plan is active on the trigger day (issued or
  // transferred in on or before it, not ceased on or before it).
  if (plan_active_) Open(kAge25Cessation, "1", nullptr, *age25_trigger_);
}

void Fold::Apply(const v1::Event& e, absl::CivilDay on) {
  ++applied_;
  AdvanceTo(on);
  const v1::EventPayload& p = e.payload();
  switch (p.kind_case()) {
    case K::kRequestReceived:
    case K::kBecameResponsible:
      // §8: became_responsible opens a new cycle exactly as a request does.
      OnCycleOpened(e, on);
      break;
    case K::kAssessmentDecision: {
      // Assessment-cycle stops go to the cycle opened by the latest request.
      if (!cycles_.empty()) {
        const Cycle& c = cycles_.back();
        StopIfOpen(c.decision_to_assess, on, e);
        if (p.assessment_decision().outcome() ==
            v1::ASSESSMENT_DECISION_OUTCOME_NOT_ASSESS) {
          CloseNotApplicable(c.decision_not_to_issue);
          CloseNotApplicable(c.final_plan);
        }
      }
      if (p.assessment_decision().outcome() ==
          v1::ASSESSMENT_DECISION_OUTCOME_ASSESS) {
        // A decision *to* assess; a refusal does not stop an assess order.
        StopTribunalOrders({"assess"}, on, e);
      }
      break;
    }
    case K::kAdviceRequested:
      Open(kAdvice, p.advice_requested().advice_id(), &e, on);
      break;
    case K::kAdviceReceived:
      // Advice: the instance with the same id; first qualifying stop wins.
      for (int i : open_[kAdvice]) {
        if (insts_[i].instance == p.advice_received().advice_id()) {
          Stop(i, on, e.event_id());
          break;
        }
      }
      break;
    case K::kExceptionRecorded: {
      Exception x{.event = &e, .on = on, .limb = p.exception_recorded().limb()};
      for (const std::string& name : p.exception_recorded().clocks()) {
        x.refs.push_back(ParseClockRef(name));
      }
      // The rows of the instances it names may change (EXCUSED,
      // has_exception).
      for (size_t i = 0; i < insts_.size(); ++i) {
        const Instance& inst = insts_[i];
        for (const ClockRef& r : x.refs) {
          if (RefNamesInstance(r, kClockId[inst.clock], inst.instance)) {
            Touch(static_cast<int>(i));
            break;
          }
        }
      }
      exceptions_.push_back(std::move(x));
      break;
    }
    case K::kDecisionNotToIssue:
      if (!cycles_.empty()) {
        StopIfOpen(cycles_.back().decision_not_to_issue, on, e);
        CloseNotApplicable(cycles_.back().final_plan);
      }
      break;
    case K::kDraftPlanServed:
      // §8: decision_not_to_issue is NOT_APPLICABLE once a draft is served
      // in its cycle.
      if (!cycles_.empty()) {
        CloseNotApplicable(cycles_.back().decision_not_to_issue);
      }
      Open(kDraftRepresentations, NextNumber(kDraftRepresentations), &e, on);
      StopTribunalOrders({"make_plan:draft"}, on, e);
      pending_draft_ = &e;
      pending_draft_on_ = on;
      break;
    case K::kRepresentationsWaived:
      waivers_.push_back(on);
      break;
    case K::kFinalPlanIssued:
      OnFinalPlan(e, on);
      break;
    case K::kPlanTransferredIn: {
      // §8: the later of the 12 months beginning with the old LA's last
      // review (when the transfer says) and the 3 months beginning with the
      // transfer. The old LA's annual review is not a clock of this case.
      DueInputs in;
      const auto last_reviewed =
          ParseDate(p.plan_transferred_in().last_reviewed_on());
      if (last_reviewed.ok()) in.last_reviewed_on = *last_reviewed;
      Open(kTransferInNotice, NextNumber(kTransferInNotice), &e, on);
      Open(kTransferInReview, NextNumber(kTransferInReview), &e, on, in);
      plan_active_ = true;
      break;
    }
    case K::kTransferNoticeSent:
      StopIfOpen(MostRecentOpen(kTransferInNotice), on, e);
      break;
    case K::kReviewMeetingHeld:
      OnReviewMeeting(e, on);
      break;
    case K::kReviewReportSent:
      StopIfOpen(MostRecentOpen(kReviewReport), on, e);
      break;
    case K::kReviewDecision:
      OnReviewDecision(e, on);
      break;
    case K::kAmendmentsProposed:
      OnAmendmentsProposed(e, on);
      break;
    case K::kAmendedPlanIssued:
      StopIfOpen(MostRecentOpen(kAmendment), on, e);
      StopAllOpen(kPhaseTransfer, on, e);
      StopAllOpen(kReassessment, on, e);
      StopTribunalOrders({"amend", "continue_and_amend", "change_school"}, on,
                         e);
      break;
    case K::kDecisionNotToAmend:
      StopIfOpen(MostRecentOpen(kAmendment), on, e);
      break;
    case K::kPhaseTransferIdentified: {
      DueInputs in;
      in.variant = PhaseTransferKindName(p.phase_transfer_identified().kind());
      in.transfer_year = p.phase_transfer_identified().transfer_year();
      Open(kPhaseTransfer, NextNumber(kPhaseTransfer), &e, on, in);
      break;
    }
    case K::kReassessmentDecided:
      Open(kReassessment, NextNumber(kReassessment), &e, on);
      StopTribunalOrders({"assess"}, on, e);
      break;
    case K::kTribunalOrderMade: {
      const v1::TribunalOrderMade& o = p.tribunal_order_made();
      const std::string kind = TribunalOrderKindName(o.kind());
      if (kind.empty()) break;  // Unjudgeable; validation refuses it.
      DueInputs in;
      if (o.kind() == v1::TRIBUNAL_ORDER_KIND_MAKE_PLAN) {
        in.variant = "make_plan:draft";
        Open(kTribunalOrder, absl::StrCat(o.order_id(), ":draft"), &e, on, in);
        in.variant = "make_plan:final";
        Open(kTribunalOrder, absl::StrCat(o.order_id(), ":final"), &e, on, in);
      } else {
        in.variant = kind;
        Open(kTribunalOrder, o.order_id(), &e, on, in);
      }
      // §8: continue_and_amend after a cessation (no plan active on its
      // date) reinstates the plan; the annual review chain opens a new
      // instance from the order, as a new final plan would. Clocks the
      // cessation closed stay closed.
      if (o.kind() == v1::TRIBUNAL_ORDER_KIND_CONTINUE_AND_AMEND &&
          !plan_active_ && last_end_ceased_) {
        Open(kAnnualReview, NextNumber(kAnnualReview), &e, on);
        plan_active_ = true;
      }
      break;
    }
    case K::kPlanCeased:
      OnPlanEnded(e, on, /*ceased=*/true);
      break;
    case K::kPlanTransferredOut:
      OnPlanEnded(e, on, /*ceased=*/false);
      break;
    default:
      break;
  }
}

void Fold::OnCycleOpened(const v1::Event& e, absl::CivilDay on) {
  // §8 Instances: 1, 2, … per request (or becoming responsible), counting
  // cycles triggered before 2014-09-01.
  const std::string n = absl::StrCat(cycles_.size() + 1);
  Cycle c;
  c.decision_to_assess = Open(kDecisionToAssess, n, &e, on);
  c.decision_not_to_issue = Open(kDecisionNotToIssue, n, &e, on);
  c.final_plan = Open(kFinalPlan20w, n, &e, on);
  cycles_.push_back(c);
}

void Fold::OnFinalPlan(const v1::Event& e, absl::CivilDay on) {
  if (!cycles_.empty()) {
    StopIfOpen(cycles_.back().final_plan, on, e);
    CloseNotApplicable(cycles_.back().decision_not_to_issue);
  }
  // premature_final_plan: one row per final plan with a draft served since
  // the previous final plan (the latest such draft counts).
  if (pending_draft_ != nullptr) {
    const absl::CivilDay draft = pending_draft_on_;
    const int i = Open(kPrematureFinalPlan, absl::StrCat(++premature_rows_),
                       pending_draft_, draft);
    const absl::CivilDay window_end = draft + 14;
    const bool waived =
        std::any_of(waivers_.begin(), waivers_.end(), [&](absl::CivilDay w) {
          return draft <= w && w <= on;
        });
    Stop(i, on, e.event_id());
    insts_[i].check_status = on <= window_end && !waived
                                 ? ClockStatus::kBreached
                                 : ClockStatus::kMet;
    pending_draft_ = nullptr;
  }
  // annual_review: a new final plan closes an open instance NOT_APPLICABLE
  // and opens a new one from the plan (the first final plan just opens it).
  CloseNotApplicable(MostRecentOpen(kAnnualReview));
  Open(kAnnualReview, NextNumber(kAnnualReview), &e, on);
  StopTribunalOrders({"make_plan:final"}, on, e);
  StopAllOpen(kPhaseTransfer, on, e);
  StopAllOpen(kReassessment, on, e);
  plan_active_ = true;
}

void Fold::OnReviewMeeting(const v1::Event& e, absl::CivilDay on) {
  const std::string m = absl::StrCat(++review_meetings_);
  // The meeting stops the open annual review and opens the next from its
  // date; with none open (a transferred-in plan) it starts the chain.
  StopIfOpen(MostRecentOpen(kAnnualReview), on, e);
  Open(kAnnualReview, NextNumber(kAnnualReview), &e, on);
  Open(kReviewReport, m, &e, on);
  Open(kReviewDecision, m, &e, on);
  StopIfOpen(MostRecentOpen(kTransferInReview), on, e);
  if (birth_month_ && YearGroup(*birth_month_, on) >= 9) {
    const int i = Open(kPreparingForAdulthood, m, &e, on);
    Stop(i, on, e.event_id());
    insts_[i].check_status =
        e.payload().review_meeting_held().adulthood_considered()
            ? ClockStatus::kMet
            : ClockStatus::kBreached;
  }
}

// §8 Per clock, review_decision: a decision attaches to the most recently
// opened instance that is open and has no decision yet (none: it stops
// nothing). Maintain and cease stop it on the decision's date, and so does
// amend before Devon; under Devon an amend decision stops it on the later
// of the decision and its attached proposals, and it stays open until it
// has both.
void Fold::OnReviewDecision(const v1::Event& e, absl::CivilDay on) {
  const std::vector<int>& v = open_[kReviewDecision];
  auto it = std::find_if(v.rbegin(), v.rend(),
                         [&](int i) { return !insts_[i].decided; });
  if (it == v.rend()) return;
  Instance& inst = insts_[*it];
  inst.decided = true;
  const bool devon =
      inst.rule != nullptr &&
      inst.rule->stop_rule == StopRule::kLaterOfAmendDecisionAndFirstProposal;
  // With proposals already attached they came first: the decision is the
  // later (on the same day too, rule 1's order).
  if (!devon ||
      e.payload().review_decision().outcome() != v1::REVIEW_OUTCOME_AMEND ||
      inst.proposals_attached) {
    Stop(*it, on, e.event_id());
    return;
  }
  inst.armed_on = on;
  inst.armed_event_id = e.event_id();
}

// §8 Per clock, review_decision: proposed amendments attach to the most
// recently opened open instance if it has none yet, and otherwise to none
// (never to an older instance). An armed instance (Devon amend decision)
// is stopped by them on the later date; when both share a date the
// decision is the stop event. Every set of proposals opens an amendment
// clock and a representations window.
void Fold::OnAmendmentsProposed(const v1::Event& e, absl::CivilDay on) {
  const int i = MostRecentOpen(kReviewDecision);
  if (i >= 0 && !insts_[i].proposals_attached) {
    Instance& inst = insts_[i];
    inst.proposals_attached = true;
    if (inst.armed_on) {
      if (*inst.armed_on < on) {
        Stop(i, on, e.event_id());
      } else {
        Stop(i, *inst.armed_on, inst.armed_event_id);
      }
    }
  }
  Open(kAmendment, NextNumber(kAmendment), &e, on);
  Open(kDraftRepresentations, NextNumber(kDraftRepresentations), &e, on);
}

void Fold::OnPlanEnded(const v1::Event& e, absl::CivilDay on, bool ceased) {
  const std::vector<int> age25 = open_[kAge25Cessation];
  for (int i : age25) {
    if (ceased) {
      StopIfOpen(i, on, e);
    } else {
      CloseNotApplicable(i);
    }
  }
  for (Clock c : kClosedByCessation) CloseAllNotApplicable(c);
  plan_active_ = false;
  last_end_ceased_ = ceased;
}

// True when exception `x` would excuse `inst` (§8 Exceptions): its limb is
// allowed by the instance's rule version (covid_2020 only in versions whose
// trigger window it is), it names the instance, and trigger ≤ exception date
// and (exception date < stop, or still open).
bool WouldExcuse(const Exception& x, const Instance& inst) {
  if (inst.rule == nullptr || !inst.rule->Allows(x.limb)) return false;
  if (x.on < inst.trigger) return false;
  if (!inst.open && !(inst.stop && x.on < *inst.stop)) return false;
  return std::any_of(x.refs.begin(), x.refs.end(), [&](const ClockRef& r) {
    return RefNamesInstance(r, kClockId[inst.clock], inst.instance);
  });
}

ClockRow Fold::MakeRow(const Instance& inst, absl::CivilDay as_of) const {
  ClockRow row;
  row.clock_id = std::string(kClockId[inst.clock]);
  row.instance = inst.instance;
  row.trigger_event_id = inst.trigger_event_id;
  row.trigger = inst.trigger;
  row.due = inst.due;
  row.rule_version = inst.rule->version;
  const absl::CivilDay due = *inst.due;
  if (inst.rule->kind == ClockKind::kWindow) {
    // §8: PENDING while as_of ≤ service + 14, then MET; no stop; never late.
    row.status = as_of <= due ? ClockStatus::kPending : ClockStatus::kMet;
    if (row.status == ClockStatus::kPending) {
      row.days_remaining = static_cast<int>(due - as_of);
    }
    return row;
  }
  if (inst.rule->kind == ClockKind::kComplianceCheck) {
    row.stop = inst.stop;
    row.stop_event_id = inst.stop_event_id;
    row.status = *inst.check_status;
    return row;
  }
  if (inst.not_applicable) {
    row.status = ClockStatus::kNotApplicable;
    return row;
  }
  row.stop = inst.stop;
  row.stop_event_id = inst.stop_event_id;
  if (!inst.open) {
    const int late = static_cast<int>(*inst.stop - due);
    row.status = late <= 0 ? ClockStatus::kMet : ClockStatus::kBreached;
    row.days_late = late > 0 ? late : 0;
  } else if (as_of <= due || !inst.rule->overdue_when_open_past_due) {
    // As of its due date a clock is still PENDING (§8 Order 2);
    // decision_not_to_issue stays PENDING past due.
    row.status = ClockStatus::kPending;
    row.days_remaining = static_cast<int>(due - as_of);
  } else {
    row.status = ClockStatus::kOverdue;
    row.days_late = static_cast<int>(as_of - due);
  }
  for (const Exception& x : exceptions_) {
    if (!WouldExcuse(x, inst)) continue;
    row.has_exception = true;
    // It turns BREACHED/OVERDUE into EXCUSED; never MET or PENDING.
    if (row.status == ClockStatus::kBreached ||
        row.status == ClockStatus::kOverdue) {
      row.status = ClockStatus::kExcused;
      row.excused_by_event_id = x.event->event_id();
      row.excused_by_limb = LimbName(x.limb);
    }
    break;
  }
  return row;
}

// "1" < "2" < "10"; other instance names compare as strings.
bool InstanceLess(const std::string& a, const std::string& b) {
  auto numeric = [](const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
      return c >= '0' && c <= '9';
    });
  };
  if (numeric(a) && numeric(b) && a.size() != b.size()) {
    return a.size() < b.size();
  }
  return a < b;
}

std::vector<ClockRow> Fold::RowsAt(absl::CivilDay day) const {
  std::vector<std::pair<const Instance*, int>> listed;
  for (size_t i = 0; i < insts_.size(); ++i) {
    const Instance& inst = insts_[i];
    // §8 Order 2 and 4: nothing triggered after the day or before the rules.
    if (inst.rule == nullptr || day < inst.trigger) continue;
    listed.emplace_back(&inst, static_cast<int>(i));
  }
  // What AdvanceTo(day + 1) would open, as Finish() would.
  std::optional<Instance> age25;
  if (!age25_done_ && age25_trigger_ && *age25_trigger_ <= day &&
      plan_active_) {
    age25 = MakeInstance(kAge25Cessation, "1", nullptr, *age25_trigger_, {});
    if (age25->rule != nullptr) {
      listed.emplace_back(&*age25, static_cast<int>(insts_.size()));
    }
  }
  // Catalogue order is rules.h's, whatever the order of the Clock enum.
  std::array<int, kClockCount> rank;
  for (int c = 0; c < kClockCount; ++c) rank[c] = CatalogueIndex(kClockId[c]);
  std::sort(listed.begin(), listed.end(), [&](const auto& a, const auto& b) {
    const Instance& x = *a.first;
    const Instance& y = *b.first;
    if (x.trigger != y.trigger) return x.trigger < y.trigger;
    if (x.clock != y.clock) return rank[x.clock] < rank[y.clock];
    if (x.instance != y.instance) return InstanceLess(x.instance, y.instance);
    return a.second < b.second;
  });
  std::vector<ClockRow> rows;
  rows.reserve(listed.size());
  for (const auto& [inst, index] : listed) rows.push_back(MakeRow(*inst, day));
  return rows;
}

std::vector<int> Fold::TakeDirty() {
  std::vector<int> dirty;
  dirty.swap(dirty_);
  for (int i : dirty) dirty_flag_[i] = false;
  std::sort(dirty.begin(), dirty.end());
  return dirty;
}

std::optional<ClockRow> Fold::ListedRow(int i) const {
  const Instance& inst = insts_[i];
  if (inst.rule == nullptr || as_of_ < inst.trigger) return std::nullopt;
  return MakeRow(inst, as_of_);
}

std::optional<ClockRow> Fold::PendingAge25Row() const {
  if (age25_done_ || !age25_trigger_ || !(*age25_trigger_ <= as_of_) ||
      !plan_active_) {
    return std::nullopt;
  }
  // What AdvanceTo would open.
  const Instance inst =
      MakeInstance(kAge25Cessation, "1", nullptr, *age25_trigger_, {});
  if (inst.rule == nullptr) return std::nullopt;
  return MakeRow(inst, as_of_);
}


}  // namespace

absl::string_view ClockStatusName(ClockStatus status) {
  switch (status) {
    case ClockStatus::kPending: return "PENDING";
    case ClockStatus::kMet: return "MET";
    case ClockStatus::kBreached: return "BREACHED";
    case ClockStatus::kOverdue: return "OVERDUE";
    case ClockStatus::kExcused: return "EXCUSED";
    case ClockStatus::kNotApplicable: return "NOT_APPLICABLE";
  }
  return "UNKNOWN";
}

std::string ClockRowDebugString(const ClockRow& r) {
  return absl::StrCat(
      r.clock_id, ":", r.instance, " trigger=", FormatDate(r.trigger), "(",
      r.trigger_event_id, ") due=", r.due ? FormatDate(*r.due) : "-",
      " stop=", r.stop ? FormatDate(*r.stop) : "-", "(", r.stop_event_id,
      ") ", ClockStatusName(r.status), " late=", r.days_late,
      " remaining=", r.days_remaining,
      r.excused_by_event_id.empty()
          ? ""
          : absl::StrCat(" excused_by=", r.excused_by_event_id, "/",
                         r.excused_by_limb),
      r.has_exception ? " has_exception" : "", " rule=", r.rule_version);
}

void PrintTo(const ClockRow& row, std::ostream* os) {
  *os << ClockRowDebugString(row);
}

struct ClockFold::State {
  explicit State(std::optional<absl::CivilMonth> birth_month)
      : fold(kEndOfTime, birth_month) {}
  explicit State(const Fold& progress) : fold(progress) {}
  Fold fold;
  // The row last reported for each instance (nullopt: not listed), and for
  // the age_25_cessation row the end of time would still open.
  std::vector<std::optional<ClockRow>> reported;
  std::optional<ClockRow> reported_age25;
  // Restored: the instances to compare with what was reported, beyond
  // those the fold has changed since (every instance the abandoned fold
  // changed after the restored point).
  bool restored = false;
  std::vector<int> recheck;
};

ClockFold::ClockFold(std::optional<absl::CivilMonth> birth_month)
    : state_(std::make_unique<State>(birth_month)) {}
ClockFold::ClockFold(std::unique_ptr<State> state) : state_(std::move(state)) {}
ClockFold::~ClockFold() = default;
ClockFold::ClockFold(ClockFold&&) noexcept = default;
ClockFold& ClockFold::operator=(ClockFold&&) noexcept = default;

void ClockFold::Apply(const v1::Event& e) {
  const auto on = ParseDate(e.occurred_on(), "occurred_on");
  if (!on.ok() || kEndOfTime < *on) return;
  state_->fold.Apply(e, *on);
}

std::vector<ClockRow> ClockFold::Rows() const {
  Fold finished = state_->fold;
  finished.Finish();
  return finished.Rows();
}

std::vector<ClockRow> ClockFold::RowsAsOf(absl::CivilDay day) const {
  return state_->fold.RowsAt(day);
}

ClockFold ClockFold::Saved() const {
  auto saved = std::make_unique<State>(state_->fold);
  saved->fold.TakeDirty();
  return ClockFold(std::move(saved));
}

void ClockFold::Restore(const ClockFold& saved) {
  auto restored = std::make_unique<State>(saved.state_->fold);
  restored->reported = std::move(state_->reported);
  restored->reported_age25 = std::move(state_->reported_age25);
  restored->restored = true;
  restored->recheck = std::move(state_->recheck);
  state_->fold.TouchedSince(saved.state_->fold.applied(), &restored->recheck);
  state_ = std::move(restored);
}

std::vector<ClockFold::Change> ClockFold::TakeChanges() {
  State& s = *state_;
  std::vector<Change> changes;
  if (s.restored) {
    s.restored = false;
    std::vector<int> check = s.fold.TakeDirty();
    check.insert(check.end(), s.recheck.begin(), s.recheck.end());
    s.recheck.clear();
    const size_t count = s.fold.instance_count();
    for (size_t i = count; i < s.reported.size(); ++i) {
      check.push_back(static_cast<int>(i));
    }
    std::sort(check.begin(), check.end());
    check.erase(std::unique(check.begin(), check.end()), check.end());
    // The abandoned fold may have opened instances not yet reported.
    s.reported.resize(std::max(
        {s.reported.size(), count,
         check.empty() ? size_t{0} : static_cast<size_t>(check.back()) + 1}));
    std::vector<Change> came;
    for (const int i : check) {
      std::optional<ClockRow> row;
      if (static_cast<size_t>(i) < count) row = s.fold.ListedRow(i);
      if (row == s.reported[i]) continue;
      if (s.reported[i]) changes.push_back(Change{s.reported[i], std::nullopt});
      if (row) came.push_back(Change{std::nullopt, row});
      s.reported[i] = std::move(row);
    }
    s.reported.resize(count);
    std::optional<ClockRow> age25 = s.fold.PendingAge25Row();
    if (age25 != s.reported_age25) {
      if (s.reported_age25) {
        changes.push_back(Change{s.reported_age25, std::nullopt});
      }
      if (age25) came.push_back(Change{std::nullopt, age25});
      s.reported_age25 = std::move(age25);
    }
    for (Change& c : came) changes.push_back(std::move(c));
    return changes;
  }
  s.reported.resize(s.fold.instance_count());
  for (int i : s.fold.TakeDirty()) {
    std::optional<ClockRow> row = s.fold.ListedRow(i);
    if (row == s.reported[i]) continue;
    changes.push_back(Change{s.reported[i], row});
    s.reported[i] = std::move(row);
  }
  std::optional<ClockRow> age25 = s.fold.PendingAge25Row();
  if (age25 != s.reported_age25) {
    changes.push_back(Change{s.reported_age25, age25});
    s.reported_age25 = std::move(age25);
  }
  return changes;
}

size_t ClockFold::ApproximateBytes() const {
  // An instance and its heap (two event ids), and a reported row.
  return sizeof(State) +
         state_->fold.instance_count() * (sizeof(Instance) + 112) +
         state_->reported.size() * (sizeof(std::optional<ClockRow>) + 64);
}

// A superseding or voided CaseOpened is honoured like any other event.
std::optional<absl::CivilMonth> BirthMonthOf(
    absl::Span<const v1::Event* const> events,
    std::optional<absl::Time> as_known_at) {
  const absl::flat_hash_set<std::string> removed =
      RemovedEventIds(events, as_known_at);
  std::optional<absl::CivilMonth> month;
  for (const v1::Event* e : events) {
    if (!KnownAt(*e, as_known_at) || removed.contains(e->event_id()) ||
        !e->payload().has_case_opened()) {
      continue;
    }
    const auto parsed = ParseMonth(e->payload().case_opened().birth_month());
    month = parsed.ok() ? std::optional<absl::CivilMonth>(*parsed)
                        : std::nullopt;
  }
  return month;
}

std::vector<ClockRow> EvaluateClocks(absl::Span<const v1::Event* const> events,
                                     absl::CivilDay as_of,
                                     std::optional<absl::Time> as_known_at) {
  Fold fold(as_of, BirthMonthOf(events, as_known_at));
  // Voids and supersedes first, whatever their dates (§8 Order 3); then
  // only facts on or before as_of (Order 2).
  for (const v1::Event* e : EffectiveJourney(events, as_known_at)) {
    const auto on = ParseDate(e->occurred_on(), "occurred_on");
    if (!on.ok() || as_of < *on) continue;
    fold.Apply(*e, *on);
  }
  fold.Finish();
  return fold.Rows();
}

std::vector<ClockRow> EvaluateClocks(absl::Span<const v1::Event> events,
                                     absl::CivilDay as_of,
                                     std::optional<absl::Time> as_known_at) {
  std::vector<const v1::Event*> ptrs;
  ptrs.reserve(events.size());
  for (const v1::Event& e : events) ptrs.push_back(&e);
  return EvaluateClocks(absl::MakeConstSpan(ptrs), as_of, as_known_at);
}

}  // namespace ehcp::domain
