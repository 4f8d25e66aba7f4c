#include "domain/replay.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "domain/dates.h"
#include "domain/journey.h"

namespace ehcp::domain {
namespace {

// The event a void or supersede names; empty for other events.
const std::string& CorrectionTarget(const v1::Event& e) {
  static const std::string* const kNone = new std::string();
  if (e.payload().has_event_voided()) {
    return e.payload().event_voided().target_event_id();
  }
  return e.supersedes_event_id().empty() ? *kNone : e.supersedes_event_id();
}

}  // namespace

const char* ReplayKindName(ReplayEntry::Kind kind) {
  switch (kind) {
    case ReplayEntry::Kind::kOpened:
      return "opened";
    case ReplayEntry::Kind::kFact:
      return "fact";
    case ReplayEntry::Kind::kVoid:
      return "void";
    case ReplayEntry::Kind::kRemoved:
      return "removed";
  }
  return "fact";
}

CaseReplay::CaseReplay(absl::Span<const v1::Event* const> events,
                       absl::CivilDay as_of,
                       std::optional<absl::Time> as_known_at)
    : events_(events),
      as_of_(as_of),
      as_known_at_(as_known_at),
      fold_(BirthMonthOf(events, as_known_at)) {
  std::vector<const v1::Event*> known;
  known.reserve(events.size());
  for (const v1::Event* e : events) {
    if (KnownAt(*e, as_known_at)) {
      known.push_back(e);
      known_version_ = std::max(known_version_, e->case_version());
    } else {
      ++recorded_later_;
    }
  }
  // Which known event each correction takes out, and which correction
  // takes each target out (the first in version order, if several name it).
  absl::flat_hash_map<std::string, const v1::Event*> by_id;
  for (const v1::Event* e : known) by_id.emplace(e->event_id(), e);
  absl::flat_hash_map<std::string, const v1::Event*> removed_by;
  for (const v1::Event* e : known) {
    const std::string& target = CorrectionTarget(*e);
    if (!target.empty()) removed_by.emplace(target, e);
  }
  // The entries: every known event dated on or before as_of; a removed
  // event goes beside its correction when that is listed, else at its own
  // place, marked removed.
  auto listed = [&](const v1::Event& e, absl::CivilDay* on) {
    absl::StatusOr<absl::CivilDay> day = ParseDate(e.occurred_on());
    if (!day.ok() || as_of < *day) return false;
    *on = *day;
    return true;
  };
  absl::flat_hash_set<const v1::Event*> beside;
  for (const v1::Event* e : known) {
    absl::CivilDay on;
    if (removed_by.contains(e->event_id()) || !listed(*e, &on)) continue;
    const std::string& target = CorrectionTarget(*e);
    if (target.empty()) continue;
    auto it = by_id.find(target);
    if (it != by_id.end() && removed_by.at(target) == e) {
      beside.insert(it->second);
    }
  }
  for (const v1::Event* e : known) {
    if (beside.contains(e)) continue;
    absl::CivilDay on;
    if (!listed(*e, &on)) {
      ++after_as_of_;
      continue;
    }
    Item item{ReplayEntry::Kind::kFact, e, on, nullptr, ""};
    if (auto r = removed_by.find(e->event_id()); r != removed_by.end()) {
      item.kind = ReplayEntry::Kind::kRemoved;
      item.removed_by = r->second->event_id();
    } else if (e->payload().has_case_opened()) {
      item.kind = ReplayEntry::Kind::kOpened;
    } else if (e->payload().has_event_voided()) {
      item.kind = ReplayEntry::Kind::kVoid;
    }
    if (item.kind != ReplayEntry::Kind::kRemoved) {
      if (auto t = by_id.find(CorrectionTarget(*e)); t != by_id.end()) {
        item.corrects = t->second;
      }
    }
    items_.push_back(std::move(item));
  }
  std::stable_sort(items_.begin(), items_.end(),
                   [](const Item& a, const Item& b) {
                     return JourneyBefore(*a.event, *b.event);
                   });
}

bool CaseReplay::Next(ReplayEntry* entry) {
  if (next_ >= items_.size()) return false;
  const Item& item = items_[next_++];
  if (item.kind == ReplayEntry::Kind::kFact) fold_.Apply(*item.event);
  entry->kind = item.kind;
  entry->event = item.event;
  entry->corrects = item.corrects;
  entry->removed_by_event_id = item.removed_by;
  entry->recording_lag_days =
      static_cast<int>(LondonDate(RecordedAt(*item.event)) - item.on);
  entry->clocks = fold_.RowsAsOf(item.on);
  return true;
}

std::vector<ClockRow> CaseReplay::FinalClocks() const {
  return EvaluateClocks(events_, as_of_, as_known_at_);
}

}  // namespace ehcp::domain
