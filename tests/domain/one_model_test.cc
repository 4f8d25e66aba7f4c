// One model of admissibility: journeys generated from §8's rules through an
// independent reference model (reference_model.h), and the properties
// Decide and EvaluateClocks must share with it.
//
//  - GeneratedFromReferenceTest: every generated journey is accepted event
//    by event, and random facts inserted into generated journeys are judged
//    exactly as the reference model judges them.
//  - OneModelTest: whenever a clock instance is open, the event that §8 says
//    stops it is admissible the next day (unless the model names another
//    rule that refuses it), and it stops that instance (unless §8's "Which
//    instance a stop stops" sends it elsewhere).
//  - ReferenceModelTest: the oracle itself, and the generator's coverage.
//
// Failures print a minimal counterexample: the stored journey shrunk fact by
// fact while the disagreement persists, with dates and kinds.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "domain/admissibility.h"
#include "domain/clocks.h"
#include "domain/dates.h"
#include "domain/journey.h"
#include "domain/validation.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/domain/admission_facts.h"
#include "tests/domain/reference_model.h"

namespace ehcp::domain {
namespace {

using reference::Describe;
using reference::JourneyOf;
using reference::JudgeAppend;
using reference::Kind;
using reference::RefFact;
using reference::RefRefusal;
using reference::RefState;
using reference::SameDayRank;

// Journeys per property (at least 2,000 in all).
constexpr int kAcceptedJourneys = 1000;
constexpr int kMutatedJourneys = 1000;
constexpr int kMutationsPerJourney = 8;
constexpr int kStoppedJourneys = 2000;

const absl::CivilDay kFirstDay(2015, 1, 1);
const absl::CivilDay kLastDay(2026, 12, 31);
// Later than any generated date or next-day stop.
const absl::CivilDay kToday(2027, 6, 1);

// ---------------------------------------------------------------------------
// RefFact → stored events.

std::string Upper(absl::string_view s) { return absl::AsciiStrToUpper(s); }

v1::EventPayload PayloadOf(const RefFact& f) {
  namespace facts = ::ehcp::domain::facts;
  v1::EventPayload p;
  switch (f.kind) {
    case Kind::kRequest: return facts::Request();
    case Kind::kBecameResponsible: return facts::BecameResponsible();
    case Kind::kTribunalOrder: {
      v1::TribunalOrderKind kind = v1::TRIBUNAL_ORDER_KIND_UNSPECIFIED;
      v1::TribunalOrderKind_Parse("TRIBUNAL_ORDER_KIND_" + Upper(f.order),
                                  &kind);
      return facts::Order(f.id, kind);
    }
    case Kind::kAssessmentDecision:
      return f.assess ? facts::Assess() : facts::NotAssess();
    case Kind::kAdviceRequested: return facts::AdviceRequested(f.id);
    case Kind::kAdviceReceived: return facts::AdviceReceived(f.id);
    case Kind::kException: {
      v1::ExceptionLimb limb = v1::EXCEPTION_LIMB_UNSPECIFIED;
      v1::ExceptionLimb_Parse("EXCEPTION_LIMB_" + Upper(f.limb), &limb);
      p.mutable_exception_recorded()->set_limb(limb);
      for (const std::string& c : f.clocks) {
        p.mutable_exception_recorded()->add_clocks(c);
      }
      p.mutable_exception_recorded()->set_reason("generated");
      return p;
    }
    case Kind::kDecisionNotToIssue: return facts::NotIssue();
    case Kind::kDraftPlan: return facts::Draft();
    case Kind::kWaiver: return facts::Waiver();
    case Kind::kFinalPlan: return facts::Final("URN 100001");
    case Kind::kTransferredIn:
      p = facts::TransferIn();
      if (f.last_reviewed_on) {
        p.mutable_plan_transferred_in()->set_last_reviewed_on(
            FormatDate(*f.last_reviewed_on));
      }
      return p;
    case Kind::kTransferNotice: return facts::Notice();
    case Kind::kReviewMeeting: return facts::Meeting();
    case Kind::kReviewReport: return facts::Report();
    case Kind::kReviewDecision: {
      v1::ReviewOutcome outcome = v1::REVIEW_OUTCOME_UNSPECIFIED;
      v1::ReviewOutcome_Parse("REVIEW_OUTCOME_" + Upper(f.outcome), &outcome);
      return facts::ReviewDecision(outcome);
    }
    case Kind::kAmendmentsProposed: return facts::Proposed();
    case Kind::kPhaseTransfer: {
      static constexpr v1::PhaseTransferKind kKinds[] = {
          v1::PHASE_TRANSFER_KIND_EARLY_YEARS_TO_SCHOOL,
          v1::PHASE_TRANSFER_KIND_INFANT_TO_JUNIOR,
          v1::PHASE_TRANSFER_KIND_PRIMARY_TO_MIDDLE,
          v1::PHASE_TRANSFER_KIND_PRIMARY_TO_SECONDARY,
          v1::PHASE_TRANSFER_KIND_MIDDLE_TO_SECONDARY,
          v1::PHASE_TRANSFER_KIND_SECONDARY_TO_POST16};
      p.mutable_phase_transfer_identified()->set_kind(kKinds[f.version % 6]);
      p.mutable_phase_transfer_identified()->set_transfer_year(
          static_cast<int>(f.on.year()) + 1);
      return p;
    }
    case Kind::kReassessment: return facts::Reassess();
    case Kind::kAmendedPlan: return facts::Amended();
    case Kind::kDecisionNotToAmend: return facts::NotAmend();
    case Kind::kPlanCeased: return facts::Ceased();
    case Kind::kTransferredOut: return facts::TransferOut();
    case Kind::kAdultServices: return facts::AdultServices();
    case Kind::kMediationRequested: return facts::Mediation();
    case Kind::kMediationArranged:
      p.mutable_mediation_arranged();
      return p;
    case Kind::kMediationConcluded:
      p.mutable_mediation_concluded()->set_outcome(
          v1::DISPUTE_OUTCOME_RESOLVED);
      return p;
    case Kind::kAppealRegistered: return facts::Appeal(f.id);
    case Kind::kAppealConcluded: return facts::AppealConcluded(f.id);
    case Kind::kVoid: return facts::Void(facts::Id(f.void_target));
  }
  return p;
}

v1::Event EventOf(const RefFact& f) {
  facts::Fact fact = facts::At(FormatDate(f.on), PayloadOf(f));
  if (f.supersedes != 0) fact.supersedes = facts::Id(f.supersedes);
  return facts::Stamp(fact, f.version);
}

// CaseOpened, then every fact, in recording order.
std::vector<v1::Event> StreamOf(const std::vector<RefFact>& facts,
                                const std::string& birth_month) {
  std::vector<v1::Event> events{facts::Opened(birth_month)};
  events.reserve(facts.size() + 1);
  for (const RefFact& f : facts) events.push_back(EventOf(f));
  return events;
}

// The rule id of a FAILED_PRECONDITION "rule <id>: ..." status; "OK"; or the
// whole status for anything else.
std::string VerdictOf(const absl::Status& s) {
  if (s.ok()) return "OK";
  const absl::string_view m = s.message();
  if (s.code() == absl::StatusCode::kFailedPrecondition &&
      absl::StartsWith(m, "rule ")) {
    const size_t colon = m.find(':');
    if (colon != absl::string_view::npos) {
      return std::string(m.substr(5, colon - 5));
    }
  }
  return s.ToString();
}

std::string VerdictOf(const std::optional<RefRefusal>& r) {
  return r ? r->rule : "OK";
}

// ---------------------------------------------------------------------------
// Shrinking.

// `facts` without fact `i` (and without the voids of it; a fact superseding
// it stands on its own), versions renumbered 2, 3, ….
std::optional<std::vector<RefFact>> Without(const std::vector<RefFact>& facts,
                                            size_t i) {
  const int gone = facts[i].version;
  if (i + 1 < facts.size() && facts.back().kind == Kind::kVoid &&
      facts.back().void_target == gone) {
    return std::nullopt;  // the last fact (the one proposed) must stay
  }
  std::map<int, int> renumber;
  std::vector<RefFact> out;
  for (size_t j = 0; j < facts.size(); ++j) {
    if (j == i || (facts[j].kind == Kind::kVoid &&
                   facts[j].void_target == gone)) {
      continue;
    }
    renumber[facts[j].version] = static_cast<int>(out.size()) + 2;
    out.push_back(facts[j]);
  }
  for (RefFact& f : out) {
    f.version = renumber[f.version];
    if (f.void_target > 1) {
      // A void of a fact that is gone keeps pointing nowhere.
      f.void_target = renumber.count(f.void_target) ? renumber[f.void_target]
                                                    : 1000 + f.void_target;
    }
    if (f.supersedes != 0) {
      f.supersedes = renumber.count(f.supersedes) ? renumber[f.supersedes] : 0;
    }
  }
  return out;
}

// Removes facts (never the last `keep_last` ones) while `still_fails` holds.
std::vector<RefFact> Shrink(
    std::vector<RefFact> facts, size_t keep_last,
    const std::function<bool(const std::vector<RefFact>&)>& still_fails) {
  bool progress = true;
  while (progress) {
    progress = false;
    for (size_t i = 0; i + keep_last < facts.size(); ++i) {
      std::optional<std::vector<RefFact>> smaller = Without(facts, i);
      if (smaller && still_fails(*smaller)) {
        facts = std::move(*smaller);
        progress = true;
        break;
      }
    }
  }
  return facts;
}

std::vector<RefFact> Prefix(const std::vector<RefFact>& facts, size_t n) {
  return {facts.begin(), facts.begin() + static_cast<std::ptrdiff_t>(n)};
}

// Decide's verdict on appending `proposed` (the last fact) to the others.
std::string DecideLast(const std::vector<RefFact>& facts,
                       const std::string& birth_month) {
  const std::vector<v1::Event> events = StreamOf(facts, birth_month);
  return VerdictOf(Decide(absl::MakeConstSpan(events).first(events.size() - 1),
                          absl::MakeConstSpan(events).last(1), kToday));
}

std::string ModelLast(const std::vector<RefFact>& facts) {
  return VerdictOf(JudgeAppend(Prefix(facts, facts.size() - 1),
                               {facts.back()}));
}

// ---------------------------------------------------------------------------
// The generator: journeys told from §8's story (request → decision →
// advice → draft → final → reviews → amendments, phase transfers,
// re-assessments, transfers in and out, cessations and new starts,
// tribunal orders, exceptions, voids), each step kept only when the
// reference model admits the whole journey with it.

struct Generated {
  std::vector<RefFact> facts;  // recording order, versions 2, 3, …
  std::string birth_month;
};

class ReferenceJourneyGenerator {
 public:
  explicit ReferenceJourneyGenerator(uint32_t seed) : rng_(seed) {}

