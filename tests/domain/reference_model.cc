#include "tests/domain/reference_model.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/dates.h"

namespace ehcp::domain::reference {
namespace {

// §8 Names.
const std::vector<std::string>& AssessLimbs() {
  static const auto* v = new std::vector<std::string>{
      "reg5_4_a", "reg5_4_b", "reg5_4_c", "reg5_4_d"};
  return *v;
}
const std::vector<std::string>& AdviceLimbs() {
  static const auto* v =
      new std::vector<std::string>{"reg8_2_a", "reg8_2_b", "reg8_2_c"};
  return *v;
}
const std::vector<std::string>& IssueLimbs() {
  static const auto* v = new std::vector<std::string>{
      "reg10_4_a", "reg10_4_b", "reg10_4_c", "reg10_4_d"};
  return *v;
}
const std::vector<std::string>& ReassessLimbs() {
  static const auto* v = new std::vector<std::string>{
      "reg27_3_a", "reg27_3_b", "reg27_3_c", "reg27_3_d"};
  return *v;
}
const std::vector<std::string>& TribunalLimbs() {
  static const auto* v = new std::vector<std::string>{"reg44_3_a", "reg44_3_b"};
  return *v;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

const absl::CivilDay kCovidFrom(2020, 5, 1);
const absl::CivilDay kCovidTo(2020, 9, 25);
const absl::CivilDay kDevon(2022, 3, 8);

bool IsStart(Kind k) {  // the first start, "nothing before the start"
  return k == Kind::kRequest || k == Kind::kBecameResponsible ||
         k == Kind::kTransferredIn;
}
bool IsNewStart(Kind k) {  // ends "after the end"
  return IsStart(k) || k == Kind::kTribunalOrder;
}

// Kinds refused after a cessation until a new start.
bool EndedByCessation(Kind k) {
  switch (k) {
    case Kind::kAssessmentDecision:
    case Kind::kDecisionNotToIssue:
    case Kind::kDraftPlan:
    case Kind::kFinalPlan:
    case Kind::kWaiver:
    case Kind::kAdviceRequested:
    case Kind::kTransferNotice:
    case Kind::kReviewMeeting:
    case Kind::kReviewReport:
    case Kind::kReviewDecision:
    case Kind::kAmendmentsProposed:
    case Kind::kPhaseTransfer:
    case Kind::kReassessment:
    case Kind::kAmendedPlan:
    case Kind::kDecisionNotToAmend:
    case Kind::kPlanCeased:
    case Kind::kTransferredOut:
      return true;
    default:
      return false;
  }
}

// The rule id prefix of the kinds that need an active plan.
const char* RequiresPlanRule(Kind k) {
  switch (k) {
    case Kind::kReviewMeeting: return "review_meeting.requires_plan";
    case Kind::kReviewReport: return "review_report.requires_plan";
    case Kind::kReviewDecision: return "review_decision.requires_plan";
    case Kind::kAmendmentsProposed: return "amendments_proposed.requires_plan";
    case Kind::kPhaseTransfer: return "phase_transfer.requires_plan";
    case Kind::kReassessment: return "reassessment.requires_plan";
    case Kind::kAmendedPlan: return "amended_plan.requires_plan";
    case Kind::kDecisionNotToAmend: return "decision_not_to_amend.requires_plan";
    case Kind::kTransferredOut: return "plan_transferred_out.requires_plan";
    case Kind::kPlanCeased: return "plan_ceased.requires_plan";
    default: return nullptr;
  }
}

// Splits "clock:instance" at the first ':'.
std::pair<std::string, std::string> SplitClock(const std::string& named) {
  const size_t colon = named.find(':');
  if (colon == std::string::npos) return {named, ""};
  return {named.substr(0, colon), named.substr(colon + 1)};
}

bool NamesInstance(const std::string& named, const RefInstance& inst) {
  const auto [clock, instance] = SplitClock(named);
  if (clock != inst.clock) return false;
  if (instance.empty() || instance == inst.name) return true;
  // tribunal_order:T1 also covers T1:draft and T1:final.
  return inst.name.rfind(instance + ":", 0) == 0;
}

// The deadline-clock instances `fact` opens, given the state before it.
void RecordInstances(const RefState& before, const RefFact& f,
                     std::vector<RefInstance>& out) {
  auto open = [&](const char* clock, std::string name) {
    out.push_back({clock, std::move(name), f.on});
  };
  switch (f.kind) {
    case Kind::kRequest:
    case Kind::kBecameResponsible: {
      const std::string n = absl::StrCat(before.cycles + 1);
      open("decision_to_assess", n);
      open("decision_not_to_issue", n);
      open("final_plan_20w", n);
      break;
    }
    case Kind::kAdviceRequested:
      open("advice", f.id);
      break;
    case Kind::kFinalPlan:
      open("annual_review", "");
      break;
    case Kind::kReviewMeeting: {
      const std::string n = absl::StrCat(before.meetings + 1);
      open("annual_review", "");
      open("review_report", n);
      open("review_decision", n);
      break;
    }
    case Kind::kAmendmentsProposed:
      open("amendment", "");
      break;
    case Kind::kPhaseTransfer:
      open("phase_transfer", "");
      break;
    case Kind::kTransferredIn:
      open("transfer_in_notice", "");
      open("transfer_in_review", "");
      break;
    case Kind::kReassessment:
      open("reassessment", "");
      break;
    case Kind::kTribunalOrder:
      if (f.order == "make_plan") {
        open("tribunal_order", f.id + ":draft");
        open("tribunal_order", f.id + ":final");
      } else {
        open("tribunal_order", f.id);
      }
      if (f.order == "continue_and_amend" && !before.plan_active &&
          before.last_end == RefState::End::kCeased) {
        open("annual_review", "");  // reinstated
      }
      break;
    default:
      break;
  }
}

}  // namespace

int SameDayRank(Kind kind) { return static_cast<int>(kind); }

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kRequest: return "request";
    case Kind::kBecameResponsible: return "became responsible";
    case Kind::kTribunalOrder: return "tribunal order";
    case Kind::kAssessmentDecision: return "assessment decision";
    case Kind::kAdviceRequested: return "advice requested";
    case Kind::kAdviceReceived: return "advice received";
    case Kind::kException: return "exception";
    case Kind::kDecisionNotToIssue: return "decision not to issue";
    case Kind::kDraftPlan: return "draft plan";
    case Kind::kWaiver: return "waiver";
    case Kind::kFinalPlan: return "final plan";
    case Kind::kTransferredIn: return "plan transferred in";
    case Kind::kTransferNotice: return "transfer notice";
    case Kind::kReviewMeeting: return "review meeting";
    case Kind::kReviewReport: return "review report";
    case Kind::kReviewDecision: return "review decision";
    case Kind::kAmendmentsProposed: return "amendments proposed";
    case Kind::kPhaseTransfer: return "phase transfer identified";
    case Kind::kReassessment: return "re-assessment decided";
    case Kind::kAmendedPlan: return "amended plan";
    case Kind::kDecisionNotToAmend: return "decision not to amend";
    case Kind::kPlanCeased: return "plan ceased";
    case Kind::kTransferredOut: return "plan transferred out";
    case Kind::kAdultServices: return "transferred to adult services";
    case Kind::kMediationRequested: return "mediation requested";
    case Kind::kMediationArranged: return "mediation arranged";
    case Kind::kMediationConcluded: return "mediation concluded";
    case Kind::kAppealRegistered: return "appeal registered";
    case Kind::kAppealConcluded: return "appeal concluded";
    case Kind::kVoid: return "void";
  }
  return "?";
}

