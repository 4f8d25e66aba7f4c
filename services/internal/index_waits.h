// Waiting for the clock index without holding a thread.
//
// A report that names a min_position (read your own write) must not run
// before the index has applied the log up to it. Rather than a thread
// blocked per waiting call, the wait is a notification from the index
// (ClockIndex::NotifyAtCheckpoint), and one timer thread ends the waits
// whose deadline passes first:
//
//   waits.Wait(position, deadline, [reactor, ...](absl::Status s) {
//     // s: OK, DEADLINE_EXCEEDED, UNAVAILABLE, or the index's damage
//     // (FAILED_PRECONDITION); hand the report off.
//   });
//
// Thread safety: safe for concurrent use.
#ifndef EHCP_SERVICES_INTERNAL_INDEX_WAITS_H_
#define EHCP_SERVICES_INTERNAL_INDEX_WAITS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "projections/clock_index.h"

namespace ehcp::services {

class IndexWaits {
 public:
  // `index` must outlive this object.
  explicit IndexWaits(projections::ClockIndex* index);
  // Calls Shutdown().
  ~IndexWaits();

  IndexWaits(const IndexWaits&) = delete;
  IndexWaits& operator=(const IndexWaits&) = delete;

  // Calls `done` exactly once: OK once the index's checkpoint reaches
  // `position`; DEADLINE_EXCEEDED naming both positions when `deadline`
  // comes first; UNAVAILABLE when the index closes or on Shutdown. `done`
  // runs on the calling thread (already reached), the index's tailer, or
  // the timer thread: it must only hand work off.
  void Wait(uint64_t position, absl::Time deadline,
            absl::AnyInvocable<void(absl::Status) &&> done);

  // Ends every wait (UNAVAILABLE) and stops the timer. Idempotent.
  void Shutdown();

 private:
  struct Pending;
  using Deadlines = std::multimap<absl::Time, std::shared_ptr<Pending>>;

  // Ends `pending` with `status` unless it has ended already.
  void Finish(const std::shared_ptr<Pending>& pending, absl::Status status);
  void TimerLoop();

  projections::ClockIndex* const index_;
  absl::Mutex mu_;
  Deadlines deadlines_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread timer_;
};

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_INDEX_WAITS_H_
