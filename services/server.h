// ehcpd: the server that hosts the case API over one event log.
//
//   ServerOptions options;
//   options.data_dir = "./data";
//   auto server = EhcpServer::Start(options);   // listening when it returns
//   ...
//   (*server)->Shutdown();   // stop accepting, finish calls, close the log
//
// Start-up is separate from main() so tests run a real server on port 0.
//
// Thread safety: Shutdown may be called from any thread, once or more.
#ifndef EHCP_SERVICES_SERVER_H_
#define EHCP_SERVICES_SERVER_H_

#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "projections/alert_scheduler.h"

namespace grpc {
class Server;
}

namespace ehcp::storage {
class EventLog;
}

namespace ehcp::projections {
class ClockIndex;
}

namespace ehcp::cases {
class CaseCache;
}

namespace ehcp::services {

class AdminServiceImpl;
class AlertServiceImpl;
class AlertWebhook;
class Authenticator;
class CaseCommands;
class ServerClock;
class CaseServiceImpl;
class ClockServiceImpl;
class Executor;
class HealthMonitor;
class IndexWaits;
class LogVerifier;
class MetricsExporter;
class ServiceMetrics;
class StructuredLog;

// PEM files of ehcpd's TLS (services/internal/tls.h). No certificate:
// plaintext, which ehcpd serves only on loopback unless told otherwise.
struct TlsFiles {
  std::string cert_file;       // the server's certificate chain
  std::string key_file;        // its private key (unencrypted PEM)
  std::string client_ca_file;  // set: mutual TLS, clients signed by this CA
};

struct ServerOptions {
  // Data directory, created when missing: the event log in log/, the clock
  // index (a projection, rebuildable from the log) in clock-index/.
  std::string data_dir = "./ehcp-data";
  // host:port to listen on; port 0 picks a free port (see EhcpServer::port).
  std::string listen_address = "127.0.0.1:50051";
  // TLS for the gRPC port; without it the listen address must be loopback
  // unless insecure_listen (e.g. behind a proxy that terminates TLS).
  TlsFiles tls;
  bool insecure_listen = false;
  // Who may call what (services/internal/auth.h; docs/security.md,
  // "Principals and roles"): a principals file of bearer-token hashes and
  // client-certificate identities with their roles and LAs, re-read when it
  // changes and by ReloadPrincipals. Empty: authentication off, every
  // caller is "anonymous" with every role.
  std::string principals_file;
  // Sync the write-ahead log before acknowledging an append. Turning this
  // off loses acknowledged events on power loss; for benchmarks only.
  bool sync = true;
  // Memory for the case models (events, state and clocks of each case)
  // that the append path, the clock index and the queries share; least
  // recently used cases are dropped beyond it and read again when needed.
  size_t case_cache_bytes = size_t{1} << 30;
  // Worker threads for reads, reports and rebuilds, and how many such
  // calls may wait for one before RESOURCE_EXHAUSTED.
  int worker_threads = 4;
  size_t max_queued_work = 1024;
  // host:port to serve Prometheus metrics on (HTTP, /metrics); empty: off.
  // Port 0 picks a free port (see EhcpServer::metrics_port).
  std::string metrics_address;
  // The per-LA report figures among the metrics (overdue annual reviews,
  // open breaches, the review backlog) are computed at most this often, off
  // the scrape (services/internal/report_metrics.h).
  absl::Duration metrics_report_interval = absl::Seconds(30);
  // Largest request accepted, in bytes (larger: RESOURCE_EXHAUSTED).
  int max_message_bytes = 4 << 20;
  // Memory gRPC may hold for calls in flight (their buffers and messages),
  // in bytes: a gRPC resource quota. Past it, gRPC stops reading from
  // connections until memory is released, so 48 clients sending 4 MiB
  // each cannot raise memory without bound.
  size_t max_request_memory_bytes = size_t{256} << 20;
  // The operator's log (services/internal/structured_log.h): "json" (one
  // JSON object per line) or "text"; anything else is INVALID_ARGUMENT.
  std::string log_format = "json";
  // Receives each log line (newline included) on the log's own thread;
  // empty: stderr.
  std::function<void(const std::string& line)> log_sink;
  // A unary call that takes at least this long is logged as slow_call.
  absl::Duration slow_call = absl::Seconds(1);
  // The current instant; tests pass a fixed clock.
  std::function<absl::Time()> now = [] { return absl::Now(); };
  // A simulated today (ehcpd --today): the server's date stays there until
  // AdminService.SetToday moves it on (services/internal/server_clock.h).
  // Unset: the Europe/London date of `now`.
  std::optional<absl::CivilDay> today;
  // Lead times of the DUE_SOON alerts (projections/alert_scheduler.h).
  projections::AlertScheduler::LeadDays alert_lead_days;
  // Webhook delivery of the alert log (services/internal/alert_webhook.h;
  // docs/alerts.md, "Webhook"): off while `url` is empty. Its cursor is
  // data_dir/webhook/cursor.
  struct WebhookOptions {
    // http:// or https:// (ehcpd --alert_webhook_url).
    std::string url;
    // A file holding a bearer token, read once at start
    // (--alert_webhook_token_file); empty: no Authorization header.
    std::string token_file;
    // Which alerts are posted (--alert_webhook_la); empty: all.
    projections::AlertFilter filter;
    absl::Duration request_timeout = absl::Seconds(10);
    absl::Duration initial_backoff = absl::Seconds(1);
    absl::Duration max_backoff = absl::Minutes(5);
  };
  WebhookOptions alert_webhook;
};

// Makes `data_dir` (created when missing) and everything in it private to
// the process's user: directories 0700, files 0600 (symbolic links are
// left alone). Returns how many paths it changed. FAILED_PRECONDITION
// naming a path it cannot change (another user's); UNAVAILABLE when the
// directory cannot be created or read. EhcpServer::Start calls it; ehcpd
// also sets its umask to 077 so that files created later are private too.
absl::StatusOr<int> SecureDataDir(const std::string& data_dir);

// The operator's recovery of a data directory whose log refuses to open
// as damaged (`ehcpd --recover_to=P`), when there is no backup to restore:
//  1. copies `data_dir`/log whole to `data_dir`/damaged-<UTC time>/log (the
//     damaged files, which still hold what is dropped, for a forensic
//     recovery or a later restore);
//  2. opens the log with point-in-time recovery (storage/event_log.h
//     Options::recover_to) only when that keeps exactly positions 1..P —
//     FAILED_PRECONDITION otherwise, with the copy removed and nothing
//     changed — and verifies the whole hash chain of what it kept;
//  3. moves the clock index, the alert log and the alert webhook's cursor
//     (webhook/, which counts in the alert log's sequence numbers) aside
//     into the same folder: they were built from a log that may have held
//     more; ehcpd rebuilds the index on start, and starts a new alert log
//     (the old one is kept for its history), delivered from sequence 1.
// Returns the lines to print: what was kept, where the copy is.
absl::StatusOr<std::string> RecoverDataDir(const std::string& data_dir,
                                           uint64_t keep_to, absl::Time now);

class EhcpServer {
 public:
  // Opens the log and starts serving. INVALID_ARGUMENT for a bad listen
  // address or log format, a webhook option (a URL that is not http:// or
  // https://, an unreadable token file, a bad filter), or TLS files that
  // are missing, unreadable or do not belong together
  // (services/internal/tls.h), or a principals file that does not parse
  // (the error names its line and field; NOT_FOUND or PERMISSION_DENIED
  // when it cannot be read), all found before anything is created on
  // disk; FAILED_PRECONDITION for plaintext on an address other machines
  // can reach, or for a webhook cursor that does not parse or is past the
  // alert log; UNAVAILABLE when the port (or the metrics port) cannot be
  // bound; errors from the log (e.g. FAILED_PRECONDITION for a data
  // directory of another format, or another ehcpd already using it).
  static absl::StatusOr<std::unique_ptr<EhcpServer>> Start(
      const ServerOptions& options);

