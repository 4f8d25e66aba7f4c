// Test helpers for clock evaluation: a journey builder that stamps envelopes
// the way the server does, and row look-ups.
//
//   JourneyBuilder j("2008-03");
//   j.Request("2024-01-08");
//   std::string d = j.AssessDecision("2024-02-16");
//   auto rows = EvaluateClocks(j.events(), Day("2025-09-01"));
//   const ClockRow& r = Row(rows, "decision_to_assess", "1");
#ifndef EHCP_TESTS_DOMAIN_CLOCK_TEST_UTIL_H_
#define EHCP_TESTS_DOMAIN_CLOCK_TEST_UTIL_H_

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "domain/clocks.h"
#include "domain/dates.h"
#include "ehcp/v1/events.pb.h"
#include "gtest/gtest.h"

namespace ehcp::domain::testing {

inline absl::CivilDay Day(const char* text) {
  auto d = ParseDate(text);
  EXPECT_TRUE(d.ok()) << text;
  return d.ok() ? *d : absl::CivilDay();
}

// Builds one case's stored events in version order. Each event is recorded
// at noon (London) on its occurred_on day, or `lag` days later when set with
// RecordLate, and never before the previous event (versions are in recording
// order).
class JourneyBuilder {
 public:
  explicit JourneyBuilder(std::string birth_month = "") {
    v1::Event& e = Add("2000-01-01");
    e.mutable_payload()->mutable_case_opened()->set_la_code("E06000035");
    e.mutable_payload()->mutable_case_opened()->set_case_reference("T-1");
    e.mutable_payload()->mutable_case_opened()->set_birth_month(
        std::move(birth_month));
  }

  const std::vector<v1::Event>& events() const { return events_; }
  std::vector<v1::Event>& mutable_events() { return events_; }

  // The next event is recorded `days` after its occurred_on.
  JourneyBuilder& RecordLate(int days) {
    next_lag_days_ = days;
    return *this;
  }
  // The next event gets this id instead of "e<version>".
  JourneyBuilder& WithId(std::string id) {
    next_id_ = std::move(id);
    return *this;
  }

  std::string Request(const char* on) {
    Add(on).mutable_payload()->mutable_request_received()->set_source(
        v1::REQUEST_SOURCE_PARENT);
    return last_id();
  }
  std::string BecameResponsible(const char* on) {
    Add(on).mutable_payload()->mutable_became_responsible()->set_previous_la_code(
        "E10000016");
    return last_id();
  }
  std::string AssessDecision(const char* on, bool assess = true) {
    Add(on).mutable_payload()->mutable_assessment_decision()->set_outcome(
        assess ? v1::ASSESSMENT_DECISION_OUTCOME_ASSESS
               : v1::ASSESSMENT_DECISION_OUTCOME_NOT_ASSESS);
    return last_id();
  }
  std::string AdviceRequested(const char* on, const char* advice_id,
                              v1::AdviceBody body = v1::ADVICE_BODY_HEALTH) {
    auto* a = Add(on).mutable_payload()->mutable_advice_requested();
    a->set_advice_id(advice_id);
    a->set_body(body);
    return last_id();
  }
  std::string AdviceReceived(const char* on, const char* advice_id) {
    Add(on).mutable_payload()->mutable_advice_received()->set_advice_id(
        advice_id);
    return last_id();
  }
  std::string Exception(const char* on, v1::ExceptionLimb limb,
                        std::initializer_list<const char*> clocks) {
    auto* x = Add(on).mutable_payload()->mutable_exception_recorded();
    x->set_limb(limb);
    for (const char* c : clocks) x->add_clocks(c);
    x->set_reason("recorded in a test");
    return last_id();
  }
  std::string DecisionNotToIssue(const char* on) {
    Add(on).mutable_payload()->mutable_decision_not_to_issue();
    return last_id();
  }
  std::string Draft(const char* on) {
    Add(on).mutable_payload()->mutable_draft_plan_served();
    return last_id();
  }
  std::string Waiver(const char* on) {
    Add(on).mutable_payload()->mutable_representations_waived();
    return last_id();
  }
  std::string Final(const char* on) {
    Add(on).mutable_payload()->mutable_final_plan_issued()->set_placement(
        "URN 100000");
    return last_id();
  }
  std::string Meeting(const char* on, bool adulthood_considered = false) {
    Add(on)
        .mutable_payload()
        ->mutable_review_meeting_held()
        ->set_adulthood_considered(adulthood_considered);
    return last_id();
  }
  std::string Report(const char* on) {
    Add(on).mutable_payload()->mutable_review_report_sent();
    return last_id();
  }
  std::string ReviewDecision(const char* on, v1::ReviewOutcome outcome) {
    Add(on).mutable_payload()->mutable_review_decision()->set_outcome(outcome);
    return last_id();
  }
  std::string Proposed(const char* on) {
    Add(on).mutable_payload()->mutable_amendments_proposed();
    return last_id();
  }
  std::string Amended(const char* on) {
    Add(on).mutable_payload()->mutable_amended_plan_issued();
    return last_id();
  }
  std::string NotAmend(const char* on) {
    Add(on).mutable_payload()->mutable_decision_not_to_amend();
    return last_id();
  }
  std::string PhaseTransfer(const char* on, v1::PhaseTransferKind kind,
                            int year) {
    auto* p = Add(on).mutable_payload()->mutable_phase_transfer_identified();
    p->set_kind(kind);
    p->set_transfer_year(year);
    return last_id();
  }
  std::string Reassess(const char* on) {
    Add(on).mutable_payload()->mutable_reassessment_decided();
    return last_id();
  }
  // A plan transferred in; `last_reviewed_on` (optional) is when the old LA
  // made or last reviewed it.
  std::string TransferIn(const char* on, const char* last_reviewed_on = "") {
    auto* t = Add(on).mutable_payload()->mutable_plan_transferred_in();
    t->set_from_la_code("E10000016");
    t->set_last_reviewed_on(last_reviewed_on);
    return last_id();
  }
  std::string Notice(const char* on) {
    Add(on).mutable_payload()->mutable_transfer_notice_sent();
    return last_id();
  }
  std::string TransferOut(const char* on) {
    Add(on).mutable_payload()->mutable_plan_transferred_out()->set_to_la_code(
        "E10000012");
    return last_id();
  }
  std::string Ceased(const char* on) {
    Add(on).mutable_payload()->mutable_plan_ceased()->set_reason(
        v1::CESSATION_REASON_NEEDS_MET);
    return last_id();
  }
  std::string Tribunal(const char* on, const char* order_id,
                       v1::TribunalOrderKind kind) {
    auto* t = Add(on).mutable_payload()->mutable_tribunal_order_made();
    t->set_order_id(order_id);
    t->set_kind(kind);
    return last_id();
  }
  std::string Void(const char* on, const std::string& target) {
    Add(on).mutable_payload()->mutable_event_voided()->set_target_event_id(
        target);
    return last_id();
  }
  // Marks the last event added as superseding `target`.
  JourneyBuilder& Supersedes(const std::string& target) {
    events_.back().set_supersedes_event_id(target);
    return *this;
  }

