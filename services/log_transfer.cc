#include "services/internal/log_transfer.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "cases/event_codec.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/internal/executor_stream.h"
#include "services/internal/grpc_status.h"
#include "services/internal/log_audit.h"

namespace ehcp::services {
namespace {

absl::StatusOr<v1::ExportedRecord> ToExported(storage::StoredRecord stored) {
  v1::ExportedRecord out;
  out.set_position(static_cast<int64_t>(stored.record.position));
  out.set_hash(absl::BytesToHexString(stored.record.hash));
  out.set_prev_hash(absl::BytesToHexString(stored.prev_hash));
  absl::StatusOr<v1::Event> event = cases::DecodeRecord(stored.record);
  if (!event.ok()) return event.status();
  *out.mutable_event() = *std::move(event);
  out.set_stored(std::move(stored.bytes));
  return out;
}

class ExportReactor final : public ExecutorStream<v1::ExportLogResponse> {
 public:
  ExportReactor(storage::EventLog* log, Executor* executor,
                std::string case_id, uint64_t from, uint64_t to)
      : ExecutorStream(executor),
        log_(log),
        case_id_(std::move(case_id)),
        next_(from),
        to_(to) {
    Start();
  }

 private:
  // On the executor: the next page (next_ is a position for the log, a
  // version for a case).
  void Step() override {
    if (case_id_.empty() ? next_ > to_
                         : (last_version_ != 0 && next_ > last_version_)) {
      FinishOnce(grpc::Status::OK);
      return;
    }
    absl::Status status = case_id_.empty() ? LogPage() : CasePage();
    if (!status.ok()) {
      FinishOnce(ToGrpcStatus(status));
      return;
    }
    if (response_.records().empty()) {
      FinishOnce(grpc::Status::OK);
      return;
    }
    Write(&response_, /*last=*/false);
  }

  absl::Status Add(storage::StoredRecord stored, size_t* bytes) {
    *bytes += stored.bytes.size();
    absl::StatusOr<v1::ExportedRecord> exported =
        ToExported(std::move(stored));
    if (!exported.ok()) return exported.status();
    *response_.add_records() = *std::move(exported);
    return absl::OkStatus();
  }

  absl::Status LogPage() {
    response_.Clear();
    response_.set_to_position(static_cast<int64_t>(to_));
    const size_t count = std::min<uint64_t>(kExportPageRecords, to_ - next_ + 1);
    absl::StatusOr<std::vector<storage::StoredRecord>> page =
        log_->ReadStored(next_, count);
    if (!page.ok()) return page.status();
    size_t bytes = 0;
    for (storage::StoredRecord& stored : *page) {
      if (bytes >= kExportPageBytes) break;
      next_ = stored.record.position + 1;
      if (absl::Status s = Add(std::move(stored), &bytes); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status CasePage() {
    response_.Clear();
    if (last_version_ == 0) {
      // The case's last record, for the progress.
      absl::StatusOr<uint64_t> version = log_->StreamVersion(case_id_);
      if (!version.ok()) return version.status();
      if (*version == 0) {
        return absl::NotFoundError(absl::StrCat("case ", case_id_, " not found"));
      }
      last_version_ = *version;
      absl::StatusOr<std::vector<storage::Record>> last = log_->ReadStream(
          case_id_, last_version_, storage::Direction::kForwards, 1);
      if (!last.ok()) return last.status();
      if (!last->empty()) to_ = last->front().position;
    }
    response_.set_to_position(static_cast<int64_t>(to_));
    absl::StatusOr<std::vector<storage::Record>> records = log_->ReadStream(
        case_id_, next_, storage::Direction::kForwards, kExportPageRecords);
    if (!records.ok()) return records.status();
    size_t bytes = 0;
    for (const storage::Record& record : *records) {
      if (bytes >= kExportPageBytes) break;
      absl::StatusOr<std::vector<storage::StoredRecord>> stored =
          log_->ReadStored(record.position, 1);
      if (!stored.ok()) return stored.status();
      if (stored->size() != 1) {
        return absl::DataLossError(absl::StrCat(
            "position ", record.position, ": missing from the log"));
      }
      next_ = record.version + 1;
      if (absl::Status s = Add(std::move(stored->front()), &bytes); !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }

  storage::EventLog* const log_;
  const std::string case_id_;
  // Touched by one page at a time.
  uint64_t next_;
  uint64_t to_;
  uint64_t last_version_ = 0;
  v1::ExportLogResponse response_;
};

class ImportReactor final
    : public grpc::ServerReadReactor<v1::ImportLogRequest> {
 public:
  ImportReactor(storage::EventLog* log, Executor* executor,
                v1::ImportLogResponse* response)
      : log_(log), executor_(executor), response_(response) {
    Submit([this] { Begin(); });
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The client has sent everything (or is gone: then OnCancel came
      // first, and the task drops the import).
      Submit([this] { Commit(); });
      return;
    }
    Submit([this] { Stage(); });
  }
  void OnCancel() override { cancelled_ = true; }
  void OnDone() override {
    // Dropping an import deletes its staged files: not on this thread.
    if (import_ != nullptr) {
      std::shared_ptr<storage::LogImport> dropped = std::move(import_);
      if (!executor_->Submit([dropped] {})) dropped.reset();
    }
    delete this;
  }

 private:
  void Submit(absl::AnyInvocable<void() &&> task) {
    if (!executor_->Submit(std::move(task))) {
      Fail(executor_->BusyStatus());
    }
  }

  // On the executor. Each ends by starting the next read or finishing.
  void Begin() {
    absl::StatusOr<std::unique_ptr<storage::LogImport>> import =
        log_->BeginImport();
    if (!import.ok()) {
      Fail(import.status());
      return;
    }
    import_ = *std::move(import);
    StartRead(&request_);
  }

  void Stage() {
    if (cancelled_.load()) {
      Fail(absl::CancelledError("the import was cancelled: nothing imported"));
      return;
    }
    for (const v1::ExportedRecord& r : request_.records()) {
      absl::Status checked = StageOne(r);
      if (!checked.ok()) {
        Fail(absl::Status(checked.code(),
                          absl::StrCat(checked.message(),
                                       "; nothing was imported")));
        return;
      }
    }
    StartRead(&request_);
  }

  absl::Status StageOne(const v1::ExportedRecord& r) {
    const uint64_t expected = import_->added() + 1;
    if (r.position() != static_cast<int64_t>(expected)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "position ", r.position(), ": found where position ", expected,
          " comes next: the positions of an import run 1, 2, … with no gap"));
    }
    std::string hash;
    if (r.hash().size() != 64 || !absl::c_all_of(r.hash(), [](char c) {
          return absl::ascii_isxdigit(c);
        })) {
      return absl::InvalidArgumentError(absl::StrCat(
          "position ", r.position(), ": hash is not 64 hex digits"));
    }
    hash = absl::HexStringToBytes(r.hash());
    absl::StatusOr<storage::Record> added = import_->Add(r.stored(), hash);
    if (!added.ok()) return added.status();
    absl::StatusOr<v1::Event> held = cases::DecodeRecord(*added);
    if (!held.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "position ", r.position(), ": its bytes hold no event (",
          held.status().message(), ")"));
    }
    if (r.has_event() &&
        !google::protobuf::util::MessageDifferencer::Equals(*held, r.event())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "position ", r.position(),
          ": the event given is not the one its stored bytes hold"));
    }
    return absl::OkStatus();
  }

