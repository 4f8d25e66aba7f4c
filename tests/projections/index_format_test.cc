// The index's keys and values: round trips, ordering, and which rows are
// indexed (index_format.h, FORMAT.md).
#include "projections/internal/index_format.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "tests/projections/test_util.h"

namespace ehcp::projections::index_format {
namespace {

using ::ehcp::projections::testing::Day;
using S = domain::ClockStatus;

TEST(IndexFormatTest, RowKeysRoundTripAndSortByLaClockDateCase) {
  const std::string key = RowKey("E06000035", "final_plan_20w",
                                 Day("2024-05-28"), "E06000035-1", "1");
  EXPECT_EQ(key, std::string("E06000035final_plan_20w\0"
                             "20240528"
                             "E06000035-1\0"
                             "1",
                             9 + 14 + 1 + 8 + 11 + 1 + 1));
  absl::StatusOr<RowKeyParts> parts = ParseRowKey(key);
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->la_code, "E06000035");
  EXPECT_EQ(parts->clock_id, "final_plan_20w");
  EXPECT_EQ(parts->date, Day("2024-05-28"));
  EXPECT_EQ(parts->case_id, "E06000035-1");
  EXPECT_EQ(parts->instance, "1");

  // Date order within a clock, whatever the case id; clock "advice" keys
  // never interleave with "advice_x" keys thanks to the terminator.
  EXPECT_LT(RowKey("E06000035", "advice", Day("2024-01-01"), "z", "1"),
            RowKey("E06000035", "advice", Day("2024-01-02"), "a", "1"));
  EXPECT_LT(RowKey("E06000035", "advice", Day("2199-12-31"), "z", "1"),
            RowKey("E06000035", "advice_x", Day("1900-01-01"), "a", "1"));
  EXPECT_LT(RowKey("E06000035", "advice", Day("2024-01-01"), "a", "Z"),
            RowKey("E06000035", "advice", Day("2024-01-01"), "a!", "1"));

  EXPECT_FALSE(ParseRowKey("E0600").ok());
  EXPECT_FALSE(ParseRowKey("E06000035advice").ok());
  EXPECT_FALSE(ParseRowKey(std::string("E06000035advice\0"
                                       "2024130",
                                       23))
                   .ok());
}

TEST(IndexFormatTest, ValuesRoundTrip) {
  RowSummary summary{S::kBreached, Day("2024-01-08"), Day("2024-05-27"),
                     Day("2024-05-31")};
  const std::string bytes = EncodeRowSummary(summary);
  EXPECT_EQ(bytes, "B202401082024052720240531");
  EXPECT_EQ(*DecodeRowSummary(bytes), summary);
  summary.status = S::kOverdue;
  summary.stop.reset();
  EXPECT_EQ(EncodeRowSummary(summary), "O2024010820240527--------");
  EXPECT_EQ(*DecodeRowSummary(EncodeRowSummary(summary)), summary);
  EXPECT_FALSE(DecodeRowSummary("X202401082024052720240531").ok());
  EXPECT_FALSE(DecodeRowSummary("B20240108").ok());

  CaseEntry entry{"E06000035", v1::CASE_STAGE_PLAN_MAINTAINED};
  EXPECT_EQ(EncodeCaseEntry(entry), "E0600003507");
  EXPECT_EQ(*DecodeCaseEntry(EncodeCaseEntry(entry)), entry);
  EXPECT_EQ(DecodeCaseEntry("E0600003510").status().code(),
            absl::StatusCode::kDataLoss);  // No stage 10.
  EXPECT_FALSE(DecodeCaseEntry("E0600003500").ok());  // UNSPECIFIED.
  EXPECT_FALSE(DecodeCaseEntry("E06000035").ok());    // Version 2's entry.
  EXPECT_FALSE(DecodeCaseEntry("E0600").ok());
  EXPECT_FALSE(DecodeCaseEntry("E06000035L7").ok());

  LaEntry la{Day("2023-01-09"), 42};
  EXPECT_EQ(absl::BytesToHexString(EncodeLaEntry(la)),
            "3230323330313039000000000000002a");
  EXPECT_EQ(*DecodeLaEntry(EncodeLaEntry(la)), la);
  EXPECT_EQ(*DecodeLaEntry(EncodeLaEntry({})), LaEntry{});
}

TEST(IndexFormatTest, WorklistKeysRoundTrip) {
  const std::string c = "E06000035-5f1c2a9e0b7d4c31";
  EXPECT_EQ(RefKey("E06000035", "MED-2001", c),
            std::string("E06000035MED-2001\0", 18) + c);
  EXPECT_TRUE(RefKey("E06000035", "MED-2001", c)
                  .starts_with(RefPrefix("E06000035", "MED-2001")));
  // "MED-2" is not a prefix match of "MED-20…": the terminator ends it.
  EXPECT_FALSE(RefKey("E06000035", "MED-2001", c)
                   .starts_with(RefPrefix("E06000035", "MED-2")));
  absl::StatusOr<RefKeyParts> ref =
      ParseRefKey(RefKey("E06000035", "MED 2001 (a)", c));
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->la_code, "E06000035");
  EXPECT_EQ(ref->case_reference, "MED 2001 (a)");
  EXPECT_EQ(ref->case_id, c);
  EXPECT_FALSE(ParseRefKey("E06000035MED").ok());
  EXPECT_FALSE(ParseRefKey(std::string("E06000035MED\0", 13)).ok());

