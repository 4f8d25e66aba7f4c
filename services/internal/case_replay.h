// The auditor's replay of one case (ehcp.v1.ClockService ReplayCase;
// domain/replay.h): a header, then one message per event of the case in
// journey order with every clock after it.
//
// The case is copied out of the case cache on the executor (its events are
// then the reactor's own, so the cache's lock is not held while the client
// reads), and each entry is computed on the executor once the one before
// has been written (executor_stream.h): no gRPC thread folds clocks or
// reads the disk, and a slow reader holds one entry, not the whole
// history.
//
//   return StartReplayCase(cases, executor, today, *request);
//
// Thread safety: the reactor is driven by gRPC and the executor; safe.
#ifndef EHCP_SERVICES_INTERNAL_CASE_REPLAY_H_
#define EHCP_SERVICES_INTERNAL_CASE_REPLAY_H_

#include "absl/time/civil_time.h"
#include "cases/case_cache.h"
#include "ehcp/v1/clock_service.grpc.pb.h"
#include "services/internal/executor.h"

namespace ehcp::services {

// A self-owning reactor for ReplayCase: INVALID_ARGUMENT at once for a bad
// request (naming the field); NOT_FOUND for an unknown case; else the
// header and the entries.
grpc::ServerWriteReactor<v1::ReplayCaseResponse>* StartReplayCase(
    cases::CaseCache* cases, Executor* executor, absl::CivilDay today,
    const v1::ReplayCaseRequest& request);

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_CASE_REPLAY_H_
