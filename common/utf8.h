// The one check that text is well-formed UTF-8, for the domain's free text
// (domain/validation.h) and the log's record types (storage/event_log.h).
// It takes std::string_view: where Debian's absl::string_view is at hand,
// pass std::string_view(text.data(), text.size()).
//
// Thread safety: pure functions.
#ifndef EHCP_COMMON_UTF8_H_
#define EHCP_COMMON_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ehcp {

// True when `text` is well-formed UTF-8: no overlong forms, no surrogates
// (U+D800-U+DFFF), nothing above U+10FFFF, no truncated sequence.
inline bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto b0 = static_cast<uint8_t>(text[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    size_t extra;
    uint32_t cp;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      extra = 1;
      cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      extra = 2;
      cp = b0 & 0x0F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      extra = 3;
      cp = b0 & 0x07;
    } else {
      return false;  // continuation byte, overlong lead (C0, C1) or > F4
    }
    if (text.size() - i <= extra) return false;  // truncated sequence
    for (size_t k = 1; k <= extra; ++k) {
      const auto b = static_cast<uint8_t>(text[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;  // overlong, surrogate or out of range
    }
    i += extra + 1;
  }
  return true;
}

}  // namespace ehcp

#endif  // EHCP_COMMON_UTF8_H_
