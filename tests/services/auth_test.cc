// Authentication and roles (services/internal/auth.h): the principals
// file's parsing, the policy table against the generated descriptors, and
// a real ehcpd on port 0 called over gRPC: every RPC × every role × {no
// credential, wrong token, right token}; the file re-read without a
// restart; a client-certificate identity under mutual TLS; recorded_by.
#include "services/internal/auth.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ehcp/v1/alert_service.grpc.pb.h"
#include "ehcp/v1/case_service.grpc.pb.h"
#include "ehcp/v1/clock_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/server.h"
#include "tests/services/journey_builder.h"

namespace ehcp::testing {
namespace {

using services::Role;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kRoleNames[] = {"caseworker", "auditor", "alerting",
                                      "admin"};
constexpr Role kRoles[] = {Role::kCaseworker, Role::kAuditor, Role::kAlerting,
                           Role::kAdmin};

std::string TokenOf(const std::string& role) {
  return absl::StrCat("s3cret-token-of-", role, "-7f3a");
}

// One principal per role, each with its own token.
std::string OnePrincipalPerRole() {
  std::string text = "# one principal per role\n\n";
  for (const char* role : kRoleNames) {
    absl::StrAppend(
        &text, "name=", role, "-1 roles=", role,
        std::string(role) == "caseworker" ? " las=E06000035" : " las=*",
        " token_sha256=", services::TokenSha256Hex(TokenOf(role)), "\n");
  }
  return text;
}

void WriteFile(const std::string& path, const std::string& text) {
  const bool existed = std::filesystem::exists(path);
  const auto before = existed ? std::filesystem::last_write_time(path)
                              : std::filesystem::file_time_type::clock::now();
  std::ofstream(path, std::ios::trunc) << text;
  // A later modification time, however coarse the file system's clock.
  if (existed) {
    std::filesystem::last_write_time(path, before + std::chrono::seconds(2));
  }
}

// The ehcp.v1 services' methods, from the generated descriptors of every
// .proto file in proto/ehcp/v1: "ehcp.v1.CaseService/OpenCase", ...
struct MethodInfo {
  std::string name;
  bool client_streaming = false;
  bool server_streaming = false;
};
std::vector<MethodInfo> AllMethods() {
  std::vector<MethodInfo> methods;
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const auto& entry : std::filesystem::directory_iterator(
           std::string(EHCP_SOURCE_DIR) + "/proto/ehcp/v1")) {
    if (entry.path().extension() != ".proto") continue;
    const std::string name = "ehcp/v1/" + entry.path().filename().string();
    const google::protobuf::FileDescriptor* file = pool->FindFileByName(name);
    EXPECT_NE(file, nullptr) << name << " is not linked into the test";
    if (file == nullptr) continue;
    for (int s = 0; s < file->service_count(); ++s) {
      const auto* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        const auto* method = service->method(m);
        methods.push_back(
            {absl::StrCat(service->full_name(), "/", method->name()),
             method->client_streaming(), method->server_streaming()});
      }
    }
  }
  return methods;
}

TEST(PolicyTableTest, EveryRpcOfEveryServiceHasADecision) {
  const std::vector<MethodInfo> methods = AllMethods();
  EXPECT_GE(methods.size(), 25u);
  for (const MethodInfo& method : methods) {
    const auto it = services::PolicyTable().find(method.name);
    ASSERT_NE(it, services::PolicyTable().end())
        << method.name << " has no entry in PolicyTable (services/auth.cc): "
        << "decide which roles may call it";
    EXPECT_FALSE(it->second.open) << method.name;
    EXPECT_FALSE(it->second.roles.empty()) << method.name;
  }
}

TEST(PolicyTableTest, WritesAndOperationsStayWithTheirRoles) {
  const auto& table = services::PolicyTable();
  for (const char* write :
       {"ehcp.v1.CaseService/OpenCase", "ehcp.v1.CaseService/AppendEvents"}) {
    EXPECT_EQ(table.at(write).roles, std::set<Role>{Role::kCaseworker});
  }
  for (const char* op : {"ehcp.v1.CaseService/ImportLog",
                         "ehcp.v1.ClockService/RebuildProjections",
                         "ehcp.v1.AdminService/SetToday"}) {
    EXPECT_EQ(table.at(op).roles, std::set<Role>{Role::kAdmin}) << op;
  }
  for (const auto& [method, policy] : table) {
    if (!absl::StartsWith(method, "ehcp.v1.AlertService/") &&
        method != "ehcp.v1.AdminService/GetToday") {
      EXPECT_EQ(policy.roles.count(Role::kAlerting), 0u) << method;
    }
  }
}

