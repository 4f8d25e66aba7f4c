#include "tests/projections/test_util.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "domain/case_state.h"
#include "domain/dates.h"
#include "domain/rules.h"
#include "domain/validation.h"
#include "gtest/gtest.h"
#include "cases/event_codec.h"
#include "rocksdb/db.h"

namespace ehcp::projections::testing {
namespace {

using domain::ClockRow;
using domain::ClockStatus;

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return c >= '0' && c <= '9'; });
}

// The documented order of ListBreaches, written independently of the
// library's: days late descending, case id, catalogue order, instance
// (numeric when both are numbers), then the domain's row order.
struct Keyed {
  Breach breach;
  int dup = 0;
};
bool ListedBefore(const Keyed& a, const Keyed& b) {
  if (a.breach.row.days_late != b.breach.row.days_late) {
    return a.breach.row.days_late > b.breach.row.days_late;
  }
  if (a.breach.case_id != b.breach.case_id) {
    return a.breach.case_id < b.breach.case_id;
  }
  const int ca = domain::CatalogueIndex(a.breach.row.clock_id);
  const int cb = domain::CatalogueIndex(b.breach.row.clock_id);
  if (ca != cb) return ca < cb;
  const std::string& ia = a.breach.row.instance;
  const std::string& ib = b.breach.row.instance;
  if (ia != ib) {
    if (AllDigits(ia) && AllDigits(ib) && ia.size() != ib.size()) {
      return ia.size() < ib.size();
    }
    return ia < ib;
  }
  return a.dup < b.dup;
}

std::string EventId(uint64_t case_number, uint64_t n) {
  return absl::StrFormat("%016x%016x", case_number, n);
}

}  // namespace

ScopedTempDir::ScopedTempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "ehcp-proj-XXXXXX").string();
  char* made = mkdtemp(pattern.data());
  EXPECT_NE(made, nullptr);
  path_ = pattern;
}

ScopedTempDir::~ScopedTempDir() {
  std::error_code error;
  std::filesystem::remove_all(path_, error);
}

absl::CivilDay Day(const char* text) {
  absl::StatusOr<absl::CivilDay> day = domain::ParseDate(text);
  EXPECT_TRUE(day.ok()) << text;
  return day.ok() ? *day : absl::CivilDay();
}

v1::Event MakeEvent(const std::string& case_id, uint64_t n,
                    const std::string& occurred_on,
                    const v1::EventPayload& payload) {
  v1::Event event;
  event.set_event_id(
      EventId(std::hash<std::string>()(case_id) & 0xffffffffffff, n));
  event.set_case_id(case_id);
  event.set_occurred_on(occurred_on);
  cases::SetTimestampMicros(absl::ToUnixMicros(absl::Now()),
                     event.mutable_recorded_at());
  event.set_recorded_by("test");
  *event.mutable_payload() = payload;
  return event;
}

CaseWriter::CaseWriter(storage::EventLog* log, std::string case_id)
    : log_(log), case_id_(std::move(case_id)) {}

uint64_t CaseWriter::Open(const std::string& occurred_on,
                          const std::string& la_code,
                          const std::string& birth_month) {
  v1::EventPayload payload;
  payload.mutable_case_opened()->set_la_code(la_code);
  payload.mutable_case_opened()->set_case_reference("REF-" + case_id_);
  payload.mutable_case_opened()->set_birth_month(birth_month);
  return Append(occurred_on, payload);
}

uint64_t CaseWriter::Append(const std::string& occurred_on,
                            const v1::EventPayload& payload,
                            std::string* event_id,
                            const std::string& supersedes) {
  v1::Event event = MakeEvent(case_id_, next_++, occurred_on, payload);
  event.set_supersedes_event_id(supersedes);
  if (event_id != nullptr) *event_id = event.event_id();
  return AppendEvents({event});
}

uint64_t CaseWriter::AppendEvents(const std::vector<v1::Event>& events) {
  storage::AppendRequest request;
  request.stream_id = case_id_;
  request.expected = storage::ExpectedVersion::Exact(version_);
  for (const v1::Event& e : events) {
    v1::Event stamped = e;
    stamped.set_case_version(static_cast<int64_t>(++version_));
    request.records.push_back(cases::EncodeEvent(stamped));
  }
  absl::StatusOr<storage::AppendResult> result =
      log_->Append(std::move(request));
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? result->last_position : 0;
}

