// Helpers for the projection tests: temporary directories, a real event log,
// events stamped the way the service stamps them, a generator of plausible
// EHCP journeys across several LAs, raw dumps of the index's RocksDB
// database, and brute-force versions of the reports (EvaluateClocks over
// every case) to compare the index's answers with.
#ifndef EHCP_TESTS_PROJECTIONS_TEST_UTIL_H_
#define EHCP_TESTS_PROJECTIONS_TEST_UTIL_H_

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "domain/clock_reports.h"
#include "domain/clocks.h"
#include "ehcp/v1/events.pb.h"
#include "projections/clock_index.h"
#include "storage/event_log.h"

namespace ehcp::projections::testing {

// A new, empty directory, removed with its contents on destruction.
class ScopedTempDir {
 public:
  ScopedTempDir();
  ~ScopedTempDir();
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

absl::CivilDay Day(const char* text);

// An event as the service stamps it: event_id (32 hex digits), case_id,
// occurred_on, recorded_at, recorded_by, payload. `n` makes the id unique.
v1::Event MakeEvent(const std::string& case_id, uint64_t n,
                    const std::string& occurred_on,
                    const v1::EventPayload& payload);

// Appends events to one case (stream = case id) with EncodeEvent, checking
// the version it expects; each Append returns the position of its last
// event. Fails the current test on error.
class CaseWriter {
 public:
  CaseWriter(storage::EventLog* log, std::string case_id);

  // CaseOpened: la_code, a reference, optional birth month.
  uint64_t Open(const std::string& occurred_on, const std::string& la_code,
                const std::string& birth_month = "");
  // Any payload; returns the position. *event_id, when given, receives the
  // event's id.
  uint64_t Append(const std::string& occurred_on,
                  const v1::EventPayload& payload,
                  std::string* event_id = nullptr,
                  const std::string& supersedes = "");
  // Appends fully stamped events (ids set) in one atomic append.
  uint64_t AppendEvents(const std::vector<v1::Event>& events);

  const std::string& case_id() const { return case_id_; }
  uint64_t version() const { return version_; }

 private:
  storage::EventLog* log_;
  std::string case_id_;
  uint64_t version_ = 0;
  uint64_t next_ = 1;
};

// One generated case: its LA and its events in recording order (ids and
// occurred_on set; versions, positions and recording times left to the log).
struct GeneratedCase {
  std::string case_id;
  std::string la_code;
  std::vector<v1::Event> events;
};

// Plausible journeys: request → decision (assess / refuse, sometimes a new
// request) → advice requested / received → draft → final plan (sometimes
// premature, sometimes a decision not to issue) → annual reviews → reports
// and decisions (maintain, amend, cease) → amendments → amended plans, with
// phase transfers, transfers in, exceptions, dates from 2019 to 2026, many
// late. `Corrections` adds voids, supersedes and late-recorded events to
// existing cases.
class JourneyGenerator {
 public:
  JourneyGenerator(uint64_t seed, std::vector<std::string> la_codes);

  GeneratedCase Generate(int case_number);
  // Corrections for `c` (each an event to append after c.events): voids and
  // supersedes of its events, and facts recorded late (occurred_on earlier
  // than the events already recorded). Adds them to c.events.
  std::vector<v1::Event> Corrections(GeneratedCase& c);

 private:
  int Uniform(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  std::mt19937_64 rng_;
  std::vector<std::string> la_codes_;
  uint64_t corrections_ = 0;
};

// Appends every case's events to `log`, interleaving cases at random (one
// to three events of one case per append), and calls `between` (if set)
// after every `every` appends.
void AppendInterleaved(storage::EventLog* log,
                       const std::vector<GeneratedCase>& cases, uint64_t seed,
                       const std::function<void()>& between = nullptr,
                       int every = 50);

// Every key and value of every column family of the RocksDB database in
// `dir` (which must not be open), as "family\tkey-hex\tvalue-hex" lines.
std::vector<std::string> DumpDatabase(const std::string& dir);

// Every case of the log: id, LA (from CaseOpened) and events, read back.
struct LoggedCase {
  std::string case_id;
  std::string la_code;
  std::string case_reference;
  std::vector<v1::Event> events;
};
std::vector<LoggedCase> ReadAllCases(const storage::EventLog& log);

// The reports by brute force: domain::EvaluateClocks over every case.
std::vector<Breach> BruteForceBreaches(const std::vector<LoggedCase>& cases,
                                       const BreachFilter& filter);
BacklogReport BruteForceBacklog(const std::vector<LoggedCase>& cases,
                                const std::string& la_code,
                                absl::CivilDay as_of);
domain::TimelinessSummary BruteForceTimeliness(
    const std::vector<LoggedCase>& cases, const std::string& la_code, int year);

// The worklists by brute force: domain::FoldCase (stage) and
// domain::EvaluateClocks (open deadlines) over every case, in the
// documented orders.
std::vector<CaseSummary> BruteForceFindCase(const std::vector<LoggedCase>& cases,
                                            const std::string& la_code,
                                            const std::string& reference);
std::vector<CaseSummary> BruteForceCases(const std::vector<LoggedCase>& cases,
                                         const CaseFilter& filter);
std::vector<Deadline> BruteForceDeadlines(const std::vector<LoggedCase>& cases,
                                          const DeadlineFilter& filter);

// Every page of a ListCases / ListDeadlines query, concatenated. Fails the
// test on error or on a page past 10,000.
std::vector<CaseSummary> ListAllCases(const ClockIndex& index,
                                      const CaseFilter& filter, int page_size);
std::vector<Deadline> ListAllDeadlines(const ClockIndex& index,
                                       const DeadlineFilter& filter,
                                       int page_size);

// Every page of a ListBreaches query, concatenated. Fails the test on error
// or on a page past 10,000.
std::vector<Breach> ListAll(const ClockIndex& index, const BreachFilter& filter,
                            int page_size);

// Short descriptions for failure messages.
std::string Describe(const Breach& b);
std::string Describe(const CaseSummary& c);
std::string Describe(const Deadline& d);
std::string Describe(const BacklogReport& r);
std::string Describe(const domain::TimelinessSummary& s);
bool SameSummary(const domain::TimelinessSummary& a,
                 const domain::TimelinessSummary& b);

}  // namespace ehcp::projections::testing

#endif  // EHCP_TESTS_PROJECTIONS_TEST_UTIL_H_