  EXPECT_EQ(StageKey("E06000035", v1::CASE_STAGE_ASSESSING, c),
            "E0600003504" + c);
  EXPECT_LT(StageKey("E06000035", v1::CASE_STAGE_DRAFT_ISSUED, "z"),
            StageKey("E06000035", v1::CASE_STAGE_TRANSFERRED_OUT, "a"));
  absl::StatusOr<StageKeyParts> stage =
      ParseStageKey(StageKey("E10000016", v1::CASE_STAGE_CEASED, c));
  ASSERT_TRUE(stage.ok()) << stage.status();
  EXPECT_EQ(stage->la_code, "E10000016");
  EXPECT_EQ(stage->stage, v1::CASE_STAGE_CEASED);
  EXPECT_EQ(stage->case_id, c);
  EXPECT_FALSE(ParseStageKey("E0600003504").ok());
  EXPECT_FALSE(ParseStageKey("E0600003599x").ok());

  EXPECT_EQ(DueKey("E06000035", Day("2024-02-19"), c, "advice", "HEALTH1"),
            "E0600003520240219" + c + std::string("\0advice\0HEALTH1", 15));
  absl::StatusOr<DueKeyParts> due = ParseDueKey(
      DueKey("E06000035", Day("2024-02-19"), c, "tribunal_order", "T1:draft"));
  ASSERT_TRUE(due.ok()) << due.status();
  EXPECT_EQ(due->la_code, "E06000035");
  EXPECT_EQ(due->due, Day("2024-02-19"));
  EXPECT_EQ(due->case_id, c);
  EXPECT_EQ(due->clock_id, "tribunal_order");
  EXPECT_EQ(due->instance, "T1:draft");
  EXPECT_FALSE(ParseDueKey("E0600003520240219").ok());
  EXPECT_FALSE(ParseDueKey("E0600003520240219" + c).ok());
  EXPECT_FALSE(ParseDueKey("E0600003520241319" + c + std::string("\0a\0" "1", 5)).ok());
}

domain::ClockRow Row(const char* clock, S status, const char* trigger,
                     const char* due, const char* stop = nullptr) {
  domain::ClockRow row;
  row.clock_id = clock;
  row.instance = "1";
  row.status = status;
  row.trigger = Day(trigger);
  row.due = Day(due);
  if (stop != nullptr) row.stop = Day(stop);
  return row;
}

TEST(IndexFormatTest, LateFromKeepsOnlyRowsThatCanEverBeLate) {
  // Deadlines: from the day after due, unless met.
  EXPECT_EQ(LateFrom(Row("final_plan_20w", S::kBreached, "2024-01-08",
                         "2024-05-27", "2024-05-31")),
            Day("2024-05-28"));
  EXPECT_EQ(LateFrom(Row("amendment", S::kOverdue, "2025-06-10", "2025-08-05")),
            Day("2025-08-06"));
  EXPECT_EQ(LateFrom(Row("annual_review", S::kNotApplicable, "2024-05-31",
                         "2025-05-30")),
            Day("2025-05-31"));
  EXPECT_EQ(LateFrom(Row("advice", S::kMet, "2024-02-20", "2024-04-02",
                         "2024-04-02")),
            std::nullopt);
  // decision_not_to_issue is never OVERDUE: late only from a late stop.
  EXPECT_EQ(LateFrom(Row("decision_not_to_issue", S::kBreached, "2024-01-08",
                         "2024-04-29", "2024-05-06")),
            Day("2024-05-06"));
  EXPECT_EQ(LateFrom(Row("decision_not_to_issue", S::kNotApplicable,
                         "2024-01-08", "2024-04-29")),
            std::nullopt);
  // Compliance checks: from their stop, when breached.
  EXPECT_EQ(LateFrom(Row("premature_final_plan", S::kBreached, "2024-05-10",
                         "2024-05-24", "2024-05-20")),
            Day("2024-05-20"));
  EXPECT_EQ(LateFrom(Row("premature_final_plan", S::kMet, "2024-05-10",
                         "2024-05-24", "2024-05-31")),
            std::nullopt);
  // Windows never.
  EXPECT_EQ(LateFrom(Row("draft_representations", S::kMet, "2024-05-10",
                         "2024-05-24")),
            std::nullopt);

  EXPECT_TRUE(IndexedAsStopped(Row("final_plan_20w", S::kMet, "2024-01-08",
                                   "2024-05-27", "2024-05-01")));
  EXPECT_FALSE(IndexedAsStopped(
      Row("final_plan_20w", S::kNotApplicable, "2024-01-08", "2024-05-27")));
  EXPECT_FALSE(IndexedAsStopped(
      Row("advice", S::kMet, "2024-01-08", "2024-05-27", "2024-05-01")));

  // `due` keeps the deadline rows that are open on some date.
  EXPECT_TRUE(IndexedAsDue(Row("advice", S::kMet, "2024-01-08", "2024-02-19",
                               "2024-02-01")));
  EXPECT_TRUE(IndexedAsDue(Row("final_plan_20w", S::kNotApplicable,
                               "2024-01-08", "2024-05-27")));
  EXPECT_TRUE(IndexedAsDue(
      Row("decision_not_to_issue", S::kPending, "2024-01-08", "2024-04-29")));
  // Stopped the day it started: never open at the end of a day.
  EXPECT_FALSE(IndexedAsDue(Row("advice", S::kMet, "2024-01-08", "2024-02-19",
                                "2024-01-08")));
  EXPECT_FALSE(IndexedAsDue(Row("draft_representations", S::kPending,
                                "2024-05-10", "2024-05-24")));
  EXPECT_FALSE(IndexedAsDue(Row("premature_final_plan", S::kBreached,
                                "2024-05-10", "2024-05-24", "2024-05-20")));
}

}  // namespace
}  // namespace ehcp::projections::index_format
