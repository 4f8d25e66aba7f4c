// EHCP_RETURN_IF_ERROR / EHCP_ASSIGN_OR_RETURN: the installed Abseil
// (20220623) has no status macros, so the project defines one pair here.
//
//   EHCP_RETURN_IF_ERROR(Validate(x));
//   EHCP_ASSIGN_OR_RETURN(absl::CivilDay day, ParseDate(text, "occurred_on"));
#ifndef EHCP_COMMON_STATUS_MACROS_H_
#define EHCP_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define EHCP_RETURN_IF_ERROR(expr)                  \
  do {                                              \
    ::absl::Status ehcp_status_ = (expr);           \
    if (!ehcp_status_.ok()) return ehcp_status_;    \
  } while (0)

#define EHCP_STATUS_CONCAT_INNER_(a, b) a##b
#define EHCP_STATUS_CONCAT_(a, b) EHCP_STATUS_CONCAT_INNER_(a, b)

#define EHCP_ASSIGN_OR_RETURN(lhs, expr)                                    \
  EHCP_ASSIGN_OR_RETURN_IMPL_(EHCP_STATUS_CONCAT_(ehcp_or_, __LINE__), lhs, \
                              expr)
#define EHCP_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()

#endif  // EHCP_COMMON_STATUS_MACROS_H_
