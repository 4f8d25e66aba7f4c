// Fixed-width big-endian integers: the one codec of the on-disk keys and
// values that must sort numerically (storage/FORMAT.md, projections/
// FORMAT.md) and of the clock reports' page tokens.
//
//   std::string key = BigEndian64(42);        // "\0\0\0\0\0\0\0\x2a"
//   absl::StatusOr<uint64_t> n = DecodeBigEndian64(key, "log key");
//
// Thread safety: pure functions.
#ifndef EHCP_COMMON_BIG_ENDIAN_H_
#define EHCP_COMMON_BIG_ENDIAN_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ehcp {

// Appends the low `width` bytes of `value` (1-8), most significant first.
inline void PutBigEndian(std::string* dst, uint64_t value, size_t width) {
  for (size_t i = width; i > 0; --i) {
    dst->push_back(static_cast<char>((value >> (8 * (i - 1))) & 0xff));
  }
}

// Appends the 8 bytes of `value`, most significant first.
inline void PutBigEndian64(std::string* dst, uint64_t value) {
  PutBigEndian(dst, value, 8);
}

// The 8 bytes of `value`, most significant first.
inline std::string BigEndian64(uint64_t value) {
  std::string out;
  PutBigEndian64(&out, value);
  return out;
}

// The value of `bytes` (at most 8 of them), most significant first.
inline uint64_t ReadBigEndian(std::string_view bytes) {
  uint64_t value = 0;
  for (char c : bytes) value = (value << 8) | static_cast<unsigned char>(c);
  return value;
}

// The value of exactly 8 bytes; DATA_LOSS "<what>: expected 8 bytes, found
// N" otherwise (a stored key or value that is not what was written).
inline absl::StatusOr<uint64_t> DecodeBigEndian64(std::string_view bytes,
                                                  std::string_view what) {
  if (bytes.size() != 8) {
    return absl::DataLossError(std::string(what) +
                               ": expected 8 bytes, found " +
                               std::to_string(bytes.size()));
  }
  return ReadBigEndian(bytes);
}

}  // namespace ehcp

#endif  // EHCP_COMMON_BIG_ENDIAN_H_