  // When the last event added was recorded.
  absl::Time last_recorded_at() const { return last_recorded_; }
  const std::string& last_id() const { return events_.back().event_id(); }

 private:
  v1::Event& Add(const char* on) {
    v1::Event& e = events_.emplace_back();
    const int64_t version = static_cast<int64_t>(events_.size());
    e.set_event_id(next_id_.empty() ? absl::StrCat("e", version) : next_id_);
    next_id_.clear();
    e.set_case_id("case-1");
    e.set_case_version(version);
    e.set_global_position(version);
    e.set_occurred_on(on);
    absl::Time at = StartOfLondonDay(Day(on)) + absl::Hours(12) +
                    absl::Hours(24) * next_lag_days_;
    next_lag_days_ = 0;
    if (version > 1 && at <= last_recorded_) at = last_recorded_ + absl::Seconds(1);
    last_recorded_ = at;
    e.mutable_recorded_at()->set_seconds(absl::ToUnixSeconds(at));
    e.set_recorded_by("test");
    return e;
  }

  std::vector<v1::Event> events_;
  int next_lag_days_ = 0;
  std::string next_id_;
  absl::Time last_recorded_ = absl::InfinitePast();
};

// The row of `clock_id` instance `instance`, or a failure and an empty row.
inline ClockRow Row(const std::vector<ClockRow>& rows,
                    absl::string_view clock_id, absl::string_view instance) {
  for (const ClockRow& r : rows) {
    if (r.clock_id == clock_id && r.instance == instance) return r;
  }
  ADD_FAILURE() << "no row " << clock_id << ":" << instance;
  return ClockRow{};
}

// True when a row of `clock_id` instance `instance` is listed.
inline bool HasRow(const std::vector<ClockRow>& rows,
                   absl::string_view clock_id, absl::string_view instance) {
  for (const ClockRow& r : rows) {
    if (r.clock_id == clock_id && r.instance == instance) return true;
  }
  return false;
}

// Number of rows of `clock_id`.
inline int CountRows(const std::vector<ClockRow>& rows,
                     absl::string_view clock_id) {
  int n = 0;
  for (const ClockRow& r : rows) n += r.clock_id == clock_id ? 1 : 0;
  return n;
}

}  // namespace ehcp::domain::testing

#endif  // EHCP_TESTS_DOMAIN_CLOCK_TEST_UTIL_H_