// --- The principals file ---

void ExpectRefused(const std::string& text, const std::string& where) {
  absl::StatusOr<std::vector<services::Principal>> parsed =
      services::ParsePrincipals(text, "/etc/ehcp/principals");
  ASSERT_FALSE(parsed.ok()) << text;
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(parsed.status().message()),
              HasSubstr("/etc/ehcp/principals:" + where))
      << text;
}

TEST(PrincipalsFileTest, ParsesTokensCertificatesCommentsAndBlankLines) {
  const std::string hash = services::TokenSha256Hex("abc");
  EXPECT_EQ(hash,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  absl::StatusOr<std::vector<services::Principal>> parsed =
      services::ParsePrincipals(
          absl::StrCat("# principals\n\n",
                       "name=medway-frontend roles=caseworker "
                       "las=E06000035,E10000016 token_sha256=",
                       hash,
                       "\n  name=auditor-1 roles=auditor,admin las=* "
                       "cert_cn=auditor-1  \n"),
          "f");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].name, "medway-frontend");
  EXPECT_EQ((*parsed)[0].roles, std::set<Role>{Role::kCaseworker});
  EXPECT_EQ((*parsed)[0].la_codes,
            (std::set<std::string>{"E06000035", "E10000016"}));
  EXPECT_FALSE((*parsed)[0].all_las);
  EXPECT_EQ((*parsed)[0].token_sha256, hash);
  EXPECT_TRUE((*parsed)[1].all_las);
  EXPECT_EQ((*parsed)[1].cert_cn, "auditor-1");
  EXPECT_EQ((*parsed)[1].roles, (std::set<Role>{Role::kAuditor, Role::kAdmin}));
}

// The example operators copy stays a file ehcpd accepts, and its hashes
// are of the tokens it says.
TEST(PrincipalsFileTest, TheDeployedExampleIsValid) {
  const std::string path =
      std::string(EHCP_SOURCE_DIR) + "/deploy/security/principals.example";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  absl::StatusOr<std::vector<services::Principal>> parsed =
      services::ParsePrincipals(text, path);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 5u);
  EXPECT_EQ((*parsed)[0].token_sha256,
            services::TokenSha256Hex("example-medway"));
  EXPECT_EQ((*parsed)[1].token_sha256,
            services::TokenSha256Hex("example-kent"));
}

TEST(PrincipalsFileTest, ErrorsNameTheLineAndTheField) {
  const std::string hash = std::string(64, 'a');
  const std::string good =
      absl::StrCat("name=a roles=admin las=* token_sha256=", hash, "\n");
  ExpectRefused("\n" + absl::StrCat("name=a roles=boss las=* cert_cn=x\n"),
                "2: roles: unknown role \"boss\"");
  ExpectRefused("name=a roles=admin las=E0600003 cert_cn=x\n",
                "1: las: \"E0600003\" is not an ONS LA code");
  ExpectRefused("name=a roles=admin las=* token_sha256=abc\n",
                "1: token_sha256: must be 64 hex digits");
  ExpectRefused(absl::StrCat("name=a roles=admin las=* token_sha256=",
                             std::string(64, 'g'), "\n"),
                "1: token_sha256: must be 64 hex digits");
  ExpectRefused(good + "# comment\nname=a roles=admin las=* cert_cn=x\n",
                "3: name: \"a\" is given twice");
  ExpectRefused(
      good + absl::StrCat("name=b roles=admin las=* token_sha256=", hash, "\n"),
      "2: token_sha256: the same token hash");
  ExpectRefused("name=a roles=admin las=*\n",
                "1: token_sha256: a principal "
                "needs token_sha256 or cert_cn");
  ExpectRefused("name=a las=* cert_cn=x\n", "1: roles: is required");
  ExpectRefused("name=a roles=admin cert_cn=x\n", "1: las: is required");
  ExpectRefused("roles=admin las=* cert_cn=x\n", "1: name: is required");
  ExpectRefused("name=a roles=admin las=* cert_cn=x colour=red\n",
                "1: colour: unknown field");
  ExpectRefused("name=a roles=admin las=* cert_cn=x junk\n",
                "1: junk: not key=value");
  ExpectRefused("name=a/b roles=admin las=* cert_cn=x\n", "1: name:");
  ExpectRefused("name=a roles=admin roles=auditor las=* cert_cn=x\n",
                "1: roles: given twice");
}

