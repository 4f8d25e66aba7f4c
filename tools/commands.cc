#include "tools/internal/commands.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tools/internal/event_files.h"
#include "tools/internal/render.h"

namespace ehcp::tools {
namespace {

namespace pb = ::google::protobuf;

// Page sizes for reads (the server allows 1–1,000).
constexpr int kPageSize = 500;

// Prints a call's error; returns its exit status.
int Fail(std::ostream& err, const absl::Status& status) {
  err << "ehcpctl: " << CallErrorText(status) << "\n";
  return CallErrorExit(status);
}

// Prints a local input error; returns 65 for malformed input, else 66.
int FailInput(std::ostream& err, const absl::Status& status) {
  err << "ehcpctl: " << status.message() << "\n";
  return absl::IsInvalidArgument(status) ? kExitDataError : kExitNoInput;
}

// Prints `message` as JSON (pretty or one line), or reports why not.
int PrintJson(std::ostream& out, std::ostream& err, const pb::Message& message,
              bool pretty) {
  absl::StatusOr<std::string> json = ToJson(message, pretty);
  if (!json.ok()) return Fail(err, json.status());
  out << *json << (pretty ? "" : "\n");
  return kExitOk;
}

// `t` as a protobuf Timestamp (nanoseconds kept).
void SetTimestamp(absl::Time t, pb::Timestamp* ts) {
  const int64_t seconds = absl::ToUnixSeconds(t);
  ts->set_seconds(seconds);
  ts->set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(seconds)) /
                                     absl::Nanoseconds(1)));
}

int Open(const OpenArgs& args, const GlobalOptions& global, CaseClient& client,
         std::ostream& out, std::ostream& err) {
  v1::OpenCaseRequest request;
  request.set_la_code(args.la_code);
  request.set_case_reference(args.case_reference);
  request.set_birth_month(args.birth_month);
  request.set_opened_on(args.opened_on);
  absl::StatusOr<v1::OpenCaseResponse> response = client.OpenCase(request);
  if (!response.ok()) return Fail(err, response.status());
  if (global.json) return PrintJson(out, err, *response, /*pretty=*/true);
  out << response->case_id() << "\n";
  return kExitOk;
}

int Append(const AppendArgs& args, const GlobalOptions& global,
           CaseClient& client, std::ostream& out, std::ostream& err) {
  absl::StatusOr<std::string> text = ReadInput(args.file);
  if (!text.ok()) return FailInput(err, text.status());
  const std::string source = args.file == "-" ? "<stdin>" : args.file;
  absl::StatusOr<std::vector<v1::ProposedEvent>> events =
      ParseEventsJson(*text, source);
  if (!events.ok()) return FailInput(err, events.status());

  v1::AppendEventsRequest request;
  request.set_case_id(args.case_id);
  if (args.expected_version) {
    request.set_expected_version(*args.expected_version);
  }
  for (v1::ProposedEvent& e : *events) *request.add_events() = std::move(e);
  request.set_idempotency_key(args.idempotency_key);
  absl::StatusOr<v1::AppendEventsResponse> response =
      client.AppendEvents(request);
  if (!response.ok()) return Fail(err, response.status());
  if (global.json) return PrintJson(out, err, *response, /*pretty=*/true);
  out << AppendText(*response);
  return kExitOk;
}

int Show(const ShowArgs& args, const GlobalOptions& global, CaseClient& client,
         std::ostream& out, std::ostream& err) {
  std::vector<v1::Event> events;
  v1::ReadCaseRequest read;
  read.set_case_id(args.case_id);
  read.set_from_version(1);
  read.set_direction(v1::READ_DIRECTION_FORWARDS);
  read.set_max_count(kPageSize);
  while (true) {
    absl::StatusOr<v1::ReadCaseResponse> page = client.ReadCase(read);
    if (!page.ok()) return Fail(err, page.status());
    for (v1::Event& e : *page->mutable_events()) events.push_back(std::move(e));
    // Stop at the end, and on a page that would not move on.
    if (page->next_version() <= read.from_version()) break;
    read.set_from_version(page->next_version());
  }
  v1::GetCaseStateRequest state_request;
  state_request.set_case_id(args.case_id);
  absl::StatusOr<v1::GetCaseStateResponse> state =
      client.GetCaseState(state_request);
  if (!state.ok()) return Fail(err, state.status());

  if (global.json) {
    absl::StatusOr<std::string> json = ShowJson(events, state->state());
    if (!json.ok()) return Fail(err, json.status());
    out << *json;
    return kExitOk;
  }
  out << "Events of " << args.case_id << ":\n"
      << EventsTable(events) << "\nState:\n"
      << CaseStateText(state->state());
  return kExitOk;
}

// Prints one event of the log as tail does.
void PrintTailEvent(std::ostream& out, const v1::Event& event, bool json) {
  if (json) {
    absl::StatusOr<std::string> line = ToJson(event, /*pretty=*/false);
    out << (line.ok() ? *line : TailLine(event)) << "\n";
  } else {
    out << TailLine(event) << "\n";
  }
  out.flush();  // a follower may be piped into another program
}