  void Commit() {
    if (cancelled_.load() || import_ == nullptr) {
      Fail(absl::CancelledError("the import was cancelled: nothing imported"));
      return;
    }
    absl::StatusOr<uint64_t> head = import_->Commit();
    import_.reset();
    if (!head.ok()) {
      Fail(head.status());
      return;
    }
    response_->set_imported(static_cast<int64_t>(*head));
    absl::StatusOr<v1::GetDigestResponse> digest = ReadDigest(*log_);
    if (digest.ok()) response_->set_digest(digest->digest());
    FinishOnce(grpc::Status::OK);
  }

  void Fail(const absl::Status& status) {
    import_.reset();
    FinishOnce(ToGrpcStatus(status));
  }

  void FinishOnce(grpc::Status status) {
    if (finished_.exchange(true)) return;
    Finish(std::move(status));
  }

  storage::EventLog* const log_;
  Executor* const executor_;
  v1::ImportLogResponse* const response_;
  // Touched by one task at a time (each read starts after the previous
  // task, each task after the previous read).
  std::shared_ptr<storage::LogImport> import_;
  v1::ImportLogRequest request_;
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> finished_{false};
};

}  // namespace

grpc::ServerWriteReactor<v1::ExportLogResponse>* StartExportLog(
    storage::EventLog* log, Executor* executor,
    const v1::ExportLogRequest& request) {
  using Refused = RefusedStream<v1::ExportLogResponse>;
  if (request.from_position() < 0 || request.to_position() < 0) {
    return new Refused(absl::InvalidArgumentError(
        "from_position, to_position: must not be negative"));
  }
  if (!request.case_id().empty()) {
    if (request.from_position() != 0 || request.to_position() != 0) {
      return new Refused(absl::InvalidArgumentError(
          "from_position, to_position: a case is exported whole"));
    }
    return new ExportReactor(log, executor, request.case_id(), 1, 0);
  }
  const uint64_t head = log->HeadPosition();
  const uint64_t from = std::max<int64_t>(1, request.from_position());
  const uint64_t to = request.to_position() == 0
                          ? head
                          : std::min<uint64_t>(request.to_position(), head);
  if (request.to_position() != 0 &&
      static_cast<uint64_t>(request.to_position()) < from) {
    return new Refused(absl::InvalidArgumentError(absl::StrCat(
        "to_position ", request.to_position(), " is before from_position ",
        from)));
  }
  return new ExportReactor(log, executor, "", from, to);
}

grpc::ServerReadReactor<v1::ImportLogRequest>* StartImportLog(
    storage::EventLog* log, Executor* executor,
    v1::ImportLogResponse* response) {
  return new ImportReactor(log, executor, response);
}

}  // namespace ehcp::services
