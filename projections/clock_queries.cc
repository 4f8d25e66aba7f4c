// ClockIndex::Impl: the reports. Each narrows with the index (key-range
// scans of the LAs and clocks asked about, up to the date asked about) and
// then re-evaluates every candidate case with the domain, once per query.
#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "domain/clock_reports.h"
#include "domain/dates.h"
#include "domain/rules.h"
#include "projections/internal/clock_index_impl.h"
#include "projections/internal/index_reader.h"
#include "projections/internal/page_token.h"
#include "storage/hash.h"

namespace ehcp::projections {
namespace {

namespace fmt = index_format;
using domain::ClockRow;
using domain::ClockStatus;

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;
constexpr int kMinYear = 2014;
constexpr int kMaxYear = 2100;
constexpr size_t kFingerprintSize = 8;

// A ListBreaches filter, validated and in canonical form.
struct BreachQuery {
  std::string la_code;
  // Catalogue indices, ascending; every clock when the filter named none.
  std::vector<int> clocks;
  bool all_clocks = true;
  bool breached = true, overdue = true, excused = true;
  std::optional<absl::CivilDay> due_from, due_to;
  absl::CivilDay as_of;

  bool Includes(ClockStatus status) const {
    return (status == ClockStatus::kBreached && breached) ||
           (status == ClockStatus::kOverdue && overdue) ||
           (status == ClockStatus::kExcused && excused);
  }
  bool IncludesDue(const std::optional<absl::CivilDay>& due) const {
    if (!due_from && !due_to) return true;
    if (!due) return false;
    return (!due_from || *due >= *due_from) && (!due_to || *due <= *due_to);
  }

