#include "domain/validation.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/domain/admission_facts.h"

namespace ehcp::domain {
namespace {

using namespace ::ehcp::domain::facts;  // NOLINT: test vocabulary

v1::ProposedEvent Proposal(v1::EventPayload payload,
                           absl::string_view on = "2024-01-08") {
  v1::ProposedEvent e;
  e.set_occurred_on(std::string(on));
  *e.mutable_payload() = std::move(payload);
  return e;
}

absl::Status Check(v1::EventPayload payload) {
  return ValidateProposedEvent(Proposal(std::move(payload)), "events[0]");
}

// ----------------------------------------------------------- small pieces

TEST(ValidationTest, OnsLaCodesFollowThePattern) {
  for (const char* good :
       {"E06000035", "E07000001", "E08000001", "E09000033", "E10000016"}) {
    EXPECT_TRUE(IsOnsLaCode(good)) << good;
  }
  for (const char* bad :
       {"", "E05000001", "E11000001", "W06000001", "e06000035", "E0600003",
        "E060000355", "E06O00035", "E1000001A"}) {
    EXPECT_FALSE(IsOnsLaCode(bad)) << bad;
  }
}

TEST(ValidationTest, CallerIdsAreShortAndPlain) {
  EXPECT_TRUE(IsCallerId("EP1"));
  EXPECT_TRUE(IsCallerId("a_b-C9"));
  EXPECT_TRUE(IsCallerId(std::string(32, 'x')));
  EXPECT_FALSE(IsCallerId(""));
  EXPECT_FALSE(IsCallerId(std::string(33, 'x')));
  EXPECT_FALSE(IsCallerId("EP 1"));
  EXPECT_FALSE(IsCallerId("EP/1"));
  EXPECT_FALSE(IsCallerId("EP:1"));
}

TEST(ValidationTest, EventIdsAre32LowercaseHexDigits) {
  EXPECT_TRUE(IsEventId("0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(IsEventId("0123456789ABCDEF0123456789abcdef"));
  EXPECT_FALSE(IsEventId("0123456789abcdef0123456789abcde"));
  EXPECT_FALSE(IsEventId("0123456789abcdef0123456789abcdeg"));
}

TEST(ValidationTest, ExceptionClockNamesUseTheCatalogue) {
  for (const char* good :
       {"final_plan_20w", "advice:EP1", "decision_to_assess:2",
        "tribunal_order:T1", "tribunal_order:T1:draft",
        "tribunal_order:T1:final", "age_25_cessation"}) {
    EXPECT_TRUE(IsExceptionClockName(good)) << good;
  }
  for (const char* bad :
       {"", "weekly", "advice:", "advice:EP 1", "advice:EP1:draft",
        "tribunal_order:T1:later", "tribunal_order::draft", ":1",
        "Final_plan_20w", "premature_final_plan"}) {
    EXPECT_FALSE(IsExceptionClockName(bad)) << bad;
  }
}

TEST(ValidationTest, LaCodeFieldsNameTheField) {
  EXPECT_TRUE(ValidateLaCode("E06000035", "la_code").ok());
  EXPECT_THAT(ValidateLaCode("W06000001", "la_code"), InvalidAt("la_code"));
  EXPECT_THAT(ValidateLaCode("", "x.la_code"), InvalidAt("x.la_code"));
}

TEST(ValidationTest, CaseReferencesAreShortPrintableAscii) {
  for (const std::string& bad :
       {std::string(), std::string(65, 'R'), std::string("MED\t1"),
        std::string("caf\xc3\xa9")}) {
    EXPECT_THAT(ValidateCaseReference(bad, "case_reference"),
                InvalidAt("case_reference"));
  }
  EXPECT_TRUE(ValidateCaseReference("MED/2024/0001", "case_reference").ok());
  EXPECT_TRUE(
      ValidateCaseReference(std::string(64, 'R'), "case_reference").ok());
}

// ------------------------------------------------------- ProposedEvent

TEST(ValidationTest, EveryKindOfFactWellFormedIsAccepted) {
  v1::EventPayload empty_responsible;
  empty_responsible.mutable_became_responsible();
  v1::EventPayload mediation_arranged;
  mediation_arranged.mutable_mediation_arranged();
  v1::EventPayload mediation_concluded;
  mediation_concluded.mutable_mediation_concluded()->set_outcome(
      v1::DISPUTE_OUTCOME_RESOLVED);
  v1::EventPayload ceased_other = Ceased();
  ceased_other.mutable_plan_ceased()->set_reason(v1::CESSATION_REASON_OTHER);
  ceased_other.mutable_plan_ceased()->set_detail("moved abroad");
  v1::EventPayload order_with_appeal =
      Order("T1", v1::TRIBUNAL_ORDER_KIND_MAKE_PLAN);
  order_with_appeal.mutable_tribunal_order_made()->set_appeal_id("A1");
  v1::EventPayload final_with_phase = Final("URN 118000");
  final_with_phase.mutable_final_plan_issued()->set_phase(
      v1::EDUCATION_PHASE_SECONDARY);
  v1::EventPayload reassess;
  reassess.mutable_reassessment_decided();
  const std::vector<v1::EventPayload> payloads = {
      Request(),
      BecameResponsible(),
      empty_responsible,
      Assess(),
      NotAssess(),
      AdviceRequested("EP1"),
      AdviceReceived("EP1"),
      Exception(),
      NotIssue(),
      Draft(),
      Waiver(),
      Final(),
      final_with_phase,
      Meeting(),
      Report(),
      ReviewDecision(),
      Proposed(),
      Amended(),
      Amended("URN 9"),
      NotAmend(),
      PhaseTransfer(),
      reassess,
      TransferIn(),
      Notice(),
      TransferOut(),
      Mediation(),
      mediation_arranged,
      mediation_concluded,
      Appeal("A1"),
      AppealConcluded("A1"),
      Order("T1", v1::TRIBUNAL_ORDER_KIND_ASSESS),
      order_with_appeal,
      AdultServices(),
      Ceased(),
      ceased_other,
      Void(Id(7))};
  for (const v1::EventPayload& p : payloads) {
    EXPECT_TRUE(Check(p).ok()) << p.ShortDebugString() << ": " << Check(p);
  }
}

TEST(ValidationTest, MessagesStartWithTheFieldPath) {
  const absl::Status s = Check(AdviceRequested("EP 1"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "events[0].payload.advice_requested.advice_id: must be 1-32 "
            "characters of [A-Za-z0-9_-]");
  v1::ProposedEvent e = Proposal(Draft(), "");
  EXPECT_THAT(ValidateProposedEvent(e, ""), InvalidAt("occurred_on"));
}

TEST(ValidationTest, MissingOrImpossibleDateIsRefused) {
  for (const char* bad :
       {"", "2023-02-29", "2024-1-8", "08/01/2024", "2024-01-08T00:00"}) {
    EXPECT_THAT(ValidateProposedEvent(Proposal(Draft(), bad), "events[2]"),
                InvalidAt("events[2].occurred_on"))
        << bad;
  }
  EXPECT_TRUE(
      ValidateProposedEvent(Proposal(Draft(), "2024-02-29"), "events[2]").ok());
}

TEST(ValidationTest, OversizedCorrelationAndCausationIdsAreRefused) {
  v1::ProposedEvent e = Proposal(Draft());
  e.set_correlation_id(std::string(128, 'c'));
  e.set_causation_id(std::string(128, 'c'));
  EXPECT_TRUE(ValidateProposedEvent(e, "e").ok());
  e.set_correlation_id(std::string(129, 'c'));
  EXPECT_THAT(ValidateProposedEvent(e, "e"), InvalidAt("e.correlation_id"));
  e.set_correlation_id("");
  e.set_causation_id(std::string(129, 'c'));
  EXPECT_THAT(ValidateProposedEvent(e, "e"), InvalidAt("e.causation_id"));
}

TEST(ValidationTest, SupersedesMustNameAnEventIdAndCarryAFact) {
  v1::ProposedEvent e = Proposal(Draft());
  e.set_supersedes_event_id(Id(3));
  EXPECT_TRUE(ValidateProposedEvent(e, "e").ok());
  e.set_supersedes_event_id("0000000000000000000000000000000A");
  EXPECT_THAT(ValidateProposedEvent(e, "e"),
              InvalidAt("e.supersedes_event_id"));
  v1::ProposedEvent v = Proposal(Void(Id(3)));
  v.set_supersedes_event_id(Id(4));
  EXPECT_THAT(ValidateProposedEvent(v, "e"),
              InvalidAt("e.supersedes_event_id"));
}

TEST(ValidationTest, MissingPayloadIsRefused) {
  v1::ProposedEvent e;
  e.set_occurred_on("2024-01-08");
  EXPECT_THAT(ValidateProposedEvent(e, "e"), InvalidAt("e.payload"));
  e.mutable_payload();  // present but naming no fact
  EXPECT_THAT(ValidateProposedEvent(e, "e"), InvalidAt("e.payload"));
}

TEST(ValidationTest, CaseOpenedCannotBeAppended) {
  v1::EventPayload p;
  p.mutable_case_opened()->set_la_code("E06000035");
  const absl::Status s = Check(p);
  EXPECT_EQ(s.message(),
            "events[0].payload.case_opened: cases are opened with OpenCase");
}

// Sets an enum field of a payload to `value`.
struct EnumField {
  const char* path;
  v1::EventPayload (*make)(int value);
};

std::vector<EnumField> EnumFields() {
  return {
      {"request_received.source",
       [](int v) {
         v1::EventPayload p = Request();
         p.mutable_request_received()->set_source(
             static_cast<v1::RequestSource>(v));
         return p;
       }},
      {"assessment_decision.outcome",
       [](int v) {
         v1::EventPayload p = Assess();
         p.mutable_assessment_decision()->set_outcome(
             static_cast<v1::AssessmentDecisionOutcome>(v));
         return p;
       }},
      {"advice_requested.body",
       [](int v) {
         v1::EventPayload p = AdviceRequested("EP1");
         p.mutable_advice_requested()->set_body(static_cast<v1::AdviceBody>(v));
         return p;
       }},
      {"exception_recorded.limb",
       [](int v) {
         v1::EventPayload p = Exception();
         p.mutable_exception_recorded()->set_limb(
             static_cast<v1::ExceptionLimb>(v));
         return p;
       }},
      {"review_decision.outcome",
       [](int v) {
         v1::EventPayload p = ReviewDecision();
         p.mutable_review_decision()->set_outcome(
             static_cast<v1::ReviewOutcome>(v));
         return p;
       }},
      {"phase_transfer_identified.kind",
       [](int v) {
         v1::EventPayload p = PhaseTransfer();
         p.mutable_phase_transfer_identified()->set_kind(
             static_cast<v1::PhaseTransferKind>(v));
         return p;
       }},
      {"mediation_requested.subject",
       [](int v) {
         v1::EventPayload p = Mediation();
         p.mutable_mediation_requested()->set_subject(
             static_cast<v1::DisputeSubject>(v));
         return p;
       }},
      {"mediation_concluded.outcome",
       [](int v) {
         v1::EventPayload p;
         p.mutable_mediation_concluded()->set_outcome(
             static_cast<v1::DisputeOutcome>(v));
         return p;
       }},
      {"appeal_registered.subject",
       [](int v) {
         v1::EventPayload p = Appeal("A1");
         p.mutable_appeal_registered()->set_subject(
             static_cast<v1::DisputeSubject>(v));
         return p;
       }},
      {"appeal_concluded.outcome",
       [](int v) {
         v1::EventPayload p = AppealConcluded("A1");
         p.mutable_appeal_concluded()->set_outcome(
             static_cast<v1::DisputeOutcome>(v));
         return p;
       }},
      {"tribunal_order_made.kind",
       [](int v) {
         v1::EventPayload p = Order("T1", v1::TRIBUNAL_ORDER_KIND_AMEND);
         p.mutable_tribunal_order_made()->set_kind(
             static_cast<v1::TribunalOrderKind>(v));
         return p;
       }},
      {"plan_ceased.reason",
       [](int v) {
         v1::EventPayload p = Ceased();
         p.mutable_plan_ceased()->set_reason(
             static_cast<v1::CessationReason>(v));
         return p;
       }},
  };
}

TEST(ValidationTest, UnspecifiedEnumValuesAreRefused) {
  for (const EnumField& f : EnumFields()) {
    EXPECT_THAT(Check(f.make(0)),
                InvalidAt(absl::StrCat("events[0].payload.", f.path)));
  }
}

TEST(ValidationTest, UnknownEnumValuesAreRefused) {
  for (const EnumField& f : EnumFields()) {
    const absl::Status s = Check(f.make(99));
    EXPECT_THAT(s, InvalidAt(absl::StrCat("events[0].payload.", f.path)));
    EXPECT_THAT(s.message(), ::testing::HasSubstr("unknown value 99"));
  }
}

TEST(ValidationTest, EducationPhaseMayBeUnrecordedButNotUnknown) {
  v1::EventPayload final_plan = Final();
  final_plan.mutable_final_plan_issued()->set_phase(
      v1::EDUCATION_PHASE_UNSPECIFIED);
  EXPECT_TRUE(Check(final_plan).ok());
  final_plan.mutable_final_plan_issued()->set_phase(
      static_cast<v1::EducationPhase>(99));
  EXPECT_THAT(Check(final_plan),
              InvalidAt("events[0].payload.final_plan_issued.phase"));
  v1::EventPayload amended = Amended();
  amended.mutable_amended_plan_issued()->set_phase(
      static_cast<v1::EducationPhase>(99));
  EXPECT_THAT(Check(amended),
              InvalidAt("events[0].payload.amended_plan_issued.phase"));
}

TEST(ValidationTest, BadCallerIdsAreRefused) {
  for (const std::string& bad : {std::string(), std::string(33, 'a'),
                                 std::string("EP 1"), std::string("EP/1")}) {
    EXPECT_THAT(Check(AdviceRequested(bad)),
                InvalidAt("events[0].payload.advice_requested.advice_id"));
    EXPECT_THAT(Check(AdviceReceived(bad)),
                InvalidAt("events[0].payload.advice_received.advice_id"));
    EXPECT_THAT(Check(Appeal(bad)),
                InvalidAt("events[0].payload.appeal_registered.appeal_id"));
    EXPECT_THAT(Check(AppealConcluded(bad)),
                InvalidAt("events[0].payload.appeal_concluded.appeal_id"));
    EXPECT_THAT(Check(Order(bad, v1::TRIBUNAL_ORDER_KIND_AMEND)),
                InvalidAt("events[0].payload.tribunal_order_made.order_id"));
  }
  v1::EventPayload order = Order("T1", v1::TRIBUNAL_ORDER_KIND_AMEND);
  order.mutable_tribunal_order_made()->set_appeal_id("A 1");
  EXPECT_THAT(Check(order),
              InvalidAt("events[0].payload.tribunal_order_made.appeal_id"));
}

TEST(ValidationTest, BadLaCodesInPayloadsAreRefused) {
  v1::EventPayload responsible = BecameResponsible();
  responsible.mutable_became_responsible()->set_previous_la_code("E99");
  EXPECT_THAT(
      Check(responsible),
      InvalidAt("events[0].payload.became_responsible.previous_la_code"));

  v1::EventPayload in = TransferIn();
  in.mutable_plan_transferred_in()->set_from_la_code("S12000033");
  EXPECT_THAT(Check(in),
              InvalidAt("events[0].payload.plan_transferred_in.from_la_code"));
  in.mutable_plan_transferred_in()->clear_from_la_code();
  EXPECT_THAT(Check(in),
              InvalidAt("events[0].payload.plan_transferred_in.from_la_code"));

  v1::EventPayload out = TransferOut();
  out.mutable_plan_transferred_out()->set_to_la_code("E1000001");
  EXPECT_THAT(Check(out),
              InvalidAt("events[0].payload.plan_transferred_out.to_la_code"));
  out.mutable_plan_transferred_out()->clear_to_la_code();
  EXPECT_THAT(Check(out),
              InvalidAt("events[0].payload.plan_transferred_out.to_la_code"));
}

TEST(ValidationTest, OversizedTextIsRefused) {
  v1::EventPayload exception = Exception();
  exception.mutable_exception_recorded()->set_reason(std::string(2000, 'r'));
  EXPECT_TRUE(Check(exception).ok());
  exception.mutable_exception_recorded()->set_reason(std::string(2001, 'r'));
  EXPECT_THAT(Check(exception),
              InvalidAt("events[0].payload.exception_recorded.reason"));

  v1::EventPayload ceased = Ceased();
  ceased.mutable_plan_ceased()->set_detail(std::string(2001, 'd'));
  EXPECT_THAT(Check(ceased), InvalidAt("events[0].payload.plan_ceased.detail"));

  v1::EventPayload voided = Void(Id(3));
  voided.mutable_event_voided()->set_reason(std::string(2001, 'r'));
  EXPECT_THAT(Check(voided),
              InvalidAt("events[0].payload.event_voided.reason"));

  EXPECT_TRUE(Check(Final(std::string(200, 'p'))).ok());
  EXPECT_THAT(Check(Final(std::string(201, 'p'))),
              InvalidAt("events[0].payload.final_plan_issued.placement"));
  EXPECT_THAT(Check(Amended(std::string(201, 'p'))),
              InvalidAt("events[0].payload.amended_plan_issued.placement"));
}

TEST(ValidationTest, TextThatIsNotUtf8IsRefused) {
  v1::EventPayload exception = Exception();
  exception.mutable_exception_recorded()->set_reason("bad \xff byte");
  EXPECT_THAT(Check(exception),
              InvalidAt("events[0].payload.exception_recorded.reason"));
  EXPECT_THAT(Check(Final("\xc0\xaf")),
              InvalidAt("events[0].payload.final_plan_issued.placement"));
}

TEST(ValidationTest, CessationForAnOtherReasonNeedsADetail) {
  v1::EventPayload ceased = Ceased();
  ceased.mutable_plan_ceased()->set_reason(v1::CESSATION_REASON_OTHER);
  EXPECT_THAT(Check(ceased), InvalidAt("events[0].payload.plan_ceased.detail"));
}

TEST(ValidationTest, ExceptionNeedsWellFormedClocks) {
  v1::EventPayload none = Exception();
  none.mutable_exception_recorded()->clear_clocks();
  EXPECT_THAT(Check(none),
              InvalidAt("events[0].payload.exception_recorded.clocks"));

  v1::EventPayload bad = Exception();
  bad.mutable_exception_recorded()->add_clocks("advice:EP1");
  bad.mutable_exception_recorded()->add_clocks("weekly_clock");
  EXPECT_THAT(Check(bad),
              InvalidAt("events[0].payload.exception_recorded.clocks[2]"));

  v1::EventPayload many = Exception();
  for (int i = 1; i < kMaxExceptionClocks; ++i) {
    many.mutable_exception_recorded()->add_clocks(absl::StrCat("advice:A", i));
  }
  EXPECT_TRUE(Check(many).ok());
  many.mutable_exception_recorded()->add_clocks("advice:A0");
  EXPECT_THAT(Check(many),
              InvalidAt("events[0].payload.exception_recorded.clocks"));
}

TEST(ValidationTest, PhaseTransferYearIsBounded) {
  for (int year : {2014, 2100}) {
    v1::EventPayload p = PhaseTransfer();
    p.mutable_phase_transfer_identified()->set_transfer_year(year);
    EXPECT_TRUE(Check(p).ok()) << year;
  }
  for (int year : {0, 2013, 2101}) {
    v1::EventPayload p = PhaseTransfer();
    p.mutable_phase_transfer_identified()->set_transfer_year(year);
    EXPECT_THAT(
        Check(p),
        InvalidAt("events[0].payload.phase_transfer_identified.transfer_year"))
        << year;
  }
}

TEST(ValidationTest, VoidTargetMustBeAnEventId) {
  EXPECT_THAT(Check(Void("")),
              InvalidAt("events[0].payload.event_voided.target_event_id"));
  EXPECT_THAT(Check(Void("v3")),
              InvalidAt("events[0].payload.event_voided.target_event_id"));
}

}  // namespace
}  // namespace ehcp::domain