// ---------------------------------------------------------------------------
// The journey generator.

JourneyGenerator::JourneyGenerator(uint64_t seed,
                                   std::vector<std::string> la_codes)
    : rng_(seed), la_codes_(std::move(la_codes)) {}

GeneratedCase JourneyGenerator::Generate(int case_number) {
  GeneratedCase c;
  c.la_code = la_codes_[static_cast<size_t>(
      Uniform(0, static_cast<int>(la_codes_.size()) - 1))];
  c.case_id = absl::StrFormat("%s-%06d", c.la_code, case_number);
  const absl::CivilDay last_day(2026, 12, 31);

  struct Fact {
    absl::CivilDay on;
    v1::EventPayload payload;
  };
  std::vector<Fact> facts;
  auto emit = [&](absl::CivilDay on) -> v1::EventPayload* {
    if (on > last_day) return nullptr;
    facts.push_back({on, {}});
    return &facts.back().payload;
  };

  absl::CivilDay day = absl::CivilDay(2019, 1, 1) + Uniform(0, 2350);
  const absl::CivilDay start = day;
  std::string birth_month;
  if (Chance(0.7)) {
    birth_month = domain::FormatMonth(absl::CivilMonth(
        static_cast<int>(day.year()) - Uniform(3, 20), Uniform(1, 12)));
  }

  // The plan's phase: a plan arrives by a final plan or a transfer in.
  bool plan = false;
  if (Chance(0.08)) {
    if (auto* p = emit(day)) {
      p->mutable_plan_transferred_in()->set_from_la_code("E10000003");
      plan = true;
      day += Uniform(5, 70);
      if (Chance(0.8)) {
        if (auto* n = emit(day)) n->mutable_transfer_notice_sent();
      }
    }
  }

  // Assessment cycles until a plan (or give up).
  for (int cycle = 0; !plan && cycle < 3 && day <= last_day; ++cycle) {
    const absl::CivilDay request = day;
    v1::EventPayload* r = emit(request);
    if (r == nullptr) break;
    r->mutable_request_received()->set_source(v1::REQUEST_SOURCE_PARENT);
    if (Chance(0.12)) {
      if (auto* x = emit(request + Uniform(3, 60))) {
        x->mutable_exception_recorded()->set_limb(v1::EXCEPTION_LIMB_REG10_4_C);
        x->mutable_exception_recorded()->add_clocks("final_plan_20w");
        x->mutable_exception_recorded()->set_reason("family circumstances");
      }
    }
    if (Chance(0.05)) {
      if (auto* x = emit(request + Uniform(3, 30))) {
        x->mutable_exception_recorded()->set_limb(v1::EXCEPTION_LIMB_REG5_4_D);
        x->mutable_exception_recorded()->add_clocks("decision_to_assess");
        x->mutable_exception_recorded()->set_reason("away");
      }
    }
    day = request + Uniform(10, 75);  // 6-week decision, often late
    if (Chance(0.05)) break;          // never decided (overdue for ever)
    const bool assess = Chance(0.8);
    v1::EventPayload* d = emit(day);
    if (d == nullptr) break;
    d->mutable_assessment_decision()->set_outcome(
        assess ? v1::ASSESSMENT_DECISION_OUTCOME_ASSESS
               : v1::ASSESSMENT_DECISION_OUTCOME_NOT_ASSESS);
    if (!assess) {
      if (!Chance(0.4)) break;
      day += Uniform(30, 300);
      continue;
    }
    // Advice.
    const int advice = Uniform(1, 3);
    for (int a = 1; a <= advice; ++a) {
      // Advice ids are unique within the case (§8 Instances).
      const std::string id = absl::StrCat("A", cycle + 1, "x", a);
      const absl::CivilDay asked = day + Uniform(0, 14);
      v1::EventPayload* q = emit(asked);
      if (q == nullptr) continue;
      q->mutable_advice_requested()->set_advice_id(id);
      q->mutable_advice_requested()->set_body(
          static_cast<v1::AdviceBody>(Uniform(1, 5)));
      if (Chance(0.05)) {
        if (auto* x = emit(asked + Uniform(1, 30))) {
          x->mutable_exception_recorded()->set_limb(
              v1::EXCEPTION_LIMB_REG8_2_A);
          x->mutable_exception_recorded()->add_clocks("advice:" + id);
          x->mutable_exception_recorded()->set_reason("exceptional");
        }
      }
      if (Chance(0.9)) {
        if (auto* g = emit(asked + Uniform(15, 75))) {
          g->mutable_advice_received()->set_advice_id(id);
        }
      }
    }
    if (Chance(0.08)) {
      if (auto* n = emit(request + Uniform(80, 140))) {
        n->mutable_decision_not_to_issue();
      }
      if (!Chance(0.3)) break;
      day = request + Uniform(200, 400);
      continue;
    }
    if (Chance(0.04)) break;  // the assessment drags on, no plan yet
    const absl::CivilDay draft = request + Uniform(70, 210);
    v1::EventPayload* dr = emit(draft);
    if (dr == nullptr) break;
    dr->mutable_draft_plan_served();
    const absl::CivilDay final_on = draft + Uniform(5, 40);
    if (final_on <= draft + 14 && Chance(0.5)) {
      if (auto* w = emit(draft + Uniform(1, 5))) {
        w->mutable_representations_waived();
      }
    }
    v1::EventPayload* f = emit(final_on);
    if (f == nullptr) break;
    f->mutable_final_plan_issued()->set_placement("URN 100001");
    f->mutable_final_plan_issued()->set_phase(v1::EDUCATION_PHASE_PRIMARY);
    plan = true;
    day = final_on;
  }

  // Reviews while the plan lasts.
  for (int review = 0; plan && review < 5 && day <= last_day; ++review) {
    if (Chance(0.1)) {
      const absl::CivilDay identified = day + Uniform(10, 200);
      if (auto* p = emit(identified)) {
        auto* t = p->mutable_phase_transfer_identified();
        t->set_kind(static_cast<v1::PhaseTransferKind>(Uniform(1, 6)));
        t->set_transfer_year(static_cast<int>(identified.year()) + 1);
        if (Chance(0.6)) {
          if (auto* a = emit(absl::CivilDay(identified.year() + 1, 1, 15) +
                             Uniform(0, 70))) {
            a->mutable_amended_plan_issued()->set_placement("URN 100002");
          }
        }
      }
    }
    if (Chance(0.08)) break;  // reviews stop: the annual review goes overdue
    const absl::CivilDay meeting = day + Uniform(250, 430);
    v1::EventPayload* m = emit(meeting);
    if (m == nullptr) break;
    m->mutable_review_meeting_held()->set_adulthood_considered(Chance(0.7));
    if (Chance(0.75)) {
      if (auto* r = emit(meeting + Uniform(0, 30))) {
        r->mutable_review_report_sent();
      }
    }
    day = meeting;
    if (Chance(0.12)) continue;  // no decision: review_decision overdue
    const absl::CivilDay decided = meeting + Uniform(3, 50);
    v1::EventPayload* d = emit(decided);
    if (d == nullptr) break;
    const int outcome = Uniform(0, 99);
    if (outcome < 45) {
      d->mutable_review_decision()->set_outcome(v1::REVIEW_OUTCOME_MAINTAIN);
    } else if (outcome < 90) {
      d->mutable_review_decision()->set_outcome(v1::REVIEW_OUTCOME_AMEND);
      if (Chance(0.85)) {
        const absl::CivilDay proposed = decided + Uniform(0, 20);
        if (auto* p = emit(proposed)) {
          p->mutable_amendments_proposed();
          const int end = Uniform(0, 99);
          if (end < 70) {
            if (auto* a = emit(proposed + Uniform(10, 90))) {
              a->mutable_amended_plan_issued()->set_placement("URN 100003");
            }
          } else if (end < 80) {
            if (auto* n = emit(proposed + Uniform(10, 60))) {
              n->mutable_decision_not_to_amend();
            }
          }
        }
      }
    } else {
      d->mutable_review_decision()->set_outcome(v1::REVIEW_OUTCOME_CEASE);
      if (auto* p = emit(decided + Uniform(0, 30))) {
        p->mutable_plan_ceased()->set_reason(v1::CESSATION_REASON_NEEDS_MET);
      }
      plan = false;
    }
  }

  // Recording order: the case is opened first, then the facts roughly as
  // they happen (a stable sort by date).
  std::stable_sort(facts.begin(), facts.end(),
                   [](const Fact& a, const Fact& b) { return a.on < b.on; });
  uint64_t n = 0;
  auto add = [&](absl::CivilDay on, const v1::EventPayload& payload) {
    v1::Event e;
    e.set_event_id(EventId(static_cast<uint64_t>(case_number), ++n));
    e.set_case_id(c.case_id);
    e.set_occurred_on(domain::FormatDate(on));
    e.set_recorded_by("generator");
    *e.mutable_payload() = payload;
    c.events.push_back(std::move(e));
  };
  v1::EventPayload opened;
  opened.mutable_case_opened()->set_la_code(c.la_code);
  opened.mutable_case_opened()->set_case_reference(
      absl::StrCat("REF", case_number));
  opened.mutable_case_opened()->set_birth_month(birth_month);
  add(start - Uniform(0, 20), opened);
  for (const Fact& f : facts) add(f.on, f.payload);
  // Some facts recorded a little late: swap neighbours in recording order.
  for (size_t i = 2; i + 1 < c.events.size(); ++i) {
    if (Chance(0.08)) std::swap(c.events[i], c.events[i + 1]);
  }
  return c;
}