  // 8 bytes identifying the query (every field but the page).
  std::string Fingerprint() const {
    std::vector<std::string> ids;
    for (int c : clocks) ids.push_back(domain::ClockIds()[c]);
    auto date = [](const std::optional<absl::CivilDay>& d) {
      return d ? domain::FormatDate(*d) : std::string();
    };
    const std::string canonical = absl::StrCat(
        "ListBreaches/1|", la_code, "|",
        all_clocks ? "*" : absl::StrJoin(ids, ","), "|", breached ? "B" : "",
        overdue ? "O" : "", excused ? "E" : "", "|", date(due_from), "|",
        date(due_to), "|", domain::FormatDate(as_of));
    return storage::Sha256(canonical).substr(0, kFingerprintSize);
  }
};

absl::StatusOr<BreachQuery> Normalize(const BreachFilter& filter) {
  BreachQuery q;
  EHCP_RETURN_IF_ERROR(ValidateLaCode(filter.la_code));
  q.la_code = filter.la_code;
  std::set<int> clocks;
  for (const std::string& id : filter.clock_ids) {
    const int index = domain::CatalogueIndex(id);
    if (index < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("clock_ids: \"", absl::CHexEscape(id.substr(0, 40)),
                       "\" is not a clock of the catalogue"));
    }
    clocks.insert(index);
  }
  q.all_clocks = clocks.empty();
  if (q.all_clocks) {
    for (size_t i = 0; i < domain::ClockIds().size(); ++i) {
      clocks.insert(static_cast<int>(i));
    }
  }
  q.clocks.assign(clocks.begin(), clocks.end());
  if (!filter.statuses.empty()) {
    q.breached = q.overdue = q.excused = false;
    for (ClockStatus status : filter.statuses) {
      switch (status) {
        case ClockStatus::kBreached:
          q.breached = true;
          break;
        case ClockStatus::kOverdue:
          q.overdue = true;
          break;
        case ClockStatus::kExcused:
          q.excused = true;
          break;
        default:
          return absl::InvalidArgumentError(absl::StrCat(
              "statuses: ListBreaches lists late clocks only (BREACHED, "
              "OVERDUE, EXCUSED), not ",
              domain::ClockStatusName(status)));
      }
    }
  }
  q.due_from = filter.due_from;
  q.due_to = filter.due_to;
  if (q.due_from && q.due_to && *q.due_from > *q.due_to) {
    return absl::InvalidArgumentError(
        absl::StrCat("due_from: ", domain::FormatDate(*q.due_from),
                     " is after due_to ", domain::FormatDate(*q.due_to)));
  }
  q.as_of = filter.as_of;
  if (q.as_of > fmt::kFarFuture) {
    return absl::InvalidArgumentError(
        absl::StrCat("as_of ", domain::FormatDate(q.as_of), " is after ",
                     domain::FormatDate(fmt::kFarFuture)));
  }
  return q;
}

struct SortKeyLess {
  bool operator()(const BreachSortKey& a, const BreachSortKey& b) const {
    return BreachSortLess(a, b);
  }
};

// A late-index row that may be late as of the query date, with the sort key
// it has if it is: the index knows its days late exactly (stop − due when
// stopped by then, as_of − due while open, 0 for compliance checks), so the
// candidates can be visited in list order and the case evaluations stop as
// soon as the page is full.
struct Candidate {
  BreachSortKey key;
  std::string la_code;
};

// The candidate for `row` as of q.as_of, or nullopt when the index already
// shows it cannot match (its due date, or its status as of then).
std::optional<Candidate> MakeCandidate(const BreachQuery& q, int clock_index,
                                       const fmt::RowKeyParts& key,
                                       const fmt::RowSummary& row) {
  if (!q.IncludesDue(row.due)) return std::nullopt;
  const domain::ClockRule* rule =
      domain::FindClockRule(key.clock_id, row.trigger);
  if (rule == nullptr) return std::nullopt;
  int days_late = 0;
  if (rule->kind == domain::ClockKind::kComplianceCheck) {
    if (!q.breached) return std::nullopt;
  } else if (row.stop && *row.stop <= q.as_of) {
    // Stopped by then: its status then is its final one.
    if (!q.Includes(row.status)) return std::nullopt;
    days_late = static_cast<int>(*row.stop - row.due);
  } else {
    // Open then: OVERDUE or EXCUSED (or already closed NOT_APPLICABLE).
    if (!q.overdue && !q.excused) return std::nullopt;
    days_late = static_cast<int>(q.as_of - row.due);
  }
  return Candidate{.key = {.days_late = days_late,
                           .case_id = key.case_id,
                           .clock_index = clock_index,
                           .instance = key.instance},
                   .la_code = key.la_code};
}

absl::StatusOr<BreachPage> ListBreachesIn(
    const QueryContext& context, const BreachQuery& q, int page_size,
    const std::optional<BreachSortKey>& after, const std::string& fingerprint) {
  BreachPage page;
  page.as_of = q.as_of;
  EHCP_ASSIGN_OR_RETURN(LaList las, LasInScope(context, q.la_code));
  EHCP_RETURN_IF_ERROR(CheckAsOf(las, q.as_of));

  std::vector<Candidate> candidates;
  for (const auto& [la_code, entry] : las) {
    for (int clock : q.clocks) {
      const std::string& clock_id = domain::ClockIds()[clock];
      EHCP_RETURN_IF_ERROR(ScanRows(
          context, context.families().late, la_code, clock_id, std::nullopt,
          q.as_of,
          [&](const fmt::RowKeyParts& key,
              const fmt::RowSummary& row) -> absl::Status {
            std::optional<Candidate> c = MakeCandidate(q, clock, key, row);
            // Rows listed before the token are skipped unread.
            if (c && !(after && BreachSortLessIgnoringDup(c->key, *after))) {
              candidates.push_back(*std::move(c));
            }
            return absl::OkStatus();
          }));
    }
  }
  // Visited in key order, lazily: a page usually needs only its first few
  // hundred candidates, so they are heaped (linear) rather than sorted.
  auto after_in_list = [](const Candidate& a, const Candidate& b) {
    return BreachSortLess(b.key, a.key);
  };
  std::make_heap(candidates.begin(), candidates.end(), after_in_list);

  // The first page_size + 1 rows after the token (one more than the page,
  // to know whether another page follows). A candidate's key is a lower
  // bound of its row's, so once `kept` is full and the next candidate sorts
  // after its last row, no later candidate can enter.
  const size_t want = static_cast<size_t>(page_size) + 1;
  std::map<BreachSortKey, Breach, SortKeyLess> kept;
  CaseEvaluator evaluator(context, q.as_of);
  for (auto end = candidates.end(); end != candidates.begin(); --end) {
    std::pop_heap(candidates.begin(), end, after_in_list);
    const Candidate& c = *std::prev(end);
    if (kept.size() == want && BreachSortLess(kept.rbegin()->first, c.key)) {
      break;
    }
    if (evaluator.Evaluated(c.key.case_id)) continue;
    EHCP_ASSIGN_OR_RETURN(const std::vector<ClockRow>* rows,
                          evaluator.Rows(c.key.case_id));
    std::map<std::pair<std::string, std::string>, int> seen;
    for (const ClockRow& row : *rows) {
      const int dup = seen[{row.clock_id, row.instance}]++;
      const int clock = domain::CatalogueIndex(row.clock_id);
      if (!q.all_clocks &&
          !std::binary_search(q.clocks.begin(), q.clocks.end(), clock)) {
        continue;
      }
      if (!q.Includes(row.status) || !q.IncludesDue(row.due)) continue;
      BreachSortKey key{.days_late = row.days_late,
                        .case_id = c.key.case_id,
                        .clock_index = clock,
                        .instance = row.instance,
                        .dup = dup};
      if (after && !BreachSortLess(*after, key)) continue;
      kept.emplace(key, Breach{.case_id = c.key.case_id,
                               .la_code = c.la_code,
                               .row = row,
                               .case_reference =
                                   evaluator.Reference(c.key.case_id)});
      if (kept.size() > want) kept.erase(std::prev(kept.end()));
    }
  }

  for (auto it = kept.begin();
       it != kept.end() &&
       page.breaches.size() < static_cast<size_t>(page_size);
       ++it) {
    page.breaches.push_back(it->second);
    if (kept.size() == want &&
        page.breaches.size() == static_cast<size_t>(page_size)) {
      page.next_page_token = EncodePageToken(fingerprint, it->first);
    }
  }
  return page;
}

// The clocks the review backlog counts (rules with counts_in_backlog), in
// catalogue order.
const std::vector<std::string>& BacklogClocks() {
  static const auto* const clocks = [] {
    auto* ids = new std::vector<std::string>;
    for (const std::string& id : domain::ClockIds()) {
      for (const domain::ClockRule* rule : domain::ClockRuleVersions(id)) {
        if (rule->counts_in_backlog) {
          ids->push_back(id);
          break;
        }
      }
    }
    return ids;
  }();
  return *clocks;
}

constexpr const char* kBuckets[] = {"0-3", "3-6", "6-12", "12-24", ">24"};

}  // namespace

