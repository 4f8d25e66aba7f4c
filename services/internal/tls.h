// Transport security of ehcpd: the server's TLS credentials from PEM files,
// checked before anything listens, and the rule that a server without TLS
// listens only on loopback.
//
//   EHCP_RETURN_IF_ERROR(CheckListenAddress(address, tls, insecure_listen));
//   EHCP_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> creds,
//                         ServerCredentialsFor(tls));
//
// With a client CA, TLS is mutual: a client must present a certificate
// that CA signed, or the handshake fails (the call never reaches a
// service). The files are read once, at start; replacing a certificate
// takes a restart.
//
// Thread safety: pure functions.
#ifndef EHCP_SERVICES_INTERNAL_TLS_H_
#define EHCP_SERVICES_INTERNAL_TLS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/security/server_credentials.h"
#include "services/server.h"

namespace ehcp::services {

// True for a host that only this machine can reach: 127.0.0.0/8, ::1 (with
// or without brackets) and "localhost". Not "0.0.0.0", "[::]" or "".
bool IsLoopbackHost(absl::string_view host);

// OK when `address` (host:port) may be listened on: with TLS anywhere;
// without, only on loopback unless `insecure_listen`. Otherwise
// FAILED_PRECONDITION naming the address and the flags that allow it.
absl::Status CheckListenAddress(const std::string& address, const TlsFiles& tls,
                                bool insecure_listen);

// Insecure credentials when `tls` has no certificate; otherwise TLS
// credentials from its files, after checking them: each file readable
// (NOT_FOUND / PERMISSION_DENIED naming the flag and the path), the
// certificate and CA PEM X.509 certificates, the key a PEM private key
// that matches the certificate (INVALID_ARGUMENT naming the flag and the
// path). A key without a certificate or a certificate without a key, or a
// client CA without either, is INVALID_ARGUMENT.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const TlsFiles& tls);

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_TLS_H_
