// Export and import at the storage layer: ReadStored gives each record's
// stored bytes, and an import of them into an empty log reproduces the log
// byte for byte (the same head hash, the same reads); a record that does not
// chain, a skipped position or a changed byte is refused and the log is left
// empty; a log that is not empty is refused.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/event_log.h"
#include "storage/hash.h"
#include "tests/storage/test_util.h"

namespace ehcp::storage {
namespace {

using ::ehcp::storage::testing::MakeRequest;
using ::ehcp::storage::testing::OpenOrDie;
using ::ehcp::storage::testing::ScopedTempDir;
using ::testing::HasSubstr;

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EventLog::Options options;
    options.sync = false;
    source_ = OpenOrDie(dir_.Sub("source"), options);
    ASSERT_NE(source_, nullptr);
    // Three streams, interleaved: 30 records.
    for (uint64_t v = 0; v < 10; ++v) {
      for (const char* s : {"a", "b", "c"}) {
        ASSERT_TRUE(
            source_->Append(MakeRequest(s, ExpectedVersion::Exact(v))).ok());
      }
    }
    absl::StatusOr<std::vector<StoredRecord>> stored =
        source_->ReadStored(1, 1000);
    ASSERT_TRUE(stored.ok()) << stored.status();
    stored_ = *std::move(stored);
    target_ = OpenOrDie(dir_.Sub("target"), options);
    ASSERT_NE(target_, nullptr);
  }

  // Imports `records` into the target; the first error, or the head.
  absl::StatusOr<uint64_t> Import(const std::vector<StoredRecord>& records) {
    absl::StatusOr<std::unique_ptr<LogImport>> import = target_->BeginImport();
    if (!import.ok()) return import.status();
    for (const StoredRecord& r : records) {
      absl::StatusOr<Record> added = (*import)->Add(r.bytes, r.record.hash);
      if (!added.ok()) return added.status();
      EXPECT_EQ(added->position, r.record.position);
      EXPECT_EQ(added->data, r.record.data);
    }
    return (*import)->Commit();
  }

  ScopedTempDir dir_;
  std::unique_ptr<EventLog> source_;
  std::unique_ptr<EventLog> target_;
  std::vector<StoredRecord> stored_;
};

TEST_F(ImportTest, ReadStoredGivesTheBytesTheChainIsOver) {
  ASSERT_EQ(stored_.size(), 30u);
  for (size_t i = 1; i < stored_.size(); ++i) {
    EXPECT_EQ(stored_[i].prev_hash, stored_[i - 1].record.hash);
    EXPECT_EQ(stored_[i].record.hash, Sha256(stored_[i].bytes));
    EXPECT_EQ(stored_[i].record.position, i + 1);
  }
}

TEST_F(ImportTest, AnImportReproducesTheLogByteForByte) {
  absl::StatusOr<uint64_t> head = Import(stored_);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(*head, 30u);
  EXPECT_EQ(target_->HeadPosition(), 30u);
  absl::StatusOr<std::vector<StoredRecord>> again = target_->ReadStored(1, 1000);
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_EQ(again->size(), stored_.size());
  for (size_t i = 0; i < stored_.size(); ++i) {
    EXPECT_EQ((*again)[i].bytes, stored_[i].bytes) << "position " << i + 1;
  }
  EXPECT_TRUE(target_->VerifyChain(0, 0).ok());
  absl::StatusOr<std::vector<Record>> b =
      target_->ReadStream("b", 1, Direction::kForwards, 100);
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(b->size(), 10u);
  EXPECT_EQ(b->back().position, 29u);
  absl::StatusOr<uint64_t> version = target_->StreamVersion("c");
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, 10u);
  // Appends go on from the imported head, and the log reopens.
  ASSERT_TRUE(
      target_->Append(MakeRequest("a", ExpectedVersion::Exact(10))).ok());
  EXPECT_EQ(target_->HeadPosition(), 31u);
  target_.reset();
  target_ = OpenOrDie(dir_.Sub("target"), {});
  ASSERT_NE(target_, nullptr);
  EXPECT_EQ(target_->HeadPosition(), 31u);
  EXPECT_TRUE(target_->VerifyChain(0, 0).ok());
}

TEST_F(ImportTest, AChangedByteIsRefusedNamingThePositionAndNothingIsWritten) {
  std::vector<StoredRecord> changed = stored_;
  changed[11].bytes[changed[11].bytes.size() / 2] ^= 0x01;
  absl::StatusOr<uint64_t> head = Import(changed);
  ASSERT_FALSE(head.ok());
  EXPECT_EQ(head.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(head.status().message(), HasSubstr("position 12"));
  EXPECT_EQ(target_->HeadPosition(), 0u);
  absl::StatusOr<std::vector<Record>> none = target_->ReadAll(1, 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  // And the log can still take an import.
  EXPECT_TRUE(Import(stored_).ok());
}

TEST_F(ImportTest, ASkippedPositionOrABrokenLinkIsRefused) {
  std::vector<StoredRecord> skipped = stored_;
  skipped.erase(skipped.begin() + 5);
  absl::StatusOr<uint64_t> head = Import(skipped);
  ASSERT_FALSE(head.ok());
  EXPECT_THAT(head.status().message(), HasSubstr("position 6"));
  EXPECT_EQ(target_->HeadPosition(), 0u);

  std::vector<StoredRecord> swapped = stored_;
  std::swap(swapped[3], swapped[4]);
  head = Import(swapped);
  ASSERT_FALSE(head.ok());
  EXPECT_THAT(head.status().message(), HasSubstr("position 4"));
  EXPECT_EQ(target_->HeadPosition(), 0u);
}

TEST_F(ImportTest, ALogThatIsNotEmptyIsRefused) {
  absl::StatusOr<std::unique_ptr<LogImport>> import = source_->BeginImport();
  ASSERT_FALSE(import.ok());
  EXPECT_EQ(import.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(import.status().message(), HasSubstr("empty log"));
}

TEST_F(ImportTest, AnAppendWhileStagingMakesTheCommitFailAndChangesNothingElse) {
  absl::StatusOr<std::unique_ptr<LogImport>> import = target_->BeginImport();
  ASSERT_TRUE(import.ok());
  for (const StoredRecord& r : stored_) {
    ASSERT_TRUE((*import)->Add(r.bytes, r.record.hash).ok());
  }
  ASSERT_TRUE(
      target_->Append(MakeRequest("z", ExpectedVersion::NoStream())).ok());
  absl::StatusOr<uint64_t> head = (*import)->Commit();
  ASSERT_FALSE(head.ok());
  EXPECT_EQ(head.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(target_->HeadPosition(), 1u);
  EXPECT_TRUE(target_->VerifyChain(0, 0).ok());
}

TEST_F(ImportTest, OneImportAtATime) {
  absl::StatusOr<std::unique_ptr<LogImport>> first = target_->BeginImport();
  ASSERT_TRUE(first.ok());
  absl::StatusOr<std::unique_ptr<LogImport>> second = target_->BeginImport();
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(), HasSubstr("another import"));
  first->reset();
  EXPECT_TRUE(target_->BeginImport().ok());
}

}  // namespace
}  // namespace ehcp::storage
