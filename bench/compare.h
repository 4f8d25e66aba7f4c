// The stores compare_bench measures side by side, with one workload
// function per store: PostgreSQL 15 (a cluster of its own, libpq clients
// over TCP loopback) and ehcpd (the real server binary as a child process,
// a gRPC client built on the generated stubs only). Raw RocksDB is
// MeasureRocksDbPut of workloads.h.
//
// Every workload runs closed-loop clients (each issues its next call when
// the previous one returns; nothing is paced or delayed) through a warm-up
// and a window (measure.h), and returns the window's figures plus the
// server's CPU time over the window, read from /proc.
#ifndef EHCP_BENCH_COMPARE_H_
#define EHCP_BENCH_COMPARE_H_

#include <sys/types.h>

#include <cmath>
#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "bench/compare_procs.h"
#include "bench/measure.h"

namespace ehcp::bench {

// What every workload needs.
struct CompareConfig {
  Timing timing;
  // Parent of the temporary directories (the run's own directory).
  std::string dir;
  // Payload bytes of a PostgreSQL row / RocksDB value.
  size_t record_bytes = 300;
};

// One store's figures for one row.
struct StoreResult {
  Figures figures;
  // Server CPU seconds over the window (NaN when not measured).
  double server_cpu_seconds = NAN;
  // Server memory at the end of the window, MB (NaN when not measured).
  double memory_mb = NAN;
  std::string notes;

  // Server CPU per event written in the window, microseconds.
  double CpuMicrosPerEvent() const {
    return figures.events > 0 ? server_cpu_seconds * 1e6 / figures.events
                              : NAN;
  }
};

// ---- PostgreSQL -----------------------------------------------------------

// A PostgreSQL 15 cluster of its own in a temporary directory under
// `parent`, listening on 127.0.0.1 on a free port, with synchronous_commit
// and fsync on. When this process is root the cluster runs as the user
// "postgres" (initdb refuses root). Stop() or the destructor stops it with
// pg_ctl stop -m immediate and removes the directory.
class PostgresCluster {
 public:
  // Errors name the step: "postgres: initdb failed: <output>".
  static absl::StatusOr<std::unique_ptr<PostgresCluster>> Start(
      const std::string& parent);
  ~PostgresCluster();
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  // libpq connection string for the superuser over TCP loopback.
  std::string ConnInfo() const;
  pid_t postmaster_pid() const { return postmaster_pid_; }
  const std::string& version() const { return version_; }

  // Stops the cluster and removes its directory. Idempotent.
  absl::Status Stop();

 private:
  PostgresCluster() = default;

  std::string dir_;
  std::string data_dir_;
  RunAs run_as_;
  int port_ = 0;
  pid_t postmaster_pid_ = 0;
  std::string version_;
  bool running_ = false;
  int cleanup_id_ = -1;
};

// Drops and re-creates the events table (see compare_postgres.cc) and
// checkpoints, so each row starts from an empty table.
absl::Status ResetPostgresTable(const PostgresCluster& cluster);

// `clients` threads, one connection each over TCP loopback, in autocommit:
// each inserts `rows_per_txn` rows per statement (one transaction) into its
// own streams with consecutive versions; a stream ends after a journey's
// worth of rows (29-39, or 30/40 with 10 rows per statement) and the client
// moves to a new one.
absl::StatusOr<StoreResult> MeasurePostgres(const CompareConfig& config,
                                            const PostgresCluster& cluster,
                                            int clients, int rows_per_txn);

// ---- ehcpd ----------------------------------------------------------------

// The ehcpd binary as a child process: a fresh --data_dir in a temporary
// directory under `parent`, --listen=127.0.0.1:0, the port read from its
// "ehcpd: listening on HOST:PORT" line. Stop() or the destructor sends
// SIGTERM, then SIGKILL after 20 s, and removes the directory.
class EhcpdProcess {
 public:
  // Errors name what failed: "ehcpd: exited before listening: <stderr>".
  static absl::StatusOr<std::unique_ptr<EhcpdProcess>> Start(
      const std::string& binary, const std::string& parent);
  ~EhcpdProcess();
  EhcpdProcess(const EhcpdProcess&) = delete;
  EhcpdProcess& operator=(const EhcpdProcess&) = delete;

  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  std::string target() const;

  // Stops the server; an error when it did not exit 0 after SIGTERM.
  absl::Status Stop();

 private:
  EhcpdProcess() = default;

  std::string dir_;
  pid_t pid_ = 0;
  int port_ = 0;
  int stdout_fd_ = -1;
  bool running_ = false;
  int cleanup_id_ = -1;
};

// What the ehcpd clients do.
enum class EhcpdWorkload {
  // Realistic journeys, one event per AppendEvents call; OpenCase counts as
  // one call of one event (it durably writes the case's first event).
  kJourneys,
  // The same journeys (30 or 40 events after opening), 10 events per call;
  // OpenCase is not counted (its time is inside the window).
  kJourneysBatch10,
  // Journeys, one event per call, each append followed by
  // ClockService.ListBreaches with min_position = the append's position;
  // one operation is the pair.
  kReadYourWrite,
};

// Starts a fresh ehcpd and runs `clients` closed-loop clients of `workload`
// on it. For kReadYourWrite, *read_part (if not null) gets the figures of
// the ListBreaches calls alone.
absl::StatusOr<StoreResult> MeasureEhcpd(const CompareConfig& config,
                                         const std::string& binary,
                                         EhcpdWorkload workload, int clients,
                                         Figures* read_part = nullptr);

// Server CPU per append for short and long cases, on one fresh ehcpd.
struct CaseLengthResult {
  StoreResult short_case;
  StoreResult long_case;
  int short_case_events = 0;  // Events per short case before the window.
  int long_case_events = 0;   // Events per long case before the window.
  int short_cases = 0;
  int long_cases = 0;
};

// Untimed: opens cases and grows them with batch appends (a request, a
// decision to assess, then advice requested/received pairs with fresh
// advice ids) to `short_events` and `long_events` events. Then two timed
// windows with `clients` clients appending one event per call (the next
// advice request or receipt) round-robin over their own cases: first the
// short cases, then the long ones. Each client gets enough cases that a
// short case grows by about 10 events at most over its warm-up and window,
// a long one by about 10 % (`expected_rate`: the appends per second to
// size the pools for).
absl::StatusOr<CaseLengthResult> MeasureEhcpdCaseLength(
    const CompareConfig& config, const std::string& binary, int clients,
    int short_events, int long_events, double expected_rate);

}  // namespace ehcp::bench

#endif  // EHCP_BENCH_COMPARE_H_
