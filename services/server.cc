#include "services/server.h"

#include <filesystem>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "cases/case_cache.h"
#include "domain/dates.h"
#include "domain/rules.h"
#include "domain/validation.h"
#include "common/status_macros.h"
#include "grpcpp/resource_quota.h"
#include "services/internal/alert_service.h"
#include "services/internal/alert_webhook.h"
#include "services/internal/call_observer.h"
#include "services/internal/auth.h"
#include "services/internal/case_commands.h"
#include "services/internal/case_service.h"
#include "services/internal/clock_service.h"
#include "services/internal/executor.h"
#include "services/internal/index_waits.h"
#include "services/internal/health_monitor.h"
#include "services/internal/log_verifier.h"
#include "services/internal/metrics.h"
#include "services/internal/server_clock.h"
#include "services/internal/service_metrics.h"
#include "services/internal/structured_log.h"
#include "services/internal/tls.h"
#include "storage/event_log.h"

namespace ehcp::services {

absl::StatusOr<int> SecureDataDir(const std::string& data_dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::create_directories(data_dir, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat(
        "data_dir: cannot create ", data_dir, ": ", error.message()));
  }
  int changed = 0;
  // Owner only: rwx for directories, rw for files (0700 / 0600).
  auto tighten = [&](const fs::path& path, bool directory) -> absl::Status {
    const fs::file_status status = fs::symlink_status(path, error);
    if (error || fs::is_symlink(status)) return absl::OkStatus();
    const fs::perms want =
        directory ? fs::perms::owner_all
                  : fs::perms::owner_read | fs::perms::owner_write;
    if ((status.permissions() & fs::perms::mask) == want) {
      return absl::OkStatus();
    }
    fs::permissions(path, want, fs::perm_options::replace, error);
    if (error) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data_dir: cannot make ", path.string(),
          " private to ehcpd's user (", error.message(),
          "); it holds children's records: give it to that user "
          "(chown -R) and start again"));
    }
    ++changed;
    return absl::OkStatus();
  };
  EHCP_RETURN_IF_ERROR(tighten(data_dir, /*directory=*/true));
  for (fs::recursive_directory_iterator it(data_dir, error), end;
       !error && it != end; it.increment(error)) {
    const bool directory = it->is_directory(error);
    if (error) break;
    EHCP_RETURN_IF_ERROR(tighten(it->path(), directory));
  }
  if (error) {
    return absl::UnavailableError(absl::StrCat(
        "data_dir: cannot read ", data_dir, ": ", error.message()));
  }
  return changed;
}

