#include "domain/admissibility.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "domain/admission_rules.h"
#include "domain/case_state.h"
#include "domain/clocks.h"
#include "domain/dates.h"
#include "domain/journey.h"
#include "domain/rules.h"

namespace ehcp::domain {
namespace {

// The index of `e` in `proposed`, or -1 when it is a stored event.
int ProposedIndex(absl::Span<const v1::Event> proposed, const v1::Event* e) {
  const std::less<const v1::Event*> before;
  const v1::Event* begin = proposed.data();
  if (before(e, begin) || !before(e, begin + proposed.size())) return -1;
  return static_cast<int>(e - begin);
}

// How a message names an event: "events[2]" (proposed) or "version 7".
std::string Which(absl::Span<const v1::Event> proposed, const v1::Event& e) {
  const int index = ProposedIndex(proposed, &e);
  if (index >= 0) return absl::StrCat("events[", index, "]");
  return absl::StrCat("version ", e.case_version());
}

absl::Status Refused(absl::string_view rule, const v1::Event& e,
                     absl::string_view which, absl::string_view why) {
  return absl::FailedPreconditionError(
      absl::StrCat("rule ", rule, ": ", EventNoun(e.payload()), " on ",
                   e.occurred_on(), " (", which, ") ", why));
}

// The events of the case by id, and whether each is already voided or
// superseded; proposed events join in append order.
class Corrections {
 public:
  // `model`, when given, holds the stored events (else Add them).
  explicit Corrections(const CaseModel* model = nullptr) : model_(model) {}

  void Add(const v1::Event& e) {
    by_id_[e.event_id()] = &e;
    if (e.payload().has_event_voided()) {
      removed_.insert(e.payload().event_voided().target_event_id());
    }
    if (!e.supersedes_event_id().empty()) {
      removed_.insert(e.supersedes_event_id());
    }
  }

  // Checks a void's ("void") or supersede's ("supersede") target.
  absl::Status CheckTarget(absl::string_view verb, const std::string& target,
                           const v1::Event& e, absl::string_view which) const {
    const v1::Event* found = nullptr;
    if (auto it = by_id_.find(target); it != by_id_.end()) {
      found = it->second;
    } else if (model_ != nullptr) {
      found = model_->FindEvent(target);
    }
    if (found == nullptr) {
      return Refused(absl::StrCat(verb, ".target_not_found"), e, which,
                     absl::StrCat("names event ", target,
                                  ", which is not an earlier event of this "
                                  "case"));
    }
    const v1::EventPayload& p = found->payload();
    if (p.has_event_voided()) {
      return Refused(absl::StrCat(verb, ".of_void"), e, which,
                     absl::StrCat("names event ", target,
                                  ", a void (a void of a void is refused)"));
    }
    if (p.has_case_opened()) {
      return Refused(
          absl::StrCat(verb, ".of_case_opened"), e, which,
          absl::StrCat("names event ", target, ", the case's opening"));
    }
    if (removed_.contains(target) ||
        (model_ != nullptr && model_->Removed(target))) {
      return Refused(absl::StrCat(verb, ".target_already_voided"), e, which,
                     absl::StrCat("names event ", target,
                                  ", already voided or superseded"));
    }
    return absl::OkStatus();
  }

