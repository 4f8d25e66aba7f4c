// The ehcpd store of compare_bench: the real server binary as a child
// process, and a load client of its own built on the generated gRPC stubs
// only (no server code).
//
// The clients walk realistic journeys. Each client opens a case, then
// appends its events in an order admissibility accepts, each date after the
// previous one and none after yesterday: a request, the decision to assess,
// three or four advice requests and their receipts, a draft plan, the
// final plan, then annual review cycles (meeting, report, decision; some
// decide to amend: proposals, then an amended plan), perhaps a phase
// transfer or a proposal not pursued; 30-40 events a case in all. Every
// append carries the exact expected version. When a journey is done the
// client opens its next case.
//
// Calls use the callback API: a client issues its next call from the
// completion of the previous one, so `clients` calls are always in flight
// with no thread per client and no waiting in between.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/compare.h"
#include "ehcp/v1/case_service.grpc.pb.h"
#include "ehcp/v1/clock_service.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace ehcp::bench {
namespace {

namespace v1 = ::ehcp::v1;

constexpr auto kCallTimeout = std::chrono::seconds(30);
constexpr auto kStartTimeout = std::chrono::seconds(30);
constexpr auto kStopGrace = std::chrono::seconds(20);
constexpr char kListening[] = "ehcpd: listening on ";
// gRPC channels the clients are spread over (distinct connections).
constexpr int kChannels = 2;
// Largest batch of the untimed growth phase.
constexpr int kGrowthBatch = 500;

std::string GrpcError(const grpc::Status& status, const std::string& what) {
  return absl::StrCat("ehcpd: ", what, " failed: ",
                      absl::StatusCodeToString(
                          static_cast<absl::StatusCode>(status.error_code())),
                      ": ", status.error_message());
}

// A small deterministic generator (PCG-style LCG), one per client.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed * 2654435761ULL + 1) {}
  uint64_t Next() {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return state_ >> 33;
  }
  // Uniform in [lo, hi].
  int Between(int lo, int hi) {
    return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }

 private:
  uint64_t state_;
};

// Yesterday in UTC: never after today in Europe/London either.
absl::CivilDay LastAllowedDay() {
  return absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()) - 1;
}

std::string Date(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(),
                         day.day());
}

std::string LaCode(int client) {
  return absl::StrFormat("E06%06d", client + 1);
}

// ---- Journeys ---------------------------------------------------------------

struct Journey {
  std::string opened_on;
  std::string birth_month;
  // Events after the opening, in date order.
  std::vector<v1::ProposedEvent> events;
};

// Builds events at day offsets from the first request, then places them.
class JourneyBuilder {
 public:
  explicit JourneyBuilder(Random& random) : random_(random) {}

  v1::EventPayload* Add(int offset) {
    planned_.push_back({offset, v1::ProposedEvent()});
    v1::ProposedEvent& event = planned_.back().second;
    // A caller-chosen correlation id, as a case system would send.
    event.set_correlation_id(absl::StrFormat(
        "%08x-%04x-%04x-%04x-%012x", random_.Next() & 0xffffffff,
        random_.Next() & 0xffff, random_.Next() & 0xffff,
        random_.Next() & 0xffff, random_.Next() * random_.Next()));
    return event.mutable_payload();
  }

  int size() const { return static_cast<int>(planned_.size()); }

  // Dates every event so that the last falls 0-90 days before `last_day`.
  Journey Place(absl::CivilDay last_day) {
    const int last = planned_.empty() ? 0 : planned_.back().first;
    const absl::CivilDay first = last_day - last - random_.Between(0, 90);
    Journey journey;
    journey.opened_on = Date(first);
    const absl::CivilMonth born = absl::CivilMonth(first) - 12 * 6;
    journey.birth_month =
        absl::StrFormat("%04d-%02d", born.year(), born.month());
    for (auto& [offset, event] : planned_) {
      event.set_occurred_on(Date(first + offset));
      journey.events.push_back(std::move(event));
    }
    return journey;
  }