  Generated Generate() {
    const int target = Between(10, 60);
    covid_ = Chance(15);
    day_ = covid_ ? absl::CivilDay(2020, 4, 20) + Pick(70)
                  : kFirstDay + Pick(static_cast<int>(
                                    absl::CivilDay(2023, 6, 30) - kFirstDay));
    mean_gap_ = std::clamp(static_cast<int>(kLastDay - day_) / target, 3, 60);
    if (covid_) mean_gap_ = std::min(mean_gap_, 12);
    Generated g;
    if (Chance(45)) {
      // The 25th birthday falls somewhere in (or near) the journey.
      const absl::CivilDay birthday =
          day_ + Pick(std::max(30, target * mean_gap_));
      g.birth_month = FormatMonth(
          absl::CivilMonth(birthday.year() - 25, birthday.month()));
    }
    FirstStart();
    int stalls = 0;
    while (static_cast<int>(facts_.size()) < target && stalls < 40) {
      Advance();
      if (day_ > kLastDay) {
        if (facts_.size() >= 10) break;
        day_ = kLastDay;  // at least 10 facts, the last ones on one day
      }
      if (!Step()) ++stalls;
    }
    g.facts = std::move(facts_);
    return g;
  }

 private:
  using Maker = std::function<std::optional<RefFact>()>;

  int Pick(int n) {
    return n <= 0 ? 0 : static_cast<int>(rng_() % static_cast<uint32_t>(n));
  }
  int Between(int lo, int hi) { return lo + Pick(hi - lo + 1); }
  bool Chance(int percent) { return Pick(100) < percent; }

  void Advance() {
    const int r = Pick(100);
    if (r < 15) return;  // same day
    if (r < 88) {
      day_ += 1 + Pick(2 * mean_gap_);
    } else {
      day_ += 2 * mean_gap_ + Pick(300);
    }
  }

  RefFact Make(Kind kind) {
    RefFact f;
    f.on = day_;
    f.kind = kind;
    f.version = static_cast<int>(facts_.size()) + 2;
    return f;
  }

  // Keeps `f` when the reference model admits the whole journey with it.
  bool Try(const RefFact& f) {
    facts_.push_back(f);
    if (reference::Admissible(facts_)) return true;
    facts_.pop_back();
    return false;
  }

  std::string NewId(absl::string_view prefix) {
    return absl::StrCat(prefix, ++ids_);
  }

  // The state after the journey so far, and its model.
  struct Now {
    std::vector<RefFact> journey;
    RefState state;
    std::vector<reference::RefInstance> instances;
  };
  Now Fold() const {
    Now now;
    now.journey = JourneyOf(facts_);
    reference::ReferenceModel model(now.journey);
    for (const RefFact& f : now.journey) model.Apply(f);
    now.state = model.state();
    now.instances = model.instances();
    return now;
  }

  void FirstStart() {
    const int r = Pick(100);
    RefFact start = Make(r < 55   ? Kind::kRequest
                         : r < 70 ? Kind::kBecameResponsible
                                  : Kind::kTransferredIn);
    if (start.kind == Kind::kTransferredIn && Chance(50)) {
      start.last_reviewed_on = day_ - Pick(500);
    }
    Try(start);
    // Facts on the day of the first start that sort before it (§8: not
    // "before" it, whatever the same-day order).
    if (Chance(40)) {
      const int e = Pick(4);
      if (e == 0) {
        RefFact a = Make(Kind::kAdviceRequested);
        a.id = NewId("A");
        Try(a);
      } else if (e == 1) {
        if (auto x = MakeException()) Try(*x);
      } else if (e == 2) {
        RefFact o = Make(Kind::kTribunalOrder);
        o.id = NewId("T");
        o.order = Chance(50) ? "assess" : "make_plan";
        Try(o);
      } else {
        Try(Make(Kind::kMediationRequested));
      }
    }
  }

