// The alert scheduler (projections/alert_scheduler.h) against a day-by-day
// reference: journeys are recorded as the days pass (each event on its own
// date, corrections later), the scheduler is moved a day at a time, and its
// alerts must be exactly those that evaluating every case's clocks every
// day (domain::EvaluateClocks, twice a day: before and after the day's
// events) and applying the rules of docs/alerts.md yields — each once, in
// day order, with gap-free sequence numbers, across restarts.
#include "projections/alert_scheduler.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cases/event_codec.h"
#include "domain/clocks.h"
#include "domain/dates.h"
#include "domain/rules.h"
#include "gtest/gtest.h"
#include "projections/internal/alert_format.h"
#include "storage/event_log.h"
#include "tests/projections/test_util.h"

namespace ehcp::projections {
namespace {

using ::ehcp::projections::testing::CaseWriter;
using ::ehcp::projections::testing::Day;
using ::ehcp::projections::testing::GeneratedCase;
using ::ehcp::projections::testing::JourneyGenerator;
using ::ehcp::projections::testing::MakeEvent;
using ::ehcp::projections::testing::ScopedTempDir;

std::unique_ptr<storage::EventLog> OpenLog(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<storage::EventLog>> log =
      storage::EventLog::Open(dir, {});
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? *std::move(log) : nullptr;
}

std::unique_ptr<AlertScheduler> OpenScheduler(const std::string& dir,
                                              storage::EventLog* log,
                                              absl::CivilDay today) {
  AlertScheduler::Options options;
  options.start_thread = false;
  absl::StatusOr<std::unique_ptr<AlertScheduler>> scheduler =
      AlertScheduler::Open(dir, log, today, options);
  EXPECT_TRUE(scheduler.ok()) << scheduler.status();
  return scheduler.ok() ? *std::move(scheduler) : nullptr;
}

std::vector<Alert> AllAlerts(const AlertScheduler& scheduler,
                             const AlertFilter& filter = {}) {
  std::vector<Alert> all;
  for (uint64_t from = 1;;) {
    absl::StatusOr<AlertPage> page = scheduler.ListAlerts(from, filter, 100);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    all.insert(all.end(), page->alerts.begin(), page->alerts.end());
    if (page->next_sequence == from) break;
    from = page->next_sequence;
  }
  return all;
}

// What identifies an alert for comparison with the reference: everything
// but its sequence number and log position.
using AlertKey = std::tuple<absl::CivilDay, std::string, std::string,
                            std::string, AlertKind, int, int>;
AlertKey KeyOf(const Alert& a) {
  return {a.day,  a.case_id,   a.clock_id,      a.instance,
          a.kind, a.days_late, a.days_remaining};
}

// The rules of docs/alerts.md, written out again over whole evaluations:
// for each case, what has been announced of each instance.
class ReferenceAlerts {
 public:
  explicit ReferenceAlerts(absl::CivilDay first_day) : first_day_(first_day) {}

  // The case's clocks as of `day`, from the events recorded so far.
  void Look(const std::string& case_id, const std::vector<v1::Event>& events,
            absl::CivilDay day) {
    const AlertScheduler::LeadDays lead_days;
    std::map<std::pair<std::string, std::string>, int>& flags = flags_[case_id];
    std::set<std::pair<std::string, std::string>> listed;
    for (const domain::ClockRow& row : domain::EvaluateClocks(events, day)) {
      const auto id = std::make_pair(row.clock_id, row.instance);
      if (!listed.insert(id).second) continue;
      int& f = flags[id];
      const domain::ClockRule* rule =
          domain::FindClockRule(row.clock_id, row.trigger);
      const bool overdue = row.status == domain::ClockStatus::kOverdue;
      const int lead = lead_days.For(row.clock_id);
      if (rule->kind == domain::ClockKind::kDeadline &&
          row.status == domain::ClockStatus::kPending && !row.stop && row.due &&
          (f & 3) == 0 && lead > 0 && day >= *row.due - lead &&
          day <= *row.due) {
        Add(day, case_id, row, AlertKind::kDueSoon, 0,
            static_cast<int>(*row.due - day));
        f |= 1;
      }
      if ((f & 2) == 0 && overdue) {
        Add(day, case_id, row, AlertKind::kBreached, row.days_late, 0);
        f |= 2 | 4;
      } else if ((f & 2) == 0 && row.status == domain::ClockStatus::kBreached &&
                 row.stop && *row.stop >= first_day_) {
        Add(day, case_id, row, AlertKind::kBreached, row.days_late, 0);
        f |= 2;
      }
      if ((f & 4) != 0 && (f & 8) == 0 && !overdue) {
        Add(day, case_id, row, AlertKind::kResolved, row.days_late, 0);
        f |= 8;
      }
    }
    for (auto& [id, f] : flags) {
      if (f == 0 || listed.contains(id) || (f & 16) != 0) continue;
      expected_.emplace(day, case_id, id.first, id.second,
                        AlertKind::kWithdrawn, 0, 0);
      f |= 16;
    }
  }

