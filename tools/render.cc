#include "tools/internal/render.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"

namespace ehcp::tools {
namespace {

namespace pb = ::google::protobuf;
using Kind = v1::EventPayload::KindCase;

// Display width of UTF-8 text, in code points.
size_t Width(absl::string_view text) {
  size_t n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

// One cell on one line: control characters become spaces.
std::string Clean(absl::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7F) c = ' ';
  }
  return out;
}

template <typename E>
std::string Words(E value, bool keep_underscores = false) {
  return EnumWords(pb::GetEnumDescriptor<E>(), static_cast<int>(value),
                   keep_underscores);
}

// "placement X (phase)", "placement X", "(phase)" or "".
std::string PlacementWords(const std::string& placement,
                           v1::EducationPhase phase) {
  std::string out;
  if (!placement.empty()) out = absl::StrCat("placement ", placement);
  if (phase != v1::EDUCATION_PHASE_UNSPECIFIED) {
    absl::StrAppend(&out, out.empty() ? "" : " ", "(", Words(phase), ")");
  }
  return out;
}

std::string PayloadDetails(const v1::EventPayload& p) {
  switch (p.kind_case()) {
    case Kind::kCaseOpened: {
      const v1::CaseOpened& o = p.case_opened();
      std::string s = absl::StrCat(o.la_code(), " ", o.case_reference());
      if (!o.birth_month().empty()) {
        absl::StrAppend(&s, ", born ", o.birth_month());
      }
      return s;
    }
    case Kind::kRequestReceived:
      return absl::StrCat("from ", Words(p.request_received().source()));
    case Kind::kBecameResponsible:
      if (p.became_responsible().previous_la_code().empty()) return "";
      return absl::StrCat("previously ",
                          p.became_responsible().previous_la_code());
    case Kind::kAssessmentDecision:
      return Words(p.assessment_decision().outcome());
    case Kind::kAdviceRequested:
      return absl::StrCat(p.advice_requested().advice_id(), " from ",
                          Words(p.advice_requested().body()));
    case Kind::kAdviceReceived:
      return p.advice_received().advice_id();
    case Kind::kExceptionRecorded: {
      const v1::ExceptionRecorded& e = p.exception_recorded();
      std::string s = absl::StrCat(Words(e.limb(), true), " for ",
                                   absl::StrJoin(e.clocks(), ", "));
      if (!e.reason().empty()) absl::StrAppend(&s, ": ", e.reason());
      return s;
    }
    case Kind::kFinalPlanIssued:
      return PlacementWords(p.final_plan_issued().placement(),
                            p.final_plan_issued().phase());
    case Kind::kReviewMeetingHeld:
      return p.review_meeting_held().adulthood_considered()
                 ? "adulthood considered"
                 : "adulthood not considered";
    case Kind::kReviewDecision:
      return Words(p.review_decision().outcome());
    case Kind::kAmendedPlanIssued:
      return PlacementWords(p.amended_plan_issued().placement(),
                            p.amended_plan_issued().phase());
    case Kind::kPhaseTransferIdentified:
      return absl::StrCat(Words(p.phase_transfer_identified().kind(), true),
                          ", ", p.phase_transfer_identified().transfer_year());
    case Kind::kPlanTransferredIn:
      return absl::StrCat("from ", p.plan_transferred_in().from_la_code());
    case Kind::kPlanTransferredOut:
      return absl::StrCat("to ", p.plan_transferred_out().to_la_code());
    case Kind::kMediationRequested:
      return absl::StrCat("about ", Words(p.mediation_requested().subject()));
    case Kind::kMediationConcluded:
      return Words(p.mediation_concluded().outcome());
    case Kind::kAppealRegistered:
      return absl::StrCat(p.appeal_registered().appeal_id(), " about ",
                          Words(p.appeal_registered().subject()));
    case Kind::kAppealConcluded:
      return absl::StrCat(p.appeal_concluded().appeal_id(), " ",
                          Words(p.appeal_concluded().outcome()));
    case Kind::kTribunalOrderMade: {
      const v1::TribunalOrderMade& o = p.tribunal_order_made();
      std::string s = absl::StrCat(o.order_id(), " ", Words(o.kind(), true));
      if (o.conceded()) absl::StrAppend(&s, ", conceded");
      if (!o.appeal_id().empty())
        absl::StrAppend(&s, ", appeal ", o.appeal_id());
      return s;
    }
    case Kind::kPlanCeased: {
      std::string s = Words(p.plan_ceased().reason());
      if (!p.plan_ceased().detail().empty()) {
        absl::StrAppend(&s, ": ", p.plan_ceased().detail());
      }
      return s;
    }
    case Kind::kEventVoided: {
      std::string s =
          absl::StrCat("voids ", p.event_voided().target_event_id());
      if (!p.event_voided().reason().empty()) {
        absl::StrAppend(&s, ": ", p.event_voided().reason());
      }
      return s;
    }
    case Kind::kDecisionNotToIssue:
    case Kind::kDraftPlanServed:
    case Kind::kRepresentationsWaived:
    case Kind::kReassessmentDecided:
    case Kind::kReviewReportSent:
    case Kind::kAmendmentsProposed:
    case Kind::kDecisionNotToAmend:
    case Kind::kTransferNoticeSent:
    case Kind::kMediationArranged:
    case Kind::kTransferredToAdultServices:
    case Kind::KIND_NOT_SET:
      return "";
  }
  return "";
}

// The seed councils' names, for readability; other codes print alone.
absl::string_view CouncilName(absl::string_view la_code) {
  static constexpr std::pair<absl::string_view, absl::string_view> kNames[] = {
      {"E06000035", "Medway"},
      {"E10000016", "Kent"},
      {"E10000012", "Essex"},
      {"E06000033", "Southend-on-Sea"},
      {"E10000003", "Cambridgeshire"}};
  for (const auto& [code, name] : kNames) {
    if (code == la_code) return name;
  }
  return "";
}

std::string OrDash(absl::string_view s) {
  return s.empty() ? std::string("-") : std::string(s);
}

// "label  value" lines, the values aligned.
std::string LabelLines(
    const std::vector<std::pair<std::string, std::string>>& rows) {
  size_t width = 0;
  for (const auto& [label, value] : rows) width = std::max(width, label.size());
  std::string out;
  for (const auto& [label, value] : rows) {
    absl::StrAppend(&out, label, std::string(width - label.size() + 2, ' '),
                    Clean(value), "\n");
  }
  return out;
}

// "7 of 12 (58.3%)"; without the percentage when ehcpd gives none (no
// cohort).
std::string ProportionWords(const v1::Proportion& p) {
  std::string out = absl::StrCat(p.numerator(), " of ", p.denominator());
  if (!p.percent().empty()) absl::StrAppend(&out, " (", p.percent(), "%)");
  return out;
}

// Indents every line of `text` but the first by `spaces`.
std::string IndentFollowingLines(absl::string_view text, int spaces) {
  return absl::StrReplaceAll(
      absl::StripTrailingAsciiWhitespace(text),
      {{"\n", absl::StrCat("\n", std::string(spaces, ' '))}});
}

}  // namespace

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  for (std::string& c : cells) c = Clean(c);
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> widths(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) widths[i] = Width(headers_[i]);
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], Width(row[i]));
    }
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) l += "  ";
      l += cells[i];
      if (i + 1 < cells.size()) l.append(widths[i] - Width(cells[i]), ' ');
    }
    // The last column may be empty: no trailing spaces.
    l.erase(l.find_last_not_of(' ') + 1);
    absl::StrAppend(&out, l, "\n");
  };
  line(headers_);
  // The rule under the last column stops at kMaxLastRule: that column
  // holds free text (details) that may run long.
  constexpr size_t kMaxLastRule = 40;
  std::vector<std::string> rule;
  for (size_t i = 0; i < widths.size(); ++i) {
    size_t w = widths[i];
    if (i + 1 == widths.size()) {
      w = std::min(w, std::max(kMaxLastRule, Width(headers_[i])));
    }
    rule.push_back(std::string(w, '-'));
  }
  line(rule);
  for (const auto& row : rows_) line(row);
  return out;
}

