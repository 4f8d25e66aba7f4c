// A data directory damaged one byte at a time: the log refuses to open,
// naming the damage, or it opens and every read of a damaged record answers
// DATA_LOSS. It never serves an altered record, and never leaves out a
// record it had acknowledged while answering as if nothing were wrong.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/event_log.h"
#include "tests/storage/raw_db.h"
#include "tests/storage/test_util.h"

namespace ehcp::storage::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kStreams = 6;

std::string Bytes(const Record& r) {
  return absl::StrCat(r.position, "|", r.stream_id, "|", r.version, "|",
                      r.recorded_at_micros, "|", r.type, "|", r.data);
}

// Appends `batches` two-record appends, round robin over the streams.
void AppendBatches(EventLog& log, int batches, std::map<std::string, uint64_t>* versions) {
  for (int b = 0; b < batches; ++b) {
    const std::string stream = absl::StrCat("case-", b % kStreams);
    uint64_t& version = (*versions)[stream];
    absl::StatusOr<AppendResult> done = log.Append(MakeRequest(
        stream,
        version == 0 ? ExpectedVersion::NoStream() : ExpectedVersion::Exact(version),
        2, absl::StrCat("b", b)));
    ASSERT_TRUE(done.ok()) << done.status();
    version += 2;
  }
}

// Every record of the log, or the first error.
absl::StatusOr<std::vector<Record>> ReadEverything(const EventLog& log) {
  std::vector<Record> all;
  uint64_t from = 1;
  while (true) {
    absl::StatusOr<std::vector<Record>> page = log.ReadAll(from, 50);
    if (!page.ok()) return page.status();
    if (page->empty()) return all;
    from = page->back().position + 1;
    all.insert(all.end(), page->begin(), page->end());
  }
}

// A log with records in SST files of every family (flushed) and more in
// the write-ahead log.
class DamageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    golden_ = dir_.Sub("golden");
    std::map<std::string, uint64_t> versions;
    {
      std::unique_ptr<EventLog> log = OpenOrDie(golden_);
      ASSERT_NE(log, nullptr);
      AppendBatches(*log, 60, &versions);
    }
    {
      RawDb raw(golden_);
      ASSERT_NE(raw.db(), nullptr);
      std::vector<rocksdb::ColumnFamilyHandle*> all;
      for (const char* name :
           {"default", "log", "streams", "heads", "idempotency", "meta"}) {
        all.push_back(raw.family(name));
      }
      ASSERT_TRUE(raw.db()->Flush(rocksdb::FlushOptions(), all).ok());
    }
    std::unique_ptr<EventLog> log = OpenOrDie(golden_);
    ASSERT_NE(log, nullptr);
    AppendBatches(*log, 40, &versions);
    absl::StatusOr<std::vector<Record>> all = ReadEverything(*log);
    ASSERT_TRUE(all.ok()) << all.status();
    for (const Record& r : *all) golden_records_.push_back(Bytes(r));
    ASSERT_EQ(golden_records_.size(), 200u);
  }

  // The files of the golden directory whose names `keep` accepts.
  std::vector<fs::path> Files(bool (*keep)(const std::string&)) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(golden_)) {
      if (keep(entry.path().filename().string())) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
  }

  // Copies the golden directory, changes one byte of `file` at `offset`,
  // and checks what the log makes of it: "refused" (the open), "data_loss"
  // (a read said so), "unchanged" (every record served intact: the byte was
  // never read, or not needed) or "ALTERED" (a failure of the test).
  std::string Trial(const fs::path& file, uint64_t offset) {
    const std::string where =
        absl::StrCat(file.filename().string(), " byte ", offset);
    const std::string copy = dir_.Sub("trial");
    fs::remove_all(copy);
    fs::copy(golden_, copy, fs::copy_options::recursive);
    {
      std::fstream f(fs::path(copy) / file.filename(),
                     std::ios::in | std::ios::out | std::ios::binary);
      f.seekg(static_cast<std::streamoff>(offset));
      char c;
      f.get(c);
      f.seekp(static_cast<std::streamoff>(offset));
      f.put(static_cast<char>(c ^ 0x5a));
    }
    absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open(copy, {});
    if (!log.ok()) {
      EXPECT_TRUE(absl::IsDataLoss(log.status()) ||
                  absl::IsFailedPrecondition(log.status()))
          << where << ": " << log.status();
      EXPECT_EQ(log.status().message().find("event log"), 0u)
          << where << ": " << log.status();
      EXPECT_EQ(log.status().message().find("delete"), std::string::npos)
          << where << ": " << log.status();
      return "refused";
    }
    // Opened: every record served must be the golden one, and a read that
    // cannot serve one must say DATA_LOSS.
    absl::StatusOr<std::vector<Record>> all = ReadEverything(**log);
    if (!all.ok()) {
      EXPECT_TRUE(absl::IsDataLoss(all.status())) << where << ": " << all.status();
      return "data_loss";
    }
    std::vector<std::string> got;
    for (const Record& r : *all) got.push_back(Bytes(r));
    EXPECT_EQ(got, golden_records_) << where;
    for (int s = 0; s < kStreams; ++s) {
      const std::string stream = absl::StrCat("case-", s);
      absl::StatusOr<std::vector<Record>> records =
          (*log)->ReadStream(stream, 1, Direction::kForwards, 1000);
      if (!records.ok()) {
        EXPECT_TRUE(absl::IsDataLoss(records.status()))
            << where << ": " << records.status();
        continue;
      }
      size_t expected = 0;
      for (const std::string& g : golden_records_) {
        if (g.find(absl::StrCat("|", stream, "|")) != std::string::npos) ++expected;
      }
      EXPECT_EQ(records->size(), expected) << where << " " << stream;
      for (const Record& r : *records) {
        EXPECT_EQ(Bytes(r), golden_records_[r.position - 1]) << where;
      }
    }
    return got == golden_records_ ? "unchanged" : "ALTERED";
  }

  // Trials at `count` offsets spread over `file`.
  std::map<std::string, int> Trials(const fs::path& file, int count) {
    std::map<std::string, int> outcomes;
    const uint64_t size = fs::file_size(file);
    for (int i = 0; i < count; ++i) {
      const uint64_t offset = (size * static_cast<uint64_t>(2 * i + 1)) /
                              static_cast<uint64_t>(2 * count);
      ++outcomes[Trial(file, offset)];
    }
    std::string summary = file.filename().string();
    for (const auto& [outcome, n] : outcomes) {
      absl::StrAppend(&summary, " ", outcome, "=", n);
    }
    RecordProperty(file.filename().string(), summary);
    std::cout << "  " << summary << "\n";
    return outcomes;
  }

  ScopedTempDir dir_;
  std::string golden_;
  std::vector<std::string> golden_records_;
};

