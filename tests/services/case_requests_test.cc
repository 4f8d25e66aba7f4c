// The checks of the CaseService requests around the domain's field and
// event checks (services/case_requests.h), in the domain tests' vocabulary
// of facts (tests/domain/admission_facts.h).
#include "services/case_requests.h"

#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/domain/admission_facts.h"

namespace ehcp::services {
namespace {

using namespace ::ehcp::domain::facts;  // NOLINT: test vocabulary

v1::OpenCaseRequest GoodOpen() {
  v1::OpenCaseRequest r;
  r.set_la_code("E06000035");
  r.set_case_reference("MED/2024/0001");
  r.set_birth_month("2012-09");
  r.set_opened_on("2024-01-08");
  return r;
}

v1::ProposedEvent Proposal(v1::EventPayload payload,
                           absl::string_view on = "2024-01-08") {
  v1::ProposedEvent e;
  e.set_occurred_on(std::string(on));
  *e.mutable_payload() = std::move(payload);
  return e;
}

// ------------------------------------------------------------ OpenCase

TEST(CaseRequestsTest, WellFormedOpenCaseIsAccepted) {
  EXPECT_TRUE(ValidateOpenCase(GoodOpen()).ok());
  v1::OpenCaseRequest r = GoodOpen();
  r.clear_birth_month();
  r.clear_opened_on();
  EXPECT_TRUE(ValidateOpenCase(r).ok());
}

TEST(CaseRequestsTest, OpenCaseWithABadLaCodeIsRefused) {
  v1::OpenCaseRequest r = GoodOpen();
  r.set_la_code("W06000001");
  EXPECT_THAT(ValidateOpenCase(r), InvalidAt("la_code"));
  r.clear_la_code();
  EXPECT_THAT(ValidateOpenCase(r), InvalidAt("la_code"));
}

TEST(CaseRequestsTest, OpenCaseWithABadReferenceIsRefused) {
  for (const std::string& bad :
       {std::string(), std::string(65, 'R'), std::string("MED\t1"),
        std::string("caf\xc3\xa9")}) {
    v1::OpenCaseRequest r = GoodOpen();
    r.set_case_reference(bad);
    EXPECT_THAT(ValidateOpenCase(r), InvalidAt("case_reference"));
  }
  v1::OpenCaseRequest r = GoodOpen();
  r.set_case_reference(std::string(64, 'R'));
  EXPECT_TRUE(ValidateOpenCase(r).ok());
}

TEST(CaseRequestsTest, OpenCaseWithABadBirthMonthIsRefused) {
  for (const char* bad : {"2012-13", "2012-9", "2012-09-01", "1899-12"}) {
    v1::OpenCaseRequest r = GoodOpen();
    r.set_birth_month(bad);
    EXPECT_THAT(ValidateOpenCase(r), InvalidAt("birth_month")) << bad;
  }
}

TEST(CaseRequestsTest, OpenCaseWithAnImpossibleOpeningDateIsRefused) {
  v1::OpenCaseRequest r = GoodOpen();
  r.set_opened_on("2023-02-29");
  EXPECT_THAT(ValidateOpenCase(r), InvalidAt("opened_on"));
}

// ------------------------------------------------------ AppendEvents

v1::AppendEventsRequest GoodAppend() {
  v1::AppendEventsRequest r;
  r.set_case_id("E06000035-0123456789abcdef");
  *r.add_events() = Proposal(Request());
  *r.add_events() = Proposal(Assess(), "2024-02-16");
  r.set_idempotency_key("k-1");
  return r;
}

TEST(CaseRequestsTest, WellFormedAppendIsAccepted) {
  EXPECT_TRUE(ValidateAppendRequest(GoodAppend()).ok());
  v1::AppendEventsRequest r = GoodAppend();
  r.set_expected_version(1);
  EXPECT_TRUE(ValidateAppendRequest(r).ok());
  r.set_any_version(true);
  EXPECT_TRUE(ValidateAppendRequest(r).ok());
}

TEST(CaseRequestsTest, AppendShapeIsChecked) {
  v1::AppendEventsRequest r = GoodAppend();
  r.clear_case_id();
  EXPECT_THAT(ValidateAppendRequest(r), InvalidAt("case_id"));

  r = GoodAppend();
  r.set_expected_version(0);
  EXPECT_THAT(ValidateAppendRequest(r), InvalidAt("expected_version"));

  r = GoodAppend();
  r.clear_events();
  EXPECT_THAT(ValidateAppendRequest(r), InvalidAt("events"));
  for (int i = 0; i < kMaxEventsPerAppend + 1; ++i) {
    *r.add_events() = Proposal(Draft());
  }
  EXPECT_THAT(ValidateAppendRequest(r), InvalidAt("events"));

  r = GoodAppend();
  r.set_idempotency_key(std::string(129, 'k'));
  EXPECT_THAT(ValidateAppendRequest(r), InvalidAt("idempotency_key"));
  r.set_idempotency_key(std::string(128, 'k'));
  EXPECT_TRUE(ValidateAppendRequest(r).ok());
}

TEST(CaseRequestsTest, AppendNamesTheBadEventByIndex) {
  v1::AppendEventsRequest r = GoodAppend();
  r.mutable_events(1)->set_occurred_on("2023-02-29");
  EXPECT_THAT(ValidateAppendRequest(r), InvalidAt("events[1].occurred_on"));
}

}  // namespace
}  // namespace ehcp::services