absl::StatusOr<BreachPage> ClockIndex::Impl::ListBreaches(
    const BreachFilter& filter, const PageRequest& page) const {
  EHCP_ASSIGN_OR_RETURN(BreachQuery q, Normalize(filter));
  if (page.page_size < 0 || page.page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: must be 1-", kMaxPageSize, " (0 for ",
                     kDefaultPageSize, "), got ", page.page_size));
  }
  const int page_size = page.page_size == 0 ? kDefaultPageSize : page.page_size;
  const std::string fingerprint = q.Fingerprint();
  std::optional<BreachSortKey> after;
  if (!page.page_token.empty()) {
    EHCP_ASSIGN_OR_RETURN(after, DecodePageToken(page.page_token, fingerprint));
  }
  absl::ReaderMutexLock db_lock(&db_mu_);
  if (db_ == nullptr) return ClosedError();
  QueryContext context(db_.get(), families_, log_, cases_);
  EHCP_RETURN_IF_ERROR(context.Init());
  return ListBreachesIn(context, q, page_size, after, fingerprint);
}

absl::StatusOr<BacklogReport> ClockIndex::Impl::ReviewBacklog(
    const std::string& la_code, absl::CivilDay as_of) const {
  EHCP_RETURN_IF_ERROR(ValidateLaCode(la_code));
  absl::ReaderMutexLock db_lock(&db_mu_);
  if (db_ == nullptr) return ClosedError();
  QueryContext context(db_.get(), families_, log_, cases_);
  EHCP_RETURN_IF_ERROR(context.Init());
  EHCP_ASSIGN_OR_RETURN(LaList las, LasInScope(context, la_code));
  EHCP_RETURN_IF_ERROR(CheckAsOf(las, as_of));

  // Candidates: backlog-clock rows past due by as_of and not stopped by then.
  std::map<std::string, std::string> cases;  // case id -> LA
  for (const auto& [la, entry] : las) {
    for (const std::string& clock_id : BacklogClocks()) {
      EHCP_RETURN_IF_ERROR(ScanRows(
          context, context.families().late, la, clock_id, std::nullopt, as_of,
          [&](const fmt::RowKeyParts& key,
              const fmt::RowSummary& row) -> absl::Status {
            if (!row.stop || *row.stop > as_of)
              cases[key.case_id] = key.la_code;
            return absl::OkStatus();
          }));
    }
  }

  BacklogReport report;
  report.as_of = as_of;
  report.la_code = la_code;
  std::map<std::string, std::map<std::string, std::vector<BacklogEntry>>>
      found;  // clock -> bucket -> entries
  CaseEvaluator evaluator(context, as_of);
  for (const auto& [case_id, la] : cases) {
    EHCP_ASSIGN_OR_RETURN(const std::vector<ClockRow>* rows,
                          evaluator.Rows(case_id));
    for (const ClockRow& row : *rows) {
      if (!domain::CountsInBacklog(row) || !row.due) continue;
      std::optional<std::string> bucket =
          domain::BacklogBucket(*row.due, as_of);
      if (!bucket) continue;
      found[row.clock_id][*bucket].push_back(
          BacklogEntry{.case_id = case_id,
                       .la_code = la,
                       .instance = row.instance,
                       .due = *row.due,
                       .days_overdue = row.days_late,
                       .excused = row.status == ClockStatus::kExcused,
                       .case_reference = evaluator.Reference(case_id)});
    }
  }
  for (const std::string& clock_id : BacklogClocks()) {
    ClockBacklog& clock = report.clocks.emplace_back();
    clock.clock_id = clock_id;
    for (const char* name : kBuckets) {
      BacklogBucket& bucket = clock.buckets.emplace_back();
      bucket.bucket = name;
      bucket.entries = std::move(found[clock_id][name]);
      std::stable_sort(bucket.entries.begin(), bucket.entries.end(),
                       [](const BacklogEntry& a, const BacklogEntry& b) {
                         if (a.days_overdue != b.days_overdue) {
                           return a.days_overdue > b.days_overdue;
                         }
                         if (a.case_id != b.case_id) {
                           return a.case_id < b.case_id;
                         }
                         return InstanceLess(a.instance, b.instance);
                       });
      clock.total += static_cast<int>(bucket.entries.size());
    }
  }
  return report;
}

