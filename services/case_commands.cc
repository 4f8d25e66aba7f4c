#include "services/internal/case_commands.h"

#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "domain/admissibility.h"
#include "domain/dates.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "cases/event_codec.h"
#include "services/case_requests.h"
#include "storage/hash.h"

namespace ehcp::services {

using cases::DecodeRecord;
using cases::EncodeEvent;
using cases::SetTimestampMicros;
namespace {

// An append whose expected version is "any" is retried this many times when
// a concurrent append to the same case wins the race.
constexpr int kMaxAttempts = 8;

std::string NewEventId() {
  thread_local absl::BitGen gen;
  return absl::StrFormat("%016x%016x", absl::Uniform<uint64_t>(gen),
                         absl::Uniform<uint64_t>(gen));
}

// Serializes deterministically, so that the same request always has the
// same digest.
void AppendDeterministic(const google::protobuf::Message& message,
                         std::string* out) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  absl::StrAppend(out, bytes.size(), ":", bytes);
}

// Identifies what an append asks for (not how: the expected version is
// left out, so that a retry after a lost acknowledgement matches).
std::string RequestDigest(const v1::AppendEventsRequest& request) {
  std::string content = absl::StrCat(request.case_id().size(), ":",
                                     request.case_id());
  for (const v1::ProposedEvent& event : request.events()) {
    AppendDeterministic(event, &content);
  }
  return storage::Sha256(content);
}

v1::Event Stamp(const v1::ProposedEvent& proposed, const std::string& case_id,
                int64_t version, absl::Time now, const std::string& principal,
                const std::string& idempotency_key) {
  v1::Event event;
  event.set_event_id(NewEventId());
  event.set_case_id(case_id);
  event.set_case_version(version);
  event.set_occurred_on(proposed.occurred_on());
  SetTimestampMicros(absl::ToUnixMicros(now), event.mutable_recorded_at());
  event.set_recorded_by(principal);
  event.set_correlation_id(proposed.correlation_id());
  event.set_causation_id(proposed.causation_id());
  event.set_idempotency_key(idempotency_key);
  event.set_supersedes_event_id(proposed.supersedes_event_id());
  *event.mutable_payload() = proposed.payload();
  return event;
}

// Puts the log's stamps (version, position, commit time) on the events.
void ApplyResult(const storage::AppendResult& result,
                 std::vector<v1::Event>* events) {
  for (size_t i = 0; i < events->size(); ++i) {
    v1::Event& e = (*events)[i];
    e.set_case_version(static_cast<int64_t>(result.first_version + i));
    e.set_global_position(static_cast<int64_t>(result.first_position + i));
    SetTimestampMicros(result.recorded_at_micros, e.mutable_recorded_at());
  }
}

}  // namespace

std::string CaseIdFor(const std::string& la_code,
                      const std::string& case_reference) {
  const std::string digest = storage::Sha256(
      absl::StrCat(la_code, absl::string_view("\0", 1), case_reference));
  return absl::StrCat(la_code, "-",
                      absl::BytesToHexString(digest.substr(0, 8)));
}

struct CaseCommands::AppendCall {
  v1::AppendEventsRequest request;
  std::string principal;
  std::string digest;
  AppendDone done;
  int attempts = 0;
  // Handed to the executor once, to read an uncached case there.
  bool offloaded = false;
};

CaseCommands::CaseCommands(storage::EventLog* log, cases::CaseCache* cases,
                           Executor* executor, Clock now,
                           ServiceMetrics* metrics)
    : log_(log),
      cases_(cases),
      executor_(executor),
      now_(std::move(now)),
      metrics_(metrics) {}

