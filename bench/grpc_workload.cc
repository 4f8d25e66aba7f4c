// The end-to-end rows: AppendEvents over gRPC to an in-process ehcpd.
//
// Calls are kept in flight by the callback client: each call slot issues
// its next call from the completion callback of the previous one, so the
// client needs no thread per call and `in_flight` calls are always out.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "bench/temp_dir.h"
#include "bench/workloads.h"
#include "common/status_macros.h"
#include "ehcp/v1/case_service.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "services/server.h"

namespace ehcp::bench {
namespace {

namespace v1 = ::ehcp::v1;

constexpr char kCouncil[] = "E06000035";
constexpr auto kCallTimeout = std::chrono::seconds(30);

absl::Status FromGrpc(const grpc::Status& status, const std::string& what) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(what, ": ", status.error_message()));
}

v1::ProposedEvent On(const std::string& occurred_on) {
  v1::ProposedEvent event;
  event.set_occurred_on(occurred_on);
  return event;
}

// Counts the slots still calling; the measurement waits for none.
class Running {
 public:
  explicit Running(int slots) : running_(slots) {}
  void Done() {
    absl::MutexLock lock(&mu_);
    --running_;
  }
  void AwaitNone() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* running) { return *running == 0; }, &running_));
  }

 private:
  absl::Mutex mu_;
  int running_ ABSL_GUARDED_BY(mu_);
};

// One call in flight at a time, appending to the slot's own case.
class Slot {
 public:
  // The slot's cases are named "bench-<index>-<n>"; with case_events > 0
  // the slot moves to a fresh case once its case holds that many events.
  Slot(v1::CaseService::Stub* stub, const Window* window, Running* running,
       int index, int events_per_call, int case_events)
      : stub_(stub),
        window_(window),
        running_(running),
        index_(index),
        events_per_call_(events_per_call),
        case_events_(case_events) {
    for (int i = 0; i < events_per_call_; ++i) {
      v1::ProposedEvent* advice = request_.add_events();
      *advice = On("2024-02-20");
      advice->mutable_payload()->mutable_advice_requested()->set_body(
          v1::ADVICE_BODY_HEALTH);
    }
  }

  // Opens and sets up the slot's first case (see SetUpRequest) with
  // blocking calls.
  absl::Status Prepare() {
    grpc::ClientContext open_context;
    v1::OpenCaseResponse opened;
    grpc::Status status =
        stub_->OpenCase(&open_context, NextCaseRequest(), &opened);
    if (!status.ok()) return FromGrpc(status, "OpenCase");
    grpc::ClientContext append_context;
    v1::AppendEventsResponse appended;
    status =
        stub_->AppendEvents(&append_context, SetUpRequest(opened), &appended);
    if (!status.ok()) return FromGrpc(status, "AppendEvents (setup)");
    UseCase(opened.case_id(), appended.case_version());
    return absl::OkStatus();
  }

  // Issues the first call; the slot then calls until the window closes or
  // a call fails, and calls running->Done() (its last act) when it stops.
  void Start() { Issue(); }

  const Tally& tally() const { return tally_; }
  int64_t longest_case() const {
    return std::max(longest_case_, request_.expected_version());
  }
  int cases() const { return cases_; }

 private:
  // OpenCase for the slot's next case.
  v1::OpenCaseRequest NextCaseRequest() {
    v1::OpenCaseRequest open;
    open.set_la_code(kCouncil);
    open.set_case_reference(absl::StrCat("bench-", index_, "-", cases_));
    open.set_birth_month("2015-03");
    open.set_opened_on("2024-01-02");
    return open;
  }

  // A request and a decision to assess, so that advice requests are
  // admissible, for the case just opened.
  static v1::AppendEventsRequest SetUpRequest(
      const v1::OpenCaseResponse& opened) {
    v1::AppendEventsRequest append;
    append.set_case_id(opened.case_id());
    append.set_expected_version(opened.event().case_version());
    v1::ProposedEvent* request = append.add_events();
    *request = On("2024-01-08");
    request->mutable_payload()->mutable_request_received()->set_source(
        v1::REQUEST_SOURCE_PARENT);
    v1::ProposedEvent* decision = append.add_events();
    *decision = On("2024-02-16");
    decision->mutable_payload()->mutable_assessment_decision()->set_outcome(
        v1::ASSESSMENT_DECISION_OUTCOME_ASSESS);
    return append;
  }

  void UseCase(const std::string& case_id, int64_t version) {
    longest_case_ = longest_case();
    ++cases_;
    request_.set_case_id(case_id);
    request_.set_expected_version(version);
  }

  // A fresh context for the next call. The previous one is kept one call
  // longer, so that no context is destroyed inside its own callback.
  grpc::ClientContext* NextContext() {
    previous_context_ = std::move(context_);
    context_ = std::make_unique<grpc::ClientContext>();
    context_->set_deadline(std::chrono::system_clock::now() + kCallTimeout);
    return context_.get();
  }

  // Stops calling: the slot's last act.
  void Stop(const grpc::Status& status, const std::string& what) {
    if (!status.ok()) tally_.Fail(FromGrpc(status, what).ToString());
    running_->Done();
  }

