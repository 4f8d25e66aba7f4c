// The cases' events, read from the log and kept in memory.
//
// Admissibility judges a new event against the whole journey of its case,
// so every append needs the case's events. Reading them from RocksDB on
// every append would be a read-modify-write of the stream; instead the
// repository keeps recently used cases decoded in memory (an LRU of at most
// `max_cases`), fills a miss from the log, and is told of every successful
// append so the cached copy stays current without a read.
//
// A cached copy is an immutable snapshot shared by pointer: readers keep the
// snapshot they got while appends publish a new one. When no reader holds
// the cached snapshot, an append extends it in place instead of copying the
// case's events (copy on write), so appending stays O(new events).
//
// Thread safety: safe for concurrent use.
#ifndef EHCP_SERVICES_CASE_REPOSITORY_H_
#define EHCP_SERVICES_CASE_REPOSITORY_H_

#include <list>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ehcp/v1/events.pb.h"
#include "storage/event_log.h"

namespace ehcp::services {

// All events of one case, in version order (events[i].case_version == i+1).
struct CaseSnapshot {
  std::string case_id;
  std::vector<v1::Event> events;
  int64_t version() const { return static_cast<int64_t>(events.size()); }
};

class CaseRepository {
 public:
  // `log` must outlive the repository.
  CaseRepository(storage::EventLog* log, size_t max_cases);

  CaseRepository(const CaseRepository&) = delete;
  CaseRepository& operator=(const CaseRepository&) = delete;

  // The case's events. NOT_FOUND when the case has no events; DATA_LOSS
  // when a stored event does not parse; other errors from the log.
  absl::StatusOr<std::shared_ptr<const CaseSnapshot>> Load(
      const std::string& case_id);

  // Records that `appended` (stamped, contiguous versions) was committed to
  // `case_id`. When the cached copy is exactly one version behind the first
  // appended event it is extended; otherwise it is dropped and the next
  // Load reads the log.
  void Appended(const std::string& case_id,
                const std::vector<v1::Event>& appended);

  // Drops the cached copy of `case_id`, so the next Load reads the log.
  void Invalidate(const std::string& case_id);

  // Number of cases cached (for metrics and tests).
  size_t CachedCases() const;

 private:
  struct Entry {
    // Only this map and the readers it handed it to own it; use_count() == 1
    // under mu_ means no reader does.
    std::shared_ptr<CaseSnapshot> snapshot;
    std::list<std::string>::iterator lru_position;
  };

  absl::StatusOr<std::shared_ptr<CaseSnapshot>> ReadFromLog(
      const std::string& case_id) const;
  void InsertLocked(const std::string& case_id,
                    std::shared_ptr<CaseSnapshot> snapshot)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  storage::EventLog* const log_;
  const size_t max_cases_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> cases_ ABSL_GUARDED_BY(mu_);
  std::list<std::string> lru_ ABSL_GUARDED_BY(mu_);  // front: most recent
};

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_CASE_REPOSITORY_H_
