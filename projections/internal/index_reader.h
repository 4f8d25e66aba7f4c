// Reading the clock index for one query: a RocksDB snapshot, the LAs in
// scope, key-range scans, and the re-evaluation of candidate cases against
// the log up to the snapshot's checkpoint. Private to projections/.
//
// Thread safety: a QueryContext and a CaseEvaluator belong to one query (one
// thread); the functions are safe to call concurrently on different ones.
#ifndef EHCP_PROJECTIONS_INTERNAL_INDEX_READER_H_
#define EHCP_PROJECTIONS_INTERNAL_INDEX_READER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "domain/clocks.h"
#include "projections/internal/clock_index_impl.h"
#include "projections/internal/index_format.h"
#include "rocksdb/db.h"
#include "storage/event_log.h"

namespace ehcp::projections {

// One consistent view of the index: everything a query reads goes through
// `read` (which pins `snapshot`), and cases are evaluated with the log's
// records up to `checkpoint`, the snapshot's.
class QueryContext {
 public:
  QueryContext(rocksdb::DB* db, const IndexFamilies& families,
               const storage::EventLog* log, cases::CaseCache* cases);
  ~QueryContext();
  QueryContext(const QueryContext&) = delete;
  QueryContext& operator=(const QueryContext&) = delete;

  // Reads the snapshot's checkpoint; call once before anything else.
  absl::Status Init();

  rocksdb::DB* db() const { return db_; }
  const IndexFamilies& families() const { return families_; }
  const rocksdb::ReadOptions& read() const { return read_; }
  const storage::EventLog& log() const { return *log_; }
  cases::CaseCache& cases() const { return *cases_; }
  uint64_t checkpoint() const { return checkpoint_; }

 private:
  rocksdb::DB* const db_;
  const IndexFamilies families_;
  const storage::EventLog* const log_;
  cases::CaseCache* const cases_;
  const rocksdb::Snapshot* const snapshot_;
  rocksdb::ReadOptions read_;
  uint64_t checkpoint_ = 0;
};

// OK for an empty `la_code` (every LA) or an ONS code; INVALID_ARGUMENT
// naming la_code otherwise.
absl::Status ValidateLaCode(const std::string& la_code);

using LaList = std::vector<std::pair<std::string, index_format::LaEntry>>;

// The LAs a query covers: `la_code` alone (NOT_FOUND "no cases for LA …"
// when the index has no case of it), or every LA in the index (possibly
// none) when it is empty.
absl::StatusOr<LaList> LasInScope(const QueryContext& context,
                                  const std::string& la_code);

// INVALID_ARGUMENT "as_of D is before any event (first: F)" when `as_of` is
// before the earliest event of `las`; INVALID_ARGUMENT when it is after
// 2199-12-31.
absl::Status CheckAsOf(const LaList& las, absl::CivilDay as_of);

using RowVisitor = std::function<absl::Status(const index_format::RowKeyParts&,
                                              const index_format::RowSummary&)>;

// Calls `visit` for every key of `family` (late or stopped) under
// ClockPrefix(la_code, clock_id) whose date lies in [from, to] (from: the
// beginning when nullopt), in key order. Stops at the first error.
absl::Status ScanRows(const QueryContext& context,
                      rocksdb::ColumnFamilyHandle* family,
                      const std::string& la_code, const std::string& clock_id,
                      std::optional<absl::CivilDay> from, absl::CivilDay to,
                      const RowVisitor& visit);

// Evaluates cases as of one date, each at most once per query.
class CaseEvaluator {
 public:
  CaseEvaluator(const QueryContext& context, absl::CivilDay as_of);

  // domain::EvaluateClocks(the case's events up to the checkpoint, as_of),
  // from the shared case model.
  // The pointer stays valid for the evaluator's life. Errors from the log.
  absl::StatusOr<const std::vector<domain::ClockRow>*> Rows(
      const std::string& case_id);

  // The case's reference (its CaseOpened), once Rows(case_id) succeeded;
  // empty otherwise.
  const std::string& Reference(const std::string& case_id) const;

  bool Evaluated(const std::string& case_id) const {
    return cache_.contains(case_id);
  }
  size_t evaluated() const { return cache_.size(); }

 private:
  struct Entry {
    std::vector<domain::ClockRow> rows;
    std::string case_reference;
  };
  const QueryContext& context_;
  const absl::CivilDay as_of_;
  std::unordered_map<std::string, Entry> cache_;
};

}  // namespace ehcp::projections

#endif  // EHCP_PROJECTIONS_INTERNAL_INDEX_READER_H_