 private:
  const CaseModel* const model_;
  absl::flat_hash_map<std::string, const v1::Event*> by_id_;
  absl::flat_hash_set<std::string> removed_;
};

bool IsCorrection(const v1::Event& e) {
  return e.payload().has_event_voided() || !e.supersedes_event_id().empty();
}

// Checks what can be judged on each proposed event alone and on the
// targets it corrects.
// `corrections` knows the stored events (they matter here only as targets
// of corrections).
absl::Status CheckEnvelopes(Corrections corrections,
                            absl::Span<const v1::Event> proposed,
                            absl::CivilDay today) {
  for (size_t i = 0; i < proposed.size(); ++i) {
    const v1::Event& e = proposed[i];
    const std::string which = absl::StrCat("events[", i, "]");
    if (e.payload().has_case_opened()) {
      return absl::InvalidArgumentError(absl::StrCat(
          which, ".payload.case_opened: cases are opened with OpenCase"));
    }
    EHCP_ASSIGN_OR_RETURN(
        const absl::CivilDay on,
        ParseDate(e.occurred_on(), absl::StrCat(which, ".occurred_on")));
    if (on > today) {
      return absl::FailedPreconditionError(absl::StrCat(
          "rule event.not_in_future: ", which, " occurred_on ", e.occurred_on(),
          " is in the future (today is ", FormatDate(today), ")"));
    }
    if (e.payload().has_exception_recorded()) {
      // §8: an exception naming a limb a named clock does not allow, or a
      // clock that does not exist, is refused whole.
      if (absl::Status allowed =
              CheckExceptionAllowed(e.payload().exception_recorded());
          !allowed.ok()) {
        return absl::Status(
            allowed.code(),
            absl::IsFailedPrecondition(allowed)
                ? absl::StrCat("rule exception.limb_allowed: ", which, " ",
                               allowed.message())
                : absl::StrCat(which, ".payload.", allowed.message()));
      }
    }
    if (e.payload().has_event_voided()) {
      EHCP_RETURN_IF_ERROR(corrections.CheckTarget(
          "void", e.payload().event_voided().target_event_id(), e, which));
    }
    if (!e.supersedes_event_id().empty()) {
      EHCP_RETURN_IF_ERROR(corrections.CheckTarget(
          "supersede", e.supersedes_event_id(), e, which));
    }
    corrections.Add(e);
  }
  return absl::OkStatus();
}

// §8 Exceptions: a covid_2020 exception is refused whole when it names a
// clock instance, triggered on or before the exception's date, whose
// trigger lies outside the window in which the limb applied. `events` is
// the whole case (version order); the clocks are evaluated as of the
// exception's date, so an instance opened later the same day counts.
// Reading: an exception naming only instances not yet opened excuses
// nothing and is recorded as it is.
std::optional<Refusal> CheckCovidWindow(
    absl::Span<const v1::Event* const> events, const v1::Event& e) {
  const v1::ExceptionRecorded& x = e.payload().exception_recorded();
  if (x.limb() != v1::EXCEPTION_LIMB_COVID_2020) return std::nullopt;
  const absl::StatusOr<absl::CivilDay> on = ParseDate(e.occurred_on());
  if (!on.ok()) return std::nullopt;
  const CovidWindow window = CovidExceptionWindow();
  for (const ClockRow& row : EvaluateClocks(events, *on)) {
    if (window.from <= row.trigger && row.trigger <= window.to) continue;
    for (const std::string& name : x.clocks()) {
      if (!RefNamesInstance(ParseClockRef(name), row.clock_id, row.instance)) {
        continue;
      }
      return Refusal{
          "exception.covid_window",
          absl::StrCat("names ", row.clock_id, ":", row.instance,
                       ", triggered on ", FormatDate(row.trigger),
                       ", outside the covid_2020 window ",
                       FormatDate(window.from), "..", FormatDate(window.to),
                       " (refused whole)")};
    }
  }
  return std::nullopt;
}

// The first rule `e` breaks in its place in the journey.
std::optional<Refusal> Judge(const CaseState& before, const v1::Event& e,
                             const JourneyStarts& starts,
                             absl::Span<const v1::Event* const> all) {
  if (std::optional<Refusal> r = CheckJourneyEvent(before, e, starts)) return r;
  if (e.payload().has_exception_recorded()) return CheckCovidWindow(all, e);
  return std::nullopt;
}

// The stored events the rules refuse in the stored journey alone.
absl::flat_hash_set<const v1::Event*> RefusedInHistory(
    absl::Span<const v1::Event* const> all) {
  const std::vector<const v1::Event*> journey = EffectiveJourney(all);
  const JourneyStarts starts = FindJourneyStarts(journey);
  absl::flat_hash_set<const v1::Event*> refused;
  CaseState state;
  for (const v1::Event* e : journey) {
    if (Judge(state, *e, starts, all)) refused.insert(e);
    state = Evolve(std::move(state), *e);
  }
  return refused;
}

// The whole journey judged (see Decide), the proposed events' envelopes
// already checked.
absl::Status DecideWhole(absl::Span<const v1::Event* const> history,
                         absl::Span<const v1::Event> proposed) {
  std::vector<const v1::Event*> all(history.begin(), history.end());
  all.reserve(history.size() + proposed.size());
  for (const v1::Event& e : proposed) all.push_back(&e);

  const std::vector<const v1::Event*> journey =
      EffectiveJourney(absl::MakeConstSpan(all));

  // The usual append adds facts after every stored one (in journey order)
  // and corrects nothing. Then each stored event meets the same state as in
  // the stored journey alone, where a refusal would not count (see below),
  // so the stored prefix is only folded, not judged again.
  size_t judged_from = 0;
  if (std::none_of(proposed.begin(), proposed.end(), IsCorrection)) {
    auto first_new = std::find_if(
        journey.begin(), journey.end(),
        [&](const v1::Event* e) { return ProposedIndex(proposed, e) >= 0; });
    if (std::all_of(first_new, journey.end(), [&](const v1::Event* e) {
          return ProposedIndex(proposed, e) >= 0;
        })) {
      judged_from = static_cast<size_t>(first_new - journey.begin());
    }
  }

  const JourneyStarts starts = FindJourneyStarts(journey);
  std::optional<absl::flat_hash_set<const v1::Event*>> refused_before;
  CaseState state;
  for (size_t i = 0; i < journey.size(); ++i) {
    const v1::Event* e = journey[i];
    if (i < judged_from) {
      state = Evolve(std::move(state), *e);
      continue;
    }
    if (std::optional<Refusal> r = Judge(state, *e, starts, all)) {
      bool counts = ProposedIndex(proposed, e) >= 0;
      if (!counts) {
        if (!refused_before) refused_before = RefusedInHistory(history);
        counts = !refused_before->contains(e);
      }
      if (counts) return Refused(r->rule, *e, Which(proposed, *e), r->why);
    }
    state = Evolve(std::move(state), *e);
  }
  return absl::OkStatus();
}

// Facts proposed among the stored journey (late facts), nothing corrected:
// judged as DecideWhole judges them, from where the first of them goes
// rather than from the start, when that is the same. Every stored event
// before that place meets the same state as in the stored journey alone,
// and so the same verdict (which DecideWhole would not count), as long as
// the journey's starts are unchanged (a late request or tribunal order
// changes which days start a journey) and no covid exception there is
// dated on the first late fact's day (its window check evaluates the
// clocks as of its own date, where a late fact of that day counts).
// Otherwise, the whole journey is judged.
absl::Status DecideLate(const CaseModel& model,
                        absl::Span<const v1::Event* const> order,
                        absl::Span<const v1::Event> proposed) {
  const std::vector<const v1::Event*>& stored = model.journey();
  const size_t from = JourneyInsertionPoint(stored, *order.front());
  std::vector<const v1::Event*> journey(stored.begin(),
                                        stored.begin() + from);
  journey.reserve(stored.size() + order.size());
  std::merge(stored.begin() + from, stored.end(), order.begin(), order.end(),
             std::back_inserter(journey),
             [](const v1::Event* a, const v1::Event* b) {
               return JourneyBefore(*a, *b);
             });
  const JourneyStarts starts = FindJourneyStarts(journey);
  const JourneyStarts& before = model.starts();
  const bool same_starts = starts.first == before.first &&
                           starts.new_start_days == before.new_start_days;
  const bool exception_that_day = std::any_of(
      stored.begin(), stored.begin() + from, [&](const v1::Event* e) {
        return e->payload().has_exception_recorded() &&
               e->occurred_on() == order.front()->occurred_on();
      });
  if (!same_starts || exception_that_day) {
    return DecideWhole(model.Events(), proposed);
  }

  std::vector<const v1::Event*> all;
  if (std::any_of(journey.begin() + from, journey.end(),
                  [](const v1::Event* e) {
                    return e->payload().has_exception_recorded();
                  })) {
    all = model.Events();
    for (const v1::Event& e : proposed) all.push_back(&e);
  }
  std::optional<absl::flat_hash_set<const v1::Event*>> refused_before;
  CaseState state = model.StateBefore(from);
  for (size_t i = from; i < journey.size(); ++i) {
    const v1::Event* e = journey[i];
    if (std::optional<Refusal> r = Judge(state, *e, starts, all)) {
      bool counts = ProposedIndex(proposed, e) >= 0;
      if (!counts) {
        if (!refused_before) {
          refused_before = RefusedInHistory(model.Events());
        }
        counts = !refused_before->contains(e);
      }
      if (counts) return Refused(r->rule, *e, Which(proposed, *e), r->why);
    }
    state = Evolve(std::move(state), *e);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Decide(absl::Span<const v1::Event> history,
                    absl::Span<const v1::Event> proposed,
                    absl::CivilDay today) {
  Corrections corrections;
  if (std::any_of(proposed.begin(), proposed.end(), IsCorrection)) {
    for (const v1::Event& e : history) corrections.Add(e);
  }
  EHCP_RETURN_IF_ERROR(
      CheckEnvelopes(std::move(corrections), proposed, today));
  std::vector<const v1::Event*> stored;
  stored.reserve(history.size());
  for (const v1::Event& e : history) stored.push_back(&e);
  return DecideWhole(stored, proposed);
}

absl::Status Decide(const CaseModel& model,
                    absl::Span<const v1::Event> proposed,
                    absl::CivilDay today) {
  EHCP_RETURN_IF_ERROR(CheckEnvelopes(Corrections(&model), proposed, today));
  // The proposed events in journey order; the usual append puts them all
  // after the stored journey and corrects nothing.
  std::vector<const v1::Event*> order;
  order.reserve(proposed.size());
  for (const v1::Event& e : proposed) order.push_back(&e);
  std::stable_sort(order.begin(), order.end(),
                   [](const v1::Event* a, const v1::Event* b) {
                     return JourneyBefore(*a, *b);
                   });
  const bool corrects =
      std::any_of(proposed.begin(), proposed.end(), IsCorrection);
  bool in_order = !corrects && (model.journey().empty() || order.empty() ||
                                JourneyBefore(*model.journey().back(),
                                              *order.front()));
  if (!in_order && !corrects && order.size() == 1) {
    // One event recorded out of the same-day order: judged alone when it is
    // independent of the events it sorts before (journey_fold.h), since
    // each of them meets the same state with it as without it, and it meets
    // the state they leave as it would the state before them.
    in_order = CommutesWithTail(model.journey(), *order.front());
  }
  if (!in_order) {
    if (corrects) return DecideWhole(model.Events(), proposed);
    return DecideLate(model, order, proposed);
  }

  JourneyStarts starts = model.starts();
  for (const v1::Event* e : order) AddJourneyStart(*e, &starts);
  // The covid window check evaluates the clocks of the whole case; only an
  // exception needs the events listed.
  std::vector<const v1::Event*> all;
  if (std::any_of(proposed.begin(), proposed.end(), [](const v1::Event& e) {
        return e.payload().has_exception_recorded();
      })) {
    all = model.Events();
    for (const v1::Event& e : proposed) all.push_back(&e);
  }
  // The first proposed event meets the model's state as it is; only a
  // second one needs a copy to fold onto.
  std::optional<CaseState> next;
  for (size_t i = 0; i < order.size(); ++i) {
    const v1::Event& e = *order[i];
    const CaseState& before = next ? *next : model.state();
    if (std::optional<Refusal> r = Judge(before, e, starts, all)) {
      return Refused(r->rule, e, Which(proposed, e), r->why);
    }
    if (i + 1 < order.size()) {
      if (!next) next = model.state();
      next = Evolve(*std::move(next), e);
    }
  }
  return absl::OkStatus();
}

}  // namespace ehcp::domain