  // Opens the next case and sets it up with two calls (not counted), then
  // goes back to appending.
  void MoveToNewCase() {
    open_request_ = NextCaseRequest();
    stub_->async()->OpenCase(
        NextContext(), &open_request_, &open_response_,
        [this](grpc::Status status) { OnCaseOpened(std::move(status)); });
  }

  void OnCaseOpened(grpc::Status status) {
    if (!status.ok() || window_->phase() == Phase::kStop) {
      Stop(status, "OpenCase");
      return;
    }
    setup_request_ = SetUpRequest(open_response_);
    stub_->async()->AppendEvents(
        NextContext(), &setup_request_, &response_,
        [this](grpc::Status set_up) { OnCaseSetUp(std::move(set_up)); });
  }

  void OnCaseSetUp(grpc::Status status) {
    if (!status.ok() || window_->phase() == Phase::kStop) {
      Stop(status, "AppendEvents (setup)");
      return;
    }
    UseCase(open_response_.case_id(), response_.case_version());
    Issue();
  }

  void Issue() {
    for (v1::ProposedEvent& event : *request_.mutable_events()) {
      event.mutable_payload()->mutable_advice_requested()->set_advice_id(
          absl::StrCat("A", next_advice_++));
    }
    grpc::ClientContext* context = NextContext();
    response_.Clear();
    start_ = Clock::now();
    stub_->async()->AppendEvents(
        context, &request_, &response_,
        [this](grpc::Status status) { OnDone(std::move(status)); });
  }

  void OnDone(grpc::Status status) {
    const Clock::time_point end = Clock::now();
    const Phase phase = window_->phase();
    if (!status.ok() || phase == Phase::kStop) {
      if (status.ok()) tally_.Record(phase, start_, end, events_per_call_);
      Stop(status, "AppendEvents");
      return;
    }
    tally_.Record(phase, start_, end, events_per_call_);
    request_.set_expected_version(response_.case_version());
    if (case_events_ > 0 && response_.case_version() >= case_events_) {
      MoveToNewCase();
    } else {
      Issue();
    }
  }

  v1::CaseService::Stub* const stub_;
  const Window* const window_;
  Running* const running_;
  const int index_;
  const int events_per_call_;
  const int case_events_;
  v1::AppendEventsRequest request_;
  v1::AppendEventsResponse response_;
  v1::OpenCaseRequest open_request_;
  v1::OpenCaseResponse open_response_;
  v1::AppendEventsRequest setup_request_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientContext> previous_context_;
  Clock::time_point start_;
  uint64_t next_advice_ = 0;
  int cases_ = 0;
  int64_t longest_case_ = 0;
  Tally tally_;
};

}  // namespace

absl::StatusOr<Row> MeasureGrpcAppend(const Config& config, int in_flight,
                                      int events_per_call, int case_events) {
  EHCP_ASSIGN_OR_RETURN(std::unique_ptr<TempDir> dir,
                        TempDir::Make(config.dir));
  services::ServerOptions options;
  options.data_dir = dir->path();
  options.listen_address = "127.0.0.1:0";
  options.sync = true;
  EHCP_ASSIGN_OR_RETURN(std::unique_ptr<services::EhcpServer> server,
                        services::EhcpServer::Start(options));
  const std::string target = absl::StrCat("127.0.0.1:", server->port());

  // Channels with identical arguments would share one connection.
  const int channels = std::max(1, std::min(config.channels, in_flight));
  std::vector<std::unique_ptr<v1::CaseService::Stub>> stubs;
  for (int c = 0; c < channels; ++c) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("ehcp.bench.channel", c);
    stubs.push_back(v1::CaseService::NewStub(grpc::CreateCustomChannel(
        target, grpc::InsecureChannelCredentials(), args)));
  }

  Window window(config.timing);
  Running running(in_flight);
  std::vector<std::unique_ptr<Slot>> slots;
  for (int s = 0; s < in_flight; ++s) {
    slots.push_back(std::make_unique<Slot>(stubs[s % channels].get(), &window,
                                           &running, s, events_per_call,
                                           case_events));
    EHCP_RETURN_IF_ERROR(slots.back()->Prepare());
  }
  for (auto& slot : slots) slot->Start();
  const Window::Span span = window.Run({}, {});
  running.AwaitNone();

  std::vector<Tally> tallies;
  int64_t longest_case = 0;
  int cases = 0;
  for (const auto& slot : slots) {
    tallies.push_back(slot->tally());
    longest_case = std::max(longest_case, slot->longest_case());
    cases += slot->cases();
  }
  Row row;
  row.what = absl::StrCat("gRPC AppendEvents x", events_per_call);
  if (case_events > 0) absl::StrAppend(&row.what, ", case<=", case_events);
  row.concurrency = in_flight;
  row.figures = Summarize(tallies, span);
  row.notes = absl::StrFormat("%d channel%s; %d case%s, longest %d events",
                              channels, channels == 1 ? "" : "s", cases,
                              cases == 1 ? "" : "s", longest_case);
  server->Shutdown();
  return row;
}

}  // namespace ehcp::bench
