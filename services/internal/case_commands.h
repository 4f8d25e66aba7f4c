// The case commands behind the gRPC adapter: open a case, append events.
//
// This is where one event's path (docs/architecture.md, "The way one event
// travels") is put together: validate the input (domain), replay an
// idempotent retry, load the case (repository), stamp the envelopes, decide
// admissibility on the whole journey (domain), and hand the records to the
// log's group commit (storage). The caller is told only after the write is
// durable.
//
// Results arrive through a callback so that a gRPC reactor can be finished
// from the group-commit thread without blocking a gRPC thread. The callback
// may run on the calling thread or on another appender's thread, never
// while a lock is held.
//
// Thread safety: safe for concurrent use.
#ifndef EHCP_SERVICES_INTERNAL_CASE_COMMANDS_H_
#define EHCP_SERVICES_INTERNAL_CASE_COMMANDS_H_

#include <functional>
#include <deque>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ehcp/v1/case_service.pb.h"
#include "cases/case_cache.h"
#include "services/internal/executor.h"
#include "services/internal/service_metrics.h"
#include "storage/event_log.h"

namespace ehcp::services {

// The case id for a council's reference: "<la_code>-<16 hex digits>" where
// the digits are the start of SHA-256(la_code, 0x00, case_reference).
std::string CaseIdFor(const std::string& la_code,
                      const std::string& case_reference);

class CaseCommands {
 public:
  using Clock = std::function<absl::Time()>;
  using AppendDone =
      absl::AnyInvocable<void(absl::StatusOr<v1::AppendEventsResponse>)>;
  using OpenDone =
      absl::AnyInvocable<void(absl::StatusOr<v1::OpenCaseResponse>)>;

  // Appends waiting for their turn on one case, beyond which more are
  // refused with RESOURCE_EXHAUSTED.
  static constexpr size_t kMaxQueuedPerCase = 64;

  // `log`, `cases` and `executor` must outlive this object. An append whose
  // case is not in the cache is decided on `executor` (reading the case may
  // touch the disk). `now` gives the current instant (today's London date
  // is derived from it). `metrics` (may be null; must outlive this object)
  // counts the events each append commits, by kind.
  CaseCommands(storage::EventLog* log, cases::CaseCache* cases,
               Executor* executor, Clock now,
               ServiceMetrics* metrics = nullptr);

  // Opens a case. INVALID_ARGUMENT naming the field; ALREADY_EXISTS naming
  // the existing case id; FAILED_PRECONDITION when opened_on is in the
  // future.
  void OpenCase(const v1::OpenCaseRequest& request,
                const std::string& principal, OpenDone done);

  // Appends events. INVALID_ARGUMENT naming the field; NOT_FOUND for an
  // unknown case; ABORTED with the actual version when expected_version does
  // not match; FAILED_PRECONDITION naming the rule when the journey would
  // become impossible; UNAVAILABLE when the log is closed.
  //
  // Appends to one case take turns (one decides and commits while the
  // others wait in order), so that each decides on the state the one before
  // it committed; appends to different cases share group commits. At most
  // kMaxQueuedPerCase appends wait per case: more are RESOURCE_EXHAUSTED,
  // naming the case.
  void Append(const v1::AppendEventsRequest& request,
              const std::string& principal, AppendDone done);

 private:
  struct AppendCall;
  // Runs `call`'s attempt now if its case is free, else queues it behind
  // the case's current append.
  void TakeTurn(std::shared_ptr<AppendCall> call);
  // The case's append in progress has finished: starts the next, if any.
  void EndTurn(const std::string& case_id);
  // Runs Attempt(call) on this thread, or, when this thread is already
  // running attempts further up its stack, after the current one (so that
  // a queue of appends to one case does not recurse).
  void RunAttempt(std::shared_ptr<AppendCall> call);
  void Attempt(std::shared_ptr<AppendCall> call);
  void Replay(const std::string& case_id, const storage::AppendResult& first,
              AppendDone done);

  storage::EventLog* const log_;
  cases::CaseCache* const cases_;
  Executor* const executor_;
  const Clock now_;
  ServiceMetrics* const metrics_;

  absl::Mutex turns_mu_;
  // Cases with an append in progress, and the appends waiting for it.
  absl::flat_hash_map<std::string, std::deque<std::shared_ptr<AppendCall>>>
      turns_ ABSL_GUARDED_BY(turns_mu_);
};

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_CASE_COMMANDS_H_