absl::StatusOr<std::string> RecoverDataDir(const std::string& data_dir,
                                           uint64_t keep_to, absl::Time now) {
  namespace fs = std::filesystem;
  const std::string log_dir = data_dir + "/log";
  const std::string kept = absl::StrCat(
      data_dir, "/damaged-",
      absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone()));
  std::error_code error;
  if (!fs::is_directory(log_dir, error)) {
    return absl::NotFoundError(absl::StrCat(log_dir, ": no event log here"));
  }
  if (fs::exists(kept, error)) {
    return absl::AlreadyExistsError(absl::StrCat(kept, " already exists"));
  }
  fs::create_directories(kept, error);
  if (!error) {
    fs::copy(log_dir, kept + "/log", fs::copy_options::recursive, error);
  }
  if (error) {
    fs::remove_all(kept, error);
    return absl::UnavailableError(absl::StrCat(
        "cannot copy ", log_dir, " to ", kept, " (", error.message(),
        "); nothing was changed"));
  }
  storage::EventLog::Options options;
  options.recover_to = keep_to;
  absl::StatusOr<std::unique_ptr<storage::EventLog>> log =
      storage::EventLog::Open(log_dir, options);
  if (!log.ok()) {
    std::error_code ignored;
    fs::remove_all(kept, ignored);
    return log.status();
  }
  const absl::Status chain = (*log)->VerifyChain(0, 0);
  const uint64_t head = (*log)->HeadPosition();
  log->reset();
  if (!chain.ok()) {
    return absl::DataLossError(absl::StrCat(
        "the recovered log does not verify (", chain.message(),
        "); the damaged files are in ", kept,
        ": restore the data directory from a backup"));
  }
  std::string report = absl::StrCat(
      "ehcpd: recovered ", log_dir, ": it holds positions 1-", head,
      " and their hash chain verifies; what followed position ", head,
      " in the damaged write-ahead log is no longer in the live log.\n",
      "ehcpd: the damaged files, which still hold it, are kept in ", kept,
      "/log: keep them.\n");
  const std::string index_dir = data_dir + "/clock-index";
  if (fs::exists(index_dir, error)) {
    fs::rename(index_dir, kept + "/clock-index", error);
    if (error) {
      return absl::UnavailableError(absl::StrCat(
          report, "ehcpd: but the clock index could not be moved to ", kept,
          " (", error.message(), "): move it yourself before starting ehcpd"));
    }
    absl::StrAppend(&report, "ehcpd: the clock index was moved to ", kept,
                    "/clock-index; ehcpd rebuilds it from the log when it "
                    "starts.\n");
  }
  const std::string alerts_dir = data_dir + "/alerts";
  if (fs::exists(alerts_dir, error)) {
    fs::rename(alerts_dir, kept + "/alerts", error);
    if (error) {
      return absl::UnavailableError(absl::StrCat(
          report, "ehcpd: but the alert log could not be moved to ", kept,
          " (", error.message(), "): move it yourself before starting ehcpd"));
    }
    absl::StrAppend(&report, "ehcpd: the alert log was moved to ", kept,
                    "/alerts (it had announced what the log no longer "
                    "holds; keep it for its history); ehcpd starts a new one, "
                    "which announces what is still open.\n");
  }
  // The webhook's cursor counts in the old alert log's sequence numbers:
  // left here, it would be ahead of the new log (refused at start) or,
  // worse, skip its first alerts.
  const std::string webhook_dir = data_dir + "/webhook";
  if (fs::exists(webhook_dir, error)) {
    fs::rename(webhook_dir, kept + "/webhook", error);
    if (error) {
      return absl::UnavailableError(absl::StrCat(
          report, "ehcpd: but the alert webhook's cursor could ",
          "not be moved to ", kept, " (", error.message(), "): move ",
          webhook_dir, " yourself before starting ehcpd"));
    }
    absl::StrAppend(
        &report, "ehcpd: the alert webhook's cursor was moved to ", kept,
        "/webhook; the webhook delivers the new alert log from sequence 1 ",
        "(receivers that deduplicate by sequence must forget the old ",
        "numbers).\n");
  }
  return report;
}

namespace {

// "host:port" with the port actually bound.
std::string Bound(const std::string& address, int port) {
  return absl::StrCat(address.substr(0, address.rfind(':')), ":", port);
}

}  // namespace

EhcpServer::EhcpServer() = default;

void EhcpServer::LogStarted(const ServerOptions& options,
                            const EhcpServer& server) {
  const projections::IndexStatus index = server.index_->Status();
  server.oplog_->LogJson(
      "server_started",
      {{"data_dir", options.data_dir},
       {"listen", Bound(options.listen_address, server.port_)},
       {"metrics", server.metrics_ == nullptr
                       ? std::string()
                       : Bound(options.metrics_address,
                               server.metrics_->port())},
       {"tls", options.tls.cert_file.empty()         ? "off"
               : options.tls.client_ca_file.empty() ? "server"
                                                    : "mutual"},
       {"sync", options.sync},
       {"case_cache_mb", static_cast<uint64_t>(options.case_cache_bytes >> 20)},
       {"workers", options.worker_threads},
       {"max_queued_work", static_cast<uint64_t>(options.max_queued_work)},
       {"max_message_bytes", options.max_message_bytes},
       {"max_request_memory_mb",
        static_cast<uint64_t>(options.max_request_memory_bytes >> 20)},
       {"slow_call_ms", absl::ToInt64Milliseconds(options.slow_call)},
       {"metrics_report_interval_s",
        absl::ToInt64Seconds(options.metrics_report_interval)},
       {"log_head", server.log_->HeadPosition()},
       {"index_checkpoint", index.checkpoint},
       {"writable", server.log_->WriteStatus().ok()},
       {"today", domain::FormatDate(server.clock_->Today())},
       {"today_simulated", server.clock_->simulated()},
       {"alert_day", domain::FormatDate(server.alerts_->Status().day)},
       {"alert_last_sequence", server.alerts_->LastSequence()},
       {"alert_webhook", server.webhook_ != nullptr},
       {"principals_file", options.principals_file},
       {"principals", server.auth_ == nullptr
                          ? uint64_t{0}
                          : static_cast<uint64_t>(server.auth_->size())}});
}