 private:
  Random& random_;
  std::vector<std::pair<int, v1::ProposedEvent>> planned_;
};

// A journey of `appended` events after the opening (see the file comment).
// `appended` is at least 17.
Journey MakeJourney(Random& random, int appended, absl::CivilDay last_day) {
  JourneyBuilder b(random);
  b.Add(0)->mutable_request_received()->set_source(
      random.Between(0, 1) == 0 ? v1::REQUEST_SOURCE_PARENT
                                : v1::REQUEST_SOURCE_EDUCATION_SETTING);
  const int decision = random.Between(28, 42);
  b.Add(decision)->mutable_assessment_decision()->set_outcome(
      v1::ASSESSMENT_DECISION_OUTCOME_ASSESS);
  static constexpr struct {
    const char* id;
    v1::AdviceBody body;
  } kAdvice[] = {{"ED1", v1::ADVICE_BODY_EDUCATION},
                 {"H1", v1::ADVICE_BODY_HEALTH},
                 {"EP1", v1::ADVICE_BODY_EDUCATIONAL_PSYCHOLOGIST},
                 {"SC1", v1::ADVICE_BODY_SOCIAL_CARE}};
  const int advice = random.Between(3, 4);
  for (int i = 0; i < advice; ++i) {
    v1::AdviceRequested* asked =
        b.Add(decision + 3 + i)->mutable_advice_requested();
    asked->set_advice_id(kAdvice[i].id);
    asked->set_body(kAdvice[i].body);
  }
  for (int i = 0; i < advice; ++i) {
    b.Add(decision + 40 + 7 * i)->mutable_advice_received()->set_advice_id(
        kAdvice[i].id);
  }
  const int draft = decision + 80 + random.Between(0, 20);
  b.Add(draft)->mutable_draft_plan_served();
  const int final_plan = draft + 21 + random.Between(0, 10);
  v1::FinalPlanIssued* plan = b.Add(final_plan)->mutable_final_plan_issued();
  plan->set_placement(absl::StrCat("URN ", 100000 + random.Between(0, 99999)));
  plan->set_phase(v1::EDUCATION_PHASE_PRIMARY);

  // Annual review cycles until the journey has its length.
  int left = appended - b.size();
  int base = final_plan;
  for (int cycle = 1; left >= 3; ++cycle) {
    base = final_plan + 365 * cycle - random.Between(0, 30);
    const bool amend = left == 5 || (left >= 8 && random.Between(0, 2) == 0);
    b.Add(base)->mutable_review_meeting_held()->set_adulthood_considered(
        cycle >= 4);
    b.Add(base + 14)->mutable_review_report_sent();
    b.Add(base + 28)->mutable_review_decision()->set_outcome(
        amend ? v1::REVIEW_OUTCOME_AMEND : v1::REVIEW_OUTCOME_MAINTAIN);
    if (amend) {
      b.Add(base + 35)->mutable_amendments_proposed();
      v1::AmendedPlanIssued* amended =
          b.Add(base + 70)->mutable_amended_plan_issued();
      amended->set_placement(
          absl::StrCat("URN ", 100000 + random.Between(0, 99999)));
      amended->set_phase(v1::EDUCATION_PHASE_SECONDARY);
    }
    left -= amend ? 5 : 3;
  }
  if (left == 1) {
    v1::PhaseTransferIdentified* transfer =
        b.Add(base + 90)->mutable_phase_transfer_identified();
    transfer->set_kind(v1::PHASE_TRANSFER_KIND_PRIMARY_TO_SECONDARY);
    transfer->set_transfer_year(static_cast<int>(last_day.year()) + 1);
  } else if (left == 2) {
    b.Add(base + 100)->mutable_amendments_proposed();
    b.Add(base + 120)->mutable_decision_not_to_amend();
  }
  return b.Place(last_day);
}