int Tail(const TailArgs& args, const GlobalOptions& global, CaseClient& client,
         std::ostream& out, std::ostream& err, Cancellation* cancel) {
  v1::ReadLogRequest read;
  read.set_from_position(args.from_position);
  read.set_max_count(kPageSize);
  while (cancel == nullptr || !cancel->cancelled()) {
    absl::StatusOr<v1::ReadLogResponse> page = client.ReadLog(read);
    if (!page.ok()) return Fail(err, page.status());
    for (const v1::Event& e : page->events()) {
      PrintTailEvent(out, e, global.json);
    }
    const int64_t next = page->next_position();
    if (page->events().empty() || next <= read.from_position()) break;
    read.set_from_position(next);
    if (next > page->head_position()) break;
  }
  if (!args.follow || (cancel != nullptr && cancel->cancelled())) {
    return kExitOk;
  }
  v1::SubscribeRequest subscribe;
  subscribe.set_from_position(read.from_position());
  absl::Status s = client.Subscribe(
      subscribe,
      [&](const v1::Event& e) { PrintTailEvent(out, e, global.json); }, cancel);
  if (!s.ok()) return Fail(err, s);
  return kExitOk;
}

// "1 event", "2 events".
std::string Events(int n) {
  return absl::StrCat(n, n == 1 ? " event" : " events");
}

// A one-line JSON object with its keys in the order added.
class JsonLine {
 public:
  JsonLine& Add(absl::string_view key, absl::string_view value) {
    pb::Value v;
    v.set_string_value(std::string(value));
    return AddRaw(key, ToJson(v, /*pretty=*/false).value_or("\"\""));
  }
  JsonLine& Add(absl::string_view key, int64_t value) {
    return AddRaw(key, absl::StrCat(value));
  }
  JsonLine& AddBool(absl::string_view key, bool value) {
    return AddRaw(key, value ? "true" : "false");
  }
  std::string str() const { return absl::StrCat("{", fields_, "}"); }

 private:
  JsonLine& AddRaw(absl::string_view key, absl::string_view json) {
    absl::StrAppend(&fields_, fields_.empty() ? "" : ",", "\"", key,
                    "\":", json);
    return *this;
  }
  std::string fields_;
};

// One line of `load`'s report.
struct LoadLine {
  std::string file;
  std::string case_reference;
  std::string case_id;
  std::string result;  // "loaded", "skipped", "refused"
  int events = 0;
  std::string note;
};

// Column widths of the text report, so that its lines align.
struct LoadWidths {
  size_t file = 0;
  size_t reference = 0;
};

void PrintLoadLine(std::ostream& out, const LoadLine& line,
                   const LoadWidths& widths, bool json) {
  if (json) {
    JsonLine j;
    j.Add("file", line.file)
        .Add("caseReference", line.case_reference)
        .Add("result", line.result);
    if (!line.case_id.empty()) j.Add("caseId", line.case_id);
    j.Add("events", line.events);
    if (!line.note.empty()) j.Add("note", line.note);
    out << j.str() << "\n";
    return;
  }
  auto pad = [](const std::string& s, size_t width) {
    return s + std::string(width > s.size() ? width - s.size() : 0, ' ');
  };
  std::string text =
      absl::StrCat(pad(line.result, 7), "  ", pad(line.file, widths.file), "  ",
                   pad(line.case_reference, widths.reference));
  if (!line.case_id.empty()) absl::StrAppend(&text, "  ", line.case_id);
  absl::StrAppend(&text, "  ",
                  line.result == "loaded" ? Events(line.events) : line.note);
  out << text << "\n";
}