TEST(PrincipalsFileTest, StartRefusesABadFileBeforeCreatingAnything) {
  TempDir dir;
  const std::string path = dir.path() + "/principals";
  WriteFile(path, "name=x roles=caseworker las=* token_sha256=nothex\n");
  services::ServerOptions options;
  options.data_dir = dir.path() + "/data";
  options.listen_address = "127.0.0.1:0";
  options.principals_file = path;
  absl::StatusOr<std::unique_ptr<services::EhcpServer>> server =
      services::EhcpServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(server.status().message()),
              HasSubstr(path + ":1: token_sha256:"));
  EXPECT_FALSE(std::filesystem::exists(options.data_dir));

  options.principals_file = dir.path() + "/missing";
  server = services::EhcpServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(std::string(server.status().message()),
              HasSubstr(dir.path() + "/missing"));
  EXPECT_FALSE(std::filesystem::exists(options.data_dir));
}

// --- A real server ---

// Calls `method` ("ehcp.v1.X/Y") with one empty request message through
// the generic stub, reading any responses, with `token` as the bearer
// token ("" none); the call's status.
grpc::Status CallEmpty(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
    const std::string& token,
    std::chrono::milliseconds deadline = std::chrono::milliseconds(2000)) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + deadline);
  grpc::CompletionQueue cq;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&context, "/" + method, &cq);
  void* tag = nullptr;
  bool ok = false;
  auto step = [&](intptr_t want) {
    while (cq.Next(&tag, &ok)) {
      if (reinterpret_cast<intptr_t>(tag) == want) return ok;
    }
    return false;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  step(1);
  grpc::Slice empty;
  grpc::ByteBuffer request(&empty, 1);
  call->Write(request, reinterpret_cast<void*>(2));
  step(2);
  call->WritesDone(reinterpret_cast<void*>(3));
  step(3);
  grpc::ByteBuffer response;
  do {
    call->Read(&response, reinterpret_cast<void*>(4));
  } while (step(4));
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  step(5);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

class AuthServerTest : public ::testing::Test {
 protected:
  void StartServer(
      const std::string& principals,
      const std::function<void(services::ServerOptions*)>& more = {}) {
    principals_ = dir_.path() + "/principals";
    WriteFile(principals_, principals);
    server_ = std::make_unique<TestServer>(
        dir_.path() + "/data", false, [&](services::ServerOptions* options) {
          options->principals_file = principals_;
          options->log_sink = [this](const std::string& line) {
            std::lock_guard<std::mutex> lock(log_mu_);
            log_ += line;
          };
          if (more) more(options);
        });
  }
  std::string Log() {
    std::lock_guard<std::mutex> lock(log_mu_);
    return log_;
  }

  TempDir dir_;
  std::string principals_;
  std::unique_ptr<TestServer> server_;
  std::mutex log_mu_;
  std::string log_;
};

TEST_F(AuthServerTest, EveryRpcTimesEveryRoleIsDecidedByThePolicyTable) {
  StartServer(OnePrincipalPerRole());
  const std::vector<MethodInfo> methods = AllMethods();
  ASSERT_FALSE(methods.empty());
  std::vector<std::string> messages;
  for (const MethodInfo& method : methods) {
    SCOPED_TRACE(method.name);
    const grpc::Status none = CallEmpty(server_->channel(), method.name, "");
    EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << none.error_message();
    EXPECT_THAT(none.error_message(), HasSubstr("missing credentials"));
    const grpc::Status wrong =
        CallEmpty(server_->channel(), method.name, "not-a-token-9c1e");
    EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << wrong.error_message();
    EXPECT_EQ(wrong.error_message(), "unknown token");
    const std::set<Role>& allowed =
        services::PolicyTable().at(method.name).roles;
    for (size_t r = 0; r < std::size(kRoles); ++r) {
      SCOPED_TRACE(kRoleNames[r]);
      const grpc::Status status =
          CallEmpty(server_->channel(), method.name, TokenOf(kRoleNames[r]));
      messages.push_back(status.error_message());
      if (allowed.count(kRoles[r]) > 0) {
        EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
            << status.error_message();
        EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << status.error_message();
      } else {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << status.error_message();
        EXPECT_THAT(status.error_message(), HasSubstr(method.name));
        EXPECT_THAT(status.error_message(), HasSubstr("may be called by"));
      }
    }
  }
  // Health checks need no credential.
  EXPECT_EQ(HealthOf(server_->channel(), ""), 1);
  // No token in any answer or any log line.
  server_->Stop();
  const std::string log = Log();
  EXPECT_THAT(log, HasSubstr("call_refused"));
  for (const char* role : kRoleNames) {
    EXPECT_THAT(log, Not(HasSubstr(TokenOf(role))));
    for (const std::string& message : messages) {
      EXPECT_THAT(message, Not(HasSubstr(TokenOf(role))));
    }
  }
  EXPECT_THAT(log, Not(HasSubstr("not-a-token-9c1e")));
}

TEST_F(AuthServerTest, RecordedByIsTheAuthenticatedPrincipal) {
  StartServer(OnePrincipalPerRole());
  auto with_token = [](grpc::ClientContext* context, const std::string& role) {
    context->AddMetadata("authorization", "Bearer " + TokenOf(role));
  };
  grpc::ClientContext open_context;
  with_token(&open_context, "caseworker");
  v1::OpenCaseRequest open;
  open.set_la_code("E06000035");
  open.set_case_reference("MED-AUTH-1");
  open.set_birth_month("2015-03");
  open.set_opened_on("2024-01-02");
  v1::OpenCaseResponse opened;
  grpc::Status status = server_->stub().OpenCase(&open_context, open, &opened);
  ASSERT_TRUE(status.ok()) << status.error_message();

  grpc::ClientContext append_context;
  with_token(&append_context, "caseworker");
  v1::AppendEventsResponse appended;
  v1::AppendEventsRequest append =
      AppendRequest(opened.case_id(), {Request("2024-01-08")});
  append.set_expected_version(1);
  status = server_->stub().AppendEvents(&append_context, append, &appended);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // The auditor reads it.
  grpc::ClientContext read_context;
  with_token(&read_context, "auditor");
  v1::ReadCaseRequest read;
  read.set_case_id(opened.case_id());
  v1::ReadCaseResponse events;
  status = server_->stub().ReadCase(&read_context, read, &events);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(events.events_size(), 2);
  for (const v1::Event& event : events.events()) {
    EXPECT_EQ(event.recorded_by(), "caseworker-1");
  }

  // The admin may not write.
  grpc::ClientContext admin_context;
  with_token(&admin_context, "admin");
  open.set_case_reference("MED-AUTH-2");
  status = server_->stub().OpenCase(&admin_context, open, &opened);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(),
            "ehcp.v1.CaseService/OpenCase may be called by the roles "
            "caseworker; principal \"admin-1\" has admin");
}

