// ehcpd: the EHCP case-tracking server.
//
//   ehcpd --data_dir=./ehcp-data --listen=127.0.0.1:50051
//
// Prints one line "ehcpd: listening on HOST:PORT ..." once it serves.
// SIGTERM or SIGINT: stop accepting, finish in-flight calls, close the
// database cleanly, exit 0.
#include <signal.h>

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "services/server.h"

ABSL_FLAG(std::string, data_dir, "./ehcp-data",
          "Directory of the event log (RocksDB); created when missing.");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "Address to serve gRPC on, host:port. Port 0 picks a free port.");
ABSL_FLAG(std::string, metrics_listen, "",
          "Address to serve Prometheus metrics on over HTTP (host:port, "
          "path /metrics); empty: no metrics. Port 0 picks a free port.");
ABSL_FLAG(bool, sync, true,
          "Sync the write-ahead log before acknowledging appends. "
          "--nosync loses acknowledged events on power loss.");
ABSL_FLAG(int64_t, case_cache_mb, 1024,
          "Memory, in MiB, for the case models (each case's events, state "
          "and clocks) shared by appends, the clock index and reports. "
          "Least recently used cases beyond it are read again when needed.");

ABSL_FLAG(int64_t, recover_to, -1,
          "Recover a log that refuses to open as damaged, when there is no "
          "backup: keep positions 1..N (the N the refusal names) and drop "
          "what the damage hides after it. The damaged files are first "
          "copied to DATA_DIR/damaged-<time>/ and kept; the clock index is "
          "moved there too and rebuilt on the next start. Runs and exits; "
          "serves nothing.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "ehcpd serves the EHCP case API (ehcp.v1.CaseService) over gRPC.\n"
      "Usage: ehcpd [--data_dir=DIR] [--listen=HOST:PORT] [--nosync]\n"
      "       ehcpd --data_dir=DIR --recover_to=N   (a damaged log; see "
      "storage/FORMAT.md)");
  absl::FlagsUsageConfig usage;
  // EHCP_VERSION and EHCP_BUILD_TYPE come from CMake (ehcp::version);
  // Abseil's own --version says only whether NDEBUG is defined.
  usage.version_string = [] {
    return std::string("ehcpd ") + EHCP_VERSION + " (" + EHCP_BUILD_TYPE +
           " build)\n";
  };
  absl::SetFlagsUsageConfig(usage);
  absl::ParseCommandLine(argc, argv);
  // Abseil's lock-order graph costs every lock a lookup; the tests keep it
  // (they run the same locks with detection on), the server does not.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  if (const int64_t keep = absl::GetFlag(FLAGS_recover_to); keep >= 0) {
    std::printf(
        "ehcpd: recovering %s/log to positions 1-%lld: what follows position "
        "%lld in the damaged write-ahead log will be dropped from the live "
        "log (a copy of the damaged files is kept first)\n",
        absl::GetFlag(FLAGS_data_dir).c_str(), static_cast<long long>(keep),
        static_cast<long long>(keep));
    absl::StatusOr<std::string> report = ehcp::services::RecoverDataDir(
        absl::GetFlag(FLAGS_data_dir), static_cast<uint64_t>(keep),
        absl::Now());
    if (!report.ok()) {
      std::fprintf(stderr, "ehcpd: %s\n", report.status().ToString().c_str());
      return 1;
    }
    std::printf("%s", report->c_str());
    return 0;
  }
  ehcp::services::ServerOptions options;
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.sync = absl::GetFlag(FLAGS_sync);
  options.metrics_address = absl::GetFlag(FLAGS_metrics_listen);
  options.case_cache_bytes =
      static_cast<size_t>(std::max<int64_t>(1, absl::GetFlag(FLAGS_case_cache_mb)))
      << 20;
  auto server = ehcp::services::EhcpServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "ehcpd: %s\n", server.status().ToString().c_str());
    return 1;
  }
  const std::string& listen = options.listen_address;
  const std::string host = listen.substr(0, listen.rfind(':'));
  std::printf("ehcpd: listening on %s:%d (data %s, sync %s)\n", host.c_str(),
              (*server)->port(), options.data_dir.c_str(),
              options.sync ? "on" : "off");
  if ((*server)->metrics_port() != 0) {
    const std::string& metrics = options.metrics_address;
    std::printf("ehcpd: metrics on http://%s:%d/metrics\n",
                metrics.substr(0, metrics.rfind(':')).c_str(),
                (*server)->metrics_port());
  }
  std::fflush(stdout);
  if (absl::Status writable = (*server)->write_status(); !writable.ok()) {
    std::fprintf(stderr, "ehcpd: appends are refused for now: %s\n",
                 writable.ToString().c_str());
  }

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::fprintf(stderr, "ehcpd: %s received, stopping\n",
               signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  (*server)->Shutdown();
  std::fprintf(stderr, "ehcpd: stopped cleanly\n");
  return 0;
}
