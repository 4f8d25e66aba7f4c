// The shared cache of case models (domain/case_model.h), bounded in bytes.
//
// The append path, the clock index's tailer and the report queries each
// need cases folded. They share this one cache, so a case is read from the
// log and decoded once, then extended by whoever sees its next events: the
// append path after each commit (Appended), the tailer from the records it
// reads (SharedCase::model.Extend). Least recently used models are dropped
// when the models' memory passes the budget; a dropped case is read from
// the log again when next needed.
//
//   CaseCache cache(log, size_t{256} << 20);
//   EHCP_ASSIGN_OR_RETURN(std::shared_ptr<SharedCase> c, cache.Get(case_id));
//   {
//     absl::MutexLock lock(&c->mu);
//     absl::Status ok = domain::Decide(c->model, proposed, today);
//   }
//
// A model handed out stays valid while held, even if dropped from the
// cache meanwhile. Its mutex serializes its users; hold it only for CPU
// work on the model (never across I/O).
//
// Thread safety: safe for concurrent use.
#ifndef EHCP_CASES_CASE_CACHE_H_
#define EHCP_CASES_CASE_CACHE_H_

#include <cstdint>
#include <list>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "domain/case_model.h"
#include "ehcp/v1/events.pb.h"
#include "storage/event_log.h"

namespace ehcp::cases {

// One case model and the lock of its users.
struct SharedCase {
  explicit SharedCase(std::string case_id) : model(std::move(case_id)) {}
  absl::Mutex mu;
  domain::CaseModel model ABSL_GUARDED_BY(mu);
};

struct CacheStats {
  uint64_t cases = 0;
  uint64_t bytes = 0;
  uint64_t hits = 0;
  // Reads of a whole case from the log (misses and reloads).
  uint64_t loads = 0;
  uint64_t evictions = 0;
};

class CaseCache {
 public:
  // `log` must outlive the cache. `budget_bytes` bounds the models' memory
  // (at least one model is kept whatever its size).
  CaseCache(const storage::EventLog* log, size_t budget_bytes);

  CaseCache(const CaseCache&) = delete;
  CaseCache& operator=(const CaseCache&) = delete;

  // The case's model, holding at least every event committed before the
  // call (a miss reads the case from the log, outside any lock). NOT_FOUND
  // when the case has no events; DATA_LOSS when a stored event does not
  // parse; other errors from the log.
  absl::StatusOr<std::shared_ptr<SharedCase>> Get(const std::string& case_id);

  // The case's model, holding at least `records` — committed records of
  // the case in version order, which a reader of the log (a projection's
  // tailer) may see before the append path has told the cache of them
  // (Appended): a model without them is extended with them, and one out of
  // step with them is read again. Errors as Get; DATA_LOSS when a record
  // does not decode; INTERNAL when the model still does not follow them.
  absl::StatusOr<std::shared_ptr<SharedCase>> GetHolding(
      const std::string& case_id,
      absl::Span<const storage::Record* const> records);

  // The model, if cached; never reads the log.
  std::shared_ptr<SharedCase> Peek(const std::string& case_id);

  // Tells the cache that `events` (stamped, contiguous versions) were
  // committed to `case_id`: a cached model is extended; one out of step is
  // dropped, so the next Get reads the log.
  void Appended(const std::string& case_id,
                absl::Span<const v1::Event> events);

  // Re-measures a model its user grew (the tailer extends models and folds
  // their clocks), and drops least recently used ones over the budget.
  void Measure(const std::string& case_id);

  // Drops the case's model: the next Get reads the log.
  void Invalidate(const std::string& case_id);

  CacheStats Stats() const;

 private:
  struct Entry {
    std::shared_ptr<SharedCase> shared;
    size_t bytes = 0;
    std::list<std::string>::iterator lru_position;
  };

  absl::StatusOr<std::shared_ptr<SharedCase>> Load(
      const std::string& case_id) const;
  void TouchLocked(Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetBytesLocked(Entry& entry, size_t bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EvictLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseLocked(const std::string& case_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const storage::EventLog* const log_;
  const size_t budget_bytes_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> cases_ ABSL_GUARDED_BY(mu_);
  std::list<std::string> lru_ ABSL_GUARDED_BY(mu_);  // front: most recent
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // Cases being read from the log: by how many readers, and how many
  // appends committed to each since it was first read (a read that saw the
  // count move may have missed an event: read again).
  struct Loading {
    int readers = 0;
    uint64_t appends = 0;
  };
  absl::flat_hash_map<std::string, Loading> loading_ ABSL_GUARDED_BY(mu_);
  mutable uint64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t loads_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t evictions_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ehcp::cases

#endif  // EHCP_CASES_CASE_CACHE_H_
