#include "projections/internal/index_reader.h"

#include <algorithm>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "cases/event_codec.h"
#include "common/big_endian.h"
#include "common/status_macros.h"
#include "domain/dates.h"
#include "domain/validation.h"
#include "storage/rocksdb_status.h"

namespace ehcp::projections {
namespace {

namespace fmt = index_format;
using storage::FromRocksDb;

}  // namespace

QueryContext::QueryContext(rocksdb::DB* db, const IndexFamilies& families,
                           const storage::EventLog* log,
                           cases::CaseCache* cases)
    : db_(db),
      families_(families),
      log_(log),
      cases_(cases),
      snapshot_(db->GetSnapshot()) {
  read_.snapshot = snapshot_;
}

QueryContext::~QueryContext() { db_->ReleaseSnapshot(snapshot_); }

absl::Status QueryContext::Init() {
  std::string value;
  rocksdb::Status s =
      db_->Get(read_, families_.meta, fmt::kCheckpointKey, &value);
  if (s.IsNotFound()) {
    checkpoint_ = 0;
    return absl::OkStatus();
  }
  EHCP_RETURN_IF_ERROR(FromRocksDb(s, "clock index: read checkpoint"));
  EHCP_ASSIGN_OR_RETURN(
      checkpoint_,
      ::ehcp::DecodeBigEndian64(value, "clock index: meta checkpoint"));
  return absl::OkStatus();
}

absl::Status ValidateLaCode(const std::string& la_code) {
  if (la_code.empty() || domain::IsOnsLaCode(la_code)) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "la_code: \"", absl::CHexEscape(la_code.substr(0, 32)),
      "\" is not an ONS local authority code (E06-E09 or E10 and six "
      "digits)"));
}

absl::StatusOr<LaList> LasInScope(const QueryContext& context,
                                  const std::string& la_code) {
  LaList las;
  if (!la_code.empty()) {
    std::string value;
    rocksdb::Status s = context.db()->Get(
        context.read(), context.families().las, la_code, &value);
    if (!s.IsNotFound()) {
      EHCP_RETURN_IF_ERROR(FromRocksDb(s, "clock index: read LA entry"));
      EHCP_ASSIGN_OR_RETURN(fmt::LaEntry entry, fmt::DecodeLaEntry(value));
      if (entry.cases > 0) las.emplace_back(la_code, entry);
    }
    if (las.empty()) {
      return absl::NotFoundError(absl::StrCat("no cases for LA ", la_code));
    }
    return las;
  }
  std::unique_ptr<rocksdb::Iterator> it(
      context.db()->NewIterator(context.read(), context.families().las));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    EHCP_ASSIGN_OR_RETURN(fmt::LaEntry entry,
                          fmt::DecodeLaEntry(it->value().ToStringView()));
    if (entry.cases > 0) las.emplace_back(it->key().ToString(), entry);
  }
  EHCP_RETURN_IF_ERROR(FromRocksDb(it->status(), "clock index: scan LAs"));
  return las;
}

absl::Status CheckAsOf(const LaList& las, absl::CivilDay as_of) {
  if (as_of > fmt::kFarFuture) {
    return absl::InvalidArgumentError(
        absl::StrCat("as_of ", domain::FormatDate(as_of),
                     " is after the last date the index evaluates (",
                     domain::FormatDate(fmt::kFarFuture), ")"));
  }
  std::optional<absl::CivilDay> first;
  for (const auto& [la_code, entry] : las) {
    if (entry.first_day && (!first || *entry.first_day < *first)) {
      first = entry.first_day;
    }
  }
  if (first && as_of < *first) {
    return absl::InvalidArgumentError(absl::StrCat(
        "as_of ", domain::FormatDate(as_of),
        " is before any event (first: ", domain::FormatDate(*first), ")"));
  }
  return absl::OkStatus();
}

absl::Status ScanRows(const QueryContext& context,
                      rocksdb::ColumnFamilyHandle* family,
                      const std::string& la_code, const std::string& clock_id,
                      std::optional<absl::CivilDay> from, absl::CivilDay to,
                      const RowVisitor& visit) {
  if (from && *from > to) return absl::OkStatus();
  const std::string prefix = fmt::ClockPrefix(la_code, clock_id);
  // Dates are fixed-width, so every key dated on or before `to` sorts
  // before prefix + (to + 1).
  const std::string upper = prefix + fmt::DateKey(to + 1);
  const rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read = context.read();
  read.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      context.db()->NewIterator(read, family));
  for (it->Seek(from ? prefix + fmt::DateKey(*from) : prefix); it->Valid();
       it->Next()) {
    EHCP_ASSIGN_OR_RETURN(fmt::RowKeyParts key,
                          fmt::ParseRowKey(it->key().ToStringView()));
    EHCP_ASSIGN_OR_RETURN(fmt::RowSummary summary,
                          fmt::DecodeRowSummary(it->value().ToStringView()));
    EHCP_RETURN_IF_ERROR(visit(key, summary));
  }
  return FromRocksDb(it->status(), "clock index: scan");
}

CaseEvaluator::CaseEvaluator(const QueryContext& context, absl::CivilDay as_of)
    : context_(context), as_of_(as_of) {}

absl::StatusOr<const std::vector<domain::ClockRow>*> CaseEvaluator::Rows(
    const std::string& case_id) {
  auto it = cache_.find(case_id);
  if (it != cache_.end()) return &it->second.rows;
  // From the shared case model (read from the log on a miss), with only
  // the events up to the snapshot's checkpoint.
  EHCP_ASSIGN_OR_RETURN(std::shared_ptr<cases::SharedCase> shared,
                        context_.cases().Get(case_id));
  Entry evaluated;
  {
    absl::MutexLock lock(&shared->mu);
    evaluated.rows = shared->model.ClocksAsOf(
        as_of_, static_cast<int64_t>(context_.checkpoint()));
    evaluated.case_reference = shared->model.state().case_reference;
  }
  return &cache_.emplace(case_id, std::move(evaluated)).first->second.rows;
}

const std::string& CaseEvaluator::Reference(const std::string& case_id) const {
  static const std::string* const kNone = new std::string;
  auto it = cache_.find(case_id);
  return it != cache_.end() ? it->second.case_reference : *kNone;
}

}  // namespace ehcp::projections
