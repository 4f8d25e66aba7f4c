// The gRPC adapter of the clock API (ehcp.v1.ClockService).
//
// GetCaseClocks evaluates one case's events directly (domain::EvaluateClocks
// on the cached journey); ReplayCase streams the case's history with its
// clocks after each event (case_replay.h). The reports — breaches, review backlog,
// timeliness — and the worklists — FindCase, ListCases, ListDeadlines — ask
// the clock index (projections/), which narrows the cases to look at and
// evaluates them exactly, on the executor; a call that names a
// min_position first waits, within the call's deadline, until the index has
// applied the log up to it.
//
// Thread safety: called concurrently by gRPC; safe.
#ifndef EHCP_SERVICES_INTERNAL_CLOCK_SERVICE_H_
#define EHCP_SERVICES_INTERNAL_CLOCK_SERVICE_H_

#include "ehcp/v1/clock_service.grpc.pb.h"
#include "projections/clock_index.h"
#include "services/internal/case_commands.h"
#include "services/internal/executor.h"
#include "services/internal/index_waits.h"
#include "services/internal/log_verifier.h"
#include "services/internal/structured_log.h"
#include "cases/case_cache.h"
#include "storage/event_log.h"

namespace ehcp::services {

class Authenticator;

class ClockServiceImpl final : public v1::ClockService::CallbackService {
 public:
  // All pointers must outlive the service.
  // `verifier` may be null (no background verification to report).
  // `oplog` (may be null) receives the start and the end of each rebuild
  // of the clock index (clock_index_rebuild_started / _finished / _failed).
  ClockServiceImpl(storage::EventLog* log, cases::CaseCache* cases,
                   projections::ClockIndex* index, Executor* executor,
                   IndexWaits* waits, CaseCommands::Clock now,
                   const LogVerifier* verifier = nullptr,
                   StructuredLog* oplog = nullptr);

  grpc::ServerUnaryReactor* GetCaseClocks(
      grpc::CallbackServerContext* context,
      const v1::GetCaseClocksRequest* request,
      v1::GetCaseClocksResponse* response) override;
  grpc::ServerWriteReactor<v1::ReplayCaseResponse>* ReplayCase(
      grpc::CallbackServerContext* context,
      const v1::ReplayCaseRequest* request) override;
  grpc::ServerUnaryReactor* ListBreaches(
      grpc::CallbackServerContext* context,
      const v1::ListBreachesRequest* request,
      v1::ListBreachesResponse* response) override;
  grpc::ServerUnaryReactor* GetReviewBacklog(
      grpc::CallbackServerContext* context,
      const v1::GetReviewBacklogRequest* request,
      v1::GetReviewBacklogResponse* response) override;
  grpc::ServerUnaryReactor* GetTimeliness(
      grpc::CallbackServerContext* context,
      const v1::GetTimelinessRequest* request,
      v1::GetTimelinessResponse* response) override;
  grpc::ServerUnaryReactor* FindCase(grpc::CallbackServerContext* context,
                                     const v1::FindCaseRequest* request,
                                     v1::FindCaseResponse* response) override;
  grpc::ServerUnaryReactor* ListCases(grpc::CallbackServerContext* context,
                                      const v1::ListCasesRequest* request,
                                      v1::ListCasesResponse* response) override;
  grpc::ServerUnaryReactor* ListDeadlines(
      grpc::CallbackServerContext* context,
      const v1::ListDeadlinesRequest* request,
      v1::ListDeadlinesResponse* response) override;
  grpc::ServerUnaryReactor* GetProjectionStatus(
      grpc::CallbackServerContext* context,
      const v1::GetProjectionStatusRequest* request,
      v1::GetProjectionStatusResponse* response) override;
  grpc::ServerUnaryReactor* RebuildProjections(
      grpc::CallbackServerContext* context,
      const v1::RebuildProjectionsRequest* request,
      v1::RebuildProjectionsResponse* response) override;

  // Who may call what (services/internal/auth.h); null (the default):
  // authentication off, every caller "anonymous" with every role. Set
  // before the server starts; must outlive the service.
  void set_authenticator(Authenticator* auth) { auth_ = auth; }

 private:
  // Runs the report `body` on the executor once the index has applied the
  // log up to `min_position` (0: at once), and finishes the call with its
  // status; DEADLINE_EXCEEDED when the call's deadline (at most 30 s) comes
  // first; INVALID_ARGUMENT for a negative position or one past the log's
  // head. Nothing waits on a thread meanwhile.
  grpc::ServerUnaryReactor* Report(grpc::CallbackServerContext* context,
                                   int64_t min_position,
                                   absl::AnyInvocable<absl::Status() &&> body);

  Authenticator* auth_ = nullptr;
  storage::EventLog* const log_;
  cases::CaseCache* const cases_;
  projections::ClockIndex* const index_;
  Executor* const executor_;
  IndexWaits* const waits_;
  const CaseCommands::Clock now_;
  const LogVerifier* const verifier_;
  StructuredLog* const oplog_;
};

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_CLOCK_SERVICE_H_