bool IsWal(const std::string& name) {
  return name.size() > 4 && name.substr(name.size() - 4) == ".log";
}
bool IsSst(const std::string& name) {
  return name.size() > 4 && name.substr(name.size() - 4) == ".sst";
}
bool IsManifest(const std::string& name) {
  return name.rfind("MANIFEST-", 0) == 0;
}

TEST_F(DamageTest, AByteChangedInTheWriteAheadLogRefusesTheOpenNamingIt) {
  const std::vector<fs::path> wals = Files(IsWal);
  ASSERT_FALSE(wals.empty());
  for (const fs::path& wal : wals) {
    std::map<std::string, int> outcomes = Trials(wal, 24);
    EXPECT_EQ(outcomes["ALTERED"], 0) << wal;
    if (wal == wals.back()) {
      // The live WAL: every byte of a record is covered by its checksum
      // (only a block's zero padding, under 7 bytes per 32 KiB, is not).
      // Older ones hold only what is flushed already, and are not read.
      EXPECT_GE(outcomes["refused"], 22) << wal;
    }
  }
  // The message names the file and what can be vouched for.
  const fs::path wal = wals.back();
  const std::string copy = dir_.Sub("trial");
  Trial(wal, fs::file_size(wal) / 3);
  absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open(copy, {});
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.status().message().find(wal.filename().string()), std::string::npos)
      << log.status();
  EXPECT_NE(log.status().message().find("would keep positions 1-"), std::string::npos)
      << log.status();
  EXPECT_NE(log.status().message().find("restore the data directory from a backup"),
            std::string::npos)
      << log.status();
}

