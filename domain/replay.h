// A case's history replayed for an auditor: what happened, in the order it
// happened, when each fact was recorded, and where every statutory clock
// stood after each one (ehcp.v1.ClockService ReplayCase, `ehcpctl replay`).
//
// The replay takes the case as known at an instant (events recorded later
// are left out, and counted) and up to a date (facts that occurred later are
// left out, and counted), and lists its events in journey order (journey.h:
// occurred_on, the same-day order, version). Each entry carries the clocks
// as of the event's date with the journey up to and including it: exactly
// what EvaluateClocks gives for that prefix of the journey as of that date
// (clocks.h). Corrections are shown, not hidden: a void or supersede carries
// the event it takes out beside it, and an event taken out by a correction
// dated after the replay's date is listed at its own place, marked removed.
//
//   CaseReplay replay(model.Events(), as_of, as_known_at);
//   ReplayEntry entry;
//   while (replay.Next(&entry)) {
//     // entry.event, entry.kind, entry.corrects, entry.recording_lag_days,
//     // entry.clocks: every clock after this event, as of its date
//   }
//
// Each Next() costs the event it applies plus the rows it lists: the clocks
// are folded once along the journey (ClockFold), not re-evaluated per step.
//
// Thread safety: a plain value; the events must outlive it.
#ifndef EHCP_DOMAIN_REPLAY_H_
#define EHCP_DOMAIN_REPLAY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "domain/clocks.h"
#include "ehcp/v1/events.pb.h"

namespace ehcp::domain {

namespace v1 = ::ehcp::v1;

struct ReplayEntry {
  enum class Kind {
    // The case's CaseOpened event: administrative, it opens no clock.
    kOpened,
    // A fact of the effective journey (a supersede included: it stands in
    // its target's place, and `corrects` is the target).
    kFact,
    // A void: it takes `corrects` out of the journey; the clocks are as if
    // that event had never been recorded.
    kVoid,
    // An event a correction dated after the replay's date takes out
    // (§8 Order 3: whatever their dates); `removed_by_event_id` names it.
    kRemoved,
  };
  Kind kind = Kind::kFact;
  const v1::Event* event = nullptr;
  // The event a void or supersede takes out, when it is known at the
  // replay's instant; else nullptr.
  const v1::Event* corrects = nullptr;
  // For kRemoved: the correction that took the event out.
  std::string removed_by_event_id;
  // The London date the event was recorded − its occurred_on, in days.
  int recording_lag_days = 0;
  // Every clock as of the event's occurred_on, with the journey up to and
  // including this entry (EvaluateClocks of that prefix, as of that date).
  std::vector<ClockRow> clocks;
};

// "opened", "fact", "void", "removed".
const char* ReplayKindName(ReplayEntry::Kind kind);

class CaseReplay {
 public:
  // `events`: one case's events in version order (they must outlive the
  // replay). `as_known_at` unset: every event.
  CaseReplay(absl::Span<const v1::Event* const> events, absl::CivilDay as_of,
             std::optional<absl::Time> as_known_at);

  // Events recorded after as_known_at (left out).
  int64_t recorded_later() const { return recorded_later_; }
  // Events known by then that occurred after as_of and are not listed
  // (a correction's target listed beside it is not counted).
  int64_t after_as_of() const { return after_as_of_; }
  // The case's last version known at as_known_at (0 when none was).
  int64_t known_version() const { return known_version_; }
  // How many entries the replay lists.
  size_t size() const { return items_.size(); }

  // The next entry, in journey order; false when every entry has been
  // given.
  bool Next(ReplayEntry* entry);

  // Every clock as of the replay's date, with the whole journey (after the
  // last entry): EvaluateClocks(events, as_of, as_known_at).
  std::vector<ClockRow> FinalClocks() const;

 private:
  struct Item {
    ReplayEntry::Kind kind;
    const v1::Event* event;
    absl::CivilDay on;
    const v1::Event* corrects;
    std::string removed_by;
  };

  const absl::Span<const v1::Event* const> events_;
  const absl::CivilDay as_of_;
  const std::optional<absl::Time> as_known_at_;
  std::vector<Item> items_;
  size_t next_ = 0;
  ClockFold fold_;
  int64_t recorded_later_ = 0;
  int64_t after_as_of_ = 0;
  int64_t known_version_ = 0;
};

}  // namespace ehcp::domain

#endif  // EHCP_DOMAIN_REPLAY_H_
