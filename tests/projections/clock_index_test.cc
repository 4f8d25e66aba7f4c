// The clock index as a component: opening, the tailer, waiting for a
// position, status, errors, and the §4 worked example end to end.
#include "projections/clock_index.h"

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/big_endian.h"
#include "domain/dates.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "projections/internal/index_format.h"
#include "rocksdb/db.h"
#include "tests/projections/test_util.h"

namespace ehcp::projections {
namespace {

using ::ehcp::projections::testing::CaseWriter;
using ::ehcp::projections::testing::Day;
using ::ehcp::projections::testing::ScopedTempDir;
using ::testing::HasSubstr;
using S = domain::ClockStatus;

constexpr char kMedway[] = "E06000035";
constexpr char kKent[] = "E10000016";

std::unique_ptr<storage::EventLog> OpenLog(const std::string& dir) {
  storage::EventLog::Options options;
  options.sync = false;
  absl::StatusOr<std::unique_ptr<storage::EventLog>> log =
      storage::EventLog::Open(dir, options);
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? *std::move(log) : nullptr;
}

ClockIndex::Options NoTailer() {
  ClockIndex::Options options;
  options.start_tailer = false;
  return options;
}

std::unique_ptr<ClockIndex> OpenIndex(const std::string& dir,
                                      storage::EventLog* log,
                                      const ClockIndex::Options& options) {
  absl::StatusOr<std::unique_ptr<ClockIndex>> index =
      ClockIndex::Open(dir, log, options);
  EXPECT_TRUE(index.ok()) << index.status();
  return index.ok() ? *std::move(index) : nullptr;
}

v1::EventPayload Payload(const std::function<void(v1::EventPayload*)>& fill) {
  v1::EventPayload p;
  fill(&p);
  return p;
}

// The worked example of docs/law.md §4, in Medway. Returns the
// position of its last event.
uint64_t WriteWorkedExample(storage::EventLog* log,
                            const std::string& case_id) {
  CaseWriter w(log, case_id);
  w.Open("2024-01-08", kMedway, "2012-03");
  w.Append(
      "2024-01-08", Payload([](auto* p) {
        p->mutable_request_received()->set_source(v1::REQUEST_SOURCE_PARENT);
      }));
  w.Append("2024-02-16", Payload([](auto* p) {
             p->mutable_assessment_decision()->set_outcome(
                 v1::ASSESSMENT_DECISION_OUTCOME_ASSESS);
           }));
  w.Append("2024-02-20", Payload([](auto* p) {
             p->mutable_advice_requested()->set_advice_id("HEALTH1");
             p->mutable_advice_requested()->set_body(v1::ADVICE_BODY_HEALTH);
           }));
  w.Append("2024-04-15", Payload([](auto* p) {
             p->mutable_advice_received()->set_advice_id("HEALTH1");
           }));
  w.Append("2024-05-10",
           Payload([](auto* p) { p->mutable_draft_plan_served(); }));
  w.Append("2024-05-31", Payload([](auto* p) {
             p->mutable_final_plan_issued()->set_placement("URN 118765");
           }));
  w.Append("2025-05-20", Payload([](auto* p) {
             p->mutable_review_meeting_held()->set_adulthood_considered(true);
           }));
  w.Append(
      "2025-06-10", Payload([](auto* p) {
        p->mutable_review_decision()->set_outcome(v1::REVIEW_OUTCOME_AMEND);
      }));
  return w.Append("2025-06-10",
                  Payload([](auto* p) { p->mutable_amendments_proposed(); }));
}

class ClockIndexTest : public ::testing::Test {
 protected:
  void SetUp() override { log_ = OpenLog(dir_.Sub("log")); }

