// A fake CaseClient for the tests of ehcpctl's commands: an in-memory
// CaseService and a scripted ClockService, recording every request.
#ifndef EHCP_TESTS_TOOLS_FAKE_CASE_CLIENT_H_
#define EHCP_TESTS_TOOLS_FAKE_CASE_CLIENT_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tools/internal/case_client.h"

namespace ehcp::tools::fakes {

// An in-memory CaseService: cases are opened and appended to without rules,
// unless a test scripts an error for the next call of a kind. Its
// ClockService answers what the test sets.
class FakeCaseClient : public CaseClient {
 public:
  const std::string& server() const override { return server_; }

  absl::StatusOr<v1::OpenCaseResponse> OpenCase(
      const v1::OpenCaseRequest& request) override {
    opens.push_back(request);
    if (absl::Status s = Scripted("open"); !s.ok()) return s;
    const std::string id =
        absl::StrCat(request.la_code(), "-", request.case_reference());
    if (cases_.contains(id)) {
      return absl::AlreadyExistsError(absl::StrCat("already open as ", id));
    }
    v1::Event opened;
    opened.mutable_payload()->mutable_case_opened()->set_la_code(
        request.la_code());
    opened.mutable_payload()->mutable_case_opened()->set_case_reference(
        request.case_reference());
    Stamp(id, &opened);
    v1::OpenCaseResponse response;
    response.set_case_id(id);
    *response.mutable_event() = opened;
    return response;
  }

  absl::StatusOr<v1::AppendEventsResponse> AppendEvents(
      const v1::AppendEventsRequest& request) override {
    appends.push_back(request);
    if (absl::Status s = Scripted("append"); !s.ok()) return s;
    if (!cases_.contains(request.case_id())) {
      return absl::NotFoundError("no such case");
    }
    v1::AppendEventsResponse response;
    for (const v1::ProposedEvent& p : request.events()) {
      v1::Event e;
      e.set_occurred_on(p.occurred_on());
      *e.mutable_payload() = p.payload();
      Stamp(request.case_id(), &e);
      *response.add_events() = e;
    }
    response.set_case_version(
        static_cast<int64_t>(cases_[request.case_id()].size()));
    response.set_global_position(static_cast<int64_t>(log_.size()));
    return response;
  }

  absl::StatusOr<v1::ReadCaseResponse> ReadCase(
      const v1::ReadCaseRequest& request) override {
    reads.push_back(request);
    auto it = cases_.find(request.case_id());
    if (it == cases_.end()) return absl::NotFoundError("case C not found");
    v1::ReadCaseResponse response;
    const std::vector<v1::Event>& events = it->second;
    const int64_t from = std::max<int64_t>(1, request.from_version());
    for (int64_t v = from; v <= static_cast<int64_t>(events.size()) &&
                           response.events_size() < request.max_count();
         ++v) {
      *response.add_events() = events[v - 1];
    }
    const int64_t last = from + response.events_size() - 1;
    if (last < static_cast<int64_t>(events.size())) {
      response.set_next_version(last + 1);
    }
    return response;
  }

  absl::StatusOr<v1::ReadLogResponse> ReadLog(
      const v1::ReadLogRequest& request) override {
    log_reads.push_back(request);
    v1::ReadLogResponse response;
    const int64_t from = std::max<int64_t>(1, request.from_position());
    const int64_t page = std::min(request.max_count(), log_page_limit);
    for (int64_t p = from; p <= static_cast<int64_t>(log_.size()) &&
                           response.events_size() < page;
         ++p) {
      *response.add_events() = log_[p - 1];
    }
    response.set_head_position(static_cast<int64_t>(log_.size()));
    response.set_next_position(from + response.events_size());
    return response;
  }

  absl::StatusOr<v1::GetCaseStateResponse> GetCaseState(
      const v1::GetCaseStateRequest& request) override {
    if (!cases_.contains(request.case_id())) {
      return absl::NotFoundError("case C not found");
    }
    v1::GetCaseStateResponse response;
    response.mutable_state()->set_case_id(request.case_id());
    response.mutable_state()->set_stage(v1::CASE_STAGE_ASSESSING);
    return response;
  }