  // One step: a weighted menu of what may plausibly happen next; the first
  // pick the model admits is kept.
  bool Step() {
    const Now now = Fold();
    const RefState& s = now.state;
    std::vector<std::pair<int, Maker>> menu;
    auto add = [&](int weight, Maker m) {
      if (weight > 0) menu.emplace_back(weight, std::move(m));
    };
    auto kind = [this](Kind k) {
      return [this, k]() -> std::optional<RefFact> { return Make(k); };
    };
    auto order = [this](const char* what) {
      return [this, what]() -> std::optional<RefFact> {
        RefFact o = Make(Kind::kTribunalOrder);
        o.id = NewId("T");
        o.order = what;
        return o;
      };
    };
    auto decision = [this](bool assess) {
      return [this, assess]() -> std::optional<RefFact> {
        RefFact d = Make(Kind::kAssessmentDecision);
        d.assess = assess;
        return d;
      };
    };
    Maker advice_requested = [this]() -> std::optional<RefFact> {
      RefFact a = Make(Kind::kAdviceRequested);
      a.id = NewId("A");
      return a;
    };
    Maker transfer_in = [this]() -> std::optional<RefFact> {
      RefFact t = Make(Kind::kTransferredIn);
      if (Chance(50)) t.last_reviewed_on = day_ - Pick(400);
      return t;
    };

    // Always possible (after the start): side facts and corrections.
    add(covid_ && InCovidWindow(day_) ? 25 : 5,
        [this, &now] { return MakeException(&now); });
    std::vector<std::string> unanswered;
    for (const std::string& id : s.advice_order) {
      if (s.advice_received.count(id) == 0) unanswered.push_back(id);
    }
    if (!unanswered.empty()) {
      add(10, [this, unanswered]() -> std::optional<RefFact> {
        RefFact r = Make(Kind::kAdviceReceived);
        r.id = unanswered[Pick(static_cast<int>(unanswered.size()))];
        return r;
      });
    }
    add(2, kind(Kind::kMediationRequested));
    add(1, kind(Kind::kMediationArranged));
    add(1, kind(Kind::kMediationConcluded));
    add(2, [this]() -> std::optional<RefFact> {
      RefFact a = Make(Kind::kAppealRegistered);
      a.id = absl::StrCat("AP", ++appeals_);
      return a;
    });
    if (appeals_ > 0) {
      add(2, [this]() -> std::optional<RefFact> {
        RefFact a = Make(Kind::kAppealConcluded);
        a.id = absl::StrCat("AP", 1 + Pick(appeals_));
        return a;
      });
    }
    add(1, kind(Kind::kAdultServices));
    add(3, [this] { return MakeVoid(); });
    add(2, [this] { return MakeSupersede(); });
    add(3, [this, &now] { return MakeLate(now); });

    if (s.ended) {
      // A cessation (or transfer out) ends the journey until a new start.
      add(20, kind(Kind::kRequest));
      add(6, kind(Kind::kBecameResponsible));
      add(10, transfer_in);
      add(12, order("continue_and_amend"));
      add(6, order("make_plan"));
      add(4, order("assess"));
      add(2, order("amend"));
      add(1, order("change_school"));
    } else if (s.assessing && !s.plan_active) {
      add(12, advice_requested);
      add(14, kind(Kind::kDraftPlan));
      if (s.draft_since_final) {
        add(4, kind(Kind::kWaiver));
        add(18, kind(Kind::kFinalPlan));
      }
      if (!s.draft_since_assess) add(6, kind(Kind::kDecisionNotToIssue));
    } else if (s.cycle_open && !s.plan_active) {
      add(30, decision(true));
      add(12, decision(false));
      add(8, advice_requested);
      add(2, order("assess"));
      add(2, order("make_plan"));
    } else if (s.plan_active) {
      add(14, kind(Kind::kReviewMeeting));
      add(8, kind(Kind::kReviewReport));
      for (const char* outcome : {"maintain", "amend", "cease"}) {
        add(outcome == std::string("cease") ? 2 : 5,
            [this, outcome]() -> std::optional<RefFact> {
              RefFact d = Make(Kind::kReviewDecision);
              d.outcome = outcome;
              return d;
            });
      }
      add(8, kind(Kind::kAmendmentsProposed));
      add(8, kind(Kind::kAmendedPlan));
      add(4, kind(Kind::kDecisionNotToAmend));
      add(5, kind(Kind::kPhaseTransfer));
      add(3, kind(Kind::kReassessment));
      if (s.reassessing) {
        // Proposals and answers during a re-assessment: a decision not to
        // amend ends it only when no proposals await an answer.
        add(6, kind(Kind::kAmendmentsProposed));
        add(6, kind(Kind::kDecisionNotToAmend));
        add(12, kind(Kind::kDraftPlan));
        if (s.draft_since_final) {
          add(12, kind(Kind::kFinalPlan));
          add(3, kind(Kind::kWaiver));
        }
      }
      if (s.ever_transferred_in) add(4, kind(Kind::kTransferNotice));
      add(4, kind(Kind::kPlanCeased));
      add(2, kind(Kind::kTransferredOut));
      add(2, order("amend"));
      add(1, order("change_school"));
      add(2, order("continue_and_amend"));
      add(1, order("make_plan"));
      add(4, advice_requested);
    } else {
      // No cycle and no plan: after a refusal, or after an order.
      if (s.make_plan_authorises) add(25, kind(Kind::kDraftPlan));
      if (s.draft_since_final) add(20, kind(Kind::kFinalPlan));
      add(16, kind(Kind::kRequest));
      add(4, kind(Kind::kBecameResponsible));
      add(8, transfer_in);
      add(5, order("assess"));
      add(5, order("make_plan"));
      add(8, advice_requested);
      add(8, decision(true));
    }

    for (int attempt = 0; attempt < 6 && !menu.empty(); ++attempt) {
      int total = 0;
      for (const auto& [w, m] : menu) total += w;
      int r = Pick(total);
      size_t i = 0;
      while (r >= menu[i].first) r -= menu[i++].first;
      std::optional<RefFact> f = menu[i].second();
      menu.erase(menu.begin() + static_cast<std::ptrdiff_t>(i));
      if (f && Try(*f)) return true;
    }
    return false;
  }

  static bool InCovidWindow(absl::CivilDay d) {
    return d >= absl::CivilDay(2020, 5, 1) && d <= absl::CivilDay(2020, 9, 25);
  }