int Load(const LoadArgs& args, const GlobalOptions& global, CaseClient& client,
         std::ostream& out, std::ostream& err) {
  absl::StatusOr<std::vector<std::string>> files = ListJsonFiles(args.path);
  if (!files.ok()) return FailInput(err, files.status());
  // Every file is read and parsed before anything is sent.
  std::vector<Journey> journeys;
  for (const std::string& file : *files) {
    absl::StatusOr<std::string> text = ReadInput(file);
    if (!text.ok()) return FailInput(err, text.status());
    absl::StatusOr<Journey> journey = ParseJourneyJson(*text, file);
    if (!journey.ok()) return FailInput(err, journey.status());
    journeys.push_back(*std::move(journey));
  }

  auto file_name = [](const Journey& j) {
    return std::filesystem::path(j.source).filename().string();
  };
  LoadWidths widths;
  for (const Journey& j : journeys) {
    widths.file = std::max(widths.file, file_name(j).size());
    widths.reference = std::max(widths.reference, j.case_reference.size());
  }

  int loaded = 0, skipped = 0, refused = 0, events_loaded = 0;
  for (const Journey& j : journeys) {
    LoadLine line;
    line.file = file_name(j);
    line.case_reference = j.case_reference;
    v1::OpenCaseRequest open;
    open.set_la_code(j.la_code);
    open.set_case_reference(j.case_reference);
    open.set_birth_month(j.birth_month);
    open.set_opened_on(j.opened_on);
    absl::StatusOr<v1::OpenCaseResponse> opened = client.OpenCase(open);
    if (!opened.ok() && IsConnectionFailure(opened.status())) {
      return Fail(err, opened.status());
    }
    if (absl::IsAlreadyExists(opened.status())) {
      line.result = "skipped";
      line.note = absl::StrCat("already open: ", opened.status().message());
      ++skipped;
      PrintLoadLine(out, line, widths, global.json);
      continue;
    }
    if (!opened.ok()) {
      line.result = "refused";
      line.note = absl::StrCat("open ", CallErrorText(opened.status()));
      ++refused;
      PrintLoadLine(out, line, widths, global.json);
      continue;
    }
    line.case_id = opened->case_id();

    v1::AppendEventsRequest append;
    append.set_case_id(opened->case_id());
    append.set_expected_version(opened->event().case_version());
    for (const v1::ProposedEvent& e : j.events) *append.add_events() = e;
    append.set_idempotency_key(absl::StrCat("demo-load-", j.case_reference));
    absl::StatusOr<v1::AppendEventsResponse> appended =
        client.AppendEvents(append);
    if (!appended.ok() && IsConnectionFailure(appended.status())) {
      return Fail(err, appended.status());
    }
    if (!appended.ok()) {
      line.result = "refused";
      line.note = absl::StrCat(
          "append ", CallErrorText(appended.status()),
          " (the case is open with no events: fix the file, then `ehcpctl "
          "append ",
          opened->case_id(), " ", j.source, "`)");
      ++refused;
      PrintLoadLine(out, line, widths, global.json);
      continue;
    }
    line.result = "loaded";
    line.events = appended->events_size();
    ++loaded;
    events_loaded += appended->events_size();
    PrintLoadLine(out, line, widths, global.json);
  }

  const int total = static_cast<int>(journeys.size());
  if (global.json) {
    out << JsonLine()
               .Add("journeys", total)
               .Add("loaded", loaded)
               .Add("events", events_loaded)
               .Add("skipped", skipped)
               .Add("refused", refused)
               .str()
        << "\n";
  } else {
    out << absl::StrCat(total,
                        total == 1 ? " journey: " : " journeys: ", loaded,
                        " loaded (", Events(events_loaded), "), ", skipped,
                        " skipped (already open), ", refused, " refused")
        << "\n";
  }
  return refused > 0 ? kExitRefused : kExitOk;
}

int Clocks(const ClocksArgs& args, const GlobalOptions& global,
           CaseClient& client, std::ostream& out, std::ostream& err) {
  v1::GetCaseClocksRequest request;
  request.set_case_id(args.case_id);
  request.set_as_of(args.as_of);
  if (args.as_known_at)
    SetTimestamp(*args.as_known_at, request.mutable_as_known_at());
  absl::StatusOr<v1::GetCaseClocksResponse> response =
      client.GetCaseClocks(request);
  if (!response.ok()) return Fail(err, response.status());
  if (global.json) return PrintJson(out, err, *response, /*pretty=*/true);
  out << CaseClocksText(args.case_id, *response, request.as_known_at());
  return kExitOk;
}

// "1 clock", "2 clocks".
std::string ClocksCount(int n) {
  return absl::StrCat(n, n == 1 ? " clock" : " clocks");
}

int Breaches(const BreachesArgs& args, const GlobalOptions& global,
             CaseClient& client, std::ostream& out, std::ostream& err) {
  v1::ListBreachesRequest request;
  request.set_la_code(args.la_code);
  for (const std::string& id : args.clock_ids) request.add_clock_ids(id);
  for (v1::ClockStatus s : args.statuses) request.add_statuses(s);
  request.set_due_from(args.due_from);
  request.set_due_to(args.due_to);
  request.set_as_of(args.as_of);
  request.set_page_size(args.page_size);
  request.set_page_token(args.page_token);

  if (!args.all) {
    absl::StatusOr<v1::ListBreachesResponse> page =
        client.ListBreaches(request);
    if (!page.ok()) return Fail(err, page.status());
    if (global.json) return PrintJson(out, err, *page, /*pretty=*/true);
    out << BreachesTable(page->clocks());
    out << ClocksCount(page->clocks_size()) << " as of " << page->as_of();
    if (page->next_page_token().empty()) {
      out << (args.page_token.empty() ? "\n" : " (last page)\n");
      return kExitOk;
    }
    BreachesArgs next = args;
    next.page_token = page->next_page_token();
    out << " (more follow; --all for every page). Next page:\n  "
        << BreachesCommandLine(next) << "\n";
    return kExitOk;
  }

  // --all: every page, then one table (or one response).
  v1::ListBreachesResponse all;
  std::set<std::string> tokens_seen;
  int pages = 0;
  while (true) {
    absl::StatusOr<v1::ListBreachesResponse> page =
        client.ListBreaches(request);
    if (!page.ok()) return Fail(err, page.status());
    ++pages;
    if (all.as_of().empty()) all.set_as_of(page->as_of());
    for (v1::Clock& c : *page->mutable_clocks()) {
      *all.add_clocks() = std::move(c);
    }
    const std::string& token = page->next_page_token();
    if (token.empty()) break;
    // A token that comes back would page forever.
    if (!tokens_seen.insert(token).second) {
      return Fail(err, absl::InternalError(
                           absl::StrCat("page ", pages, " gave page token \"",
                                        token, "\" again; stopped")));
    }
    request.set_page_token(token);
  }
  if (global.json) return PrintJson(out, err, all, /*pretty=*/true);
  out << BreachesTable(all.clocks()) << ClocksCount(all.clocks_size())
      << " as of " << all.as_of() << " ("
      << absl::StrCat(pages, pages == 1 ? " page" : " pages") << ")\n";
  return kExitOk;
}

