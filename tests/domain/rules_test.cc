#include "domain/rules.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ehcp::domain {
namespace {

using absl::CivilDay;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::ExceptionRecorded Exception(v1::ExceptionLimb limb,
                                std::vector<std::string> clocks) {
  v1::ExceptionRecorded x;
  x.set_limb(limb);
  for (auto& c : clocks) x.add_clocks(c);
  x.set_reason("test");
  return x;
}

TEST(RulesTest, CatalogueListsEveryClockInOrder) {
  EXPECT_THAT(
      ClockIds(),
      ElementsAre("decision_to_assess", "advice", "decision_not_to_issue",
                  "final_plan_20w", "draft_representations", "annual_review",
                  "review_report", "review_decision", "amendment",
                  "phase_transfer", "transfer_in_notice", "transfer_in_review",
                  "reassessment", "tribunal_order", "age_25_cessation",
                  "premature_final_plan", "preparing_for_adulthood"));
  EXPECT_TRUE(IsKnownClockId("advice"));
  EXPECT_FALSE(IsKnownClockId("waiting_list"));
  EXPECT_EQ(CatalogueIndex("final_plan_20w"), 3);
  EXPECT_EQ(CatalogueIndex("nope"), -1);
}

TEST(RulesTest, NoRuleBeforeSeptember2014) {
  for (const std::string& id : ClockIds()) {
    EXPECT_EQ(FindClockRule(id, CivilDay(2014, 8, 31)), nullptr) << id;
    EXPECT_NE(FindClockRule(id, CivilDay(2014, 9, 1)), nullptr) << id;
    EXPECT_NE(FindClockRule(id, CivilDay(2040, 1, 1)), nullptr) << id;
  }
}

TEST(RulesTest, VersionsOfEachClockTileTimeWithoutGaps) {
  for (const std::string& id : ClockIds()) {
    const auto versions = ClockRuleVersions(id);
    ASSERT_FALSE(versions.empty()) << id;
    EXPECT_EQ(versions.front()->effective_from, CivilDay(2014, 9, 1)) << id;
    EXPECT_FALSE(versions.back()->effective_to.has_value()) << id;
    for (size_t i = 1; i < versions.size(); ++i) {
      ASSERT_TRUE(versions[i - 1]->effective_to.has_value()) << id;
      EXPECT_EQ(*versions[i - 1]->effective_to + 1,
                versions[i]->effective_from)
          << id;
    }
  }
}

TEST(RulesTest, DueDatesFollowTheCatalogue) {
  const CivilDay request(2024, 1, 8);
  EXPECT_EQ(DueDate(*FindClockRule("decision_to_assess", request), request),
            CivilDay(2024, 2, 19));
  EXPECT_EQ(DueDate(*FindClockRule("decision_not_to_issue", request), request),
            CivilDay(2024, 4, 29));
  EXPECT_EQ(DueDate(*FindClockRule("final_plan_20w", request), request),
            CivilDay(2024, 5, 27));
  EXPECT_EQ(DueDate(*FindClockRule("reassessment", request), request),
            request + 98);
  const CivilDay plan(2024, 5, 31);
  EXPECT_EQ(DueDate(*FindClockRule("annual_review", plan), plan),
            CivilDay(2025, 5, 30));
  EXPECT_EQ(DueDate(*FindClockRule("draft_representations", plan), plan),
            CivilDay(2024, 6, 14));
}

TEST(RulesTest, AnnualReviewDueFromLeapDayIs27FebruaryNextYear) {
  const CivilDay leap(2024, 2, 29);
  EXPECT_EQ(DueDate(*FindClockRule("annual_review", leap), leap),
            CivilDay(2025, 2, 27));
}

TEST(RulesTest, PhaseTransferDueFourteenthFebruaryOrThirtiethMarch) {
  const ClockRule& rule =
      *FindClockRule("phase_transfer", CivilDay(2024, 9, 1));
  DueInputs in;
  in.transfer_year = 2025;
  in.variant = "primary_to_secondary";
  EXPECT_EQ(DueDate(rule, CivilDay(2024, 9, 1), in), CivilDay(2025, 2, 14));
  in.variant = "secondary_to_post16";
  EXPECT_EQ(DueDate(rule, CivilDay(2024, 9, 1), in), CivilDay(2025, 3, 30));
  in.transfer_year = 0;
  EXPECT_EQ(DueDate(rule, CivilDay(2024, 9, 1), in), std::nullopt);
}

TEST(RulesTest, TribunalOrderDueByOrderKind) {
  const CivilDay order(2024, 3, 1);
  const ClockRule& rule = *FindClockRule("tribunal_order", order);
  auto due = [&](const char* part) {
    DueInputs in;
    in.variant = part;
    return DueDate(rule, order, in);
  };
  EXPECT_EQ(due("assess"), order + 14);
  EXPECT_EQ(due("make_plan:draft"), order + 35);
  EXPECT_EQ(due("make_plan:final"), order + 77);
  EXPECT_EQ(due("amend"), order + 35);
  EXPECT_EQ(due("change_school"), order + 14);
  EXPECT_EQ(due("continue_and_amend"), order + 35);
  EXPECT_EQ(due("make_plan"), std::nullopt);
}

TEST(RulesTest, TransferInReviewTakesLaterOfLastReviewYearAndThreeMonths) {
  const CivilDay transfer(2024, 11, 30);
  const ClockRule& rule = *FindClockRule("transfer_in_review", transfer);
  // Without the old LA's last review: the 3 months beginning with the
  // transfer (+ 3 months − 1 day).
  EXPECT_EQ(DueDate(rule, transfer), CivilDay(2025, 2, 27));
  DueInputs in;
  // Reviewed 2023-12-01: its 12 months ended 2024-11-30, before 3 months.
  in.last_reviewed_on = CivilDay(2023, 12, 1);
  EXPECT_EQ(DueDate(rule, transfer, in), CivilDay(2025, 2, 27));
  // Reviewed 2024-06-11: due 2025-06-10, the later.
  in.last_reviewed_on = CivilDay(2024, 6, 11);
  EXPECT_EQ(DueDate(rule, transfer, in), CivilDay(2025, 6, 10));
}

TEST(RulesTest, TransferInReviewFromALeapDayReviewClampsToTheMonthEnd) {
  // 2024-02-29 + 12 months has no 29th: the month's last day, minus one.
  const CivilDay transfer(2024, 3, 4);
  const ClockRule& rule = *FindClockRule("transfer_in_review", transfer);
  DueInputs in;
  in.last_reviewed_on = CivilDay(2024, 2, 29);
  EXPECT_EQ(DueDate(rule, transfer, in), CivilDay(2025, 2, 27));
}

TEST(RulesTest, Age25CessationDueFirstThirtyFirstJulyAfterTrigger) {
  const ClockRule& rule =
      *FindClockRule("age_25_cessation", CivilDay(2030, 8, 1));
  EXPECT_EQ(DueDate(rule, CivilDay(2030, 8, 1)), CivilDay(2031, 7, 31));
  EXPECT_EQ(DueDate(rule, CivilDay(2030, 7, 1)), CivilDay(2030, 7, 31));
  EXPECT_EQ(DueDate(rule, CivilDay(2030, 1, 1)), CivilDay(2030, 7, 31));
  EXPECT_EQ(DueDate(rule, CivilDay(2030, 12, 1)), CivilDay(2031, 7, 31));
}

TEST(RulesTest, DevonReadingInForceFromEighthMarch2022) {
  EXPECT_EQ(FindClockRule("review_decision", CivilDay(2022, 3, 7))->stop_rule,
            StopRule::kFirstStop);
  const ClockRule* devon = FindClockRule("review_decision", CivilDay(2022, 3, 8));
  EXPECT_EQ(devon->stop_rule, StopRule::kLaterOfAmendDecisionAndFirstProposal);
  EXPECT_EQ(devon->version, "devon_2022");
}

TEST(RulesTest, CovidLimbOnlyInForceForTriggersInItsWindow) {
  for (const char* id : {"decision_to_assess", "advice", "final_plan_20w",
                         "annual_review", "review_decision", "tribunal_order",
                         "age_25_cessation"}) {
    EXPECT_FALSE(FindClockRule(id, CivilDay(2020, 4, 30))
                     ->Allows(v1::EXCEPTION_LIMB_COVID_2020))
        << id;
    EXPECT_TRUE(FindClockRule(id, CivilDay(2020, 5, 1))
                    ->Allows(v1::EXCEPTION_LIMB_COVID_2020))
        << id;
    EXPECT_TRUE(FindClockRule(id, CivilDay(2020, 9, 25))
                    ->Allows(v1::EXCEPTION_LIMB_COVID_2020))
        << id;
    EXPECT_FALSE(FindClockRule(id, CivilDay(2020, 9, 26))
                     ->Allows(v1::EXCEPTION_LIMB_COVID_2020))
        << id;
    EXPECT_TRUE(LimbAllowed(v1::EXCEPTION_LIMB_COVID_2020, id)) << id;
  }
  // The overlay keeps the clock's own limbs.
  EXPECT_TRUE(FindClockRule("final_plan_20w", CivilDay(2020, 6, 1))
                  ->Allows(v1::EXCEPTION_LIMB_REG10_4_C));
  // Windows and compliance checks are not deadlines.
  EXPECT_FALSE(
      LimbAllowed(v1::EXCEPTION_LIMB_COVID_2020, "draft_representations"));
  EXPECT_FALSE(
      LimbAllowed(v1::EXCEPTION_LIMB_COVID_2020, "premature_final_plan"));
}

TEST(RulesTest, LimbsAllowedPerClock) {
  EXPECT_TRUE(LimbAllowed(v1::EXCEPTION_LIMB_REG5_4_A, "decision_to_assess"));
  EXPECT_FALSE(LimbAllowed(v1::EXCEPTION_LIMB_REG10_4_A, "decision_to_assess"));
  EXPECT_TRUE(LimbAllowed(v1::EXCEPTION_LIMB_REG8_2_C, "advice"));
  EXPECT_TRUE(LimbAllowed(v1::EXCEPTION_LIMB_REG10_4_D, "final_plan_20w"));
  EXPECT_TRUE(
      LimbAllowed(v1::EXCEPTION_LIMB_REG10_4_B, "decision_not_to_issue"));
  EXPECT_TRUE(LimbAllowed(v1::EXCEPTION_LIMB_REG27_3_C, "reassessment"));
  EXPECT_TRUE(LimbAllowed(v1::EXCEPTION_LIMB_REG44_3_B, "tribunal_order"));
  EXPECT_FALSE(LimbAllowed(v1::EXCEPTION_LIMB_REG44_3_B, "annual_review"));
  EXPECT_FALSE(LimbAllowed(v1::EXCEPTION_LIMB_REG5_4_C, "unknown_clock"));
}

TEST(RulesTest, LimbNamesFollowSection8) {
  EXPECT_EQ(LimbName(v1::EXCEPTION_LIMB_REG5_4_A), "reg5_4_a");
  EXPECT_EQ(LimbName(v1::EXCEPTION_LIMB_REG8_2_C), "reg8_2_c");
  EXPECT_EQ(LimbName(v1::EXCEPTION_LIMB_REG10_4_D), "reg10_4_d");
  EXPECT_EQ(LimbName(v1::EXCEPTION_LIMB_REG27_3_B), "reg27_3_b");
  EXPECT_EQ(LimbName(v1::EXCEPTION_LIMB_REG44_3_A), "reg44_3_a");
  EXPECT_EQ(LimbName(v1::EXCEPTION_LIMB_COVID_2020), "covid_2020");
  EXPECT_EQ(LimbName(v1::EXCEPTION_LIMB_UNSPECIFIED), "unspecified");
  EXPECT_EQ(PhaseTransferKindName(v1::PHASE_TRANSFER_KIND_SECONDARY_TO_POST16),
            "secondary_to_post16");
  EXPECT_EQ(TribunalOrderKindName(v1::TRIBUNAL_ORDER_KIND_MAKE_PLAN),
            "make_plan");
}

TEST(RulesTest, ClockRefsNameInstancesAndTribunalOrderParts) {
  EXPECT_TRUE(RefNamesInstance(ParseClockRef("advice"), "advice", "EP1"));
  EXPECT_TRUE(RefNamesInstance(ParseClockRef("advice:EP1"), "advice", "EP1"));
  EXPECT_FALSE(RefNamesInstance(ParseClockRef("advice:EP1"), "advice", "EP2"));
  EXPECT_FALSE(RefNamesInstance(ParseClockRef("advice:EP"), "advice", "EP1"));
  EXPECT_TRUE(RefNamesInstance(ParseClockRef("tribunal_order:T1"),
                               "tribunal_order", "T1:draft"));
  EXPECT_TRUE(RefNamesInstance(ParseClockRef("tribunal_order:T1:final"),
                               "tribunal_order", "T1:final"));
  EXPECT_FALSE(RefNamesInstance(ParseClockRef("tribunal_order:T1:final"),
                                "tribunal_order", "T1:draft"));
  EXPECT_FALSE(RefNamesInstance(ParseClockRef("tribunal_order:T"),
                                "tribunal_order", "T1:draft"));
  EXPECT_FALSE(RefNamesInstance(ParseClockRef("final_plan_20w"),
                                "decision_to_assess", "1"));
}

TEST(RulesTest, ExceptionWithAllowedLimbIsAccepted) {
  EXPECT_TRUE(CheckExceptionAllowed(
                  Exception(v1::EXCEPTION_LIMB_REG10_4_C,
                            {"final_plan_20w", "decision_not_to_issue:2"}))
                  .ok());
  EXPECT_TRUE(CheckExceptionAllowed(
                  Exception(v1::EXCEPTION_LIMB_COVID_2020,
                            {"annual_review", "advice:EP1"}))
                  .ok());
  EXPECT_TRUE(CheckExceptionAllowed(Exception(v1::EXCEPTION_LIMB_REG44_3_A,
                                              {"tribunal_order:T1"}))
                  .ok());
}

TEST(RulesTest, ExceptionNamingLimbNotAllowedForAClockIsRefusedWhole) {
  const absl::Status s = CheckExceptionAllowed(Exception(
      v1::EXCEPTION_LIMB_REG10_4_C, {"final_plan_20w", "decision_to_assess"}));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("reg10_4_c"));
  EXPECT_THAT(s.message(), HasSubstr("decision_to_assess"));
}

