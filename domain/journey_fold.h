// A fold over a journey that can be refolded from where it changed.
//
// A case model folds its journey (journey.h) once and then only the events
// that follow; but a late fact or a correction changes the journey at some
// index i, and everything folded from i on must be folded again. The
// JourneyFold keeps the journey with copies of the fold saved at points
// along it (every `spacing` events, at most kMaxSaved of them, the spacing
// doubling as the journey grows), so that a change at index i refolds from
// the last saved point at or before i: the cost of a late fact is the
// events after it plus at most one spacing (a quarter of the journey, in a
// long one), not the whole journey. The copies cost memory (a case model
// sits in a cache bounded in bytes): at most four, most of them of the
// journey's first half.
//
//   JourneyFold<StateFold> j(StateFold{...});     // the fold of no event
//   j.Add(e);          // the next event by version: folded, or pending
//   j.Finish();        // refolds from the first index changed, if any
//   j.fold();          // the fold of the whole journey
//
// `Fold` is a value with
//   void Apply(const v1::Event&);       // the next event of the journey
//   Fold Saved() const;                 // a copy to return to
//   void Restore(const Fold& saved);    // back to a saved copy
//   size_t ApproximateBytes() const;
// such that applying a journey's events in order from the fold of no event
// gives the fold of that journey.
//
// Events are held by pointer and must outlive the JourneyFold.
// Thread safety: a plain value; callers serialize access.
#ifndef EHCP_DOMAIN_JOURNEY_FOLD_H_
#define EHCP_DOMAIN_JOURNEY_FOLD_H_

#include <algorithm>
#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "domain/journey.h"
#include "ehcp/v1/events.pb.h"

namespace ehcp::domain {

// Where `e` goes in `journey` (journey order): after every event that does
// not sort after it. Searched from the end, where new events usually land.
size_t JourneyInsertionPoint(absl::Span<const v1::Event* const> journey,
                             const v1::Event& e);

// True when `e`, which sorts before the events `later` (all on e's day, in
// journey order), may be folded after them with the same result: e and
// every one of them is an advice request or receipt, of another advice id
// than e's, and there are at most 64 of them. Evolve and the clock fold
// treat advice of different ids independently (case_state.cc, clocks.cc).
bool SameDayCommutes(const v1::Event& e,
                     absl::Span<const v1::Event* const> later);

// True when `e` sorts before the end of `journey` but may be folded last
// (SameDayCommutes with every event it sorts before).
bool CommutesWithTail(absl::Span<const v1::Event* const> journey,
                      const v1::Event& e);

template <typename Fold>
class JourneyFold {
 public:
  static constexpr size_t kFirstSpacing = 64;
  static constexpr size_t kMaxSaved = 4;

  // `empty` is the fold of no event.
  explicit JourneyFold(Fold empty)
      : empty_(empty.Saved()), fold_(std::move(empty)) {}

  // The journey, in journey order.
  const std::vector<const v1::Event*>& journey() const { return journey_; }
  // The fold of the whole journey (after Finish when events are pending).
  const Fold& fold() const { return fold_; }
  Fold& fold() { return fold_; }

  // Takes the next event by version. A correction (`removes`: the event a
  // void or supersede names, when the journey holds it) takes its target
  // out; `e` joins the journey in its place unless `joins` is false (a
  // void, the CaseOpened, an event already removed). An event that sorts
  // after the whole journey, or commutes with the events it sorts before,
  // is folded at once; anything else leaves the journey changed from some
  // index, refolded by Finish.
  void Add(const v1::Event& e, const v1::Event* removes, bool joins) {
    if (removes != nullptr) {
      auto it = std::find(journey_.begin(), journey_.end(), removes);
      if (it != journey_.end()) {
        Changed(static_cast<size_t>(it - journey_.begin()));
        journey_.erase(it);
      }
    }
    if (!joins) return;
    if (!changed_from_) {
      if (journey_.empty() || !JourneyBefore(e, *journey_.back())) {
        journey_.push_back(&e);
        fold_.Apply(e);
        MaybeSave();
        return;
      }
      if (CommutesWithTail(journey_, e)) {
        // In its place in the journey, folded last: the saved folds past
        // that place no longer match the journey before them.
        const size_t at = JourneyInsertionPoint(journey_, e);
        journey_.insert(journey_.begin() + static_cast<ptrdiff_t>(at), &e);
        DropSavedAfter(at);
        fold_.Apply(e);
        return;
      }
    }
    const size_t at = JourneyInsertionPoint(journey_, e);
    journey_.insert(journey_.begin() + static_cast<ptrdiff_t>(at), &e);
    Changed(at);
  }

