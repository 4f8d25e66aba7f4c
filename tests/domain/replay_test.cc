// The auditor's replay (domain/replay.h) on journeys written out by hand:
// order, corrections beside what they take out, what "as known at" and
// "as of" leave out, recording lags, and the clocks after each event.
#include "domain/replay.h"

#include <string>
#include <vector>

#include "domain/clocks.h"
#include "domain/journey.h"
#include "gtest/gtest.h"
#include "tests/domain/clock_test_util.h"

namespace ehcp::domain {
namespace {

using testing::Day;
using testing::JourneyBuilder;
using testing::Row;
using Kind = ReplayEntry::Kind;

std::vector<const v1::Event*> Pointers(const std::vector<v1::Event>& events) {
  std::vector<const v1::Event*> out;
  for (const v1::Event& e : events) out.push_back(&e);
  return out;
}

std::vector<ReplayEntry> All(CaseReplay& replay) {
  std::vector<ReplayEntry> out;
  ReplayEntry entry;
  while (replay.Next(&entry)) out.push_back(entry);
  return out;
}

TEST(CaseReplayTest, ListsEventsInTheOrderTheyHappenedNotTheOrderRecorded) {
  JourneyBuilder j("2015-03");
  const std::string request = j.Request("2024-01-08");
  // The decision is recorded first, the request's advice late.
  const std::string decision = j.AssessDecision("2024-02-16");
  const std::string advice =
      j.RecordLate(30).AdviceRequested("2024-02-01", "EP1");
  const auto events = Pointers(j.events());
  CaseReplay replay(events, Day("2024-06-01"), std::nullopt);
  const std::vector<ReplayEntry> entries = All(replay);
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].kind, Kind::kOpened);
  EXPECT_EQ(entries[1].event->event_id(), request);
  EXPECT_EQ(entries[2].event->event_id(), advice);
  EXPECT_EQ(entries[3].event->event_id(), decision);
  EXPECT_EQ(entries[2].recording_lag_days, 30);
  EXPECT_EQ(entries[1].recording_lag_days, 0);
}

TEST(CaseReplayTest, ClocksAfterEachEventAreThoseOfItsDayWithTheJourneySoFar) {
  JourneyBuilder j("2015-03");
  j.Request("2024-01-08");
  j.AssessDecision("2024-03-01");  // 53 days: six weeks was 2024-02-19
  const auto events = Pointers(j.events());
  CaseReplay replay(events, Day("2024-09-01"), std::nullopt);
  const std::vector<ReplayEntry> entries = All(replay);
  ASSERT_EQ(entries.size(), 3u);
  // After the request, on its day: the 6-week clock is pending, due
  // 2024-02-19 (42 days), and the 20-week clock too.
  const ClockRow after_request = Row(entries[1].clocks, "decision_to_assess", "1");
  EXPECT_EQ(after_request.status, ClockStatus::kPending);
  EXPECT_EQ(after_request.days_remaining, 42);
  // After the decision, on its day: stopped 11 days late.
  const ClockRow after_decision =
      Row(entries[2].clocks, "decision_to_assess", "1");
  EXPECT_EQ(after_decision.status, ClockStatus::kBreached);
  EXPECT_EQ(after_decision.days_late, 11);
  // The final clocks are those of the replay's date.
  EXPECT_EQ(replay.FinalClocks(),
            EvaluateClocks(j.events(), Day("2024-09-01")));
}

TEST(CaseReplayTest, AVoidCarriesTheEventItTakesOutAndTheClocksForgetIt) {
  JourneyBuilder j("2015-03");
  j.Request("2024-01-08");
  const std::string wrong = j.AssessDecision("2024-01-20");
  const std::string void_id = j.Void("2024-01-25", wrong);
  const auto events = Pointers(j.events());
  CaseReplay replay(events, Day("2024-06-01"), std::nullopt);
  const std::vector<ReplayEntry> entries = All(replay);
  ASSERT_EQ(entries.size(), 3u);  // opened, request, void (wrong beside it)
  EXPECT_EQ(entries[2].kind, Kind::kVoid);
  EXPECT_EQ(entries[2].event->event_id(), void_id);
  ASSERT_NE(entries[2].corrects, nullptr);
  EXPECT_EQ(entries[2].corrects->event_id(), wrong);
  // The decision never happened: the 6-week clock is open, as of the day of
  // the void.
  EXPECT_EQ(Row(entries[2].clocks, "decision_to_assess", "1").status,
            ClockStatus::kPending);
}

