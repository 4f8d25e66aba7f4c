// The whole log's hash chain, verified in the background after the server
// opens it (storage/FORMAT.md, "The hash chain").
//
// Opening the log checks only its last record against the stored head, and
// reads check each record against its successor; a chain rewritten over
// several records, or damage in records nobody reads, shows only to a full
// verification. The verifier runs one on its own thread at start: the
// last records first (the tail, where a crash or a tamperer would act
// last), then the whole log from position 1, a chunk at a time, and keeps
// the verdict for GetProjectionStatus (and `ehcpctl projection`).
//
//   LogVerifier verifier(log);
//   verifier.Start();
//   LogVerifier::State s = verifier.state();   // progress or verdict
//   verifier.Stop();                           // before the log closes
//
// Thread safety: safe for concurrent use.
#ifndef EHCP_SERVICES_INTERNAL_LOG_VERIFIER_H_
#define EHCP_SERVICES_INTERNAL_LOG_VERIFIER_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/event_log.h"

namespace ehcp::services {

class LogVerifier {
 public:
  // Records of the tail verified first.
  static constexpr uint64_t kTail = 1000;

  struct State {
    bool running = false;
    // Positions 1..verified_to are verified (of 1..target, the head when
    // the verification began).
    uint64_t verified_to = 0;
    uint64_t target = 0;
    // The verdict, once done: intact, or the first bad position and what
    // is wrong there. A verification cut short (the server stopping, an
    // I/O error) is neither running nor done: `problem` says why.
    bool done = false;
    bool intact = false;
    uint64_t first_bad_position = 0;
    std::string problem;
    absl::Time finished_at = absl::InfinitePast();
  };

  // `log` must outlive the verifier.
  explicit LogVerifier(storage::EventLog* log);
  // Calls Stop().
  ~LogVerifier();
  LogVerifier(const LogVerifier&) = delete;
  LogVerifier& operator=(const LogVerifier&) = delete;

  // Starts the verification on a thread of its own (once).
  void Start();
  // Asks it to stop between chunks and joins the thread. Idempotent.
  void Stop();

  State state() const;

 private:
  void Run();
  // Verifies [from, to]; false (with the state set) when it should stop.
  bool Verify(uint64_t from, uint64_t to);

  storage::EventLog* const log_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  mutable absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_LOG_VERIFIER_H_
