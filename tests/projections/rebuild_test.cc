// The index is a function of the log prefix it has read: tailed event by
// event, resumed after an interruption, or rebuilt from position 1, it holds
// the same bytes.
#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "projections/clock_index.h"
#include "tests/projections/test_util.h"

namespace ehcp::projections {
namespace {

using ::ehcp::projections::testing::AppendInterleaved;
using ::ehcp::projections::testing::Day;
using ::ehcp::projections::testing::DumpDatabase;
using ::ehcp::projections::testing::GeneratedCase;
using ::ehcp::projections::testing::JourneyGenerator;
using ::ehcp::projections::testing::ScopedTempDir;

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
                                      storage::EventLog* log,
                                      size_t batch_size) {
  ClockIndex::Options options;
  options.start_tailer = false;
  options.batch_size = batch_size;
  auto index = ClockIndex::Open(dir, log, options);
  EXPECT_TRUE(index.ok()) << index.status();
  return index.ok() ? *std::move(index) : nullptr;
}

// Fails with the first differing line, not 10,000 of them.
void ExpectSameDump(const std::vector<std::string>& expected,
                    const std::vector<std::string>& actual,
                    const std::string& what) {
  EXPECT_EQ(expected.size(), actual.size()) << what;
  for (size_t i = 0; i < std::min(expected.size(), actual.size()); ++i) {
    if (expected[i] != actual[i]) {
      ADD_FAILURE() << what << ": first difference at line " << i
                    << "\n expected: " << expected[i]
                    << "\n actual:   " << actual[i];
      return;
    }
  }
}

class RebuildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = OpenLog(dir_.Sub("log"));
    JourneyGenerator gen(7, kLas);
    for (int i = 0; i < 150; ++i) cases_.push_back(gen.Generate(i));
    first_tranche_ = cases_;
    // Corrections for the second tranche.
    for (GeneratedCase& c : cases_) gen.Corrections(c);
  }

  // The first tranche: every case's original events (corrections held
  // back), then the corrections: voids, supersedes, late-recorded facts.
  void AppendAll(const std::function<void()>& between, int every) {
    AppendInterleaved(log_.get(), first_tranche_, 11, between, every);
    AppendInterleaved(log_.get(), cases_, 12, between, every);
  }

  std::vector<std::string> RebuiltDump() {
    ScopedTempDir scratch;
    {
      auto index = OpenIndex(scratch.Sub("index"), log_.get(), 1000);
      absl::StatusOr<RebuildResult> result = index->Rebuild();
      EXPECT_TRUE(result.ok()) << result.status();
      EXPECT_EQ(result->checkpoint, log_->HeadPosition());
      EXPECT_EQ(result->events_read, log_->HeadPosition());
      EXPECT_EQ(result->indexed_cases, cases_.size());
    }
    return DumpDatabase(scratch.Sub("index"));
  }

  ScopedTempDir dir_;
  std::unique_ptr<storage::EventLog> log_;
  std::vector<GeneratedCase> cases_;
  std::vector<GeneratedCase> first_tranche_;
};

TEST_F(RebuildTest, IncrementalTailingEqualsRebuildByteForByte) {
  auto index = OpenIndex(dir_.Sub("index"), log_.get(), 7);
  int catch_ups = 0;
  AppendAll(
      [&] {
        ASSERT_TRUE(index->CatchUp().ok());
        ++catch_ups;
      },
      13);
  ASSERT_TRUE(index->CatchUp().ok());
  ASSERT_GT(catch_ups, 10);
  EXPECT_EQ(index->Checkpoint(), log_->HeadPosition());
  EXPECT_EQ(index->Status().indexed_cases, cases_.size());
  index->Close();
  const std::vector<std::string> incremental = DumpDatabase(dir_.Sub("index"));
  ASSERT_GT(incremental.size(), 500u);
  // Every family is covered: the clock rows, the worklists' references,
  // stages (cases whose stage changed since their first batch) and due
  // dates, and the bookkeeping.
  std::map<std::string, int> per_family;
  std::set<std::string> stages;
  for (const std::string& line : incremental) {
    const std::string family = line.substr(0, line.find('\t'));
    ++per_family[family];
    if (family == "stages") {
      // The hex of the two stage digits after the 9-byte LA code.
      stages.insert(line.substr(family.size() + 1 + 18, 4));
    }
  }
  for (const char* family :
       {"late", "stopped", "cases", "las", "meta", "refs", "stages", "due"}) {
    EXPECT_GT(per_family[family], 0) << family;
  }
  EXPECT_EQ(per_family["refs"], static_cast<int>(cases_.size()));
  EXPECT_EQ(per_family["stages"], static_cast<int>(cases_.size()));
  EXPECT_GE(stages.size(), 5u);

  // A rebuild of the same directory (over the incremental keys) and a
  // rebuild into a fresh one.
  {
    auto again = OpenIndex(dir_.Sub("index"), log_.get(), 5);
    absl::StatusOr<RebuildResult> result = again->Rebuild();
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(again->Checkpoint(), log_->HeadPosition());
  }
  ExpectSameDump(incremental, DumpDatabase(dir_.Sub("index")),
                 "rebuilt in place");
  ExpectSameDump(incremental, RebuiltDump(), "rebuilt afresh");

  // One more batch size, straight through.
  ScopedTempDir scratch;
  {
    auto straight = OpenIndex(scratch.Sub("index"), log_.get(), 1000);
    ASSERT_TRUE(straight->CatchUp().ok());
  }
  ExpectSameDump(incremental, DumpDatabase(scratch.Sub("index")),
                 "one catch-up with batches of 1000");
}