std::vector<v1::Event> JourneyGenerator::Corrections(GeneratedCase& c) {
  std::vector<v1::Event> out;
  if (c.events.size() < 3 || Chance(0.5)) return out;
  const uint64_t case_number = std::hash<std::string>()(c.case_id) & 0xffff;
  auto next_id = [&] {
    return EventId(0x80000000 + case_number, ++corrections_);
  };
  // Targets: journey events that are not voids and not yet voided.
  std::set<std::string> voided;
  for (const v1::Event& e : c.events) {
    if (e.payload().has_event_voided()) {
      voided.insert(e.payload().event_voided().target_event_id());
    }
    if (!e.supersedes_event_id().empty())
      voided.insert(e.supersedes_event_id());
  }
  auto pick = [&]() -> const v1::Event* {
    for (int tries = 0; tries < 10; ++tries) {
      const v1::Event& e = c.events[static_cast<size_t>(
          Uniform(1, static_cast<int>(c.events.size()) - 1))];
      if (!e.payload().has_event_voided() && !voided.contains(e.event_id())) {
        return &e;
      }
    }
    return nullptr;
  };
  const std::string last_on = c.events.back().occurred_on();
  const int kind = Uniform(0, 2);
  if (kind == 0) {
    if (const v1::Event* target = pick()) {
      v1::Event e;
      e.set_event_id(next_id());
      e.set_case_id(c.case_id);
      e.set_occurred_on(std::max(last_on, target->occurred_on()));
      e.mutable_payload()->mutable_event_voided()->set_target_event_id(
          target->event_id());
      e.mutable_payload()->mutable_event_voided()->set_reason(
          "entered in error");
      out.push_back(std::move(e));
    }
  } else if (kind == 1) {
    if (const v1::Event* target = pick()) {
      v1::Event e = *target;
      e.set_event_id(next_id());
      e.set_supersedes_event_id(target->event_id());
      e.set_occurred_on(domain::FormatDate(
          *domain::ParseDate(target->occurred_on()) + Uniform(-10, 10)));
      out.push_back(std::move(e));
    }
  } else {
    // A fact recorded late: an exception for the first 20-week clock, or a
    // review report for an early meeting, dated well before the last event.
    for (const v1::Event& e : c.events) {
      const absl::CivilDay on = *domain::ParseDate(e.occurred_on());
      if (e.payload().has_request_received()) {
        v1::Event x;
        x.set_event_id(next_id());
        x.set_case_id(c.case_id);
        x.set_occurred_on(domain::FormatDate(on + Uniform(1, 60)));
        auto* ex = x.mutable_payload()->mutable_exception_recorded();
        ex->set_limb(v1::EXCEPTION_LIMB_REG10_4_D);
        ex->add_clocks("final_plan_20w");
        ex->set_reason("recorded late");
        out.push_back(std::move(x));
        break;
      }
      if (e.payload().has_review_meeting_held()) {
        v1::Event x;
        x.set_event_id(next_id());
        x.set_case_id(c.case_id);
        x.set_occurred_on(domain::FormatDate(on + Uniform(0, 40)));
        x.mutable_payload()->mutable_review_report_sent();
        out.push_back(std::move(x));
        break;
      }
    }
  }
  for (const v1::Event& e : out) c.events.push_back(e);
  return out;
}