TEST(RulesTest, WaitingListIsNoExceptionForAdvice) {
  // There is no waiting-list limb; reg 5(4) is not an advice limb either.
  const absl::Status s = CheckExceptionAllowed(
      Exception(v1::EXCEPTION_LIMB_REG5_4_C, {"advice:HEALTH1"}));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("advice"));
}

TEST(RulesTest, ExceptionNamingUnknownClockIsRefused) {
  const absl::Status s = CheckExceptionAllowed(
      Exception(v1::EXCEPTION_LIMB_COVID_2020, {"advice", "waiting_list:1"}));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("waiting_list"));
  EXPECT_THAT(s.message(), HasSubstr("covid_2020"));
}

TEST(RulesTest, ExceptionForClockWithNoLimbsIsRefused) {
  EXPECT_EQ(CheckExceptionAllowed(Exception(v1::EXCEPTION_LIMB_REG10_4_C,
                                            {"annual_review"}))
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckExceptionAllowed(Exception(v1::EXCEPTION_LIMB_COVID_2020,
                                            {"draft_representations"}))
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(RulesTest, MalformedExceptionIsInvalidArgument) {
  EXPECT_EQ(CheckExceptionAllowed(
                Exception(v1::EXCEPTION_LIMB_UNSPECIFIED, {"advice"}))
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      CheckExceptionAllowed(Exception(v1::EXCEPTION_LIMB_REG8_2_A, {})).code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckExceptionAllowed(
                Exception(v1::EXCEPTION_LIMB_REG8_2_A, {"advice:"}))
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      CheckExceptionAllowed(Exception(v1::EXCEPTION_LIMB_REG8_2_A, {":1"}))
          .code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(RulesTest, BacklogClocksAreMarkedInTheCatalogue) {
  std::vector<std::string> backlog;
  for (const std::string& id : ClockIds()) {
    if (FindClockRule(id, CivilDay(2024, 1, 1))->counts_in_backlog) {
      backlog.push_back(id);
    }
  }
  EXPECT_THAT(backlog, ElementsAre("annual_review", "review_decision",
                                   "amendment", "phase_transfer",
                                   "transfer_in_review"));
}

}  // namespace
}  // namespace ehcp::domain
