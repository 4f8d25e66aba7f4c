// A bounded pool of worker threads owned by the server.
//
// gRPC callback threads only parse, check what is cheap and hand off: work
// that may touch the disk or take long (report queries, case and log reads,
// a rebuild) is submitted here. The queue is bounded, so a flood of reports
// is refused with RESOURCE_EXHAUSTED instead of taking the appenders' CPU
// and memory without limit:
//
//   if (!executor->Submit([reactor, ...] { ...; reactor->Finish(status); })) {
//     reactor->Finish(BusyStatus());
//   }
//
// Thread safety: safe for concurrent use.
#ifndef EHCP_SERVICES_INTERNAL_EXECUTOR_H_
#define EHCP_SERVICES_INTERNAL_EXECUTOR_H_

#include <cstddef>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace ehcp::services {

class Executor {
 public:
  // `threads` workers (at least 1); at most `max_queued` tasks waiting.
  Executor(std::string name, int threads, size_t max_queued);
  // Calls Shutdown().
  ~Executor();

  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Queues `task` for a worker. False, with `task` dropped unrun, when the
  // queue is full or the executor is shut down.
  bool Submit(absl::AnyInvocable<void() &&> task);

  // RESOURCE_EXHAUSTED naming the executor and its bound: what a caller
  // whose task was not accepted is told.
  absl::Status BusyStatus() const;

  // Tasks waiting (not yet started).
  size_t queued() const;

  // Refuses new tasks, runs those already queued, and joins the workers.
  // Idempotent.
  void Shutdown();

 private:
  void Work();

  const std::string name_;
  const size_t max_queued_;
  mutable absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void() &&>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_EXECUTOR_H_