void AppendInterleaved(storage::EventLog* log,
                       const std::vector<GeneratedCase>& cases, uint64_t seed,
                       const std::function<void()>& between, int every) {
  std::mt19937_64 rng(seed);
  std::vector<size_t> cursor(cases.size(), 0);
  std::vector<uint64_t> versions(cases.size(), 0);
  for (size_t i = 0; i < cases.size(); ++i) {
    absl::StatusOr<uint64_t> v = log->StreamVersion(cases[i].case_id);
    ASSERT_TRUE(v.ok()) << v.status();
    versions[i] = *v;
    // Events already in the log (an earlier tranche) are skipped.
    cursor[i] = std::min<size_t>(*v, cases[i].events.size());
  }
  std::vector<size_t> open;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (cursor[i] < cases[i].events.size()) open.push_back(i);
  }
  int appends = 0;
  while (!open.empty()) {
    const size_t pick =
        std::uniform_int_distribution<size_t>(0, open.size() - 1)(rng);
    const size_t i = open[pick];
    const size_t count =
        std::min<size_t>(std::uniform_int_distribution<size_t>(1, 3)(rng),
                         cases[i].events.size() - cursor[i]);
    storage::AppendRequest request;
    request.stream_id = cases[i].case_id;
    request.expected = storage::ExpectedVersion::Exact(versions[i]);
    for (size_t k = 0; k < count; ++k) {
      v1::Event e = cases[i].events[cursor[i] + k];
      e.set_case_version(static_cast<int64_t>(versions[i] + k + 1));
      request.records.push_back(cases::EncodeEvent(e));
    }
    absl::StatusOr<storage::AppendResult> result =
        log->Append(std::move(request));
    ASSERT_TRUE(result.ok()) << result.status();
    cursor[i] += count;
    versions[i] += count;
    if (cursor[i] == cases[i].events.size()) {
      open.erase(open.begin() + static_cast<long>(pick));
    }
    if (between && ++appends % every == 0) between();
  }
}