// Every page of a listing from `request` on: `call` asks for one page,
// `merge` moves a page's rows into the response gathered so far. INTERNAL
// when a token comes back (it would page forever); the call's error.
template <typename Request, typename Call, typename Merge>
auto FollowPages(Request request, Call call, Merge merge, int* pages)
    -> decltype(call(request)) {
  typename decltype(call(request))::value_type all;
  std::set<std::string> tokens_seen;
  *pages = 0;
  while (true) {
    auto page = call(request);
    if (!page.ok()) return page.status();
    ++*pages;
    merge(*page, all);
    const std::string& token = page->next_page_token();
    if (token.empty()) break;
    if (!tokens_seen.insert(token).second) {
      return absl::InternalError(absl::StrCat(
          "page ", *pages, " gave page token \"", token, "\" again; stopped"));
    }
    request.set_page_token(token);
  }
  return all;
}

// What follows one page of a listing: nothing on the last page, else how
// to ask for the next.
std::string NextPageWords(const std::string& token, const std::string& given) {
  if (token.empty()) return given.empty() ? "\n" : " (last page)\n";
  return absl::StrCat(" (more follow; --all for every page). Next page: add\n",
                      "  --page-token ", token, "\n");
}

int Find(const FindArgs& args, const GlobalOptions& global, CaseClient& client,
         std::ostream& out, std::ostream& err) {
  v1::FindCaseRequest request;
  request.set_la_code(args.la_code);
  request.set_case_reference(args.case_reference);
  absl::StatusOr<v1::FindCaseResponse> response = client.FindCase(request);
  if (!response.ok()) return Fail(err, response.status());
  if (global.json) return PrintJson(out, err, *response, /*pretty=*/true);
  out << CasesTable(response->cases());
  return kExitOk;
}

int Cases(const CasesArgs& args, const GlobalOptions& global,
          CaseClient& client, std::ostream& out, std::ostream& err) {
  v1::ListCasesRequest request;
  request.set_la_code(args.la_code);
  for (v1::CaseStage stage : args.stages) request.add_stages(stage);
  request.set_page_size(args.page_size);
  request.set_page_token(args.page_token);
  auto call = [&client](const v1::ListCasesRequest& r) {
    return client.ListCases(r);
  };
  auto count = [](int n) {
    return absl::StrCat(n, n == 1 ? " case" : " cases");
  };
  if (!args.all) {
    absl::StatusOr<v1::ListCasesResponse> page = call(request);
    if (!page.ok()) return Fail(err, page.status());
    if (global.json) return PrintJson(out, err, *page, /*pretty=*/true);
    out << CasesTable(page->cases()) << count(page->cases_size())
        << NextPageWords(page->next_page_token(), args.page_token);
    return kExitOk;
  }
  int pages = 0;
  absl::StatusOr<v1::ListCasesResponse> all = FollowPages(
      request, call,
      [](v1::ListCasesResponse& page, v1::ListCasesResponse& into) {
        for (v1::CaseSummary& c : *page.mutable_cases()) {
          *into.add_cases() = std::move(c);
        }
      },
      &pages);
  if (!all.ok()) return Fail(err, all.status());
  if (global.json) return PrintJson(out, err, *all, /*pretty=*/true);
  out << CasesTable(all->cases()) << count(all->cases_size()) << " (" << pages
      << (pages == 1 ? " page" : " pages") << ")\n";
  return kExitOk;
}

int Due(const DueArgs& args, const GlobalOptions& global, CaseClient& client,
        std::ostream& out, std::ostream& err) {
  v1::ListDeadlinesRequest request;
  request.set_la_code(args.la_code);
  request.set_due_from(args.due_from);
  request.set_due_to(args.due_to);
  request.set_as_of(args.as_of);
  request.set_page_size(args.page_size);
  request.set_page_token(args.page_token);
  auto call = [&client](const v1::ListDeadlinesRequest& r) {
    return client.ListDeadlines(r);
  };
  if (!args.all) {
    absl::StatusOr<v1::ListDeadlinesResponse> page = call(request);
    if (!page.ok()) return Fail(err, page.status());
    if (global.json) return PrintJson(out, err, *page, /*pretty=*/true);
    out << DeadlinesText(*page, args.la_code)
        << ClocksCount(page->clocks_size())
        << NextPageWords(page->next_page_token(), args.page_token);
    return kExitOk;
  }
  int pages = 0;
  absl::StatusOr<v1::ListDeadlinesResponse> all = FollowPages(
      request, call,
      [](v1::ListDeadlinesResponse& page, v1::ListDeadlinesResponse& into) {
        if (into.as_of().empty()) {
          into.set_as_of(page.as_of());
          into.set_due_from(page.due_from());
          into.set_due_to(page.due_to());
        }
        for (v1::Clock& c : *page.mutable_clocks()) {
          *into.add_clocks() = std::move(c);
        }
      },
      &pages);
  if (!all.ok()) return Fail(err, all.status());
  if (global.json) return PrintJson(out, err, *all, /*pretty=*/true);
  out << DeadlinesText(*all, args.la_code) << ClocksCount(all->clocks_size())
      << " (" << pages << (pages == 1 ? " page" : " pages") << ")\n";
  return kExitOk;
}