// The growth events of the case-length workload: advice requested and
// received in pairs with fresh ids, eight pairs a day from `first` + 35,
// never after `last_day`.
v1::ProposedEvent GrowthEvent(absl::CivilDay first, absl::CivilDay last_day,
                              int pair, bool receipt) {
  v1::ProposedEvent event;
  event.set_occurred_on(Date(std::min(first + 35 + pair / 8, last_day)));
  const std::string id = absl::StrCat("A", pair);
  if (receipt) {
    event.mutable_payload()->mutable_advice_received()->set_advice_id(id);
  } else {
    v1::AdviceRequested* asked =
        event.mutable_payload()->mutable_advice_requested();
    asked->set_advice_id(id);
    asked->set_body(v1::ADVICE_BODY_HEALTH);
  }
  return event;
}

// ---- Clients ----------------------------------------------------------------

// Counts the clients still calling; the measurement waits for none.
class Running {
 public:
  explicit Running(int clients) : running_(clients) {}
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

struct Stubs {
  v1::CaseService::Stub* cases;
  v1::ClockService::Stub* clocks;
};

// A case of the case-length workload, and where its growth stands.
struct GrownCase {
  std::string case_id;
  int64_t version = 0;
  absl::CivilDay first;
  int next_pair = 0;
  bool receipt_next = false;
};

enum class Mode { kJourneys, kBatch10, kReadYourWrite, kGrownCases };

// One closed-loop client: one call in flight at a time.
class Client {
 public:
  Client(Stubs stubs, const Window* window, Running* running, Mode mode,
         int index, absl::CivilDay last_day)
      : stubs_(stubs),
        window_(window),
        running_(running),
        mode_(mode),
        index_(index),
        last_day_(last_day),
        random_(static_cast<uint64_t>(index) + 17) {}

  // For kGrownCases: the cases to append to, round-robin.
  void SetCases(std::vector<GrownCase> cases) { cases_ = std::move(cases); }

  // Issues the first call; the client then calls until the window closes
  // or a call fails, and calls running->Done() (its last act) when it stops.
  void Start() {
    if (mode_ == Mode::kGrownCases) {
      AppendGrowth();
    } else {
      OpenNextCase();
    }
  }

  const Tally& tally() const { return tally_; }
  const Tally& read_tally() const { return read_tally_; }
  int cases_opened() const { return cases_opened_; }
  // Stored size of the appended events sampled, for the notes.
  uint64_t sampled_event_bytes() const { return sampled_bytes_; }
  uint64_t sampled_events() const { return sampled_events_; }

 private:
  // A fresh context for the next call. The previous one is kept one call
  // longer, so that no context is destroyed inside its own callback.
  grpc::ClientContext* NextContext() {
    previous_context_ = std::move(context_);
    context_ = std::make_unique<grpc::ClientContext>();
    context_->set_deadline(std::chrono::system_clock::now() + kCallTimeout);
    return context_.get();
  }

  // Stops calling: the client's last act.
  void Stop(const grpc::Status& status, const std::string& what) {
    if (!status.ok()) tally_.Fail(GrpcError(status, what));
    running_->Done();
  }

  void OpenNextCase() {
    const int appended = mode_ == Mode::kBatch10
                             ? (random_.Between(0, 1) == 0 ? 30 : 40)
                             : random_.Between(29, 39);
    journey_ = MakeJourney(random_, appended, last_day_);
    next_event_ = 0;
    open_request_.set_la_code(LaCode(index_));
    open_request_.set_case_reference(
        absl::StrCat("bench-", index_, "-", cases_opened_));
    open_request_.set_birth_month(journey_.birth_month);
    open_request_.set_opened_on(journey_.opened_on);
    open_response_.Clear();
    start_ = Clock::now();
    stubs_.cases->async()->OpenCase(
        NextContext(), &open_request_, &open_response_,
        [this](grpc::Status status) { OnOpened(std::move(status)); });
  }