std::string Describe(const RefFact& f) {
  std::string s = absl::StrCat(FormatDate(f.on), " ", KindName(f.kind));
  switch (f.kind) {
    case Kind::kAssessmentDecision:
      absl::StrAppend(&s, f.assess ? " (assess)" : " (not assess)");
      break;
    case Kind::kAdviceRequested:
    case Kind::kAdviceReceived:
    case Kind::kAppealRegistered:
    case Kind::kAppealConcluded:
      absl::StrAppend(&s, " ", f.id);
      break;
    case Kind::kTribunalOrder:
      absl::StrAppend(&s, " ", f.id, " ", f.order);
      break;
    case Kind::kReviewDecision:
      absl::StrAppend(&s, " (", f.outcome, ")");
      break;
    case Kind::kException:
      absl::StrAppend(&s, " ", f.limb, " [", absl::StrJoin(f.clocks, ", "),
                      "]");
      break;
    case Kind::kTransferredIn:
      if (f.last_reviewed_on) {
        absl::StrAppend(&s, " (last reviewed ",
                        FormatDate(*f.last_reviewed_on), ")");
      }
      break;
    case Kind::kVoid:
      absl::StrAppend(&s, " of v", f.void_target);
      break;
    default:
      break;
  }
  if (f.supersedes != 0) absl::StrAppend(&s, " superseding v", f.supersedes);
  return s;
}

