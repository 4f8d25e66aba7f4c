#include "services/internal/log_verifier.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/internal/log_audit.h"

namespace ehcp::services {

LogVerifier::LogVerifier(storage::EventLog* log) : log_(log) {}

LogVerifier::~LogVerifier() { Stop(); }

void LogVerifier::Start() {
  absl::MutexLock lock(&mu_);
  if (thread_.joinable() || state_.done) return;
  state_.running = true;
  state_.target = log_->HeadPosition();
  thread_ = std::thread([this] { Run(); });
}

void LogVerifier::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

LogVerifier::State LogVerifier::state() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

void LogVerifier::Run() {
  uint64_t target;
  {
    absl::MutexLock lock(&mu_);
    target = state_.target;
  }
  // The tail first, then everything from the start.
  const uint64_t tail_from = target > kTail ? target - kTail + 1 : 1;
  if (target > 0 && !Verify(tail_from, target)) return;
  for (uint64_t from = 1; from <= target; from += kVerifyChunk) {
    const uint64_t to = std::min(target, from + kVerifyChunk - 1);
    if (!Verify(from, to)) return;
    absl::MutexLock lock(&mu_);
    state_.verified_to = to;
  }
  absl::MutexLock lock(&mu_);
  state_.running = false;
  state_.done = true;
  state_.intact = true;
  state_.verified_to = target;
  state_.finished_at = absl::Now();
}

bool LogVerifier::Verify(uint64_t from, uint64_t to) {
  const absl::Status status =
      stopping_ ? absl::CancelledError("the server is stopping")
                : log_->VerifyChain(from, to);
  if (status.ok()) return true;
  absl::MutexLock lock(&mu_);
  state_.running = false;
  state_.finished_at = absl::Now();
  if (absl::IsDataLoss(status)) {
    state_.done = true;
    state_.intact = false;
    state_.first_bad_position = ChainErrorPosition(status.message());
    state_.problem = std::string(status.message());
  } else {
    state_.problem = absl::StrCat("not finished: ", status.message());
  }
  return false;
}

}  // namespace ehcp::services