  const std::multiset<AlertKey>& expected() const { return expected_; }

 private:
  void Add(absl::CivilDay day, const std::string& case_id,
           const domain::ClockRow& row, AlertKind kind, int late,
           int remaining) {
    expected_.emplace(day, case_id, row.clock_id, row.instance, kind, late,
                      remaining);
  }

  absl::CivilDay first_day_;
  std::map<std::string, std::map<std::pair<std::string, std::string>, int>>
      flags_;
  std::multiset<AlertKey> expected_;
};

// Records every case's events on their own dates (never before an event
// already recorded for the case), with the corrections a few weeks later,
// and moves the scheduler one day at a time from `from` to `to`. Every
// `reopen_every` days (0: never) the scheduler is closed and reopened.
struct Simulation {
  ScopedTempDir dir;
  std::unique_ptr<storage::EventLog> log;
  std::unique_ptr<AlertScheduler> scheduler;
  std::vector<GeneratedCase> cases;
  // Per day: (case index, event) in recording order.
  std::map<absl::CivilDay, std::vector<std::pair<size_t, v1::Event>>> diary;

  void Plan(uint64_t seed, int count, absl::CivilDay from) {
    JourneyGenerator generator(seed, {"E06000035", "E08000025", "E10000016"});
    for (int i = 0; i < count; ++i) {
      GeneratedCase c = generator.Generate(i);
      std::vector<v1::Event> corrections = generator.Corrections(c);
      cases.push_back(c);
      const size_t index = cases.size() - 1;
      absl::CivilDay last = from;
      // Generate() appended the corrections to c.events; record the
      // journey first, then the corrections.
      const size_t journey_size = c.events.size() - corrections.size();
      for (size_t k = 0; k < c.events.size(); ++k) {
        const v1::Event& e = c.events[k];
        absl::CivilDay on = *domain::ParseDate(e.occurred_on());
        if (k >= journey_size) on = last + 21;  // Corrections come later.
        last = std::max({last, on, from});
        diary[last].push_back({index, e});
      }
    }
  }

