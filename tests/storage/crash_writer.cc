// storage_crash_writer DIR THREADS K: appends batches of K records to the
// event log in DIR from THREADS threads, forever, and prints one line per
// acknowledged append — "<stream> <last_version> <last_position>" — flushed
// at once. The crash test kills it with SIGKILL and checks that every
// acknowledged record survived. Each thread owns four streams
// ("t<thread>-s<j>") and appends with exact expected versions; record data
// is "<stream>@<version>", so the test can check every record's content.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/event_log.h"

namespace {

using ::ehcp::storage::AppendRequest;
using ::ehcp::storage::AppendResult;
using ::ehcp::storage::EventLog;
using ::ehcp::storage::ExpectedVersion;

constexpr int kStreamsPerThread = 4;

void WriteForever(EventLog* log, int thread, int k, std::mutex* out_mu) {
  std::vector<std::string> streams;
  std::vector<uint64_t> versions;
  for (int j = 0; j < kStreamsPerThread; ++j) {
    streams.push_back("t" + std::to_string(thread) + "-s" + std::to_string(j));
    absl::StatusOr<uint64_t> version = log->StreamVersion(streams.back());
    if (!version.ok()) {
      std::fprintf(stderr, "crash_writer: %s\n",
                   version.status().ToString().c_str());
      std::exit(2);
    }
    versions.push_back(*version);
  }
  for (uint64_t i = 0;; ++i) {
    const int j = static_cast<int>(i % kStreamsPerThread);
    AppendRequest request;
    request.stream_id = streams[j];
    request.expected = ExpectedVersion::Exact(versions[j]);
    for (int r = 1; r <= k; ++r) {
      request.records.push_back(
          {"crash", streams[j] + "@" + std::to_string(versions[j] + r)});
    }
    absl::StatusOr<AppendResult> result = log->Append(std::move(request));
    if (!result.ok()) {
      std::fprintf(stderr, "crash_writer: %s\n",
                   result.status().ToString().c_str());
      std::exit(3);
    }
    versions[j] = result->last_version;
    std::lock_guard<std::mutex> lock(*out_mu);
    std::printf("%s %" PRIu64 " %" PRIu64 "\n", streams[j].c_str(),
                result->last_version, result->last_position);
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s DIR THREADS K\n", argv[0]);
    return 1;
  }
  const int threads = std::atoi(argv[2]);
  const int k = std::atoi(argv[3]);
  absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open(argv[1], {});
  if (!log.ok()) {
    std::fprintf(stderr, "crash_writer: %s\n", log.status().ToString().c_str());
    return 1;
  }
  std::mutex out_mu;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back(WriteForever, log->get(), t, k, &out_mu);
  }
  for (std::thread& worker : workers) worker.join();
  return 0;
}
