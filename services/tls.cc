#include "services/internal/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "grpcpp/security/server_credentials.h"

namespace ehcp::services {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

// The whole file at `path`, given by `flag`.
absl::StatusOr<std::string> ReadPem(absl::string_view flag,
                                    const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    const int error = errno;
    const std::string what =
        absl::StrCat(flag, ": cannot read ", path, ": ", std::strerror(error));
    return error == EACCES ? absl::PermissionDeniedError(what)
                           : absl::NotFoundError(what);
  }
  std::string text;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) {
    text.append(buffer, n);
    if (text.size() > (size_t{1} << 20)) break;
  }
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) {
    return absl::UnavailableError(absl::StrCat(flag, ": error reading ", path));
  }
  return text;
}

std::unique_ptr<BIO, BioFree> Bio(const std::string& pem) {
  return std::unique_ptr<BIO, BioFree>(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The first certificate of `pem`, or INVALID_ARGUMENT naming flag and path.
absl::StatusOr<std::unique_ptr<X509, X509Free>> Certificate(
    absl::string_view flag, const std::string& path, const std::string& pem) {
  std::unique_ptr<X509, X509Free> cert(
      PEM_read_bio_X509(Bio(pem).get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (cert == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": ", path,
        " holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\")"));
  }
  return cert;
}

}  // namespace

bool IsLoopbackHost(absl::string_view host) {
  absl::ConsumePrefix(&host, "[");
  absl::ConsumeSuffix(&host, "]");
  if (host == "::1" || absl::EqualsIgnoreCase(host, "localhost")) return true;
  // 127.0.0.0/8 in dotted decimal.
  if (!absl::StartsWith(host, "127.")) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return dots == 3;
}

absl::Status CheckListenAddress(const std::string& address, const TlsFiles& tls,
                                bool insecure_listen) {
  if (!tls.cert_file.empty() || insecure_listen) return absl::OkStatus();
  const size_t colon = address.rfind(':');
  const std::string host =
      colon == std::string::npos ? address : address.substr(0, colon);
  if (IsLoopbackHost(host)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "listen: ", address,
      " is reachable from other machines, and without TLS the calls (and "
      "the children's records in them) would cross the network in clear. "
      "Give --tls_cert and --tls_key (and --tls_client_ca for mutual TLS), "
      "listen on 127.0.0.1, or, behind a proxy that terminates TLS, start "
      "with --insecure_listen"));
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const TlsFiles& tls) {
  if (tls.cert_file.empty() && tls.key_file.empty()) {
    if (!tls.client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "--tls_client_ca needs --tls_cert and --tls_key: mutual TLS is TLS "
          "with client certificates");
    }
    return grpc::InsecureServerCredentials();
  }
  if (tls.cert_file.empty() || tls.key_file.empty()) {
    return absl::InvalidArgumentError(
        "TLS needs both --tls_cert (the server's certificate chain) and "
        "--tls_key (its private key)");
  }
  absl::StatusOr<std::string> cert_pem = ReadPem("--tls_cert", tls.cert_file);
  if (!cert_pem.ok()) return cert_pem.status();
  absl::StatusOr<std::string> key_pem = ReadPem("--tls_key", tls.key_file);
  if (!key_pem.ok()) return key_pem.status();
  absl::StatusOr<std::unique_ptr<X509, X509Free>> cert =
      Certificate("--tls_cert", tls.cert_file, *cert_pem);
  if (!cert.ok()) return cert.status();
  std::unique_ptr<EVP_PKEY, KeyFree> key(
      PEM_read_bio_PrivateKey(Bio(*key_pem).get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_key: ", tls.key_file,
        " holds no unencrypted PEM private key (\"-----BEGIN PRIVATE "
        "KEY-----\")"));
  }
  if (X509_check_private_key(cert->get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_key: ", tls.key_file,
        " is not the key of the certificate in --tls_cert ", tls.cert_file));
  }
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back({*key_pem, *cert_pem});
  options.client_certificate_request = GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
  if (!tls.client_ca_file.empty()) {
    absl::StatusOr<std::string> ca_pem =
        ReadPem("--tls_client_ca", tls.client_ca_file);
    if (!ca_pem.ok()) return ca_pem.status();
    if (absl::Status ca =
            Certificate("--tls_client_ca", tls.client_ca_file, *ca_pem)
                .status();
        !ca.ok()) {
      return ca;
    }
    options.pem_root_certs = *ca_pem;
    options.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

}  // namespace ehcp::services