absl::StatusOr<std::unique_ptr<EhcpServer>> EhcpServer::Start(
    const ServerOptions& options) {
  if (options.listen_address.empty() ||
      options.listen_address.find(':') == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen: \"", options.listen_address, "\" is not host:port"));
  }
  absl::StatusOr<LogFormat> log_format = ParseLogFormat(options.log_format);
  if (!log_format.ok()) return log_format.status();
  // Checked before anything is opened or created.
  if (absl::Status listen = CheckListenAddress(
          options.listen_address, options.tls, options.insecure_listen);
      !listen.ok()) {
    return listen;
  }
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      ServerCredentialsFor(options.tls);
  if (!credentials.ok()) return credentials.status();
  // The webhook's options, before anything is created on disk.
  const ServerOptions::WebhookOptions& hook = options.alert_webhook;
  std::string webhook_token;
  if (!hook.url.empty()) {
    if (absl::Status url = AlertWebhook::ValidateUrl(hook.url); !url.ok()) {
      return url;
    }
    if (!hook.filter.la_code.empty() &&
        !domain::IsOnsLaCode(hook.filter.la_code)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--alert_webhook_la: \"", hook.filter.la_code,
                       "\" is not an ONS LA code (e.g. E06000035)"));
    }
    for (const std::string& clock_id : hook.filter.clock_ids) {
      if (!domain::IsKnownClockId(clock_id)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "alert webhook filter: unknown clock \"", clock_id, "\""));
      }
    }
    if (!hook.token_file.empty()) {
      absl::StatusOr<std::string> token =
          AlertWebhook::ReadTokenFile(hook.token_file);
      if (!token.ok()) return token.status();
      webhook_token = *std::move(token);
    }
  } else if (!hook.token_file.empty() || !hook.filter.la_code.empty()) {
    return absl::InvalidArgumentError(
        "--alert_webhook_token_file and --alert_webhook_la need "
        "--alert_webhook_url");
  }
  std::unique_ptr<EhcpServer> server(new EhcpServer);
  server->oplog_ = std::make_unique<StructuredLog>(
      StructuredLog::Options{*log_format, options.log_sink});
  // The principals, before anything is created on disk.
  if (!options.principals_file.empty()) {
    absl::StatusOr<std::unique_ptr<Authenticator>> auth =
        Authenticator::Load(options.principals_file, server->oplog_.get());
    if (!auth.ok()) return auth.status();
    server->auth_ = *std::move(auth);
  }
  absl::StatusOr<int> tightened = SecureDataDir(options.data_dir);
  if (!tightened.ok()) return tightened.status();
  if (*tightened > 0) {
    server->oplog_->LogJson(
        "data_dir_made_private",
        {{"data_dir", options.data_dir},
         {"paths", static_cast<uint64_t>(*tightened)}},
        LogLevel::kWarning);
  }
  server->clock_ = std::make_unique<ServerClock>(options.now, options.today);
  ServerClock* const clock = server->clock_.get();
  const std::function<absl::Time()> now = [clock] { return clock->Now(); };
  server->service_metrics_ = std::make_unique<ServiceMetrics>();
  storage::EventLog::Options log_options;
  log_options.sync = options.sync;
  // Commit times ("recorded at", the axis of as_known_at) come from the
  // server's clock too; the log keeps them in order.
  log_options.now_micros = [clock] { return absl::ToUnixMicros(clock->Now()); };
  absl::StatusOr<std::unique_ptr<storage::EventLog>> log =
      storage::EventLog::Open(options.data_dir + "/log", log_options);
  if (!log.ok()) return log.status();
  server->log_ = *std::move(log);
  server->cases_ = std::make_unique<cases::CaseCache>(server->log_.get(),
                                                      options.case_cache_bytes);
  projections::ClockIndex::Options index_options;
  index_options.cases = server->cases_.get();
  absl::StatusOr<std::unique_ptr<projections::ClockIndex>> index =
      projections::ClockIndex::Open(options.data_dir + "/clock-index",
                                    server->log_.get(), index_options);
  if (!index.ok()) return index.status();
  server->index_ = *std::move(index);
  projections::AlertScheduler::Options alert_options;
  alert_options.cases = server->cases_.get();
  alert_options.lead_days = options.alert_lead_days;
  absl::StatusOr<std::unique_ptr<projections::AlertScheduler>> alerts =
      projections::AlertScheduler::Open(options.data_dir + "/alerts",
                                        server->log_.get(), clock->Today(),
                                        alert_options);
  if (!alerts.ok()) return alerts.status();
  server->alerts_ = *std::move(alerts);
  if (!hook.url.empty()) {
    AlertWebhook::Options webhook_options;
    webhook_options.url = hook.url;
    webhook_options.cursor_path = options.data_dir + "/webhook/cursor";
    webhook_options.bearer_token = std::move(webhook_token);
    webhook_options.filter = hook.filter;
    webhook_options.request_timeout = hook.request_timeout;
    webhook_options.initial_backoff = hook.initial_backoff;
    webhook_options.max_backoff = hook.max_backoff;
    webhook_options.oplog = server->oplog_.get();
    absl::StatusOr<std::unique_ptr<AlertWebhook>> webhook =
        AlertWebhook::Start(webhook_options, server->alerts_.get());
    if (!webhook.ok()) return webhook.status();  // ~EhcpServer closes.
    server->webhook_ = *std::move(webhook);
  }
  server->executor_ = std::make_unique<Executor>(
      "reads and reports", options.worker_threads, options.max_queued_work);
  server->waits_ = std::make_unique<IndexWaits>(server->index_.get());
  server->commands_ = std::make_unique<CaseCommands>(
      server->log_.get(), server->cases_.get(), server->executor_.get(),
      now, server->service_metrics_.get());
  server->service_ = std::make_unique<CaseServiceImpl>(
      server->log_.get(), server->cases_.get(), server->commands_.get(),
      server->executor_.get(), now);
  server->verifier_ = std::make_unique<LogVerifier>(server->log_.get());
  server->clocks_ = std::make_unique<ClockServiceImpl>(
      server->log_.get(), server->cases_.get(), server->index_.get(),
      server->executor_.get(), server->waits_.get(), now,
      server->verifier_.get(), server->oplog_.get());
  server->alert_service_ = std::make_unique<AlertServiceImpl>(
      server->alerts_.get(), server->executor_.get());
  server->admin_service_ =
      std::make_unique<AdminServiceImpl>(clock, server->alerts_.get());

  // Every method checks its caller against the policy table first.
  server->service_->set_authenticator(server->auth_.get());
  server->clocks_->set_authenticator(server->auth_.get());
  server->alert_service_->set_authenticator(server->auth_.get());
  server->admin_service_->set_authenticator(server->auth_.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default, which lets a second ehcpd bind the
  // same port and silently take half the calls. One server per port.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(options.listen_address, *credentials,
                           &server->port_);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  grpc::ResourceQuota quota("ehcpd");
  quota.Resize(options.max_request_memory_bytes);
  builder.SetResourceQuota(quota);
  builder.RegisterService(server->service_.get());
  builder.RegisterService(server->clocks_.get());
  builder.RegisterService(server->alert_service_.get());
  builder.RegisterService(server->admin_service_.get());
  // Every call of every service: refusals counted and logged, append
  // latency, slow calls, the request id (services/internal/call_observer.h).
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      observers;
  observers.push_back(std::make_unique<CallObserverFactory>(
      server->service_metrics_.get(), server->oplog_.get(), options.slow_call));
  builder.experimental().SetInterceptorCreators(std::move(observers));
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    server->server_.reset();  // ~EhcpServer closes the index and the log.
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options.listen_address,
        " (address in use or not valid)"));
  }
  if (!options.metrics_address.empty()) {
    absl::StatusOr<std::unique_ptr<MetricsExporter>> metrics =
        MetricsExporter::Start(
            options.metrics_address,
            {server->log_.get(), server->index_.get(), server->verifier_.get(),
             server->cases_.get(), server->alerts_.get(),
             // "Today" for the per-LA report figures.
             [clock] { return clock->Today(); },
             server->service_metrics_.get(), server->oplog_.get(),
             server->webhook_.get()},
            {options.metrics_report_interval});
    if (!metrics.ok()) return metrics.status();  // ~EhcpServer shuts down.
    server->metrics_ = *std::move(metrics);
  }
  server->verifier_->Start();
  server->health_ = std::make_unique<HealthMonitor>(
      HealthMonitor::Sources{server->log_.get(), server->index_.get(),
                             server->verifier_.get()},
      server->server_->GetHealthCheckService());
  server->health_->Start();
  server->day_ticker_ = std::thread([s = server.get()] { s->TickDays(); });
  LogStarted(options, *server);
  return server;
}

