// A write that RocksDB refuses: the whole batch fails, nothing more is
// written until the log is reopened, and reopening finds the log intact.
// A full disk at open: the log opens read-only and reopens for writing
// once there is room.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "storage/event_log.h"
#include "storage/internal/event_log_impl.h"
#include "tests/storage/test_util.h"

namespace ehcp::storage {
namespace {

using ::ehcp::storage::testing::MakeRequest;
using ::ehcp::storage::testing::OpenOrDie;
using ::ehcp::storage::testing::ScopedTempDir;

// A WAL file whose writes fail while *fail is set.
class FailingWalFile : public rocksdb::WritableFileWrapper {
 public:
  FailingWalFile(std::unique_ptr<rocksdb::WritableFile> file,
                 const std::atomic<bool>* fail)
      : rocksdb::WritableFileWrapper(file.get()),
        file_(std::move(file)),
        fail_(fail) {}

  rocksdb::Status Append(const rocksdb::Slice& data) override {
    if (fail_->load()) return rocksdb::Status::IOError("injected WAL failure");
    return rocksdb::WritableFileWrapper::Append(data);
  }
  rocksdb::Status Append(
      const rocksdb::Slice& data,
      const rocksdb::DataVerificationInfo& verification_info) override {
    if (fail_->load()) return rocksdb::Status::IOError("injected WAL failure");
    return rocksdb::WritableFileWrapper::Append(data, verification_info);
  }

 private:
  std::unique_ptr<rocksdb::WritableFile> file_;
  const std::atomic<bool>* fail_;
};

class FailingWalEnv : public rocksdb::EnvWrapper {
 public:
  FailingWalEnv() : rocksdb::EnvWrapper(rocksdb::Env::Default()) {}
  const char* Name() const override { return "FailingWalEnv"; }

  rocksdb::Status NewWritableFile(const std::string& name,
                                  std::unique_ptr<rocksdb::WritableFile>* file,
                                  const rocksdb::EnvOptions& options) override {
    rocksdb::Status status = target()->NewWritableFile(name, file, options);
    if (status.ok() && name.size() > 4 &&
        name.compare(name.size() - 4, 4, ".log") == 0) {
      *file = std::make_unique<FailingWalFile>(std::move(*file), &fail);
    }
    return status;
  }

  std::atomic<bool> fail{false};
};

// A disk with no room: no file can be created while *full is set.
class FullDiskEnv : public rocksdb::EnvWrapper {
 public:
  FullDiskEnv() : rocksdb::EnvWrapper(rocksdb::Env::Default()) {}
  const char* Name() const override { return "FullDiskEnv"; }

  rocksdb::Status NewWritableFile(const std::string& name,
                                  std::unique_ptr<rocksdb::WritableFile>* file,
                                  const rocksdb::EnvOptions& options) override {
    if (full.load()) return rocksdb::Status::NoSpace("injected full disk");
    return target()->NewWritableFile(name, file, options);
  }

  std::atomic<bool> full{false};
};

TEST(WriteFailureTest, ALogOpenedOnAFullDiskServesReadsAndBecomesWritableWithRoom) {
  ScopedTempDir dir;
  FullDiskEnv env;
  {
    std::unique_ptr<EventLog> log = OpenOrDie(dir.path());
    ASSERT_TRUE(log->Append(MakeRequest("s", ExpectedVersion::Any(), 3)).ok());
  }
  env.full = true;
  absl::StatusOr<std::unique_ptr<EventLog>> opened =
      EventLogImpl::OpenWithEnv(dir.path(), {}, &env);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EventLog& log = **opened;
  EXPECT_EQ(log.HeadPosition(), 3u);
  EXPECT_EQ(log.ReadAll(0, 0)->size(), 3u);
  EXPECT_TRUE(log.VerifyChain(0, 0).ok());
  EXPECT_TRUE(absl::IsResourceExhausted(log.WriteStatus())) << log.WriteStatus();
  EXPECT_NE(log.WriteStatus().message().find("read-only"),
            absl::string_view::npos)
      << log.WriteStatus();
  absl::StatusOr<AppendResult> refused =
      log.Append(MakeRequest("s", ExpectedVersion::Exact(3)));
  EXPECT_TRUE(absl::IsResourceExhausted(refused.status())) << refused.status();
  EXPECT_EQ(log.HeadPosition(), 3u);

  // Room again: within a second (one try a second), writable, from the head.
  env.full = false;
  absl::Status writable = log.ResumeWrites();
  for (int i = 0; i < 30 && !writable.ok(); ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    writable = log.ResumeWrites();
  }
  ASSERT_TRUE(writable.ok()) << writable;
  EXPECT_TRUE(log.WriteStatus().ok());
  absl::StatusOr<AppendResult> next =
      log.Append(MakeRequest("s", ExpectedVersion::Exact(3)));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->first_position, 4u);
  EXPECT_TRUE(log.VerifyChain(0, 0).ok());
  log.Close();