// Prints one alert as `alerts` does: a line, or its protobuf JSON.
void PrintAlert(std::ostream& out, const v1::Alert& alert, bool json) {
  if (json) {
    absl::StatusOr<std::string> line = ToJson(alert, /*pretty=*/false);
    out << (line.ok() ? *line : AlertLine(alert)) << "\n";
  } else {
    out << AlertLine(alert) << "\n";
  }
  out.flush();  // a follower may be piped into another program
}

// Waits `wait`, or less when `cancel` is cancelled; true when cancelled.
bool PauseUnlessCancelled(absl::Duration wait, Cancellation* cancel) {
  if (cancel == nullptr) {
    absl::SleepFor(wait);
    return false;
  }
  absl::Notification cancelled;
  cancel->SetHook([&cancelled] { cancelled.Notify(); });  // runs once
  cancelled.WaitForNotificationWithTimeout(wait);
  cancel->ClearHook();
  return cancel->cancelled();
}

int Alerts(const AlertsArgs& args, const GlobalOptions& global,
           CaseClient& client, std::ostream& out, std::ostream& err,
           Cancellation* cancel) {
  v1::AlertFilter filter;
  filter.set_la_code(args.la_code);
  for (const std::string& id : args.clock_ids) filter.add_clock_ids(id);
  for (v1::AlertKind kind : args.kinds) filter.add_kinds(kind);
  uint64_t next = args.from_sequence;
  if (!args.follow) {
    v1::ListAlertsRequest request;
    *request.mutable_filter() = filter;
    request.set_page_size(1000);
    uint64_t last = 0;
    int shown = 0;
    for (;;) {
      request.set_from_sequence(next);
      absl::StatusOr<v1::ListAlertsResponse> page = client.ListAlerts(request);
      if (!page.ok()) return Fail(err, page.status());
      for (const v1::Alert& a : page->alerts()) PrintAlert(out, a, global.json);
      shown += page->alerts_size();
      last = page->last_sequence();
      if (page->next_sequence() <= next) break;  // nothing more to look at
      next = page->next_sequence();
      if (next > last) break;
    }
    if (!global.json) {
      out << (shown == 0
                  ? std::string("no alerts")
                  : absl::StrCat(shown, shown == 1 ? " alert" : " alerts"))
          << (filter.ByteSizeLong() == 0 ? "" : " matching") << " from #"
          << args.from_sequence << "; the last raised is #" << last
          << ". For what follows: ehcpctl alerts --from "
          << std::max(next, last + 1) << " [--follow]\n";
    }
    return kExitOk;
  }
  // Follow: history then live; after a lost connection, again from the
  // alert after the last one printed (next), so none is missed or repeated.
  // A first call that fails is reported, not retried.
  absl::StatusOr<v1::GetAlertStatusResponse> status =
      client.GetAlertStatus(v1::GetAlertStatusRequest());
  if (!status.ok()) return Fail(err, status.status());
  absl::Duration backoff = absl::Milliseconds(250);
  for (;;) {
    v1::WatchAlertsRequest request;
    request.set_from_sequence(next);
    *request.mutable_filter() = filter;
    absl::Status s = client.WatchAlerts(
        request,
        [&](const v1::WatchAlertsResponse& r) {
          for (const v1::Alert& a : r.alerts()) PrintAlert(out, a, global.json);
          next = std::max(next, r.next_sequence());
          backoff = absl::Milliseconds(250);
        },
        cancel);
    if (s.ok()) return kExitOk;  // cancelled
    if (!IsConnectionFailure(s)) return Fail(err, s);
    err << "ehcpctl: " << CallErrorText(s) << "; retrying in "
        << absl::FormatDuration(backoff) << ", from alert #" << next << "\n";
    err.flush();
    if (PauseUnlessCancelled(backoff, cancel)) return kExitOk;
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
}

int Today(const TodayArgs& args, const GlobalOptions& global,
          CaseClient& client, std::ostream& out, std::ostream& err) {
  if (!args.set.empty() || args.advance != 0) {
    v1::SetTodayRequest request;
    request.set_today(args.set);
    request.set_advance_days(args.advance);
    absl::StatusOr<v1::SetTodayResponse> set = client.SetToday(request);
    if (!set.ok()) return Fail(err, set.status());
  }
  absl::StatusOr<v1::GetTodayResponse> today =
      client.GetToday(v1::GetTodayRequest());
  if (!today.ok()) return Fail(err, today.status());
  absl::StatusOr<v1::GetAlertStatusResponse> alerts =
      client.GetAlertStatus(v1::GetAlertStatusRequest());
  if (!alerts.ok()) return Fail(err, alerts.status());
  if (global.json) {
    out << JsonLine()
               .Add("today", today->today())
               .AddBool("simulated", today->simulated())
               .Add("alert_day", alerts->day())
               .Add("alert_last_sequence",
                    static_cast<int64_t>(alerts->last_sequence()))
               .str()
        << "\n";
    return kExitOk;
  }
  out << "today " << today->today()
      << (today->simulated()
              ? " (simulated: ehcpd --today; move it with ehcpctl today "
                "--advance DAYS)"
              : " (Europe/London)")
      << "\nalerts raised up to " << alerts->day() << "; the last is #"
      << alerts->last_sequence() << "\n";
  if (!alerts->error().empty()) {
    out << "the alert scheduler is retrying after: " << alerts->error() << "\n";
  }
  return kExitOk;
}

int Backlog(const BacklogArgs& args, const GlobalOptions& global,
            CaseClient& client, std::ostream& out, std::ostream& err) {
  v1::GetReviewBacklogRequest request;
  request.set_la_code(args.la_code);
  request.set_as_of(args.as_of);
  absl::StatusOr<v1::GetReviewBacklogResponse> response =
      client.GetReviewBacklog(request);
  if (!response.ok()) return Fail(err, response.status());
  if (global.json) return PrintJson(out, err, *response, /*pretty=*/true);
  out << BacklogText(*response, args.cases);
  return kExitOk;
}

int Timeliness(const TimelinessArgs& args, const GlobalOptions& global,
               CaseClient& client, std::ostream& out, std::ostream& err) {
  v1::GetTimelinessRequest request;
  request.set_la_code(args.la_code);
  request.set_year(args.year);
  absl::StatusOr<v1::GetTimelinessResponse> response =
      client.GetTimeliness(request);
  if (!response.ok()) return Fail(err, response.status());
  if (global.json) return PrintJson(out, err, *response, /*pretty=*/true);
  out << TimelinessText(*response);
  return kExitOk;
}

int Projection(const GlobalOptions& global, CaseClient& client,
               std::ostream& out, std::ostream& err) {
  absl::StatusOr<v1::GetProjectionStatusResponse> response =
      client.GetProjectionStatus(v1::GetProjectionStatusRequest());
  if (!response.ok()) return Fail(err, response.status());
  if (global.json) return PrintJson(out, err, *response, /*pretty=*/true);
  out << ProjectionStatusText(*response);
  return kExitOk;
}

int Rebuild(const GlobalOptions& global, CaseClient& client, std::ostream& out,
            std::ostream& err) {
  // On standard error, so that --json output stays one document.
  err << "rebuilding the clock index from the start of the log; this may "
         "take a while (waiting up to "
      << absl::StrFormat("%gs", absl::ToDoubleSeconds(global.call_timeout))
      << ")...\n";
  err.flush();
  // The call returns when the new index is swapped in; meanwhile a progress
  // line, rewritten in place, from the projection status once a second.
  absl::StatusOr<v1::RebuildProjectionsResponse> response;
  absl::Notification done;
  std::thread call([&] {
    response = client.RebuildProjections(v1::RebuildProjectionsRequest());
    done.Notify();
  });
  bool progress_shown = false;
  while (!done.WaitForNotificationWithTimeout(absl::Seconds(1))) {
    absl::StatusOr<v1::GetProjectionStatusResponse> status =
        client.GetProjectionStatus(v1::GetProjectionStatusRequest());
    if (!status.ok() || !status->rebuild().running()) continue;
    err << "\r" << RebuildProgressText(status->rebuild()) << "\x1b[K";
    err.flush();
    progress_shown = true;
  }
  call.join();
  if (progress_shown) err << "\n";
  if (!response.ok()) return Fail(err, response.status());
  if (global.json) return PrintJson(out, err, *response, /*pretty=*/true);
  out << RebuildText(*response);
  return kExitOk;
}

int Digest(const GlobalOptions& global, CaseClient& client, std::ostream& out,
           std::ostream& err) {
  absl::StatusOr<v1::GetDigestResponse> digest =
      client.GetDigest(v1::GetDigestRequest());
  if (!digest.ok()) return Fail(err, digest.status());
  if (global.json) return PrintJson(out, err, *digest, /*pretty=*/true);
  out << digest->digest() << "\n";
  return kExitOk;
}

int Verify(const VerifyArgs& args, const GlobalOptions& global,
           CaseClient& client, std::ostream& out, std::ostream& err) {
  v1::VerifyLogRequest request;
  request.set_from_position(args.from_position);
  request.set_to_position(args.to_position);
  request.set_against(args.against);
  std::optional<v1::VerifyLogResponse> verdict;
  bool progress_shown = false;
  const absl::Status status =
      client.VerifyLog(request, [&](const v1::VerifyLogResponse& m) {
        if (m.done()) {
          verdict = m;
          return;
        }
        // On standard error, rewritten in place.
        err << "\r" << VerifyProgressText(m) << "\x1b[K";
        err.flush();
        progress_shown = true;
      });
  if (progress_shown) err << "\n";
  if (!status.ok()) return Fail(err, status);
  if (!verdict) {
    err << "ehcpctl: ehcpd ended the verification without a verdict\n";
    return kExitRefused;
  }
  if (global.json) {
    const int printed = PrintJson(out, err, *verdict, /*pretty=*/true);
    if (printed != kExitOk) return printed;
  } else {
    out << VerifyVerdictText(*verdict, args.against);
  }
  return verdict->intact() ? kExitOk : kExitRefused;
}

int Replay(const ReplayArgs& args, const GlobalOptions& global,
           CaseClient& client, std::ostream& out, std::ostream& err) {
  v1::ReplayCaseRequest request;
  request.set_case_id(args.case_id);
  request.set_as_of(args.as_of);
  if (args.as_known_at)
    SetTimestamp(*args.as_known_at, request.mutable_as_known_at());
  std::optional<v1::ReplayHeader> header;
  pb::RepeatedPtrField<v1::Clock> previous;
  int printed = kExitOk;
  const absl::Status status =
      client.ReplayCase(request, [&](const v1::ReplayCaseResponse& m) {
        if (printed != kExitOk) return;
        if (global.json) {
          printed = PrintJson(out, err, m, /*pretty=*/false);
          return;
        }
        if (m.has_header()) {
          header = m.header();
          out << ReplayHeaderText(m.header()) << "\n";
          return;
        }
        out << ReplayEntryText(m.entry(), previous);
        previous = m.entry().clocks();
      });
  if (!status.ok()) return Fail(err, status);
  if (printed != kExitOk) return printed;
  if (!global.json && header) {
    v1::GetCaseClocksResponse final_clocks;
    *final_clocks.mutable_clocks() = header->clocks();
    final_clocks.set_as_of(header->as_of());
    final_clocks.set_case_version(header->case_version());
    out << "\n"
        << CaseClocksText(args.case_id, final_clocks, request.as_known_at());
  }
  return kExitOk;
}

// Pages an import sends: at most this many records, or about this many
// bytes (well under ehcpd's 4 MiB message limit).
constexpr int kImportPageRecords = 500;
constexpr size_t kImportPageBytes = size_t{1} << 20;

int Export(const ExportArgs& args, CaseClient& client, std::ostream& out,
           std::ostream& err) {
  v1::ExportLogRequest request;
  request.set_case_id(args.case_id);
  request.set_from_position(args.from_position);
  request.set_to_position(args.to_position);
  // A file is written beside its name and renamed once complete.
  const bool to_file = !args.out.empty() && args.out != "-";
  const std::string partial = args.out + ".partial";
  std::ofstream file;
  if (to_file) {
    file.open(partial, std::ios::binary | std::ios::trunc);
    if (!file) {
      err << "ehcpctl: " << partial << ": cannot be opened for writing\n";
      return kExitCantCreate;
    }
  }
  std::ostream& sink = to_file ? file : out;
  auto discard = [&] {
    if (!to_file) return;
    file.close();
    std::error_code ignored;
    std::filesystem::remove(partial, ignored);
  };
  int64_t count = 0, first = 0, last = 0;
  absl::Status local;
  const absl::Status status =
      client.ExportLog(request, [&](const v1::ExportLogResponse& page) {
        if (!local.ok()) return;
        for (const v1::ExportedRecord& r : page.records()) {
          absl::StatusOr<std::string> json = ToJson(r, /*pretty=*/false);
          if (!json.ok()) {
            local = json.status();
            return;
          }
          sink << *json << "\n";
          if (count++ == 0) first = r.position();
          last = r.position();
        }
        err << "\rexporting: up to position " << last << " of "
            << page.to_position() << " (" << count << " records)\x1b[K";
        err.flush();
      });
  if (count > 0) err << "\n";
  if (!status.ok() || !local.ok()) {
    discard();
    return Fail(err, status.ok() ? local : status);
  }
  sink.flush();
  if (!sink) {
    discard();
    err << "ehcpctl: " << (to_file ? partial : "standard output")
        << ": write failed\n";
    return kExitCantCreate;
  }
  if (to_file) {
    file.close();
    std::error_code error;
    std::filesystem::rename(partial, args.out, error);
    if (error) {
      err << "ehcpctl: cannot rename " << partial << " to " << args.out << ": "
          << error.message() << "\n";
      return kExitCantCreate;
    }
  }
  err << "exported " << count << (count == 1 ? " record" : " records");
  if (count > 0) err << " (positions " << first << "-" << last << ")";
  if (!args.case_id.empty()) err << " of case " << args.case_id;
  if (to_file) err << " to " << args.out;
  err << "\n";
  return kExitOk;
}

int Import(const ImportArgs& args, CaseClient& client, std::ostream& out,
           std::ostream& err) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (args.file != "-") {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(args.file, ec)) {
      return FailInput(
          err, absl::NotFoundError(absl::StrCat(args.file, ": no such file")));
    }
    file.open(args.file, std::ios::binary);
    if (!file) {
      return FailInput(err, absl::FailedPreconditionError(absl::StrCat(
                                args.file, ": cannot be opened for reading")));
    }
    in = &file;
  }
  const std::string name = args.file == "-" ? "standard input" : args.file;
  int64_t line_number = 0, sent = 0;
  absl::Status local;
  std::string line;
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto next = [&](v1::ImportLogRequest* page) -> absl::StatusOr<bool> {
    size_t bytes = 0;
    while (page->records_size() < kImportPageRecords &&
           bytes < kImportPageBytes) {
      if (!std::getline(*in, line)) {
        if (in->bad()) {
          local = absl::FailedPreconditionError(
              absl::StrCat(name, ": read failed"));
          return local;
        }
        return false;
      }
      ++line_number;
      if (absl::StripAsciiWhitespace(line).empty()) continue;
      v1::ExportedRecord* record = page->add_records();
      const pb::util::Status parsed =
          pb::util::JsonStringToMessage(line, record, options);
      if (!parsed.ok()) {
        local = absl::InvalidArgumentError(
            absl::StrCat(name, ":", line_number, ": not an exported record (",
                         std::string(parsed.message()).substr(0, 200),
                         "); nothing was imported"));
        return local;
      }
      bytes += record->ByteSizeLong();
      ++sent;
    }
    err << "\rimporting: " << sent << " records sent\x1b[K";
    err.flush();
    return true;
  };
  absl::StatusOr<v1::ImportLogResponse> response = client.ImportLog(next);
  if (sent > 0) err << "\n";
  if (!local.ok()) return FailInput(err, local);
  if (!response.ok()) return Fail(err, response.status());
  out << "imported " << response->imported()
      << (response->imported() == 1 ? " record" : " records") << "; digest "
      << response->digest() << "\n";
  return kExitOk;
}

}  // namespace

