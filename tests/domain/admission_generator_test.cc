// Generated journeys: a small deterministic generator of possible journeys,
// and the properties Decide must keep on every one of them.
#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "domain/admissibility.h"
#include "domain/case_state.h"
#include "domain/dates.h"
#include "domain/journey.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/domain/admission_facts.h"

namespace ehcp::domain {
namespace {

using namespace ::ehcp::domain::facts;  // NOLINT: test vocabulary

constexpr int kJourneys = 300;

// One generated fact. Optional facts change nothing any rule reads about
// other events (exceptions, reports, mediation, ...): a journey without them
// is still possible, so they may be recorded late in any order.
struct GenFact {
  Fact fact;
  bool optional = false;
};

// Generates possible journeys from a seed. Uses only std::mt19937's raw
// output (fully specified by the standard), so the journeys are the same on
// every platform.
class JourneyGenerator {
 public:
  explicit JourneyGenerator(uint32_t seed) : rng_(seed) {}

  std::vector<GenFact> Generate() {
    day_ = absl::CivilDay(2015, 1, 1) + Pick(365);
    switch (Pick(6)) {
      case 0:
        Emit(TransferIn());
        Emit(Notice(), /*optional=*/true);
        Plan();
        break;
      case 1:
        Emit(BecameResponsible());
        Cycle();
        break;
      default:
        Emit(Request());
        Cycle();
    }
    return std::move(out_);
  }

 private:
  int Pick(int n) {
    return static_cast<int>(rng_() % static_cast<uint32_t>(n));
  }
  bool Chance(int percent) { return Pick(100) < percent; }
  // No new years of reviews or new cycles after this, so that the chain of
  // facts still owed (at most ~30, ≤ 40 days apart) ends before kToday.
  bool Late() const { return day_ > absl::CivilDay(2022, 1, 1); }

  // Appends a fact on a later day, or the same day when journey order
  // keeps it after the previous fact anyway.
  void Emit(v1::EventPayload payload, bool optional = false) {
    const bool same_day_ok =
        !out_.empty() &&
        JourneyRank(payload) > JourneyRank(out_.back().fact.payload);
    if (!(same_day_ok && Chance(20))) day_ += 1 + Pick(40);
    out_.push_back({At(FormatDate(day_), std::move(payload)), optional});
  }

  void Optional(v1::EventPayload payload) { Emit(std::move(payload), true); }

  std::string NextId(absl::string_view prefix) {
    return absl::StrCat(prefix, ++ids_);
  }

  // Advice for an assessment: requested, most of it received.
  void Advice() {
    std::vector<std::string> asked;
    for (int n = 1 + Pick(3); n > 0; --n) {
      asked.push_back(NextId("A"));
      Emit(AdviceRequested(asked.back()));
    }
    if (Chance(30)) Optional(Exception());
    for (const std::string& id : asked) {
      if (Chance(85)) Optional(AdviceReceived(id));
    }
  }

  // A cycle awaiting its decision.
  void Cycle() {
    if (Chance(20)) Emit(AdviceRequested(NextId("P")));
    if (Chance(25)) {
      Emit(NotAssess());
      AfterRefusal(v1::DISPUTE_SUBJECT_REFUSAL_TO_ASSESS,
                   v1::TRIBUNAL_ORDER_KIND_ASSESS);
      return;
    }
    Emit(Assess());
    Assessment();
  }

  // After a refusal: perhaps a dispute, then an order, a new request, or
  // nothing more.
  void AfterRefusal(v1::DisputeSubject subject, v1::TribunalOrderKind order) {
    if (Chance(40)) {
      v1::EventPayload mediation = Mediation();
      mediation.mutable_mediation_requested()->set_subject(subject);
      Optional(mediation);
    }
    if (Chance(40)) {
      const std::string appeal = NextId("AP");
      Emit(Appeal(appeal));
      Optional(AppealConcluded(appeal));
      Emit(Order(NextId("T"), order));
      if (order == v1::TRIBUNAL_ORDER_KIND_ASSESS) {
        Emit(Assess());
        Assessment();
      } else {
        PlanFromDraft(/*by_order=*/true);
      }
      return;
    }
    if (!Late() && Chance(60)) {
      Emit(Request());
      Cycle();
    }
  }

