// The journey of a case: its events as the rules see them.
//
// Rules reason about facts in the order they happened, not the order they
// were recorded (§8 "Order and time"): events are sorted by occurred_on,
// events of the same day by their place in the journey (a request before a
// decision, a draft before a final plan, …), then by recording order. Voided
// and superseded events are removed whatever their dates; an `as_known_at`
// instant hides everything recorded after it, voids included.
//
//   std::vector<const v1::Event*> j = EffectiveJourney(events, std::nullopt);
//   for (const v1::Event* e : j) state = Evolve(std::move(state), *e);
//
// Thread safety: pure functions.
#ifndef EHCP_DOMAIN_JOURNEY_H_
#define EHCP_DOMAIN_JOURNEY_H_

#include <optional>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "ehcp/v1/events.pb.h"

namespace ehcp::domain {

namespace v1 = ::ehcp::v1;

// The place of a payload kind among events of the same day (§8 Order 1):
// request, became responsible, tribunal order, decision to assess, advice
// requested, advice received, exception, decision not to issue, draft plan,
// waiver, final plan, transferred in, transfer notice, review meeting,
// review report, review decision, amendments proposed, phase transfer
// identified, re-assessment decided, amended plan, decision not to amend,
// plan ceased. Kinds the reference does not list (case opened first; then
// after plan ceased: transferred out, adult services, mediation, appeals,
// voids) follow in that order. Lower sorts first.
int JourneyRank(const v1::EventPayload& payload);

// The instant an event was recorded (its envelope's recorded_at).
absl::Time RecordedAt(const v1::Event& event);

// The effective journey of one case's events (given in version order):
// without events recorded after `as_known_at` (when set), without the
// targets of voids and supersedes, without the void events themselves and
// without the administrative CaseOpened event, in journey order. Pointers
// point into `events`.
std::vector<const v1::Event*> EffectiveJourney(
    absl::Span<const v1::Event> events,
    std::optional<absl::Time> as_known_at = std::nullopt);

// Same, for events held by pointer.
std::vector<const v1::Event*> EffectiveJourney(
    absl::Span<const v1::Event* const> events,
    std::optional<absl::Time> as_known_at = std::nullopt);

// True when `event` was recorded by `as_known_at` (always, when unset).
bool KnownAt(const v1::Event& event, std::optional<absl::Time> as_known_at);

// The ids of the events that voids and supersedes among `events` (those
// known at `as_known_at`) remove from the journey.
absl::flat_hash_set<std::string> RemovedEventIds(
    absl::Span<const v1::Event* const> events,
    std::optional<absl::Time> as_known_at = std::nullopt);

// The earliest occurred_on among `events` (the case's opening included);
// nullopt when none parses.
std::optional<absl::CivilDay> FirstEventDay(absl::Span<const v1::Event> events);
std::optional<absl::CivilDay> FirstEventDay(
    absl::Span<const v1::Event* const> events);

// True when `a` sorts before `b` in journey order (occurred_on, rank,
// case_version). Dates are compared as "YYYY-MM-DD" strings, which sort as
// dates.
bool JourneyBefore(const v1::Event& a, const v1::Event& b);

}  // namespace ehcp::domain

#endif  // EHCP_DOMAIN_JOURNEY_H_
