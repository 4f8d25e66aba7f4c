#include "tools/internal/signal_canceller.h"

#include <pthread.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>

namespace ehcp::tools {

SignalCanceller::SignalCanceller(Cancellation* cancel) {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGINT);
  sigaddset(&signals_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals_, &old_mask_);
  watcher_ = std::thread([this, cancel] { Watch(cancel); });
}

SignalCanceller::~SignalCanceller() {
  done_ = true;
  watcher_.join();
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

void SignalCanceller::Watch(Cancellation* cancel) {
  // Polls so that the destructor can stop the watcher without a signal.
  const timespec poll = {0, 100 * 1000 * 1000};
  while (!done_) {
    siginfo_t info;
    const int signal_number = sigtimedwait(&signals_, &info, &poll);
    if (signal_number < 0) continue;  // EAGAIN (timeout) or EINTR
    if (cancel->cancelled()) std::_Exit(128 + SIGINT);
    cancel->Cancel();
  }
}

}  // namespace ehcp::tools
