// The worklists answered from the index — FindCase, ListCases and
// ListDeadlines — equal the same lists computed by brute force
// (domain::FoldCase and domain::EvaluateClocks over every case) for a few
// hundred generated journeys across several LAs, at many dates; they page
// with stable tokens and refuse bad input naming the field.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "domain/dates.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "projections/clock_index.h"
#include "tests/projections/test_util.h"

namespace ehcp::projections {
namespace {

using ::ehcp::projections::testing::AppendInterleaved;
using ::ehcp::projections::testing::BruteForceCases;
using ::ehcp::projections::testing::BruteForceDeadlines;
using ::ehcp::projections::testing::BruteForceFindCase;
using ::ehcp::projections::testing::CaseWriter;
using ::ehcp::projections::testing::Day;
using ::ehcp::projections::testing::Describe;
using ::ehcp::projections::testing::GeneratedCase;
using ::ehcp::projections::testing::JourneyGenerator;
using ::ehcp::projections::testing::ListAllCases;
using ::ehcp::projections::testing::ListAllDeadlines;
using ::ehcp::projections::testing::LoggedCase;
using ::ehcp::projections::testing::ReadAllCases;
using ::ehcp::projections::testing::ScopedTempDir;
using ::testing::HasSubstr;
using S = domain::ClockStatus;

const std::vector<std::string> kLas = {"E06000035", "E10000016", "E10000012",
                                       "E06000033"};

std::unique_ptr<storage::EventLog> OpenLog(const std::string& dir) {
  storage::EventLog::Options options;
  options.sync = false;
  auto log = storage::EventLog::Open(dir, options);
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? *std::move(log) : nullptr;
}

std::unique_ptr<ClockIndex> OpenIndex(const std::string& dir,
                                      storage::EventLog* log) {
  ClockIndex::Options options;
  options.start_tailer = false;
  options.batch_size = 50;
  auto index = ClockIndex::Open(dir, log, options);
  EXPECT_TRUE(index.ok()) << index.status();
  return index.ok() ? *std::move(index) : nullptr;
}

template <typename T>
void ExpectSameList(const std::vector<T>& expected, const std::vector<T>& actual,
                    const std::string& what) {
  EXPECT_EQ(expected.size(), actual.size()) << what;
  for (size_t i = 0; i < std::min(expected.size(), actual.size()); ++i) {
    if (!(expected[i] == actual[i])) {
      ADD_FAILURE() << what << ": first difference at row " << i
                    << "\n expected: " << Describe(expected[i])
                    << "\n actual:   " << Describe(actual[i]);
      return;
    }
  }
}

class WorklistQueriesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScopedTempDir;
    log_ = OpenLog(dir_->Sub("log")).release();
    JourneyGenerator gen(20261206, kLas);
    std::vector<GeneratedCase> cases;
    for (int i = 0; i < 240; ++i) cases.push_back(gen.Generate(i));
    AppendInterleaved(log_, cases, 3);
    for (GeneratedCase& c : cases) gen.Corrections(c);
    AppendInterleaved(log_, cases, 4);
    index_ = OpenIndex(dir_->Sub("index"), log_).release();
    ASSERT_TRUE(index_->CatchUp().ok());
    cases_ = new std::vector<LoggedCase>(ReadAllCases(*log_));
  }
  static void TearDownTestSuite() {
    delete index_;
    delete log_;
    delete cases_;
    delete dir_;
  }

  static std::vector<std::string> Scopes() {
    std::vector<std::string> scopes = {""};
    scopes.insert(scopes.end(), kLas.begin(), kLas.end());
    return scopes;
  }

  static ScopedTempDir* dir_;
  static storage::EventLog* log_;
  static ClockIndex* index_;
  static std::vector<LoggedCase>* cases_;
};

ScopedTempDir* WorklistQueriesTest::dir_ = nullptr;
storage::EventLog* WorklistQueriesTest::log_ = nullptr;
ClockIndex* WorklistQueriesTest::index_ = nullptr;
std::vector<LoggedCase>* WorklistQueriesTest::cases_ = nullptr;

