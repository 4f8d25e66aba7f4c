// The workloads of append_bench, one function per row of its table.
//
// Each sets up its own fresh store in a temporary directory under
// Config::dir (removed before it returns), measures with the harness of
// measure.h, and returns a Row; setup failures are returned as a status.
#ifndef EHCP_BENCH_WORKLOADS_H_
#define EHCP_BENCH_WORKLOADS_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "bench/measure.h"

namespace ehcp::bench {

struct Config {
  Timing timing;
  // Parent of the temporary directories; must be on the disk under test.
  std::string dir;
  // Bytes of payload per RocksDB value / EventLog record.
  size_t record_bytes = 300;
  // gRPC channels the in-flight calls are spread over.
  int channels = 2;
};

// One row of the table.
struct Row {
  std::string what;
  int concurrency = 0;  // Threads, or gRPC calls in flight.
  Figures figures;
  std::string notes;
};

// rocksdb::DB::Put of one value per call, from `threads` threads, each
// writing its own keys, to a fresh database with default options.
absl::StatusOr<Row> MeasureRocksDbPut(const Config& config, int threads,
                                      bool sync);

// storage::EventLog::Append of one record per call, sync on, from `threads`
// threads, each appending to its own stream with an exact expected version.
absl::StatusOr<Row> MeasureEventLogAppend(const Config& config, int threads);

// AppendEvents over gRPC to an in-process EhcpServer (sync on) on
// 127.0.0.1:0: `in_flight` calls kept in flight by the callback client over
// Config::channels channels, each call slot appending `events_per_call`
// AdviceRequested events to its own case (opened, with a request and a
// decision to assess, before the warm-up), with an exact expected version.
// With case_events > 0 a slot whose case holds that many events opens and
// sets up a fresh case (two calls, not counted) and appends to that;
// with 0 each slot's case grows for the whole run.
absl::StatusOr<Row> MeasureGrpcAppend(const Config& config, int in_flight,
                                      int events_per_call, int case_events);

}  // namespace ehcp::bench

#endif  // EHCP_BENCH_WORKLOADS_H_