std::vector<std::string> DumpDatabase(const std::string& dir) {
  std::vector<std::string> lines;
  rocksdb::DBOptions options;
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(options, dir, &names);
  EXPECT_TRUE(s.ok()) << s.ToString();
  std::sort(names.begin(), names.end());
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : names) {
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  s = rocksdb::DB::OpenForReadOnly(options, dir, descriptors, &handles, &db);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return lines;
  for (size_t i = 0; i < handles.size(); ++i) {
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), handles[i]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      lines.push_back(absl::StrCat(
          names[i], "\t", absl::BytesToHexString(it->key().ToString()), "\t",
          absl::BytesToHexString(it->value().ToString())));
    }
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  }
  for (rocksdb::ColumnFamilyHandle* h : handles) {
    db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  }
  delete db;
  return lines;
}

std::vector<LoggedCase> ReadAllCases(const storage::EventLog& log) {
  std::set<std::string> ids;
  for (uint64_t from = 1; from <= log.HeadPosition();) {
    absl::StatusOr<std::vector<storage::Record>> page =
        log.ReadAll(from, storage::kMaxPageSize);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok() || page->empty()) break;
    for (const storage::Record& r : *page) ids.insert(r.stream_id);
    from = page->back().position + 1;
  }
  std::vector<LoggedCase> cases;
  for (const std::string& id : ids) {
    absl::StatusOr<std::vector<v1::Event>> events = cases::ReadCaseEvents(log, id);
    EXPECT_TRUE(events.ok()) << events.status();
    LoggedCase& c = cases.emplace_back();
    c.case_id = id;
    c.events = *std::move(events);
    const domain::CaseState state = domain::FoldCase(c.events);
    c.la_code = state.la_code;
    c.case_reference = state.case_reference;
  }
  return cases;
}