TEST_F(RebuildTest, CheckpointAndRowsMoveTogetherAcrossInterruptions) {
  AppendAll(nullptr, 1);
  const uint64_t head = log_->HeadPosition();
  const std::vector<std::string> expected = RebuiltDump();
  // Stop at several odd positions (mid-case, mid-batch), close, reopen
  // with another batch size, and finish.
  size_t batch = 3;
  for (uint64_t stop : {head / 7, head / 3, head / 2 + 1, head - 2}) {
    auto index = OpenIndex(dir_.Sub("index"), log_.get(), batch);
    ASSERT_TRUE(index->CatchUpTo(stop).ok());
    EXPECT_EQ(index->Checkpoint(), stop);
    batch = batch * 5 + 1;
  }
  {
    auto index = OpenIndex(dir_.Sub("index"), log_.get(), 64);
    ASSERT_TRUE(index->CatchUp().ok());
    EXPECT_EQ(index->Checkpoint(), head);
  }
  ExpectSameDump(expected, DumpDatabase(dir_.Sub("index")),
                 "resumed after interruptions");
}

TEST_F(RebuildTest, AnInterruptedRebuildLeavesTheLiveIndexWhole) {
  AppendAll(nullptr, 1);
  const uint64_t head = log_->HeadPosition();
  const std::vector<std::string> expected = RebuiltDump();
  {
    auto index = OpenIndex(dir_.Sub("index"), log_.get(), 4);
    ASSERT_TRUE(index->CatchUp().ok());
    // Close from another thread while the rebuild replays.
    std::thread closer([&] {
      while (!index->Status().rebuilding)
        absl::SleepFor(absl::Microseconds(50));
      absl::SleepFor(absl::Milliseconds(5));
      index->Close();
    });
    absl::StatusOr<RebuildResult> result = index->Rebuild();
    closer.join();
    if (result.ok()) {
      GTEST_LOG_(INFO) << "the rebuild finished before Close";
    } else {
      EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
    }
  }
  {
    // The rebuild was beside the live index, which stays as it was; the
    // unfinished one is gone at the reopen.
    auto index = OpenIndex(dir_.Sub("index"), log_.get(), 9);
    EXPECT_FALSE(index->Status().rebuilding);
    EXPECT_EQ(index->Checkpoint(), head);
    EXPECT_FALSE(std::filesystem::exists(dir_.Sub("index") + ".rebuild"));
  }
  ExpectSameDump(expected, DumpDatabase(dir_.Sub("index")),
                 "live index after an interrupted rebuild");
}

TEST_F(RebuildTest, QueriesDuringARebuildDoNotFail) {
  AppendAll(nullptr, 1);
  auto index = OpenIndex(dir_.Sub("index"), log_.get(), 5);
  ASSERT_TRUE(index->CatchUp().ok());
  std::atomic<bool> done{false};
  std::atomic<int> queries{0};
  bool progress_seen = false;
  std::thread reader([&] {
    BreachFilter filter;
    filter.as_of = Day("2026-06-30");
    while (!done.load()) {
      absl::StatusOr<BreachPage> page =
          index->ListBreaches(filter, {.page_size = 50});
      // The live index answers whole while the new one is built beside it.
      EXPECT_TRUE(page.ok()) << page.status();
      absl::StatusOr<BacklogReport> backlog =
          index->ReviewBacklog("E06000035", filter.as_of);
      EXPECT_TRUE(backlog.ok()) << backlog.status();
      progress_seen = progress_seen || index->Status().rebuild.running;
      ++queries;
    }
  });
  absl::StatusOr<RebuildResult> result = index->Rebuild();
  done.store(true);
  reader.join();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_GT(queries.load(), 0);
  EXPECT_EQ(index->Checkpoint(), log_->HeadPosition());
  EXPECT_FALSE(index->Status().rebuild.running);
  if (!progress_seen) GTEST_LOG_(INFO) << "the rebuild ended between queries";
}

// Appends made while the new index is built beside the live one are in the
// index swapped in, exactly as a rebuild afterwards has them.
TEST_F(RebuildTest, AppendsDuringARebuildAreInTheSwappedIndex) {
  AppendInterleaved(log_.get(), first_tranche_, 11, nullptr, 1);
  ClockIndex::Options options;
  options.batch_size = 7;  // many batches: appends land in the middle
  auto opened = ClockIndex::Open(dir_.Sub("index"), log_.get(), options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<ClockIndex> index = *std::move(opened);
  ASSERT_TRUE(index->CatchUp().ok());
  std::thread writer(
      [&] { AppendInterleaved(log_.get(), cases_, 12, nullptr, 1); });
  absl::StatusOr<RebuildResult> result = index->Rebuild();
  writer.join();
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(index->CatchUp().ok());
  EXPECT_EQ(index->Checkpoint(), log_->HeadPosition());
  index->Close();
  ExpectSameDump(RebuiltDump(), DumpDatabase(dir_.Sub("index")),
                 "rebuilt while appending");
}

}  // namespace
}  // namespace ehcp::projections