  // An exception naming an instance already opened, with a limb §8 allows
  // for it (covid_2020 for instances opened in its window).
  std::optional<RefFact> MakeException(const Now* now = nullptr) {
    std::vector<reference::RefInstance> opened;
    if (now != nullptr) {
      for (const auto& i : now->instances) {
        if (i.trigger <= day_) opened.push_back(i);
      }
    } else {
      for (const auto& i : Fold().instances) {
        if (i.trigger <= day_) opened.push_back(i);
      }
    }
    if (opened.empty()) return std::nullopt;
    const auto& inst = opened[Pick(static_cast<int>(opened.size()))];
    RefFact x = Make(Kind::kException);
    std::vector<std::string> limbs;
    for (const std::string& limb : reference::LimbNames()) {
      if (limb != "covid_2020" && reference::LimbAllowed(limb, inst.clock)) {
        limbs.push_back(limb);
      }
    }
    if (InCovidWindow(inst.trigger) && (limbs.empty() || Chance(70))) {
      x.limb = "covid_2020";
    } else if (!limbs.empty()) {
      x.limb = limbs[Pick(static_cast<int>(limbs.size()))];
    } else {
      return std::nullopt;
    }
    x.clocks.push_back(inst.name.empty() || Chance(30)
                           ? inst.clock
                           : absl::StrCat(inst.clock, ":", inst.name));
    return x;
  }

  std::vector<int> Standing() const {
    std::set<int> removed;
    for (const RefFact& f : facts_) {
      if (f.kind == Kind::kVoid) removed.insert(f.void_target);
      if (f.supersedes != 0) removed.insert(f.supersedes);
    }
    std::vector<int> standing;
    for (size_t i = 0; i < facts_.size(); ++i) {
      if (facts_[i].kind != Kind::kVoid &&
          removed.count(facts_[i].version) == 0) {
        standing.push_back(static_cast<int>(i));
      }
    }
    return standing;
  }

  std::optional<RefFact> MakeVoid() {
    const std::vector<int> standing = Standing();
    if (standing.empty()) return std::nullopt;
    RefFact v = Make(Kind::kVoid);
    v.void_target =
        facts_[standing[Pick(static_cast<int>(standing.size()))]].version;
    return v;
  }

  // The same fact again, a few days earlier or later, superseding it.
  std::optional<RefFact> MakeSupersede() {
    const std::vector<int> standing = Standing();
    if (standing.empty()) return std::nullopt;
    const RefFact& target = facts_[standing[Pick(
        static_cast<int>(standing.size()))]];
    RefFact s = target;
    s.version = static_cast<int>(facts_.size()) + 2;
    s.on = std::min(day_, target.on + (Pick(21) - 10));
    if (s.last_reviewed_on && *s.last_reviewed_on > s.on) {
      s.last_reviewed_on = s.on;
    }
    s.supersedes = target.version;
    return s;
  }

  // A side fact recorded late: dated up to 60 days back.
  std::optional<RefFact> MakeLate(const Now& now) {
    const absl::CivilDay today = day_;
    day_ = day_ - Pick(61);
    std::optional<RefFact> f;
    switch (Pick(4)) {
      case 0:
        f = MakeException(&now);
        break;
      case 1:
        for (const std::string& id : now.state.advice_order) {
          if (now.state.advice_received.count(id) == 0) {
            f = Make(Kind::kAdviceReceived);
            f->id = id;
            break;
          }
        }
        break;
      case 2:
        f = Make(Kind::kReviewReport);
        break;
      default:
        f = Make(Kind::kMediationRequested);
    }
    day_ = today;
    return f;
  }

