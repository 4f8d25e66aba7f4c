#include "services/internal/executor.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ehcp::services {

Executor::Executor(std::string name, int threads, size_t max_queued)
    : name_(std::move(name)), max_queued_(std::max<size_t>(1, max_queued)) {
  for (int i = 0; i < std::max(1, threads); ++i) {
    workers_.emplace_back([this] { Work(); });
  }
}

Executor::~Executor() { Shutdown(); }

bool Executor::Submit(absl::AnyInvocable<void() &&> task) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || queue_.size() >= max_queued_) return false;
  queue_.push_back(std::move(task));
  return true;
}

absl::Status Executor::BusyStatus() const {
  return absl::ResourceExhaustedError(
      absl::StrCat("server busy: the ", name_, " queue is full (", max_queued_,
                   " waiting); retry with backoff"));
}

size_t Executor::queued() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

void Executor::Work() {
  while (true) {
    absl::AnyInvocable<void() &&> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Executor* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(e->mu_) {
            return e->stopping_ || !e->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // Stopping, and nothing left to run.
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    std::move(task)();
  }
}

void Executor::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
  }
  for (std::thread& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  workers_.clear();
}

}  // namespace ehcp::services
