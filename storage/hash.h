// SHA-256 through OpenSSL's EVP interface, for the log's hash chain.
#ifndef EHCP_STORAGE_HASH_H_
#define EHCP_STORAGE_HASH_H_

#include <string>
#include <string_view>

namespace ehcp::storage {

// Returns the 32-byte SHA-256 digest of `bytes`. Thread-safe. Aborts the
// process if OpenSSL cannot provide SHA-256 (a broken installation).
std::string Sha256(std::string_view bytes);

}  // namespace ehcp::storage

#endif  // EHCP_STORAGE_HASH_H_
