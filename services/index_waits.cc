#include "services/internal/index_waits.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace ehcp::services {

struct IndexWaits::Pending {
  uint64_t position = 0;
  absl::Mutex mu;
  bool finished ABSL_GUARDED_BY(mu) = false;
  absl::AnyInvocable<void(absl::Status) &&> done ABSL_GUARDED_BY(mu);
  uint64_t token ABSL_GUARDED_BY(mu) = 0;
  // Its entry in deadlines_ (guarded by IndexWaits::mu_), if still there.
  std::optional<Deadlines::iterator> entry;
};

IndexWaits::IndexWaits(projections::ClockIndex* index)
    : index_(index), timer_([this] { TimerLoop(); }) {}

IndexWaits::~IndexWaits() { Shutdown(); }

void IndexWaits::Wait(uint64_t position, absl::Time deadline,
                      absl::AnyInvocable<void(absl::Status) &&> done) {
  auto pending = std::make_shared<Pending>();
  pending->position = position;
  {
    absl::MutexLock lock(&pending->mu);
    pending->done = std::move(done);
  }
  bool stopping;
  {
    absl::MutexLock lock(&mu_);
    stopping = stopping_;
    if (!stopping) pending->entry = deadlines_.emplace(deadline, pending);
  }
  if (stopping) {
    Finish(pending, absl::UnavailableError("the server is shutting down"));
    return;
  }
  // A damaged index moves no further until it is rebuilt: say so now.
  if (absl::Status damage = index_->Status().damage; !damage.ok()) {
    Finish(pending, std::move(damage));
    return;
  }
  const uint64_t token = index_->NotifyAtCheckpoint(
      position, [this, pending](bool reached) {
        Finish(pending, reached ? absl::OkStatus()
                                : absl::UnavailableError(
                                      "the clock index is closed"));
      });
  absl::MutexLock lock(&pending->mu);
  pending->token = token;
}

void IndexWaits::Finish(const std::shared_ptr<Pending>& pending,
                        absl::Status status) {
  absl::AnyInvocable<void(absl::Status) &&> done;
  {
    absl::MutexLock lock(&pending->mu);
    if (pending->finished) return;
    pending->finished = true;
    done = std::move(pending->done);
  }
  {
    absl::MutexLock lock(&mu_);
    if (pending->entry) {
      deadlines_.erase(*pending->entry);
      pending->entry.reset();
    }
  }
  std::move(done)(std::move(status));
}

void IndexWaits::TimerLoop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    const absl::Time now = absl::Now();
    std::vector<std::shared_ptr<Pending>> expired;
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      std::shared_ptr<Pending> pending = deadlines_.begin()->second;
      pending->entry.reset();
      deadlines_.erase(deadlines_.begin());
      expired.push_back(std::move(pending));
    }
    if (!expired.empty()) {
      mu_.Unlock();
      for (const std::shared_ptr<Pending>& pending : expired) {
        uint64_t token;
        {
          absl::MutexLock pending_lock(&pending->mu);
          token = pending->token;
        }
        if (token != 0) index_->CancelNotify(token);
        Finish(pending, absl::DeadlineExceededError(absl::StrCat(
                            "the clock index has reached position ",
                            index_->Checkpoint(), ", not yet min_position ",
                            pending->position)));
      }
      mu_.Lock();
      continue;
    }
    // Sleep until the earliest deadline, a new one, or Shutdown.
    const absl::Time next = deadlines_.empty() ? absl::InfiniteFuture()
                                               : deadlines_.begin()->first;
    const size_t size = deadlines_.size();
    auto changed = [this, size, next]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || deadlines_.size() > size ||
             (!deadlines_.empty() && deadlines_.begin()->first < next);
    };
    mu_.AwaitWithDeadline(absl::Condition(&changed), next);
  }
}

void IndexWaits::Shutdown() {
  Deadlines left;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    left.swap(deadlines_);
    for (auto& [deadline, pending] : left) pending->entry.reset();
  }
  if (timer_.joinable()) timer_.join();
  for (auto& [deadline, pending] : left) {
    uint64_t token;
    {
      absl::MutexLock pending_lock(&pending->mu);
      token = pending->token;
    }
    if (token != 0) index_->CancelNotify(token);
    Finish(pending, absl::UnavailableError("the server is shutting down"));
  }
}

}  // namespace ehcp::services
