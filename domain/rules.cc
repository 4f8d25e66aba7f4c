#include "domain/rules.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/dates.h"

namespace ehcp::domain {
namespace {

using L = v1::ExceptionLimb;

constexpr absl::CivilDay kRegs2014(2014, 9, 1);
constexpr absl::CivilDay kDevon(2022, 3, 8);

// The base catalogue: one entry per clock and version, before overlays.
// §3 table, §8 "Per clock". Catalogue order is the order of first mention.
std::vector<ClockRule> BaseRules() {
  const std::vector<L> reg5_4 = {L::EXCEPTION_LIMB_REG5_4_A,
                                 L::EXCEPTION_LIMB_REG5_4_B,
                                 L::EXCEPTION_LIMB_REG5_4_C,
                                 L::EXCEPTION_LIMB_REG5_4_D};
  const std::vector<L> reg8_2 = {L::EXCEPTION_LIMB_REG8_2_A,
                                 L::EXCEPTION_LIMB_REG8_2_B,
                                 L::EXCEPTION_LIMB_REG8_2_C};
  const std::vector<L> reg10_4 = {L::EXCEPTION_LIMB_REG10_4_A,
                                  L::EXCEPTION_LIMB_REG10_4_B,
                                  L::EXCEPTION_LIMB_REG10_4_C,
                                  L::EXCEPTION_LIMB_REG10_4_D};
  const std::vector<L> reg27_3 = {L::EXCEPTION_LIMB_REG27_3_A,
                                  L::EXCEPTION_LIMB_REG27_3_B,
                                  L::EXCEPTION_LIMB_REG27_3_C,
                                  L::EXCEPTION_LIMB_REG27_3_D};
  const std::vector<L> reg44_3 = {L::EXCEPTION_LIMB_REG44_3_A,
                                  L::EXCEPTION_LIMB_REG44_3_B};
  const std::string cycle_trigger =
      "request received, or LA became responsible (CFA s24)";
  return {
      {.clock_id = "decision_to_assess",
       .version = "2014",
       .effective_from = kRegs2014,
       .trigger = cycle_trigger,
       .stop = "decision whether to assess notified (either way)",
       .due_rule = DueRule::kWeeks,
       .weeks = 6,
       .allowed_limbs = reg5_4,
       .source = "SEND Regs 2014 reg 5(1); exceptions reg 5(4)"},
      {.clock_id = "advice",
       .version = "2014",
       .effective_from = kRegs2014,
       .trigger = "advice requested from a body",
       .stop = "that advice received",
       .due_rule = DueRule::kWeeks,
       .weeks = 6,
       .allowed_limbs = reg8_2,
       .source = "SEND Regs 2014 reg 8(1); exceptions reg 8(2)"},
      {.clock_id = "decision_not_to_issue",
       .version = "2014",
       .effective_from = kRegs2014,
       .trigger = cycle_trigger,
       .stop = "notice of a decision not to issue a plan after assessment",
       .due_rule = DueRule::kWeeks,
       .weeks = 16,
       .overdue_when_open_past_due = false,
       .allowed_limbs = reg10_4,
       .source = "SEND Regs 2014 reg 10(1); exceptions reg 10(4)"},
      {.clock_id = "final_plan_20w",
       .version = "2014",
       .effective_from = kRegs2014,
       .trigger = cycle_trigger,
       .stop = "final EHC plan issued",
       .due_rule = DueRule::kWeeks,
       .weeks = 20,
       .allowed_limbs = reg10_4,
       .source = "SEND Regs 2014 reg 13(2); exceptions reg 10(4) via 13(3)"},
      {.clock_id = "draft_representations",
       .version = "2014",
       .effective_from = kRegs2014,
       .kind = ClockKind::kWindow,
       .trigger = "draft plan or proposed amendments (draft amended plan) "
                  "served",
       .stop = "none: a 15-day window beginning with the day of service",
       .due_rule = DueRule::kDays,
       .days = 14,
       .source = "SEND Regs 2014 reg 13(1), 22(2)(c)"},
      {.clock_id = "annual_review",
       .version = "2014",
       .effective_from = kRegs2014,
       .trigger = "final plan issued; then each review meeting held",
       .stop = "review meeting held",
       .due_rule = DueRule::kMonthsStartingWith,
       .months = 12,
       .counts_in_backlog = true,
       .source = "CFA 2014 s44(1); CoP 9.166"},
      {.clock_id = "review_report",
       .version = "2014",
       .effective_from = kRegs2014,
       .trigger = "review meeting held",
       .stop = "review report sent to all invitees",
       .due_rule = DueRule::kWeeks,
       .weeks = 2,
       .source = "SEND Regs 2014 reg 20(7)-(8), 21(7)"},
      {.clock_id = "review_decision",
       .version = "2014",
       .effective_from = kRegs2014,
       .effective_to = kDevon - 1,
       .trigger = "review meeting held",
       .stop = "LA decision notified (maintain, amend or cease), on its date",
       .due_rule = DueRule::kWeeks,
       .weeks = 4,
       .counts_in_backlog = true,
       .source = "SEND Regs 2014 reg 20(10)"},
      {.clock_id = "review_decision",
       .version = "devon_2022",
       .effective_from = kDevon,
       .trigger = "review meeting held",
       .stop = "maintain or cease decision notified; for amend, the later of "
               "the decision and the first proposed amendments on or after "
               "the meeting",
       .due_rule = DueRule::kWeeks,
       .weeks = 4,
       .stop_rule = StopRule::kLaterOfAmendDecisionAndFirstProposal,
       .counts_in_backlog = true,
       .source = "SEND Regs 2014 reg 20(10); R (L, M & P) v Devon CC [2022] "
                 "EWHC 493 (Admin)"},
      {.clock_id = "amendment",
       .version = "2014",
       .effective_from = kRegs2014,
       .trigger = "proposed amendments sent",
       .stop = "final amended plan issued, or notice of a decision not to "
               "amend",
       .due_rule = DueRule::kWeeks,
       .weeks = 8,
       .counts_in_backlog = true,
       .source = "SEND Regs 2014 reg 22(3)-(4); Devon"},
      {.clock_id = "phase_transfer",
       .version = "2014",
       .effective_from = kRegs2014,
       .trigger = "phase transfer identified (kind, transfer year)",
       .stop = "amended or final plan on or after the identification",
       .due_rule = DueRule::kFixedDateInTransferYear,
       .variants = {{.key = "", .month = 2, .day = 14},
                    {.key = "secondary_to_post16", .month = 3, .day = 30}},
       .counts_in_backlog = true,
       .source = "SEND Regs 2014 reg 18(1)"},
      {.clock_id = "transfer_in_notice",
       .version = "2014",
       .effective_from = kRegs2014,
       .trigger = "plan transferred in from another LA",
       .stop = "notice sent to the parent or young person",
       .due_rule = DueRule::kWeeks,
       .weeks = 6,
       .source = "SEND Regs 2014 reg 15(4)"},
      {.clock_id = "transfer_in_review",
       .version = "2014",
       .effective_from = kRegs2014,
       .trigger = "plan transferred in from another LA",
       .stop = "first review meeting on or after the transfer",
       .due_rule = DueRule::kLaterOfLastReviewYearAndMonthsStartingWith,
       .months = 3,
       .counts_in_backlog = true,
       .source = "SEND Regs 2014 reg 15(3)(a), 15(5)"},
      {.clock_id = "reassessment",
       .version = "2014",
       .effective_from = kRegs2014,
       .trigger = "decision to re-assess notified",
       .stop = "final amended or replacement plan issued",
       .due_rule = DueRule::kWeeks,
       .weeks = 14,
       .allowed_limbs = reg27_3,
       .source = "SEND Regs 2014 reg 27(2); exceptions reg 27(3)"},
      {.clock_id = "tribunal_order",
       .version = "2014",
       .effective_from = kRegs2014,
       .trigger = "tribunal order made, or appeal conceded (reg 45)",
       .stop = "the ordered action",
       .due_rule = DueRule::kWeeks,
       .variants = {{.key = "assess", .weeks = 2},
                    {.key = "make_plan:draft", .weeks = 5},
                    {.key = "make_plan:final", .weeks = 11},
                    {.key = "amend", .weeks = 5},
                    {.key = "change_school", .weeks = 2},
                    {.key = "continue_and_amend", .weeks = 5}},
       .allowed_limbs = reg44_3,
       .source = "SEND Regs 2014 reg 44(2), 45; exceptions reg 44(3)"},
      {.clock_id = "age_25_cessation",
       .version = "2014",
       .effective_from = kRegs2014,
       .trigger = "1st of the month of the 25th birthday, with a plan active",
       .stop = "plan ceased",
       .due_rule = DueRule::kFirstMonthDayAfter,
       .month = 7,
       .day = 31,
       .source = "CFA 2014 s46; SEND Regs 2014 reg 46"},
      {.clock_id = "premature_final_plan",
       .version = "2014",
       .effective_from = kRegs2014,
       .kind = ClockKind::kComplianceCheck,
       .trigger = "latest draft plan served since the previous final plan",
       .stop = "final plan issued (breached when within the draft's 15-day "
               "window and not waived)",
       .due_rule = DueRule::kDays,
       .days = 14,
       .source = "SEND Regs 2014 reg 13(1)(b), 14"},
      {.clock_id = "preparing_for_adulthood",
       .version = "2014",
       .effective_from = kRegs2014,
       .kind = ClockKind::kComplianceCheck,
       .trigger = "review meeting held in Year 9 or later",
       .stop = "the same meeting (met when adulthood was considered)",
       .due_rule = DueRule::kTriggerDay,
       .source = "SEND Regs 2014 reg 20(6), 21(6)"},
  };
}

// A limb added to every deadline clock triggered in a date window.
struct LimbOverlay {
  L limb;
  absl::CivilDay from;
  absl::CivilDay to;  // inclusive
  const char* version_tag;
  const char* source;
};

constexpr LimbOverlay kOverlays[] = {
    {L::EXCEPTION_LIMB_COVID_2020, absl::CivilDay(2020, 5, 1),
     absl::CivilDay(2020, 9, 25), "covid_2020",
     "SI 2020/471 (coronavirus amendments)"},
};

// Splits `rule` at the overlay's window and adds its limb inside it.
std::vector<ClockRule> ApplyOverlay(const ClockRule& rule,
                                    const LimbOverlay& overlay) {
  const absl::CivilDay rule_to =
      rule.effective_to.value_or(absl::CivilDay::max());
  if (rule.kind != ClockKind::kDeadline || overlay.to < rule.effective_from ||
      rule_to < overlay.from) {
    return {rule};
  }
  std::vector<ClockRule> out;
  if (rule.effective_from < overlay.from) {
    ClockRule before = rule;
    before.effective_to = overlay.from - 1;
    out.push_back(std::move(before));
  }
  ClockRule during = rule;
  during.effective_from = std::max(rule.effective_from, overlay.from);
  during.effective_to = std::min(rule_to, overlay.to);
  during.version = absl::StrCat(rule.version, "+", overlay.version_tag);
  during.allowed_limbs.push_back(overlay.limb);
  during.source = absl::StrCat(rule.source, "; ", overlay.source);
  out.push_back(std::move(during));
  if (overlay.to < rule_to) {
    ClockRule after = rule;
    after.effective_from = overlay.to + 1;
    out.push_back(std::move(after));
  }
  return out;
}

struct Catalogue {
  std::vector<std::string> ids;
  // Versions of each clock, by effective_from, indexed like `ids`.
  std::vector<std::vector<ClockRule>> versions;
  absl::flat_hash_map<std::string, int> index;
};

const Catalogue& GetCatalogue() {
  static const Catalogue* const kCatalogue = [] {
    auto* c = new Catalogue;
    for (const ClockRule& base : BaseRules()) {
      std::vector<ClockRule> split = {base};
      for (const LimbOverlay& overlay : kOverlays) {
        std::vector<ClockRule> next;
        for (const ClockRule& r : split) {
          for (ClockRule& piece : ApplyOverlay(r, overlay)) {
            next.push_back(std::move(piece));
          }
        }
        split = std::move(next);
      }
      auto [it, inserted] =
          c->index.try_emplace(base.clock_id, static_cast<int>(c->ids.size()));
      if (inserted) {
        c->ids.push_back(base.clock_id);
        c->versions.emplace_back();
      }
      for (ClockRule& r : split) c->versions[it->second].push_back(std::move(r));
    }
    for (auto& v : c->versions) {
      std::sort(v.begin(), v.end(), [](const ClockRule& a, const ClockRule& b) {
        return a.effective_from < b.effective_from;
      });
    }
    return c;
  }();
  return *kCatalogue;
}

const std::vector<ClockRule>* Versions(absl::string_view clock_id) {
  const Catalogue& c = GetCatalogue();
  const auto it = c.index.find(clock_id);
  return it == c.index.end() ? nullptr : &c.versions[it->second];
}

const DueVariant* FindVariant(const ClockRule& rule, absl::string_view key) {
  const DueVariant* fallback = nullptr;
  for (const DueVariant& v : rule.variants) {
    if (v.key == key) return &v;
    if (v.key.empty()) fallback = &v;
  }
  return fallback;
}

}  // namespace

bool ClockRule::Allows(v1::ExceptionLimb limb) const {
  return std::find(allowed_limbs.begin(), allowed_limbs.end(), limb) !=
         allowed_limbs.end();
}

bool ClockRule::InForceOn(absl::CivilDay d) const {
  return effective_from <= d && (!effective_to || d <= *effective_to);
}

absl::Span<const std::string> ClockIds() { return GetCatalogue().ids; }

int CatalogueIndex(absl::string_view clock_id) {
  const Catalogue& c = GetCatalogue();
  const auto it = c.index.find(clock_id);
  return it == c.index.end() ? -1 : it->second;
}

bool IsKnownClockId(absl::string_view clock_id) {
  return CatalogueIndex(clock_id) >= 0;
}

const ClockRule* FindClockRule(absl::string_view clock_id,
                               absl::CivilDay trigger) {
  const std::vector<ClockRule>* versions = Versions(clock_id);
  if (versions == nullptr) return nullptr;
  for (const ClockRule& r : *versions) {
    if (r.InForceOn(trigger)) return &r;
  }
  return nullptr;
}

std::vector<const ClockRule*> ClockRuleVersions(absl::string_view clock_id) {
  std::vector<const ClockRule*> out;
  if (const std::vector<ClockRule>* versions = Versions(clock_id)) {
    for (const ClockRule& r : *versions) out.push_back(&r);
  }
  return out;
}

std::optional<absl::CivilDay> DueDate(const ClockRule& rule,
                                      absl::CivilDay trigger,
                                      const DueInputs& inputs) {
  switch (rule.due_rule) {
    case DueRule::kWeeks: {
      if (rule.variants.empty()) return AddWeeks(trigger, rule.weeks);
      const DueVariant* v = FindVariant(rule, inputs.variant);
      if (v == nullptr) return std::nullopt;
      return AddWeeks(trigger, v->weeks);
    }
    case DueRule::kDays:
      return trigger + rule.days;
    case DueRule::kMonthsStartingWith:
      return LastDayOfMonthsStartingWith(trigger, rule.months);
    case DueRule::kFixedDateInTransferYear: {
      const DueVariant* v = FindVariant(rule, inputs.variant);
      if (v == nullptr || inputs.transfer_year <= 0) return std::nullopt;
      return absl::CivilDay(inputs.transfer_year, v->month, v->day);
    }
    case DueRule::kLaterOfLastReviewYearAndMonthsStartingWith: {
      const absl::CivilDay own =
          LastDayOfMonthsStartingWith(trigger, rule.months);
      if (!inputs.last_reviewed_on) return own;
      return std::max(own, LastDayOfMonthsStartingWith(
                               *inputs.last_reviewed_on, 12));
    }
    case DueRule::kFirstMonthDayAfter: {
      absl::CivilDay due(trigger.year(), rule.month, rule.day);
      if (due <= trigger) due = absl::CivilDay(trigger.year() + 1, rule.month,
                                               rule.day);
      return due;
    }
    case DueRule::kTriggerDay:
      return trigger;
  }
  return std::nullopt;
}

CovidWindow CovidExceptionWindow() {
  for (const LimbOverlay& overlay : kOverlays) {
    if (overlay.limb == L::EXCEPTION_LIMB_COVID_2020) {
      return {overlay.from, overlay.to};
    }
  }
  return {absl::CivilDay::max(), absl::CivilDay::min()};
}

bool LimbAllowed(v1::ExceptionLimb limb, absl::string_view clock_id) {
  const std::vector<ClockRule>* versions = Versions(clock_id);
  if (versions == nullptr) return false;
  for (const ClockRule& r : *versions) {
    if (r.Allows(limb)) return true;
  }
  return false;
}

std::string LimbName(v1::ExceptionLimb limb) {
  switch (limb) {
    case L::EXCEPTION_LIMB_REG5_4_A: return "reg5_4_a";
    case L::EXCEPTION_LIMB_REG5_4_B: return "reg5_4_b";
    case L::EXCEPTION_LIMB_REG5_4_C: return "reg5_4_c";
    case L::EXCEPTION_LIMB_REG5_4_D: return "reg5_4_d";
    case L::EXCEPTION_LIMB_REG8_2_A: return "reg8_2_a";
    case L::EXCEPTION_LIMB_REG8_2_B: return "reg8_2_b";
    case L::EXCEPTION_LIMB_REG8_2_C: return "reg8_2_c";
    case L::EXCEPTION_LIMB_REG10_4_A: return "reg10_4_a";
    case L::EXCEPTION_LIMB_REG10_4_B: return "reg10_4_b";
    case L::EXCEPTION_LIMB_REG10_4_C: return "reg10_4_c";
    case L::EXCEPTION_LIMB_REG10_4_D: return "reg10_4_d";
    case L::EXCEPTION_LIMB_REG27_3_A: return "reg27_3_a";
    case L::EXCEPTION_LIMB_REG27_3_B: return "reg27_3_b";
    case L::EXCEPTION_LIMB_REG27_3_C: return "reg27_3_c";
    case L::EXCEPTION_LIMB_REG27_3_D: return "reg27_3_d";
    case L::EXCEPTION_LIMB_REG44_3_A: return "reg44_3_a";
    case L::EXCEPTION_LIMB_REG44_3_B: return "reg44_3_b";
    case L::EXCEPTION_LIMB_COVID_2020: return "covid_2020";
    default: return "unspecified";
  }
}

std::string PhaseTransferKindName(v1::PhaseTransferKind kind) {
  switch (kind) {
    case v1::PHASE_TRANSFER_KIND_EARLY_YEARS_TO_SCHOOL:
      return "early_years_to_school";
    case v1::PHASE_TRANSFER_KIND_INFANT_TO_JUNIOR: return "infant_to_junior";
    case v1::PHASE_TRANSFER_KIND_PRIMARY_TO_MIDDLE: return "primary_to_middle";
    case v1::PHASE_TRANSFER_KIND_PRIMARY_TO_SECONDARY:
      return "primary_to_secondary";
    case v1::PHASE_TRANSFER_KIND_MIDDLE_TO_SECONDARY:
      return "middle_to_secondary";
    case v1::PHASE_TRANSFER_KIND_SECONDARY_TO_POST16:
      return "secondary_to_post16";
    default: return "";
  }
}

std::string TribunalOrderKindName(v1::TribunalOrderKind kind) {
  switch (kind) {
    case v1::TRIBUNAL_ORDER_KIND_ASSESS: return "assess";
    case v1::TRIBUNAL_ORDER_KIND_MAKE_PLAN: return "make_plan";
    case v1::TRIBUNAL_ORDER_KIND_AMEND: return "amend";
    case v1::TRIBUNAL_ORDER_KIND_CHANGE_SCHOOL: return "change_school";
    case v1::TRIBUNAL_ORDER_KIND_CONTINUE_AND_AMEND:
      return "continue_and_amend";
    default: return "";
  }
}

ClockRef ParseClockRef(absl::string_view text) {
  const size_t colon = text.find(':');
  if (colon == absl::string_view::npos) return {std::string(text), ""};
  return {std::string(text.substr(0, colon)),
          std::string(text.substr(colon + 1))};
}

bool RefNamesInstance(const ClockRef& ref, absl::string_view clock_id,
                      absl::string_view instance) {
  if (ref.clock_id != clock_id) return false;
  if (ref.instance.empty() || ref.instance == instance) return true;
  return clock_id == "tribunal_order" && instance.size() > ref.instance.size() &&
         instance.substr(0, ref.instance.size()) == ref.instance &&
         instance[ref.instance.size()] == ':';
}

absl::Status CheckExceptionAllowed(const v1::ExceptionRecorded& exception) {
  const L limb = exception.limb();
  if (LimbName(limb) == "unspecified") {
    return absl::InvalidArgumentError(
        "exception_recorded.limb: is required (a regulation limb)");
  }
  if (exception.clocks().empty()) {
    return absl::InvalidArgumentError(
        "exception_recorded.clocks: names no clock (at least one)");
  }
  for (const std::string& name : exception.clocks()) {
    const ClockRef ref = ParseClockRef(name);
    if (ref.clock_id.empty() ||
        (name.find(':') != std::string::npos && ref.instance.empty())) {
      return absl::InvalidArgumentError(
          absl::StrCat("exception_recorded.clocks: \"", name,
                       "\" is not \"<clock>\" or \"<clock>:<instance>\""));
    }
    if (!IsKnownClockId(ref.clock_id)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "exception refused: clock \"", ref.clock_id,
          "\" does not exist (limb ", LimbName(limb), ")"));
    }
    if (!LimbAllowed(limb, ref.clock_id)) {
      std::vector<std::string> allowed;
      for (const ClockRule* r : ClockRuleVersions(ref.clock_id)) {
        for (L l : r->allowed_limbs) {
          const std::string n = LimbName(l);
          if (std::find(allowed.begin(), allowed.end(), n) == allowed.end()) {
            allowed.push_back(n);
          }
        }
      }
      return absl::FailedPreconditionError(absl::StrCat(
          "exception refused: limb ", LimbName(limb),
          " is not allowed for clock ", ref.clock_id, " (allowed: ",
          allowed.empty() ? "none" : absl::StrJoin(allowed, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace ehcp::domain