  void OnOpened(grpc::Status status) {
    const Clock::time_point end = Clock::now();
    const Phase phase = window_->phase();
    if (!status.ok()) {
      Stop(status, "OpenCase");
      return;
    }
    ++cases_opened_;
    // One event written durably: counted as an append of one event, except
    // in the batch rows (10 events a call) and read-your-write pairs.
    if (mode_ == Mode::kJourneys) tally_.Record(phase, start_, end, 1);
    if (phase == Phase::kStop) {
      Stop(status, "OpenCase");
      return;
    }
    append_request_.set_case_id(open_response_.case_id());
    append_request_.set_expected_version(open_response_.event().case_version());
    AppendJourney();
  }

  void AppendJourney() {
    const int per_call = mode_ == Mode::kBatch10 ? 10 : 1;
    append_request_.clear_events();
    for (int i = 0; i < per_call &&
                    next_event_ < static_cast<int>(journey_.events.size());
         ++i) {
      *append_request_.add_events() = journey_.events[next_event_++];
    }
    Append();
  }

  void AppendGrowth() {
    GrownCase& grown = cases_[cursor_];
    append_request_.set_case_id(grown.case_id);
    append_request_.set_expected_version(grown.version);
    append_request_.clear_events();
    *append_request_.add_events() =
        GrowthEvent(grown.first, last_day_, grown.next_pair, grown.receipt_next);
    Append();
  }

  void Append() {
    append_response_.Clear();
    start_ = Clock::now();
    stubs_.cases->async()->AppendEvents(
        NextContext(), &append_request_, &append_response_,
        [this](grpc::Status status) { OnAppended(std::move(status)); });
  }

  void OnAppended(grpc::Status status) {
    const Clock::time_point end = Clock::now();
    const Phase phase = window_->phase();
    if (!status.ok()) {
      Stop(status, absl::StrCat("AppendEvents to ", append_request_.case_id(),
                                " at version ",
                                append_request_.expected_version()));
      return;
    }
    if ((++appends_ & 63) == 0) {
      for (const v1::Event& event : append_response_.events()) {
        sampled_bytes_ += event.ByteSizeLong();
        ++sampled_events_;
      }
    }
    const int events = append_request_.events_size();
    if (mode_ == Mode::kReadYourWrite) {
      ReadOwnWrite();
      return;
    }
    tally_.Record(phase, start_, end, events);
    if (phase == Phase::kStop) {
      Stop(status, "AppendEvents");
      return;
    }
    if (mode_ == Mode::kGrownCases) {
      GrownCase& grown = cases_[cursor_];
      grown.version = append_response_.case_version();
      if (grown.receipt_next) ++grown.next_pair;
      grown.receipt_next = !grown.receipt_next;
      cursor_ = (cursor_ + 1) % cases_.size();
      AppendGrowth();
      return;
    }
    append_request_.set_expected_version(append_response_.case_version());
    if (next_event_ < static_cast<int>(journey_.events.size())) {
      AppendJourney();
    } else {
      OpenNextCase();
    }
  }

  // ListBreaches for the client's own council, waiting for the append.
  void ReadOwnWrite() {
    read_request_.set_la_code(LaCode(index_));
    read_request_.set_page_size(10);
    read_request_.set_min_position(append_response_.global_position());
    read_response_.Clear();
    read_start_ = Clock::now();
    stubs_.clocks->async()->ListBreaches(
        NextContext(), &read_request_, &read_response_,
        [this](grpc::Status status) { OnRead(std::move(status)); });
  }

  void OnRead(grpc::Status status) {
    const Clock::time_point end = Clock::now();
    const Phase phase = window_->phase();
    if (!status.ok()) {
      Stop(status, absl::StrCat("ListBreaches with min_position ",
                                read_request_.min_position()));
      return;
    }
    tally_.Record(phase, start_, end, 1);
    read_tally_.Record(phase, read_start_, end, 0);
    if (phase == Phase::kStop) {
      Stop(status, "ListBreaches");
      return;
    }
    append_request_.set_expected_version(append_response_.case_version());
    if (next_event_ < static_cast<int>(journey_.events.size())) {
      AppendJourney();
    } else {
      OpenNextCase();
    }
  }

