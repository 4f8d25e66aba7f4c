#include "services/internal/clock_service.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "domain/case_state.h"
#include "domain/clocks.h"
#include "domain/dates.h"
#include "domain/journey.h"
#include "services/internal/case_replay.h"
#include "services/internal/clock_convert.h"
#include "services/internal/auth.h"
#include "services/internal/grpc_status.h"

namespace ehcp::services {
namespace {

// A report waits at most this long for the index, whatever the deadline.
constexpr absl::Duration kMaxIndexWait = absl::Seconds(30);

// The default window of ListDeadlines: as_of and the 14 days after it.
constexpr int kDefaultDeadlineDays = 14;

v1::CaseSummary ToProto(const projections::CaseSummary& summary) {
  v1::CaseSummary out;
  out.set_case_id(summary.case_id);
  out.set_la_code(summary.la_code);
  out.set_case_reference(summary.case_reference);
  out.set_stage(summary.stage);
  return out;
}

}  // namespace

ClockServiceImpl::ClockServiceImpl(storage::EventLog* log,
                                   cases::CaseCache* cases,
                                   projections::ClockIndex* index,
                                   Executor* executor, IndexWaits* waits,
                                   CaseCommands::Clock now,
                                   const LogVerifier* verifier,
                                   StructuredLog* oplog)
    : log_(log),
      cases_(cases),
      index_(index),
      executor_(executor),
      waits_(waits),
      now_(std::move(now)),
      verifier_(verifier),
      oplog_(oplog) {}

grpc::ServerUnaryReactor* ClockServiceImpl::Report(
    grpc::CallbackServerContext* context, int64_t min_position,
    absl::AnyInvocable<absl::Status() &&> body) {
  if (min_position < 0) {
    return Finished(context, absl::InvalidArgumentError(
                                 "min_position: must not be negative"));
  }
  if (min_position == 0) return FinishOn(executor_, context, std::move(body));
  const uint64_t wanted = static_cast<uint64_t>(min_position);
  if (wanted > log_->HeadPosition()) {
    return Finished(context, absl::InvalidArgumentError(absl::StrCat(
                                 "min_position: ", min_position,
                                 " is past the log's head (",
                                 log_->HeadPosition(), ")")));
  }
  const absl::Time deadline = std::min(absl::FromChrono(context->deadline()),
                                       absl::Now() + kMaxIndexWait);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  waits_->Wait(wanted, deadline,
               [this, reactor, body = std::move(body)](
                   absl::Status reached) mutable {
                 if (!reached.ok()) {
                   reactor->Finish(ToGrpcStatus(reached));
                   return;
                 }
                 FinishOn(executor_, reactor, std::move(body));
               });
  return reactor;
}

grpc::ServerUnaryReactor* ClockServiceImpl::GetCaseClocks(
    grpc::CallbackServerContext* context,
    const v1::GetCaseClocksRequest* request,
    v1::GetCaseClocksResponse* response) {
  if (absl::Status allowed =
          Allowed(auth_, *context, "ehcp.v1.ClockService/GetCaseClocks");
      !allowed.ok()) {
    return Finished(context, allowed);
  }
  if (request->case_id().empty()) {
    return Finished(context, absl::InvalidArgumentError("case_id: is required"));
  }
  absl::StatusOr<absl::CivilDay> as_of =
      ParseAsOf(request->as_of(), domain::LondonDate(now_()));
  if (!as_of.ok()) return Finished(context, as_of.status());
  std::optional<absl::Time> as_known_at;
  if (request->has_as_known_at()) {
    absl::StatusOr<absl::Time> at = ParseAsKnownAt(request->as_known_at());
    if (!at.ok()) return Finished(context, at.status());
    as_known_at = *at;
  }
  // The case may have to be read from the log: on the executor.
  return FinishOn(executor_, context, [this, request, response, as_of,
                                       as_known_at]() -> absl::Status {
    absl::StatusOr<std::shared_ptr<cases::SharedCase>> shared =
        cases_->Get(request->case_id());
    if (!shared.ok()) return shared.status();
    absl::MutexLock lock(&(*shared)->mu);
    const domain::CaseModel& model = (*shared)->model;
    const std::vector<const v1::Event*> events = model.Events();
    if (std::optional<absl::CivilDay> first = domain::FirstEventDay(events);
        first && *as_of < *first) {
      return absl::InvalidArgumentError(absl::StrCat(
          "as_of: ", domain::FormatDate(*as_of), " is before any event of case ",
          request->case_id(), " (first: ", domain::FormatDate(*first), ")"));
    }
    const std::string& la_code = model.state().la_code;
    const std::string& reference = model.state().case_reference;
    for (const domain::ClockRow& row :
         model.ClocksAsOf(*as_of, INT64_MAX, as_known_at)) {
      *response->add_clocks() =
          ToProto(row, request->case_id(), la_code, reference);
    }
    response->set_as_of(domain::FormatDate(*as_of));
    int64_t version = model.version();
    if (as_known_at) {
      version = 0;
      for (const v1::Event* e : events) {
        if (domain::RecordedAt(*e) <= *as_known_at) version = e->case_version();
      }
    }
    response->set_case_version(version);
    return absl::OkStatus();
  });
}

grpc::ServerWriteReactor<v1::ReplayCaseResponse>* ClockServiceImpl::ReplayCase(
    grpc::CallbackServerContext* context,
    const v1::ReplayCaseRequest* request) {
  if (absl::Status allowed =
          Allowed(auth_, *context, "ehcp.v1.ClockService/ReplayCase");
      !allowed.ok()) {
    return new RefusedStream<v1::ReplayCaseResponse>(allowed);
  }
  return StartReplayCase(cases_, executor_, domain::LondonDate(now_()),
                         *request);
}

grpc::ServerUnaryReactor* ClockServiceImpl::ListBreaches(
    grpc::CallbackServerContext* context,
    const v1::ListBreachesRequest* request,
    v1::ListBreachesResponse* response) {
  if (absl::Status allowed =
          Allowed(auth_, *context, "ehcp.v1.ClockService/ListBreaches");
      !allowed.ok()) {
    return Finished(context, allowed);
  }
  projections::BreachFilter filter;
  filter.la_code = request->la_code();
  filter.clock_ids.assign(request->clock_ids().begin(),
                          request->clock_ids().end());
  for (int i = 0; i < request->statuses_size(); ++i) {
    absl::StatusOr<domain::ClockStatus> status =
        FromProto(request->statuses(i), absl::StrCat("statuses[", i, "]"));
    if (!status.ok()) return Finished(context, status.status());
    filter.statuses.push_back(*status);
  }
  absl::StatusOr<std::optional<absl::CivilDay>> due_from =
      ParseOptionalDate(request->due_from(), "due_from");
  if (!due_from.ok()) return Finished(context, due_from.status());
  absl::StatusOr<std::optional<absl::CivilDay>> due_to =
      ParseOptionalDate(request->due_to(), "due_to");
  if (!due_to.ok()) return Finished(context, due_to.status());
  absl::StatusOr<absl::CivilDay> as_of =
      ParseAsOf(request->as_of(), domain::LondonDate(now_()));
  if (!as_of.ok()) return Finished(context, as_of.status());
  filter.due_from = *due_from;
  filter.due_to = *due_to;
  filter.as_of = *as_of;
  return Report(context, request->min_position(),
                [this, request, response, filter]() -> absl::Status {
    projections::PageRequest page;
    page.page_size = request->page_size();
    page.page_token = request->page_token();
    absl::StatusOr<projections::BreachPage> result =
        index_->ListBreaches(filter, page);
    if (!result.ok()) return result.status();
    for (const projections::Breach& breach : result->breaches) {
      *response->add_clocks() = ToProto(breach.row, breach.case_id,
                                        breach.la_code, breach.case_reference);
    }
    response->set_next_page_token(result->next_page_token);
    response->set_as_of(domain::FormatDate(result->as_of));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClockServiceImpl::GetReviewBacklog(
    grpc::CallbackServerContext* context,
    const v1::GetReviewBacklogRequest* request,
    v1::GetReviewBacklogResponse* response) {
  if (absl::Status allowed =
          Allowed(auth_, *context, "ehcp.v1.ClockService/GetReviewBacklog");
      !allowed.ok()) {
    return Finished(context, allowed);
  }
  absl::StatusOr<absl::CivilDay> as_of =
      ParseAsOf(request->as_of(), domain::LondonDate(now_()));
  if (!as_of.ok()) return Finished(context, as_of.status());
  return Report(context, request->min_position(),
                [this, request, response, as_of = *as_of]() -> absl::Status {
  absl::StatusOr<projections::BacklogReport> report =
      index_->ReviewBacklog(request->la_code(), as_of);
  if (!report.ok()) return report.status();
  for (const projections::ClockBacklog& clock : report->clocks) {
    v1::ClockBacklog* out = response->add_clocks();
    out->set_clock_id(clock.clock_id);
    out->set_total(clock.total);
    for (const projections::BacklogBucket& bucket : clock.buckets) {
      v1::BacklogBucket* b = out->add_buckets();
      b->set_bucket(bucket.bucket);
      b->set_count(static_cast<int32_t>(bucket.entries.size()));
      for (const projections::BacklogEntry& entry : bucket.entries) {
        v1::BacklogEntry* e = b->add_entries();
        e->set_case_id(entry.case_id);
        e->set_la_code(entry.la_code);
        e->set_instance(entry.instance);
        e->set_due_on(domain::FormatDate(entry.due));
        e->set_days_overdue(entry.days_overdue);
        e->set_excused(entry.excused);
        e->set_case_reference(entry.case_reference);
      }
    }
  }
  response->set_as_of(domain::FormatDate(report->as_of));
  response->set_la_code(report->la_code);
  return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClockServiceImpl::GetTimeliness(
    grpc::CallbackServerContext* context,
    const v1::GetTimelinessRequest* request,
    v1::GetTimelinessResponse* response) {
  if (absl::Status allowed =
          Allowed(auth_, *context, "ehcp.v1.ClockService/GetTimeliness");
      !allowed.ok()) {
    return Finished(context, allowed);
  }
  return Report(context, request->min_position(),
                [this, request, response]() -> absl::Status {
  absl::StatusOr<projections::TimelinessReport> report =
      index_->Timeliness(request->la_code(), request->year());
  if (!report.ok()) return report.status();
  const domain::TimelinessSummary& s = report->summary;
  response->set_year(s.year);
  response->set_la_code(report->la_code);
  *response->mutable_including_exceptions() = ToProto(s.including_exceptions);
  *response->mutable_excluding_exceptions() = ToProto(s.excluding_exceptions);
  response->set_plans_with_exception(s.plans_with_exception);
  if (s.mean_weeks_tenths) {
    response->set_mean_weeks(domain::FormatTenths(*s.mean_weeks_tenths));
  }
  response->set_over_52_weeks(s.over_52_weeks);
  *response->mutable_decisions_including_exceptions() =
      ToProto(s.decisions_including_exceptions);
  *response->mutable_decisions_excluding_exceptions() =
      ToProto(s.decisions_excluding_exceptions);
  return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ClockServiceImpl::FindCase(
    grpc::CallbackServerContext* context, const v1::FindCaseRequest* request,
    v1::FindCaseResponse* response) {
  if (absl::Status allowed =
          Allowed(auth_, *context, "ehcp.v1.ClockService/FindCase");
      !allowed.ok()) {
    return Finished(context, allowed);
  }
  return Report(context, request->min_position(),
                [this, request, response]() -> absl::Status {
                  absl::StatusOr<std::vector<projections::CaseSummary>> found =
                      index_->FindCase(request->la_code(),
                                       request->case_reference());
                  if (!found.ok()) return found.status();
                  for (const projections::CaseSummary& c : *found) {
                    *response->add_cases() = ToProto(c);
                  }
                  return absl::OkStatus();
                });
}

grpc::ServerUnaryReactor* ClockServiceImpl::ListCases(
    grpc::CallbackServerContext* context, const v1::ListCasesRequest* request,
    v1::ListCasesResponse* response) {
  if (absl::Status allowed =
          Allowed(auth_, *context, "ehcp.v1.ClockService/ListCases");
      !allowed.ok()) {
    return Finished(context, allowed);
  }
  projections::CaseFilter filter;
  filter.la_code = request->la_code();
  for (int stage : request->stages()) {
    filter.stages.push_back(static_cast<v1::CaseStage>(stage));
  }
  return Report(context, request->min_position(),
                [this, request, response, filter]() -> absl::Status {
                  projections::PageRequest page;
                  page.page_size = request->page_size();
                  page.page_token = request->page_token();
                  absl::StatusOr<projections::CasePage> result =
                      index_->ListCases(filter, page);
                  if (!result.ok()) return result.status();
                  for (const projections::CaseSummary& c : result->cases) {
                    *response->add_cases() = ToProto(c);
                  }
                  response->set_next_page_token(result->next_page_token);
                  return absl::OkStatus();
                });
}

grpc::ServerUnaryReactor* ClockServiceImpl::ListDeadlines(
    grpc::CallbackServerContext* context,
    const v1::ListDeadlinesRequest* request,
    v1::ListDeadlinesResponse* response) {
  if (absl::Status allowed =
          Allowed(auth_, *context, "ehcp.v1.ClockService/ListDeadlines");
      !allowed.ok()) {
    return Finished(context, allowed);
  }
  absl::StatusOr<absl::CivilDay> as_of =
      ParseAsOf(request->as_of(), domain::LondonDate(now_()));
  if (!as_of.ok()) return Finished(context, as_of.status());
  absl::StatusOr<std::optional<absl::CivilDay>> due_from =
      ParseOptionalDate(request->due_from(), "due_from");
  if (!due_from.ok()) return Finished(context, due_from.status());
  absl::StatusOr<std::optional<absl::CivilDay>> due_to =
      ParseOptionalDate(request->due_to(), "due_to");
  if (!due_to.ok()) return Finished(context, due_to.status());
  projections::DeadlineFilter filter;
  filter.la_code = request->la_code();
  filter.as_of = *as_of;
  filter.due_from = due_from->value_or(*as_of);
  filter.due_to = due_to->value_or(*as_of + kDefaultDeadlineDays);
  return Report(context, request->min_position(),
                [this, request, response, filter]() -> absl::Status {
                  projections::PageRequest page;
                  page.page_size = request->page_size();
                  page.page_token = request->page_token();
                  absl::StatusOr<projections::DeadlinePage> result =
                      index_->ListDeadlines(filter, page);
                  if (!result.ok()) return result.status();
                  for (const projections::Deadline& d : result->deadlines) {
                    *response->add_clocks() =
                        ToProto(d.row, d.case_id, d.la_code, d.case_reference);
                  }
                  response->set_next_page_token(result->next_page_token);
                  response->set_as_of(domain::FormatDate(result->as_of));
                  response->set_due_from(domain::FormatDate(filter.due_from));
                  response->set_due_to(domain::FormatDate(filter.due_to));
                  return absl::OkStatus();
                });
}

grpc::ServerUnaryReactor* ClockServiceImpl::GetProjectionStatus(
    grpc::CallbackServerContext* context,
    const v1::GetProjectionStatusRequest* /*request*/,
    v1::GetProjectionStatusResponse* response) {
  if (absl::Status allowed =
          Allowed(auth_, *context, "ehcp.v1.ClockService/GetProjectionStatus");
      !allowed.ok()) {
    return Finished(context, allowed);
  }
  const projections::IndexStatus status = index_->Status();
  response->set_checkpoint(static_cast<int64_t>(status.checkpoint));
  response->set_head_position(static_cast<int64_t>(status.head));
  response->set_lag(static_cast<int64_t>(status.lag));
  response->set_indexed_cases(static_cast<int64_t>(status.indexed_cases));
  const absl::Status& problem =
      !status.damage.ok() ? status.damage : status.tailer_error;
  response->set_healthy(problem.ok());
  if (!problem.ok()) response->set_problem(std::string(problem.message()));
  if (absl::Status writable = log_->WriteStatus(); !writable.ok()) {
    response->set_log_write_problem(std::string(writable.message()));
  }
  if (verifier_ != nullptr) {
    const LogVerifier::State v = verifier_->state();
    v1::LogVerification* out = response->mutable_log_verification();
    out->set_running(v.running);
    out->set_verified_to(static_cast<int64_t>(v.verified_to));
    out->set_target(static_cast<int64_t>(v.target));
    out->set_done(v.done);
    out->set_intact(v.intact);
    out->set_first_bad_position(static_cast<int64_t>(v.first_bad_position));
    out->set_problem(v.problem);
  }
  if (status.rebuild.running) {
    v1::RebuildProgress* rebuild = response->mutable_rebuild();
    rebuild->set_running(true);
    rebuild->set_phase(status.rebuild.phase);
    rebuild->set_events_read(static_cast<int64_t>(status.rebuild.events_read));
    rebuild->set_target(static_cast<int64_t>(status.rebuild.target));
    rebuild->set_events_per_second(status.rebuild.events_per_second);
    rebuild->set_eta_seconds(absl::ToInt64Seconds(status.rebuild.eta));
  }
  return Finished(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* ClockServiceImpl::RebuildProjections(
    grpc::CallbackServerContext* context,
    const v1::RebuildProjectionsRequest* /*request*/,
    v1::RebuildProjectionsResponse* response) {
  if (absl::Status allowed =
          Allowed(auth_, *context, "ehcp.v1.ClockService/RebuildProjections");
      !allowed.ok()) {
    return Finished(context, allowed);
  }
  // Long: on the executor, never on a gRPC thread.
  return FinishOn(executor_, context, [this, response]() -> absl::Status {
    const absl::Time began = absl::Now();
    if (oplog_ != nullptr) {
      const projections::IndexStatus before = index_->Status();
      oplog_->LogJson("clock_index_rebuild_started",
                      {{"checkpoint", before.checkpoint},
                       {"log_head", before.head},
                       {"indexed_cases", before.indexed_cases}});
    }
    absl::StatusOr<projections::RebuildResult> result = index_->Rebuild();
    if (oplog_ != nullptr) {
      const int64_t took_ms = absl::ToInt64Milliseconds(absl::Now() - began);
      if (result.ok()) {
        oplog_->LogJson("clock_index_rebuild_finished",
                        {{"checkpoint", result->checkpoint},
                         {"events_read", result->events_read},
                         {"indexed_cases", result->indexed_cases},
                         {"duration_ms", took_ms}});
      } else {
        // The code only; the message is the index's and may name paths.
        oplog_->LogJson(
            "clock_index_rebuild_failed",
            {{"code", absl::StatusCodeToString(result.status().code())},
             {"duration_ms", took_ms}},
            LogLevel::kError);
      }
    }
    if (!result.ok()) return result.status();
    response->set_checkpoint(static_cast<int64_t>(result->checkpoint));
    response->set_events_read(static_cast<int64_t>(result->events_read));
    response->set_indexed_cases(static_cast<int64_t>(result->indexed_cases));
    return absl::OkStatus();
  });
}

}  // namespace ehcp::services
