// Turns Ctrl-C (SIGINT) and SIGTERM into a Cancellation, so that a
// long-running command (`tail --follow`) stops cleanly instead of dying.
//
//   Cancellation cancel;
//   SignalCanceller signals(&cancel);   // before any other thread starts
//   auto client = NewGrpcCaseClient(...);
//   client->Subscribe(request, print, &cancel);   // returns OK on Ctrl-C
//
// The constructor blocks both signals in the calling thread, so every
// thread started afterwards (gRPC's) inherits the mask and only the
// watcher thread takes them. The first signal cancels; a second one ends
// the process at once with status 130. The destructor stops the watcher
// and restores the signal mask.
//
// Thread safety: construct and destroy on the main thread.
#ifndef EHCP_TOOLS_INTERNAL_SIGNAL_CANCELLER_H_
#define EHCP_TOOLS_INTERNAL_SIGNAL_CANCELLER_H_

#include <signal.h>

#include <atomic>
#include <thread>

#include "tools/internal/case_client.h"

namespace ehcp::tools {

class SignalCanceller {
 public:
  explicit SignalCanceller(Cancellation* cancel);
  ~SignalCanceller();

  SignalCanceller(const SignalCanceller&) = delete;
  SignalCanceller& operator=(const SignalCanceller&) = delete;

 private:
  void Watch(Cancellation* cancel);

  sigset_t signals_;
  sigset_t old_mask_;
  std::atomic<bool> done_{false};
  std::thread watcher_;
};

}  // namespace ehcp::tools

#endif  // EHCP_TOOLS_INTERNAL_SIGNAL_CANCELLER_H_
