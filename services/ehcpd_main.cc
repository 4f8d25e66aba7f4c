// ehcpd: the EHCP case-tracking server.
//
//   ehcpd --data_dir=./ehcp-data --listen=127.0.0.1:50051
//
// Prints one line "ehcpd: listening on HOST:PORT ..." once it serves.
// SIGTERM or SIGINT: stop accepting, finish in-flight calls, close the
// database cleanly, exit 0. SIGHUP: re-read --principals_file.
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "domain/dates.h"
#include "domain/rules.h"
#include "services/internal/structured_log.h"
#include "services/server.h"

ABSL_FLAG(std::string, data_dir, "./ehcp-data",
          "Directory of the event log (RocksDB); created when missing.");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "Address to serve gRPC on, host:port. Port 0 picks a free port.");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM file of the server's TLS certificate chain; with --tls_key, "
          "the gRPC port speaks TLS only. Without TLS, ehcpd listens only "
          "on loopback (see --insecure_listen).");
ABSL_FLAG(std::string, tls_key, "",
          "PEM file of the private key of --tls_cert (unencrypted; keep it "
          "mode 0600).");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM file of the CA that signs client certificates: mutual TLS, a "
          "client without such a certificate cannot connect.");
ABSL_FLAG(bool, insecure_listen, false,
          "Serve plaintext gRPC on an address other machines can reach "
          "(e.g. behind a proxy that terminates TLS). Off: without TLS, "
          "--listen must be loopback.");
ABSL_FLAG(std::string, principals_file, "",
          "Authentication and roles: a file of principals, one a line "
          "(name=... roles=caseworker|auditor|alerting|admin,... las=CODES|* "
          "and token_sha256=<SHA-256 hex of a bearer token> and/or "
          "cert_cn=<client certificate CN or SAN, with --tls_client_ca>). "
          "Re-read when it changes and on SIGHUP; an invalid new file is "
          "logged and the old one kept. Empty: no authentication, every "
          "caller may call everything. See docs/security.md.");
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

ABSL_FLAG(int64_t, max_request_memory_mb, 256,
          "Memory, in MiB, that gRPC may hold for calls in flight; past it "
          "ehcpd stops reading requests until memory is released (a gRPC "
          "resource quota), so many large requests at once cannot exhaust "
          "the machine.");

ABSL_FLAG(std::string, log_format, "json",
          "The operator's log on stderr: \"json\" (one JSON object per "
          "line: start-up configuration, refused and failed calls, slow "
          "calls, clock index rebuilds) or \"text\" (the same as "
          "key=value lines).");
ABSL_FLAG(absl::Duration, slow_call, absl::Seconds(1),
          "A unary call that takes at least this long is logged as "
          "slow_call (e.g. 500ms, 2s).");
ABSL_FLAG(absl::Duration, metrics_report_interval, absl::Seconds(30),
          "The per-LA report figures among the metrics (overdue annual "
          "reviews, open breaches, review backlog) are computed at most this "
          "often, off the scrape.");

ABSL_FLAG(std::string, today, "",
          "Simulate today's date, YYYY-MM-DD (for demonstrations and tests): "
          "the server's date stays there until AdminService.SetToday moves "
          "it on. Empty: the real Europe/London date.");
ABSL_FLAG(std::string, alert_lead_days, "",
          "Lead times of the DUE_SOON alerts, in days, as clock=days pairs "
          "separated by commas (e.g. annual_review=42,other=10; 0 turns a "
          "clock's DUE_SOON off). Defaults: decision_to_assess=14, "
          "final_plan_20w=14, annual_review=28, phase_transfer=28, other=7.");
ABSL_FLAG(std::string, alert_webhook_url, "",
          "POST each alert as JSON to this http:// or https:// URL, at least "
          "once and in sequence order, retrying with backoff (1s doubling "
          "to 5min) until the receiver answers 2xx; the request's "
          "Idempotency-Key header is the alert's sequence, to deduplicate "
          "by. Progress is kept in DATA_DIR/webhook/cursor (delete it to "
          "deliver everything again). Empty: no webhook. See "
          "docs/alerts.md, \"Webhook\".");
ABSL_FLAG(std::string, alert_webhook_token_file, "",
          "A file holding a bearer token (one line) sent with each webhook "
          "request as \"Authorization: Bearer <token>\"; read once at "
          "start, never logged. Needs --alert_webhook_url.");
ABSL_FLAG(std::string, alert_webhook_la, "",
          "Post only the alerts of this LA (an ONS code, e.g. E06000035). "
          "Empty: every LA's. Needs --alert_webhook_url.");
ABSL_FLAG(int64_t, recover_to, -1,
          "Recover a log that refuses to open as damaged, when there is no "
          "backup: keep positions 1..N (the N the refusal names) and drop "
          "what the damage hides after it. The damaged files are first "
          "copied to DATA_DIR/damaged-<time>/ and kept; the clock index is "
          "moved there too and rebuilt on the next start. Runs and exits; "
          "serves nothing.");

