// Property test: thousands of seeded random journeys, and invariants that
// must hold whatever the journey.
#include <algorithm>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "domain/admissibility.h"
#include "domain/case_model.h"
#include "domain/case_state.h"
#include "domain/clocks.h"
#include "domain/dates.h"
#include "domain/journey.h"
#include "domain/replay.h"
#include "domain/rules.h"
#include "gtest/gtest.h"

namespace ehcp::domain {
namespace {

using S = ClockStatus;

constexpr int kJourneys = 3000;

// Generates one random, mostly valid journey: a walk through the states of
// a case (no plan, assessing, plan active) with random gaps between events,
// month ends and leap days, exceptions, voids, supersedes and late
// recording.
class JourneyGenerator {
 public:
  explicit JourneyGenerator(uint64_t seed) : rng_(seed) {}

  std::vector<v1::Event> Generate() {
    facts_.clear();
    removed_.clear();
    const int start_year = Uniform(2013, 2024);
    day_ = absl::CivilDay(start_year, Uniform(1, 12), Uniform(1, 28));
    std::string birth_month;
    if (Chance(0.85)) {
      birth_month = FormatMonth(
          absl::CivilMonth(Uniform(start_year - 24, start_year - 3),
                           Uniform(1, 12)));
    }
    plan_active_ = cycle_open_ = assessing_ = reassessing_ = false;
    draft_since_final_ = false;
    advice_open_.clear();
    advice_count_ = order_count_ = 0;
    instances_.clear();

    const int steps = Uniform(3, 40);
    for (int i = 0; i < steps; ++i) {
      Advance();
      Step();
    }
    return Record(birth_month);
  }

 private:
  struct Fact {
    absl::CivilDay on;
    v1::EventPayload payload;
    std::string id;
    std::string supersedes;
  };