std::string DescribeAll(const std::vector<RefFact>& facts) {
  std::string s;
  for (const RefFact& f : facts) {
    absl::StrAppend(&s, "  v", f.version, ": ", Describe(f), "\n");
  }
  return s;
}

std::vector<RefFact> JourneyOf(const std::vector<RefFact>& recorded) {
  std::set<int> removed;
  for (const RefFact& f : recorded) {
    if (f.kind == Kind::kVoid) removed.insert(f.void_target);
    if (f.supersedes != 0) removed.insert(f.supersedes);
  }
  std::vector<RefFact> journey;
  journey.reserve(recorded.size());
  for (const RefFact& f : recorded) {
    if (f.kind == Kind::kVoid || removed.count(f.version) > 0) continue;
    journey.push_back(f);
  }
  std::stable_sort(journey.begin(), journey.end(),
                   [](const RefFact& a, const RefFact& b) {
                     if (a.on != b.on) return a.on < b.on;
                     if (a.kind != b.kind) {
                       return SameDayRank(a.kind) < SameDayRank(b.kind);
                     }
                     return a.version < b.version;
                   });
  return journey;
}

void RefState::Apply(const RefFact& f) {
  if (IsNewStart(f.kind)) ended = false;
  switch (f.kind) {
    case Kind::kRequest:
    case Kind::kBecameResponsible:
      cycle_open = true;
      ever_request_or_order = true;
      ++cycles;
      break;
    case Kind::kTribunalOrder:
      ever_request_or_order = true;
      order_ids.insert(f.id);
      if (f.order == "make_plan") make_plan_authorises = true;
      // §8 Per clock: a continue_and_amend order with no plan active after a
      // cessation reinstates the plan.
      if (f.order == "continue_and_amend" && !plan_active &&
          last_end == End::kCeased) {
        plan_active = true;
      }
      break;
    case Kind::kAssessmentDecision:
      if (f.assess) {
        assessing = true;
        draft_since_assess = false;
      } else {
        assessing = false;
        cycle_open = false;
      }
      break;
    case Kind::kAdviceRequested:
      if (advice_requested.insert(f.id).second) advice_order.push_back(f.id);
      break;
    case Kind::kAdviceReceived:
      advice_received.insert(f.id);
      break;
    case Kind::kDecisionNotToIssue:
      assessing = false;
      cycle_open = false;
      break;
    case Kind::kDraftPlan:
      draft_since_final = true;
      draft_since_assess = true;
      make_plan_authorises = false;  // a draft uses up every earlier order
      break;
    case Kind::kFinalPlan:
      plan_active = true;
      cycle_open = false;
      assessing = false;
      reassessing = false;
      draft_since_final = false;
      break;
    case Kind::kTransferredIn:
      plan_active = true;
      ever_transferred_in = true;
      break;
    case Kind::kReviewMeeting:
      ++meetings;
      break;
    case Kind::kAmendmentsProposed:
      ++awaiting_proposals;
      break;
    case Kind::kReassessment:
      reassessing = true;
      break;
    case Kind::kAmendedPlan:
      reassessing = false;
      if (awaiting_proposals > 0) --awaiting_proposals;
      break;
    case Kind::kDecisionNotToAmend:
      if (awaiting_proposals > 0) {
        --awaiting_proposals;
      } else {
        reassessing = false;
      }
      break;
    case Kind::kPlanCeased:
    case Kind::kTransferredOut:
      plan_active = false;
      last_end = f.kind == Kind::kPlanCeased ? End::kCeased
                                             : End::kTransferredOut;
      // §8 ends the journey at a cessation only: a transfer out ends the
      // plan (what needs one is refused by its own rule), nothing else.
      ended = f.kind == Kind::kPlanCeased;
      reassessing = false;
      awaiting_proposals = 0;
      break;
    case Kind::kAppealRegistered:
      appeal_ids.insert(f.id);
      break;
    case Kind::kAppealConcluded:
      appeals_concluded.insert(f.id);
      break;
    default:
      break;
  }
}

