// ClockIndex::Impl: the worklists of case-management frontends — a case by
// its council's reference (FindCase), the cases of an LA by stage
// (ListCases) and the open deadlines due in a window (ListDeadlines).
// FindCase and ListCases read the index alone (`refs`, `stages`, `cases`:
// a case's reference and stage are exact at every checkpoint);
// ListDeadlines narrows with the `due` family and evaluates each candidate
// case as of its date, like ListBreaches.
#include <algorithm>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "domain/dates.h"
#include "domain/rules.h"
#include "domain/validation.h"
#include "projections/internal/clock_index_impl.h"
#include "projections/internal/index_reader.h"
#include "projections/internal/page_token.h"
#include "storage/hash.h"
#include "storage/rocksdb_status.h"

namespace ehcp::projections {
namespace {

namespace fmt = index_format;
using domain::ClockRow;
using domain::ClockStatus;
using storage::FromRocksDb;

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;
constexpr size_t kFingerprintSize = 8;
constexpr absl::CivilDay kEpoch(1970, 1, 1);

// The page size asked for, 0 resolved; INVALID_ARGUMENT out of range.
absl::StatusOr<int> PageSize(const PageRequest& page) {
  if (page.page_size < 0 || page.page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: must be 1-", kMaxPageSize, " (0 for ",
                     kDefaultPageSize, "), got ", page.page_size));
  }
  return page.page_size == 0 ? kDefaultPageSize : page.page_size;
}

std::string Fingerprint(const std::string& canonical) {
  return storage::Sha256(canonical).substr(0, kFingerprintSize);
}

// The case's entry (its LA and stage); DATA_LOSS when the index lists a
// case it has no entry for.
absl::StatusOr<fmt::CaseEntry> ReadCaseEntry(const QueryContext& context,
                                             const std::string& case_id) {
  std::string value;
  rocksdb::Status s = context.db()->Get(context.read(),
                                        context.families().cases, case_id,
                                        &value);
  if (s.IsNotFound()) {
    return absl::DataLossError(absl::StrCat(
        "clock index: case ", case_id, " is listed but has no case entry"));
  }
  EHCP_RETURN_IF_ERROR(FromRocksDb(s, "clock index: read case entry"));
  return fmt::DecodeCaseEntry(value);
}

// Every stage but UNSPECIFIED, ascending.
std::vector<v1::CaseStage> AllStages() {
  std::vector<v1::CaseStage> stages;
  for (int n = v1::CaseStage_MIN; n <= v1::CaseStage_MAX; ++n) {
    if (n != v1::CASE_STAGE_UNSPECIFIED && v1::CaseStage_IsValid(n)) {
      stages.push_back(static_cast<v1::CaseStage>(n));
    }
  }
  return stages;
}

// ListDeadlines' order: due date, case id, catalogue order, instance, and
// the domain's row order (dup).
bool DeadlineLessIgnoringDup(const PageKey& a, const PageKey& b) {
  if (a.lead != b.lead) return a.lead < b.lead;
  if (a.case_id != b.case_id) return a.case_id < b.case_id;
  if (a.clock_index != b.clock_index) return a.clock_index < b.clock_index;
  return InstanceLess(a.instance, b.instance);
}

bool DeadlineLess(const PageKey& a, const PageKey& b) {
  if (DeadlineLessIgnoringDup(a, b)) return true;
  if (DeadlineLessIgnoringDup(b, a)) return false;
  return a.dup < b.dup;
}

struct DeadlineKeyLess {
  bool operator()(const PageKey& a, const PageKey& b) const {
    return DeadlineLess(a, b);
  }
};

bool IsDeadlineClock(const ClockRow& row) {
  const domain::ClockRule* rule =
      domain::FindClockRule(row.clock_id, row.trigger);
  return rule != nullptr && rule->kind == domain::ClockKind::kDeadline;
}

// Open as of the evaluation date: no stop, and not closed by the route.
bool IsOpenDeadline(const ClockRow& row) {
  return !row.stop && row.due &&
         (row.status == ClockStatus::kPending ||
          row.status == ClockStatus::kOverdue ||
          row.status == ClockStatus::kExcused) &&
         IsDeadlineClock(row);
}

}  // namespace

absl::StatusOr<std::vector<CaseSummary>> ClockIndex::Impl::FindCase(
    const std::string& la_code, const std::string& case_reference) const {
  if (la_code.empty()) {
    return absl::InvalidArgumentError("la_code: is required");
  }
  EHCP_RETURN_IF_ERROR(ValidateLaCode(la_code));
  EHCP_RETURN_IF_ERROR(
      domain::ValidateCaseReference(case_reference, "case_reference"));
  absl::ReaderMutexLock db_lock(&db_mu_);
  if (db_ == nullptr) return ClosedError();
  QueryContext context(db_.get(), families_, log_, cases_);
  EHCP_RETURN_IF_ERROR(context.Init());

  std::vector<CaseSummary> found;
  const std::string prefix = fmt::RefPrefix(la_code, case_reference);
  std::unique_ptr<rocksdb::Iterator> it(
      context.db()->NewIterator(context.read(), context.families().refs));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    EHCP_ASSIGN_OR_RETURN(fmt::RefKeyParts key,
                          fmt::ParseRefKey(it->key().ToStringView()));
    EHCP_ASSIGN_OR_RETURN(fmt::CaseEntry entry,
                          ReadCaseEntry(context, key.case_id));
    found.push_back(CaseSummary{.case_id = std::move(key.case_id),
                                .la_code = la_code,
                                .case_reference = case_reference,
                                .stage = entry.stage});
  }
  EHCP_RETURN_IF_ERROR(FromRocksDb(it->status(), "clock index: scan refs"));
  if (found.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no case with reference \"",
                     absl::CHexEscape(case_reference), "\" in LA ", la_code));
  }
  return found;
}