absl::StatusOr<TimelinessReport> ClockIndex::Impl::Timeliness(
    const std::string& la_code, int year) const {
  EHCP_RETURN_IF_ERROR(ValidateLaCode(la_code));
  if (year < kMinYear || year > kMaxYear) {
    return absl::InvalidArgumentError(absl::StrCat(
        "year: must be ", kMinYear, "-", kMaxYear, ", got ", year));
  }
  absl::ReaderMutexLock db_lock(&db_mu_);
  if (db_ == nullptr) return ClosedError();
  QueryContext context(db_.get(), families_, log_, cases_);
  EHCP_RETURN_IF_ERROR(context.Init());
  EHCP_ASSIGN_OR_RETURN(LaList las, LasInScope(context, la_code));

  const absl::CivilDay first(year, 1, 1), last(year, 12, 31);
  std::set<std::string> cases;
  for (const auto& [la, entry] : las) {
    for (const char* clock_id : {"decision_to_assess", "final_plan_20w"}) {
      EHCP_RETURN_IF_ERROR(ScanRows(
          context, context.families().stopped, la, clock_id, first, last,
          [&](const fmt::RowKeyParts& key,
              const fmt::RowSummary&) -> absl::Status {
            cases.insert(key.case_id);
            return absl::OkStatus();
          }));
    }
  }
  // As of the year's last day every stop in the year is visible.
  domain::TimelinessAccumulator accumulator(year);
  CaseEvaluator evaluator(context, last);
  for (const std::string& case_id : cases) {
    EHCP_ASSIGN_OR_RETURN(const std::vector<ClockRow>* rows,
                          evaluator.Rows(case_id));
    accumulator.Add(*rows);
  }
  TimelinessReport report;
  report.la_code = la_code;
  report.summary = accumulator.Summary();
  return report;
}

}  // namespace ehcp::projections
