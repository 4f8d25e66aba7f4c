#include "services/server.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "cases/case_cache.h"
#include "services/internal/case_commands.h"
#include "services/internal/case_service.h"
#include "services/internal/clock_service.h"
#include "services/internal/executor.h"
#include "services/internal/index_waits.h"
#include "services/internal/log_verifier.h"
#include "storage/event_log.h"

namespace ehcp::services {

absl::StatusOr<std::unique_ptr<EhcpServer>> EhcpServer::Start(
    const ServerOptions& options) {
  if (options.listen_address.empty() ||
      options.listen_address.find(':') == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen: \"", options.listen_address, "\" is not host:port"));
  }
  std::unique_ptr<EhcpServer> server(new EhcpServer);
  storage::EventLog::Options log_options;
  log_options.sync = options.sync;
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
  server->executor_ = std::make_unique<Executor>(
      "reads and reports", options.worker_threads, options.max_queued_work);
  server->waits_ = std::make_unique<IndexWaits>(server->index_.get());
  server->commands_ = std::make_unique<CaseCommands>(
      server->log_.get(), server->cases_.get(), server->executor_.get(),
      options.now);
  server->service_ = std::make_unique<CaseServiceImpl>(
      server->log_.get(), server->cases_.get(), server->commands_.get(),
      server->executor_.get(), options.now);
  server->verifier_ = std::make_unique<LogVerifier>(server->log_.get());
  server->clocks_ = std::make_unique<ClockServiceImpl>(
      server->log_.get(), server->cases_.get(), server->index_.get(),
      server->executor_.get(), server->waits_.get(), options.now,
      server->verifier_.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default, which lets a second ehcpd bind the
  // same port and silently take half the calls. One server per port.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(options.listen_address,
                           grpc::InsecureServerCredentials(), &server->port_);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.RegisterService(server->service_.get());
  builder.RegisterService(server->clocks_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    server->server_.reset();  // ~EhcpServer closes the index and the log.
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options.listen_address,
        " (address in use or not valid)"));
  }
  server->verifier_->Start();
  return server;
}

EhcpServer::~EhcpServer() { Shutdown(); }

void EhcpServer::Shutdown(absl::Duration grace) {
  absl::MutexLock lock(&shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  if (server_ != nullptr) {
    service_->StopSubscriptions();
    // Waits end (UNAVAILABLE) and queued work runs, so that every call
    // can finish before gRPC's grace period ends.
    if (waits_ != nullptr) waits_->Shutdown();
    server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
    server_->Wait();
  }
  if (executor_ != nullptr) executor_->Shutdown();
  if (verifier_ != nullptr) verifier_->Stop();
  if (index_ != nullptr) index_->Close();
  if (log_ != nullptr) log_->Close();
}

void EhcpServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

}  // namespace ehcp::services
