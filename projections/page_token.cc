#include "projections/internal/page_token.h"

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "common/big_endian.h"
#include "storage/absl_string_view.h"
#include "storage/hash.h"

namespace ehcp::projections {
namespace {

constexpr char kTokenVersion = 0x01;
constexpr size_t kFingerprintSize = 8;
constexpr size_t kCheckSize = 8;

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return c >= '0' && c <= '9'; });
}

void PutBigEndian(uint64_t value, int bytes, std::string* out) {
  ::ehcp::PutBigEndian(out, value, static_cast<size_t>(bytes));
}

// Reads from a byte string front to back; any overrun sets !ok.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  uint64_t BigEndian(int bytes) {
    const size_t n = static_cast<size_t>(bytes);
    if (!Has(n)) return 0;
    const uint64_t value = ReadBigEndian(bytes_.substr(at_, n));
    at_ += n;
    return value;
  }
  std::string Bytes(size_t n) {
    if (!Has(n)) return "";
    std::string out(bytes_.substr(at_, n));
    at_ += n;
    return out;
  }
  bool ok() const { return ok_; }
  bool done() const { return at_ == bytes_.size(); }

 private:
  bool Has(size_t n) {
    if (bytes_.size() - at_ < n) ok_ = false;
    return ok_;
  }
  std::string_view bytes_;
  size_t at_ = 0;
  bool ok_ = true;
};

absl::Status Malformed() {
  return absl::InvalidArgumentError("page_token: malformed");
}

}  // namespace

bool InstanceLess(const std::string& a, const std::string& b) {
  if (AllDigits(a) && AllDigits(b) && a.size() != b.size()) {
    return a.size() < b.size();
  }
  return a < b;
}

bool BreachSortLessIgnoringDup(const BreachSortKey& a, const BreachSortKey& b) {
  if (a.days_late != b.days_late) return a.days_late > b.days_late;
  if (a.case_id != b.case_id) return a.case_id < b.case_id;
  if (a.clock_index != b.clock_index) return a.clock_index < b.clock_index;
  return InstanceLess(a.instance, b.instance);
}

bool BreachSortLess(const BreachSortKey& a, const BreachSortKey& b) {
  if (BreachSortLessIgnoringDup(a, b)) return true;
  if (BreachSortLessIgnoringDup(b, a)) return false;
  return a.dup < b.dup;
}

std::string EncodePageKey(std::string_view fingerprint, const PageKey& last) {
  std::string bytes(1, kTokenVersion);
  bytes.append(fingerprint.substr(0, kFingerprintSize));
  PutBigEndian(static_cast<uint64_t>(last.lead + (int64_t{1} << 31)), 4,
               &bytes);
  PutBigEndian(static_cast<uint64_t>(last.clock_index), 2, &bytes);
  PutBigEndian(static_cast<uint64_t>(last.dup), 4, &bytes);
  PutBigEndian(last.case_id.size(), 2, &bytes);
  bytes.append(last.case_id);
  PutBigEndian(last.instance.size(), 2, &bytes);
  bytes.append(last.instance);
  bytes.append(storage::Sha256(bytes).substr(0, kCheckSize));
  return absl::WebSafeBase64Escape(bytes);
}

absl::StatusOr<PageKey> DecodePageKey(std::string_view token,
                                      std::string_view fingerprint) {
  std::string bytes;
  if (!absl::WebSafeBase64Unescape(storage::ToAbsl(token), &bytes) ||
      bytes.size() < 1 + kFingerprintSize + kCheckSize) {
    return Malformed();
  }
  const std::string_view body =
      std::string_view(bytes).substr(0, bytes.size() - kCheckSize);
  if (storage::Sha256(body).substr(0, kCheckSize) !=
      std::string_view(bytes).substr(body.size())) {
    return Malformed();
  }
  Reader reader(body);
  if (reader.BigEndian(1) != static_cast<uint64_t>(kTokenVersion)) {
    return Malformed();
  }
  if (reader.Bytes(kFingerprintSize) != fingerprint) {
    return absl::InvalidArgumentError(
        "page_token: was issued for a different query");
  }
  PageKey key;
  key.lead = static_cast<int64_t>(reader.BigEndian(4)) - (int64_t{1} << 31);
  key.clock_index = static_cast<int>(reader.BigEndian(2));
  key.dup = static_cast<int>(reader.BigEndian(4));
  key.case_id = reader.Bytes(reader.BigEndian(2));
  key.instance = reader.Bytes(reader.BigEndian(2));
  if (!reader.ok() || !reader.done()) return Malformed();
  return key;
}

std::string EncodePageToken(std::string_view fingerprint,
                            const BreachSortKey& last) {
  return EncodePageKey(fingerprint, PageKey{.lead = last.days_late,
                                            .case_id = last.case_id,
                                            .clock_index = last.clock_index,
                                            .instance = last.instance,
                                            .dup = last.dup});
}

absl::StatusOr<BreachSortKey> DecodePageToken(std::string_view token,
                                              std::string_view fingerprint) {
  absl::StatusOr<PageKey> key = DecodePageKey(token, fingerprint);
  if (!key.ok()) return key.status();
  return BreachSortKey{.days_late = static_cast<int>(key->lead),
                       .case_id = std::move(key->case_id),
                       .clock_index = key->clock_index,
                       .instance = std::move(key->instance),
                       .dup = key->dup};
}

}  // namespace ehcp::projections