std::vector<Breach> BruteForceBreaches(const std::vector<LoggedCase>& cases,
                                       const BreachFilter& filter) {
  std::set<std::string> clocks(filter.clock_ids.begin(),
                               filter.clock_ids.end());
  std::set<ClockStatus> statuses(filter.statuses.begin(),
                                 filter.statuses.end());
  if (statuses.empty()) {
    statuses = {ClockStatus::kBreached, ClockStatus::kOverdue,
                ClockStatus::kExcused};
  }
  std::vector<Keyed> all;
  for (const LoggedCase& c : cases) {
    if (!filter.la_code.empty() && c.la_code != filter.la_code) continue;
    std::map<std::pair<std::string, std::string>, int> seen;
    for (const ClockRow& row : domain::EvaluateClocks(c.events, filter.as_of)) {
      const int dup = seen[{row.clock_id, row.instance}]++;
      if (!clocks.empty() && !clocks.contains(row.clock_id)) continue;
      if (!statuses.contains(row.status)) continue;
      if (filter.due_from && (!row.due || *row.due < *filter.due_from)) {
        continue;
      }
      if (filter.due_to && (!row.due || *row.due > *filter.due_to)) continue;
      all.push_back({Breach{c.case_id, c.la_code, row, c.case_reference}, dup});
    }
  }
  std::sort(all.begin(), all.end(), ListedBefore);
  std::vector<Breach> out;
  for (Keyed& k : all) out.push_back(std::move(k.breach));
  return out;
}

BacklogReport BruteForceBacklog(const std::vector<LoggedCase>& cases,
                                const std::string& la_code,
                                absl::CivilDay as_of) {
  BacklogReport report;
  report.as_of = as_of;
  report.la_code = la_code;
  const std::vector<std::string> clocks = {"annual_review", "review_decision",
                                           "amendment", "phase_transfer",
                                           "transfer_in_review"};
  const std::vector<std::string> buckets = {"0-3", "3-6", "6-12", "12-24",
                                            ">24"};
  for (const std::string& clock : clocks) {
    ClockBacklog& cb = report.clocks.emplace_back();
    cb.clock_id = clock;
    for (const std::string& b : buckets) cb.buckets.push_back({b, {}});
  }
  for (const LoggedCase& c : cases) {
    if (!la_code.empty() && c.la_code != la_code) continue;
    for (const ClockRow& row : domain::EvaluateClocks(c.events, as_of)) {
      if (!domain::CountsInBacklog(row)) continue;
      const std::string bucket = *domain::BacklogBucket(*row.due, as_of);
      const size_t ci = static_cast<size_t>(
          std::find(clocks.begin(), clocks.end(), row.clock_id) -
          clocks.begin());
      const size_t bi = static_cast<size_t>(
          std::find(buckets.begin(), buckets.end(), bucket) - buckets.begin());
      report.clocks[ci].buckets[bi].entries.push_back(
          {c.case_id, c.la_code, row.instance, *row.due, row.days_late,
           row.status == ClockStatus::kExcused, c.case_reference});
      ++report.clocks[ci].total;
    }
  }
  for (ClockBacklog& cb : report.clocks) {
    for (BacklogBucket& b : cb.buckets) {
      std::stable_sort(b.entries.begin(), b.entries.end(),
                       [](const BacklogEntry& x, const BacklogEntry& y) {
                         if (x.days_overdue != y.days_overdue) {
                           return x.days_overdue > y.days_overdue;
                         }
                         if (x.case_id != y.case_id)
                           return x.case_id < y.case_id;
                         if (AllDigits(x.instance) && AllDigits(y.instance) &&
                             x.instance.size() != y.instance.size()) {
                           return x.instance.size() < y.instance.size();
                         }
                         return x.instance < y.instance;
                       });
    }
  }
  return report;
}

domain::TimelinessSummary BruteForceTimeliness(
    const std::vector<LoggedCase>& cases, const std::string& la_code,
    int year) {
  domain::TimelinessAccumulator acc(year);
  for (const LoggedCase& c : cases) {
    if (!la_code.empty() && c.la_code != la_code) continue;
    acc.Add(domain::EvaluateClocks(c.events, absl::CivilDay(2199, 12, 31)));
  }
  return acc.Summary();
}