absl::StatusOr<CasePage> ClockIndex::Impl::ListCases(
    const CaseFilter& filter, const PageRequest& page) const {
  EHCP_RETURN_IF_ERROR(ValidateLaCode(filter.la_code));
  std::set<v1::CaseStage> chosen;
  for (size_t i = 0; i < filter.stages.size(); ++i) {
    const int n = static_cast<int>(filter.stages[i]);
    if (n == v1::CASE_STAGE_UNSPECIFIED || !v1::CaseStage_IsValid(n)) {
      return absl::InvalidArgumentError(
          absl::StrCat("stages[", i, "]: ", n, " is not a case stage"));
    }
    chosen.insert(filter.stages[i]);
  }
  const std::vector<v1::CaseStage> stages =
      chosen.empty() ? AllStages()
                     : std::vector<v1::CaseStage>(chosen.begin(), chosen.end());
  EHCP_ASSIGN_OR_RETURN(const int page_size, PageSize(page));
  std::vector<std::string> codes;
  for (v1::CaseStage stage : stages) codes.push_back(fmt::StageCode(stage));
  const std::string fingerprint =
      Fingerprint(absl::StrCat("ListCases/1|", filter.la_code, "|",
                               chosen.empty() ? "*" : absl::StrJoin(codes, ",")));
  std::optional<PageKey> after;
  if (!page.page_token.empty()) {
    EHCP_ASSIGN_OR_RETURN(after, DecodePageKey(page.page_token, fingerprint));
  }

  absl::ReaderMutexLock db_lock(&db_mu_);
  if (db_ == nullptr) return ClosedError();
  QueryContext context(db_.get(), families_, log_, cases_);
  EHCP_RETURN_IF_ERROR(context.Init());
  EHCP_ASSIGN_OR_RETURN(LaList las, LasInScope(context, filter.la_code));

  // Each LA's keys are in list order (stage, then case id): the first
  // page_size + 1 after the token of each LA, merged, hold the page and
  // say whether another follows.
  const size_t want = static_cast<size_t>(page_size) + 1;
  std::vector<CaseSummary> found;
  for (const auto& [la_code, entry] : las) {
    size_t got = 0;
    for (v1::CaseStage stage : stages) {
      if (got == want) break;
      if (after && stage < after->lead) continue;
      const bool resume = after && stage == after->lead;
      const std::string prefix = la_code + fmt::StageCode(stage);
      std::unique_ptr<rocksdb::Iterator> it(
          context.db()->NewIterator(context.read(), context.families().stages));
      for (it->Seek(resume ? prefix + after->case_id : prefix);
           got < want && it->Valid() && it->key().starts_with(prefix);
           it->Next()) {
        EHCP_ASSIGN_OR_RETURN(fmt::StageKeyParts key,
                              fmt::ParseStageKey(it->key().ToStringView()));
        if (resume && key.case_id <= after->case_id) continue;
        found.push_back(CaseSummary{.case_id = std::move(key.case_id),
                                    .la_code = la_code,
                                    .case_reference = it->value().ToString(),
                                    .stage = stage});
        ++got;
      }
      EHCP_RETURN_IF_ERROR(
          FromRocksDb(it->status(), "clock index: scan stages"));
    }
  }
  std::sort(found.begin(), found.end(),
            [](const CaseSummary& a, const CaseSummary& b) {
              if (a.stage != b.stage) return a.stage < b.stage;
              return a.case_id < b.case_id;
            });
  CasePage result;
  if (found.size() > static_cast<size_t>(page_size)) {
    found.resize(static_cast<size_t>(page_size));
    result.next_page_token = EncodePageKey(
        fingerprint,
        PageKey{.lead = found.back().stage, .case_id = found.back().case_id});
  }
  result.cases = std::move(found);
  return result;
}

