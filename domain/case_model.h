// The case model: one case's events, its journey, its folded state and its
// clocks, kept together and extended as the case grows.
//
// Three paths need a case folded: the append path judges a new event
// against the case's state (admissibility.h), the clock index writes the
// rows of the case's clocks (projections/), and the queries evaluate the
// clocks as of a date. They share one model per case (the services keep the
// models in one cache), so a case is read and decoded once and every later
// event costs what it adds, not what the case already holds:
//
//   CaseModel model("E06000035-0123456789abcdef");
//   model.Extend(events_from_the_log);          // version order
//   absl::Status ok = Decide(model, proposed, today);   // admissibility.h
//   model.Extend(committed);                    // after the commit
//   for (const ClockFold::Change& c : model.AdvanceClocks(from, to)) ...
//
// Extending: when the new events sort after the whole stored journey
// (journey.h: occurred_on, then the same-day order, then version) and
// correct nothing, they are folded onto the state and the journey in place;
// so is an event that lands among the last day's events when it commutes
// with those it sorts before (SameDayCommutes, journey_fold.h: advice
// requests and receipts of other advice, the usual same-day recording out
// of order). Otherwise (a late fact, a void, a supersede) the event takes
// its place in the journey (a correction takes its target out) and the
// state is refolded from the point saved before the first place changed
// (journey_fold.h), not from the start. The clocks have their own journey
// and cursor (AdvanceClocks), moved by whoever writes clock rows — the
// clock index's tailer — which may lag the append path: the model holds
// every event up to version(), and the clocks as of clocks_version().
//
// Thread safety: a plain value; callers serialize access (the cache holds
// each model under a mutex).
#ifndef EHCP_DOMAIN_CASE_MODEL_H_
#define EHCP_DOMAIN_CASE_MODEL_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "domain/admission_rules.h"
#include "domain/case_state.h"
#include "domain/clocks.h"
#include "domain/journey_fold.h"
#include "ehcp/v1/events.pb.h"

namespace ehcp::domain {

namespace v1 = ::ehcp::v1;

class CaseModel {
 public:
  explicit CaseModel(std::string case_id);

  CaseModel(const CaseModel&) = delete;
  CaseModel& operator=(const CaseModel&) = delete;

  // Adds committed events (stamped by the log: case_version contiguous,
  // global_position set). Events at or below version() are skipped, so that
  // two feeders (the append path and the clock index) may both offer the
  // same event. FAILED_PRECONDITION, changing nothing, when the first new
  // event's version is not version() + 1 or an event names another case:
  // the caller then rebuilds the model from the log.
  absl::Status Extend(absl::Span<const v1::Event> events);

  const std::string& case_id() const { return case_id_; }
  // The highest version held (0 when empty).
  int64_t version() const { return static_cast<int64_t>(events_.size()); }
  // The global position of the last event held (0 when empty).
  int64_t last_position() const;
  // The event of `version` (1 ≤ version ≤ version()).
  const v1::Event& event(int64_t version) const { return events_[version - 1]; }
  // Every event, in version order.
  std::vector<const v1::Event*> Events() const;

  // The state after the whole journey (FoldCase of every event).
  const CaseState& state() const { return journey_->fold().state; }
  // The effective journey of every event (journey.h), in journey order.
  const std::vector<const v1::Event*>& journey() const {
    return journey_->journey();
  }
  // The journey's starts (admission_rules.h).
  const JourneyStarts& starts() const { return journey_->fold().starts; }
  // The state after the first `count` events of journey() alone (its
  // version and voided_events are the whole case's), folded from the last
  // point saved before them.
  CaseState StateBefore(size_t count) const;
  // The event with this id, or nullptr.
  const v1::Event* FindEvent(const std::string& event_id) const;
  // True when a void or supersede held names `event_id`.
  bool Removed(const std::string& event_id) const {
    return removed_.contains(event_id);
  }

  // The clock rows as of kEndOfTime changed by moving the clocks from the
  // case as of version `from` to the case as of version `to`
  // (0 ≤ from ≤ to ≤ version()): what a writer that holds the rows of
  // version `from` must delete and write. When the clocks are not at `from`
  // (a new model, or a writer that restarted) they are folded to `from`
  // first, and the rows of `from` are taken as known. Events that sort
  // after the clocks' journey are folded one at a time; a late fact or a
  // correction refolds the clocks from the point saved before the first
  // place it changes, and reports every row that differs then (all that
  // went, then all that came). Apply the changes in order (a row may go and
  // come back).
  std::vector<ClockFold::Change> AdvanceClocks(int64_t from, int64_t to);
  // The version the clocks are folded to.
  int64_t clocks_version() const { return clocks_version_; }
  // Every clock row as of kEndOfTime, for the case as of version `to`.
  std::vector<ClockRow> FinalRowsAt(int64_t to) const;

  // EvaluateClocks(the events with global_position ≤ max_position, as_of,
  // as_known_at), read from the model instead of the log.
  std::vector<ClockRow> ClocksAsOf(
      absl::CivilDay as_of, int64_t max_position = INT64_MAX,
      std::optional<absl::Time> as_known_at = std::nullopt) const;

  // Memory held, roughly, in bytes (for the cache's budget).
  size_t ApproximateBytes() const {
    return bytes_ + journey_->ApproximateBytes() +
           (clocks_ ? clocks_->ApproximateBytes() : 0);
  }
  // How many times the state was refolded (from the start or from a saved
  // point; for tests and metrics: appends in journey order never refold).
  int64_t refolds() const { return journey_->refolds(); }
  // The journey events those refolds applied.
  int64_t refolded_events() const { return journey_->refolded_events(); }

  // The state fold over the journey (journey_fold.h).
  struct StateFold {
    CaseState state;
    JourneyStarts starts;
    void Apply(const v1::Event& e);
    StateFold Saved() const { return *this; }
    void Restore(const StateFold& saved) { *this = saved; }
    size_t ApproximateBytes() const;
  };

 private:
  // The event a correction names, when held (nullptr otherwise).
  const v1::Event* Target(const v1::Event& e) const;
  // Adds events_[version - 1] to the clocks' journey.
  void AddToClocks(int64_t version);
  std::optional<absl::CivilMonth> BirthMonth() const;

  std::string case_id_;
  // Version order; a deque, so that pointers stay valid as it grows.
  std::deque<v1::Event> events_;
  absl::flat_hash_map<std::string, const v1::Event*> by_id_;
  absl::flat_hash_set<std::string> removed_;
  // How many held events a correction names.
  int voided_ = 0;
  // The state over the journey of every event held.
  std::optional<JourneyFold<StateFold>> journey_;

  // The clocks over their own journey, of the events up to clocks_version_
  // (it may lag journey_).
  std::optional<JourneyFold<ClockFold>> clocks_;
  int64_t clocks_version_ = 0;

  size_t bytes_ = 0;
};

}  // namespace ehcp::domain

#endif  // EHCP_DOMAIN_CASE_MODEL_H_