  ScopedTempDir dir_;
  std::unique_ptr<storage::EventLog> log_;
};

TEST_F(ClockIndexTest, WorkedExampleShowsItsBreachesAndBacklog) {
  WriteWorkedExample(log_.get(), "E06000035-0000000000000001");
  auto index = OpenIndex(dir_.Sub("index"), log_.get(), NoTailer());
  ASSERT_TRUE(index->CatchUp().ok());

  BreachFilter filter;
  filter.la_code = kMedway;
  filter.as_of = Day("2025-09-01");
  absl::StatusOr<BreachPage> page = index->ListBreaches(filter, {});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->breaches.size(), 4u);
  EXPECT_TRUE(page->next_page_token.empty());
  const auto& b = page->breaches;
  EXPECT_EQ(b[0].row.clock_id, "review_report");
  EXPECT_EQ(b[0].row.status, S::kOverdue);
  EXPECT_EQ(b[0].row.days_late, 90);
  EXPECT_EQ(b[1].row.clock_id, "amendment");
  EXPECT_EQ(b[1].row.status, S::kOverdue);
  EXPECT_EQ(b[1].row.days_late, 27);
  EXPECT_EQ(b[2].row.clock_id, "advice");
  EXPECT_EQ(b[2].row.instance, "HEALTH1");
  EXPECT_EQ(b[2].row.status, S::kBreached);
  EXPECT_EQ(b[2].row.days_late, 13);
  EXPECT_EQ(b[3].row.clock_id, "final_plan_20w");
  EXPECT_EQ(b[3].row.instance, "1");
  EXPECT_EQ(b[3].row.status, S::kBreached);
  EXPECT_EQ(b[3].row.days_late, 4);
  for (const Breach& breach : b) {
    EXPECT_EQ(breach.case_id, "E06000035-0000000000000001");
    EXPECT_EQ(breach.la_code, kMedway);
  }

  filter.clock_ids = {"final_plan_20w", "advice"};
  filter.statuses = {S::kBreached};
  page = index->ListBreaches(filter, {});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->breaches.size(), 2u);
  EXPECT_EQ(page->breaches[0].row.clock_id, "advice");
  EXPECT_EQ(page->breaches[1].row.clock_id, "final_plan_20w");

  absl::StatusOr<BacklogReport> backlog =
      index->ReviewBacklog(kMedway, Day("2025-09-01"));
  ASSERT_TRUE(backlog.ok()) << backlog.status();
  ASSERT_EQ(backlog->clocks.size(), 5u);
  EXPECT_EQ(backlog->clocks[0].clock_id, "annual_review");
  EXPECT_EQ(backlog->clocks[0].total, 0);
  EXPECT_EQ(backlog->clocks[2].clock_id, "amendment");
  EXPECT_EQ(backlog->clocks[2].total, 1);
  ASSERT_EQ(backlog->clocks[2].buckets.size(), 5u);
  EXPECT_EQ(backlog->clocks[2].buckets[0].bucket, "0-3");
  ASSERT_EQ(backlog->clocks[2].buckets[0].entries.size(), 1u);
  const BacklogEntry& e = backlog->clocks[2].buckets[0].entries[0];
  EXPECT_EQ(e.instance, "1");
  EXPECT_EQ(e.due, Day("2025-08-05"));
  EXPECT_EQ(e.days_overdue, 27);
  EXPECT_FALSE(e.excused);
  for (const ClockBacklog& c : backlog->clocks) {
    ASSERT_EQ(c.buckets.size(), 5u) << c.clock_id;
    EXPECT_EQ(c.buckets[4].bucket, ">24");
  }

  absl::StatusOr<TimelinessReport> t = index->Timeliness(kMedway, 2024);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->summary.including_exceptions.total, 1);
  EXPECT_EQ(t->summary.including_exceptions.within, 0);  // 144 days
  EXPECT_EQ(t->summary.decisions_including_exceptions.total, 1);
  EXPECT_EQ(t->summary.decisions_including_exceptions.within, 1);
}