  absl::StatusOr<v1::GetDigestResponse> GetDigest(
      const v1::GetDigestRequest& /*request*/) override {
    if (absl::Status s = Scripted("digest"); !s.ok()) return s;
    return digest;
  }

  absl::Status VerifyLog(const v1::VerifyLogRequest& request,
                         absl::FunctionRef<void(const v1::VerifyLogResponse&)>
                             on_message) override {
    verify_requests.push_back(request);
    for (const v1::VerifyLogResponse& m : verify_messages) on_message(m);
    return Scripted("verify");
  }

  absl::Status ExportLog(const v1::ExportLogRequest& request,
                         absl::FunctionRef<void(const v1::ExportLogResponse&)>
                             on_message) override {
    export_requests.push_back(request);
    for (const v1::ExportLogResponse& m : export_pages) on_message(m);
    return Scripted("export");
  }

  absl::StatusOr<v1::ImportLogResponse> ImportLog(
      absl::FunctionRef<absl::StatusOr<bool>(v1::ImportLogRequest*)> next)
      override {
    for (;;) {
      v1::ImportLogRequest page;
      absl::StatusOr<bool> more = next(&page);
      if (!more.ok()) return more.status();
      import_pages.push_back(page);
      if (!*more) break;
    }
    if (absl::Status s = Scripted("import"); !s.ok()) return s;
    return import_response;
  }

  absl::Status ReplayCase(const v1::ReplayCaseRequest& request,
                          absl::FunctionRef<void(const v1::ReplayCaseResponse&)>
                              on_message) override {
    replay_requests.push_back(request);
    for (const v1::ReplayCaseResponse& m : replay_messages) on_message(m);
    return Scripted("replay");
  }

  // ClockService: each call records its request and answers with the
  // response the test set (breaches: the page for the request's token).
  absl::StatusOr<v1::GetCaseClocksResponse> GetCaseClocks(
      const v1::GetCaseClocksRequest& request) override {
    clock_requests.push_back(request);
    if (absl::Status s = Scripted("clocks"); !s.ok()) return s;
    return case_clocks;
  }

  absl::StatusOr<v1::ListBreachesResponse> ListBreaches(
      const v1::ListBreachesRequest& request) override {
    breach_requests.push_back(request);
    if (absl::Status s = Scripted("breaches"); !s.ok()) return s;
    auto it = breach_pages.find(request.page_token());
    if (it == breach_pages.end()) {
      return absl::InvalidArgumentError("page_token: not a token of mine");
    }
    return it->second;
  }

  absl::StatusOr<v1::GetReviewBacklogResponse> GetReviewBacklog(
      const v1::GetReviewBacklogRequest& request) override {
    backlog_requests.push_back(request);
    if (absl::Status s = Scripted("backlog"); !s.ok()) return s;
    return backlog;
  }

  absl::StatusOr<v1::FindCaseResponse> FindCase(
      const v1::FindCaseRequest& request) override {
    find_requests.push_back(request);
    if (absl::Status s = Scripted("find"); !s.ok()) return s;
    return found;
  }

  absl::StatusOr<v1::ListCasesResponse> ListCases(
      const v1::ListCasesRequest& request) override {
    cases_requests.push_back(request);
    if (absl::Status s = Scripted("cases"); !s.ok()) return s;
    auto it = case_pages.find(request.page_token());
    if (it == case_pages.end()) {
      return absl::InvalidArgumentError("page_token: not a token of mine");
    }
    return it->second;
  }

  absl::StatusOr<v1::ListDeadlinesResponse> ListDeadlines(
      const v1::ListDeadlinesRequest& request) override {
    due_requests.push_back(request);
    if (absl::Status s = Scripted("due"); !s.ok()) return s;
    auto it = due_pages.find(request.page_token());
    if (it == due_pages.end()) {
      return absl::InvalidArgumentError("page_token: not a token of mine");
    }
    return it->second;
  }

  absl::StatusOr<v1::GetTimelinessResponse> GetTimeliness(
      const v1::GetTimelinessRequest& request) override {
    timeliness_requests.push_back(request);
    if (absl::Status s = Scripted("timeliness"); !s.ok()) return s;
    return timeliness;
  }