std::string CallErrorText(const absl::Status& status) {
  const std::string message = absl::StrReplaceAll(
      status.message(), {{"\r\n", " "}, {"\n", " "}, {"\r", " "}});
  if (IsConnectionFailure(status)) return message;
  const std::string code = absl::StatusCodeToString(status.code());
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      return absl::StrCat("refused (", code, "): ", message);
    default:
      return absl::StrCat("ehcpd failed (", code, "): ", message);
  }
}

int CallErrorExit(const absl::Status& status) {
  return IsConnectionFailure(status) ? kExitUnreachable : kExitRefused;
}

int RunCommand(const Invocation& invocation, CaseClient& client,
               std::ostream& out, std::ostream& err, Cancellation* cancel) {
  const GlobalOptions& g = invocation.global;
  if (const auto* a = std::get_if<OpenArgs>(&invocation.args)) {
    return Open(*a, g, client, out, err);
  }
  if (const auto* a = std::get_if<AppendArgs>(&invocation.args)) {
    return Append(*a, g, client, out, err);
  }
  if (const auto* a = std::get_if<ShowArgs>(&invocation.args)) {
    return Show(*a, g, client, out, err);
  }
  if (const auto* a = std::get_if<TailArgs>(&invocation.args)) {
    return Tail(*a, g, client, out, err, cancel);
  }
  if (const auto* a = std::get_if<LoadArgs>(&invocation.args)) {
    return Load(*a, g, client, out, err);
  }
  if (const auto* a = std::get_if<ClocksArgs>(&invocation.args)) {
    return Clocks(*a, g, client, out, err);
  }
  if (const auto* a = std::get_if<BreachesArgs>(&invocation.args)) {
    return Breaches(*a, g, client, out, err);
  }
  if (const auto* a = std::get_if<BacklogArgs>(&invocation.args)) {
    return Backlog(*a, g, client, out, err);
  }
  if (const auto* a = std::get_if<TimelinessArgs>(&invocation.args)) {
    return Timeliness(*a, g, client, out, err);
  }
  if (const auto* a = std::get_if<FindArgs>(&invocation.args)) {
    return Find(*a, g, client, out, err);
  }
  if (const auto* a = std::get_if<CasesArgs>(&invocation.args)) {
    return Cases(*a, g, client, out, err);
  }
  if (const auto* a = std::get_if<DueArgs>(&invocation.args)) {
    return Due(*a, g, client, out, err);
  }
  if (const auto* a = std::get_if<AlertsArgs>(&invocation.args)) {
    return Alerts(*a, g, client, out, err, cancel);
  }
  if (const auto* a = std::get_if<TodayArgs>(&invocation.args)) {
    return Today(*a, g, client, out, err);
  }
  if (std::holds_alternative<ProjectionArgs>(invocation.args)) {
    return Projection(g, client, out, err);
  }
  if (std::holds_alternative<RebuildArgs>(invocation.args)) {
    return Rebuild(g, client, out, err);
  }
  if (std::holds_alternative<DigestArgs>(invocation.args)) {
    return Digest(g, client, out, err);
  }
  if (const auto* a = std::get_if<VerifyArgs>(&invocation.args)) {
    return Verify(*a, g, client, out, err);
  }
  if (const auto* a = std::get_if<ReplayArgs>(&invocation.args)) {
    return Replay(*a, g, client, out, err);
  }
  if (const auto* a = std::get_if<ExportArgs>(&invocation.args)) {
    return Export(*a, client, out, err);
  }
  if (const auto* a = std::get_if<ImportArgs>(&invocation.args)) {
    return Import(*a, client, out, err);
  }
  err << "ehcpctl: nothing to run (try ehcpctl --help)\n";
  return kExitUsage;
}

}  // namespace ehcp::tools