// Printable ASCII as is, anything else as \xNN (FORMAT.md's notation).
std::string Render(const std::string& hex) {
  std::string out;
  for (char c : absl::HexStringToBytes(hex)) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(c);
    } else {
      absl::StrAppend(
          &out, absl::StrFormat("\\x%02x", static_cast<unsigned char>(c)));
    }
  }
  return out;
}

TEST_F(ClockIndexTest, WorkedExampleWritesTheKeysFormatMdDocuments) {
  WriteWorkedExample(log_.get(), "E06000035-5f1c2a9e0b7d4c31");
  {
    auto index = OpenIndex(dir_.Sub("index"), log_.get(), NoTailer());
    ASSERT_TRUE(index->CatchUp().ok());
  }
  std::vector<std::string> lines;
  for (const std::string& line : testing::DumpDatabase(dir_.Sub("index"))) {
    std::vector<std::string> parts = absl::StrSplit(line, '\t');
    lines.push_back(absl::StrCat(parts[0], " ", Render(parts[1]), " -> ",
                                 Render(parts[2])));
  }
  const std::string c = "E06000035-5f1c2a9e0b7d4c31";
  const std::vector<std::string> expected = {
      "cases " + c + " -> E0600003507",
      "due E0600003520240219" + c +
          "\\x00decision_to_assess\\x001 -> M202401082024021920240216",
      "due E0600003520240402" + c +
          "\\x00advice\\x00HEALTH1 -> B202402202024040220240415",
      "due E0600003520240429" + c +
          "\\x00decision_not_to_issue\\x001 -> N2024010820240429--------",
      "due E0600003520240527" + c +
          "\\x00final_plan_20w\\x001 -> B202401082024052720240531",
      "due E0600003520250530" + c +
          "\\x00annual_review\\x001 -> M202405312025053020250520",
      "due E0600003520250603" + c +
          "\\x00review_report\\x001 -> O2025052020250603--------",
      "due E0600003520250617" + c +
          "\\x00review_decision\\x001 -> M202505202025061720250610",
      "due E0600003520250805" + c +
          "\\x00amendment\\x001 -> O2025061020250805--------",
      "due E0600003520260519" + c +
          "\\x00annual_review\\x002 -> O2025052020260519--------",
      "due E0600003520370731" + c +
          "\\x00age_25_cessation\\x001 -> O2037030120370731--------",
      "las E06000035 -> 20240108\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01",
      "late E06000035advice\\x0020240403" + c +
          "\\x00HEALTH1 -> B202402202024040220240415",
      "late E06000035age_25_cessation\\x0020370801" + c +
          "\\x001 -> O2037030120370731--------",
      "late E06000035amendment\\x0020250806" + c +
          "\\x001 -> O2025061020250805--------",
      "late E06000035annual_review\\x0020260520" + c +
          "\\x002 -> O2025052020260519--------",
      "late E06000035final_plan_20w\\x0020240528" + c +
          "\\x001 -> B202401082024052720240531",
      "late E06000035review_report\\x0020250604" + c +
          "\\x001 -> O2025052020250603--------",
      "meta checkpoint -> \\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x0a",
      "meta format_version -> \\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x03",
      "meta indexed_cases -> \\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01",
      "refs E06000035REF-" + c + "\\x00" + c + " -> ",
      "stages E0600003507" + c + " -> REF-" + c,
      "stopped E06000035decision_to_assess\\x0020240216" + c +
          "\\x001 -> M202401082024021920240216",
      "stopped E06000035final_plan_20w\\x0020240531" + c +
          "\\x001 -> B202401082024052720240531",
  };
  EXPECT_EQ(lines, expected);
}