ReferenceModel::ReferenceModel(const std::vector<RefFact>& journey) {
  RefState fold;
  for (const RefFact& f : journey) {
    if (IsStart(f.kind) && (!first_start_ || f.on < *first_start_)) {
      first_start_ = f.on;
    }
    if (IsNewStart(f.kind)) new_start_days_.insert(f.on);
    if (f.kind == Kind::kTransferredIn) transfer_in_days_.insert(f.on);
    RecordInstances(fold, f, instances_);
    fold.Apply(f);
  }
}

bool ReferenceModel::NewStartOn(absl::CivilDay day) const {
  return new_start_days_.count(day) > 0;
}

std::optional<std::string> ReferenceModel::Check(const RefFact& f) const {
  // 1. Nothing before the start (by date).
  if (!IsStart(f.kind) && (!first_start_ || f.on < *first_start_)) {
    return "journey.before_first_request";
  }
  // 2. A cessation ends the journey until a new start (applied earlier, or
  // dated the same day).
  if (state_.ended && EndedByCessation(f.kind) && !NewStartOn(f.on)) {
    return "journey.after_end";
  }
  return CheckJourneyRules(f);
}

std::optional<std::string> ReferenceModel::CheckJourneyRules(
    const RefFact& f) const {
  const RefState& s = state_;
  switch (f.kind) {
    case Kind::kRequest:
      if (s.cycle_open) return "request.while_cycle_open";
      if (s.plan_active) return "request.while_plan_active";
      return std::nullopt;
    case Kind::kBecameResponsible:
      if (s.cycle_open) return "became_responsible.while_cycle_open";
      if (s.plan_active) return "became_responsible.while_plan_active";
      return std::nullopt;
    case Kind::kAssessmentDecision:
      if (!s.ever_request_or_order) {
        return "assessment_decision.requires_request";
      }
      return std::nullopt;
    case Kind::kAdviceRequested:
      if (s.advice_requested.count(f.id) > 0) {
        return "advice_requested.reused_id";
      }
      return std::nullopt;
    case Kind::kAdviceReceived:
      if (s.advice_requested.count(f.id) == 0) {
        return "advice_received.not_requested";
      }
      if (s.advice_received.count(f.id) > 0) {
        return "advice_received.already_received";
      }
      return std::nullopt;
    case Kind::kDecisionNotToIssue:
      if (!s.assessing) return "decision_not_to_issue.requires_assessment";
      if (s.draft_since_assess) return "decision_not_to_issue.after_draft";
      return std::nullopt;
    case Kind::kDraftPlan:
      if (!s.assessing && !s.reassessing && !s.make_plan_authorises) {
        return "draft_plan.requires_assessment";
      }
      return std::nullopt;
    case Kind::kFinalPlan:
      if (!s.draft_since_final) return "final_plan.requires_draft";
      return std::nullopt;
    case Kind::kTransferredIn:
      if (s.plan_active) return "plan_transferred_in.while_plan_active";
      return std::nullopt;
    case Kind::kTransferNotice: {
      const bool transfer_on_or_before =
          !transfer_in_days_.empty() && *transfer_in_days_.begin() <= f.on;
      if (!transfer_on_or_before) {
        return "transfer_notice.requires_transfer_in";
      }
      return std::nullopt;
    }
    case Kind::kTribunalOrder:
      if (s.order_ids.count(f.id) > 0) return "tribunal_order.reused_id";
      return std::nullopt;
    case Kind::kAppealRegistered:
      if (s.appeal_ids.count(f.id) > 0) return "appeal_registered.reused_id";
      return std::nullopt;
    case Kind::kAppealConcluded:
      // The rule list: an appeal registered and not yet concluded (§8 says
      // nothing of appeals).
      if (s.appeal_ids.count(f.id) == 0 || s.appeals_concluded.count(f.id)) {
        return "appeal_concluded.requires_appeal";
      }
      return std::nullopt;
    case Kind::kException:
      if (f.limb == "covid_2020") {
        for (const std::string& named : f.clocks) {
          for (const RefInstance& inst : instances_) {
            if (inst.trigger > f.on || !NamesInstance(named, inst)) continue;
            if (inst.trigger < kCovidFrom || inst.trigger > kCovidTo) {
              return "exception.covid_window";
            }
          }
        }
      }
      return std::nullopt;
    default:
      break;
  }
  if (const char* rule = RequiresPlanRule(f.kind);
      rule != nullptr && !s.plan_active) {
    return std::string(rule);
  }
  return std::nullopt;
}

