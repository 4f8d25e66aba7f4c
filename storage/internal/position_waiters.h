// The callbacks of EventLog::NotifyAfter, ordered by the position they wait
// to see passed.
#ifndef EHCP_STORAGE_INTERNAL_POSITION_WAITERS_H_
#define EHCP_STORAGE_INTERNAL_POSITION_WAITERS_H_

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"

namespace ehcp::storage {

// Not thread-safe: the owner (EventLogImpl) serializes every call under its
// mutex and runs the callbacks it takes out after releasing it.
class PositionWaiters {
 public:
  using Callback = absl::AnyInvocable<void(bool closed)>;

  // Registers `fn` to run once the head passes `position`. Returns its token,
  // never 0.
  uint64_t Add(uint64_t position, Callback fn);

  // Forgets the callback of `token`. Returns false if it is not registered
  // (already taken out, cancelled, or never issued).
  bool Remove(uint64_t token);

  // Removes and returns, in position order, every callback waiting for a
  // position below `head`. Cheap when none is due.
  std::vector<Callback> TakeReached(uint64_t head);

  // Removes and returns every callback.
  std::vector<Callback> TakeAll();

  bool empty() const { return by_position_.empty(); }

 private:
  uint64_t next_token_ = 1;
  // (position, token) -> callback.
  std::map<std::pair<uint64_t, uint64_t>, Callback> by_position_;
  // token -> position, for Remove.
  absl::flat_hash_map<uint64_t, uint64_t> position_of_;
};

}  // namespace ehcp::storage

#endif  // EHCP_STORAGE_INTERNAL_POSITION_WAITERS_H_
