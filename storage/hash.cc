#include "storage/hash.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

namespace ehcp::storage {
namespace {

// Fetched once: passing EVP_sha256() to EVP_Digest makes OpenSSL 3 look the
// algorithm up on every call, which costs more than hashing a small record.
const EVP_MD* Sha256Algorithm() {
  static const EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (fetched == nullptr) {
      std::fprintf(stderr, "ehcp storage: OpenSSL has no SHA256\n");
      std::abort();
    }
    return fetched;
  }();
  return md;
}

}  // namespace

std::string Sha256(std::string_view bytes) {
  std::string digest(EVP_MAX_MD_SIZE, '\0');
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(),
                 reinterpret_cast<unsigned char*>(digest.data()), &size,
                 Sha256Algorithm(), nullptr) != 1) {
    std::fprintf(stderr, "ehcp storage: EVP_Digest failed\n");
    std::abort();
  }
  digest.resize(size);
  return digest;
}

}  // namespace ehcp::storage