void CaseCommands::OpenCase(const v1::OpenCaseRequest& request,
                            const std::string& principal, OpenDone done) {
  if (absl::Status valid = ValidateOpenCase(request); !valid.ok()) {
    done(valid);
    return;
  }
  const absl::Time now = now_();
  const absl::CivilDay today = domain::LondonDate(now);
  absl::CivilDay opened_on = today;
  if (!request.opened_on().empty()) {
    opened_on = *domain::ParseDate(request.opened_on(), "opened_on");
    if (opened_on > today) {
      done(absl::FailedPreconditionError(
          absl::StrCat("rule envelope.not_in_future: opened_on ",
                       request.opened_on(), " is after today (",
                       domain::FormatDate(today), ")")));
      return;
    }
  }
  const std::string case_id =
      CaseIdFor(request.la_code(), request.case_reference());
  v1::ProposedEvent proposed;
  proposed.set_occurred_on(domain::FormatDate(opened_on));
  v1::CaseOpened* opened = proposed.mutable_payload()->mutable_case_opened();
  opened->set_la_code(request.la_code());
  opened->set_case_reference(request.case_reference());
  opened->set_birth_month(request.birth_month());
  std::vector<v1::Event> events = {
      Stamp(proposed, case_id, 1, now, principal, "")};

  storage::AppendRequest append;
  append.stream_id = case_id;
  append.expected = storage::ExpectedVersion::NoStream();
  append.records.push_back(EncodeEvent(events[0]));
  log_->AppendAsync(
      std::move(append),
      [this, case_id, request, events = std::move(events),
       done = std::move(done)](
          absl::StatusOr<storage::AppendResult> result) mutable {
        if (!result.ok()) {
          if (absl::IsAborted(result.status())) {
            done(absl::AlreadyExistsError(absl::StrCat(
                "case for ", request.la_code(), " reference \"",
                request.case_reference(), "\" is already open as ",
                case_id)));
            return;
          }
          done(result.status());
          return;
        }
        ApplyResult(*result, &events);
        cases_->Appended(case_id, events);
        if (metrics_ != nullptr) metrics_->EventsAppended(events);
        v1::OpenCaseResponse response;
        response.set_case_id(case_id);
        *response.mutable_event() = events[0];
        done(std::move(response));
      });
}

void CaseCommands::Append(const v1::AppendEventsRequest& request,
                          const std::string& principal, AppendDone done) {
  if (absl::Status valid = ValidateAppendRequest(request);
      !valid.ok()) {
    done(valid);
    return;
  }
  auto call = std::make_shared<AppendCall>();
  call->request = request;
  call->principal = principal;
  call->done = std::move(done);
  if (!request.idempotency_key().empty()) {
    call->digest = RequestDigest(request);
  }
  TakeTurn(std::move(call));
}

void CaseCommands::TakeTurn(std::shared_ptr<AppendCall> call) {
  const std::string case_id = call->request.case_id();
  AppendDone done = std::move(call->done);
  bool free = false;
  {
    absl::MutexLock lock(&turns_mu_);
    auto [it, inserted] = turns_.try_emplace(case_id);
    free = inserted;
    if (!free && it->second.size() < kMaxQueuedPerCase) {
      // Whatever the outcome, the caller hears it first, then the next
      // append to the case starts.
      call->done = [this, case_id, done = std::move(done)](
                       absl::StatusOr<v1::AppendEventsResponse> r) mutable {
        done(std::move(r));
        EndTurn(case_id);
      };
      it->second.push_back(std::move(call));
      return;
    }
  }
  if (!free) {
    // Refused without taking a turn: only the caller hears of it.
    done(absl::ResourceExhaustedError(absl::StrCat(
        "case ", case_id, " already has ", kMaxQueuedPerCase,
        " appends waiting; retry with backoff")));
    return;
  }
  call->done = [this, case_id, done = std::move(done)](
                   absl::StatusOr<v1::AppendEventsResponse> r) mutable {
    done(std::move(r));
    EndTurn(case_id);
  };
  RunAttempt(std::move(call));
}

void CaseCommands::EndTurn(const std::string& case_id) {
  std::shared_ptr<AppendCall> next;
  {
    absl::MutexLock lock(&turns_mu_);
    auto it = turns_.find(case_id);
    if (it == turns_.end()) return;
    if (it->second.empty()) {
      turns_.erase(it);
      return;
    }
    next = std::move(it->second.front());
    it->second.pop_front();
  }
  RunAttempt(std::move(next));
}

void CaseCommands::RunAttempt(std::shared_ptr<AppendCall> call) {
  // An attempt's commit may complete on this thread, inside the attempt,
  // and end the turn; the next attempt then waits for this loop instead of
  // growing the stack.
  thread_local std::deque<std::shared_ptr<AppendCall>>* running = nullptr;
  if (running != nullptr) {
    running->push_back(std::move(call));
    return;
  }
  std::deque<std::shared_ptr<AppendCall>> queue;
  queue.push_back(std::move(call));
  running = &queue;
  while (!queue.empty()) {
    std::shared_ptr<AppendCall> next = std::move(queue.front());
    queue.pop_front();
    Attempt(std::move(next));
  }
  running = nullptr;
}

