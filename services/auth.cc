#include "services/internal/auth.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "domain/validation.h"
#include "services/internal/structured_log.h"
#include "storage/hash.h"

namespace ehcp::services {
namespace {

constexpr Role kCaseworker = Role::kCaseworker;
constexpr Role kAuditor = Role::kAuditor;
constexpr Role kAlerting = Role::kAlerting;
constexpr Role kAdmin = Role::kAdmin;

constexpr size_t kMaxNameLength = 64;

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
         c == '_' || c == '@' || c == '-';
}

bool IsLowerHex64(absl::string_view s) {
  if (s.size() != 64) return false;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Equal in a time that depends on the lengths only.
bool ConstantTimeEqual(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

absl::StatusOr<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    const std::string what = absl::StrCat(
        "principals file ", path, ": cannot read (", std::strerror(error), ")");
    return error == ENOENT ? absl::NotFoundError(what)
                           : absl::PermissionDeniedError(what);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The file's modification time and size, "" when it cannot be stat'ed.
std::string Stamp(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return "";
  return absl::StrCat(st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, ":",
                      st.st_size, ":", st.st_ino);
}

std::string RoleList(const std::set<Role>& roles) {
  std::vector<std::string> names;
  for (const Role role : roles) names.push_back(RoleName(role));
  return absl::StrJoin(names, ", ");
}

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kCaseworker:
      return "caseworker";
    case Role::kAuditor:
      return "auditor";
    case Role::kAlerting:
      return "alerting";
    case Role::kAdmin:
      return "admin";
  }
  return "?";
}

const Principal& AnonymousPrincipal() {
  static const Principal* const anonymous = [] {
    auto* p = new Principal;
    p->name = "anonymous";
    p->roles = {kCaseworker, kAuditor, kAlerting, kAdmin};
    p->all_las = true;
    return p;
  }();
  return *anonymous;
}

std::string TokenSha256Hex(absl::string_view token) {
  return absl::BytesToHexString(
      storage::Sha256(std::string_view(token.data(), token.size())));
}

// The one place that decides who may call what. Caseworkers read and
// append within their LAs (the per-LA filtering of lists, reports and
// streams is not yet in place: docs/security.md); auditors read, replay,
// verify and export, and write nothing; alerting sees alerts only; admins
// run the operations (rebuild, import, the simulated date) and read.
const std::map<std::string, MethodPolicy>& PolicyTable() {
  static const auto* const table = new std::map<std::string, MethodPolicy>{
      // --- CaseService ---
      // Writes: only caseworkers record what happened to a child.
      {"ehcp.v1.CaseService/OpenCase", {{kCaseworker}}},
      {"ehcp.v1.CaseService/AppendEvents", {{kCaseworker}}},
      // One case's events and state: its caseworkers, auditors, admins.
      {"ehcp.v1.CaseService/ReadCase", {{kCaseworker, kAuditor, kAdmin}}},
      {"ehcp.v1.CaseService/GetCaseState", {{kCaseworker, kAuditor, kAdmin}}},
      // The whole log, every LA's events (a feed for projections and
      // audit): not caseworkers, who see their LAs only.
      {"ehcp.v1.CaseService/ReadLog", {{kAuditor, kAdmin}}},
      {"ehcp.v1.CaseService/Subscribe", {{kAuditor, kAdmin}}},
      // The log's integrity: auditors (and admins, who run backups).
      {"ehcp.v1.CaseService/GetDigest", {{kAuditor, kAdmin}}},
      {"ehcp.v1.CaseService/VerifyLog", {{kAuditor, kAdmin}}},
      // The whole log out (a backup, an audit copy): auditors and admins.
      {"ehcp.v1.CaseService/ExportLog", {{kAuditor, kAdmin}}},
      // A restore writes the whole log: admins only.
      {"ehcp.v1.CaseService/ImportLog", {{kAdmin}}},
      // --- ClockService ---
      // A case's clocks and its replay are reads of one case.
      {"ehcp.v1.ClockService/GetCaseClocks", {{kCaseworker, kAuditor, kAdmin}}},
      {"ehcp.v1.ClockService/ReplayCase", {{kCaseworker, kAuditor, kAdmin}}},
      // Reports, searches and worklists (per-LA filtering: later).
      {"ehcp.v1.ClockService/ListBreaches", {{kCaseworker, kAuditor, kAdmin}}},
      {"ehcp.v1.ClockService/GetReviewBacklog",
       {{kCaseworker, kAuditor, kAdmin}}},
      {"ehcp.v1.ClockService/GetTimeliness", {{kCaseworker, kAuditor, kAdmin}}},
      {"ehcp.v1.ClockService/FindCase", {{kCaseworker, kAuditor, kAdmin}}},
      {"ehcp.v1.ClockService/ListCases", {{kCaseworker, kAuditor, kAdmin}}},
      {"ehcp.v1.ClockService/ListDeadlines", {{kCaseworker, kAuditor, kAdmin}}},
      // Where the index stands (no personal data): the same readers.
      {"ehcp.v1.ClockService/GetProjectionStatus",
       {{kCaseworker, kAuditor, kAdmin}}},
      // Operations: admins only.
      {"ehcp.v1.ClockService/RebuildProjections", {{kAdmin}}},
      // --- AlertService: alerting's whole API; readers see alerts too.
      {"ehcp.v1.AlertService/ListAlerts",
       {{kAlerting, kCaseworker, kAuditor, kAdmin}}},
      {"ehcp.v1.AlertService/WatchAlerts",
       {{kAlerting, kCaseworker, kAuditor, kAdmin}}},
      {"ehcp.v1.AlertService/GetAlertStatus",
       {{kAlerting, kCaseworker, kAuditor, kAdmin}}},
      // --- AdminService ---
      // The date every deadline is computed against (no personal data):
      // everyone who is authenticated.
      {"ehcp.v1.AdminService/GetToday",
       {{kCaseworker, kAuditor, kAlerting, kAdmin}}},
      // Clock control: admins only.
      {"ehcp.v1.AdminService/SetToday", {{kAdmin}}},
      // --- gRPC's own services, served by gRPC itself (no method of ours
      // runs, so they cannot be checked): health checks are for load
      // balancers and probes, without credentials; reflection describes
      // the API's schema, which is public (proto/), and no data.
      {"grpc.health.v1.Health/Check", {{}, /*open=*/true}},
      {"grpc.health.v1.Health/Watch", {{}, /*open=*/true}},
      {"grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
       {{}, /*open=*/true}},
  };
  return *table;
}

absl::StatusOr<std::vector<Principal>> ParsePrincipals(absl::string_view text,
                                                       absl::string_view file) {
  std::vector<Principal> principals;
  std::set<std::string> names, tokens, certs;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    auto error = [&](absl::string_view field, absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(file, ":", line_number,
                                                     ": ", std::string(field),
                                                     ": ", std::string(what)));
    };
    Principal p;
    std::set<std::string> seen;
    for (absl::string_view field :
         absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
      const size_t eq = field.find('=');
      if (eq == absl::string_view::npos) {
        return error(field.substr(0, 32), "not key=value");
      }
      const std::string key(field.substr(0, eq));
      const absl::string_view value = field.substr(eq + 1);
      if (!seen.insert(key).second) return error(key, "given twice");
      if (key == "name") {
        if (value.empty() || value.size() > kMaxNameLength) {
          return error(key, "must be 1-64 characters");
        }
        for (const char c : value) {
          if (!IsNameChar(c)) {
            return error(key, "may hold only A-Z a-z 0-9 . _ @ -");
          }
        }
        p.name = std::string(value);
      } else if (key == "roles") {
        for (absl::string_view role : absl::StrSplit(value, ',')) {
          if (role == "caseworker") {
            p.roles.insert(kCaseworker);
          } else if (role == "auditor") {
            p.roles.insert(kAuditor);
          } else if (role == "alerting") {
            p.roles.insert(kAlerting);
          } else if (role == "admin") {
            p.roles.insert(kAdmin);
          } else {
            return error(
                key, absl::StrCat("unknown role \"", std::string(role),
                                  "\" (caseworker, auditor, alerting, admin)"));
          }
        }
      } else if (key == "las") {
        if (value == "*") {
          p.all_las = true;
        } else {
          for (absl::string_view la : absl::StrSplit(value, ',')) {
            if (!domain::IsOnsLaCode(la)) {
              return error(key, absl::StrCat("\"", std::string(la),
                                             "\" is not an ONS LA code (e.g. "
                                             "E06000035) nor *"));
            }
            p.la_codes.insert(std::string(la));
          }
        }
      } else if (key == "token_sha256") {
        // The value is not echoed: it is a hash, but of a secret.
        if (!IsLowerHex64(absl::AsciiStrToLower(value))) {
          return error(key,
                       "must be 64 hex digits (the SHA-256 of the "
                       "token: printf %s TOKEN | sha256sum)");
        }
        p.token_sha256 = absl::AsciiStrToLower(value);
      } else if (key == "cert_cn") {
        if (value.empty()) return error(key, "is empty");
        p.cert_cn = std::string(value);
      } else {
        return error(key,
                     "unknown field (name, roles, las, token_sha256, "
                     "cert_cn)");
      }
    }
    if (p.name.empty()) return error("name", "is required");
    if (p.roles.empty()) return error("roles", "is required");
    if (!p.all_las && p.la_codes.empty()) {
      return error("las", "is required (ONS codes, or * for all)");
    }
    if (p.token_sha256.empty() && p.cert_cn.empty()) {
      return error("token_sha256",
                   "a principal needs token_sha256 or "
                   "cert_cn (or both)");
    }
    if (!names.insert(p.name).second) {
      return error("name", absl::StrCat("\"", p.name, "\" is given twice"));
    }
    if (!p.token_sha256.empty() && !tokens.insert(p.token_sha256).second) {
      return error("token_sha256", "the same token hash as an earlier line");
    }
    if (!p.cert_cn.empty() && !certs.insert(p.cert_cn).second) {
      return error("cert_cn",
                   absl::StrCat("\"", p.cert_cn, "\" is given twice"));
    }
    principals.push_back(std::move(p));
  }
  return principals;
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Load(
    const std::string& path, StructuredLog* log) {
  std::unique_ptr<Authenticator> auth(new Authenticator(path, log));
  const std::string stamp = Stamp(path);
  absl::StatusOr<std::string> text = ReadWhole(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<std::vector<Principal>> principals =
      ParsePrincipals(*text, path);
  if (!principals.ok()) return principals.status();
  absl::MutexLock lock(&auth->mu_);
  auth->principals_ =
      std::make_shared<const std::vector<Principal>>(*std::move(principals));
  auth->stamp_ = stamp;
  auth->watcher_ = std::thread([raw = auth.get()] { raw->Watch(); });
  return auth;
}

Authenticator::~Authenticator() {
  {
    absl::MutexLock lock(&stop_mu_);
    stop_ = true;
  }
  if (watcher_.joinable()) watcher_.join();
}

void Authenticator::Watch() {
  absl::MutexLock lock(&stop_mu_);
  while (
      !stop_mu_.AwaitWithTimeout(absl::Condition(&stop_), absl::Seconds(1))) {
    stop_mu_.Unlock();
    ReloadIfChanged();
    stop_mu_.Lock();
  }
}

absl::Status Authenticator::Reload() {
  const std::string stamp = Stamp(path_);
  absl::StatusOr<std::vector<Principal>> principals;
  absl::StatusOr<std::string> text = ReadWhole(path_);
  if (text.ok()) {
    principals = ParsePrincipals(*text, path_);
  } else {
    principals = text.status();
  }
  {
    absl::MutexLock lock(&mu_);
    stamp_ = stamp;  // a bad file is reported once, not at every look
    if (principals.ok()) {
      principals_ = std::make_shared<const std::vector<Principal>>(
          *std::move(principals));
    }
  }
  if (!principals.ok()) {
    if (log_ != nullptr) {
      log_->LogJson("principals_reload_failed",
                    {{"file", path_},
                     {"error", std::string(principals.status().message())},
                     {"kept", "the principals in use"}},
                    LogLevel::kError);
    }
    return principals.status();
  }
  if (log_ != nullptr) {
    log_->LogJson(
        "principals_reloaded",
        {{"file", path_}, {"principals", static_cast<uint64_t>(size())}});
  }
  return absl::OkStatus();
}

size_t Authenticator::size() const {
  absl::MutexLock lock(&mu_);
  return principals_->size();
}

void Authenticator::ReloadIfChanged() {
  const std::string stamp = Stamp(path_);  // no lock held across the stat
  {
    absl::MutexLock lock(&mu_);
    if (stamp == stamp_) return;
  }
  (void)Reload();  // logged; the table in use stays on failure
}

absl::StatusOr<Principal> Authenticator::Authenticate(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
    const grpc::AuthContext* auth_context) {
  std::shared_ptr<const std::vector<Principal>> principals;
  {
    absl::MutexLock lock(&mu_);
    principals = principals_;
  }
  if (const auto it = metadata.find("authorization"); it != metadata.end()) {
    absl::string_view value(it->second.data(), it->second.size());
    constexpr absl::string_view kBearer = "bearer ";
    if (value.size() <= kBearer.size() ||
        !absl::EqualsIgnoreCase(value.substr(0, kBearer.size()), kBearer)) {
      return absl::UnauthenticatedError(
          "authorization: expected \"Bearer <token>\"");
    }
    const std::string hash = TokenSha256Hex(
        absl::StripAsciiWhitespace(value.substr(kBearer.size())));
    // Every entry is compared, each in constant time.
    const Principal* found = nullptr;
    for (const Principal& p : *principals) {
      if (!p.token_sha256.empty() && ConstantTimeEqual(p.token_sha256, hash)) {
        found = &p;
      }
    }
    if (found == nullptr) return absl::UnauthenticatedError("unknown token");
    return *found;
  }
  if (auth_context != nullptr && auth_context->IsPeerAuthenticated()) {
    std::vector<std::string> identities;
    for (const char* property :
         {"x509_common_name", "x509_subject_alternative_name"}) {
      for (const grpc::string_ref& v :
           auth_context->FindPropertyValues(property)) {
        identities.emplace_back(v.data(), v.size());
      }
    }
    for (const std::string& identity : identities) {
      for (const Principal& p : *principals) {
        if (!p.cert_cn.empty() && p.cert_cn == identity) return p;
      }
    }
    return absl::UnauthenticatedError(absl::StrCat(
        "the client certificate (",
        identities.empty() ? std::string("no CN or SAN")
                           : absl::StrCat("CN/SAN ", identities.front()),
        ") is not a known principal"));
  }
  return absl::UnauthenticatedError(
      "missing credentials: send `authorization: Bearer <token>` or a client "
      "certificate");
}

absl::StatusOr<Principal> Authorize(Authenticator* auth,
                                    const grpc::CallbackServerContext& context,
                                    absl::string_view method) {
  const auto& table = PolicyTable();
  const auto policy = table.find(std::string(method));
  if (auth == nullptr) {
    return AnonymousPrincipal();
  }
  if (policy != table.end() && policy->second.open) return AnonymousPrincipal();
  const std::shared_ptr<const grpc::AuthContext> auth_context =
      context.auth_context();
  absl::StatusOr<Principal> principal =
      auth->Authenticate(context.client_metadata(), auth_context.get());
  if (!principal.ok()) return principal.status();
  if (policy == table.end()) {
    return absl::PermissionDeniedError(
        absl::StrCat(std::string(method),
                     ": no policy for this method; nobody may call it"));
  }
  for (const Role role : principal->roles) {
    if (policy->second.roles.count(role) > 0) return principal;
  }
  return absl::PermissionDeniedError(
      absl::StrCat(std::string(method), " may be called by the roles ",
                   RoleList(policy->second.roles), "; principal \"",
                   principal->name, "\" has ", RoleList(principal->roles)));
}

absl::Status Allowed(Authenticator* auth,
                     const grpc::CallbackServerContext& context,
                     absl::string_view method) {
  return Authorize(auth, context, method).status();
}

}  // namespace ehcp::services
