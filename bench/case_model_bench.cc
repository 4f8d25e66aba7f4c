// case_model_bench: the CPU one append costs the case model (decide, fold,
// clock rows changed), on a short case and on a long one.
//
//   build/bench/case_model_bench [--appends=2000]
//
// Each case is opened, given a request and a decision to assess, then grown
// to its length with advice requested / advice received pairs (fresh ids,
// one a day after the decision). Then the same kind of events are
// appended one at a time, each judged by Decide against the model, added
// with Extend, folded into the clocks with AdvanceClocks and measured for
// the cache's budget, as ehcpd's append path and clock index do. The
// figure is CPU µs per append (thread CPU time, so a busy machine moves it
// little); the target is that a case of 2,000 events costs at most 1.2 ×
// what a case of 20 does.
//
// Two more rows show what a late fact costs a case of 2,000 events: an
// advice request recorded 100 days late (about 100 journey events before
// the end), judged, added and folded into the clocks, which refolds from
// the fold saved before it (domain/journey_fold.h); and, for scale, what
// folding and evaluating the whole case from its start costs.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "domain/admissibility.h"
#include "domain/case_model.h"
#include "domain/case_state.h"
#include "domain/clocks.h"
#include "domain/dates.h"

namespace ehcp {
namespace {

namespace v1 = ::ehcp::v1;

double ThreadCpuMicros() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 +
         static_cast<double>(ts.tv_nsec) / 1e3;
}

class CaseGrower {
 public:
  explicit CaseGrower(const std::string& case_id) : model_(case_id) {
    v1::Event open = Next("2024-01-08");
    open.mutable_payload()->mutable_case_opened()->set_la_code("E06000035");
    open.mutable_payload()->mutable_case_opened()->set_birth_month("2015-03");
    Commit(open);
    v1::Event request = Next("2024-01-08");
    request.mutable_payload()->mutable_request_received()->set_source(
        v1::REQUEST_SOURCE_PARENT);
    Commit(request);
    v1::Event decision = Next("2024-02-16");
    decision.mutable_payload()->mutable_assessment_decision()->set_outcome(
        v1::ASSESSMENT_DECISION_OUTCOME_ASSESS);
    Commit(decision);
  }

  // Appends the next event of the workload: judged, committed, folded.
  void AppendOne() {
    v1::Event e = Next(Day());
    if (open_advice_.empty()) {
      const std::string id = absl::StrCat("ADV", ++advice_);
      e.mutable_payload()->mutable_advice_requested()->set_advice_id(id);
      e.mutable_payload()->mutable_advice_requested()->set_body(
          v1::ADVICE_BODY_EDUCATION);
      open_advice_ = id;
    } else {
      e.mutable_payload()->mutable_advice_received()->set_advice_id(
          open_advice_);
      open_advice_.clear();
    }
    DecideAndCommit(e);
  }

  // Appends an advice request for a fresh id dated `days_back` days before
  // the latest event: a late fact among the journey's last events.
  void AppendLate(int days_back) {
    v1::Event e = Next(domain::FormatDate(
        absl::CivilDay(2024, 2, 16) +
        static_cast<int>(model_.version()) - days_back));
    e.mutable_payload()->mutable_advice_requested()->set_advice_id(
        absl::StrCat("LATE", ++advice_));
    e.mutable_payload()->mutable_advice_requested()->set_body(
        v1::ADVICE_BODY_HEALTH);
    DecideAndCommit(e);
  }

  // Folds and evaluates the whole case from its start.
  size_t FoldWhole() const {
    const std::vector<const v1::Event*> all = model_.Events();
    const domain::CaseState state = domain::FoldCase(absl::MakeConstSpan(all));
    return domain::EvaluateClocks(absl::MakeConstSpan(all), domain::kEndOfTime)
               .size() +
           static_cast<size_t>(state.version);
  }

  int64_t version() const { return model_.version(); }
  size_t bytes() const { return model_.ApproximateBytes(); }