  std::mt19937 rng_;
  std::vector<RefFact> facts_;
  absl::CivilDay day_;
  int mean_gap_ = 30;
  bool covid_ = false;
  int ids_ = 0;
  int appeals_ = 0;
};

Generated GenerateJourney(uint32_t seed) {
  return ReferenceJourneyGenerator(seed).Generate();
}

// Every generated journey has 10–60 facts dated 2015–2026.
void ExpectShape(const Generated& g, uint32_t seed) {
  EXPECT_GE(g.facts.size(), 10u) << "seed " << seed;
  EXPECT_LE(g.facts.size(), 60u) << "seed " << seed;
  for (const RefFact& f : g.facts) {
    EXPECT_GE(f.on, kFirstDay) << "seed " << seed;
    EXPECT_LE(f.on, kLastDay) << "seed " << seed;
  }
}

std::string JourneyText(const Generated& g) {
  return absl::StrCat("birth month '", g.birth_month, "'\n",
                      reference::DescribeAll(g.facts));
}

// ---------------------------------------------------------------------------
// Random facts for mutation: any kind, any date in the journey's span.

RefFact RandomFact(std::mt19937& rng, const std::vector<RefFact>& stored,
                   int version) {
  auto pick = [&rng](int n) {
    return n <= 0 ? 0 : static_cast<int>(rng() % static_cast<uint32_t>(n));
  };
  absl::CivilDay lo = stored.front().on, hi = stored.front().on;
  for (const RefFact& f : stored) {
    lo = std::min(lo, f.on);
    hi = std::max(hi, f.on);
  }
  hi = std::min(hi + 30, kLastDay);
  RefFact f;
  f.version = version;
  f.on = lo + pick(static_cast<int>(hi - lo) + 1);
  f.kind = static_cast<Kind>(pick(reference::kKindCount));
  // Ids: one already used in the journey (half the time) or a new one.
  auto id_like = [&](Kind used, const char* fresh) {
    std::vector<std::string> ids;
    for (const RefFact& s : stored) {
      if (s.kind == used) ids.push_back(s.id);
    }
    if (!ids.empty() && pick(2) == 0) {
      return ids[pick(static_cast<int>(ids.size()))];
    }
    return absl::StrCat(fresh, 900 + pick(100));
  };
  switch (f.kind) {
    case Kind::kTribunalOrder: {
      static const char* kOrders[] = {"assess", "make_plan", "amend",
                                      "change_school", "continue_and_amend"};
      f.order = kOrders[pick(5)];
      f.id = id_like(Kind::kTribunalOrder, "T");
      break;
    }
    case Kind::kAssessmentDecision:
      f.assess = pick(2) == 0;
      break;
    case Kind::kAdviceRequested:
    case Kind::kAdviceReceived:
      f.id = id_like(Kind::kAdviceRequested, "A");
      break;
    case Kind::kAppealRegistered:
    case Kind::kAppealConcluded:
      f.id = id_like(Kind::kAppealRegistered, "AP");
      break;
    case Kind::kReviewDecision: {
      static const char* kOutcomes[] = {"maintain", "amend", "cease"};
      f.outcome = kOutcomes[pick(3)];
      break;
    }
    case Kind::kTransferredIn:
      if (pick(2) == 0) f.last_reviewed_on = f.on - pick(400);
      break;
    case Kind::kException: {
      // A deadline clock, whole or one instance the journey has; a limb it
      // allows (mostly), covid_2020 a third of the time.
      const auto& clocks = reference::DeadlineClocks();
      std::string clock = clocks[pick(static_cast<int>(clocks.size()))];
      const std::vector<RefFact> journey = JourneyOf(stored);
      reference::ReferenceModel model(journey);
      std::vector<std::string> named;
      for (const auto& i : model.instances()) {
        if (i.clock == clock && !i.name.empty()) named.push_back(i.name);
      }
      if (!named.empty() && pick(2) == 0) {
        clock = absl::StrCat(clock, ":",
                             named[pick(static_cast<int>(named.size()))]);
      }
      // Mostly a limb the clock allows; now and then any limb at all.
      const std::string base = clock.substr(0, clock.find(':'));
      std::vector<std::string> limbs;
      for (const std::string& limb : reference::LimbNames()) {
        if (reference::LimbAllowed(limb, base) || pick(10) == 0) {
          limbs.push_back(limb);
        }
      }
      f.limb = pick(3) == 0 ? "covid_2020"
                            : limbs[pick(static_cast<int>(limbs.size()))];
      f.clocks.push_back(clock);
      break;
    }
    case Kind::kVoid:
      // Any earlier version, CaseOpened and voids included.
      f.void_target = 1 + pick(version - 1);
      break;
    default:
      break;
  }
  return f;
}

// ---------------------------------------------------------------------------
// Stops: the event §8 says stops an open clock instance.

struct Stop {
  RefFact fact;
  std::string mapping;  // "annual_review → review meeting", for coverage
};

bool IsOpen(const ClockRow& r) {
  if (r.clock_id == "draft_representations" ||
      r.clock_id == "premature_final_plan" ||
      r.clock_id == "preparing_for_adulthood") {
    return false;
  }
  return !r.stop.has_value() &&
         (r.status == ClockStatus::kPending ||
          r.status == ClockStatus::kOverdue ||
          r.status == ClockStatus::kExcused);
}

std::optional<Stop> StopFor(const ClockRow& row,
                            const std::vector<RefFact>& journey,
                            absl::CivilDay on, int version) {
  RefFact f;
  f.on = on;
  f.version = version;
  std::string how;
  const std::string& c = row.clock_id;
  if (c == "decision_to_assess") {
    f.kind = Kind::kAssessmentDecision;
  } else if (c == "advice") {
    f.kind = Kind::kAdviceReceived;
    f.id = row.instance;
  } else if (c == "decision_not_to_issue") {
    f.kind = Kind::kDecisionNotToIssue;
  } else if (c == "final_plan_20w") {
    f.kind = Kind::kFinalPlan;
  } else if (c == "annual_review" || c == "transfer_in_review") {
    f.kind = Kind::kReviewMeeting;
  } else if (c == "review_report") {
    f.kind = Kind::kReviewReport;
  } else if (c == "review_decision") {
    f.kind = Kind::kReviewDecision;
    f.outcome = "maintain";
  } else if (c == "amendment" || c == "phase_transfer" ||
             c == "reassessment") {
    f.kind = Kind::kAmendedPlan;
  } else if (c == "transfer_in_notice") {
    f.kind = Kind::kTransferNotice;
  } else if (c == "age_25_cessation") {
    f.kind = Kind::kPlanCeased;
  } else if (c == "tribunal_order") {
    const std::string& inst = row.instance;
    auto ends_with = [&inst](absl::string_view tail) {
      return absl::EndsWith(inst, tail);
    };
    if (ends_with(":draft")) {
      f.kind = Kind::kDraftPlan;
      how = "make_plan:draft";
    } else if (ends_with(":final")) {
      f.kind = Kind::kFinalPlan;
      how = "make_plan:final";
    } else {
      std::string order;
      for (const RefFact& j : journey) {
        if (j.kind == Kind::kTribunalOrder && j.id == inst) {
          order = j.order;
          break;
        }
      }
      if (order == "assess") {
        f.kind = Kind::kAssessmentDecision;
      } else if (order == "amend" || order == "change_school" ||
                 order == "continue_and_amend") {
        f.kind = Kind::kAmendedPlan;
      } else {
        return std::nullopt;
      }
      how = order;
    }
  } else {
    return std::nullopt;  // a clock this test does not know
  }
  return Stop{f, absl::StrCat(c, how.empty() ? "" : " ", how, " → ",
                              reference::KindName(f.kind))};
}

bool SameClockOpenRows(const std::vector<ClockRow>& rows,
                       const std::string& clock, const ClockRow*& latest) {
  latest = nullptr;
  auto number = [](const std::string& s) {
    int n = 0;
    return absl::SimpleAtoi(s, &n) ? n : 0;
  };
  for (const ClockRow& r : rows) {
    if (r.clock_id != clock || !IsOpen(r)) continue;
    if (latest == nullptr || r.trigger > latest->trigger ||
        (r.trigger == latest->trigger &&
         number(r.instance) > number(latest->instance))) {
      latest = &r;
    }
  }
  return latest != nullptr;
}

// §8 "Which instance a stop stops": does `stop` stop `row`?
bool StopStopsRow(const ClockRow& row, const RefFact& stop,
                  const std::vector<RefFact>& journey,
                  const std::vector<ClockRow>& rows) {
  const std::string& c = row.clock_id;
  if (c == "decision_to_assess" || c == "decision_not_to_issue" ||
      c == "final_plan_20w") {
    // The cycle opened by the latest request.
    return row.instance ==
           absl::StrCat(reference::LatestCycle(journey, stop.on));
  }
  if (c == "review_report" || c == "amendment" || c == "transfer_in_notice" ||
      c == "transfer_in_review") {
    // The most recently opened open instance.
    const ClockRow* latest = nullptr;
    return SameClockOpenRows(rows, c, latest) &&
           latest->instance == row.instance;
  }
  if (c == "review_decision") {
    const std::optional<int> taker =
        reference::ReviewDecisionTakingADecision(journey, stop.on);
    return taker && absl::StrCat(*taker) == row.instance;
  }
  return true;  // advice by id; every satisfied instance; the one chain
}

const ClockRow* FindRow(const std::vector<ClockRow>& rows,
                        const std::string& clock, const std::string& instance) {
  for (const ClockRow& r : rows) {
    if (r.clock_id == clock && r.instance == instance) return &r;
  }
  return nullptr;
}

std::vector<const v1::Event*> Pointers(const std::vector<v1::Event>& events,
                                       size_t n) {
  std::vector<const v1::Event*> p;
  p.reserve(n + 1);
  for (size_t i = 0; i < n; ++i) p.push_back(&events[i]);
  return p;
}

absl::CivilDay LastDate(const std::vector<RefFact>& journey) {
  absl::CivilDay last = journey.front().on;
  for (const RefFact& f : journey) last = std::max(last, f.on);
  return last;
}

// One open row's check: "" when Decide, EvaluateClocks and the model agree,
// else what went wrong. `stored` are the facts recorded so far.
std::string CheckStop(const std::vector<RefFact>& stored,
                      const std::string& birth_month, const ClockRow& row,
                      const std::vector<ClockRow>& rows,
                      std::set<std::string>* mappings, std::string* kind,
                      int* stopped_elsewhere = nullptr) {
  const std::vector<RefFact> journey = JourneyOf(stored);
  const absl::CivilDay next = LastDate(journey) + 1;
  const int version = static_cast<int>(stored.size()) + 2;
  const std::optional<Stop> stop = StopFor(row, journey, next, version);
  if (!stop) return "";
  if (mappings != nullptr) mappings->insert(stop->mapping);
  std::vector<RefFact> with = stored;
  with.push_back(stop->fact);
  const std::string expected = ModelLast(with);
  const std::vector<v1::Event> events = StreamOf(with, birth_month);
  const std::string decided =
      VerdictOf(Decide(absl::MakeConstSpan(events).first(events.size() - 1),
                       absl::MakeConstSpan(events).last(1), kToday));
  const std::string what = absl::StrCat(
      ClockRowDebugString(row), "\n  its stop: ", Describe(stop->fact), "\n");
  if (decided != expected) {
    *kind = absl::StrCat(stop->mapping, ": Decide ", decided, ", reference ",
                         expected);
    return absl::StrCat(what, "  Decide: ", decided, "; reference: ",
                        expected, "\n");
  }
  if (decided != "OK") return "";
  const std::vector<ClockRow> after =
      EvaluateClocks(absl::MakeConstSpan(Pointers(events, events.size())),
                     next);
  const ClockRow* r = FindRow(after, row.clock_id, row.instance);
  const bool stops = StopStopsRow(row, stop->fact, journey, rows);
  const bool stopped = r != nullptr && r->stop == next;
  if (!stops && stopped_elsewhere != nullptr) ++*stopped_elsewhere;
  if (stops != stopped) {
    *kind = absl::StrCat(stop->mapping, ": §8 ",
                         stops ? "stops" : "does not stop",
                         " the instance, EvaluateClocks ",
                         stopped ? "stops it" : "does not");
    return absl::StrCat(what, "  §8 says it ", stops ? "stops" : "does not stop",
                        " this instance; EvaluateClocks: ",
                        r == nullptr ? "row gone" : ClockRowDebugString(*r),
                        "\n");
  }
  return "";
}

// ---------------------------------------------------------------------------
// The properties.

// Disagreements, grouped: the first of each kind is shrunk and printed, the
// rest are counted; the summary lists every kind with its count.
class Disagreements {
 public:
  explicit Disagreements(int shrink_at_most) : shrink_at_most_(shrink_at_most) {}