absl::StatusOr<DeadlinePage> ClockIndex::Impl::ListDeadlines(
    const DeadlineFilter& filter, const PageRequest& page) const {
  EHCP_RETURN_IF_ERROR(ValidateLaCode(filter.la_code));
  if (filter.due_from > filter.due_to) {
    return absl::InvalidArgumentError(absl::StrCat(
        "due_from: ", domain::FormatDate(filter.due_from), " is after due_to ",
        domain::FormatDate(filter.due_to)));
  }
  if (filter.as_of > fmt::kFarFuture) {
    return absl::InvalidArgumentError(
        absl::StrCat("as_of ", domain::FormatDate(filter.as_of), " is after ",
                     domain::FormatDate(fmt::kFarFuture)));
  }
  EHCP_ASSIGN_OR_RETURN(const int page_size, PageSize(page));
  const std::string fingerprint = Fingerprint(absl::StrCat(
      "ListDeadlines/1|", filter.la_code, "|",
      domain::FormatDate(filter.due_from), "|",
      domain::FormatDate(filter.due_to), "|", domain::FormatDate(filter.as_of)));
  std::optional<PageKey> after;
  if (!page.page_token.empty()) {
    EHCP_ASSIGN_OR_RETURN(after, DecodePageKey(page.page_token, fingerprint));
  }

  absl::ReaderMutexLock db_lock(&db_mu_);
  if (db_ == nullptr) return ClosedError();
  QueryContext context(db_.get(), families_, log_, cases_);
  EHCP_RETURN_IF_ERROR(context.Init());
  EHCP_ASSIGN_OR_RETURN(LaList las, LasInScope(context, filter.la_code));
  EHCP_RETURN_IF_ERROR(CheckAsOf(las, filter.as_of));

  // Candidates: rows due in the window that are open as of as_of by their
  // summary (triggered by then, not stopped by then). A candidate's key is
  // its row's key but for dup: visited in list order, the case
  // evaluations stop as soon as the page is full.
  struct Candidate {
    PageKey key;
    std::string la_code;
  };
  std::vector<Candidate> candidates;
  for (const auto& [la_code, entry] : las) {
    const std::string upper = la_code + fmt::DateKey(filter.due_to + 1);
    const rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions read = context.read();
    read.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(
        context.db()->NewIterator(read, context.families().due));
    for (it->Seek(la_code + fmt::DateKey(filter.due_from)); it->Valid();
         it->Next()) {
      EHCP_ASSIGN_OR_RETURN(fmt::DueKeyParts key,
                            fmt::ParseDueKey(it->key().ToStringView()));
      EHCP_ASSIGN_OR_RETURN(fmt::RowSummary row,
                            fmt::DecodeRowSummary(it->value().ToStringView()));
      if (row.trigger > filter.as_of) continue;
      if (row.stop && *row.stop <= filter.as_of) continue;
      const int clock = domain::CatalogueIndex(key.clock_id);
      if (clock < 0) continue;
      Candidate c{.key = {.lead = static_cast<int64_t>(key.due - kEpoch),
                          .case_id = std::move(key.case_id),
                          .clock_index = clock,
                          .instance = std::move(key.instance)},
                  .la_code = la_code};
      // Rows listed before the token are skipped unread.
      if (after && DeadlineLessIgnoringDup(c.key, *after)) continue;
      candidates.push_back(std::move(c));
    }
    EHCP_RETURN_IF_ERROR(FromRocksDb(it->status(), "clock index: scan due"));
  }
  auto after_in_list = [](const Candidate& a, const Candidate& b) {
    return DeadlineLess(b.key, a.key);
  };
  std::make_heap(candidates.begin(), candidates.end(), after_in_list);

  const size_t want = static_cast<size_t>(page_size) + 1;
  std::map<PageKey, Deadline, DeadlineKeyLess> kept;
  CaseEvaluator evaluator(context, filter.as_of);
  for (auto end = candidates.end(); end != candidates.begin(); --end) {
    std::pop_heap(candidates.begin(), end, after_in_list);
    const Candidate& c = *std::prev(end);
    if (kept.size() == want && DeadlineLess(kept.rbegin()->first, c.key)) {
      break;
    }
    if (evaluator.Evaluated(c.key.case_id)) continue;
    EHCP_ASSIGN_OR_RETURN(const std::vector<ClockRow>* rows,
                          evaluator.Rows(c.key.case_id));
    std::map<std::pair<std::string, std::string>, int> seen;
    for (const ClockRow& row : *rows) {
      const int dup = seen[{row.clock_id, row.instance}]++;
      if (!IsOpenDeadline(row) || *row.due < filter.due_from ||
          *row.due > filter.due_to) {
        continue;
      }
      PageKey key{.lead = static_cast<int64_t>(*row.due - kEpoch),
                  .case_id = c.key.case_id,
                  .clock_index = domain::CatalogueIndex(row.clock_id),
                  .instance = row.instance,
                  .dup = dup};
      if (after && !DeadlineLess(*after, key)) continue;
      kept.emplace(std::move(key),
                   Deadline{.case_id = c.key.case_id,
                            .la_code = c.la_code,
                            .case_reference = evaluator.Reference(c.key.case_id),
                            .row = row});
      if (kept.size() > want) kept.erase(std::prev(kept.end()));
    }
  }

  DeadlinePage result;
  result.as_of = filter.as_of;
  for (auto it = kept.begin();
       it != kept.end() &&
       result.deadlines.size() < static_cast<size_t>(page_size);
       ++it) {
    result.deadlines.push_back(it->second);
    if (kept.size() == want &&
        result.deadlines.size() == static_cast<size_t>(page_size)) {
      result.next_page_token = EncodePageKey(fingerprint, it->first);
    }
  }
  return result;
}

}  // namespace ehcp::projections
