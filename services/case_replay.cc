#include "services/internal/case_replay.h"

#include <atomic>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "domain/dates.h"
#include "domain/journey.h"
#include "domain/replay.h"
#include "services/internal/clock_convert.h"
#include "services/internal/executor_stream.h"
#include "services/internal/grpc_status.h"

namespace ehcp::services {
namespace {

v1::ReplayEntryKind KindToProto(domain::ReplayEntry::Kind kind) {
  switch (kind) {
    case domain::ReplayEntry::Kind::kOpened:
      return v1::REPLAY_ENTRY_KIND_OPENED;
    case domain::ReplayEntry::Kind::kFact:
      return v1::REPLAY_ENTRY_KIND_FACT;
    case domain::ReplayEntry::Kind::kVoid:
      return v1::REPLAY_ENTRY_KIND_VOID;
    case domain::ReplayEntry::Kind::kRemoved:
      return v1::REPLAY_ENTRY_KIND_REMOVED;
  }
  return v1::REPLAY_ENTRY_KIND_UNSPECIFIED;
}

class ReplayReactor final : public ExecutorStream<v1::ReplayCaseResponse> {
 public:
  ReplayReactor(cases::CaseCache* cases, Executor* executor,
                std::string case_id, absl::CivilDay as_of,
                std::optional<absl::Time> as_known_at)
      : ExecutorStream(executor),
        cases_(cases),
        case_id_(std::move(case_id)),
        as_of_(as_of),
        as_known_at_(as_known_at) {
    Start();
  }

 private:
  // On the executor: the header first, then one entry per message.
  void Step() override {
    if (!replay_) {
      absl::Status loaded = Load();
      if (!loaded.ok()) FinishOnce(ToGrpcStatus(loaded));
      return;
    }
    domain::ReplayEntry entry;
    if (!replay_->Next(&entry)) {
      FinishOnce(grpc::Status::OK);
      return;
    }
    message_.Clear();
    v1::ReplayEntry* out = message_.mutable_entry();
    out->set_step(static_cast<int64_t>(++given_));
    out->set_kind(KindToProto(entry.kind));
    *out->mutable_event() = *entry.event;
    if (entry.corrects != nullptr) *out->mutable_corrects() = *entry.corrects;
    out->set_removed_by_event_id(entry.removed_by_event_id);
    out->set_recording_lag_days(entry.recording_lag_days);
    for (const domain::ClockRow& row : entry.clocks) {
      *out->add_clocks() = ToProto(row, case_id_, la_code_, case_reference_);
    }
    Write(&message_, /*last=*/given_ == replay_->size());
  }

  // The case's events copied out of the cache (the replay then holds no
  // lock of the cache's), and the header written.
  absl::Status Load() {
    absl::StatusOr<std::shared_ptr<cases::SharedCase>> shared =
        cases_->Get(case_id_);
    if (!shared.ok()) return shared.status();
    {
      absl::MutexLock lock(&(*shared)->mu);
      const domain::CaseModel& model = (*shared)->model;
      for (const v1::Event* e : model.Events()) events_.push_back(*e);
      la_code_ = model.state().la_code;
      case_reference_ = model.state().case_reference;
    }
    pointers_.reserve(events_.size());
    for (const v1::Event& e : events_) pointers_.push_back(&e);
    if (std::optional<absl::CivilDay> first = domain::FirstEventDay(pointers_);
        first && as_of_ < *first) {
      return absl::InvalidArgumentError(absl::StrCat(
          "as_of: ", domain::FormatDate(as_of_), " is before any event of case ",
          case_id_, " (first: ", domain::FormatDate(*first), ")"));
    }
    replay_.emplace(pointers_, as_of_, as_known_at_);
    v1::ReplayHeader* header = message_.mutable_header();
    header->set_case_id(case_id_);
    header->set_la_code(la_code_);
    header->set_as_of(domain::FormatDate(as_of_));
    if (as_known_at_) {
      const int64_t seconds = absl::ToUnixSeconds(*as_known_at_);
      header->mutable_as_known_at()->set_seconds(seconds);
      header->mutable_as_known_at()->set_nanos(static_cast<int32_t>(
          (*as_known_at_ - absl::FromUnixSeconds(seconds)) /
          absl::Nanoseconds(1)));
    }
    header->set_case_version(as_known_at_
                                 ? replay_->known_version()
                                 : static_cast<int64_t>(events_.size()));
    header->set_recorded_later(replay_->recorded_later());
    header->set_after_as_of(replay_->after_as_of());
    header->set_entries(static_cast<int64_t>(replay_->size()));
    for (const domain::ClockRow& row : replay_->FinalClocks()) {
      *header->add_clocks() = ToProto(row, case_id_, la_code_, case_reference_);
    }
    Write(&message_, /*last=*/replay_->size() == 0);
    return absl::OkStatus();
  }

  cases::CaseCache* const cases_;
  const std::string case_id_;
  const absl::CivilDay as_of_;
  const std::optional<absl::Time> as_known_at_;
  std::deque<v1::Event> events_;
  std::vector<const v1::Event*> pointers_;  // into events_, for replay_
  std::string la_code_;
  std::string case_reference_;
  std::optional<domain::CaseReplay> replay_;
  v1::ReplayCaseResponse message_;
  size_t given_ = 0;
};

}  // namespace

grpc::ServerWriteReactor<v1::ReplayCaseResponse>* StartReplayCase(
    cases::CaseCache* cases, Executor* executor, absl::CivilDay today,
    const v1::ReplayCaseRequest& request) {
  using Refused = RefusedStream<v1::ReplayCaseResponse>;
  if (request.case_id().empty()) {
    return new Refused(absl::InvalidArgumentError("case_id: is required"));
  }
  absl::StatusOr<absl::CivilDay> as_of = ParseAsOf(request.as_of(), today);
  if (!as_of.ok()) return new Refused(as_of.status());
  std::optional<absl::Time> as_known_at;
  if (request.has_as_known_at()) {
    absl::StatusOr<absl::Time> at = ParseAsKnownAt(request.as_known_at());
    if (!at.ok()) return new Refused(at.status());
    as_known_at = *at;
  }
  return new ReplayReactor(cases, executor, request.case_id(), *as_of,
                           as_known_at);
}

}  // namespace ehcp::services