  void Add(const std::string& kind, const std::function<std::string()>& shown) {
    if (++counts_[kind] == 1 && shrunk_++ < shrink_at_most_) {
      ADD_FAILURE() << kind << "\n" << shown();
    }
  }
  int total() const {
    int n = 0;
    for (const auto& [k, c] : counts_) n += c;
    return n;
  }
  std::string Summary() const {
    std::string s;
    for (const auto& [k, c] : counts_) absl::StrAppend(&s, "  ", c, " × ", k, "\n");
    return s;
  }

 private:
  int shrink_at_most_;
  int shrunk_ = 0;
  std::map<std::string, int> counts_;
};

constexpr int kKindsShrunk = 12;

TEST(GeneratedFromReferenceTest, EveryGeneratedJourneyIsAcceptedEventByEvent) {
  Disagreements found(kKindsShrunk);
  int checked = 0;
  for (uint32_t seed = 1; seed <= kAcceptedJourneys; ++seed) {
    const Generated g = GenerateJourney(seed);
    ExpectShape(g, seed);
    const std::vector<v1::Event> events = StreamOf(g.facts, g.birth_month);
    for (size_t k = 1; k < events.size(); ++k) {
      ++checked;
      const absl::Status s =
          Decide(absl::MakeConstSpan(events).first(k),
                 absl::MakeConstSpan(events).subspan(k, 1), kToday);
      if (s.ok()) continue;
      const std::string rule = VerdictOf(s);
      found.Add(absl::StrCat("Decide refuses a possible journey: ", rule),
                [&] {
                  const std::vector<RefFact> minimal = Shrink(
                      Prefix(g.facts, k), 1, [&](const std::vector<RefFact>& f) {
                        return reference::Admissible(f) &&
                               DecideLast(f, g.birth_month) == rule;
                      });
                  return absl::StrCat(
                      "seed ", seed, ", v", k + 1, ": ", s.ToString(),
                      "\nminimal journey (the last fact appended; the "
                      "reference model admits it):\n",
                      reference::DescribeAll(minimal));
                });
      break;  // the rest of this journey builds on the refused fact
    }
  }
  EXPECT_EQ(found.total(), 0) << "journeys with a refused step, of "
                              << kAcceptedJourneys << " (" << checked
                              << " appends):\n"
                              << found.Summary();
}

TEST(GeneratedFromReferenceTest, RandomMutationsAreJudgedAsTheReferenceSays) {
  Disagreements found(kKindsShrunk);
  int checked = 0, refused = 0;
  std::map<std::string, int> verdicts;
  for (uint32_t seed = 10'001; seed < 10'001 + kMutatedJourneys; ++seed) {
    const Generated g = GenerateJourney(seed);
    ExpectShape(g, seed);
    std::mt19937 rng(seed * 7919u);
    for (int m = 0; m < kMutationsPerJourney; ++m) {
      const size_t n = 1 + rng() % g.facts.size();
      std::vector<RefFact> with = Prefix(g.facts, n);
      with.push_back(RandomFact(rng, with, static_cast<int>(n) + 2));
      const std::string expected = ModelLast(with);
      const std::string decided = DecideLast(with, g.birth_month);
      ++checked;
      ++verdicts[expected];
      if (expected != "OK") ++refused;
      if (decided == expected) continue;
      found.Add(
          absl::StrCat(reference::KindName(with.back().kind), ": Decide ",
                       decided, ", reference ", expected),
          [&] {
            const std::vector<RefFact> minimal =
                Shrink(with, 1, [&](const std::vector<RefFact>& f) {
                  return reference::Admissible(Prefix(f, f.size() - 1)) &&
                         ModelLast(f) == expected &&
                         DecideLast(f, g.birth_month) == decided;
                });
            return absl::StrCat(
                "seed ", seed, " mutation ", m,
                "\nminimal journey (the last fact proposed):\n",
                reference::DescribeAll(minimal));
          });
    }
  }
  EXPECT_EQ(found.total(), 0) << "disagreements, of " << checked
                              << " mutations:\n"
                              << found.Summary();
  // The mutations exercise both verdicts and many rules.
  std::string seen;
  for (const auto& [v, n] : verdicts) absl::StrAppend(&seen, v, " ", n, "\n");
  EXPECT_GT(refused, checked / 5) << seen;
  EXPECT_GT(checked - refused, checked / 5) << seen;
  EXPECT_GE(verdicts.size(), 25u) << seen;
  RecordProperty("verdicts", seen);
}

v1::ProposedEvent ProposedOf(const RefFact& f) {
  const v1::Event e = EventOf(f);
  v1::ProposedEvent p;
  p.set_occurred_on(e.occurred_on());
  p.set_supersedes_event_id(e.supersedes_event_id());
  *p.mutable_payload() = e.payload();
  return p;
}

TEST(GeneratedFromReferenceTest, EveryGeneratedFactIsWellFormed) {
  // Decide expects validated events: the generator only proposes those.
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    for (const RefFact& f : GenerateJourney(seed).facts) {
      EXPECT_TRUE(ValidateProposedEvent(ProposedOf(f), "").ok())
          << "seed " << seed << ": " << Describe(f) << ": "
          << ValidateProposedEvent(ProposedOf(f), "");
    }
  }
}

TEST(GeneratedFromReferenceTest, ALastReviewAfterTheTransferIsInvalid) {
  int transfers = 0;
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    for (RefFact f : GenerateJourney(seed).facts) {
      if (f.kind != Kind::kTransferredIn) continue;
      ++transfers;
      f.last_reviewed_on = f.on;  // the same day is "on or before"
      EXPECT_TRUE(ValidateProposedEvent(ProposedOf(f), "").ok());
      f.last_reviewed_on = f.on + 1 + static_cast<int>(seed % 400);
      EXPECT_THAT(ValidateProposedEvent(ProposedOf(f), ""),
                  facts::InvalidAt("payload.plan_transferred_in.last_reviewed_on"))
          << Describe(f);
    }
  }
  EXPECT_GT(transfers, 50);
}