  absl::StatusOr<v1::GetProjectionStatusResponse> GetProjectionStatus(
      const v1::GetProjectionStatusRequest& request) override {
    ++projection_calls;
    if (absl::Status s = Scripted("projection"); !s.ok()) return s;
    return projection;
  }

  absl::StatusOr<v1::RebuildProjectionsResponse> RebuildProjections(
      const v1::RebuildProjectionsRequest& request) override {
    ++rebuild_calls;
    if (absl::Status s = Scripted("rebuild"); !s.ok()) return s;
    return rebuild;
  }

  absl::Status Subscribe(const v1::SubscribeRequest& request,
                         absl::FunctionRef<void(const v1::Event&)> on_event,
                         Cancellation* cancel) override {
    subscribed_from = request.from_position();
    for (const v1::Event& e : live_events) on_event(e);
    // A real follower waits here; the fake stops as if Ctrl-C was pressed.
    if (cancel != nullptr) cancel->Cancel();
    return absl::OkStatus();
  }

  // AlertService over `alerts` (sequence i + 1 at index i), filtered by
  // LA only.
  absl::StatusOr<v1::ListAlertsResponse> ListAlerts(
      const v1::ListAlertsRequest& request) override {
    alert_requests.push_back(request);
    if (absl::Status s = Scripted("alerts"); !s.ok()) return s;
    v1::ListAlertsResponse response;
    const uint64_t size = request.page_size() == 0 ? 100 : request.page_size();
    uint64_t next = std::max<uint64_t>(1, request.from_sequence());
    for (; next <= alerts.size() && next < request.from_sequence() + size;
         ++next) {
      const v1::Alert& a = alerts[next - 1];
      if (Matches(request.filter(), a)) *response.add_alerts() = a;
    }
    response.set_next_sequence(next);
    response.set_last_sequence(alerts.size());
    return response;
  }

  absl::StatusOr<v1::GetAlertStatusResponse> GetAlertStatus(
      const v1::GetAlertStatusRequest& request) override {
    if (absl::Status s = Scripted("alert_status"); !s.ok()) return s;
    v1::GetAlertStatusResponse response = alert_status;
    response.set_last_sequence(alerts.size());
    return response;
  }

  absl::StatusOr<v1::GetTodayResponse> GetToday(
      const v1::GetTodayRequest& request) override {
    if (absl::Status s = Scripted("today"); !s.ok()) return s;
    return today;
  }

  absl::StatusOr<v1::SetTodayResponse> SetToday(
      const v1::SetTodayRequest& request) override {
    set_today_requests.push_back(request);
    if (absl::Status s = Scripted("set_today"); !s.ok()) return s;
    if (!request.today().empty()) today.set_today(request.today());
    v1::SetTodayResponse response;
    response.set_today(today.today());
    return response;
  }

  // Each call sends alerts from its from_sequence, one message each: the
  // i-th call at most watch_breaks[i] of them and then fails as a lost
  // connection; once watch_breaks is used up, the rest, and then stops as
  // if Ctrl-C was pressed.
  absl::Status WatchAlerts(
      const v1::WatchAlertsRequest& request,
      absl::FunctionRef<void(const v1::WatchAlertsResponse&)> on_message,
      Cancellation* cancel) override {
    const size_t call = watched_from.size();
    watched_from.push_back(request.from_sequence());
    const bool breaks = call < watch_breaks.size();
    size_t budget = breaks ? watch_breaks[call] : alerts.size();
    for (uint64_t seq = std::max<uint64_t>(1, request.from_sequence());
         seq <= alerts.size() && budget > 0; ++seq, --budget) {
      v1::WatchAlertsResponse message;
      if (Matches(request.filter(), alerts[seq - 1])) {
        *message.add_alerts() = alerts[seq - 1];
      }
      message.set_next_sequence(seq + 1);
      on_message(message);
    }
    if (breaks) {
      return ConnectionFailure(absl::StatusCode::kUnavailable,
                               "lost ehcpd at fake:0 (socket closed)");
    }
    if (cancel != nullptr) cancel->Cancel();
    return absl::OkStatus();
  }