  void Run(absl::CivilDay from, absl::CivilDay to, int reopen_every,
           ReferenceAlerts* reference) {
    log = OpenLog(dir.Sub("log"));
    scheduler = OpenScheduler(dir.Sub("alerts"), log.get(), from);
    std::vector<std::vector<v1::Event>> recorded(cases.size());
    std::vector<uint64_t> versions(cases.size(), 0);
    int day_number = 0;
    for (absl::CivilDay day = from; day <= to; ++day, ++day_number) {
      if (reopen_every > 0 && day_number > 0 &&
          day_number % reopen_every == 0) {
        scheduler->Close();
        scheduler = OpenScheduler(dir.Sub("alerts"), log.get(), day - 1);
      }
      scheduler->SetToday(day);
      ASSERT_TRUE(scheduler->CatchUp().ok());
      if (day > from) {
        for (size_t i = 0; i < cases.size(); ++i) {
          if (!recorded[i].empty()) {
            reference->Look(cases[i].case_id, recorded[i], day);
          }
        }
      }
      auto it = diary.find(day);
      if (it == diary.end()) continue;
      std::set<size_t> touched;
      for (const auto& [index, event] : it->second) {
        v1::Event e = event;
        e.set_case_version(static_cast<int64_t>(++versions[index]));
        storage::AppendRequest request;
        request.stream_id = cases[index].case_id;
        request.expected = storage::ExpectedVersion::Exact(versions[index] - 1);
        request.records.push_back(cases::EncodeEvent(e));
        absl::StatusOr<storage::AppendResult> result =
            log->Append(std::move(request));
        ASSERT_TRUE(result.ok()) << result.status();
        e.set_global_position(static_cast<int64_t>(result->last_position));
        recorded[index].push_back(e);
        touched.insert(index);
      }
      ASSERT_TRUE(scheduler->CatchUp().ok());
      for (size_t index : touched) {
        reference->Look(cases[index].case_id, recorded[index], day);
      }
    }
  }
};

std::vector<Alert> ExpectMatchesReference(uint64_t seed, int reopen_every) {
  const absl::CivilDay from = Day("2023-03-01");
  const absl::CivilDay to = Day("2024-06-30");
  Simulation sim;
  sim.Plan(seed, 36, from);
  ReferenceAlerts reference(from);
  sim.Run(from, to, reopen_every, &reference);
  EXPECT_NE(sim.scheduler, nullptr);
  if (sim.scheduler == nullptr) return {};
  const std::vector<Alert> alerts = AllAlerts(*sim.scheduler);

  // Gap-free, in day order.
  for (size_t i = 0; i < alerts.size(); ++i) {
    EXPECT_EQ(alerts[i].sequence, i + 1);
    if (i > 0) {
      EXPECT_LE(alerts[i - 1].day, alerts[i].day) << i;
    }
  }
  std::multiset<AlertKey> got;
  for (const Alert& a : alerts) got.insert(KeyOf(a));
  EXPECT_EQ(got, reference.expected());
  // Every kind is exercised by the generated journeys.
  std::set<AlertKind> kinds;
  for (const Alert& a : alerts) kinds.insert(a.kind);
  EXPECT_TRUE(kinds.contains(AlertKind::kDueSoon));
  EXPECT_TRUE(kinds.contains(AlertKind::kBreached));
  EXPECT_TRUE(kinds.contains(AlertKind::kResolved));
  // Once per instance and kind.
  std::set<std::tuple<std::string, std::string, std::string, AlertKind>> once;
  for (const Alert& a : alerts) {
    EXPECT_TRUE(once.insert({a.case_id, a.clock_id, a.instance, a.kind}).second)
        << a.case_id << " " << a.clock_id << " " << a.instance << " "
        << AlertKindName(a.kind);
  }
  return alerts;
}

TEST(AlertSchedulerTest, AYearOfDaysRaisesWhatTheDayByDayEvaluationRaises) {
  ExpectMatchesReference(/*seed=*/7, /*reopen_every=*/0);
}

TEST(AlertSchedulerTest, ReopeningEveryFewWeeksRepeatsAndLosesNothing) {
  ExpectMatchesReference(/*seed=*/11, /*reopen_every=*/37);
}

TEST(AlertSchedulerTest, GeneratedJourneysRaiseWhatTheReferenceRaises) {
  int withdrawn = 0;
  for (uint64_t seed : {21, 22, 23}) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    for (const Alert& a : ExpectMatchesReference(seed, 0)) {
      withdrawn += a.kind == AlertKind::kWithdrawn;
    }
  }
  // The generated corrections void some announced clocks.
  EXPECT_GT(withdrawn, 0);
}

// One request for an assessment: the 6-week decision clock is due soon 14
// days before its due date, breached the day after, and resolved by a late
// decision.
TEST(AlertSchedulerTest, ALateDecisionIsDueSoonThenBreachedThenResolved) {
  ScopedTempDir dir;
  std::unique_ptr<storage::EventLog> log = OpenLog(dir.Sub("log"));
  CaseWriter c(log.get(), "E06000035-case-1");
  c.Open("2025-01-06", "E06000035");
  v1::EventPayload request;
  request.mutable_request_received()->set_source(v1::REQUEST_SOURCE_PARENT);
  c.Append("2025-01-06", request);
  std::unique_ptr<AlertScheduler> scheduler =
      OpenScheduler(dir.Sub("alerts"), log.get(), Day("2025-01-06"));
  ASSERT_TRUE(scheduler->CatchUp().ok());
  // Due 2025-02-17 (6 weeks); lead 14 days.
  scheduler->SetToday(Day("2025-02-02"));
  ASSERT_TRUE(scheduler->CatchUp().ok());
  AlertFilter decision;
  decision.clock_ids = {"decision_to_assess"};
  EXPECT_TRUE(AllAlerts(*scheduler, decision).empty());
  scheduler->SetToday(Day("2025-02-03"));
  ASSERT_TRUE(scheduler->CatchUp().ok());
  std::vector<Alert> alerts = AllAlerts(*scheduler, decision);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, AlertKind::kDueSoon);
  EXPECT_EQ(alerts[0].day, Day("2025-02-03"));
  EXPECT_EQ(alerts[0].due, Day("2025-02-17"));
  EXPECT_EQ(alerts[0].days_remaining, 14);
  EXPECT_EQ(alerts[0].la_code, "E06000035");
  EXPECT_FALSE(alerts[0].case_reference.empty());

