// The demo journeys of deploy/demo, read as `ehcpctl load` reads them and
// judged as ehcpd judges them: input validation, admissibility of the whole
// journey as of 2026-11-23, and the clock statuses deploy/demo/README.md
// promises for each.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "domain/admissibility.h"
#include "domain/clocks.h"
#include "domain/dates.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/case_requests.h"
#include "tools/internal/event_files.h"

namespace ehcp::tools {
namespace {

// "Today" for the demo: every journey is dated on or before it.
constexpr absl::CivilDay kToday(2026, 11, 23);

// Seed councils (docs/law.md §1).
const char* const kSeedCouncils[] = {"E06000035", "E10000016", "E10000012",
                                     "E06000033", "E10000003"};

std::vector<std::string> DemoFiles() {
  absl::StatusOr<std::vector<std::string>> files = ListJsonFiles(EHCP_DEMO_DIR);
  return files.ok() ? *files : std::vector<std::string>{};
}

Journey LoadJourney(const std::string& file) {
  absl::StatusOr<std::string> text = ReadInput(file);
  EXPECT_TRUE(text.ok()) << text.status();
  absl::StatusOr<Journey> journey = ParseJourneyJson(text.value_or(""), file);
  EXPECT_TRUE(journey.ok()) << journey.status();
  return journey.value_or(Journey{});
}

// The case's events as ehcpd would store them: CaseOpened at version 1,
// then the journey's events, each with an id, a version and a recording
// time.
std::vector<v1::Event> Stored(const Journey& j) {
  std::vector<v1::Event> events;
  v1::Event opened;
  opened.set_occurred_on(j.opened_on);
  v1::CaseOpened* o = opened.mutable_payload()->mutable_case_opened();
  o->set_la_code(j.la_code);
  o->set_case_reference(j.case_reference);
  o->set_birth_month(j.birth_month);
  events.push_back(opened);
  for (const v1::ProposedEvent& p : j.events) {
    v1::Event e;
    e.set_occurred_on(p.occurred_on());
    e.set_supersedes_event_id(p.supersedes_event_id());
    *e.mutable_payload() = p.payload();
    events.push_back(e);
  }
  for (size_t i = 0; i < events.size(); ++i) {
    events[i].set_event_id(absl::StrFormat("%032x", i + 1));
    events[i].set_case_id("demo");
    events[i].set_case_version(static_cast<int64_t>(i + 1));
    events[i].mutable_recorded_at()->set_seconds(1795000000);
  }
  return events;
}

TEST(DemoDataTest, ThereAreAboutADozenJourneysAcrossTheSeedCouncils) {
  const std::vector<std::string> files = DemoFiles();
  EXPECT_GE(files.size(), 10u);
  std::map<std::string, int> per_council;
  for (const std::string& f : files) ++per_council[LoadJourney(f).la_code];
  for (const char* council : kSeedCouncils) {
    EXPECT_GE(per_council[council], 1) << council;
  }
  EXPECT_EQ(per_council.size(), std::size(kSeedCouncils));
}

TEST(DemoDataTest, EveryJourneyIsValidAndAdmissibleToday) {
  for (const std::string& file : DemoFiles()) {
    SCOPED_TRACE(file);
    const Journey j = LoadJourney(file);
    v1::OpenCaseRequest open;
    open.set_la_code(j.la_code);
    open.set_case_reference(j.case_reference);
    open.set_birth_month(j.birth_month);
    open.set_opened_on(j.opened_on);
    EXPECT_TRUE(services::ValidateOpenCase(open).ok())
        << services::ValidateOpenCase(open);
    EXPECT_LE(*domain::ParseDate(j.opened_on), kToday);

    v1::AppendEventsRequest append;
    append.set_case_id("demo");
    append.set_expected_version(1);
    append.set_idempotency_key(absl::StrCat("demo-load-", j.case_reference));
    for (const v1::ProposedEvent& e : j.events) *append.add_events() = e;
    const absl::Status valid = services::ValidateAppendRequest(append);
    EXPECT_TRUE(valid.ok()) << valid;

    const std::vector<v1::Event> stored = Stored(j);
    const absl::Status decided =
        domain::Decide(absl::MakeConstSpan(stored).subspan(0, 1),
                       absl::MakeConstSpan(stored).subspan(1), kToday);
    EXPECT_TRUE(decided.ok()) << decided;
  }
}

TEST(DemoDataTest, EventsAreListedInDateOrderFromTheOpeningDate) {
  for (const std::string& file : DemoFiles()) {
    SCOPED_TRACE(file);
    const Journey j = LoadJourney(file);
    ASSERT_FALSE(j.events.empty());
    EXPECT_EQ(j.events.front().occurred_on(), j.opened_on);
    for (size_t i = 1; i < j.events.size(); ++i) {
      EXPECT_LE(j.events[i - 1].occurred_on(), j.events[i].occurred_on())
          << "events[" << i << "]";
    }
  }
}

// What README.md says about one clock instance of one journey.
struct Promise {
  const char* file;    // file name in deploy/demo
  const char* clock;   // "<clock_id>:<instance>"
  const char* status;  // ClockStatusName
  int days_late;
};

constexpr Promise kPromises[] = {
    {"01-medway-on-time.json", "decision_to_assess:1", "MET", 0},
    {"01-medway-on-time.json", "advice:EP1", "MET", 0},
    {"01-medway-on-time.json", "final_plan_20w:1", "MET", 0},
    {"01-medway-on-time.json", "annual_review:2", "MET", 0},
    {"01-medway-on-time.json", "review_decision:2", "MET", 0},
    {"01-medway-on-time.json", "annual_review:3", "PENDING", 0},
    {"02-kent-late-decision-and-plan.json", "decision_to_assess:1", "BREACHED",
     14},
    {"02-kent-late-decision-and-plan.json", "advice:EP1", "BREACHED", 30},
    {"02-kent-late-decision-and-plan.json", "advice:HEALTH1", "BREACHED", 65},
    {"02-kent-late-decision-and-plan.json", "final_plan_20w:1", "BREACHED", 74},
    {"02-kent-late-decision-and-plan.json", "annual_review:2", "BREACHED", 35},
    {"03-essex-refused-assessment.json", "decision_to_assess:1", "MET", 0},
    {"03-essex-refused-assessment.json", "final_plan_20w:1", "NOT_APPLICABLE",
     0},
    {"04-southend-not-issued.json", "decision_not_to_issue:1", "MET", 0},
    {"04-southend-not-issued.json", "final_plan_20w:1", "NOT_APPLICABLE", 0},
    {"05-cambridgeshire-exceptions.json", "advice:EP1", "EXCUSED", 44},
    {"05-cambridgeshire-exceptions.json", "final_plan_20w:1", "EXCUSED", 25},
    {"05-cambridgeshire-exceptions.json", "amendment:1", "MET", 0},
    {"06-medway-transferred-in.json", "transfer_in_notice:1", "MET", 0},
    {"06-medway-transferred-in.json", "transfer_in_review:1", "MET", 0},
    {"06-medway-transferred-in.json", "amendment:1", "MET", 0},
    {"06-medway-transferred-in.json", "review_decision:2", "PENDING", 0},
    {"06-medway-transferred-in.json", "preparing_for_adulthood:1", "MET", 0},
    {"07-kent-phase-transfer.json", "phase_transfer:1", "MET", 0},
    {"07-kent-phase-transfer.json", "amendment:2", "BREACHED", 42},
    {"07-kent-phase-transfer.json", "annual_review:4", "MET", 0},
    {"08-essex-tribunal-order.json", "decision_to_assess:1", "MET", 0},
    {"08-essex-tribunal-order.json", "final_plan_20w:1", "NOT_APPLICABLE", 0},
    {"08-essex-tribunal-order.json", "tribunal_order:T1", "MET", 0},
    {"08-essex-tribunal-order.json", "advice:HEALTH1", "BREACHED", 38},
    {"08-essex-tribunal-order.json", "preparing_for_adulthood:2", "MET", 0},
    {"09-southend-ceased.json", "final_plan_20w:1", "MET", 0},
    {"09-southend-ceased.json", "annual_review:3", "NOT_APPLICABLE", 0},
    {"10-cambridgeshire-amendments-not-finalised.json", "advice:EP1",
     "BREACHED", 45},
    {"10-cambridgeshire-amendments-not-finalised.json", "final_plan_20w:1",
     "BREACHED", 18},
    {"10-cambridgeshire-amendments-not-finalised.json", "review_decision:1",
     "BREACHED", 7},
    {"10-cambridgeshire-amendments-not-finalised.json", "amendment:1",
     "OVERDUE", 543},
    {"10-cambridgeshire-amendments-not-finalised.json", "annual_review:2",
     "OVERDUE", 270},
    {"11-medway-review-lapsed.json", "decision_to_assess:1", "BREACHED", 11},
    {"11-medway-review-lapsed.json", "final_plan_20w:1", "MET", 0},
    {"11-medway-review-lapsed.json", "premature_final_plan:1", "MET", 0},
    {"11-medway-review-lapsed.json", "annual_review:1", "OVERDUE", 842},
    {"12-kent-transferred-out.json", "final_plan_20w:1", "MET", 0},
    {"12-kent-transferred-out.json", "annual_review:2", "MET", 0},
};

TEST(DemoDataTest, ClocksAreAsTheReadmeSays) {
  std::map<std::string, std::vector<domain::ClockRow>> rows_by_file;
  for (const std::string& file : DemoFiles()) {
    rows_by_file[std::filesystem::path(file).filename().string()] =
        domain::EvaluateClocks(Stored(LoadJourney(file)), kToday);
  }
  for (const Promise& p : kPromises) {
    SCOPED_TRACE(absl::StrCat(p.file, " ", p.clock));
    auto rows = rows_by_file.find(p.file);
    ASSERT_NE(rows, rows_by_file.end());
    const domain::ClockRow* found = nullptr;
    std::string all;
    for (const domain::ClockRow& r : rows->second) {
      absl::StrAppend(&all, domain::ClockRowDebugString(r), "\n");
      if (absl::StrCat(r.clock_id, ":", r.instance) == p.clock) found = &r;
    }
    ASSERT_NE(found, nullptr) << all;
    EXPECT_EQ(domain::ClockStatusName(found->status), p.status) << all;
    EXPECT_EQ(found->days_late, p.days_late) << all;
  }
}

}  // namespace
}  // namespace ehcp::tools