std::optional<std::string> ExpectedRefusal(
    const std::vector<RefFact>& journey_sorted, size_t index) {
  ReferenceModel model(journey_sorted);
  for (size_t i = 0; i < index; ++i) model.Apply(journey_sorted[i]);
  return model.Check(journey_sorted[index]);
}

std::vector<RefRefusal> AllRefusals(
    const std::vector<RefFact>& journey_sorted) {
  std::vector<RefRefusal> out;
  ReferenceModel model(journey_sorted);
  for (const RefFact& f : journey_sorted) {
    if (std::optional<std::string> rule = model.Check(f)) {
      out.push_back({*rule, f.version});
    }
    model.Apply(f);
  }
  return out;
}

bool Admissible(const std::vector<RefFact>& recorded) {
  return AllRefusals(JourneyOf(recorded)).empty();
}

std::optional<RefRefusal> JudgeAppend(const std::vector<RefFact>& stored,
                                      const std::vector<RefFact>& proposed) {
  // Envelope rules, proposed fact by proposed fact.
  std::map<int, const RefFact*> by_version;
  std::set<int> removed;
  for (const RefFact& f : stored) {
    by_version[f.version] = &f;
    if (f.kind == Kind::kVoid) removed.insert(f.void_target);
    if (f.supersedes != 0) removed.insert(f.supersedes);
  }
  for (const RefFact& f : proposed) {
    const int target = f.kind == Kind::kVoid ? f.void_target : f.supersedes;
    if (target != 0) {
      const std::string what = f.kind == Kind::kVoid ? "void" : "supersede";
      if (target == 1) return RefRefusal{what + ".of_case_opened", f.version};
      auto it = by_version.find(target);
      if (it == by_version.end()) {
        return RefRefusal{what + ".target_not_found", f.version};
      }
      if (it->second->kind == Kind::kVoid) {
        return RefRefusal{what + ".of_void", f.version};
      }
      if (removed.count(target) > 0) {
        return RefRefusal{what + ".target_already_voided", f.version};
      }
      removed.insert(target);
    }
    if (f.kind == Kind::kException) {
      for (const std::string& named : f.clocks) {
        if (!LimbAllowed(f.limb, SplitClock(named).first)) {
          return RefRefusal{"exception.limb_allowed", f.version};
        }
      }
    }
    by_version[f.version] = &f;
  }

  // Journey rules: the first refusal that the append brings.
  std::set<int> refused_before;
  for (const RefRefusal& r : AllRefusals(JourneyOf(stored))) {
    refused_before.insert(r.version);
  }
  std::vector<RefFact> all = stored;
  all.insert(all.end(), proposed.begin(), proposed.end());
  for (const RefRefusal& r : AllRefusals(JourneyOf(all))) {
    if (refused_before.count(r.version) == 0) return r;
  }
  return std::nullopt;
}

