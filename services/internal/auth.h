// Who may call ehcpd, and what each may call: principals (bearer tokens
// or client-certificate identities) with roles and a set of LAs, read from
// a principals file, and a policy table of the roles that may call each
// RPC. docs/security.md, "Principals and roles", is the operator's page.
//
// The principals file (ehcpd --principals_file): one principal per line,
// fields separated by spaces, `#` starts a comment line, blank lines are
// ignored:
//
//   name=medway-fe roles=caseworker las=E06000035 token_sha256=<64 hex>
//   name=auditor-1 roles=auditor las=* cert_cn=auditor-1
//   name=ops roles=admin,auditor las=* cert_cn=ops.example
//
// (each principal on one line, however long; docs/security.md has a full
// example)
//
//   name          1-64 characters of [A-Za-z0-9._@-], unique in the file;
//                 it is what events record as `recorded_by`.
//   roles         caseworker, auditor, alerting, admin, comma-separated.
//   las           ONS LA codes (E06000035), comma-separated, or `*` (all).
//   token_sha256  the SHA-256 of the bearer token, 64 hex digits (the
//                 token itself is never stored): `printf %s "$TOKEN" |
//                 sha256sum` (ehcpctl may not hash: SHA-256 lives in
//                 storage/, below tools/). Unique in the file.
//   cert_cn       a client-certificate identity under mutual TLS: the
//                 verified certificate's subject CN or one of its SANs.
//                 Unique in the file.
// A line needs name, roles, las and at least one of token_sha256 and
// cert_cn. Anything else is refused with the file, the line number and
// the field.
//
// Enforcement: gRPC 1.51's server interceptors cannot end a call before
// its method runs (hijacking is client-side only), and an
// AuthMetadataProcessor is not available on the plaintext loopback port.
// So every service method begins with
//
//   absl::StatusOr<Principal> caller = Authorize(auth_, *context, kMethod);
//   if (!caller.ok()) return Finished(context, caller.status());
//
// (RefusedStream / RefusedReadStream for streams), and the table-driven
// test (tests/services/auth_test.cc) calls every RPC of every ehcp.v1
// service with every role, so a method that forgets is found. A method
// name missing from the policy table is refused to everyone.
//
// Thread safety: Authenticator is thread-safe; Reload may run beside
// Authenticate.
#ifndef EHCP_SERVICES_INTERNAL_AUTH_H_
#define EHCP_SERVICES_INTERNAL_AUTH_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/security/auth_context.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/string_ref.h"

namespace ehcp::services {

class StructuredLog;

enum class Role { kCaseworker, kAuditor, kAlerting, kAdmin };

// "caseworker", "auditor", "alerting", "admin".
const char* RoleName(Role role);

struct Principal {
  std::string name;
  std::set<Role> roles;
  std::set<std::string> la_codes;  // empty when all_las
  bool all_las = false;
  // SHA-256 of the bearer token, lowercase hex; empty: none.
  std::string token_sha256;
  // The client-certificate identity; empty: none.
  std::string cert_cn;
};

// The principal of every call while authentication is off: every role,
// every LA, recorded as "anonymous" (as before principals existed).
const Principal& AnonymousPrincipal();

// Parses a principals file's text; `file` names it in errors
// (INVALID_ARGUMENT "FILE:LINE: FIELD: what is wrong").
absl::StatusOr<std::vector<Principal>> ParsePrincipals(absl::string_view text,
                                                       absl::string_view file);

// The lowercase hex SHA-256 of `token`, as the principals file holds it.
std::string TokenSha256Hex(absl::string_view token);

// The policy: which roles may call each method ("ehcp.v1.CaseService/
// OpenCase", no leading slash). Every RPC of every ehcp.v1 service has an
// entry (a unit test checks the generated descriptors); gRPC's own
// services are listed with `open` set.
struct MethodPolicy {
  std::set<Role> roles;
  // Served without credentials (health checks, reflection).
  bool open = false;
};
const std::map<std::string, MethodPolicy>& PolicyTable();

class Authenticator {
 public:
  // Reads and parses `path`; INVALID_ARGUMENT naming the line and the
  // field, or NOT_FOUND / PERMISSION_DENIED when it cannot be read.
  // `log` (may be null) receives principals_reloaded and
  // principals_reload_failed; it must outlive the authenticator.
  static absl::StatusOr<std::unique_ptr<Authenticator>> Load(
      const std::string& path, StructuredLog* log);

  // Reads the file again. If it is invalid or unreadable the table in use
  // is kept, the error is logged and returned.
  absl::Status Reload() ABSL_LOCKS_EXCLUDED(mu_);

  // The caller of a call: the principal of its bearer token (metadata
  // `authorization: Bearer <token>`) if it sends one, otherwise of its
  // verified client certificate (`auth_context`, may be null).
  // UNAUTHENTICATED when there is neither, or they match no principal; the
  // message never holds the token. Reads only memory: the file is watched
  // by the authenticator's own thread (its modification time, size and
  // inode, once a second) and read again there when it changes, never on
  // the caller's (a gRPC) thread.
  absl::StatusOr<Principal> Authenticate(
      const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
      const grpc::AuthContext* auth_context) ABSL_LOCKS_EXCLUDED(mu_);

  const std::string& path() const { return path_; }
  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

  // Stops the watching thread.
  ~Authenticator();

 private:
  Authenticator(std::string path, StructuredLog* log)
      : path_(std::move(path)), log_(log) {}
  void ReloadIfChanged() ABSL_LOCKS_EXCLUDED(mu_);
  void Watch() ABSL_LOCKS_EXCLUDED(mu_);

  absl::Mutex stop_mu_;
  bool stop_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread watcher_;

  const std::string path_;
  StructuredLog* const log_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const std::vector<Principal>> principals_
      ABSL_GUARDED_BY(mu_);
  // What the file looked like when last read.
  std::string stamp_ ABSL_GUARDED_BY(mu_);
};

// The caller of a call to `method`, allowed by the policy table: with
// `auth` null (authentication off) AnonymousPrincipal(); UNAUTHENTICATED
// as Authenticate says; PERMISSION_DENIED naming the method and the roles
// that may call it when the principal has none of them.
absl::StatusOr<Principal> Authorize(Authenticator* auth,
                                    const grpc::CallbackServerContext& context,
                                    absl::string_view method);

// Authorize's status alone, for methods that do not record the caller:
//   if (absl::Status s = Allowed(auth_, *context, kMethod); !s.ok()) ...
absl::Status Allowed(Authenticator* auth,
                     const grpc::CallbackServerContext& context,
                     absl::string_view method);

}  // namespace ehcp::services

#endif  // EHCP_SERVICES_INTERNAL_AUTH_H_