  scheduler->SetToday(Day("2025-02-17"));
  ASSERT_TRUE(scheduler->CatchUp().ok());
  EXPECT_EQ(AllAlerts(*scheduler, decision).size(), 1u);
  scheduler->SetToday(Day("2025-02-18"));
  ASSERT_TRUE(scheduler->CatchUp().ok());
  alerts = AllAlerts(*scheduler, decision);
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[1].kind, AlertKind::kBreached);
  EXPECT_EQ(alerts[1].day, Day("2025-02-18"));
  EXPECT_EQ(alerts[1].days_late, 1);

  // Days pass: nothing more until the decision.
  scheduler->SetToday(Day("2025-03-03"));
  ASSERT_TRUE(scheduler->CatchUp().ok());
  EXPECT_EQ(AllAlerts(*scheduler, decision).size(), 2u);
  v1::EventPayload decided;
  decided.mutable_assessment_decision()->set_outcome(
      v1::ASSESSMENT_DECISION_OUTCOME_ASSESS);
  c.Append("2025-03-03", decided);
  ASSERT_TRUE(scheduler->CatchUp().ok());
  alerts = AllAlerts(*scheduler, decision);
  ASSERT_EQ(alerts.size(), 3u);
  EXPECT_EQ(alerts[2].kind, AlertKind::kResolved);
  EXPECT_EQ(alerts[2].days_late, 14);
}

TEST(AlertSchedulerTest, AVoidedRequestWithdrawsItsAnnouncedClocks) {
  ScopedTempDir dir;
  std::unique_ptr<storage::EventLog> log = OpenLog(dir.Sub("log"));
  CaseWriter c(log.get(), "E06000035-case-2");
  c.Open("2025-01-06", "E06000035");
  v1::EventPayload request;
  request.mutable_request_received()->set_source(v1::REQUEST_SOURCE_PARENT);
  std::string request_id;
  c.Append("2025-01-06", request, &request_id);
  std::unique_ptr<AlertScheduler> scheduler =
      OpenScheduler(dir.Sub("alerts"), log.get(), Day("2025-02-10"));
  ASSERT_TRUE(scheduler->CatchUp().ok());
  AlertFilter decision;
  decision.clock_ids = {"decision_to_assess"};
  ASSERT_EQ(AllAlerts(*scheduler, decision).size(), 1u);  // DUE_SOON
  v1::EventPayload void_it;
  void_it.mutable_event_voided()->set_target_event_id(request_id);
  void_it.mutable_event_voided()->set_reason(
      "recorded against the wrong child");
  c.Append("2025-02-10", void_it);
  ASSERT_TRUE(scheduler->CatchUp().ok());
  const std::vector<Alert> alerts = AllAlerts(*scheduler, decision);
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[1].kind, AlertKind::kWithdrawn);
  EXPECT_EQ(alerts[1].due, Day("2025-02-17"));
  // Days pass: a withdrawn clock raises nothing more.
  scheduler->SetToday(Day("2025-03-31"));
  ASSERT_TRUE(scheduler->CatchUp().ok());
  EXPECT_EQ(AllAlerts(*scheduler, decision).size(), 2u);
}