  // Makes the next call of `kind` ("open", "append", "clocks", "breaches",
  // "backlog", "find", "cases", "due", "timeliness", "projection",
  // "rebuild", "alerts", "alert_status", "today", "set_today") fail with
  // `status`.
  void FailNext(const std::string& kind, absl::Status status) {
    scripted_[kind] = std::move(status);
  }

  std::vector<v1::OpenCaseRequest> opens;
  std::vector<v1::AppendEventsRequest> appends;
  std::vector<v1::ReadCaseRequest> reads;
  std::vector<v1::ReadLogRequest> log_reads;
  std::vector<v1::Event> live_events;
  int64_t subscribed_from = -1;
  int32_t log_page_limit = 1000;

  // ClockService answers, set by tests.
  v1::GetCaseClocksResponse case_clocks;
  std::map<std::string, v1::ListBreachesResponse> breach_pages;  // by token
  v1::GetReviewBacklogResponse backlog;
  v1::FindCaseResponse found;
  std::map<std::string, v1::ListCasesResponse> case_pages;     // by token
  std::map<std::string, v1::ListDeadlinesResponse> due_pages;  // by token
  v1::GetTimelinessResponse timeliness;
  v1::GetProjectionStatusResponse projection;
  v1::RebuildProjectionsResponse rebuild;
  v1::GetDigestResponse digest;
  std::vector<v1::VerifyLogResponse> verify_messages;  // streamed in order
  std::vector<v1::VerifyLogRequest> verify_requests;
  std::vector<v1::ExportLogResponse> export_pages;  // streamed in order
  std::vector<v1::ExportLogRequest> export_requests;
  std::vector<v1::ImportLogRequest> import_pages;  // as received
  v1::ImportLogResponse import_response;
  std::vector<v1::ReplayCaseResponse> replay_messages;  // streamed in order
  std::vector<v1::ReplayCaseRequest> replay_requests;
  // ClockService requests, as received.
  std::vector<v1::GetCaseClocksRequest> clock_requests;
  std::vector<v1::ListBreachesRequest> breach_requests;
  std::vector<v1::GetReviewBacklogRequest> backlog_requests;
  std::vector<v1::FindCaseRequest> find_requests;
  std::vector<v1::ListCasesRequest> cases_requests;
  std::vector<v1::ListDeadlinesRequest> due_requests;
  std::vector<v1::GetTimelinessRequest> timeliness_requests;
  int projection_calls = 0;
  int rebuild_calls = 0;
  // AlertService and AdminService.
  std::vector<v1::Alert> alerts;  // sequence i + 1 at index i
  v1::GetAlertStatusResponse alert_status;
  v1::GetTodayResponse today;
  std::vector<size_t> watch_breaks;
  std::vector<uint64_t> watched_from;
  std::vector<v1::ListAlertsRequest> alert_requests;
  std::vector<v1::SetTodayRequest> set_today_requests;

 private:
  static bool Matches(const v1::AlertFilter& filter, const v1::Alert& a) {
    return filter.la_code().empty() || filter.la_code() == a.la_code();
  }

  absl::Status Scripted(const std::string& kind) {
    auto it = scripted_.find(kind);
    if (it == scripted_.end()) return absl::OkStatus();
    absl::Status s = it->second;
    scripted_.erase(it);
    return s;
  }

  void Stamp(const std::string& case_id, v1::Event* e) {
    std::vector<v1::Event>& events = cases_[case_id];
    e->set_case_id(case_id);
    e->set_case_version(static_cast<int64_t>(events.size()) + 1);
    e->set_global_position(static_cast<int64_t>(log_.size()) + 1);
    events.push_back(*e);
    log_.push_back(*e);
  }

  std::string server_ = "127.0.0.1:50051";
  std::map<std::string, std::vector<v1::Event>> cases_;
  std::vector<v1::Event> log_;
  std::map<std::string, absl::Status> scripted_;
};

}  // namespace ehcp::tools::fakes

#endif  // EHCP_TESTS_TOOLS_FAKE_CASE_CLIENT_H_