// The operator's way past WAL damage when there is no backup: an explicit
// recovery to the position the refusal named keeps exactly that prefix; any
// other position is refused and changes nothing.
TEST_F(DamageTest, AnExplicitRecoveryKeepsExactlyThePrefixTheRefusalNamed) {
  const fs::path wal = Files(IsWal).back();
  const std::string copy = dir_.Sub("trial");
  Trial(wal, fs::file_size(wal) / 3);
  absl::StatusOr<std::unique_ptr<EventLog>> refused = EventLog::Open(copy, {});
  ASSERT_FALSE(refused.ok());
  const std::string message(refused.status().message());
  const size_t at = message.find("would keep positions 1-");
  ASSERT_NE(at, std::string::npos) << message;
  const uint64_t keep = std::stoull(message.substr(at + 23));
  ASSERT_LT(keep, golden_records_.size());
  EXPECT_NE(message.find(absl::StrCat("ehcpd --recover_to=", keep)),
            std::string::npos)
      << message;

  EventLog::Options wrong;
  wrong.recover_to = keep + 1;
  absl::StatusOr<std::unique_ptr<EventLog>> mismatch =
      EventLog::Open(copy, wrong);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(mismatch.status().message().find("nothing was changed"),
            std::string::npos);
  EXPECT_EQ(EventLog::Open(copy, {}).status().code(),
            absl::StatusCode::kDataLoss);  // Still refused as it was.

  EventLog::Options recover;
  recover.recover_to = keep;
  {
    absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open(copy, recover);
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_EQ((*log)->HeadPosition(), keep);
  }
  std::unique_ptr<EventLog> log = OpenOrDie(copy);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->HeadPosition(), keep);
  EXPECT_TRUE(log->VerifyChain(0, 0).ok());
  absl::StatusOr<std::vector<Record>> all = ReadEverything(*log);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), keep);
  for (size_t i = 0; i < all->size(); ++i) {
    EXPECT_EQ(Bytes((*all)[i]), golden_records_[i]);
  }
}

// A torn final write (a power cut mid-write: the last batch short, or
// followed by preallocated zeros) is not damage: that batch's caller was
// never acknowledged, and the log opens with everything before it.
TEST_F(DamageTest, ATornFinalWriteOpensWithoutTheLastBatch) {
  const fs::path wal = Files(IsWal).back();
  for (const uint64_t cut : {1, 7, 40}) {
    const std::string copy = dir_.Sub("trial");
    fs::remove_all(copy);
    fs::copy(golden_, copy, fs::copy_options::recursive);
    const fs::path torn = fs::path(copy) / wal.filename();
    fs::resize_file(torn, fs::file_size(torn) - cut);
    absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open(copy, {});
    ASSERT_TRUE(log.ok()) << "cut " << cut << ": " << log.status();
    absl::StatusOr<std::vector<Record>> all = ReadEverything(**log);
    ASSERT_TRUE(all.ok()) << all.status();
    // The last append (two records) is gone, nothing else.
    ASSERT_EQ(all->size(), golden_records_.size() - 2) << "cut " << cut;
    for (size_t i = 0; i < all->size(); ++i) {
      EXPECT_EQ(Bytes((*all)[i]), golden_records_[i]);
    }
  }
  const std::string copy = dir_.Sub("trial");
  fs::remove_all(copy);
  fs::copy(golden_, copy, fs::copy_options::recursive);
  {
    std::ofstream zeros(fs::path(copy) / wal.filename(),
                        std::ios::binary | std::ios::app);
    zeros << std::string(4096, '\0');
  }
  absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open(copy, {});
  ASSERT_TRUE(log.ok()) << log.status();
  absl::StatusOr<std::vector<Record>> all = ReadEverything(**log);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), golden_records_.size());
}

TEST_F(DamageTest, AByteChangedInAnSstFileOfAnyFamilyIsNeverServed) {
  const std::vector<fs::path> ssts = Files(IsSst);
  // One SST per family with keys: log, streams, heads and meta (these
  // appends have no idempotency keys).
  ASSERT_GE(ssts.size(), 4u);
  for (const fs::path& sst : ssts) {
    EXPECT_EQ(Trials(sst, 16)["ALTERED"], 0) << sst;
  }
}

TEST_F(DamageTest, AByteChangedInTheManifestIsRefusedOrHarmless) {
  for (const fs::path& manifest : Files(IsManifest)) {
    EXPECT_EQ(Trials(manifest, 16)["ALTERED"], 0) << manifest;
  }
}

}  // namespace
}  // namespace ehcp::storage::testing
