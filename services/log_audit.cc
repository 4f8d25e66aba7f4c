#include "services/internal/log_audit.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/internal/executor_stream.h"
#include "services/internal/grpc_status.h"

namespace ehcp::services {
namespace {

class VerifyLogReactor final
    : public ExecutorStream<v1::VerifyLogResponse> {
 public:
  VerifyLogReactor(storage::EventLog* log, Executor* executor,
                   std::function<bool()> stopping, uint64_t from, uint64_t to,
                   std::optional<LogDigest> against)
      : ExecutorStream(executor),
        log_(log),
        stopping_(std::move(stopping)),
        next_(from),
        to_(to),
        against_(std::move(against)),
        started_(absl::Now()) {
    Start();
  }

 private:
  // On the executor: one chunk, then one message.
  void Step() override {
    if (stopping_()) {
      FinishOnce(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                              "ehcpd is shutting down"));
      return;
    }
    response_.Clear();
    response_.set_to_position(static_cast<int64_t>(to_));
    if (next_ <= to_) {
      const uint64_t last = std::min(to_, next_ + kVerifyChunk - 1);
      const absl::Status verified = log_->VerifyChain(next_, last);
      if (absl::IsDataLoss(verified)) {
        Verdict(false, ChainErrorPosition(verified.message()),
                std::string(verified.message()));
      } else if (!verified.ok()) {
        FinishOnce(ToGrpcStatus(verified));
        return;
      } else {
        verified_to_ = last;
        next_ = last + 1;
      }
    }
    if (!done_ && next_ > to_) CheckAgainst();
    response_.set_verified_to(static_cast<int64_t>(verified_to_));
    const double seconds = absl::ToDoubleSeconds(absl::Now() - started_);
    if (seconds > 0 && verified_to_ >= first_) {
      response_.set_records_per_second(
          static_cast<double>(verified_to_ - first_ + 1) / seconds);
    }
    Write(&response_, /*last=*/done_);
  }

  // The range holds: does the record at the digest's position still have
  // the digest's hash?
  void CheckAgainst() {
    if (!against_) {
      Verdict(true, 0, "");
      return;
    }
    if (against_->position == 0) {
      Verdict(true, 0, "");
      return;
    }
    absl::StatusOr<std::vector<storage::Record>> record =
        log_->ReadAll(against_->position, 1);
    if (!record.ok() || record->empty() ||
        record->front().position != against_->position) {
      Verdict(false, against_->position,
              record.ok() ? absl::StrCat("the digest names position ",
                                         against_->position,
                                         " but the log ends before it")
                          : std::string(record.status().message()));
      return;
    }
    if (record->front().hash != against_->hash) {
      Verdict(false, against_->position,
              absl::StrCat("the record at position ", against_->position,
                           " does not have the digest's hash: the log is not "
                           "the one the digest was taken of"));
      return;
    }
    Verdict(true, 0, "");
  }

  void Verdict(bool intact, uint64_t position, std::string problem) {
    done_ = true;
    response_.set_done(true);
    response_.set_intact(intact);
    response_.set_first_bad_position(static_cast<int64_t>(position));
    response_.set_problem(std::move(problem));
  }

  storage::EventLog* const log_;
  const std::function<bool()> stopping_;
  // Touched by one chunk at a time (each chunk is submitted after the
  // previous write is done).
  uint64_t next_;
  const uint64_t first_ = next_;
  const uint64_t to_;
  uint64_t verified_to_ = next_ - 1;
  const std::optional<LogDigest> against_;
  const absl::Time started_;
  bool done_ = false;
  v1::VerifyLogResponse response_;
};

}  // namespace

uint64_t ChainErrorPosition(absl::string_view message) {
  const size_t at = message.find("position ");
  if (at == absl::string_view::npos) return 0;
  size_t end = at + 9;
  while (end < message.size() && absl::ascii_isdigit(message[end])) ++end;
  uint64_t position = 0;
  if (!absl::SimpleAtoi(message.substr(at + 9, end - at - 9), &position)) {
    return 0;
  }
  return position;
}

absl::StatusOr<LogDigest> ParseDigest(const std::string& text,
                                      const std::string& field) {
  const size_t colon = text.find(':');
  LogDigest digest;
  std::string bytes;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(text.substr(0, colon), &digest.position) ||
      text.size() - colon - 1 != 64 ||
      !absl::c_all_of(text.substr(colon + 1),
                      [](char c) { return absl::ascii_isxdigit(c); })) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": \"", absl::CHexEscape(text.substr(0, 80)),
        "\" is not a digest (\"<position>:<64 hex digits>\", as GetDigest "
        "returns it)"));
  }
  digest.hash = absl::HexStringToBytes(text.substr(colon + 1));
  return digest;
}

absl::StatusOr<v1::GetDigestResponse> ReadDigest(const storage::EventLog& log) {
  v1::GetDigestResponse response;
  const uint64_t head = log.HeadPosition();
  if (head == 0) {
    response.set_digest("0:" + std::string(64, '0'));
    return response;
  }
  absl::StatusOr<std::vector<storage::Record>> record = log.ReadAll(head, 1);
  if (!record.ok()) return record.status();
  if (record->empty()) {
    return absl::DataLossError(
        absl::StrCat("event log: the head record ", head, " cannot be read"));
  }
  response.set_position(static_cast<int64_t>(record->front().position));
  response.set_hash(record->front().hash);
  response.set_digest(absl::StrCat(record->front().position, ":",
                                   absl::BytesToHexString(record->front().hash)));
  return response;
}

grpc::ServerWriteReactor<v1::VerifyLogResponse>* StartVerifyLog(
    storage::EventLog* log, Executor* executor,
    std::function<bool()> stopping, const v1::VerifyLogRequest& request) {
  if (request.from_position() < 0 || request.to_position() < 0) {
    return new RefusedStream<v1::VerifyLogResponse>(absl::InvalidArgumentError(
        "from_position, to_position: must not be negative"));
  }
  uint64_t from = std::max<int64_t>(1, request.from_position());
  const uint64_t head = log->HeadPosition();
  uint64_t to = request.to_position() == 0
                    ? head
                    : std::min<uint64_t>(request.to_position(), head);
  if (request.to_position() != 0 &&
      static_cast<uint64_t>(request.to_position()) < from) {
    return new RefusedStream<v1::VerifyLogResponse>(absl::InvalidArgumentError(absl::StrCat(
        "to_position ", request.to_position(), " is before from_position ",
        from)));
  }
  std::optional<LogDigest> against;
  if (!request.against().empty()) {
    absl::StatusOr<LogDigest> parsed = ParseDigest(request.against(), "against");
    if (!parsed.ok()) return new RefusedStream<v1::VerifyLogResponse>(parsed.status());
    against = *parsed;
    // The log recorded at the digest is the prefix up to its position.
    from = 1;
    to = std::max(to, std::min(against->position, head));
  }
  return new VerifyLogReactor(log, executor, std::move(stopping), from, to,
                              std::move(against));
}

}  // namespace ehcp::services
