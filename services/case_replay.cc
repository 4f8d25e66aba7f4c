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

class ReplayReactor final
    : public grpc::ServerWriteReactor<v1::ReplayCaseResponse> {
 public:
  ReplayReactor(cases::CaseCache* cases, Executor* executor,
                std::string case_id, absl::CivilDay as_of,
                std::optional<absl::Time> as_known_at)
      : cases_(cases),
        executor_(executor),
        case_id_(std::move(case_id)),
        as_of_(as_of),
        as_known_at_(as_known_at) {
    Submit([this] { Load(); });
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "client gone"));
      return;
    }
    if (++written_ < batch_.size()) {
      StartWrite(&batch_[written_]);
      return;
    }
    if (replay_->size() == given_) {
      FinishOnce(grpc::Status::OK);
      return;
    }
    Submit([this] { ComputeBatch(); });
  }

  void OnCancel() override { cancelled_ = true; }

  void OnDone() override { delete this; }

 private:
  void Submit(absl::AnyInvocable<void() &&> task) {
    if (!executor_->Submit(std::move(task))) {
      FinishOnce(ToGrpcStatus(executor_->BusyStatus()));
    }
  }

  // On the executor: the case's events copied out of the cache, and the
  // header.
  void Load() {
    if (cancelled_.load()) {
      FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
      return;
    }
    absl::StatusOr<std::shared_ptr<cases::SharedCase>> shared =
        cases_->Get(case_id_);
    if (!shared.ok()) {
      FinishOnce(ToGrpcStatus(shared.status()));
      return;
    }
    {
      absl::MutexLock lock(&(*shared)->mu);
      const domain::CaseModel& model = (*shared)->model;
      for (const v1::Event* e : model.Events()) events_.push_back(*e);
      la_code_ = model.state().la_code;
    }
    pointers_.reserve(events_.size());
    for (const v1::Event& e : events_) pointers_.push_back(&e);
    if (std::optional<absl::CivilDay> first = domain::FirstEventDay(pointers_);
        first && as_of_ < *first) {
      FinishOnce(ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(
          "as_of: ", domain::FormatDate(as_of_), " is before any event of case ",
          case_id_, " (first: ", domain::FormatDate(*first), ")"))));
      return;
    }
    replay_.emplace(pointers_, as_of_, as_known_at_);
    batch_.resize(1);
    v1::ReplayHeader* header = batch_[0].mutable_header();
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
    header->set_case_version(as_known_at_ ? replay_->known_version()
                                          : static_cast<int64_t>(events_.size()));
    header->set_recorded_later(replay_->recorded_later());
    header->set_after_as_of(replay_->after_as_of());
    header->set_entries(static_cast<int64_t>(replay_->size()));
    for (const domain::ClockRow& row : replay_->FinalClocks()) {
      *header->add_clocks() = ToProto(row, case_id_, la_code_);
    }
    written_ = 0;
    StartWrite(&batch_[0]);
  }

  // On the executor: the next entries.
  void ComputeBatch() {
    if (cancelled_.load()) {
      FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
      return;
    }
    batch_.clear();
    domain::ReplayEntry entry;
    while (batch_.size() < kReplayBatch && replay_->Next(&entry)) {
      v1::ReplayEntry* out = batch_.emplace_back().mutable_entry();
      out->set_step(static_cast<int64_t>(++given_));
      out->set_kind(KindToProto(entry.kind));
      *out->mutable_event() = *entry.event;
      if (entry.corrects != nullptr) *out->mutable_corrects() = *entry.corrects;
      out->set_removed_by_event_id(entry.removed_by_event_id);
      out->set_recording_lag_days(entry.recording_lag_days);
      for (const domain::ClockRow& row : entry.clocks) {
        *out->add_clocks() = ToProto(row, case_id_, la_code_);
      }
    }
    written_ = 0;
    if (batch_.empty()) {
      FinishOnce(grpc::Status::OK);
      return;
    }
    StartWrite(&batch_[0]);
  }

  void FinishOnce(grpc::Status status) {
    if (finished_.exchange(true)) return;
    Finish(std::move(status));
  }

  cases::CaseCache* const cases_;
  Executor* const executor_;
  const std::string case_id_;
  const absl::CivilDay as_of_;
  const std::optional<absl::Time> as_known_at_;
  // Set by Load; then touched by one task or one write at a time (each
  // batch is computed after the previous one has been written).
  std::deque<v1::Event> events_;
  std::vector<const v1::Event*> pointers_;  // into events_, for replay_
  std::string la_code_;
  std::optional<domain::CaseReplay> replay_;
  std::vector<v1::ReplayCaseResponse> batch_;
  size_t written_ = 0;
  size_t given_ = 0;
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> finished_{false};
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