 private:
  v1::Event Next(const std::string& on) {
    v1::Event e;
    e.set_event_id(absl::StrCat("e", model_.version() + 1));
    e.set_case_id(model_.case_id());
    e.set_case_version(model_.version() + 1);
    e.set_global_position(model_.version() + 1);
    e.set_occurred_on(on);
    return e;
  }
  // Each event on the next day after the decision, so that every append
  // sorts after the journey. (Same-day events of a lower rank than the last
  // one — an advice request after a receipt on one day — sort inside the
  // journey and refold the case; docs/law.md §8 "Order and time".)
  std::string Day() {
    return domain::FormatDate(absl::CivilDay(2024, 2, 16) +
                              static_cast<int>(model_.version()));
  }
  // Judges `e` against the model (exits if refused), then commits it.
  void DecideAndCommit(const v1::Event& e) {
    const absl::Status decided =
        domain::Decide(model_, {e}, absl::CivilDay(2199, 1, 1));
    if (!decided.ok()) {
      std::fprintf(stderr, "case_model_bench: refused: %s\n",
                   std::string(decided.message()).c_str());
      std::exit(1);
    }
    Commit(e);
  }
  void Commit(const v1::Event& e) {
    if (!model_.Extend({e}).ok()) std::exit(1);
    model_.AdvanceClocks(model_.version() - 1, model_.version());
    // The cache measures a model after every change (cases/case_cache.h).
    measured_ += model_.ApproximateBytes();
  }

  domain::CaseModel model_;
  std::string open_advice_;
  int advice_ = 0;
  size_t measured_ = 0;
};

// `cases` cases grown to `length` events each.
std::vector<std::unique_ptr<CaseGrower>> GrowCases(int cases, int length) {
  std::vector<std::unique_ptr<CaseGrower>> growers;
  for (int c = 0; c < cases; ++c) {
    growers.push_back(
        std::make_unique<CaseGrower>(absl::StrCat("E06000035-", c)));
    while (growers.back()->version() < length) growers.back()->AppendOne();
  }
  return growers;
}

double MicrosPerAppend(int length, int appends) {
  // Many cases of `length`, so that the measured appends keep each case
  // near that length: appends / cases each.
  const int per_case = 10;
  const int cases = appends / per_case;
  std::vector<std::unique_ptr<CaseGrower>> growers = GrowCases(cases, length);
  const double start = ThreadCpuMicros();
  for (int i = 0; i < per_case; ++i) {
    for (auto& g : growers) g->AppendOne();
  }
  return (ThreadCpuMicros() - start) / (per_case * cases);
}

// CPU µs of a late fact (or of a whole refold, when `whole`) on cases of
// `length` events.
double MicrosPerLateFact(int length, int cases, bool whole) {
  std::vector<std::unique_ptr<CaseGrower>> growers = GrowCases(cases, length);
  size_t sink = 0;
  const double start = ThreadCpuMicros();
  for (auto& g : growers) {
    if (whole) {
      sink += g->FoldWhole();
    } else {
      g->AppendLate(100);
    }
  }
  const double micros = (ThreadCpuMicros() - start) / cases;
  if (sink == 1) std::printf(" ");
  return micros;
}

}  // namespace
}  // namespace ehcp

int main(int argc, char** argv) {
  int appends = 2000;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--appends=", 0) == 0) {
      appends = std::atoi(arg.c_str() + 10);
    } else {
      std::fprintf(stderr,
                   "usage: case_model_bench [--appends=N]\n"
                   "CPU µs per append (decide, extend, clock rows) on cases "
                   "of 20 and of 2,000 events.\n");
      return arg == "--help" ? 0 : 2;
    }
  }
  if (appends < 10) appends = 10;
  const double short_case = ehcp::MicrosPerAppend(20, appends);
  const double long_case = ehcp::MicrosPerAppend(2000, appends);
  std::printf("case_model_bench: %d appends per row (thread CPU)\n", appends);
  std::printf("%-28s %10s\n", "row", "cpu us");
  std::printf("%-28s %10.1f\n", "case of 20 events", short_case);
  std::printf("%-28s %10.1f\n", "case of 2,000 events", long_case);
  std::printf("long / short: %.2f (target <= 1.20)\n", long_case / short_case);
  const int late_cases = std::max(2, appends / 200);
  const double late = ehcp::MicrosPerLateFact(2000, late_cases, false);
  const double whole = ehcp::MicrosPerLateFact(2000, late_cases, true);
  const auto short_model = ehcp::GrowCases(1, 20);
  const auto long_model = ehcp::GrowCases(1, 2000);
  std::printf("%-28s %10.1f\n", "late fact, 2,000 events", late);
  std::printf("%-28s %10.1f\n", "whole refold, 2,000 events", whole);
  std::printf("model memory (the cache's estimate): %.1f KB for 20 events, "
              "%.1f KB for 2,000\n",
              static_cast<double>(short_model[0]->bytes()) / 1024,
              static_cast<double>(long_model[0]->bytes()) / 1024);
  return 0;
}