TEST_F(ClockIndexTest, BadArgumentsAreRefusedNamingTheField) {
  CaseWriter w(log_.get(), "E06000035-first");
  w.Open("2023-01-09", kMedway);
  w.Append(
      "2023-01-10", Payload([](auto* p) {
        p->mutable_request_received()->set_source(v1::REQUEST_SOURCE_PARENT);
      }));
  auto index = OpenIndex(dir_.Sub("index"), log_.get(), NoTailer());
  ASSERT_TRUE(index->CatchUp().ok());

  BreachFilter filter;
  filter.as_of = Day("2025-01-01");
  filter.la_code = "Medway";
  absl::StatusOr<BreachPage> page = index->ListBreaches(filter, {});
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(page.status().message(), HasSubstr("la_code"));
  EXPECT_EQ(index->ReviewBacklog("E99", filter.as_of).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->Timeliness("x", 2024).status().code(),
            absl::StatusCode::kInvalidArgument);

  filter.la_code = kKent;
  page = index->ListBreaches(filter, {});
  EXPECT_EQ(page.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(page.status().message(), "no cases for LA E10000016");
  EXPECT_EQ(index->ReviewBacklog(kKent, filter.as_of).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(index->Timeliness(kKent, 2024).status().code(),
            absl::StatusCode::kNotFound);

  for (const std::string& la : {std::string(kMedway), std::string()}) {
    filter.la_code = la;
    filter.as_of = Day("2001-01-01");
    page = index->ListBreaches(filter, {});
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(page.status().message(),
              "as_of 2001-01-01 is before any event (first: 2023-01-09)");
    absl::StatusOr<BacklogReport> backlog =
        index->ReviewBacklog(la, Day("2001-01-01"));
    EXPECT_EQ(backlog.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(backlog.status().message(), HasSubstr("as_of 2001-01-01"));
  }
  // The first event's own day is fine.
  filter.as_of = Day("2023-01-09");
  EXPECT_TRUE(index->ListBreaches(filter, {}).ok());

  filter.as_of = Day("2025-01-01");
  filter.clock_ids = {"no_such_clock"};
  page = index->ListBreaches(filter, {});
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(page.status().message(), HasSubstr("clock_ids"));
  filter.clock_ids = {};
  filter.statuses = {S::kMet};
  page = index->ListBreaches(filter, {});
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(page.status().message(), HasSubstr("statuses"));
  filter.statuses = {};
  filter.due_from = Day("2024-02-01");
  filter.due_to = Day("2024-01-01");
  page = index->ListBreaches(filter, {});
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(page.status().message(), HasSubstr("due_from"));
  filter.due_from = filter.due_to = std::nullopt;
  page = index->ListBreaches(filter, {.page_size = 1001});
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(page.status().message(), HasSubstr("page_size"));
  page = index->ListBreaches(filter, {.page_size = -1});
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);

  for (int year : {2013, 2101}) {
    absl::StatusOr<TimelinessReport> t = index->Timeliness("", year);
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << year;
    EXPECT_THAT(t.status().message(), HasSubstr("year"));
  }
  EXPECT_TRUE(index->Timeliness("", 2014).ok());
  EXPECT_TRUE(index->Timeliness("", 2100).ok());
}

TEST_F(ClockIndexTest, AnEmptyIndexAnswersEveryLaQueriesWithNothing) {
  auto index = OpenIndex(dir_.Sub("index"), log_.get(), NoTailer());
  ASSERT_TRUE(index->CatchUp().ok());
  BreachFilter filter;
  filter.as_of = Day("2025-01-01");
  absl::StatusOr<BreachPage> page = index->ListBreaches(filter, {});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_TRUE(page->breaches.empty());
  EXPECT_TRUE(page->next_page_token.empty());
  absl::StatusOr<BacklogReport> backlog =
      index->ReviewBacklog("", filter.as_of);
  ASSERT_TRUE(backlog.ok());
  EXPECT_EQ(backlog->clocks.size(), 5u);
  EXPECT_EQ(index->Status().indexed_cases, 0u);
}

TEST_F(ClockIndexTest, WaitForCheckpointHonoursItsDeadline) {
  auto index = OpenIndex(dir_.Sub("index"), log_.get(), NoTailer());
  const uint64_t position =
      WriteWorkedExample(log_.get(), "E06000035-0000000000000001");
  EXPECT_EQ(index->Checkpoint(), 0u);
  const absl::Time start = absl::Now();
  EXPECT_FALSE(
      index->WaitForCheckpoint(position, absl::Now() + absl::Milliseconds(50)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(45));

  // Another thread's CatchUp releases the waiter.
  std::thread catch_up([&] { EXPECT_TRUE(index->CatchUp().ok()); });
  EXPECT_TRUE(
      index->WaitForCheckpoint(position, absl::Now() + absl::Seconds(10)));
  catch_up.join();
  EXPECT_EQ(index->Checkpoint(), position);
  EXPECT_TRUE(index->WaitForCheckpoint(position, absl::Now()));

  IndexStatus status = index->Status();
  EXPECT_EQ(status.checkpoint, position);
  EXPECT_EQ(status.head, position);
  EXPECT_EQ(status.lag, 0u);
  EXPECT_EQ(status.indexed_cases, 1u);
  EXPECT_FALSE(status.rebuilding);

  CaseWriter w(log_.get(), "E06000035-2");
  const uint64_t later = w.Open("2024-03-01", kMedway);
  status = index->Status();
  EXPECT_EQ(status.lag, later - position);

  // Closing wakes a waiter with false.
  std::thread closer([&] {
    absl::SleepFor(absl::Milliseconds(20));
    index->Close();
  });
  EXPECT_FALSE(
      index->WaitForCheckpoint(later, absl::Now() + absl::Seconds(10)));
  closer.join();
}

TEST_F(ClockIndexTest, BackgroundTailerPicksUpAppendsMadeAfterOpen) {
  ClockIndex::Options options;
  // A long poll interval: only the log's notification can wake it in time.
  options.poll_interval = absl::Seconds(30);
  auto index = OpenIndex(dir_.Sub("index"), log_.get(), options);
  absl::SleepFor(absl::Milliseconds(20));  // Let it go to sleep.
  const absl::Time start = absl::Now();
  const uint64_t position =
      WriteWorkedExample(log_.get(), "E06000035-0000000000000001");
  ASSERT_TRUE(
      index->WaitForCheckpoint(position, absl::Now() + absl::Seconds(10)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  BreachFilter filter;
  filter.as_of = Day("2025-09-01");
  absl::StatusOr<BreachPage> page = index->ListBreaches(filter, {});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->breaches.size(), 4u);

  // And again, one more case later.
  CaseWriter w(log_.get(), "E10000016-1");
  const uint64_t next = w.Open("2024-03-01", kKent);
  EXPECT_TRUE(index->WaitForCheckpoint(next, absl::Now() + absl::Seconds(10)));
  EXPECT_EQ(index->Status().indexed_cases, 2u);
  EXPECT_TRUE(index->Status().tailer_error.ok());
  index->Close();
  index->Close();  // Idempotent.
  EXPECT_EQ(index->CatchUp().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(index->ListBreaches(filter, {}).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(ClockIndexTest, TheTailerReportsAClosedLogAndKeepsServingQueries) {
  const uint64_t position =
      WriteWorkedExample(log_.get(), "E06000035-0000000000000001");
  ClockIndex::Options options;
  options.poll_interval = absl::Milliseconds(10);
  auto index = OpenIndex(dir_.Sub("index"), log_.get(), options);
  ASSERT_TRUE(
      index->WaitForCheckpoint(position, absl::Now() + absl::Seconds(10)));
  log_->Close();
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (index->Status().tailer_error.ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(index->Status().tailer_error.code(),
            absl::StatusCode::kUnavailable);
  // Queries go on answering from the case models already in memory (a
  // case not in memory would need the log: UNAVAILABLE, not a crash).
  BreachFilter filter;
  filter.as_of = Day("2025-09-01");
  absl::StatusOr<BreachPage> page = index->ListBreaches(filter, {});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_FALSE(page->breaches.empty());
  index->Close();
}

TEST_F(ClockIndexTest, ReopenedIndexResumesFromItsCheckpoint) {
  const uint64_t first =
      WriteWorkedExample(log_.get(), "E06000035-0000000000000001");
  {
    auto index = OpenIndex(dir_.Sub("index"), log_.get(), NoTailer());
    ASSERT_TRUE(index->CatchUp().ok());
  }
  CaseWriter w(log_.get(), "E10000016-1");
  const uint64_t second = w.Open("2024-03-01", kKent);
  auto index = OpenIndex(dir_.Sub("index"), log_.get(), NoTailer());
  EXPECT_EQ(index->Checkpoint(), first);
  EXPECT_EQ(index->Status().indexed_cases, 1u);
  ASSERT_TRUE(index->CatchUp().ok());
  EXPECT_EQ(index->Checkpoint(), second);
  EXPECT_EQ(index->Status().indexed_cases, 2u);
}

TEST_F(ClockIndexTest, OpenRefusesWhatIsNotItsIndex) {
  EXPECT_EQ(ClockIndex::Open("", log_.get(), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ClockIndex::Open(dir_.Sub("i"), nullptr, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  ClockIndex::Options zero = NoTailer();
  zero.batch_size = 0;
  EXPECT_EQ(ClockIndex::Open(dir_.Sub("i"), log_.get(), zero).status().code(),
            absl::StatusCode::kInvalidArgument);

  // The event log's own directory is a RocksDB database of other families.
  storage::EventLog::Options options;
  options.sync = false;
  {
    ScopedTempDir other;
    auto other_log = OpenLog(other.Sub("log"));
    other_log->Close();
    other_log.reset();
    absl::StatusOr<std::unique_ptr<ClockIndex>> index =
        ClockIndex::Open(other.Sub("log"), log_.get(), NoTailer());
    EXPECT_EQ(index.status().code(), absl::StatusCode::kFailedPrecondition);
  }

  // An unknown format version.
  { auto index = OpenIndex(dir_.Sub("index"), log_.get(), NoTailer()); }
  {
    rocksdb::DBOptions db_options;
    std::vector<std::string> names;
    ASSERT_TRUE(
        rocksdb::DB::ListColumnFamilies(db_options, dir_.Sub("index"), &names)
            .ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const std::string& n : names)
      descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(db_options, dir_.Sub("index"), descriptors,
                                  &handles, &db)
                    .ok());
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == index_format::kMetaFamily) {
        ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[i],
                            index_format::kFormatVersionKey,
                            ::ehcp::BigEndian64(99))
                        .ok());
      }
    }
    for (auto* h : handles)
      db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    delete db;
  }
  absl::StatusOr<std::unique_ptr<ClockIndex>> index =
      ClockIndex::Open(dir_.Sub("index"), log_.get(), NoTailer());
  EXPECT_EQ(index.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(index.status().message(), HasSubstr("format version 99"));
}

// A RocksDB database in `dir` laid out as a version 2 index (the five data
// families of versions 1 and 2), with a stale key and the given checkpoint.
void WriteVersion2Index(const std::string& dir, uint64_t checkpoint) {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const char* name : {"default", "late", "stopped", "cases", "las",
                           "meta"}) {
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, dir, descriptors, &handles, &db).ok());
  rocksdb::WriteOptions write;
  ASSERT_TRUE(db->Put(write, handles[5], "format_version",
                      ::ehcp::BigEndian64(2))
                  .ok());
  ASSERT_TRUE(
      db->Put(write, handles[5], "checkpoint", ::ehcp::BigEndian64(checkpoint))
          .ok());
  ASSERT_TRUE(db->Put(write, handles[3], "E06000035-stale", "E06000035").ok());
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  delete db;
}

TEST_F(ClockIndexTest, AnOlderFormatIsDiscardedAndBuiltAgainFromTheLog) {
  WriteWorkedExample(log_.get(), "E06000035-5f1c2a9e0b7d4c31");
  {
    auto fresh = OpenIndex(dir_.Sub("fresh"), log_.get(), NoTailer());
    ASSERT_TRUE(fresh->CatchUp().ok());
  }
  WriteVersion2Index(dir_.Sub("index"), log_->HeadPosition());
  {
    absl::StatusOr<std::unique_ptr<ClockIndex>> index =
        ClockIndex::Open(dir_.Sub("index"), log_.get(), NoTailer());
    ASSERT_TRUE(index.ok()) << index.status();
    EXPECT_EQ((*index)->Checkpoint(), 0u);  // Starts again from the log.
    ASSERT_TRUE((*index)->CatchUp().ok());
    absl::StatusOr<std::vector<CaseSummary>> found = (*index)->FindCase(
        kMedway, "REF-E06000035-5f1c2a9e0b7d4c31");
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_EQ(found->size(), 1u);
  }
  EXPECT_EQ(testing::DumpDatabase(dir_.Sub("index")),
            testing::DumpDatabase(dir_.Sub("fresh")));
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("index.old")));

  // One that had read further than the log goes is kept and refused.
  WriteVersion2Index(dir_.Sub("ahead"), log_->HeadPosition() + 5);
  absl::StatusOr<std::unique_ptr<ClockIndex>> ahead =
      ClockIndex::Open(dir_.Sub("ahead"), log_.get(), NoTailer());
  EXPECT_EQ(ahead.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(ahead.status().message(), HasSubstr("another log"));
  EXPECT_FALSE(testing::DumpDatabase(dir_.Sub("ahead")).empty());
}

TEST_F(ClockIndexTest, AnIndexAheadOfItsLogIsRefused) {
  WriteWorkedExample(log_.get(), "E06000035-0000000000000001");
  {
    auto index = OpenIndex(dir_.Sub("index"), log_.get(), NoTailer());
    ASSERT_TRUE(index->CatchUp().ok());
  }
  ScopedTempDir other;
  auto empty_log = OpenLog(other.Sub("log"));
  absl::StatusOr<std::unique_ptr<ClockIndex>> index =
      ClockIndex::Open(dir_.Sub("index"), empty_log.get(), NoTailer());
  EXPECT_EQ(index.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(index.status().message(), HasSubstr("another log"));
}

TEST_F(ClockIndexTest, StreamsWithoutAnOnsCaseOpenedAreNotIndexed) {
  CaseWriter w(log_.get(), "not-a-case");
  w.Append(
      "2024-01-08", Payload([](auto* p) {
        p->mutable_request_received()->set_source(v1::REQUEST_SOURCE_PARENT);
      }));
  WriteWorkedExample(log_.get(), "E06000035-0000000000000001");
  auto index = OpenIndex(dir_.Sub("index"), log_.get(), NoTailer());
  ASSERT_TRUE(index->CatchUp().ok());
  EXPECT_EQ(index->Status().indexed_cases, 1u);
  EXPECT_EQ(index->Checkpoint(), log_->HeadPosition());
}

TEST_F(ClockIndexTest, CloseStopsTheTailerWhileAppendsContinue) {
  ClockIndex::Options options;
  options.poll_interval = absl::Milliseconds(5);
  options.batch_size = 3;
  auto index = OpenIndex(dir_.Sub("index"), log_.get(), options);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop.load() && i < 200; ++i) {
      CaseWriter w(log_.get(), absl::StrCat("E06000035-", i));
      w.Open("2024-01-01", kMedway);
    }
  });
  absl::SleepFor(absl::Milliseconds(30));
  index->Close();
  stop.store(true);
  writer.join();
  EXPECT_FALSE(index->WaitForCheckpoint(log_->HeadPosition() + 1,
                                        absl::Now() + absl::Seconds(1)));
}

}  // namespace
}  // namespace ehcp::projections