  int Uniform(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  void Advance() {
    const int r = Uniform(0, 99);
    if (r < 15) return;  // same day
    if (r < 55) {
      day_ += Uniform(1, 20);
    } else if (r < 90) {
      day_ += Uniform(20, 120);
    } else {
      day_ += Uniform(120, 500);
    }
    const int snap = Uniform(0, 99);
    if (snap < 10) {
      day_ = LastDayOfMonth(day_);
    } else if (snap < 13) {
      // The next 29 February, if close.
      for (int y = static_cast<int>(day_.year());
           y <= static_cast<int>(day_.year()) + 1; ++y) {
        const absl::CivilDay leap(y, 2, 29);
        if (leap.month() == 2 && day_ <= leap && leap - day_ < 200) {
          day_ = leap;
          break;
        }
      }
    }
  }

  v1::EventPayload& Emit() {
    Fact& f = facts_.emplace_back();
    f.on = day_;
    f.id = absl::StrCat("ev", facts_.size());
    return f.payload;
  }

  void NewInstance(const std::string& clock, const std::string& instance) {
    instances_.push_back(instance.empty() ? clock : clock + ":" + instance);
  }

  void Step() {
    const int r = Uniform(0, 99);
    if (r < 4 && !facts_.empty()) return Void();
    if (r < 7 && !facts_.empty()) return Supersede();
    if (r < 14) return Exception();
    if (!plan_active_ && !cycle_open_) return Idle();
    if (cycle_open_) return Assessing();
    return PlanActive();
  }

  void Idle() {
    const int r = Uniform(0, 99);
    if (r < 55) {
      Emit().mutable_request_received()->set_source(v1::REQUEST_SOURCE_PARENT);
      OpenCycle();
    } else if (r < 65) {
      Emit().mutable_became_responsible();
      OpenCycle();
    } else if (r < 80) {
      Emit().mutable_plan_transferred_in()->set_from_la_code("E10000016");
      plan_active_ = true;
    } else {
      Tribunal(Uniform(0, 1) == 0 ? v1::TRIBUNAL_ORDER_KIND_ASSESS
                                  : v1::TRIBUNAL_ORDER_KIND_MAKE_PLAN);
      if (Chance(0.5)) {
        cycle_open_ = true;
        assessing_ = true;
      }
    }
  }

  void OpenCycle() {
    cycle_open_ = true;
    assessing_ = false;
  }

  void Assessing() {
    const int r = Uniform(0, 99);
    if (!assessing_) {
      if (r < 60) {
        const bool assess = Chance(0.75);
        Emit().mutable_assessment_decision()->set_outcome(
            assess ? v1::ASSESSMENT_DECISION_OUTCOME_ASSESS
                   : v1::ASSESSMENT_DECISION_OUTCOME_NOT_ASSESS);
        assessing_ = assess;
        if (!assess) cycle_open_ = false;
      } else if (r < 80) {
        AdviceRequested();
      } else if (r < 90 && !advice_open_.empty()) {
        AdviceReceived();
      } else {
        Emit().mutable_became_responsible();
        OpenCycle();
      }
      return;
    }
    if (r < 25) {
      AdviceRequested();
    } else if (r < 45 && !advice_open_.empty()) {
      AdviceReceived();
    } else if (r < 60) {
      Emit().mutable_draft_plan_served();
      draft_since_final_ = true;
      NewInstance("draft_representations", "");
    } else if (r < 65 && draft_since_final_) {
      Emit().mutable_representations_waived();
    } else if (r < 88 && draft_since_final_) {
      Final();
      cycle_open_ = false;
    } else if (r < 95 && !draft_since_final_) {
      Emit().mutable_decision_not_to_issue();
      cycle_open_ = assessing_ = false;
    } else {
      AdviceRequested();
    }
  }

  void PlanActive() {
    const int r = Uniform(0, 99);
    if (r < 22) {
      Emit().mutable_review_meeting_held()->set_adulthood_considered(
          Chance(0.7));
    } else if (r < 32) {
      Emit().mutable_review_report_sent();
    } else if (r < 42) {
      const int o = Uniform(0, 9);
      Emit().mutable_review_decision()->set_outcome(
          o < 5   ? v1::REVIEW_OUTCOME_AMEND
          : o < 9 ? v1::REVIEW_OUTCOME_MAINTAIN
                  : v1::REVIEW_OUTCOME_CEASE);
    } else if (r < 52) {
      Emit().mutable_amendments_proposed();
    } else if (r < 60) {
      Emit().mutable_amended_plan_issued();
    } else if (r < 63) {
      Emit().mutable_decision_not_to_amend();
    } else if (r < 69) {
      auto* p = Emit().mutable_phase_transfer_identified();
      p->set_kind(static_cast<v1::PhaseTransferKind>(Uniform(1, 6)));
      p->set_transfer_year(static_cast<int>(day_.year()) + Uniform(0, 1));
    } else if (r < 73 && !reassessing_) {
      Emit().mutable_reassessment_decided();
      reassessing_ = true;
    } else if (r < 78 && reassessing_) {
      Emit().mutable_draft_plan_served();
      draft_since_final_ = true;
    } else if (r < 83 && draft_since_final_) {
      Final();
    } else if (r < 87) {
      Tribunal(static_cast<v1::TribunalOrderKind>(Uniform(1, 5)));
    } else if (r < 90) {
      Emit().mutable_transfer_notice_sent();
    } else if (r < 94) {
      Emit().mutable_plan_ceased()->set_reason(v1::CESSATION_REASON_NEEDS_MET);
      plan_active_ = reassessing_ = false;
    } else if (r < 96) {
      Emit().mutable_plan_transferred_out()->set_to_la_code("E10000012");
      plan_active_ = reassessing_ = false;
    } else {
      Emit().mutable_request_received()->set_source(v1::REQUEST_SOURCE_PARENT);
      OpenCycle();
    }
  }

  void Final() {
    Emit().mutable_final_plan_issued()->set_placement("URN 1");
    plan_active_ = true;
    reassessing_ = false;
    draft_since_final_ = false;
  }

  void AdviceRequested() {
    const std::string id = absl::StrCat("A", ++advice_count_);
    auto* a = Emit().mutable_advice_requested();
    a->set_advice_id(id);
    a->set_body(static_cast<v1::AdviceBody>(Uniform(1, 5)));
    advice_open_.push_back(id);
    NewInstance("advice", id);
  }

  void AdviceReceived() {
    const int i = Uniform(0, static_cast<int>(advice_open_.size()) - 1);
    Emit().mutable_advice_received()->set_advice_id(advice_open_[i]);
    advice_open_.erase(advice_open_.begin() + i);
  }

  void Tribunal(v1::TribunalOrderKind kind) {
    const std::string id = absl::StrCat("T", ++order_count_);
    auto* t = Emit().mutable_tribunal_order_made();
    t->set_order_id(id);
    t->set_kind(kind);
    NewInstance("tribunal_order", id);
  }

  void Exception() {
    // Name one to three clocks, whole or one instance, with a limb that
    // the first one allows (sometimes covid_2020).
    const auto ids = ClockIds();
    std::vector<std::string> deadline;
    for (const std::string& id : ids) {
      if (FindClockRule(id, absl::CivilDay(2024, 1, 1))->kind ==
          ClockKind::kDeadline) {
        deadline.push_back(id);
      }
    }
    const std::string first = deadline[Uniform(0, static_cast<int>(deadline.size()) - 1)];
    std::vector<v1::ExceptionLimb> limbs;
    for (const ClockRule* r : ClockRuleVersions(first)) {
      for (v1::ExceptionLimb l : r->allowed_limbs) limbs.push_back(l);
    }
    auto* x = Emit().mutable_exception_recorded();
    x->set_limb(limbs[Uniform(0, static_cast<int>(limbs.size()) - 1)]);
    x->set_reason("generated");
    auto name = [&](const std::string& clock) {
      if (Chance(0.5)) return clock;
      if (clock == "advice" || clock == "tribunal_order") {
        for (const std::string& inst : instances_) {
          if (inst.rfind(clock + ":", 0) == 0 && Chance(0.5)) return inst;
        }
        return clock;
      }
      return absl::StrCat(clock, ":", Uniform(1, 3));
    };
    x->add_clocks(name(first));
    for (int n = Uniform(0, 2); n > 0; --n) {
      const std::string other = deadline[Uniform(0, static_cast<int>(deadline.size()) - 1)];
      if (LimbAllowed(x->limb(), other)) x->add_clocks(name(other));
    }
  }

  // A fact that a void or supersede may target: not a void, not already
  // removed (the system refuses both).
  bool Correctable(const Fact& f) const {
    return !f.payload.has_event_voided() && !removed_.contains(f.id);
  }

  void Void() {
    const int target = Uniform(0, static_cast<int>(facts_.size()) - 1);
    if (!Correctable(facts_[target])) return;
    const std::string id = facts_[target].id;
    removed_.insert(id);
    Emit().mutable_event_voided()->set_target_event_id(id);
  }

  void Supersede() {
    const int target = Uniform(0, static_cast<int>(facts_.size()) - 1);
    const Fact old = facts_[target];
    if (!Correctable(old)) return;
    removed_.insert(old.id);
    // The corrected fact, a few days either side of the original.
    Fact& f = facts_.emplace_back(old);
    f.id = absl::StrCat("ev", facts_.size());
    f.on = std::min(day_, old.on + Uniform(-10, 10));
    f.supersedes = old.id;
  }

  // Stamps envelopes: each fact recorded some lag after it happened (voids
  // and supersedes after their targets), in recording order.
  std::vector<v1::Event> Record(const std::string& birth_month) {
    std::map<std::string, absl::Time> recorded;
    std::vector<std::pair<absl::Time, v1::Event>> stamped;
    for (const Fact& f : facts_) {
      const int r = Uniform(0, 99);
      const int lag = r < 70 ? Uniform(0, 2) : r < 95 ? Uniform(3, 60)
                                                      : Uniform(61, 400);
      absl::Time at = StartOfLondonDay(f.on) + absl::Hours(9) +
                      absl::Hours(24) * lag + absl::Seconds(Uniform(0, 3600));
      const std::string target = f.payload.has_event_voided()
                                     ? f.payload.event_voided().target_event_id()
                                     : f.supersedes;
      if (!target.empty()) {
        at = std::max(at, recorded[target] + absl::Seconds(1));
      }
      recorded[f.id] = at;
      v1::Event e;
      e.set_event_id(f.id);
      e.set_case_id("gen");
      e.set_occurred_on(FormatDate(f.on));
      *e.mutable_payload() = f.payload;
      e.set_supersedes_event_id(f.supersedes);
      stamped.emplace_back(at, std::move(e));
    }
    std::stable_sort(stamped.begin(), stamped.end(),
                     [](const auto& a, const auto& b) {
                       return a.first < b.first;
                     });
    // Strictly increasing, so that "known at" an event's instant is exactly
    // the events up to it.
    for (size_t i = 1; i < stamped.size(); ++i) {
      if (stamped[i].first <= stamped[i - 1].first) {
        stamped[i].first = stamped[i - 1].first + absl::Seconds(1);
      }
    }
    std::vector<v1::Event> events;
    v1::Event& open = events.emplace_back();
    open.set_event_id("open");
    open.set_case_id("gen");
    open.set_occurred_on(facts_.empty() ? "2014-01-01"
                                        : FormatDate(facts_.front().on));
    open.mutable_payload()->mutable_case_opened()->set_la_code("E06000035");
    open.mutable_payload()->mutable_case_opened()->set_birth_month(
        birth_month);
    open.mutable_recorded_at()->set_seconds(0);
    for (auto& [at, e] : stamped) {
      e.mutable_recorded_at()->set_seconds(absl::ToUnixSeconds(at));
      events.push_back(std::move(e));
    }
    for (size_t i = 0; i < events.size(); ++i) {
      events[i].set_case_version(static_cast<int64_t>(i) + 1);
    }
    return events;
  }

  std::mt19937_64 rng_;
  std::vector<Fact> facts_;
  std::set<std::string> removed_;
  absl::CivilDay day_;
  bool plan_active_ = false;
  bool cycle_open_ = false;
  bool assessing_ = false;
  bool reassessing_ = false;
  bool draft_since_final_ = false;
  std::vector<std::string> advice_open_;
  int advice_count_ = 0;
  int order_count_ = 0;
  std::vector<std::string> instances_;
};

std::string Key(const ClockRow& r) { return r.clock_id + ":" + r.instance; }

int Weeks(const std::string& clock) {
  static const std::map<std::string, int> kWeeks = {
      {"decision_to_assess", 6}, {"advice", 6},
      {"decision_not_to_issue", 16}, {"final_plan_20w", 20},
      {"review_report", 2},     {"review_decision", 4},
      {"amendment", 8},         {"transfer_in_notice", 6},
      {"reassessment", 14}};
  const auto it = kWeeks.find(clock);
  return it == kWeeks.end() ? -1 : it->second;
}

// Invariants of one evaluation.
void CheckRows(const std::vector<ClockRow>& rows, absl::CivilDay as_of,
               const std::string& where) {
  std::set<std::string> keys;
  for (size_t i = 0; i < rows.size(); ++i) {
    const ClockRow& r = rows[i];
    SCOPED_TRACE(where + " " + ClockRowDebugString(r));
    EXPECT_TRUE(keys.insert(Key(r)).second) << "instance names unique";
    EXPECT_LE(r.trigger, as_of) << "no row triggers after as_of";
    EXPECT_GE(r.trigger, absl::CivilDay(2014, 9, 1));
    const ClockRule* rule = FindClockRule(r.clock_id, r.trigger);
    ASSERT_NE(rule, nullptr);
    EXPECT_EQ(rule->version, r.rule_version);
    ASSERT_TRUE(r.due.has_value());
    if (i > 0) {
      const ClockRow& p = rows[i - 1];
      const bool ordered =
          p.trigger < r.trigger ||
          (p.trigger == r.trigger &&
           CatalogueIndex(p.clock_id) <= CatalogueIndex(r.clock_id));
      EXPECT_TRUE(ordered) << "rows sorted";
    }
    if (Weeks(r.clock_id) > 0) {
      EXPECT_EQ(*r.due - r.trigger, 7 * Weeks(r.clock_id));
    }
    if (r.stop) {
      EXPECT_GE(*r.stop, r.trigger) << "a stop counts only on/after trigger";
      EXPECT_LE(*r.stop, as_of);
      EXPECT_FALSE(r.stop_event_id.empty());
    }
    EXPECT_EQ(r.days_remaining,
              r.status == S::kPending ? static_cast<int>(*r.due - as_of) : 0);
    if (!r.excused_by_event_id.empty()) {
      EXPECT_EQ(r.status, S::kExcused);
    }
    if (rule->kind == ClockKind::kWindow) {
      EXPECT_FALSE(r.stop.has_value());
      EXPECT_EQ(r.status, as_of <= *r.due ? S::kPending : S::kMet);
      EXPECT_EQ(r.days_late, 0);
      continue;
    }
    if (rule->kind == ClockKind::kComplianceCheck) {
      EXPECT_TRUE(r.status == S::kMet || r.status == S::kBreached);
      EXPECT_EQ(r.days_late, 0);
      ASSERT_TRUE(r.stop.has_value());
      if (r.clock_id == "preparing_for_adulthood") {
        EXPECT_EQ(*r.stop, r.trigger);
        EXPECT_EQ(*r.due, r.trigger);
      } else {
        EXPECT_EQ(*r.due, r.trigger + 14);
        if (*r.stop > *r.due) {
          EXPECT_EQ(r.status, S::kMet);
        }
      }
      continue;
    }
    switch (r.status) {
      case S::kNotApplicable:
        EXPECT_FALSE(r.stop.has_value());
        EXPECT_TRUE(r.stop_event_id.empty());
        EXPECT_EQ(r.days_late, 0);
        EXPECT_FALSE(r.has_exception);
        break;
      case S::kMet:
        ASSERT_TRUE(r.stop.has_value());
        EXPECT_LE(*r.stop, *r.due) << "MET iff stop <= due";
        EXPECT_EQ(r.days_late, 0);
        break;
      case S::kBreached:
        ASSERT_TRUE(r.stop.has_value());
        EXPECT_GT(*r.stop, *r.due);
        EXPECT_EQ(r.days_late, *r.stop - *r.due);
        EXPECT_FALSE(r.has_exception);
        break;
      case S::kOverdue:
        EXPECT_FALSE(r.stop.has_value());
        EXPECT_GT(as_of, *r.due);
        EXPECT_EQ(r.days_late, as_of - *r.due);
        EXPECT_TRUE(rule->overdue_when_open_past_due);
        EXPECT_FALSE(r.has_exception);
        break;
      case S::kPending:
        EXPECT_FALSE(r.stop.has_value());
        if (rule->overdue_when_open_past_due) {
          EXPECT_LE(as_of, *r.due) << "PENDING rows have as_of <= due";
        }
        EXPECT_EQ(r.days_late, 0);
        break;
      case S::kExcused:
        EXPECT_TRUE(r.has_exception);
        EXPECT_FALSE(r.excused_by_event_id.empty());
        EXPECT_FALSE(r.excused_by_limb.empty());
        if (r.stop) {
          EXPECT_EQ(r.days_late, *r.stop - *r.due);
        } else {
          EXPECT_EQ(r.days_late, as_of - *r.due);
        }
        EXPECT_GT(r.days_late, 0);
        break;
    }
  }
}

// Cross-checks rows against the effective journey: trigger and stop events
// exist with those dates, and a row is EXCUSED exactly when an exception in
// the journey would excuse it (allowed limb, names it, dated trigger..stop−1
// or trigger..as_of while open).
void CheckAgainstJourney(const std::vector<ClockRow>& rows,
                         const std::vector<v1::Event>& events,
                         absl::CivilDay as_of, const std::string& where) {
  std::map<std::string, const v1::Event*> by_id;
  std::vector<const v1::Event*> exceptions;
  for (const v1::Event* e : EffectiveJourney(events)) {
    if (*ParseDate(e->occurred_on()) > as_of) continue;
    by_id[e->event_id()] = e;
    if (e->payload().has_exception_recorded()) exceptions.push_back(e);
  }
  for (const ClockRow& r : rows) {
    SCOPED_TRACE(where + " " + ClockRowDebugString(r));
    if (r.clock_id != "age_25_cessation") {
      ASSERT_TRUE(by_id.contains(r.trigger_event_id));
      EXPECT_EQ(by_id[r.trigger_event_id]->occurred_on(), FormatDate(r.trigger));
    }
    if (r.stop) {
      ASSERT_TRUE(by_id.contains(r.stop_event_id));
      EXPECT_EQ(by_id[r.stop_event_id]->occurred_on(), FormatDate(*r.stop));
    }
    const ClockRule* rule = FindClockRule(r.clock_id, r.trigger);
    if (rule->kind != ClockKind::kDeadline ||
        r.status == S::kNotApplicable) {
      continue;
    }
    std::string first;
    for (const v1::Event* e : exceptions) {
      const auto& x = e->payload().exception_recorded();
      const absl::CivilDay on = *ParseDate(e->occurred_on());
      if (!rule->Allows(x.limb()) || on < r.trigger) continue;
      if (r.stop && !(on < *r.stop)) continue;
      bool names = false;
      for (const std::string& c : x.clocks()) {
        names = names || c == r.clock_id || c == Key(r) ||
                (r.clock_id == "tribunal_order" &&
                 Key(r).rfind(c + ":", 0) == 0);
      }
      if (names) {
        first = e->event_id();
        break;
      }
    }
    EXPECT_EQ(r.has_exception, !first.empty());
    const bool late = r.days_late > 0;
    EXPECT_EQ(r.status == S::kExcused, late && !first.empty());
    if (r.status == S::kExcused) {
      EXPECT_EQ(r.excused_by_event_id, first);
    }
  }
}

bool Final(const ClockRow& r) {
  return r.status == S::kMet || r.status == S::kBreached ||
         r.status == S::kNotApplicable ||
         (r.status == S::kExcused && r.stop.has_value());
}

// Evaluating later never changes a closed row, never reopens one, and never
// drops a row.
void CheckMonotone(const std::vector<ClockRow>& early,
                   const std::vector<ClockRow>& late, const std::string& where) {
  std::map<std::string, const ClockRow*> later;
  for (const ClockRow& r : late) later[Key(r)] = &r;
  for (const ClockRow& r : early) {
    SCOPED_TRACE(where + " " + ClockRowDebugString(r));
    const auto it = later.find(Key(r));
    ASSERT_NE(it, later.end()) << "row disappeared";
    const ClockRow& l = *it->second;
    EXPECT_EQ(l.trigger, r.trigger);
    EXPECT_EQ(l.trigger_event_id, r.trigger_event_id);
    EXPECT_EQ(l.due, r.due);
    if (Final(r) && r.clock_id != "draft_representations") {
      EXPECT_EQ(l, r) << "a closed row never changes";
    }
    if (r.status == S::kOverdue) {
      EXPECT_NE(l.status, S::kMet);
      EXPECT_NE(l.status, S::kPending);
    }
    if (r.clock_id == "draft_representations" && r.status == S::kMet) {
      EXPECT_EQ(l.status, S::kMet);
    }
  }
}

int Rank(const v1::Event& e) { return JourneyRank(e.payload()); }

// The same facts recorded in another order: same-day events of the same
// kind keep their relative order (the journey's last tie-break).
std::vector<v1::Event> Reorder(const std::vector<v1::Event>& events,
                               std::mt19937_64& rng) {
  std::vector<v1::Event> out(events.begin() + 1, events.end());
  std::vector<size_t> perm(out.size());
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = i;
  std::shuffle(perm.begin(), perm.end(), rng);
  // Group members keep their original relative order in their new slots.
  std::map<std::pair<std::string, int>, std::vector<size_t>> slots, members;
  for (size_t pos = 0; pos < perm.size(); ++pos) {
    const v1::Event& e = out[perm[pos]];
    slots[{e.occurred_on(), Rank(e)}].push_back(pos);
  }
  for (size_t i = 0; i < out.size(); ++i) {
    members[{out[i].occurred_on(), Rank(out[i])}].push_back(i);
  }
  std::vector<v1::Event> shuffled(out.size());
  for (auto& [group, positions] : slots) {
    const std::vector<size_t>& m = members[group];
    for (size_t k = 0; k < positions.size(); ++k) {
      shuffled[positions[k]] = out[m[k]];
    }
  }
  std::vector<v1::Event> result = {events.front()};
  for (v1::Event& e : shuffled) result.push_back(std::move(e));
  for (size_t i = 0; i < result.size(); ++i) {
    result[i].set_case_version(static_cast<int64_t>(i) + 1);
    result[i].mutable_recorded_at()->set_seconds(static_cast<int64_t>(i));
  }
  return result;
}

// The journey with every fact after `as_of` dropped: voids kept whatever
// their dates, supersedes after as_of replaced by a plain void of their
// target.
std::vector<v1::Event> TruncateAt(const std::vector<v1::Event>& events,
                                  absl::CivilDay as_of) {
  const std::string last = FormatDate(as_of);
  std::vector<v1::Event> out;
  for (const v1::Event& e : events) {
    if (e.payload().has_case_opened() || e.payload().has_event_voided() ||
        e.occurred_on() <= last) {
      out.push_back(e);
      continue;
    }
    if (!e.supersedes_event_id().empty()) {
      v1::Event v = e;
      v.clear_supersedes_event_id();
      v.mutable_payload()->mutable_event_voided()->set_target_event_id(
          e.supersedes_event_id());
      out.push_back(std::move(v));
    }
  }
  return out;
}

TEST(ClocksGeneratedTest, InvariantsHoldForThousandsOfRandomJourneys) {
  JourneyGenerator gen(20250901);
  std::mt19937_64 rng(7);
  std::map<std::string, std::set<S>> seen;
  int failures_before = 0;
  for (int n = 0; n < kJourneys; ++n) {
    const std::vector<v1::Event> events = gen.Generate();
    const std::string where = absl::StrCat("journey ", n);
    absl::CivilDay first = absl::CivilDay::max();
    absl::CivilDay last = absl::CivilDay::min();
    for (size_t i = 1; i < events.size(); ++i) {
      const absl::CivilDay d = *ParseDate(events[i].occurred_on());
      first = std::min(first, d);
      last = std::max(last, d);
    }
    if (events.size() < 2) continue;
    // Evaluation dates: a few inside the journey, month ends, and after it.
    std::vector<absl::CivilDay> dates;
    const int span = static_cast<int>(last - first) + 1;
    for (int k = 0; k < 3; ++k) {
      dates.push_back(first + std::uniform_int_distribution<int>(0, span)(rng));
    }
    dates.push_back(LastDayOfMonth(dates[0]));
    dates.push_back(last);
    dates.push_back(last + std::uniform_int_distribution<int>(1, 900)(rng));
    std::sort(dates.begin(), dates.end());

    std::vector<std::vector<ClockRow>> results;
    for (absl::CivilDay as_of : dates) {
      results.push_back(EvaluateClocks(events, as_of));
      CheckRows(results.back(), as_of,
                absl::StrCat(where, " as of ", FormatDate(as_of)));
      CheckAgainstJourney(results.back(), events, as_of,
                          absl::StrCat(where, " as of ", FormatDate(as_of)));
      for (const ClockRow& r : results.back()) seen[r.clock_id].insert(r.status);
    }
    for (size_t k = 1; k < dates.size(); ++k) {
      CheckMonotone(results[k - 1], results[k], where);
    }
    // Recording order does not matter, only the facts.
    const absl::CivilDay final_date = dates.back();
    EXPECT_EQ(EvaluateClocks(Reorder(events, rng), final_date), results.back())
        << where << " reordered";
    // as_of ignores later facts but not later voids.
    const absl::CivilDay mid = dates[1];
    EXPECT_EQ(EvaluateClocks(TruncateAt(events, mid), mid), results[1])
        << where << " truncated at " << FormatDate(mid);
    // as_known_at T is the journey recorded up to T.
    const size_t k = std::uniform_int_distribution<size_t>(
        1, events.size() - 1)(rng);
    const std::vector<v1::Event> prefix(events.begin(), events.begin() + k + 1);
    EXPECT_EQ(EvaluateClocks(events, final_date, RecordedAt(events[k])),
              EvaluateClocks(prefix, final_date))
        << where << " known at version " << k + 1;
    EXPECT_EQ(EvaluateClocks(events, final_date, absl::InfiniteFuture()),
              results.back());

    if (::testing::Test::HasFailure() && failures_before == 0) {
      for (const auto& e : events) std::cerr << e.ShortDebugString() << "\n";
    }
    if (::testing::Test::HasFailure() && ++failures_before > 3) {
      FAIL() << "stopping after repeated failures";
    }
  }
  // The generator reaches every status each clock can take.
  const std::map<std::string, std::set<S>> expected = {
      {"decision_to_assess",
       {S::kPending, S::kMet, S::kBreached, S::kOverdue, S::kExcused}},
      {"advice", {S::kPending, S::kMet, S::kBreached, S::kOverdue, S::kExcused}},
      {"decision_not_to_issue",
       {S::kPending, S::kMet, S::kBreached, S::kNotApplicable}},
      {"final_plan_20w",
       {S::kPending, S::kMet, S::kBreached, S::kOverdue, S::kExcused,
        S::kNotApplicable}},
      {"draft_representations", {S::kPending, S::kMet}},
      {"annual_review",
       {S::kPending, S::kMet, S::kBreached, S::kOverdue, S::kNotApplicable}},
      {"review_report",
       {S::kPending, S::kMet, S::kBreached, S::kOverdue, S::kNotApplicable}},
      {"review_decision",
       {S::kPending, S::kMet, S::kBreached, S::kOverdue, S::kNotApplicable}},
      {"amendment",
       {S::kPending, S::kMet, S::kBreached, S::kOverdue, S::kNotApplicable}},
      {"phase_transfer",
       {S::kPending, S::kMet, S::kBreached, S::kOverdue, S::kNotApplicable}},
      {"transfer_in_notice",
       {S::kPending, S::kMet, S::kBreached, S::kOverdue, S::kNotApplicable}},
      {"transfer_in_review",
       {S::kPending, S::kMet, S::kBreached, S::kOverdue, S::kNotApplicable}},
      {"reassessment", {S::kPending, S::kMet, S::kBreached, S::kOverdue}},
      {"tribunal_order", {S::kPending, S::kMet, S::kBreached, S::kOverdue}},
      {"premature_final_plan", {S::kMet, S::kBreached}},
      {"preparing_for_adulthood", {S::kMet, S::kBreached}},
  };
  for (const auto& [clock, statuses] : expected) {
    for (S s : statuses) {
      EXPECT_TRUE(seen[clock].contains(s))
          << clock << " never " << ClockStatusName(s);
    }
  }
}


// The replay (replay.h) of generated journeys, as of random dates and as
// known at random instants: every entry's clocks are EvaluateClocks of the
// journey up to it as of its day; the entries are in journey order; every
// event known is listed once (or beside its correction) or counted as after
// the date, and every event not known is counted as recorded later.
TEST(CaseReplayGeneratedTest, EveryEntryHoldsTheClocksOfItsJourneyPrefix) {
  JourneyGenerator gen(20261205);
  std::mt19937_64 rng(13);
  int with_corrections = 0, with_removed = 0;
  for (int n = 0; n < 1500; ++n) {
    const std::vector<v1::Event> events = gen.Generate();
    if (events.size() < 2) continue;
    std::vector<const v1::Event*> ptrs;
    for (const v1::Event& e : events) ptrs.push_back(&e);
    absl::CivilDay first = absl::CivilDay::max(), last = absl::CivilDay::min();
    for (size_t i = 1; i < events.size(); ++i) {
      const absl::CivilDay d = *ParseDate(events[i].occurred_on());
      first = std::min(first, d);
      last = std::max(last, d);
    }
    const absl::CivilDay as_of =
        first + std::uniform_int_distribution<int>(
                    0, static_cast<int>(last - first) + 30)(rng);
    std::optional<absl::Time> known_at;
    if (std::bernoulli_distribution(0.5)(rng)) {
      known_at = RecordedAt(events[std::uniform_int_distribution<size_t>(
          0, events.size() - 1)(rng)]);
    }
    const std::string where = absl::StrCat(
        "journey ", n, " as of ", FormatDate(as_of), " known at ",
        known_at ? absl::FormatTime(*known_at) : "now");
    CaseReplay replay(ptrs, as_of, known_at);
    std::vector<v1::Event> prefix = {events[0]};  // the opening
    std::set<std::string> seen;
    int64_t later = 0, unknown = 0;
    const v1::Event* previous = nullptr;
    ReplayEntry entry;
    while (replay.Next(&entry)) {
      const absl::CivilDay on = *ParseDate(entry.event->occurred_on());
      ASSERT_LE(on, as_of) << where;
      ASSERT_TRUE(KnownAt(*entry.event, known_at)) << where;
      if (previous != nullptr) {
        ASSERT_FALSE(JourneyBefore(*entry.event, *previous)) << where;
      }
      previous = entry.event;
      EXPECT_TRUE(seen.insert(entry.event->event_id()).second) << where;
      if (entry.corrects != nullptr) {
        ++with_corrections;
        EXPECT_TRUE(seen.insert(entry.corrects->event_id()).second) << where;
      }
      if (entry.kind == ReplayEntry::Kind::kRemoved) ++with_removed;
      if (entry.kind == ReplayEntry::Kind::kFact) {
        prefix.push_back(*entry.event);
      }
      ASSERT_EQ(entry.clocks, EvaluateClocks(prefix, on))
          << where << " after " << entry.event->ShortDebugString();
    }
    for (const v1::Event& e : events) {
      if (!KnownAt(e, known_at)) {
        ++unknown;
      } else if (!seen.contains(e.event_id())) {
        ++later;
        EXPECT_LT(as_of, *ParseDate(e.occurred_on())) << where;
      }
    }
    EXPECT_EQ(replay.recorded_later(), unknown) << where;
    EXPECT_EQ(replay.after_as_of(), later) << where;
    EXPECT_EQ(replay.FinalClocks(), EvaluateClocks(events, as_of, known_at))
        << where;
    if (::testing::Test::HasFailure()) {
      for (const auto& e : events) std::cerr << e.ShortDebugString() << "\n";
      FAIL() << where;
    }
  }
  // The generator's voids and supersedes reach both ways of showing them.
  EXPECT_GT(with_corrections, 100);
  EXPECT_GT(with_removed, 10);
}

// The case model (case_model.h) extended one event at a time, with its
// clocks advanced in random strides, holds exactly what folding and
// evaluating the whole prefix gives, and decides the next event exactly as
// Decide over the prefix does; late facts, voids and supersedes included.
std::vector<std::string> Sorted(const std::vector<ClockRow>& rows) {
  std::vector<std::string> out;
  for (const ClockRow& r : rows) out.push_back(ClockRowDebugString(r));
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Ids(const std::vector<const v1::Event*>& events) {
  std::vector<std::string> ids;
  for (const v1::Event* e : events) ids.push_back(e->event_id());
  return ids;
}

TEST(CaseModelGeneratedTest, ExtendingEventByEventMatchesFoldingTheWholePrefix) {
  JourneyGenerator gen(20261204);
  std::mt19937_64 rng(11);
  const absl::CivilDay today(2199, 12, 30);
  int in_order = 0, refolded = 0;
  for (int n = 0; n < 1500; ++n) {
    std::vector<v1::Event> events = gen.Generate();
    for (v1::Event& e : events) e.set_global_position(e.case_version());
    CaseModel model("gen");
    std::vector<ClockRow> held;  // what a writer of the changes holds
    int64_t clocks_at = 0;
    for (size_t i = 0; i < events.size(); ++i) {
      const std::string where = absl::StrCat("journey ", n, " version ", i + 1);
      const absl::Span<const v1::Event> prefix(events.data(), i);
      // The next event judged on the model and on the prefix alike.
      const absl::Status on_model = Decide(model, {events[i]}, today);
      if (i > 0 && !events[i].payload().has_case_opened()) {
        const absl::Status on_prefix = Decide(prefix, {events[i]}, today);
        ASSERT_EQ(on_model, on_prefix) << where;
      }
      const int64_t refolds = model.refolds();
      ASSERT_TRUE(model.Extend({events[i]}).ok()) << where;
      (model.refolds() == refolds ? in_order : refolded)++;
      const absl::Span<const v1::Event> upto(events.data(), i + 1);
      ASSERT_EQ(model.state(), FoldCase(upto)) << where;
      ASSERT_EQ(Ids(model.journey()), Ids(EffectiveJourney(upto))) << where;

      // Clocks: advance in strides of 1-3 versions (the tailer's pages).
      if (std::uniform_int_distribution<int>(0, 2)(rng) == 0 &&
          i + 1 < events.size()) {
        continue;
      }
      const int64_t to = static_cast<int64_t>(i) + 1;
      for (ClockFold::Change& c : model.AdvanceClocks(clocks_at, to)) {
        if (c.before) {
          auto it = std::find(held.begin(), held.end(), *c.before);
          ASSERT_NE(it, held.end()) << where << ": " << ClockRowDebugString(*c.before);
          held.erase(it);
        }
        if (c.after) held.push_back(*c.after);
      }
      clocks_at = to;
      ASSERT_EQ(Sorted(held), Sorted(EvaluateClocks(upto, kEndOfTime)))
          << where;
    }
    // A same model re-read from the log (a restart) continues from the
    // rows the writer holds.
    CaseModel reread("gen");
    ASSERT_TRUE(reread.Extend(events).ok());
    EXPECT_TRUE(reread.AdvanceClocks(clocks_at, clocks_at).empty());
    EXPECT_EQ(Sorted(reread.FinalRowsAt(reread.version())), Sorted(held));
  }
  // Both paths were taken many times.
  EXPECT_GT(in_order, 10000);
  EXPECT_GT(refolded, 300);
}

// Long cases: generated journeys recorded one after another into one case,
// each shifted by a random number of days so that they interleave — late
// facts at every depth of a journey of hundreds of events, with voids and
// supersedes among them. The model holds what folding and evaluating the
// whole prefix gives, decides as Decide over the prefix does, and a late
// fact or a correction refolds from the point saved before the first place
// it changes the journey: never more than the events from there on plus
// the spacing of saved points.
std::string Prefixed(int part, const std::string& id) {
  return id.empty() ? id : absl::StrCat("p", part, "_", id);
}

TEST(CaseModelGeneratedTest, LongCasesRefoldOnlyFromTheSavedPointBeforeAChange) {
  JourneyGenerator gen(20261205);
  std::mt19937_64 rng(5);
  const absl::CivilDay today(2199, 12, 30);
  int deep_changes = 0;
  for (int n = 0; n < 10; ++n) {
    std::vector<v1::Event> events = gen.Generate();
    const std::string case_id = events.front().case_id();
    for (int part = 1; events.size() < 320; ++part) {
      const int shift = std::uniform_int_distribution<int>(-1500, 1500)(rng);
      for (const v1::Event& g : gen.Generate()) {
        if (g.payload().has_case_opened()) continue;
        v1::Event& e = events.emplace_back(g);
        e.set_case_id(case_id);
        e.set_case_version(static_cast<int64_t>(events.size()));
        e.set_global_position(e.case_version());
        e.set_event_id(Prefixed(part, g.event_id()));
        e.set_supersedes_event_id(Prefixed(part, g.supersedes_event_id()));
        if (e.payload().has_event_voided()) {
          e.mutable_payload()->mutable_event_voided()->set_target_event_id(
              Prefixed(part, g.payload().event_voided().target_event_id()));
        }
        const absl::StatusOr<absl::CivilDay> on = ParseDate(g.occurred_on());
        if (on.ok()) e.set_occurred_on(FormatDate(*on + shift));
      }
    }
    CaseModel model(case_id);
    std::vector<ClockRow> held;
    int64_t clocks_at = 0;
    for (size_t i = 0; i < events.size(); ++i) {
      const std::string where = absl::StrCat("case ", n, " version ", i + 1);
      const absl::Span<const v1::Event> prefix(events.data(), i);
      if (i > 0 && i % 7 == 0) {
        ASSERT_EQ(Decide(model, {events[i]}, today),
                  Decide(prefix, {events[i]}, today))
            << where;
      }
      const std::vector<std::string> before = Ids(model.journey());
      const int64_t applied = model.refolded_events();
      ASSERT_TRUE(model.Extend({events[i]}).ok()) << where;
      const absl::Span<const v1::Event> upto(events.data(), i + 1);
      const std::vector<std::string> after = Ids(model.journey());
      ASSERT_EQ(after, Ids(EffectiveJourney(upto))) << where;
      ASSERT_EQ(model.state(), FoldCase(upto)) << where;
      // The first place the journey changed.
      size_t changed = 0;
      while (changed < before.size() && changed < after.size() &&
             before[changed] == after[changed]) {
        ++changed;
      }
      const int64_t refolded = model.refolded_events() - applied;
      // The saved points are at most a spacing apart: 64 events at first,
      // doubling as the journey grows so that at most four are kept (under
      // half the journey).
      const size_t spacing = std::max<size_t>(
          JourneyFold<CaseModel::StateFold>::kFirstSpacing, after.size() / 2);
      ASSERT_LE(refolded, static_cast<int64_t>(after.size() - changed + spacing))
          << where << ": changed at " << changed << " of " << after.size();
      if (refolded > 0 && changed >= 128) ++deep_changes;

      if (i % 5 != 4 && i + 1 < events.size()) continue;
      const int64_t to = static_cast<int64_t>(i) + 1;
      for (ClockFold::Change& c : model.AdvanceClocks(clocks_at, to)) {
        if (c.before) {
          auto it = std::find(held.begin(), held.end(), *c.before);
          ASSERT_NE(it, held.end())
              << where << ": " << ClockRowDebugString(*c.before);
          held.erase(it);
        }
        if (c.after) held.push_back(*c.after);
      }
      clocks_at = to;
      ASSERT_EQ(Sorted(held), Sorted(EvaluateClocks(upto, kEndOfTime)))
          << where;
    }
  }
  // Late facts deep in long journeys were refolded from saved points.
  EXPECT_GT(deep_changes, 100);
}

// Advice requested and received on one day, recorded in the order a
// caseworker meets them (a request after a receipt sorts before it in the
// journey): the model places each in the journey without refolding, and
// holds what folding the whole case gives.
TEST(CaseModelTest, SameDayAdviceRecordedOutOfOrderIsFoldedWithoutARefold) {
  std::vector<v1::Event> events;
  auto add = [&](const std::string& on, auto&& fill) {
    v1::Event& e = events.emplace_back();
    e.set_event_id(absl::StrCat("e", events.size()));
    e.set_case_id("c");
    e.set_case_version(static_cast<int64_t>(events.size()));
    e.set_global_position(static_cast<int64_t>(events.size()));
    e.set_occurred_on(on);
    fill(*e.mutable_payload());
  };
  add("2024-01-08", [](v1::EventPayload& p) {
    p.mutable_case_opened()->set_la_code("E06000035");
  });
  add("2024-01-08", [](v1::EventPayload& p) {
    p.mutable_request_received()->set_source(v1::REQUEST_SOURCE_PARENT);
  });
  add("2024-02-01", [](v1::EventPayload& p) {
    p.mutable_assessment_decision()->set_outcome(
        v1::ASSESSMENT_DECISION_OUTCOME_ASSESS);
  });
  for (int day = 0; day < 5; ++day) {
    const std::string on = FormatDate(absl::CivilDay(2024, 2, 2) + day);
    for (int k = 0; k < 4; ++k) {
      const std::string id = absl::StrCat("A", day, "_", k);
      add(on, [&](v1::EventPayload& p) {
        p.mutable_advice_requested()->set_advice_id(id);
      });
      add(on, [&](v1::EventPayload& p) {
        p.mutable_advice_received()->set_advice_id(id);
      });
    }
  }
  CaseModel model("c");
  std::vector<ClockRow> held;
  const absl::CivilDay today(2199, 1, 1);
  for (size_t i = 0; i < events.size(); ++i) {
    const absl::Span<const v1::Event> prefix(events.data(), i);
    if (i > 0) {
      EXPECT_EQ(Decide(model, {events[i]}, today),
                Decide(prefix, {events[i]}, today))
          << "version " << i + 1;
    }
    ASSERT_TRUE(model.Extend({events[i]}).ok());
    for (ClockFold::Change& c : model.AdvanceClocks(
             static_cast<int64_t>(i), static_cast<int64_t>(i) + 1)) {
      if (c.before) held.erase(std::find(held.begin(), held.end(), *c.before));
      if (c.after) held.push_back(*c.after);
    }
    const absl::Span<const v1::Event> upto(events.data(), i + 1);
    ASSERT_EQ(model.state(), FoldCase(upto)) << "version " << i + 1;
    ASSERT_EQ(Ids(model.journey()), Ids(EffectiveJourney(upto)));
    ASSERT_EQ(Sorted(held), Sorted(EvaluateClocks(upto, kEndOfTime)));
  }
  EXPECT_EQ(model.refolds(), 0);
  // A receipt of the same id is not independent: it sorts before nothing
  // here, but a request for an id already received on this day would.
  const v1::Event& last = events.back();
  EXPECT_FALSE(SameDayCommutes(last, {&last}));
}

}  // namespace
}  // namespace ehcp::domain
