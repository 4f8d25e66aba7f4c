// Debian's Abseil is built with its own absl::string_view
// (ABSL_OPTION_USE_STD_STRING_VIEW is 0), while the storage API takes
// std::string_view. ToAbsl converts where the two meet (StrCat, hash map
// look-ups); it copies no characters.
#ifndef EHCP_STORAGE_ABSL_STRING_VIEW_H_
#define EHCP_STORAGE_ABSL_STRING_VIEW_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace ehcp::storage {

inline absl::string_view ToAbsl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

}  // namespace ehcp::storage

#endif  // EHCP_STORAGE_ABSL_STRING_VIEW_H_