TEST(CaseReplayTest, ASupersedeStandsAtItsOwnDateWithItsTargetBeside) {
  JourneyBuilder j("2015-03");
  j.Request("2024-01-08");
  const std::string wrong = j.AssessDecision("2024-01-20");
  const std::string right = j.AssessDecision("2024-03-01");
  j.Supersedes(wrong);
  const auto events = Pointers(j.events());
  CaseReplay replay(events, Day("2024-06-01"), std::nullopt);
  const std::vector<ReplayEntry> entries = All(replay);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[2].kind, Kind::kFact);
  EXPECT_EQ(entries[2].event->event_id(), right);
  ASSERT_NE(entries[2].corrects, nullptr);
  EXPECT_EQ(entries[2].corrects->event_id(), wrong);
  EXPECT_EQ(Row(entries[2].clocks, "decision_to_assess", "1").status,
            ClockStatus::kBreached);
}

// §8 Order 3: a void removes its target whatever its date; a replay up to a
// date before the void shows the target as removed, at its own place.
TEST(CaseReplayTest, AnEventVoidedAfterTheReplaysDateIsListedAsRemoved) {
  JourneyBuilder j("2015-03");
  j.Request("2024-01-08");
  const std::string wrong = j.AssessDecision("2024-01-20");
  const std::string void_id = j.Void("2024-05-01", wrong);
  const auto events = Pointers(j.events());
  CaseReplay replay(events, Day("2024-02-01"), std::nullopt);
  const std::vector<ReplayEntry> entries = All(replay);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[2].kind, Kind::kRemoved);
  EXPECT_EQ(entries[2].event->event_id(), wrong);
  EXPECT_EQ(entries[2].removed_by_event_id, void_id);
  EXPECT_EQ(replay.after_as_of(), 1);  // the void itself
  EXPECT_EQ(Row(entries[2].clocks, "decision_to_assess", "1").status,
            ClockStatus::kPending);
}

TEST(CaseReplayTest, AsKnownAtLeavesOutLaterRecordingsAndCountsThem) {
  JourneyBuilder j("2015-03");
  j.Request("2024-01-08");
  j.RecordLate(40).AssessDecision("2024-02-16");
  const auto events = Pointers(j.events());
  // Known at noon on 2024-03-01: the decision, recorded 2024-03-27, is not.
  const absl::Time at = absl::FromCivil(absl::CivilSecond(2024, 3, 1, 12, 0, 0),
                                        absl::UTCTimeZone());
  CaseReplay replay(events, Day("2024-06-01"), at);
  EXPECT_EQ(replay.recorded_later(), 1);
  EXPECT_EQ(replay.known_version(), 2);
  const std::vector<ReplayEntry> entries = All(replay);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(replay.FinalClocks(),
            EvaluateClocks(j.events(), Day("2024-06-01"), at));
  EXPECT_EQ(Row(replay.FinalClocks(), "decision_to_assess", "1").status,
            ClockStatus::kOverdue);
}

// The age-25 clock opens on the first of the birthday month with no event:
// the replay shows it from the first event on or after that day.
TEST(CaseReplayTest, TheAge25ClockAppearsFromTheFirstEventAfterItsTrigger) {
  JourneyBuilder j("2000-02");
  j.Request("2023-01-09");
  j.AssessDecision("2023-02-01");
  j.Final("2023-05-01");
  j.Meeting("2025-01-31");
  j.Meeting("2025-02-01");
  const auto events = Pointers(j.events());
  CaseReplay replay(events, Day("2025-06-01"), std::nullopt);
  const std::vector<ReplayEntry> entries = All(replay);
  ASSERT_EQ(entries.size(), 6u);
  EXPECT_FALSE(testing::HasRow(entries[4].clocks, "age_25_cessation", "1"));
  EXPECT_TRUE(testing::HasRow(entries[5].clocks, "age_25_cessation", "1"));
  EXPECT_EQ(entries[5].clocks,
            EvaluateClocks(j.events(), Day("2025-02-01")));
}

}  // namespace
}  // namespace ehcp::domain