std::vector<CaseSummary> BruteForceFindCase(const std::vector<LoggedCase>& cases,
                                            const std::string& la_code,
                                            const std::string& reference) {
  std::vector<CaseSummary> out;
  for (const LoggedCase& c : cases) {  // In case id order.
    if (c.la_code != la_code || c.case_reference != reference) continue;
    out.push_back({c.case_id, c.la_code, c.case_reference,
                   domain::FoldCase(c.events).stage});
  }
  return out;
}

std::vector<CaseSummary> BruteForceCases(const std::vector<LoggedCase>& cases,
                                         const CaseFilter& filter) {
  std::set<v1::CaseStage> stages(filter.stages.begin(), filter.stages.end());
  std::vector<CaseSummary> out;
  for (const LoggedCase& c : cases) {
    if (!domain::IsOnsLaCode(c.la_code)) continue;
    if (!filter.la_code.empty() && c.la_code != filter.la_code) continue;
    const v1::CaseStage stage = domain::FoldCase(c.events).stage;
    if (!stages.empty() && !stages.contains(stage)) continue;
    out.push_back({c.case_id, c.la_code, c.case_reference, stage});
  }
  std::sort(out.begin(), out.end(),
            [](const CaseSummary& a, const CaseSummary& b) {
              if (a.stage != b.stage) return a.stage < b.stage;
              return a.case_id < b.case_id;
            });
  return out;
}

std::vector<Deadline> BruteForceDeadlines(const std::vector<LoggedCase>& cases,
                                          const DeadlineFilter& filter) {
  struct KeyedDeadline {
    Deadline deadline;
    int dup = 0;
  };
  std::vector<KeyedDeadline> all;
  for (const LoggedCase& c : cases) {
    if (!filter.la_code.empty() && c.la_code != filter.la_code) continue;
    std::map<std::pair<std::string, std::string>, int> seen;
    for (const ClockRow& row : domain::EvaluateClocks(c.events, filter.as_of)) {
      const int dup = seen[{row.clock_id, row.instance}]++;
      const domain::ClockRule* rule =
          domain::FindClockRule(row.clock_id, row.trigger);
      if (rule == nullptr || rule->kind != domain::ClockKind::kDeadline) {
        continue;
      }
      if (row.stop || !row.due || *row.due < filter.due_from ||
          *row.due > filter.due_to) {
        continue;
      }
      if (row.status != ClockStatus::kPending &&
          row.status != ClockStatus::kOverdue &&
          row.status != ClockStatus::kExcused) {
        continue;
      }
      all.push_back({Deadline{c.case_id, c.la_code, c.case_reference, row}, dup});
    }
  }
  std::sort(all.begin(), all.end(),
            [](const KeyedDeadline& a, const KeyedDeadline& b) {
              const ClockRow& x = a.deadline.row;
              const ClockRow& y = b.deadline.row;
              if (*x.due != *y.due) return *x.due < *y.due;
              if (a.deadline.case_id != b.deadline.case_id) {
                return a.deadline.case_id < b.deadline.case_id;
              }
              const int cx = domain::CatalogueIndex(x.clock_id);
              const int cy = domain::CatalogueIndex(y.clock_id);
              if (cx != cy) return cx < cy;
              if (x.instance != y.instance) {
                if (AllDigits(x.instance) && AllDigits(y.instance) &&
                    x.instance.size() != y.instance.size()) {
                  return x.instance.size() < y.instance.size();
                }
                return x.instance < y.instance;
              }
              return a.dup < b.dup;
            });
  std::vector<Deadline> out;
  for (KeyedDeadline& k : all) out.push_back(std::move(k.deadline));
  return out;
}

std::vector<CaseSummary> ListAllCases(const ClockIndex& index,
                                      const CaseFilter& filter, int page_size) {
  std::vector<CaseSummary> all;
  PageRequest page;
  page.page_size = page_size;
  for (int n = 0; n < 10'000; ++n) {
    absl::StatusOr<CasePage> result = index.ListCases(filter, page);
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return all;
    all.insert(all.end(), result->cases.begin(), result->cases.end());
    if (result->next_page_token.empty()) return all;
    EXPECT_EQ(static_cast<int>(result->cases.size()), page_size);
    page.page_token = result->next_page_token;
  }
  ADD_FAILURE() << "more than 10,000 pages";
  return all;
}