void CaseCommands::Attempt(std::shared_ptr<AppendCall> call) {
  const v1::AppendEventsRequest& request = call->request;
  const std::string& case_id = request.case_id();
  // A case not in the cache is read from the log: not on this thread (a
  // gRPC or commit thread), but on the executor. If its queue is full the
  // read happens here rather than refusing an append already in its turn.
  if (!call->offloaded && cases_->Peek(case_id) == nullptr) {
    call->offloaded = true;
    if (executor_->Submit([this, call]() mutable { Attempt(std::move(call)); })) {
      return;
    }
  }
  // A retry of a committed append replays its first result. Checked here,
  // in the case's turn, so a retry queued behind its original sees it.
  if (!request.idempotency_key().empty()) {
    absl::StatusOr<std::optional<storage::AppendResult>> earlier =
        log_->LookupIdempotency(case_id, request.idempotency_key(),
                                call->digest);
    if (!earlier.ok()) {
      call->done(earlier.status());
      return;
    }
    if (earlier->has_value()) {
      Replay(case_id, **earlier, std::move(call->done));
      return;
    }
  }
  absl::StatusOr<std::shared_ptr<cases::SharedCase>> shared =
      cases_->Get(case_id);
  if (!shared.ok()) {
    call->done(shared.status());
    return;
  }
  const absl::Time now = now_();
  std::vector<v1::Event> events;
  int64_t version;
  absl::Status decided;
  {
    // The model is read under its lock (CPU only; the caller is told after
    // it is released).
    absl::MutexLock lock(&(*shared)->mu);
    const domain::CaseModel& model = (*shared)->model;
    version = model.version();
    const bool exact =
        request.expected_case() == v1::AppendEventsRequest::kExpectedVersion;
    if (exact && request.expected_version() != version) {
      decided = absl::AbortedError(absl::StrCat(
          "case ", case_id, ": expected version ", request.expected_version(),
          ", actual version ", version));
    } else {
      events.reserve(request.events_size());
      for (int i = 0; i < request.events_size(); ++i) {
        events.push_back(Stamp(request.events(i), case_id, version + i + 1,
                               now, call->principal,
                               request.idempotency_key()));
      }
      decided = domain::Decide(model, events, domain::LondonDate(now));
    }
  }
  if (!decided.ok()) {
    call->done(decided);
    return;
  }

  storage::AppendRequest append;
  append.stream_id = case_id;
  append.expected = storage::ExpectedVersion::Exact(version);
  append.idempotency_key = request.idempotency_key();
  append.request_digest = call->digest;
  append.records.reserve(events.size());
  for (const v1::Event& e : events) append.records.push_back(EncodeEvent(e));
  log_->AppendAsync(
      std::move(append),
      [this, call, events = std::move(events)](
          absl::StatusOr<storage::AppendResult> result) mutable {
        const std::string& case_id = call->request.case_id();
        if (!result.ok()) {
          // Another writer of the stream won the race (appends through this
          // object take turns per case, so only another process can). With
          // an exact expected version the caller must re-read; with "any"
          // we decide again on the new state.
          const bool exact = call->request.expected_case() ==
                             v1::AppendEventsRequest::kExpectedVersion;
          if (absl::IsAborted(result.status()) && !exact &&
              ++call->attempts < kMaxAttempts) {
            cases_->Invalidate(case_id);
            Attempt(std::move(call));
            return;
          }
          call->done(result.status());
          return;
        }
        if (result->replayed) {
          Replay(case_id, *result, std::move(call->done));
          return;
        }
        ApplyResult(*result, &events);
        cases_->Appended(case_id, events);
        if (metrics_ != nullptr) metrics_->EventsAppended(events);
        v1::AppendEventsResponse response;
        response.set_case_version(static_cast<int64_t>(result->last_version));
        response.set_global_position(
            static_cast<int64_t>(result->last_position));
        for (v1::Event& e : events) *response.add_events() = std::move(e);
        call->done(std::move(response));
      });
}

void CaseCommands::Replay(const std::string& case_id,
                          const storage::AppendResult& first,
                          AppendDone done) {
  v1::AppendEventsResponse response;
  response.set_replayed(true);
  response.set_case_version(static_cast<int64_t>(first.last_version));
  response.set_global_position(static_cast<int64_t>(first.last_position));
  absl::StatusOr<std::vector<storage::Record>> records = log_->ReadStream(
      case_id, first.first_version, storage::Direction::kForwards,
      first.last_version - first.first_version + 1);
  if (!records.ok()) {
    done(records.status());
    return;
  }
  for (const storage::Record& record : *records) {
    absl::StatusOr<v1::Event> event = DecodeRecord(record);
    if (!event.ok()) {
      done(event.status());
      return;
    }
    *response.add_events() = *std::move(event);
  }
  done(std::move(response));
}

}  // namespace ehcp::services
