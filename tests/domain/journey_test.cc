#include "domain/journey.h"

#include "gtest/gtest.h"

namespace ehcp::domain {
namespace {

v1::Event Make(int version, const char* on, const char* id) {
  v1::Event e;
  e.set_case_version(version);
  e.set_occurred_on(on);
  e.set_event_id(id);
  e.mutable_recorded_at()->set_seconds(1'700'000'000 + version * 100);
  return e;
}

std::vector<std::string> Ids(const std::vector<const v1::Event*>& j) {
  std::vector<std::string> ids;
  for (const v1::Event* e : j) ids.push_back(e->event_id());
  return ids;
}

TEST(JourneyTest, SameDayEventsFollowJourneyOrderNotRecordingOrder) {
  std::vector<v1::Event> events;
  events.push_back(Make(1, "2024-01-01", "open"));
  events.back().mutable_payload()->mutable_case_opened();
  events.push_back(Make(2, "2024-05-31", "final"));
  events.back().mutable_payload()->mutable_final_plan_issued();
  events.push_back(Make(3, "2024-05-31", "draft"));
  events.back().mutable_payload()->mutable_draft_plan_served();
  events.push_back(Make(4, "2024-01-08", "request"));
  events.back().mutable_payload()->mutable_request_received();
  EXPECT_EQ(Ids(EffectiveJourney(events)),
            (std::vector<std::string>{"request", "draft", "final"}));
}

TEST(JourneyTest, VoidAndSupersedeRemoveTheirTargetsWhateverTheDates) {
  std::vector<v1::Event> events;
  events.push_back(Make(1, "2024-01-08", "request"));
  events.back().mutable_payload()->mutable_request_received();
  events.push_back(Make(2, "2024-02-01", "decision"));
  events.back().mutable_payload()->mutable_assessment_decision();
  events.push_back(Make(3, "2024-01-01", "void"));
  events.back().mutable_payload()->mutable_event_voided()->set_target_event_id(
      "decision");
  events.push_back(Make(4, "2024-02-10", "decision2"));
  events.back().mutable_payload()->mutable_assessment_decision();
  events.push_back(Make(5, "2024-02-11", "decision3"));
  events.back().mutable_payload()->mutable_assessment_decision();
  events.back().set_supersedes_event_id("decision2");
  EXPECT_EQ(Ids(EffectiveJourney(events)),
            (std::vector<std::string>{"request", "decision3"}));
}

TEST(JourneyTest, AsKnownAtHidesLaterRecordingsIncludingVoids) {
  std::vector<v1::Event> events;
  events.push_back(Make(1, "2024-01-08", "request"));
  events.back().mutable_payload()->mutable_request_received();
  events.push_back(Make(2, "2024-02-01", "decision"));
  events.back().mutable_payload()->mutable_assessment_decision();
  events.push_back(Make(3, "2024-02-02", "void"));
  events.back().mutable_payload()->mutable_event_voided()->set_target_event_id(
      "decision");
  const absl::Time after_two = RecordedAt(events[1]);
  EXPECT_EQ(Ids(EffectiveJourney(events, after_two)),
            (std::vector<std::string>{"request", "decision"}));
  EXPECT_EQ(Ids(EffectiveJourney(events, RecordedAt(events[0]))),
            (std::vector<std::string>{"request"}));
  EXPECT_EQ(Ids(EffectiveJourney(events)),
            (std::vector<std::string>{"request"}));
}

}  // namespace
}  // namespace ehcp::domain