  ~EhcpServer();  // Calls Shutdown().

  EhcpServer(const EhcpServer&) = delete;
  EhcpServer& operator=(const EhcpServer&) = delete;

  // The port bound (useful with port 0).
  int port() const { return port_; }

  // The metrics port bound; 0 when metrics are off.
  int metrics_port() const;

  // Whether appends can be written now (storage::EventLog::WriteStatus):
  // e.g. RESOURCE_EXHAUSTED when the log was opened read-only on a full disk.
  absl::Status write_status() const;

  // Stops accepting calls, ends subscriptions, lets in-flight calls finish
  // (for at most `grace`), then closes the log cleanly. Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(10));

  // Blocks until Shutdown has completed.
  void Wait();

  // Reads the principals file again (ehcpd does on SIGHUP); an invalid
  // file keeps the principals in use and is returned (and logged). OK and
  // nothing done when authentication is off.
  absl::Status ReloadPrincipals();

  // The alert webhook (services/internal/alert_webhook.h); null when off.
  const AlertWebhook* alert_webhook() const { return webhook_.get(); }

 private:
  EhcpServer();
  // Logs server_started: the configuration (no secrets) and where the log
  // and the index stand.
  static void LogStarted(const ServerOptions& options,
                         const EhcpServer& server);

  // The operator's log and the services' counters: first, so that they go
  // last, after every thread that feeds them.
  std::unique_ptr<StructuredLog> oplog_;
  std::unique_ptr<ServiceMetrics> service_metrics_;
  // The principals (null: authentication off); before the services.
  std::unique_ptr<Authenticator> auth_;
  // The server's now and today (wall clock or simulated).
  std::unique_ptr<ServerClock> clock_;
  std::unique_ptr<storage::EventLog> log_;
  std::unique_ptr<projections::ClockIndex> index_;
  std::unique_ptr<cases::CaseCache> cases_;
  // Reads, reports and rebuilds run here, never on gRPC threads.
  std::unique_ptr<Executor> executor_;
  std::unique_ptr<IndexWaits> waits_;
  std::unique_ptr<CaseCommands> commands_;
  std::unique_ptr<CaseServiceImpl> service_;
  std::unique_ptr<ClockServiceImpl> clocks_;
  // The whole log's hash chain, verified in the background after start.
  std::unique_ptr<LogVerifier> verifier_;
  // The alert log (data_dir/alerts), its services, and the thread that
  // gives the scheduler the server's today once a second.
  std::unique_ptr<projections::AlertScheduler> alerts_;
  std::unique_ptr<AlertServiceImpl> alert_service_;
  std::unique_ptr<AdminServiceImpl> admin_service_;
  // Posts the alerts to ServerOptions::alert_webhook.url; null when off.
  std::unique_ptr<AlertWebhook> webhook_;
  std::thread day_ticker_;
  absl::Mutex ticker_mu_;
  bool ticker_stop_ ABSL_GUARDED_BY(ticker_mu_) = false;
  void TickDays();
  std::unique_ptr<grpc::Server> server_;
  // Per-service health, and resuming appends after a full disk.
  std::unique_ptr<HealthMonitor> health_;
  std::unique_ptr<MetricsExporter> metrics_;
  int port_ = 0;
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_SERVER_H_
