// The wire form of a case's state (services/internal/case_convert.h).
#include "services/internal/case_convert.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ehcp::services {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(CaseConvertTest, CarriesIdentityDatesAndCounts) {
  domain::CaseState s;
  s.case_id = "E06000035-0123456789abcdef";
  s.la_code = "E06000035";
  s.case_reference = "MED/2024/0001";
  s.birth_month = absl::CivilMonth(2008, 3);
  s.version = 11;
  s.stage = v1::CASE_STAGE_ASSESSING;
  s.plan_in_force = true;
  s.latest_request_on = absl::CivilDay(2024, 1, 8);
  s.assessment_decision_on = absl::CivilDay(2024, 2, 16);
  s.draft_served_on = absl::CivilDay(2024, 5, 10);
  s.plan_issued_on = absl::CivilDay(2024, 5, 31);
  s.last_amended_on = absl::CivilDay(2025, 7, 1);
  s.last_review_on = absl::CivilDay(2025, 5, 20);
  s.open_advice_ids = {"EP2", "A-1"};
  s.review_meetings = 1;
  s.placement = "URN 118000";
  s.voided_events = 2;

  const v1::CaseState p = ToProto(s, absl::CivilDay(2025, 8, 1));
  EXPECT_EQ(p.case_id(), "E06000035-0123456789abcdef");
  EXPECT_EQ(p.la_code(), "E06000035");
  EXPECT_EQ(p.case_reference(), "MED/2024/0001");
  EXPECT_EQ(p.birth_month(), "2008-03");
  EXPECT_EQ(p.case_version(), 11);
  EXPECT_EQ(p.stage(), v1::CASE_STAGE_ASSESSING);
  EXPECT_TRUE(p.plan_in_force());
  EXPECT_EQ(p.latest_request_on(), "2024-01-08");
  EXPECT_EQ(p.assessment_decision_on(), "2024-02-16");
  EXPECT_EQ(p.draft_served_on(), "2024-05-10");
  EXPECT_EQ(p.plan_issued_on(), "2024-05-31");
  EXPECT_EQ(p.last_amended_on(), "2025-07-01");
  EXPECT_EQ(p.last_review_on(), "2025-05-20");
  EXPECT_EQ(p.ended_on(), "");
  EXPECT_THAT(p.open_advice_ids(), ElementsAre("A-1", "EP2"));
  EXPECT_EQ(p.review_meetings(), 1);
  EXPECT_EQ(p.notices_to(), v1::NOTICE_RECIPIENT_YOUNG_PERSON);
  EXPECT_EQ(p.placement(), "URN 118000");
  EXPECT_EQ(p.voided_events(), 2);
}

TEST(CaseConvertTest, NoticesToIsAsOfTheGivenDay) {
  domain::CaseState s;
  s.birth_month = absl::CivilMonth(2008, 3);
  EXPECT_EQ(ToProto(s, absl::CivilDay(2024, 6, 28)).notices_to(),
            v1::NOTICE_RECIPIENT_PARENT);
  EXPECT_EQ(ToProto(s, absl::CivilDay(2024, 6, 29)).notices_to(),
            v1::NOTICE_RECIPIENT_YOUNG_PERSON);
}

TEST(CaseConvertTest, AnOpenedCaseIsMostlyEmpty) {
  const v1::CaseState p =
      ToProto(domain::CaseState(), absl::CivilDay(2025, 8, 1));
  EXPECT_EQ(p.stage(), v1::CASE_STAGE_OPENED);
  EXPECT_FALSE(p.plan_in_force());
  EXPECT_EQ(p.latest_request_on(), "");
  EXPECT_EQ(p.birth_month(), "");
  EXPECT_THAT(p.open_advice_ids(), IsEmpty());
  EXPECT_EQ(p.notices_to(), v1::NOTICE_RECIPIENT_UNSPECIFIED);
}

}  // namespace
}  // namespace ehcp::services