TEST_F(WorklistQueriesTest, FindCaseFindsEveryCaseByItsReference) {
  ASSERT_GT(cases_->size(), 200u);
  for (const LoggedCase& c : *cases_) {
    absl::StatusOr<std::vector<CaseSummary>> found =
        index_->FindCase(c.la_code, c.case_reference);
    ASSERT_TRUE(found.ok()) << c.case_id << ": " << found.status();
    ExpectSameList(BruteForceFindCase(*cases_, c.la_code, c.case_reference),
                   *found, c.case_id);
  }
  // A reference of one LA is not found in another.
  const LoggedCase& first = cases_->front();
  const std::string other = first.la_code == kLas[0] ? kLas[1] : kLas[0];
  absl::StatusOr<std::vector<CaseSummary>> elsewhere =
      index_->FindCase(other, first.case_reference);
  if (BruteForceFindCase(*cases_, other, first.case_reference).empty()) {
    EXPECT_EQ(elsewhere.status().code(), absl::StatusCode::kNotFound);
  }
  absl::StatusOr<std::vector<CaseSummary>> unknown =
      index_->FindCase(kLas[0], "NO-SUCH-REF");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.status().message(),
              HasSubstr("no case with reference \"NO-SUCH-REF\" in LA "
                        "E06000035"));
}

