// The storage rows: raw RocksDB Put (the peer) and storage::EventLog.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/temp_dir.h"
#include "bench/workloads.h"
#include "common/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "storage/event_log.h"

namespace ehcp::bench {
namespace {

// `size` bytes of printable filler, different for each `seed`.
std::string Filler(size_t size, uint64_t seed) {
  std::string bytes(size, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (char& c : bytes) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>('!' + x % 94);
  }
  return bytes;
}

}  // namespace

absl::StatusOr<Row> MeasureRocksDbPut(const Config& config, int threads,
                                      bool sync) {
  EHCP_ASSIGN_OR_RETURN(std::unique_ptr<TempDir> dir,
                        TempDir::Make(config.dir));
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status opened = rocksdb::DB::Open(options, dir->path(), &raw_db);
  if (!opened.ok()) {
    return absl::UnavailableError(
        absl::StrCat("open RocksDB in ", dir->path(), ": ", opened.ToString()));
  }
  std::unique_ptr<rocksdb::DB> db(raw_db);
  const std::string value = Filler(config.record_bytes, 1);
  std::vector<uint64_t> sequence(static_cast<size_t>(threads), 0);
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;

  Row row;
  row.what = sync ? "RocksDB Put, sync" : "RocksDB Put, no sync";
  row.concurrency = threads;
  row.figures =
      RunThreads(threads, config.timing, [&](int t) -> absl::StatusOr<int> {
        const std::string key =
            absl::StrFormat("t%03d-%012d", t, sequence[t]++);
        rocksdb::Status put = db->Put(write_options, key, value);
        if (!put.ok()) return absl::UnavailableError(put.ToString());
        return 1;
      });
  rocksdb::Status closed = db->Close();
  if (!closed.ok()) row.notes = absl::StrCat("close: ", closed.ToString());
  return row;
}

absl::StatusOr<Row> MeasureEventLogAppend(const Config& config, int threads) {
  EHCP_ASSIGN_OR_RETURN(std::unique_ptr<TempDir> dir,
                        TempDir::Make(config.dir));
  storage::EventLog::Options options;
  options.sync = true;
  EHCP_ASSIGN_OR_RETURN(std::unique_ptr<storage::EventLog> log,
                        storage::EventLog::Open(dir->path(), options));
  const std::string data = Filler(config.record_bytes, 2);
  std::vector<uint64_t> versions(static_cast<size_t>(threads), 0);
  storage::EventLog::Stats at_open;
  storage::EventLog::Stats at_close;

  Row row;
  row.what = "EventLog::Append";
  row.concurrency = threads;
  row.figures = RunThreads(
      threads, config.timing,
      [&](int t) -> absl::StatusOr<int> {
        storage::AppendRequest request;
        request.stream_id = absl::StrCat("bench-", t);
        request.expected = storage::ExpectedVersion::Exact(versions[t]);
        request.records.push_back({"bench.Record", data});
        EHCP_ASSIGN_OR_RETURN(storage::AppendResult result,
                              log->Append(std::move(request)));
        versions[t] = result.last_version;
        return 1;
      },
      [&] { at_open = log->GetStats(); }, [&] { at_close = log->GetStats(); });
  log->Close();

  const uint64_t batches = at_close.batches - at_open.batches;
  const uint64_t appends = at_close.appends - at_open.appends;
  row.notes = absl::StrFormat(
      "%d batches, %.1f appends/batch (max %d since open)", batches,
      batches > 0 ? static_cast<double>(appends) / batches : 0.0,
      at_close.max_batch_appends);
  return row;
}

}  // namespace ehcp::bench