  std::unique_ptr<EventLog> reopened = OpenOrDie(dir.path());
  EXPECT_EQ(reopened->HeadPosition(), 4u);
  EXPECT_TRUE(reopened->VerifyChain(0, 0).ok());
}

TEST(WriteFailureTest, ANewLogCannotBeCreatedOnAFullDisk) {
  ScopedTempDir dir;
  FullDiskEnv env;
  env.full = true;
  absl::StatusOr<std::unique_ptr<EventLog>> opened =
      EventLogImpl::OpenWithEnv(dir.path() + "/log", {}, &env);
  EXPECT_TRUE(absl::IsResourceExhausted(opened.status())) << opened.status();
}

TEST(WriteFailureTest, FailedWriteFailsTheBatchAndStopsTheLogUntilReopened) {
  ScopedTempDir dir;
  FailingWalEnv env;
  {
    absl::StatusOr<std::unique_ptr<EventLog>> opened =
        EventLogImpl::OpenWithEnv(dir.path(), {}, &env);
    ASSERT_TRUE(opened.ok()) << opened.status();
    EventLog& log = **opened;
    ASSERT_TRUE(log.Append(MakeRequest("s", ExpectedVersion::Any(), 2)).ok());

    env.fail = true;
    absl::StatusOr<AppendResult> failed =
        log.Append(MakeRequest("s", ExpectedVersion::Exact(2)));
    EXPECT_TRUE(absl::IsUnavailable(failed.status())) << failed.status();
    EXPECT_EQ(log.HeadPosition(), 2u);
    EXPECT_EQ(log.GetStats().failed_writes, 1u);

    // Sticky, even once the disk is fine again; reads still work.
    env.fail = false;
    absl::StatusOr<AppendResult> after =
        log.Append(MakeRequest("s", ExpectedVersion::Exact(2)));
    EXPECT_FALSE(after.ok());
    EXPECT_EQ(log.StreamVersion("s").value(), 2u);
    EXPECT_EQ(log.ReadAll(0, 0)->size(), 2u);
  }

  std::unique_ptr<EventLog> log = OpenOrDie(dir.path());
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->HeadPosition(), 2u);
  EXPECT_TRUE(log->VerifyChain(0, 0).ok());
  absl::StatusOr<AppendResult> next =
      log->Append(MakeRequest("s", ExpectedVersion::Exact(2)));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->first_position, 3u);
}

TEST(WriteFailureTest, EveryAppendOfAFailedBatchFails) {
  ScopedTempDir dir;
  FailingWalEnv env;
  EventLog* log_ptr = nullptr;
  int clock_calls = 0;
  std::vector<absl::StatusOr<AppendResult>> queued(
      3, absl::UnknownError("not called"));
  EventLog::Options options;
  options.now_micros = [&]() -> int64_t {
    ++clock_calls;
    if (clock_calls == 1) {
      // Queued while the first batch commits: the second batch takes all
      // three (the third builds on the first, in the batch's overlay).
      const char* streams[] = {"a", "b", "a"};
      for (int i = 0; i < 3; ++i) {
        log_ptr->AppendAsync(MakeRequest(streams[i], ExpectedVersion::Any()),
                             [&queued, i](absl::StatusOr<AppendResult> result) {
                               queued[i] = std::move(result);
                             });
      }
    } else if (clock_calls == 2) {
      env.fail = true;  // The second batch's write fails.
    }
    return 1'000'000;
  };
  absl::StatusOr<std::unique_ptr<EventLog>> opened =
      EventLogImpl::OpenWithEnv(dir.path(), options, &env);
  ASSERT_TRUE(opened.ok()) << opened.status();
  log_ptr = opened->get();

  ASSERT_TRUE(log_ptr->Append(MakeRequest("x", ExpectedVersion::Any())).ok());
  for (const absl::StatusOr<AppendResult>& result : queued) {
    EXPECT_TRUE(absl::IsUnavailable(result.status())) << result.status();
  }
  EventLog::Stats stats = log_ptr->GetStats();
  EXPECT_EQ(stats.failed_writes, 1u);
  EXPECT_EQ(stats.batches, 1u);
  EXPECT_EQ(log_ptr->HeadPosition(), 1u);
  EXPECT_EQ(log_ptr->StreamVersion("a").value(), 0u);
}

}  // namespace
}  // namespace ehcp::storage
