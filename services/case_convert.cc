#include "services/internal/case_convert.h"

#include <optional>
#include <string>

#include "domain/dates.h"

namespace ehcp::services {

v1::CaseState ToProto(const domain::CaseState& state, absl::CivilDay today) {
  auto date = [](const std::optional<absl::CivilDay>& day) {
    return day ? domain::FormatDate(*day) : std::string();
  };
  v1::CaseState out;
  out.set_case_id(state.case_id);
  out.set_la_code(state.la_code);
  out.set_case_reference(state.case_reference);
  if (state.birth_month) {
    out.set_birth_month(domain::FormatMonth(*state.birth_month));
  }
  out.set_case_version(state.version);
  out.set_stage(state.stage);
  out.set_plan_in_force(state.plan_in_force);
  out.set_latest_request_on(date(state.latest_request_on));
  out.set_assessment_decision_on(date(state.assessment_decision_on));
  out.set_draft_served_on(date(state.draft_served_on));
  out.set_plan_issued_on(date(state.plan_issued_on));
  out.set_last_amended_on(date(state.last_amended_on));
  out.set_last_review_on(date(state.last_review_on));
  out.set_ended_on(date(state.ended_on));
  for (const std::string& id : state.open_advice_ids) {
    out.add_open_advice_ids(id);
  }
  out.set_review_meetings(state.review_meetings);
  out.set_notices_to(domain::NoticesTo(state, today));
  out.set_placement(state.placement);
  out.set_voided_events(state.voided_events);
  return out;
}

}  // namespace ehcp::services