  const Stubs stubs_;
  const Window* const window_;
  Running* const running_;
  const Mode mode_;
  const int index_;
  const absl::CivilDay last_day_;
  Random random_;

  Journey journey_;
  int next_event_ = 0;
  int cases_opened_ = 0;
  std::vector<GrownCase> cases_;
  size_t cursor_ = 0;

  v1::OpenCaseRequest open_request_;
  v1::OpenCaseResponse open_response_;
  v1::AppendEventsRequest append_request_;
  v1::AppendEventsResponse append_response_;
  v1::ListBreachesRequest read_request_;
  v1::ListBreachesResponse read_response_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientContext> previous_context_;
  Clock::time_point start_;
  Clock::time_point read_start_;
  uint64_t appends_ = 0;
  uint64_t sampled_bytes_ = 0;
  uint64_t sampled_events_ = 0;
  Tally tally_;
  Tally read_tally_;
};

// Channels and stubs to one server.
class Connection {
 public:
  Connection(const std::string& target, int clients) {
    // Channels with identical arguments would share one connection.
    const int channels = std::max(1, std::min(kChannels, clients));
    for (int c = 0; c < channels; ++c) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetInt("ehcp.bench.channel", c);
      std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(
          target, grpc::InsecureChannelCredentials(), args);
      cases_.push_back(v1::CaseService::NewStub(channel));
      clocks_.push_back(v1::ClockService::NewStub(channel));
    }
  }

  Stubs ForClient(int client) const {
    const size_t c = static_cast<size_t>(client) % cases_.size();
    return {cases_[c].get(), clocks_[c].get()};
  }
  int channels() const { return static_cast<int>(cases_.size()); }

 private:
  std::vector<std::unique_ptr<v1::CaseService::Stub>> cases_;
  std::vector<std::unique_ptr<v1::ClockService::Stub>> clocks_;
};

// Runs the clients through one window, reading the server's CPU at its
// opening and closing and its RSS at the end.
StoreResult RunWindow(const EhcpdProcess& server,
                      std::vector<std::unique_ptr<Client>>& clients,
                      Window& window, Running& running,
                      Figures* read_part = nullptr) {
  for (auto& client : clients) client->Start();
  double cpu_at_open = NAN;
  double cpu_at_close = NAN;
  StoreResult result;
  const Window::Span span = window.Run(
      [&] { cpu_at_open = ProcessCpuSeconds(server.pid()).value_or(NAN); },
      [&] {
        cpu_at_close = ProcessCpuSeconds(server.pid()).value_or(NAN);
        result.memory_mb = RssMb(server.pid()).value_or(NAN);
      });
  running.AwaitNone();
  std::vector<Tally> tallies;
  std::vector<Tally> reads;
  uint64_t bytes = 0;
  uint64_t events = 0;
  for (const auto& client : clients) {
    tallies.push_back(client->tally());
    reads.push_back(client->read_tally());
    bytes += client->sampled_event_bytes();
    events += client->sampled_events();
  }
  result.figures = Summarize(tallies, span);
  if (read_part != nullptr) *read_part = Summarize(reads, span);
  result.server_cpu_seconds = cpu_at_close - cpu_at_open;
  if (events > 0) {
    result.notes = absl::StrFormat("events ~%d B as returned",
                                   static_cast<int>(bytes / events));
  }
  return result;
}

absl::Status FromGrpc(const grpc::Status& status, const std::string& what) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      GrpcError(status, what));
}

