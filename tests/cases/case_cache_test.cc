// The shared cache of case models over a real event log in a temporary
// directory: misses read the log, commits extend the cached model without a
// read, models out of step are dropped, and the byte budget drops the least
// recently used cases.
#include "cases/case_cache.h"

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cases/event_codec.h"
#include "gtest/gtest.h"
#include "storage/event_log.h"

namespace ehcp::cases {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "case-cache-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

v1::Event Stamped(const std::string& case_id, int version) {
  v1::Event e;
  e.set_event_id(absl::StrCat(case_id, "-", version));
  e.set_case_id(case_id);
  e.set_case_version(version);
  e.set_occurred_on("2024-01-08");
  if (version == 1) {
    e.mutable_payload()->mutable_case_opened()->set_la_code("E06000035");
  } else {
    e.mutable_payload()->mutable_advice_requested()->set_advice_id(
        absl::StrCat("A", version));
  }
  return e;
}

class CaseCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = storage::EventLog::Open(dir_.path() + "/log", {});
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = *std::move(log);
  }

  // Commits version `v` of `case_id` to the log and returns it stamped.
  v1::Event Commit(const std::string& case_id, int v) {
    v1::Event e = Stamped(case_id, v);
    storage::AppendRequest request;
    request.stream_id = case_id;
    request.records.push_back(EncodeEvent(e));
    auto result = log_->Append(std::move(request));
    EXPECT_TRUE(result.ok()) << result.status();
    e.set_global_position(static_cast<int64_t>(result->first_position));
    return e;
  }

  int64_t Version(CaseCache& cache, const std::string& case_id) {
    auto shared = cache.Get(case_id);
    EXPECT_TRUE(shared.ok()) << shared.status();
    absl::MutexLock lock(&(*shared)->mu);
    return (*shared)->model.version();
  }

  TempDir dir_;
  std::unique_ptr<storage::EventLog> log_;
};

TEST_F(CaseCacheTest, AMissReadsTheCaseFromTheLogAndAHitDoesNot) {
  Commit("C", 1);
  Commit("C", 2);
  CaseCache cache(log_.get(), size_t{1} << 20);
  EXPECT_EQ(Version(cache, "C"), 2);
  EXPECT_EQ(Version(cache, "C"), 2);
  EXPECT_EQ(cache.Stats().loads, 1u);
  EXPECT_EQ(cache.Stats().hits, 1u);
  EXPECT_EQ(cache.Get("nobody").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(CaseCacheTest, ACommitExtendsTheCachedModelWithoutReadingTheLog) {
  Commit("C", 1);
  CaseCache cache(log_.get(), size_t{1} << 20);
  EXPECT_EQ(Version(cache, "C"), 1);
  const v1::Event second = Commit("C", 2);
  cache.Appended("C", {second});
  cache.Appended("C", {second});  // offered twice (append path and tailer)
  EXPECT_EQ(Version(cache, "C"), 2);
  EXPECT_EQ(cache.Stats().loads, 1u);
}

TEST_F(CaseCacheTest, AModelOutOfStepIsDroppedAndReadAgain) {
  Commit("C", 1);
  CaseCache cache(log_.get(), size_t{1} << 20);
  EXPECT_EQ(Version(cache, "C"), 1);
  Commit("C", 2);  // the cache is not told
  const v1::Event third = Commit("C", 3);
  cache.Appended("C", {third});  // a gap: dropped
  EXPECT_EQ(cache.Stats().cases, 0u);
  EXPECT_EQ(Version(cache, "C"), 3);
  EXPECT_EQ(cache.Stats().loads, 2u);
}

TEST_F(CaseCacheTest, TheBudgetDropsTheLeastRecentlyUsedCases) {
  for (const char* id : {"A", "B", "C"}) {
    for (int v = 1; v <= 20; ++v) Commit(id, v);
  }
  // Room for about two of the three cases.
  CaseCache probe(log_.get(), size_t{1} << 30);
  ASSERT_TRUE(probe.Get("A").ok());
  const uint64_t one_case = probe.Stats().bytes;
  ASSERT_GT(one_case, 0u);
  CaseCache cache(log_.get(), one_case * 2 + one_case / 2);
  ASSERT_TRUE(cache.Get("A").ok());
  ASSERT_TRUE(cache.Get("B").ok());
  ASSERT_TRUE(cache.Get("A").ok());  // A is now the most recent
  ASSERT_TRUE(cache.Get("C").ok());  // B goes
  EXPECT_EQ(cache.Stats().cases, 2u);
  EXPECT_EQ(cache.Stats().evictions, 1u);
  EXPECT_LE(cache.Stats().bytes, one_case * 2 + one_case / 2);
  EXPECT_NE(cache.Peek("A"), nullptr);
  EXPECT_EQ(cache.Peek("B"), nullptr);
  EXPECT_NE(cache.Peek("C"), nullptr);
}

TEST_F(CaseCacheTest, AHeldModelStaysValidAfterItIsDropped) {
  Commit("C", 1);
  CaseCache cache(log_.get(), size_t{1} << 20);
  auto held = cache.Get("C");
  ASSERT_TRUE(held.ok());
  cache.Invalidate("C");
  absl::MutexLock lock(&(*held)->mu);
  EXPECT_EQ((*held)->model.version(), 1);
  EXPECT_EQ((*held)->model.state().la_code, "E06000035");
}

TEST_F(CaseCacheTest, AStoredEventThatDoesNotParseIsDataLoss) {
  storage::AppendRequest request;
  request.stream_id = "C";
  request.records.push_back(storage::NewRecord{"case_opened", "\xff\xff\xff"});
  ASSERT_TRUE(log_->Append(std::move(request)).ok());
  CaseCache cache(log_.get(), size_t{1} << 20);
  EXPECT_EQ(cache.Get("C").status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace ehcp::cases