TEST_F(WorklistQueriesTest, FindCaseRefusesBadInputNamingTheField) {
  auto code = [](const std::string& la, const std::string& ref) {
    return index_->FindCase(la, ref).status();
  };
  EXPECT_THAT(code("", "REF1").message(), HasSubstr("la_code: is required"));
  EXPECT_EQ(code("E12000001", "REF1").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(code("E12000001", "REF1").message(), HasSubstr("la_code"));
  EXPECT_EQ(code(kLas[0], "").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(code(kLas[0], "").message(), HasSubstr("case_reference"));
  EXPECT_THAT(code(kLas[0], std::string("a\nb")).message(),
              HasSubstr("case_reference"));
}

TEST_F(WorklistQueriesTest, ListCasesEqualsBruteForce) {
  const std::vector<std::vector<v1::CaseStage>> stage_sets = {
      {},
      {v1::CASE_STAGE_ASSESSING},
      {v1::CASE_STAGE_PLAN_MAINTAINED, v1::CASE_STAGE_CEASED},
      {v1::CASE_STAGE_DRAFT_ISSUED, v1::CASE_STAGE_AWAITING_DECISION,
       v1::CASE_STAGE_NOT_ASSESSED},
      {v1::CASE_STAGE_TRANSFERRED_OUT, v1::CASE_STAGE_OPENED}};
  std::set<v1::CaseStage> seen;
  for (const std::string& la : Scopes()) {
    for (size_t i = 0; i < stage_sets.size(); ++i) {
      CaseFilter filter;
      filter.la_code = la;
      filter.stages = stage_sets[i];
      const std::vector<CaseSummary> expected =
          BruteForceCases(*cases_, filter);
      for (int page_size : {1000, 7, 1}) {
        if (page_size == 1 && i != 1) continue;
        ExpectSameList(expected, ListAllCases(*index_, filter, page_size),
                       absl::StrCat("la ", la, " set ", i, " pages of ",
                                    page_size));
      }
      for (const CaseSummary& c : expected) seen.insert(c.stage);
    }
  }
  // The journeys reach the stages a caseworker lists by.
  for (v1::CaseStage stage :
       {v1::CASE_STAGE_AWAITING_DECISION, v1::CASE_STAGE_ASSESSING,
        v1::CASE_STAGE_NOT_ASSESSED, v1::CASE_STAGE_PLAN_MAINTAINED,
        v1::CASE_STAGE_CEASED}) {
    EXPECT_TRUE(seen.contains(stage)) << v1::CaseStage_Name(stage);
  }
}

TEST_F(WorklistQueriesTest, ListDeadlinesEqualsBruteForceAtManyDates) {
  size_t total = 0;
  std::set<S> statuses;
  std::set<std::string> clocks;
  for (absl::CivilDay as_of(2019, 6, 1); as_of <= absl::CivilDay(2027, 6, 30);
       as_of += 61) {
    for (const std::string& la : Scopes()) {
      // The caseworker's fortnight, a quarter either side, and a window
      // that reaches back to clocks already overdue.
      for (const auto& [from, to] :
           std::vector<std::pair<absl::CivilDay, absl::CivilDay>>{
               {as_of, as_of + 14},
               {as_of - 90, as_of + 90},
               {absl::CivilDay(2014, 1, 1), absl::CivilDay(2060, 1, 1)}}) {
        DeadlineFilter filter;
        filter.la_code = la;
        filter.as_of = as_of;
        filter.due_from = from;
        filter.due_to = to;
        absl::StatusOr<DeadlinePage> first = index_->ListDeadlines(filter, {});
        if (!first.ok()) {
          // Before any event of the LA.
          EXPECT_EQ(first.status().code(), absl::StatusCode::kInvalidArgument);
          EXPECT_THAT(first.status().message(), HasSubstr("before any event"));
          continue;
        }
        const std::vector<Deadline> expected =
            BruteForceDeadlines(*cases_, filter);
        ExpectSameList(expected, ListAllDeadlines(*index_, filter, 1000),
                       absl::StrCat("as_of ", domain::FormatDate(as_of), " la ",
                                    la, " from ", domain::FormatDate(from)));
        total += expected.size();
        for (const Deadline& d : expected) {
          statuses.insert(d.row.status);
          clocks.insert(d.row.clock_id);
        }
      }
    }
  }
  EXPECT_GT(total, 2000u);
  EXPECT_EQ(statuses, (std::set<S>{S::kPending, S::kOverdue, S::kExcused}));
  for (const char* clock : {"decision_to_assess", "advice", "final_plan_20w",
                            "annual_review", "review_decision", "amendment"}) {
    EXPECT_TRUE(clocks.contains(clock)) << clock;
  }
  // Never a window or a compliance check.
  EXPECT_FALSE(clocks.contains("draft_representations"));
  EXPECT_FALSE(clocks.contains("premature_final_plan"));
}

TEST_F(WorklistQueriesTest, SmallDeadlinePagesYieldExactlyTheFullList) {
  for (const std::string& la : {std::string(), kLas[2]}) {
    DeadlineFilter filter;
    filter.la_code = la;
    filter.as_of = Day("2024-03-01");
    filter.due_from = Day("2023-01-01");
    filter.due_to = Day("2024-12-31");
    const std::vector<Deadline> expected = BruteForceDeadlines(*cases_, filter);
    ASSERT_GT(expected.size(), 20u);
    for (int page_size : {1, 7, 100}) {
      ExpectSameList(expected, ListAllDeadlines(*index_, filter, page_size),
                     absl::StrCat("la ", la, " pages of ", page_size));
    }
  }
}

TEST_F(WorklistQueriesTest, WorklistsRefuseBadInputNamingTheField) {
  CaseFilter cases;
  cases.stages = {v1::CASE_STAGE_UNSPECIFIED};
  EXPECT_THAT(index_->ListCases(cases, {}).status().message(),
              HasSubstr("stages[0]"));
  cases.stages = {v1::CASE_STAGE_CEASED, static_cast<v1::CaseStage>(77)};
  EXPECT_THAT(index_->ListCases(cases, {}).status().message(),
              HasSubstr("stages[1]"));
  cases.stages = {};
  cases.la_code = "E99";
  EXPECT_THAT(index_->ListCases(cases, {}).status().message(),
              HasSubstr("la_code"));
  cases.la_code = "E06000001";  // A real LA with no cases here.
  EXPECT_EQ(index_->ListCases(cases, {}).status().code(),
            absl::StatusCode::kNotFound);
  cases.la_code = "";
  EXPECT_THAT(index_->ListCases(cases, {.page_size = 1001}).status().message(),
              HasSubstr("page_size"));

  DeadlineFilter deadlines;
  deadlines.as_of = Day("2025-01-01");
  deadlines.due_from = Day("2025-02-01");
  deadlines.due_to = Day("2025-01-31");
  absl::Status window = index_->ListDeadlines(deadlines, {}).status();
  EXPECT_EQ(window.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(window.message(),
              HasSubstr("due_from: 2025-02-01 is after due_to 2025-01-31"));
  deadlines.due_to = Day("2025-03-01");
  EXPECT_THAT(
      index_->ListDeadlines(deadlines, {.page_size = -1}).status().message(),
      HasSubstr("page_size"));
  deadlines.la_code = "E06000001";
  EXPECT_EQ(index_->ListDeadlines(deadlines, {}).status().code(),
            absl::StatusCode::kNotFound);

  // A token is bound to its query: another filter, or another listing,
  // refuses it.
  deadlines.la_code = "";
  deadlines.due_from = Day("2014-01-01");
  deadlines.due_to = Day("2060-01-01");
  absl::StatusOr<DeadlinePage> page =
      index_->ListDeadlines(deadlines, {.page_size = 1});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_FALSE(page->next_page_token.empty());
  DeadlineFilter other = deadlines;
  other.as_of = Day("2025-01-02");
  absl::Status foreign =
      index_->ListDeadlines(other, {.page_token = page->next_page_token})
          .status();
  EXPECT_THAT(foreign.message(),
              HasSubstr("page_token: was issued for a different query"));
  EXPECT_THAT(
      index_->ListCases({}, {.page_token = page->next_page_token})
          .status()
          .message(),
      HasSubstr("page_token: was issued for a different query"));
  BreachFilter breaches;
  breaches.as_of = Day("2025-01-01");
  EXPECT_THAT(
      index_->ListBreaches(breaches, {.page_token = page->next_page_token})
          .status()
          .message(),
      HasSubstr("page_token: was issued for a different query"));
  EXPECT_THAT(
      index_->ListCases({}, {.page_token = "not a token"}).status().message(),
      HasSubstr("page_token: malformed"));
}

// A case's stage key moves as its journey does, batch by batch, and its
// reference stays findable; the breach and backlog rows carry it too.
TEST(WorklistIndexTest, TheStageKeyFollowsTheJourney) {
  ScopedTempDir dir;
  auto log = OpenLog(dir.Sub("log"));
  auto index = OpenIndex(dir.Sub("index"), log.get());
  const std::string id = "E06000035-00000000000000aa";
  CaseWriter w(log.get(), id);
  w.Open("2024-01-08", "E06000035", "2012-03");
  auto stage_now = [&]() -> v1::CaseStage {
    EXPECT_TRUE(index->CatchUp().ok());
    absl::StatusOr<CasePage> page = index->ListCases({}, {});
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok() || page->cases.size() != 1) {
      ADD_FAILURE() << "expected exactly one listed case";
      return v1::CASE_STAGE_UNSPECIFIED;
    }
    EXPECT_EQ(page->cases[0].case_reference, "REF-" + id);
    absl::StatusOr<std::vector<CaseSummary>> found =
        index->FindCase("E06000035", "REF-" + id);
    EXPECT_TRUE(found.ok()) << found.status();
    if (found.ok() && found->size() == 1) {
      EXPECT_EQ((*found)[0].stage, page->cases[0].stage);
    }
    return page->cases[0].stage;
  };
  EXPECT_EQ(stage_now(), v1::CASE_STAGE_OPENED);
  v1::EventPayload request;
  request.mutable_request_received()->set_source(v1::REQUEST_SOURCE_PARENT);
  w.Append("2024-01-08", request);
  EXPECT_EQ(stage_now(), v1::CASE_STAGE_AWAITING_DECISION);
  v1::EventPayload assess;
  assess.mutable_assessment_decision()->set_outcome(
      v1::ASSESSMENT_DECISION_OUTCOME_ASSESS);
  std::string assess_id;
  w.Append("2024-02-16", assess, &assess_id);
  EXPECT_EQ(stage_now(), v1::CASE_STAGE_ASSESSING);
  // A void takes the decision out again: the stage goes back.
  v1::EventPayload voided;
  voided.mutable_event_voided()->set_target_event_id(assess_id);
  voided.mutable_event_voided()->set_reason("recorded on the wrong case");
  w.Append("2024-02-20", voided);
  EXPECT_EQ(stage_now(), v1::CASE_STAGE_AWAITING_DECISION);
  CaseFilter assessing;
  assessing.stages = {v1::CASE_STAGE_ASSESSING};
  absl::StatusOr<CasePage> none = index->ListCases(assessing, {});
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->cases.empty());

  // The 6-week decision is overdue by 2024-04-01: the breach carries the
  // reference, and so does the open deadline.
  BreachFilter late;
  late.as_of = Day("2024-04-01");
  absl::StatusOr<BreachPage> breaches = index->ListBreaches(late, {});
  ASSERT_TRUE(breaches.ok()) << breaches.status();
  ASSERT_EQ(breaches->breaches.size(), 1u);
  EXPECT_EQ(breaches->breaches[0].case_reference, "REF-" + id);
  DeadlineFilter due;
  due.as_of = Day("2024-02-01");
  due.due_from = Day("2024-02-01");
  due.due_to = Day("2024-02-29");
  absl::StatusOr<DeadlinePage> deadlines = index->ListDeadlines(due, {});
  ASSERT_TRUE(deadlines.ok()) << deadlines.status();
  ASSERT_EQ(deadlines->deadlines.size(), 1u);
  EXPECT_EQ(deadlines->deadlines[0].row.clock_id, "decision_to_assess");
  EXPECT_EQ(deadlines->deadlines[0].row.due, Day("2024-02-19"));
  EXPECT_EQ(deadlines->deadlines[0].row.status, S::kPending);
  EXPECT_EQ(deadlines->deadlines[0].case_reference, "REF-" + id);
}

}  // namespace
}  // namespace ehcp::projections