  // Refolds from the first index changed since the last Finish, if any.
  // Returns true when it did.
  bool Finish() {
    if (!changed_from_) return false;
    const size_t changed = *changed_from_;
    changed_from_.reset();
    DropSavedAfter(changed);
    size_t from = 0;
    if (saved_.empty()) {
      fold_.Restore(empty_);
    } else {
      from = saved_.back().index;
      fold_.Restore(saved_.back().fold);
    }
    for (size_t i = from; i < journey_.size(); ++i) {
      fold_.Apply(*journey_[i]);
      MaybeSave(i + 1);
    }
    ++refolds_;
    refolded_events_ += static_cast<int64_t>(journey_.size() - from);
    return true;
  }

  // The fold of the first `count` events of the journey (count ≤ size),
  // from the last saved point at or before them.
  Fold FoldOf(size_t count) const {
    count = std::min(count, journey_.size());
    auto after =
        std::upper_bound(saved_.begin(), saved_.end(), count,
                         [](size_t n, const Saved& s) { return n < s.index; });
    const Saved* from = after == saved_.begin() ? nullptr : &*std::prev(after);
    Fold fold = from != nullptr ? from->fold.Saved() : empty_.Saved();
    for (size_t i = from != nullptr ? from->index : 0; i < count; ++i) {
      fold.Apply(*journey_[i]);
    }
    return fold;
  }

  // Refolds done by Finish, and the events they applied (for tests and
  // metrics).
  int64_t refolds() const { return refolds_; }
  int64_t refolded_events() const { return refolded_events_; }

  size_t ApproximateBytes() const {
    size_t bytes = sizeof(*this) + journey_.capacity() * sizeof(void*) +
                   fold_.ApproximateBytes() + empty_.ApproximateBytes();
    for (const Saved& s : saved_) bytes += s.fold.ApproximateBytes();
    return bytes;
  }

 private:
  struct Saved {
    size_t index;  // The fold of journey_[0, index).
    Fold fold;
  };

  void Changed(size_t at) {
    changed_from_ = changed_from_ ? std::min(*changed_from_, at) : at;
  }

  // Keeps only the saved folds of at most `index` events.
  void DropSavedAfter(size_t index) {
    while (!saved_.empty() && saved_.back().index > index) saved_.pop_back();
  }

  // Saves the fold of the first `count` events when on the spacing.
  void MaybeSave(size_t count) {
    if (count == 0 || count % spacing_ != 0) return;
    if (!saved_.empty() && saved_.back().index >= count) return;
    saved_.push_back(Saved{count, fold_.Saved()});
    if (saved_.size() > kMaxSaved) {
      // Half as many, twice as far apart.
      spacing_ *= 2;
      std::erase_if(saved_,
                    [&](const Saved& s) { return s.index % spacing_ != 0; });
    }
  }
  void MaybeSave() { MaybeSave(journey_.size()); }

  Fold empty_;
  Fold fold_;
  std::vector<const v1::Event*> journey_;
  std::vector<Saved> saved_;
  size_t spacing_ = kFirstSpacing;
  std::optional<size_t> changed_from_;
  int64_t refolds_ = 0;
  int64_t refolded_events_ = 0;
};

}  // namespace ehcp::domain

#endif  // EHCP_DOMAIN_JOURNEY_FOLD_H_