TEST(OneModelTest, EveryOpenClockCanBeStoppedTheNextDay) {
  Disagreements found(kKindsShrunk);
  int checked = 0;
  int elsewhere = 0;  // stops §8 sends to another instance
  std::set<std::string> mappings;
  for (uint32_t seed = 20'001; seed < 20'001 + kStoppedJourneys; ++seed) {
    const Generated g = GenerateJourney(seed);
    ExpectShape(g, seed);
    const std::vector<v1::Event> events = StreamOf(g.facts, g.birth_month);
    for (size_t k = 1; k <= g.facts.size(); ++k) {
      const std::vector<RefFact> stored = Prefix(g.facts, k);
      const std::vector<RefFact> journey = JourneyOf(stored);
      if (journey.empty()) continue;
      const std::vector<ClockRow> rows = EvaluateClocks(
          absl::MakeConstSpan(Pointers(events, k + 1)), LastDate(journey));
      for (const ClockRow& row : rows) {
        if (!IsOpen(row)) continue;
        ++checked;
        std::string kind;
        const std::string problem = CheckStop(stored, g.birth_month, row, rows,
                                              &mappings, &kind, &elsewhere);
        if (problem.empty()) continue;
        found.Add(kind, [&] {
          // Shrink while some open row of the same clock still disagrees
          // the same way.
          auto failing = [&](const std::vector<RefFact>& f) -> std::string {
            if (!reference::Admissible(f)) return "";
            const std::vector<RefFact> j = JourneyOf(f);
            if (j.empty()) return "";
            const std::vector<v1::Event> ev = StreamOf(f, g.birth_month);
            const std::vector<ClockRow> rs = EvaluateClocks(ev, LastDate(j));
            for (const ClockRow& r : rs) {
              if (r.clock_id != row.clock_id || !IsOpen(r)) continue;
              std::string k2;
              std::string p = CheckStop(f, g.birth_month, r, rs, nullptr, &k2);
              if (!p.empty() && k2 == kind) return p;
            }
            return "";
          };
          const std::vector<RefFact> minimal =
              Shrink(stored, 0, [&](const std::vector<RefFact>& f) {
                return !failing(f).empty();
              });
          return absl::StrCat("seed ", seed, " after v", k + 1,
                              "\nminimal journey (birth month '",
                              g.birth_month, "'):\n",
                              reference::DescribeAll(minimal),
                              failing(minimal));
        });
      }
    }
  }
  EXPECT_EQ(found.total(), 0) << "disagreements, of " << checked
                              << " open rows:\n"
                              << found.Summary();
  // §8 "Which instance a stop stops" was exercised: some stops belong to
  // another instance.
  EXPECT_GT(elsewhere, 0);
  RecordProperty("open_rows", checked);
  RecordProperty("stops_sent_elsewhere", elsewhere);
  // Every stop of the acceptance list was tried.
  for (const char* m :
       {"decision_to_assess → assessment decision", "advice → advice received",
        "decision_not_to_issue → decision not to issue",
        "final_plan_20w → final plan", "annual_review → review meeting",
        "transfer_in_review → review meeting", "review_report → review report",
        "review_decision → review decision", "amendment → amended plan",
        "phase_transfer → amended plan", "reassessment → amended plan",
        "tribunal_order assess → assessment decision",
        "tribunal_order amend → amended plan",
        "tribunal_order change_school → amended plan",
        "tribunal_order continue_and_amend → amended plan",
        "tribunal_order make_plan:draft → draft plan",
        "tribunal_order make_plan:final → final plan",
        "transfer_in_notice → transfer notice",
        "age_25_cessation → plan ceased"}) {
    EXPECT_TRUE(mappings.count(m)) << "never tried: " << m;
  }
}

// ---------------------------------------------------------------------------
// The oracle and the generator.

TEST(ReferenceModelTest, SameDayOrderIsTheOrderOfSection8) {
  // §8 Order 1 lists the kinds in the model's enum order; journey.h must
  // sort them the same way.
  std::vector<v1::EventPayload> payloads;
  for (int k = 0; k < reference::kKindCount; ++k) {
    RefFact f;
    f.kind = static_cast<Kind>(k);
    f.void_target = 2;
    payloads.push_back(PayloadOf(f));
  }
  for (int a = 0; a < reference::kKindCount; ++a) {
    for (int b = a + 1; b < reference::kKindCount; ++b) {
      EXPECT_LT(JourneyRank(payloads[a]), JourneyRank(payloads[b]))
          << reference::KindName(static_cast<Kind>(a)) << " before "
          << reference::KindName(static_cast<Kind>(b));
    }
  }
}

TEST(ReferenceModelTest, EveryGeneratedJourneyIsPossibleAtEveryRecordedStep) {
  for (uint32_t seed = 1; seed <= 200; ++seed) {
    const Generated g = GenerateJourney(seed);
    ExpectShape(g, seed);
    for (size_t n = 1; n <= g.facts.size(); ++n) {
      ASSERT_TRUE(reference::Admissible(Prefix(g.facts, n)))
          << "seed " << seed << "\n"
          << JourneyText(g);
    }
    // Fact by fact, in journey order, the oracle refuses none.
    const std::vector<RefFact> journey = JourneyOf(g.facts);
    for (size_t i = 0; i < journey.size(); ++i) {
      EXPECT_EQ(reference::ExpectedRefusal(journey, i), std::nullopt)
          << "seed " << seed << ": " << Describe(journey[i]);
    }
  }
}