  // An assessment under way.
  void Assessment() {
    Advice();
    if (Chance(15)) {
      Emit(NotIssue());
      AfterRefusal(v1::DISPUTE_SUBJECT_REFUSAL_TO_ISSUE,
                   v1::TRIBUNAL_ORDER_KIND_MAKE_PLAN);
      return;
    }
    PlanFromDraft();
  }

  // A draft then a final plan. A make_plan order authorises one draft
  // (§8), so only an assessment may revise it.
  void PlanFromDraft(bool by_order = false) {
    Emit(Draft());
    if (!by_order && Chance(20)) Emit(Draft());  // a revised draft
    if (Chance(20)) Optional(Waiver());
    Emit(Final(absl::StrCat("URN ", 100000 + Pick(900000))));
    Plan();
  }

  // A plan in force: years of reviews, then perhaps an end.
  void Plan() {
    for (int years = 1 + Pick(4); years > 0 && !Late(); --years) {
      Optional(Meeting());
      if (Chance(70)) Optional(Report());
      if (Chance(70)) Optional(ReviewDecision());
      if (Chance(25)) Optional(PhaseTransfer());
      if (Chance(40)) {
        Emit(Proposed());
        if (Chance(80)) {
          Emit(Amended());
        } else {
          Emit(NotAmend());
        }
      }
      if (Chance(10)) {
        Emit(Order(NextId("T"), v1::TRIBUNAL_ORDER_KIND_AMEND));
        Emit(Amended());
      }
      if (Chance(10)) {
        Emit(Reassess());
        Advice();
        if (Chance(50)) {
          Emit(Draft());
          Emit(Final());
        } else {
          Emit(Amended());
        }
      }
    }
    if (Late()) return;
    switch (Pick(4)) {
      case 0:
        Emit(Ceased());
        if (Chance(20)) Optional(AdultServices());
        if (Chance(30)) {
          Emit(Request());
          Cycle();
        }
        break;
      case 1:
        Emit(TransferOut());
        break;
      default:
        break;
    }
  }