std::string EnumWords(const pb::EnumDescriptor* type, int value,
                      bool keep_underscores) {
  const pb::EnumValueDescriptor* v = type->FindValueByNumber(value);
  if (v == nullptr) return absl::StrCat("unknown (", value, ")");
  absl::string_view name = v->name();
  const pb::EnumValueDescriptor* zero = type->FindValueByNumber(0);
  if (zero != nullptr && absl::EndsWith(zero->name(), "UNSPECIFIED")) {
    const absl::string_view zero_name = zero->name();
    absl::ConsumePrefix(
        &name, zero_name.substr(0, zero_name.size() - strlen("UNSPECIFIED")));
  }
  std::string words = absl::AsciiStrToLower(name);
  if (!keep_underscores) std::replace(words.begin(), words.end(), '_', ' ');
  return words;
}

std::string EventKindWords(const v1::EventPayload& payload) {
  const pb::FieldDescriptor* field =
      payload.GetReflection()->GetOneofFieldDescriptor(
          payload, payload.GetDescriptor()->FindOneofByName("kind"));
  if (field == nullptr) return "no payload";
  std::string words = field->name();
  std::replace(words.begin(), words.end(), '_', ' ');
  return words;
}

std::string EventDetails(const v1::Event& event) {
  std::string details = PayloadDetails(event.payload());
  if (event.supersedes_event_id().empty()) return details;
  return absl::StrCat("supersedes ", event.supersedes_event_id(),
                      details.empty() ? "" : "; ", details);
}