TEST(ReferenceModelTest, GeneratedJourneysCoverEveryKindAndTheNewlyAdmissible) {
  std::map<std::string, int> seen;
  for (uint32_t seed = 1; seed <= 600; ++seed) {
    const Generated g = GenerateJourney(seed);
    for (const RefFact& f : g.facts) {
      ++seen[reference::KindName(f.kind)];
      if (f.supersedes != 0) ++seen["supersede"];
      if (f.kind == Kind::kTransferredIn) {
        ++seen[f.last_reviewed_on ? "transfer in with last_reviewed_on"
                                  : "transfer in without last_reviewed_on"];
      }
      if (f.kind == Kind::kException && f.limb == "covid_2020") {
        ++seen["covid_2020 exception"];
      }
      if (f.kind == Kind::kReviewDecision) ++seen["review " + f.outcome];
    }
    if (!g.birth_month.empty()) ++seen["birth month"];
    const std::vector<RefFact> journey = JourneyOf(g.facts);
    reference::ReferenceModel model(journey);
    int notices_since_transfer = 0;
    const RefFact* first_start = nullptr;
    for (const RefFact& f : journey) {
      if (f.kind == Kind::kRequest || f.kind == Kind::kBecameResponsible ||
          f.kind == Kind::kTransferredIn) {
        first_start = &f;
        break;
      }
    }
    for (const RefFact& f : journey) {
      const RefState& s = model.state();
      if (first_start != nullptr && f.on == first_start->on &&
          &f != first_start) {
        ++seen[SameDayRank(f.kind) < SameDayRank(first_start->kind)
                   ? "a fact sorting before the first start on its day"
                   : "a fact on the first start's day"];
      }
      switch (f.kind) {
        case Kind::kAdviceRequested:
          if (s.plan_active) ++seen["advice requested while a plan is active"];
          if (!s.plan_active && !s.cycle_open && s.cycles > 0) {
            ++seen["advice requested after a refusal"];
          }
          break;
        case Kind::kAmendedPlan:
          if (s.awaiting_proposals == 0) ++seen["amended plan, no proposals"];
          break;
        case Kind::kDecisionNotToAmend:
          if (s.awaiting_proposals == 0) {
            ++seen["decision not to amend, no proposals"];
          }
          break;
        case Kind::kTransferredIn:
          notices_since_transfer = 0;
          if (s.last_end != RefState::End::kNone) {
            ++seen["transfer in after an end"];
          }
          break;
        case Kind::kTransferNotice:
          if (++notices_since_transfer == 2) ++seen["repeat transfer notice"];
          break;
        case Kind::kRequest:
          if (s.last_end != RefState::End::kNone) ++seen["request after an end"];
          break;
        case Kind::kTribunalOrder:
          if (s.ended) ++seen["tribunal order after an end"];
          if (f.order == "continue_and_amend" && !s.plan_active &&
              s.last_end == RefState::End::kCeased) {
            ++seen["reinstatement"];
          }
          break;
        case Kind::kDraftPlan:
          if (!s.assessing && !s.reassessing && s.make_plan_authorises) {
            ++seen["draft authorised by a make_plan order alone"];
          }
          if (!s.assessing && s.reassessing) ++seen["re-assessment draft"];
          break;
        default:
          break;
      }
      model.Apply(f);
    }
  }
  std::vector<std::string> wanted;
  for (int k = 0; k < reference::kKindCount; ++k) {
    wanted.push_back(reference::KindName(static_cast<Kind>(k)));
  }
  for (const char* w :
       {"supersede", "transfer in with last_reviewed_on",
        "transfer in without last_reviewed_on", "covid_2020 exception",
        "review maintain", "review amend", "review cease", "birth month",
        "a fact sorting before the first start on its day",
        "a fact on the first start's day",
        "advice requested while a plan is active",
        "advice requested after a refusal", "amended plan, no proposals",
        "decision not to amend, no proposals", "transfer in after an end",
        "repeat transfer notice", "request after an end",
        "tribunal order after an end", "reinstatement",
        "draft authorised by a make_plan order alone",
        "re-assessment draft"}) {
    wanted.push_back(w);
  }
  for (const std::string& w : wanted) {
    EXPECT_GE(seen[w], 5) << "generated journeys rarely show: " << w;
  }
}

// The oracle's own readings, each straight from a sentence of §8.
std::vector<RefFact> Facts(
    std::initializer_list<std::pair<const char*, Kind>> list) {
  std::vector<RefFact> out;
  for (const auto& [on, kind] : list) {
    RefFact f;
    f.on = *ParseDate(on);
    f.kind = kind;
    f.version = static_cast<int>(out.size()) + 2;
    out.push_back(f);
  }
  return out;
}

std::string LastVerdict(const std::vector<RefFact>& facts) {
  return ModelLast(facts);
}

TEST(ReferenceModelTest, NothingIsBeforeTheStartByDateNotBySameDayOrder) {
  EXPECT_EQ(LastVerdict(Facts({{"2024-03-01", Kind::kTransferredIn},
                               {"2024-03-01", Kind::kMediationRequested}})),
            "OK");
  EXPECT_EQ(LastVerdict(Facts({{"2024-03-01", Kind::kTransferredIn},
                               {"2024-02-29", Kind::kMediationRequested}})),
            "journey.before_first_request");
}

TEST(ReferenceModelTest, ACessationEndsTheJourneyUntilANewStart) {
  const auto ceased = Facts({{"2024-01-08", Kind::kTransferredIn},
                             {"2024-06-01", Kind::kPlanCeased},
                             {"2024-07-01", Kind::kReviewMeeting}});
  EXPECT_EQ(LastVerdict(ceased), "journey.after_end");
  auto reinstated = ceased;
  reinstated.back().kind = Kind::kTribunalOrder;
  reinstated.back().id = "T1";
  reinstated.back().order = "continue_and_amend";
  RefFact meeting = reinstated.back();
  meeting.kind = Kind::kReviewMeeting;
  meeting.version += 1;
  meeting.on += 10;
  reinstated.push_back(meeting);
  EXPECT_EQ(LastVerdict(reinstated), "OK");  // the order reinstated the plan
  reinstated[2].order = "make_plan";
  EXPECT_EQ(LastVerdict(reinstated), "review_meeting.requires_plan");
}

TEST(ReferenceModelTest, AMakePlanOrderAuthorisesOneDraft) {
  auto f = Facts({{"2024-01-08", Kind::kRequest},
                  {"2024-02-01", Kind::kAssessmentDecision},
                  {"2024-03-01", Kind::kTribunalOrder},
                  {"2024-03-10", Kind::kDraftPlan},
                  {"2024-03-20", Kind::kDraftPlan}});
  f[1].assess = false;
  f[2].id = "T1";
  f[2].order = "make_plan";
  EXPECT_EQ(LastVerdict(Prefix(f, 4)), "OK");
  EXPECT_EQ(LastVerdict(f), "draft_plan.requires_assessment");
}

TEST(ReferenceModelTest, ATransferNoticeNeedsATransferInOnOrBeforeIt) {
  EXPECT_EQ(LastVerdict(Facts({{"2024-01-08", Kind::kTransferredIn},
                               {"2024-01-20", Kind::kTransferNotice},
                               {"2024-02-20", Kind::kTransferNotice}})),
            "OK");
  EXPECT_EQ(LastVerdict(Facts({{"2024-01-08", Kind::kRequest},
                               {"2024-01-20", Kind::kTransferNotice}})),
            "transfer_notice.requires_transfer_in");
}

TEST(ReferenceModelTest, CovidExceptionsExcuseOnlyInstancesOpenedInTheWindow) {
  auto f = Facts({{"2020-04-20", Kind::kRequest},
                  {"2020-05-04", Kind::kAdviceRequested},
                  {"2020-06-01", Kind::kException}});
  f[1].id = "A1";
  f[2].limb = "covid_2020";
  f[2].clocks = {"advice:A1"};
  EXPECT_EQ(LastVerdict(f), "OK");
  f[2].clocks = {"decision_to_assess"};
  EXPECT_EQ(LastVerdict(f), "exception.covid_window");
}

}  // namespace
}  // namespace ehcp::domain
