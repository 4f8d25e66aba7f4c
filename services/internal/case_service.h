// The gRPC adapter of the case API (ehcp.v1.CaseService).
//
// Thin by design: each method converts the request, calls the command or
// read it stands for, and converts the result (absl::Status to
// grpc::Status once, here). Appends finish their reactor from the log's
// group-commit callback; Subscribe is a self-owning write reactor that
// reads its pages of history on the executor and is woken by the log when
// new events commit.
//
// Thread safety: called concurrently by gRPC; safe.
#ifndef EHCP_SERVICES_INTERNAL_CASE_SERVICE_H_
#define EHCP_SERVICES_INTERNAL_CASE_SERVICE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "ehcp/v1/case_service.grpc.pb.h"
#include "services/internal/case_commands.h"
#include "services/internal/executor.h"
#include "cases/case_cache.h"
#include "storage/event_log.h"

namespace ehcp::services {

class Authenticator;

class CaseServiceImpl final : public v1::CaseService::CallbackService {
 public:
  // All pointers must outlive the service.
  // All pointers must outlive the service. Reads run on `executor`.
  CaseServiceImpl(storage::EventLog* log, cases::CaseCache* cases,
                  CaseCommands* commands, Executor* executor,
                  CaseCommands::Clock now);
  ~CaseServiceImpl() override;

  grpc::ServerUnaryReactor* OpenCase(grpc::CallbackServerContext* context,
                                     const v1::OpenCaseRequest* request,
                                     v1::OpenCaseResponse* response) override;
  grpc::ServerUnaryReactor* AppendEvents(
      grpc::CallbackServerContext* context,
      const v1::AppendEventsRequest* request,
      v1::AppendEventsResponse* response) override;
  grpc::ServerUnaryReactor* ReadCase(grpc::CallbackServerContext* context,
                                     const v1::ReadCaseRequest* request,
                                     v1::ReadCaseResponse* response) override;
  grpc::ServerUnaryReactor* ReadLog(grpc::CallbackServerContext* context,
                                    const v1::ReadLogRequest* request,
                                    v1::ReadLogResponse* response) override;
  grpc::ServerWriteReactor<v1::SubscribeResponse>* Subscribe(
      grpc::CallbackServerContext* context,
      const v1::SubscribeRequest* request) override;
  grpc::ServerUnaryReactor* GetCaseState(
      grpc::CallbackServerContext* context,
      const v1::GetCaseStateRequest* request,
      v1::GetCaseStateResponse* response) override;
  grpc::ServerUnaryReactor* GetDigest(
      grpc::CallbackServerContext* context,
      const v1::GetDigestRequest* request,
      v1::GetDigestResponse* response) override;
  grpc::ServerWriteReactor<v1::ExportLogResponse>* ExportLog(
      grpc::CallbackServerContext* context,
      const v1::ExportLogRequest* request) override;
  grpc::ServerReadReactor<v1::ImportLogRequest>* ImportLog(
      grpc::CallbackServerContext* context,
      v1::ImportLogResponse* response) override;
  grpc::ServerWriteReactor<v1::VerifyLogResponse>* VerifyLog(
      grpc::CallbackServerContext* context,
      const v1::VerifyLogRequest* request) override;

  // Who may call what (services/internal/auth.h); null (the default):
  // authentication off, every caller "anonymous" with every role. Set
  // before the server starts; must outlive the service.
  void set_authenticator(Authenticator* auth) { auth_ = auth; }

  // Ends every open subscription (they finish with UNAVAILABLE) and refuses
  // new ones with UNAVAILABLE. Called when the server begins to stop, so
  // that streams do not hold the shutdown until its deadline.
  void StopSubscriptions();

 private:
  class SubscribeReactor;
  friend class SubscribeReactor;
  void Register(SubscribeReactor* reactor);
  void Unregister(SubscribeReactor* reactor);

  Authenticator* auth_ = nullptr;
  storage::EventLog* const log_;
  cases::CaseCache* const cases_;
  CaseCommands* const commands_;
  Executor* const executor_;
  const CaseCommands::Clock now_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<SubscribeReactor*> subscriptions_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_CASE_SERVICE_H_