const std::vector<std::string>& DeadlineClocks() {
  static const auto* v = new std::vector<std::string>{
      "decision_to_assess", "advice",          "decision_not_to_issue",
      "final_plan_20w",     "annual_review",   "review_report",
      "review_decision",    "amendment",       "phase_transfer",
      "transfer_in_notice", "transfer_in_review", "reassessment",
      "tribunal_order",     "age_25_cessation"};
  return *v;
}

const std::vector<std::string>& LimbNames() {
  static const auto* v = [] {
    auto* all = new std::vector<std::string>;
    for (const auto* limbs : {&AssessLimbs(), &AdviceLimbs(), &IssueLimbs(),
                              &ReassessLimbs(), &TribunalLimbs()}) {
      all->insert(all->end(), limbs->begin(), limbs->end());
    }
    all->push_back("covid_2020");
    return all;
  }();
  return *v;
}

bool LimbAllowed(const std::string& limb, const std::string& clock) {
  if (!Contains(DeadlineClocks(), clock)) return false;
  if (limb == "covid_2020") return true;
  if (clock == "decision_to_assess") return Contains(AssessLimbs(), limb);
  if (clock == "advice") return Contains(AdviceLimbs(), limb);
  if (clock == "decision_not_to_issue" || clock == "final_plan_20w") {
    return Contains(IssueLimbs(), limb);
  }
  if (clock == "reassessment") return Contains(ReassessLimbs(), limb);
  if (clock == "tribunal_order") return Contains(TribunalLimbs(), limb);
  return false;
}

int LatestCycle(const std::vector<RefFact>& journey_sorted,
                absl::CivilDay day) {
  int n = 0;
  for (const RefFact& f : journey_sorted) {
    if (f.on <= day && (f.kind == Kind::kRequest ||
                        f.kind == Kind::kBecameResponsible)) {
      ++n;
    }
  }
  return n;
}

std::optional<int> ReviewDecisionTakingADecision(
    const std::vector<RefFact>& journey_sorted, absl::CivilDay day) {
  // §8 Per clock, review_decision.
  struct Instance {
    int number;
    absl::CivilDay trigger;
    bool devon;
    std::string decision;
    bool proposals = false;
    bool open = true;
  };
  std::vector<Instance> instances;
  for (const RefFact& f : journey_sorted) {
    switch (f.kind) {
      case Kind::kReviewMeeting:
        instances.push_back({static_cast<int>(instances.size()) + 1, f.on,
                             f.on >= kDevon, ""});
        break;
      case Kind::kReviewDecision:
        for (auto it = instances.rbegin(); it != instances.rend(); ++it) {
          if (!it->open || it->trigger > f.on || !it->decision.empty()) {
            continue;
          }
          it->decision = f.outcome;
          if (f.outcome != "amend" || !it->devon || it->proposals) {
            it->open = false;
          }
          break;
        }
        break;
      case Kind::kAmendmentsProposed:
        for (auto it = instances.rbegin(); it != instances.rend(); ++it) {
          if (!it->open || it->trigger > f.on) continue;
          // The most recently opened open instance, or none.
          if (!it->proposals) {
            it->proposals = true;
            if (it->decision == "amend" && it->devon) it->open = false;
          }
          break;
        }
        break;
      case Kind::kPlanCeased:
      case Kind::kTransferredOut:
        for (Instance& i : instances) i.open = false;
        break;
      default:
        break;
    }
  }
  for (auto it = instances.rbegin(); it != instances.rend(); ++it) {
    if (it->open && it->trigger <= day && it->decision.empty()) {
      return it->number;
    }
  }
  return std::nullopt;
}

}  // namespace ehcp::domain::reference