  std::mt19937 rng_;
  absl::CivilDay day_;
  std::vector<GenFact> out_;
  int ids_ = 0;
};

std::vector<Fact> FactsOf(const std::vector<GenFact>& gen) {
  std::vector<Fact> facts;
  for (const GenFact& g : gen) facts.push_back(g.fact);
  return facts;
}


// The state a stream folds to, without its version (recording differs).
CaseState Folded(const std::vector<v1::Event>& stream) {
  CaseState s = FoldCase(stream);
  s.version = 0;
  return s;
}

TEST(GeneratedJourneyTest, GeneratorIsDeterministicAndVaried) {
  EXPECT_EQ(FactsOf(JourneyGenerator(7).Generate()).size(),
            FactsOf(JourneyGenerator(7).Generate()).size());
  int with_plan = 0, ceased = 0, refused = 0;
  for (uint32_t seed = 1; seed <= kJourneys; ++seed) {
    const std::vector<Fact> facts = FactsOf(JourneyGenerator(seed).Generate());
    EXPECT_LT(facts.back().on, FormatDate(kToday)) << "seed " << seed;
    const CaseState s = Folded(Stream(facts));
    with_plan += s.plan_in_force;
    ceased += s.stage == v1::CASE_STAGE_CEASED;
    refused += s.stage == v1::CASE_STAGE_NOT_ASSESSED ||
               s.stage == v1::CASE_STAGE_NOT_ISSUED;
  }
  EXPECT_GT(with_plan, kJourneys / 4);
  EXPECT_GT(ceased, 5);
  EXPECT_GT(refused, 5);
}

TEST(GeneratedJourneyTest, EachEventIsAcceptedInOrder) {
  for (uint32_t seed = 1; seed <= kJourneys; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    std::vector<v1::Event> stream{Opened()};
    EXPECT_THAT(AppendEach(stream, FactsOf(JourneyGenerator(seed).Generate())),
                Accepted());
  }
}

TEST(GeneratedJourneyTest, WholeJourneyInOneAppendIsAccepted) {
  for (uint32_t seed = 1; seed <= kJourneys; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    EXPECT_THAT(Given({}).When(FactsOf(JourneyGenerator(seed).Generate())),
                Accepted());
  }
}

TEST(GeneratedJourneyTest, WholeJourneyInShuffledAppendOrderIsAccepted) {
  for (uint32_t seed = 1; seed <= kJourneys; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    std::vector<Fact> facts = FactsOf(JourneyGenerator(seed).Generate());
    std::mt19937 rng(seed);
    std::shuffle(facts.begin(), facts.end(), rng);
    EXPECT_THAT(Given({}).When(facts), Accepted());
  }
}

TEST(GeneratedJourneyTest, OptionalFactsRecordedLateInAnyOrderAreAccepted) {
  for (uint32_t seed = 1; seed <= kJourneys; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    const std::vector<GenFact> gen = JourneyGenerator(seed).Generate();
    std::vector<Fact> core, late;
    for (const GenFact& g : gen) (g.optional ? late : core).push_back(g.fact);
    std::mt19937 rng(seed);
    std::shuffle(late.begin(), late.end(), rng);

    std::vector<v1::Event> stream{Opened()};
    ASSERT_THAT(AppendEach(stream, core), Accepted());
    ASSERT_THAT(AppendEach(stream, late), Accepted());
    // Recording order does not change where the journey stands.
    EXPECT_TRUE(Folded(stream) == Folded(Stream(FactsOf(gen))));
  }
}

TEST(GeneratedJourneyTest, EveryPrefixAppendedWithTheRestIsAccepted) {
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    const std::vector<Fact> facts = FactsOf(JourneyGenerator(seed).Generate());
    for (size_t cut = 0; cut <= facts.size(); ++cut) {
      const std::vector<Fact> before(facts.begin(), facts.begin() + cut);
      const std::vector<Fact> after(facts.begin() + cut, facts.end());
      EXPECT_THAT(Given(before).When(after), Accepted()) << "cut " << cut;
    }
  }
}

TEST(GeneratedJourneyTest, DeletingTheDraftBeforeAFinalPlanIsRefused) {
  int checked = 0;
  for (uint32_t seed = 1; seed <= kJourneys; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    const std::vector<Fact> facts = FactsOf(JourneyGenerator(seed).Generate());
    // The first final plan with exactly one draft before it.
    int draft = -1, drafts = 0;
    bool found = false;
    for (size_t i = 0; i < facts.size() && !found; ++i) {
      if (facts[i].payload.has_draft_plan_served()) {
        draft = static_cast<int>(i);
        ++drafts;
      }
      if (facts[i].payload.has_final_plan_issued()) {
        found = drafts == 1;
        drafts = 0;
      }
    }
    if (!found) continue;
    std::vector<Fact> without = facts;
    without.erase(without.begin() + draft);
    EXPECT_THAT(Given({}).When(without), Refused("final_plan.requires_draft"));
    // Recorded late, the deleted draft is accepted again.
    EXPECT_THAT(Given({}).When(facts), Accepted());
    ++checked;
  }
  EXPECT_GT(checked, kJourneys / 3);
}

TEST(GeneratedJourneyTest, DeletingTheFirstRequestIsRefused) {
  int checked = 0;
  for (uint32_t seed = 1; seed <= kJourneys; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    std::vector<Fact> facts = FactsOf(JourneyGenerator(seed).Generate());
    if (!facts.front().payload.has_request_received() || facts.size() < 2) {
      continue;
    }
    facts.erase(facts.begin());
    EXPECT_THAT(Given({}).When(facts), Refused("journey.before_first_request"));
    ++checked;
  }
  EXPECT_GT(checked, kJourneys / 2);
}

TEST(GeneratedJourneyTest, VoidingAndReRecordingAnEventKeepsTheJourney) {
  for (uint32_t seed = 1; seed <= 100; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    const std::vector<Fact> facts = FactsOf(JourneyGenerator(seed).Generate());
    std::vector<v1::Event> stream{Opened()};
    ASSERT_THAT(AppendEach(stream, facts), Accepted());
    // Supersede the last fact with an identical one: same journey.
    const v1::Event& last = stream.back();
    const Fact again = Superseding(last.event_id(), facts.back());
    const CaseState before = Folded(stream);
    ASSERT_THAT(AppendEach(stream, {again}), Accepted());
    CaseState after = Folded(stream);
    EXPECT_EQ(after.voided_events, 1);
    after.voided_events = 0;
    EXPECT_TRUE(after == before);
  }
}

}  // namespace
}  // namespace ehcp::domain