// Opens a case and grows it to about `events` events (untimed, blocking
// calls): a request, a decision to assess, then advice pairs.
absl::StatusOr<GrownCase> GrowCase(v1::CaseService::Stub& stub,
                                   const std::string& reference, int client,
                                   int events, absl::CivilDay first,
                                   absl::CivilDay last_day) {
  v1::OpenCaseRequest open;
  open.set_la_code(LaCode(client));
  open.set_case_reference(reference);
  open.set_birth_month(absl::StrFormat("%04d-03", first.year() - 6));
  open.set_opened_on(Date(first));
  v1::OpenCaseResponse opened;
  {
    grpc::ClientContext context;
    grpc::Status status = stub.OpenCase(&context, open, &opened);
    if (!status.ok()) return FromGrpc(status, "OpenCase (growth)");
  }
  GrownCase grown;
  grown.case_id = opened.case_id();
  grown.version = opened.event().case_version();
  grown.first = first;

  v1::AppendEventsRequest append;
  append.set_case_id(grown.case_id);
  v1::ProposedEvent* request = append.add_events();
  request->set_occurred_on(Date(first));
  request->mutable_payload()->mutable_request_received()->set_source(
      v1::REQUEST_SOURCE_PARENT);
  v1::ProposedEvent* decision = append.add_events();
  decision->set_occurred_on(Date(first + 30));
  decision->mutable_payload()->mutable_assessment_decision()->set_outcome(
      v1::ASSESSMENT_DECISION_OUTCOME_ASSESS);
  int64_t to_write = events - grown.version - 2;
  while (true) {
    while (to_write >= 2 && append.events_size() + 2 <= kGrowthBatch) {
      *append.add_events() =
          GrowthEvent(first, last_day, grown.next_pair, /*receipt=*/false);
      *append.add_events() =
          GrowthEvent(first, last_day, grown.next_pair++, /*receipt=*/true);
      to_write -= 2;
    }
    append.set_expected_version(grown.version);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
    v1::AppendEventsResponse appended;
    grpc::Status status = stub.AppendEvents(&context, append, &appended);
    if (!status.ok()) {
      return FromGrpc(status, absl::StrCat("AppendEvents (growth of ",
                                           grown.case_id, ")"));
    }
    grown.version = appended.case_version();
    append.clear_events();
    if (to_write < 2) break;
  }
  return grown;
}

}  // namespace

// ---- The server process ------------------------------------------------------