std::string FormatTimestamp(const pb::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%SZ",
                          absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

std::string EventsTable(absl::Span<const v1::Event> events) {
  Table table({"VER", "POS", "OCCURRED", "RECORDED", "EVENT", "DETAILS"});
  for (const v1::Event& e : events) {
    table.AddRow({absl::StrCat(e.case_version()),
                  absl::StrCat(e.global_position()), e.occurred_on(),
                  FormatTimestamp(e.recorded_at()), EventKindWords(e.payload()),
                  EventDetails(e)});
  }
  return table.Render();
}

std::string CaseStateText(const v1::CaseState& s) {
  std::vector<std::pair<std::string, std::string>> rows;
  rows.emplace_back("case", s.case_id());
  const absl::string_view council = CouncilName(s.la_code());
  rows.emplace_back("council", council.empty() ? s.la_code()
                                               : absl::StrCat(s.la_code(), " (",
                                                              council, ")"));
  rows.emplace_back("reference", s.case_reference());
  rows.emplace_back("birth month", OrDash(s.birth_month()));
  rows.emplace_back("version", absl::StrCat(s.case_version()));
  rows.emplace_back("stage", EnumWords(v1::CaseStage_descriptor(), s.stage()));
  std::string plan = s.plan_in_force() ? "in force" : "none in force";
  if (s.plan_in_force() && !s.placement().empty()) {
    absl::StrAppend(&plan, ", placement ", s.placement());
  }
  rows.emplace_back("plan", plan);
  rows.emplace_back(
      "notices to",
      s.notices_to() == v1::NOTICE_RECIPIENT_UNSPECIFIED
          ? std::string("unknown (no birth month)")
          : EnumWords(v1::NoticeRecipient_descriptor(), s.notices_to()));
  rows.emplace_back("latest request", OrDash(s.latest_request_on()));
  rows.emplace_back("decision to assess", OrDash(s.assessment_decision_on()));
  rows.emplace_back("draft plan", OrDash(s.draft_served_on()));
  rows.emplace_back("final plan", OrDash(s.plan_issued_on()));
  rows.emplace_back("last amended", OrDash(s.last_amended_on()));
  rows.emplace_back(
      "last review",
      s.last_review_on().empty()
          ? std::string("-")
          : absl::StrCat(
                s.last_review_on(), " (", s.review_meetings(),
                s.review_meetings() == 1 ? " meeting)" : " meetings)"));
  rows.emplace_back("ended", OrDash(s.ended_on()));
  rows.emplace_back("open advice",
                    s.open_advice_ids().empty()
                        ? std::string("-")
                        : absl::StrJoin(s.open_advice_ids(), ", "));
  rows.emplace_back("voided events", absl::StrCat(s.voided_events()));
  return LabelLines(rows);
}

std::string TailLine(const v1::Event& e) {
  std::string details = EventDetails(e);
  return Clean(absl::StrFormat("%6d  %s  %s v%d  %s%s%s", e.global_position(),
                               e.occurred_on(), e.case_id(), e.case_version(),
                               EventKindWords(e.payload()),
                               details.empty() ? "" : "  ", details));
}

std::string AlertKindName(v1::AlertKind kind) {
  if (!v1::AlertKind_IsValid(kind) || kind == v1::ALERT_KIND_UNSPECIFIED) {
    return absl::StrCat("unknown (", static_cast<int>(kind), ")");
  }
  absl::string_view name = v1::AlertKind_Name(kind);
  absl::ConsumePrefix(&name, "ALERT_KIND_");
  return std::string(name);
}

std::string AlertLine(const v1::Alert& a) {
  auto days = [](int n, absl::string_view what) {
    return absl::StrCat(n, n == 1 ? " day " : " days ", what);
  };
  std::string when;
  switch (a.kind()) {
    case v1::ALERT_KIND_DUE_SOON:
      when = a.days_remaining() == 0 ? "due today"
                                     : days(a.days_remaining(), "left");
      break;
    case v1::ALERT_KIND_BREACHED:
    case v1::ALERT_KIND_RESOLVED:
      when = days(a.days_late(), "late");
      break;
    default:
      when = "-";
  }
  return Clean(absl::StrFormat(
      "#%d  %s  %-9s  %s  %s  %s#%s  due %s  %s  %s", a.sequence(), a.day(),
      AlertKindName(a.kind()), a.la_code(),
      a.case_reference().empty() ? "-" : a.case_reference(), a.clock_id(),
      a.instance(), a.due().empty() ? "-" : a.due(), when, a.case_id()));
}

std::string AppendText(const v1::AppendEventsResponse& r) {
  std::string out;
  const int n = r.events_size();
  if (r.replayed()) {
    absl::StrAppend(&out,
                    "replayed: this idempotency key was used before; "
                    "nothing written. The first call appended:\n");
  } else {
    absl::StrAppend(&out, "appended ", n, n == 1 ? " event" : " events", "\n");
  }
  for (const v1::Event& e : r.events()) {
    absl::StrAppend(&out, "  v", e.case_version(), "  position ",
                    e.global_position(), "  ", e.occurred_on(), "  ",
                    EventKindWords(e.payload()), "\n");
  }
  const std::string case_id =
      r.events().empty() ? std::string("the case") : r.events(0).case_id();
  absl::StrAppend(&out, case_id, " is at version ", r.case_version(),
                  "; log position ", r.global_position(), "\n");
  return out;
}

std::string ClockStatusName(v1::ClockStatus status) {
  if (status == v1::CLOCK_STATUS_UNSPECIFIED) return "unspecified";
  const pb::EnumValueDescriptor* v =
      v1::ClockStatus_descriptor()->FindValueByNumber(status);
  if (v == nullptr)
    return absl::StrCat("unknown (", static_cast<int>(status), ")");
  absl::string_view name = v->name();
  absl::ConsumePrefix(&name, "CLOCK_STATUS_");
  return std::string(name);
}

std::string ClockDays(const v1::Clock& clock) {
  switch (clock.status()) {
    case v1::CLOCK_STATUS_BREACHED:
    case v1::CLOCK_STATUS_OVERDUE:
    case v1::CLOCK_STATUS_EXCUSED:
      return absl::StrCat(clock.days_late());
    case v1::CLOCK_STATUS_PENDING:
      if (clock.due_on().empty()) return "-";
      if (clock.days_remaining() > 0) {
        return absl::StrCat("in ", clock.days_remaining());
      }
      if (clock.days_remaining() == 0) return "today";
      return absl::StrCat(-static_cast<int64_t>(clock.days_remaining()),
                          " ago");
    default:
      return "-";
  }
}

std::string CouncilWords(absl::string_view la_code) {
  if (la_code.empty()) return "all councils";
  const absl::string_view name = CouncilName(la_code);
  if (name.empty()) return std::string(la_code);
  return absl::StrCat(la_code, " (", name, ")");
}

std::string CaseClocksText(absl::string_view case_id,
                           const v1::GetCaseClocksResponse& r,
                           const pb::Timestamp& as_known_at) {
  std::string out = absl::StrCat("Clocks of ", case_id, " as of ", r.as_of(),
                                 " (case version ", r.case_version());
  if (as_known_at.seconds() != 0 || as_known_at.nanos() != 0) {
    absl::StrAppend(&out, ", as known at ", FormatTimestamp(as_known_at));
  }
  absl::StrAppend(&out, "):\n");
  if (r.clocks().empty()) return absl::StrCat(out, "no clocks\n");
  Table table({"CLOCK", "INSTANCE", "TRIGGER", "DUE", "STOP", "STATUS", "DAYS",
               "EXCUSED BY"});
  for (const v1::Clock& c : r.clocks()) {
    table.AddRow({c.clock_id(), OrDash(c.instance()), OrDash(c.trigger_on()),
                  OrDash(c.due_on()), OrDash(c.stop_on()),
                  ClockStatusName(c.status()), ClockDays(c),
                  c.excused_by_limb()});
  }
  return absl::StrCat(out, table.Render());
}

std::string ReplayHeaderText(const v1::ReplayHeader& h) {
  std::string out =
      absl::StrCat("Replay of ", h.case_id(), ", ", CouncilWords(h.la_code()),
                   ", as of ", h.as_of());
  if (h.has_as_known_at()) {
    absl::StrAppend(&out, ", as known at ", FormatTimestamp(h.as_known_at()));
  }
  absl::StrAppend(&out, " (case version ", h.case_version(), "):\n",
                  h.entries(), h.entries() == 1 ? " entry" : " entries");
  std::vector<std::string> left_out;
  if (h.recorded_later() > 0) {
    left_out.push_back(absl::StrCat(
        h.recorded_later(), h.recorded_later() == 1 ? " event" : " events",
        " recorded later"));
  }
  if (h.after_as_of() > 0) {
    left_out.push_back(absl::StrCat(h.after_as_of(),
                                    h.after_as_of() == 1 ? " event" : " events",
                                    " that occurred after ", h.as_of()));
  }
  absl::StrAppend(&out,
                  left_out.empty() ? "; nothing left out" : "; left out: ",
                  absl::StrJoin(left_out, ", "), "\n");
  return out;
}

namespace {

// "same day", "1 day later", "12 days later", "3 days earlier".
std::string LagWords(int days) {
  if (days == 0) return "same day";
  const int n = days < 0 ? -days : days;
  return absl::StrCat(n, n == 1 ? " day " : " days ",
                      days < 0 ? "earlier" : "later");
}

// "final plan issued: placement ..." for an event.
std::string KindAndDetails(const v1::Event& e) {
  const std::string details = EventDetails(e);
  return details.empty()
             ? EventKindWords(e.payload())
             : absl::StrCat(EventKindWords(e.payload()), ": ", details);
}

// "BREACHED (stopped 2024-03-01, 11 days late)", "PENDING (due
// 2024-02-19)", "EXCUSED by reg10_4_c".
std::string ClockStateWords(const v1::Clock& c) {
  std::string out = ClockStatusName(c.status());
  std::vector<std::string> parts;
  if (!c.stop_on().empty()) parts.push_back("stopped " + c.stop_on());
  if (!c.due_on().empty() && c.stop_on().empty()) {
    parts.push_back("due " + c.due_on());
  }
  if (c.days_late() > 0) {
    parts.push_back(absl::StrCat(
        c.days_late(), c.days_late() == 1 ? " day late" : " days late"));
  }
  if (!c.excused_by_limb().empty()) {
    parts.push_back("excused by " + c.excused_by_limb());
  }
  if (!parts.empty())
    absl::StrAppend(&out, " (", absl::StrJoin(parts, ", "), ")");
  return out;
}

bool SameState(const v1::Clock& a, const v1::Clock& b) {
  return a.status() == b.status() && a.stop_on() == b.stop_on() &&
         a.due_on() == b.due_on() && a.excused_by_limb() == b.excused_by_limb();
}

}  // namespace

std::string ReplayEntryText(const v1::ReplayEntry& entry,
                            const pb::RepeatedPtrField<v1::Clock>& previous) {
  const v1::Event& e = entry.event();
  std::string out = absl::StrCat(
      "#", entry.step(), "  ", e.occurred_on(), "  ", KindAndDetails(e),
      "  (recorded ", FormatTimestamp(e.recorded_at()).substr(0, 10), ", ",
      LagWords(entry.recording_lag_days()), "; v", e.case_version(), ")\n");
  if (entry.has_corrects()) {
    const v1::Event& t = entry.corrects();
    absl::StrAppend(
        &out, "    ",
        entry.kind() == v1::REPLAY_ENTRY_KIND_VOID ? "voids" : "supersedes",
        " v", t.case_version(), " ", t.occurred_on(), " ", KindAndDetails(t),
        " (recorded ", FormatTimestamp(t.recorded_at()).substr(0, 10), ")\n");
  }
  if (entry.kind() == v1::REPLAY_ENTRY_KIND_REMOVED) {
    absl::StrAppend(&out, "    removed: taken out by event ",
                    entry.removed_by_event_id(),
                    ", dated after the replay's date; it does not count\n");
  }
  auto key = [](const v1::Clock& c) {
    return absl::StrCat(c.clock_id(), " ", c.instance());
  };
  absl::flat_hash_map<std::string, const v1::Clock*> before;
  for (const v1::Clock& c : previous) before.emplace(key(c), &c);
  absl::flat_hash_set<std::string> now;
  for (const v1::Clock& c : entry.clocks()) {
    now.insert(key(c));
    auto it = before.find(key(c));
    if (it == before.end()) {
      absl::StrAppend(&out, "    + ", key(c), ": ", ClockStateWords(c), "\n");
    } else if (!SameState(*it->second, c)) {
      absl::StrAppend(&out, "    ", key(c), ": ",
                      ClockStatusName(it->second->status()), " -> ",
                      ClockStateWords(c), "\n");
    }
  }
  for (const v1::Clock& c : previous) {
    if (!now.contains(key(c))) absl::StrAppend(&out, "    - ", key(c), "\n");
  }
  return out;
}

std::string BreachesTable(const pb::RepeatedPtrField<v1::Clock>& clocks) {
  if (clocks.empty()) return "";
  Table table({"CASE", "REF", "LA", "CLOCK", "INSTANCE", "DUE", "STOP",
               "STATUS", "DAYS LATE"});
  for (const v1::Clock& c : clocks) {
    table.AddRow({c.case_id(), OrDash(c.case_reference()), c.la_code(),
                  c.clock_id(), OrDash(c.instance()), OrDash(c.due_on()),
                  OrDash(c.stop_on()), ClockStatusName(c.status()),
                  ClockDays(c)});
  }
  return table.Render();
}

std::string StageWords(v1::CaseStage stage) { return Words(stage); }

std::string CasesTable(const pb::RepeatedPtrField<v1::CaseSummary>& cases) {
  if (cases.empty()) return "";
  Table table({"CASE", "REF", "LA", "STAGE"});
  for (const v1::CaseSummary& c : cases) {
    table.AddRow({c.case_id(), OrDash(c.case_reference()), c.la_code(),
                  StageWords(c.stage())});
  }
  return table.Render();
}

std::string DeadlinesText(const v1::ListDeadlinesResponse& r,
                          absl::string_view la_code) {
  std::string out =
      absl::StrCat("Open deadlines due ", r.due_from(), " to ", r.due_to(),
                   ", as of ", r.as_of(), ", ", CouncilWords(la_code), ":\n");
  if (r.clocks().empty()) return absl::StrCat(out, "nothing due\n");
  Table table(
      {"CASE", "REF", "LA", "CLOCK", "INSTANCE", "DUE", "STATUS", "DAYS"});
  for (const v1::Clock& c : r.clocks()) {
    table.AddRow({c.case_id(), OrDash(c.case_reference()), c.la_code(),
                  c.clock_id(), OrDash(c.instance()), OrDash(c.due_on()),
                  ClockStatusName(c.status()), ClockDays(c)});
  }
  return absl::StrCat(out, table.Render());
}

std::string BacklogText(const v1::GetReviewBacklogResponse& r, bool cases) {
  std::string out = absl::StrCat("Review backlog as of ", r.as_of(), ", ",
                                 CouncilWords(r.la_code()), ":\n");
  // The buckets' names, in the order the clocks give them.
  std::vector<std::string> buckets;
  for (const v1::ClockBacklog& c : r.clocks()) {
    for (const v1::BacklogBucket& b : c.buckets()) {
      if (std::find(buckets.begin(), buckets.end(), b.bucket()) ==
          buckets.end()) {
        buckets.push_back(b.bucket());
      }
    }
  }
  std::vector<std::string> headers = {"CLOCK"};
  headers.insert(headers.end(), buckets.begin(), buckets.end());
  headers.push_back("TOTAL");
  Table table(headers);
  for (const v1::ClockBacklog& c : r.clocks()) {
    std::vector<std::string> row = {c.clock_id()};
    for (const std::string& name : buckets) {
      int count = 0;
      for (const v1::BacklogBucket& b : c.buckets()) {
        if (b.bucket() == name) count += b.count();
      }
      row.push_back(absl::StrCat(count));
    }
    row.push_back(absl::StrCat(c.total()));
    table.AddRow(std::move(row));
  }
  absl::StrAppend(&out, table.Render());
  if (!cases) return out;
  for (const v1::ClockBacklog& c : r.clocks()) {
    Table entries({"BUCKET", "CASE", "REF", "LA", "INSTANCE", "DUE",
                   "DAYS OVERDUE", "EXCUSED"});
    for (const v1::BacklogBucket& b : c.buckets()) {
      for (const v1::BacklogEntry& e : b.entries()) {
        entries.AddRow({b.bucket(), e.case_id(), OrDash(e.case_reference()),
                        e.la_code(), OrDash(e.instance()), OrDash(e.due_on()),
                        absl::StrCat(e.days_overdue()),
                        e.excused() ? "yes" : ""});
      }
    }
    if (entries.rows() == 0) continue;
    absl::StrAppend(&out, "\n", c.clock_id(), ": ", c.total(), " overdue\n",
                    entries.Render());
  }
  return out;
}

std::string TimelinessText(const v1::GetTimelinessResponse& r) {
  std::string out = absl::StrCat("SEN2 timeliness ", r.year(), ", ",
                                 CouncilWords(r.la_code()), ":\n");
  return absl::StrCat(
      out, LabelLines({
               {"plans issued",
                absl::StrCat(r.including_exceptions().denominator())},
               {"within 20 weeks, including exceptions",
                ProportionWords(r.including_exceptions())},
               {"within 20 weeks, excluding exceptions",
                ProportionWords(r.excluding_exceptions())},
               {"plans with a 20-week exception",
                absl::StrCat(r.plans_with_exception())},
               {"mean weeks, request to plan", OrDash(r.mean_weeks())},
               {"over 52 weeks", absl::StrCat(r.over_52_weeks())},
               {"6-week decisions, including exceptions",
                ProportionWords(r.decisions_including_exceptions())},
               {"6-week decisions, excluding exceptions",
                ProportionWords(r.decisions_excluding_exceptions())},
           }));
}

std::string ProjectionStatusText(const v1::GetProjectionStatusResponse& r) {
  return LabelLines({
      {"checkpoint", absl::StrCat(r.checkpoint())},
      {"head", absl::StrCat(r.head_position())},
      {"lag", r.lag() == 0
                  ? std::string("0 (up to date)")
                  : absl::StrCat(r.lag(), r.lag() == 1 ? " event" : " events")},
      {"indexed cases", absl::StrCat(r.indexed_cases())},
      {"rebuild", r.rebuild().running() ? RebuildProgressText(r.rebuild())
                                        : std::string("none running")},
      {"health", r.healthy() ? std::string("healthy")
                             : absl::StrCat("NOT HEALTHY: ", r.problem())},
      {"log chain", LogVerificationText(r.log_verification())},
      {"appends", r.log_write_problem().empty()
                      ? std::string("written")
                      : absl::StrCat("REFUSED: ", r.log_write_problem())},
  });
}

std::string LogVerificationText(const v1::LogVerification& v) {
  if (v.done() && v.intact()) {
    return absl::StrCat("intact (verified 1-", v.verified_to(),
                        " since start)");
  }
  if (v.done()) {
    return absl::StrCat("NOT INTACT at position ", v.first_bad_position(), ": ",
                        v.problem());
  }
  if (v.running()) {
    return absl::StrCat("verifying since start: ", v.verified_to(), " of ",
                        v.target());
  }
  return v.problem().empty() ? std::string("not verified")
                             : absl::StrCat("not verified (", v.problem(), ")");
}

std::string VerifyProgressText(const v1::VerifyLogResponse& p) {
  std::string text = absl::StrCat("verifying: ", p.verified_to(), " of ",
                                  p.to_position(), " records");
  if (p.to_position() > 0) {
    absl::StrAppend(
        &text, absl::StrFormat(" (%.0f%%)",
                               100.0 * static_cast<double>(p.verified_to()) /
                                   static_cast<double>(p.to_position())));
  }
  if (p.records_per_second() > 0) {
    absl::StrAppend(
        &text, absl::StrFormat(", %.0f records/s", p.records_per_second()));
  }
  return text;
}

std::string VerifyVerdictText(const v1::VerifyLogResponse& v,
                              const std::string& against) {
  if (!v.intact()) {
    return absl::StrCat("NOT INTACT: position ", v.first_bad_position(), ": ",
                        v.problem(), "\n");
  }
  std::string text = v.verified_to() == 0
                         ? std::string("intact: the log is empty\n")
                         : absl::StrCat(
                               "intact: the hash chain holds (checked up to "
                               "position ",
                               v.verified_to(), ")\n");
  if (!against.empty()) {
    absl::StrAppend(&text, "the log at digest ", against,
                    " is an unaltered prefix of today's\n");
  }
  return text;
}

std::string RebuildProgressText(const v1::RebuildProgress& p) {
  std::string text = absl::StrCat(p.phase(), ": ", p.events_read(), " of ",
                                  p.target(), " events");
  if (p.target() > 0) {
    absl::StrAppend(
        &text, absl::StrFormat(" (%.0f%%)",
                               100.0 * static_cast<double>(p.events_read()) /
                                   static_cast<double>(p.target())));
  }
  if (p.events_per_second() > 0) {
    absl::StrAppend(&text,
                    absl::StrFormat(", %.0f events/s", p.events_per_second()));
  }
  if (p.eta_seconds() > 0) {
    absl::StrAppend(&text, ", about ", p.eta_seconds(), " s left");
  }
  return text;
}

std::string RebuildText(const v1::RebuildProjectionsResponse& r) {
  return absl::StrCat("rebuilt the clock index: read ", r.events_read(),
                      r.events_read() == 1 ? " event" : " events", ", indexed ",
                      r.indexed_cases(),
                      r.indexed_cases() == 1 ? " case" : " cases",
                      "; checkpoint at log position ", r.checkpoint(), "\n");
}

absl::StatusOr<std::string> ToJson(const pb::Message& message, bool pretty) {
  pb::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  std::string out;
  pb::util::Status s = pb::util::MessageToJsonString(message, &out, options);
  if (!s.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print ", message.GetTypeName(),
                     " as JSON: ", std::string(s.message())));
  }
  if (pretty && (out.empty() || out.back() != '\n')) out += '\n';
  return out;
}

absl::StatusOr<std::string> ShowJson(absl::Span<const v1::Event> events,
                                     const v1::CaseState& state) {
  // Indented one space per level, as protobuf indents the messages.
  std::string out = "{\n \"events\": [";
  for (size_t i = 0; i < events.size(); ++i) {
    absl::StatusOr<std::string> e = ToJson(events[i], /*pretty=*/true);
    if (!e.ok()) return e.status();
    absl::StrAppend(&out, i == 0 ? "\n  " : ",\n  ",
                    IndentFollowingLines(*e, 2));
  }
  absl::StatusOr<std::string> s = ToJson(state, /*pretty=*/true);
  if (!s.ok()) return s.status();
  absl::StrAppend(&out, events.empty() ? "" : "\n ",
                  "],\n \"state\": ", IndentFollowingLines(*s, 1), "\n}\n");
  return out;
}

}  // namespace ehcp::tools