TEST(AlertSchedulerTest, HistoryBeforeTheFirstDayRaisesOnlyWhatIsStillOpen) {
  ScopedTempDir dir;
  std::unique_ptr<storage::EventLog> log = OpenLog(dir.Sub("log"));
  // A decision made late in 2024, and a request still undecided.
  CaseWriter closed(log.get(), "E06000035-old");
  closed.Open("2024-01-08", "E06000035");
  v1::EventPayload request;
  request.mutable_request_received()->set_source(v1::REQUEST_SOURCE_PARENT);
  closed.Append("2024-01-08", request);
  v1::EventPayload decided;
  decided.mutable_assessment_decision()->set_outcome(
      v1::ASSESSMENT_DECISION_OUTCOME_ASSESS);
  closed.Append("2024-04-01", decided);
  CaseWriter open(log.get(), "E06000035-open");
  open.Open("2024-01-08", "E06000035");
  open.Append("2024-01-08", request);
  std::unique_ptr<AlertScheduler> scheduler =
      OpenScheduler(dir.Sub("alerts"), log.get(), Day("2025-06-01"));
  ASSERT_TRUE(scheduler->CatchUp().ok());
  AlertFilter decision;
  decision.clock_ids = {"decision_to_assess"};
  const std::vector<Alert> alerts = AllAlerts(*scheduler, decision);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].case_id, "E06000035-open");
  EXPECT_EQ(alerts[0].kind, AlertKind::kBreached);
}