absl::StatusOr<std::unique_ptr<EhcpdProcess>> EhcpdProcess::Start(
    const std::string& binary, const std::string& parent) {
  if (access(binary.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "ehcpd: ", binary,
        " not found or not executable (build it: ninja -C build ehcpd; or "
        "pass --ehcpd=PATH)"));
  }
  std::unique_ptr<EhcpdProcess> server(new EhcpdProcess);
  std::string pattern =
      (std::filesystem::path(parent) / "ehcpd-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    const int error = errno;
    return absl::UnavailableError(
        absl::StrCat("ehcpd: cannot create a directory in ", parent, ": ",
                     std::generic_category().message(error)));
  }
  server->dir_ = pattern;
  const std::string stderr_path = server->dir_ + "/ehcpd.stderr";
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    const int error = errno;
    return absl::UnavailableError(absl::StrCat(
        "ehcpd: pipe: ", std::generic_category().message(error)));
  }
  server->stdout_fd_ = pipe_fds[0];
  SpawnOptions options;
  options.argv = {binary, "--data_dir=" + server->dir_ + "/data",
                  "--listen=127.0.0.1:0"};
  options.stdout_fd = pipe_fds[1];
  options.stderr_path = stderr_path;
  options.die_with_parent = true;
  absl::StatusOr<pid_t> pid = Spawn(options);
  close(pipe_fds[1]);
  if (!pid.ok()) {
    return absl::UnavailableError(
        absl::StrCat("ehcpd: cannot start: ", pid.status().message()));
  }
  server->pid_ = *pid;
  server->running_ = true;
  server->cleanup_id_ =
      AddCleanup([pid = server->pid_, dir = server->dir_] {
        bool killed = false;
        Terminate(pid, std::chrono::seconds(5), &killed);
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
      });

  // Read stdout until the "listening" line.
  std::string output;
  const auto deadline = Clock::now() + kStartTimeout;
  while (true) {
    const size_t found = output.find(kListening);
    const size_t line_end =
        found == std::string::npos ? found : output.find('\n', found);
    if (line_end != std::string::npos) {
      const std::string address = output.substr(
          found + sizeof(kListening) - 1, line_end - found - sizeof(kListening) + 1);
      const std::string host_port = address.substr(0, address.find(' '));
      const size_t colon = host_port.rfind(':');
      if (colon == std::string::npos ||
          !absl::SimpleAtoi(host_port.substr(colon + 1), &server->port_) ||
          server->port_ <= 0) {
        return absl::UnavailableError(absl::StrCat(
            "ehcpd: cannot read the port from \"", output, "\""));
      }
      return server;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    if (left.count() <= 0) {
      return absl::DeadlineExceededError(absl::StrCat(
          "ehcpd: no \"", kListening, "\" line within ",
          kStartTimeout.count(), " s; stderr: ", FileTail(stderr_path)));
    }
    pollfd poll_fd{server->stdout_fd_, POLLIN, 0};
    const int ready = poll(&poll_fd, 1, static_cast<int>(std::min<int64_t>(
                                            left.count(), 100)));
    if (ready > 0) {
      char buffer[512];
      const ssize_t n = read(server->stdout_fd_, buffer, sizeof(buffer));
      if (n > 0) {
        output.append(buffer, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) {  // stdout closed: it exited.
        std::optional<int> status = WaitFor(server->pid_, kStopGrace);
        server->running_ = !status.has_value();
        return absl::UnavailableError(absl::StrCat(
            "ehcpd: exited before listening (",
            status ? DescribeWaitStatus(*status) : "still running",
            "); stderr: ", FileTail(stderr_path)));
      }
    }
  }
}

std::string EhcpdProcess::target() const {
  return absl::StrCat("127.0.0.1:", port_);
}

absl::Status EhcpdProcess::Stop() {
  absl::Status status;
  if (running_) {
    running_ = false;
    bool killed = false;
    const int wait_status = Terminate(pid_, kStopGrace, &killed);
    if (killed) {
      status = absl::DeadlineExceededError(absl::StrCat(
          "ehcpd: did not stop within ", kStopGrace.count(),
          " s of SIGTERM; killed. stderr: ",
          FileTail(dir_ + "/ehcpd.stderr")));
    } else if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
      status = absl::InternalError(absl::StrCat(
          "ehcpd: ", DescribeWaitStatus(wait_status),
          " after SIGTERM; stderr: ", FileTail(dir_ + "/ehcpd.stderr")));
    }
  }
  if (stdout_fd_ >= 0) {
    close(stdout_fd_);
    stdout_fd_ = -1;
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    dir_.clear();
  }
  if (cleanup_id_ >= 0) {
    RemoveCleanup(cleanup_id_);
    cleanup_id_ = -1;
  }
  return status;
}

EhcpdProcess::~EhcpdProcess() { (void)Stop(); }

// ---- Workloads ----------------------------------------------------------------

absl::StatusOr<StoreResult> MeasureEhcpd(const CompareConfig& config,
                                         const std::string& binary,
                                         EhcpdWorkload workload, int clients,
                                         Figures* read_part) {
  absl::StatusOr<std::unique_ptr<EhcpdProcess>> server =
      EhcpdProcess::Start(binary, config.dir);
  if (!server.ok()) return server.status();
  const Mode mode = workload == EhcpdWorkload::kJourneys ? Mode::kJourneys
                    : workload == EhcpdWorkload::kJourneysBatch10
                        ? Mode::kBatch10
                        : Mode::kReadYourWrite;
  const absl::CivilDay last_day = LastAllowedDay();
  StoreResult result;
  int cases = 0;
  int channels = 0;
  {
    Connection connection((*server)->target(), clients);
    channels = connection.channels();
    Window window(config.timing);
    Running running(clients);
    std::vector<std::unique_ptr<Client>> all;
    for (int c = 0; c < clients; ++c) {
      all.push_back(std::make_unique<Client>(connection.ForClient(c), &window,
                                             &running, mode, c, last_day));
    }
    result = RunWindow(**server, all, window, running, read_part);
    for (const auto& client : all) cases += client->cases_opened();
  }
  absl::StrAppend(&result.notes, result.notes.empty() ? "" : "; ", cases,
                  " cases opened; ", channels, " channel",
                  channels == 1 ? "" : "s");
  if (absl::Status stopped = (*server)->Stop(); !stopped.ok()) return stopped;
  return result;
}

