// The order of ListBreaches rows and the page tokens that resume it, and
// every other listing of the index (ListCases, ListDeadlines).
//
// Rows are listed most days late first, then by case id, clock (catalogue
// order), instance ("2" before "10") and, for a duplicate instance name in
// one case, the domain's row order (`dup`, 0 for the first). A page token
// carries the sort key of the last row returned and a fingerprint of the
// query, not an offset, so the next page starts exactly after that row
// whatever was indexed meanwhile:
//
//   token := base64url( 0x01 fingerprint[8] BE32(days_late + 2^31)
//                       BE16(clock index) BE32(dup)
//                       BE16(|case_id|) case_id BE16(|instance|) instance
//                       check[8] )
//   check := the first 8 bytes of SHA-256 of everything before it
//
// The other listings resume from a PageKey of the same shape, whose leading
// number takes the place of days_late: the stage's number (ListCases) or
// the due date as days since 1970-01-01 (ListDeadlines). Each query's
// fingerprint names the query ("ListCases/1|…"), so a token of one is
// refused by another.
//
// Thread safety: pure functions.
#ifndef EHCP_PROJECTIONS_INTERNAL_PAGE_TOKEN_H_
#define EHCP_PROJECTIONS_INTERNAL_PAGE_TOKEN_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ehcp::projections {

struct BreachSortKey {
  int days_late = 0;
  std::string case_id;
  int clock_index = 0;  // domain::CatalogueIndex
  std::string instance;
  int dup = 0;

  bool operator==(const BreachSortKey&) const = default;
};

// The resume point of a listing (see above): a leading number that fits in
// 32 bits, then case id, catalogue index of the clock, instance and dup
// (0 where a listing has no such part).
struct PageKey {
  int64_t lead = 0;
  std::string case_id = {};
  int clock_index = 0;
  std::string instance = {};
  int dup = 0;

  bool operator==(const PageKey&) const = default;
};

// The token resuming after `last`, for the query with this 8-byte
// fingerprint; DecodePageKey returns it, with the errors of
// DecodePageToken.
std::string EncodePageKey(std::string_view fingerprint, const PageKey& last);
absl::StatusOr<PageKey> DecodePageKey(std::string_view token,
                                      std::string_view fingerprint);

// "1" < "2" < "10" when both are all digits; otherwise byte order. The
// domain's order of instances (clocks.h).
bool InstanceLess(const std::string& a, const std::string& b);

// True when `a` is listed before `b`.
bool BreachSortLess(const BreachSortKey& a, const BreachSortKey& b);

// The same, ignoring `dup`.
bool BreachSortLessIgnoringDup(const BreachSortKey& a, const BreachSortKey& b);

// The token resuming after `last`, for the query with this 8-byte
// fingerprint.
std::string EncodePageToken(std::string_view fingerprint,
                            const BreachSortKey& last);

// The sort key in `token`. INVALID_ARGUMENT "page_token: malformed" when it
// does not decode or its check fails; INVALID_ARGUMENT "page_token: was
// issued for a different query" when its fingerprint is not `fingerprint`.
absl::StatusOr<BreachSortKey> DecodePageToken(std::string_view token,
                                              std::string_view fingerprint);

}  // namespace ehcp::projections

#endif  // EHCP_PROJECTIONS_INTERNAL_PAGE_TOKEN_H_