TEST_F(AuthServerTest, TheFileIsReadAgainWhenItChangesWithoutARestart) {
  StartServer(OnePrincipalPerRole());
  const std::string method = "ehcp.v1.AdminService/GetToday";
  const std::string newcomer = "a-new-token-for-a-new-frontend";
  EXPECT_EQ(CallEmpty(server_->channel(), method, newcomer).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  WriteFile(principals_,
            absl::StrCat(OnePrincipalPerRole(),
                         "name=kent-frontend roles=caseworker las=E10000016 "
                         "token_sha256=",
                         services::TokenSha256Hex(newcomer), "\n"));
  // Watched once a second by the authenticator's thread.
  grpc::StatusCode code = grpc::StatusCode::UNAUTHENTICATED;
  for (int i = 0; i < 50 && code == grpc::StatusCode::UNAUTHENTICATED; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    code = CallEmpty(server_->channel(), method, newcomer).error_code();
  }
  EXPECT_EQ(code, grpc::StatusCode::OK);

  // An invalid file: logged, and the principals in use are kept.
  WriteFile(principals_, absl::StrCat(OnePrincipalPerRole(),
                                      "name=oops roles=janitor las=* "
                                      "cert_cn=oops\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_EQ(CallEmpty(server_->channel(), method, newcomer).error_code(),
            grpc::StatusCode::OK);
  EXPECT_EQ(
      CallEmpty(server_->channel(), method, TokenOf("admin")).error_code(),
      grpc::StatusCode::OK);
  const absl::Status reload = server_->server().ReloadPrincipals();
  EXPECT_EQ(reload.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(reload.message()),
              HasSubstr(principals_ + ":7: roles: unknown role \"janitor\""));
  server_->Stop();
  const std::string log = Log();
  EXPECT_THAT(log, HasSubstr("principals_reloaded"));
  EXPECT_THAT(log, HasSubstr("principals_reload_failed"));
  EXPECT_THAT(log, HasSubstr(":7: roles: unknown role"));
  EXPECT_THAT(log, Not(HasSubstr(newcomer)));
}

// --- Client certificates ---

void Shell(const std::string& command) {
  const int status = std::system(absl::StrCat(command, " 2>/dev/null").c_str());
  ASSERT_EQ(status, 0) << command;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(AuthServerTest, AClientCertificateIsAuthenticatedByItsCommonName) {
  const std::string d = dir_.path();
  const std::string key =
      "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  Shell(absl::StrCat("openssl req -x509 ", key, " -days 2 -subj /CN=ca",
                     " -keyout ", d, "/ca.key -out ", d, "/ca.pem"));
  auto issue = [&](const std::string& name, const std::string& cn,
                   const std::string& ext) {
    Shell(absl::StrCat("openssl req ", key, " -subj /CN=", cn, " -keyout ", d,
                       "/", name, ".key -out ", d, "/", name, ".csr"));
    std::string extfile;
    if (!ext.empty()) {
      std::ofstream(d + "/" + name + ".ext") << ext << "\n";
      extfile = absl::StrCat(" -extfile ", d, "/", name, ".ext");
    }
    Shell(absl::StrCat("openssl x509 -req -days 2 -in ", d, "/", name,
                       ".csr -CA ", d, "/ca.pem -CAkey ", d,
                       "/ca.key -CAcreateserial -out ", d, "/", name, ".pem",
                       extfile));
  };
  issue("server", "localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1");
  issue("auditor", "auditor-1", "");
  issue("stranger", "stranger", "");
  StartServer(absl::StrCat(OnePrincipalPerRole(),
                           "name=auditor-cert roles=auditor las=* "
                           "cert_cn=auditor-1\n"),
              [d](services::ServerOptions* options) {
                options->tls.cert_file = d + "/server.pem";
                options->tls.key_file = d + "/server.key";
                options->tls.client_ca_file = d + "/ca.pem";
              });
  auto channel_as = [&](const std::string& client) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadAll(d + "/ca.pem");
    ssl.pem_cert_chain = ReadAll(d + "/" + client + ".pem");
    ssl.pem_private_key = ReadAll(d + "/" + client + ".key");
    grpc::ChannelArguments arguments;
    arguments.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::SslCredentials(ssl),
        arguments);
  };
  auto auditor = channel_as("auditor");
  EXPECT_EQ(
      CallEmpty(auditor, "ehcp.v1.CaseService/GetDigest", "").error_code(),
      grpc::StatusCode::OK);
  const grpc::Status write =
      CallEmpty(auditor, "ehcp.v1.CaseService/OpenCase", "");
  EXPECT_EQ(write.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(write.error_message(), HasSubstr("\"auditor-cert\""));
  // A token, when sent, decides: the caseworker's over the auditor's
  // certificate.
  EXPECT_NE(
      CallEmpty(auditor, "ehcp.v1.CaseService/OpenCase", TokenOf("caseworker"))
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  // A certificate the CA signed, of nobody in the file.
  const grpc::Status stranger =
      CallEmpty(channel_as("stranger"), "ehcp.v1.CaseService/GetDigest", "");
  EXPECT_EQ(stranger.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(stranger.error_message(), HasSubstr("stranger"));
}

}  // namespace
}  // namespace ehcp::testing