absl::Status EhcpServer::ReloadPrincipals() {
  if (auth_ == nullptr) return absl::OkStatus();
  return auth_->Reload();
}

absl::Status EhcpServer::write_status() const { return log_->WriteStatus(); }

int EhcpServer::metrics_port() const {
  return metrics_ != nullptr ? metrics_->port() : 0;
}

EhcpServer::~EhcpServer() { Shutdown(); }

void EhcpServer::Shutdown(absl::Duration grace) {
  absl::MutexLock lock(&shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  if (health_ != nullptr) health_->Stop();
  if (day_ticker_.joinable()) {
    {
      absl::MutexLock ticker_lock(&ticker_mu_);
      ticker_stop_ = true;
    }
    day_ticker_.join();
  }
  metrics_.reset();
  // Before the scheduler closes: a delivery in flight is abandoned and
  // sent again at the next start (its cursor is written first).
  if (webhook_ != nullptr) webhook_->Stop();
  if (server_ != nullptr) {
    service_->StopSubscriptions();
    alert_service_->StopWatches();
    // Waits end (UNAVAILABLE) and queued work runs, so that every call
    // can finish before gRPC's grace period ends.
    if (waits_ != nullptr) waits_->Shutdown();
    server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
    server_->Wait();
  }
  if (executor_ != nullptr) executor_->Shutdown();
  if (verifier_ != nullptr) verifier_->Stop();
  if (alerts_ != nullptr) alerts_->Close();
  if (index_ != nullptr) index_->Close();
  if (log_ != nullptr) log_->Close();
  if (oplog_ != nullptr) oplog_->Flush();  // Every line out before exit.
}

void EhcpServer::TickDays() {
  absl::CivilDay logged_day = alerts_->Status().day;
  while (true) {
    alerts_->SetToday(clock_->Today());
    const projections::SchedulerStatus status = alerts_->Status();
    if (status.day != logged_day) {
      // One line per day the scheduler has raised (a simulated jump of many
      // days shows as one line at the day reached).
      oplog_->LogJson(
          "alert_day",
          {{"day", domain::FormatDate(status.day)},
           {"target_day", domain::FormatDate(status.target_day)},
           {"last_sequence", status.last_sequence},
           {"checkpoint", status.checkpoint}});
      logged_day = status.day;
    }
    absl::MutexLock lock(&ticker_mu_);
    if (ticker_mu_.AwaitWithTimeout(absl::Condition(&ticker_stop_),
                                    absl::Seconds(1))) {
      return;
    }
  }
}

void EhcpServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

}  // namespace ehcp::services