TEST(AlertSchedulerTest, TheDayNeverMovesBackAndListingsValidateTheirFilter) {
  ScopedTempDir dir;
  std::unique_ptr<storage::EventLog> log = OpenLog(dir.Sub("log"));
  std::unique_ptr<AlertScheduler> scheduler =
      OpenScheduler(dir.Sub("alerts"), log.get(), Day("2025-06-01"));
  scheduler->SetToday(Day("2025-06-10"));
  ASSERT_TRUE(scheduler->CatchUp().ok());
  scheduler->SetToday(Day("2025-06-02"));
  ASSERT_TRUE(scheduler->CatchUp().ok());
  EXPECT_EQ(scheduler->Status().day, Day("2025-06-10"));
  EXPECT_EQ(scheduler->Status().first_day, Day("2025-06-01"));
  scheduler->Close();
  // Reopened "yesterday": the stored day stands.
  scheduler = OpenScheduler(dir.Sub("alerts"), log.get(), Day("2025-06-05"));
  EXPECT_EQ(scheduler->Status().day, Day("2025-06-10"));

  AlertFilter bad_la;
  bad_la.la_code = "X123";
  EXPECT_EQ(scheduler->ListAlerts(1, bad_la, 10).status().code(),
            absl::StatusCode::kInvalidArgument);
  AlertFilter bad_clock;
  bad_clock.clock_ids = {"no_such_clock"};
  EXPECT_EQ(scheduler->ListAlerts(1, bad_clock, 10).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(scheduler->ListAlerts(0, {}, 10).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<AlertPage> empty = scheduler->ListAlerts(1, {}, 10);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->alerts.empty());
  EXPECT_EQ(empty->next_sequence, 1u);
}

TEST(AlertSchedulerTest, AnAlertLogAheadOfTheEventLogIsRefused) {
  ScopedTempDir dir;
  {
    std::unique_ptr<storage::EventLog> log = OpenLog(dir.Sub("log"));
    CaseWriter c(log.get(), "E06000035-case-3");
    c.Open("2025-01-06", "E06000035");
    std::unique_ptr<AlertScheduler> scheduler =
        OpenScheduler(dir.Sub("alerts"), log.get(), Day("2025-01-06"));
    ASSERT_TRUE(scheduler->CatchUp().ok());
    EXPECT_EQ(scheduler->Status().checkpoint, 1u);
  }
  std::unique_ptr<storage::EventLog> other = OpenLog(dir.Sub("other-log"));
  AlertScheduler::Options options;
  options.start_thread = false;
  absl::StatusOr<std::unique_ptr<AlertScheduler>> reopened =
      AlertScheduler::Open(dir.Sub("alerts"), other.get(), Day("2025-01-07"),
                           options);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(reopened.status().message().find("position 1"), std::string::npos)
      << reopened.status();
}

TEST(AlertSchedulerTest, WatchersAreNotifiedWhenTheirSequenceIsRaised) {
  ScopedTempDir dir;
  std::unique_ptr<storage::EventLog> log = OpenLog(dir.Sub("log"));
  std::unique_ptr<AlertScheduler> scheduler =
      OpenScheduler(dir.Sub("alerts"), log.get(), Day("2025-02-10"));
  std::vector<bool> calls;
  const uint64_t token = scheduler->NotifyAtSequence(
      1, [&calls](bool ok) { calls.push_back(ok); });
  EXPECT_NE(token, 0u);
  EXPECT_TRUE(calls.empty());
  CaseWriter c(log.get(), "E06000035-case-4");
  c.Open("2025-01-06", "E06000035");
  v1::EventPayload request;
  request.mutable_request_received()->set_source(v1::REQUEST_SOURCE_PARENT);
  c.Append("2025-01-06", request);
  ASSERT_TRUE(scheduler->CatchUp().ok());
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_TRUE(calls[0]);
  // Already raised: at once.
  EXPECT_EQ(scheduler->NotifyAtSequence(
                1, [&calls](bool ok) { calls.push_back(ok); }),
            0u);
  EXPECT_EQ(calls.size(), 2u);
  // Pending at close: told false.
  scheduler->NotifyAtSequence(1000, [&calls](bool ok) { calls.push_back(ok); });
  scheduler->Close();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_FALSE(calls[2]);
}

TEST(AlertFormatTest, AlertsAndInstanceStatesRoundTrip) {
  Alert alert{.sequence = 42,
              .kind = AlertKind::kBreached,
              .day = Day("2025-02-18"),
              .position = 9,
              .case_id = "E06000035-x",
              .case_reference = "MED/2025/001",
              .la_code = "E06000035",
              .clock_id = "final_plan_20w",
              .instance = "1",
              .due = Day("2025-02-17"),
              .days_late = 1,
              .days_remaining = -3};
  absl::StatusOr<Alert> back =
      alert_format::DecodeAlert(42, alert_format::EncodeAlert(alert));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, alert);
  alert.due.reset();
  back = alert_format::DecodeAlert(42, alert_format::EncodeAlert(alert));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, alert);
  EXPECT_EQ(alert_format::DecodeAlert(42, "Bshort").status().code(),
            absl::StatusCode::kDataLoss);

  alert_format::InstanceState state{.flags = 7, .due = Day("2024-02-29")};
  absl::StatusOr<alert_format::InstanceState> state_back =
      alert_format::DecodeInstanceState(
          alert_format::EncodeInstanceState(state));
  ASSERT_TRUE(state_back.ok());
  EXPECT_EQ(*state_back, state);
  absl::StatusOr<alert_format::InstanceKeyParts> parts =
      alert_format::ParseInstanceKey(
          alert_format::InstanceKey("case", "advice", "EP1"));
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->case_id, "case");
  EXPECT_EQ(parts->clock_id, "advice");
  EXPECT_EQ(parts->instance, "EP1");
}

}  // namespace
}  // namespace ehcp::projections