namespace {

using ehcp::services::LogFormat;
using ehcp::services::LogLevel;
using ehcp::services::StructuredLog;

// One line of the server's own on stderr: in the JSON log format an object
// with `event`, `code` (when a status is given) and `message`, the same
// sentence as the text format's "ehcpd: <message>". The messages are the
// server's own (paths, positions, storage errors), never a client's input.
void Say(LogFormat format, absl::string_view event, LogLevel level,
         const std::string& message, const absl::Status* status = nullptr) {
  std::string line;
  if (format == LogFormat::kJson) {
    ehcp::services::LogFields fields;
    if (status != nullptr) {
      fields.push_back({"code", absl::StatusCodeToString(status->code())});
    }
    fields.push_back({"message", message});
    line = StructuredLog::Format(format, absl::Now(), event, fields, level);
  } else {
    line = "ehcpd: " + message;
  }
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace

int main(int argc, char** argv) {
  // Everything ehcpd creates (the data directory's files, the webhook
  // cursor) is its user's alone: children's records.
  umask(0077);
  absl::SetProgramUsageMessage(
      "ehcpd serves the EHCP case API (ehcp.v1.CaseService) over gRPC.\n"
      "Usage: ehcpd [--data_dir=DIR] [--listen=HOST:PORT] [--nosync]\n"
      "             [--metrics_listen=HOST:PORT] [--log_format=json|text]\n"
      "             [--principals_file=FILE] [--tls_cert=F --tls_key=F\n"
      "              [--tls_client_ca=F]]\n"
      "             [--alert_webhook_url=URL [--alert_webhook_token_file=F]\n"
      "              [--alert_webhook_la=ONS_CODE]]\n"
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
  sigaddset(&stop_signals, SIGHUP);
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
  options.tls.cert_file = absl::GetFlag(FLAGS_tls_cert);
  options.tls.key_file = absl::GetFlag(FLAGS_tls_key);
  options.tls.client_ca_file = absl::GetFlag(FLAGS_tls_client_ca);
  options.insecure_listen = absl::GetFlag(FLAGS_insecure_listen);
  options.principals_file = absl::GetFlag(FLAGS_principals_file);
  options.sync = absl::GetFlag(FLAGS_sync);
  options.metrics_address = absl::GetFlag(FLAGS_metrics_listen);
  options.log_format = absl::GetFlag(FLAGS_log_format);
  options.slow_call = absl::GetFlag(FLAGS_slow_call);
  options.metrics_report_interval =
      absl::GetFlag(FLAGS_metrics_report_interval);
  options.max_request_memory_bytes =
      static_cast<size_t>(
          std::max<int64_t>(16, absl::GetFlag(FLAGS_max_request_memory_mb)))
      << 20;
  options.case_cache_bytes =
      static_cast<size_t>(std::max<int64_t>(1, absl::GetFlag(FLAGS_case_cache_mb)))
      << 20;
  absl::StatusOr<LogFormat> format =
      ehcp::services::ParseLogFormat(options.log_format);
  if (!format.ok()) {
    std::fprintf(stderr, "ehcpd: %s\n", format.status().ToString().c_str());
    return 1;
  }
  if (const std::string today = absl::GetFlag(FLAGS_today); !today.empty()) {
    absl::StatusOr<absl::CivilDay> day =
        ehcp::domain::ParseDate(today, "--today");
    if (!day.ok()) {
      std::fprintf(stderr, "ehcpd: %s\n", day.status().ToString().c_str());
      return 1;
    }
    options.today = *day;
  }
  for (absl::string_view pair :
       absl::StrSplit(absl::GetFlag(FLAGS_alert_lead_days), ',',
                      absl::SkipEmpty())) {
    std::vector<std::string> parts = absl::StrSplit(pair, '=');
    int days = -1;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &days) || days < 0 ||
        days > 366) {
      std::fprintf(stderr,
                   "ehcpd: --alert_lead_days: \"%s\" is not clock=days "
                   "(days 0-366)\n",
                   std::string(pair).c_str());
      return 1;
    }
    if (parts[0] != "other" && !ehcp::domain::IsKnownClockId(parts[0])) {
      std::fprintf(stderr,
                   "ehcpd: --alert_lead_days: \"%s\" is not a clock id of "
                   "the catalogue (docs/clocks.md) nor \"other\"\n",
                   parts[0].c_str());
      return 1;
    }
    if (parts[0] == "other") {
      options.alert_lead_days.other = days;
    } else {
      options.alert_lead_days.by_clock[parts[0]] = days;
    }
  }
  options.alert_webhook.url = absl::GetFlag(FLAGS_alert_webhook_url);
  options.alert_webhook.token_file =
      absl::GetFlag(FLAGS_alert_webhook_token_file);
  options.alert_webhook.filter.la_code = absl::GetFlag(FLAGS_alert_webhook_la);
  // EhcpServer::Start checks the webhook's flags before it creates
  // anything on disk.
  auto server = ehcp::services::EhcpServer::Start(options);
  if (!server.ok()) {
    Say(*format, "start_failed", LogLevel::kError,
        server.status().ToString(), &server.status());
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
    Say(*format, "appends_refused", LogLevel::kWarning,
        "appends are refused for now: " + writable.ToString(), &writable);
  }

  int signal_number = 0;
  while (true) {
    sigwait(&stop_signals, &signal_number);
    if (signal_number != SIGHUP) break;
    // Logged by the server (principals_reloaded / principals_reload_failed).
    (void)(*server)->ReloadPrincipals();
  }
  Say(*format, "stopping", LogLevel::kInfo,
      absl::StrCat(signal_number == SIGTERM ? "SIGTERM" : "SIGINT",
                   " received, stopping"));
  (*server)->Shutdown();
  Say(*format, "stopped", LogLevel::kInfo, "stopped cleanly");
  return 0;
}