std::vector<Deadline> ListAllDeadlines(const ClockIndex& index,
                                       const DeadlineFilter& filter,
                                       int page_size) {
  std::vector<Deadline> all;
  PageRequest page;
  page.page_size = page_size;
  for (int n = 0; n < 10'000; ++n) {
    absl::StatusOr<DeadlinePage> result = index.ListDeadlines(filter, page);
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return all;
    all.insert(all.end(), result->deadlines.begin(), result->deadlines.end());
    if (result->next_page_token.empty()) return all;
    EXPECT_EQ(static_cast<int>(result->deadlines.size()), page_size);
    page.page_token = result->next_page_token;
  }
  ADD_FAILURE() << "more than 10,000 pages";
  return all;
}

std::vector<Breach> ListAll(const ClockIndex& index, const BreachFilter& filter,
                            int page_size) {
  std::vector<Breach> all;
  PageRequest page;
  page.page_size = page_size;
  for (int n = 0; n < 10'000; ++n) {
    absl::StatusOr<BreachPage> result = index.ListBreaches(filter, page);
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return all;
    all.insert(all.end(), result->breaches.begin(), result->breaches.end());
    if (result->next_page_token.empty()) return all;
    EXPECT_EQ(static_cast<int>(result->breaches.size()), page_size);
    page.page_token = result->next_page_token;
  }
  ADD_FAILURE() << "more than 10,000 pages";
  return all;
}

std::string Describe(const Breach& b) {
  return absl::StrCat(b.case_id, " ", b.la_code, " ",
                      domain::ClockRowDebugString(b.row));
}

std::string Describe(const CaseSummary& c) {
  return absl::StrCat(c.case_id, " ", c.la_code, " ref ", c.case_reference,
                      " stage ", v1::CaseStage_Name(c.stage));
}

std::string Describe(const Deadline& d) {
  return absl::StrCat(d.case_id, " ", d.la_code, " ref ", d.case_reference, " ",
                      domain::ClockRowDebugString(d.row));
}

std::string Describe(const BacklogReport& r) {
  std::string out = absl::StrCat("backlog as of ", domain::FormatDate(r.as_of),
                                 " la=", r.la_code, ":");
  for (const ClockBacklog& c : r.clocks) {
    absl::StrAppend(&out, " ", c.clock_id, "=", c.total, "[");
    for (const BacklogBucket& b : c.buckets) {
      absl::StrAppend(&out, b.bucket, ":", b.entries.size(), " ");
    }
    absl::StrAppend(&out, "]");
  }
  return out;
}

std::string Describe(const domain::TimelinessSummary& s) {
  return absl::StrCat(
      "year ", s.year, " incl ", s.including_exceptions.within, "/",
      s.including_exceptions.total, " excl ", s.excluding_exceptions.within,
      "/", s.excluding_exceptions.total, " with_exc ", s.plans_with_exception,
      " days ", s.total_days, " over52 ", s.over_52_weeks, " decisions ",
      s.decisions_including_exceptions.within, "/",
      s.decisions_including_exceptions.total, " excl ",
      s.decisions_excluding_exceptions.within, "/",
      s.decisions_excluding_exceptions.total);
}

bool SameSummary(const domain::TimelinessSummary& a,
                 const domain::TimelinessSummary& b) {
  auto same = [](const domain::Proportion& x, const domain::Proportion& y) {
    return x.within == y.within && x.total == y.total;
  };
  return a.year == b.year &&
         same(a.including_exceptions, b.including_exceptions) &&
         same(a.excluding_exceptions, b.excluding_exceptions) &&
         a.plans_with_exception == b.plans_with_exception &&
         a.total_days == b.total_days && a.mean_weeks == b.mean_weeks &&
         a.mean_weeks_tenths == b.mean_weeks_tenths &&
         a.over_52_weeks == b.over_52_weeks &&
         same(a.decisions_including_exceptions,
              b.decisions_including_exceptions) &&
         same(a.decisions_excluding_exceptions,
              b.decisions_excluding_exceptions);
}

}  // namespace ehcp::projections::testing