absl::StatusOr<CaseLengthResult> MeasureEhcpdCaseLength(
    const CompareConfig& config, const std::string& binary, int clients,
    int short_events, int long_events, double expected_rate) {
  absl::StatusOr<std::unique_ptr<EhcpdProcess>> server =
      EhcpdProcess::Start(binary, config.dir);
  if (!server.ok()) return server.status();
  const absl::CivilDay last_day = LastAllowedDay();
  // Room for every growth pair at eight a day, before last_day clamps.
  const absl::CivilDay first = last_day - 40 - (long_events * 4) / 16;

  // Enough cases per client that a short case grows by about 10 events at
  // most in its warm-up and window, a long one by about 10 %.
  const double seconds =
      (config.timing.warm_up.count() + config.timing.window.count()) / 1000.0;
  const double per_client =
      std::max(1.0, expected_rate) * seconds / std::max(1, clients);
  const int short_per_client =
      std::clamp(static_cast<int>(std::ceil(per_client / 10)), 1, 1000);
  const int long_per_client = std::clamp(
      static_cast<int>(std::ceil(per_client / (0.1 * long_events))), 1, 50);

  CaseLengthResult result;
  result.short_cases = short_per_client * clients;
  result.long_cases = long_per_client * clients;
  Connection connection((*server)->target(), clients);

  // Untimed growth, one thread per client.
  const Clock::time_point growth_start = Clock::now();
  std::vector<std::vector<GrownCase>> short_cases(clients);
  std::vector<std::vector<GrownCase>> long_cases(clients);
  std::vector<absl::Status> grown(clients);
  {
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        v1::CaseService::Stub& stub = *connection.ForClient(c).cases;
        for (int i = 0; i < short_per_client + long_per_client; ++i) {
          const bool is_long = i >= short_per_client;
          absl::StatusOr<GrownCase> one = GrowCase(
              stub, absl::StrCat(is_long ? "long-" : "short-", c, "-", i), c,
              is_long ? long_events : short_events, first, last_day);
          if (!one.ok()) {
            grown[c] = one.status();
            return;
          }
          (is_long ? long_cases : short_cases)[c].push_back(*std::move(one));
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  for (const absl::Status& status : grown) {
    if (!status.ok()) return status;
  }
  const double growth_seconds =
      std::chrono::duration<double>(Clock::now() - growth_start).count();
  result.short_case_events = static_cast<int>(short_cases[0][0].version);
  result.long_case_events = static_cast<int>(long_cases[0][0].version);

  for (bool is_long : {false, true}) {
    Window window(config.timing);
    Running running(clients);
    std::vector<std::unique_ptr<Client>> all;
    for (int c = 0; c < clients; ++c) {
      all.push_back(std::make_unique<Client>(connection.ForClient(c), &window,
                                             &running, Mode::kGrownCases, c,
                                             last_day));
      all.back()->SetCases(std::move(is_long ? long_cases[c] : short_cases[c]));
    }
    StoreResult measured = RunWindow(**server, all, window, running);
    const int events = is_long ? result.long_case_events
                               : result.short_case_events;
    absl::StrAppend(&measured.notes, measured.notes.empty() ? "" : "; ",
                    is_long ? result.long_cases : result.short_cases,
                    " cases of ", events, " events at the start");
    if (is_long) {
      absl::StrAppend(&measured.notes,
                      absl::StrFormat("; all grown in %.1f s", growth_seconds));
    }
    (is_long ? result.long_case : result.short_case) = std::move(measured);
  }
  if (absl::Status stopped = (*server)->Stop(); !stopped.ok()) return stopped;
  return result;
}

}  // namespace ehcp::bench
