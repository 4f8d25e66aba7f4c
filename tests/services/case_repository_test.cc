// The repository's cached journeys stay snapshots: a reader's copy never
// changes under it, and appends reach the next Load without a log read.
#include "services/case_repository.h"

#include "gtest/gtest.h"
#include "projections/event_codec.h"
#include "tests/services/journey_builder.h"

namespace ehcp::testing {
namespace {

using services::CaseRepository;
using services::CaseSnapshot;

v1::Event Stamped(const std::string& case_id, int version) {
  v1::Event e;
  e.set_event_id(std::string(31, '0') + std::to_string(version % 10));
  e.set_case_id(case_id);
  e.set_case_version(version);
  e.set_occurred_on("2024-01-08");
  e.mutable_payload()->mutable_request_received()->set_source(
      v1::REQUEST_SOURCE_PARENT);
  return e;
}

class CaseRepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = storage::EventLog::Open(dir_.path(), {});
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = *std::move(log);
    Commit(1);
  }

  // Appends version `v` of the case to the log.
  void Commit(int v) {
    v1::Event e = Stamped("C", v);
    storage::AppendRequest request;
    request.stream_id = "C";
    request.records.push_back(projections::EncodeEvent(e));
    ASSERT_TRUE(log_->Append(std::move(request)).ok());
  }

  TempDir dir_;
  std::unique_ptr<storage::EventLog> log_;
};

TEST_F(CaseRepositoryTest, HeldSnapshotDoesNotChangeWhenTheCaseGrows) {
  CaseRepository repository(log_.get(), 10);
  auto held = repository.Load("C");
  ASSERT_TRUE(held.ok());
  ASSERT_EQ((*held)->version(), 1);
  v1::Event second = Stamped("C", 2);
  storage::AppendRequest request;
  request.stream_id = "C";
  request.records.push_back(projections::EncodeEvent(second));
  ASSERT_TRUE(log_->Append(std::move(request)).ok());
  repository.Appended("C", {second});
  EXPECT_EQ((*held)->version(), 1);  // the reader's snapshot is untouched
  auto fresh = repository.Load("C");
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ((*fresh)->version(), 2);
  EXPECT_NE(fresh->get(), held->get());
}

TEST_F(CaseRepositoryTest, UnheldSnapshotIsExtendedInPlace) {
  CaseRepository repository(log_.get(), 10);
  const CaseSnapshot* before = nullptr;
  {
    auto loaded = repository.Load("C");
    ASSERT_TRUE(loaded.ok());
    before = loaded->get();
  }
  v1::Event second = Stamped("C", 2);
  repository.Appended("C", {second});
  auto after = repository.Load("C");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->get(), before);
  EXPECT_EQ((*after)->version(), 2);
}

TEST_F(CaseRepositoryTest, OutOfStepAppendDropsTheCopyAndTheLogIsReadAgain) {
  CaseRepository repository(log_.get(), 10);
  ASSERT_TRUE(repository.Load("C").ok());
  repository.Appended("C", {Stamped("C", 5)});  // a gap: versions 2-4 unseen
  EXPECT_EQ(repository.CachedCases(), 0u);
  auto reloaded = repository.Load("C");
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ((*reloaded)->version(), 1);  // what the log holds
}

TEST_F(CaseRepositoryTest, UnknownCaseIsNotFound) {
  CaseRepository repository(log_.get(), 10);
  EXPECT_EQ(repository.Load("nope").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace ehcp::testing
