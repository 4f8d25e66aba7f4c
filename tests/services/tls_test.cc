// Transport security: ehcpd with TLS and mutual TLS, spoken to over gRPC
// with certificates the test makes with the openssl command; the rule that
// plaintext is served only on loopback; TLS files checked, and named, before
// anything is created.
#include "services/internal/tls.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "ehcp/v1/clock_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "services/server.h"
#include "tests/services/journey_builder.h"

namespace ehcp::testing {
namespace {

using ::testing::HasSubstr;

// Runs a shell command; fails the test when it fails.
void Shell(const std::string& command) {
  const int status = std::system(absl::StrCat(command, " 2>/dev/null").c_str());
  ASSERT_EQ(status, 0) << command;
}

// A CA, a server certificate for localhost and 127.0.0.1, a client
// certificate from the CA, and a client certificate from another CA, as
// PEM files in `dir` (EC P-256 keys: quick to make).
class Certificates {
 public:
  explicit Certificates(const std::string& dir) : dir_(dir) {
    const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1";
    for (const std::string ca : {"ca", "other-ca"}) {
      Shell(absl::StrCat("openssl req -x509 ", key,
                         " -nodes -days 2 -subj /CN=", ca, " -keyout ",
                         Path(ca + ".key"), " -out ", Path(ca + ".pem")));
    }
    Issue("server", "ca", "localhost",
          "subjectAltName=DNS:localhost,IP:127.0.0.1");
    Issue("client", "ca", "caseworker", "");
    Issue("stranger", "other-ca", "stranger", "");
  }

  std::string Path(const std::string& name) const {
    return absl::StrCat(dir_, "/", name);
  }
  std::string Read(const std::string& name) const {
    std::ifstream in(Path(name));
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  void Issue(const std::string& name, const std::string& ca,
             const std::string& cn, const std::string& extension) {
    Shell(absl::StrCat(
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "-subj /CN=",
        cn, " -keyout ", Path(name + ".key"), " -out ", Path(name + ".csr")));
    std::string ext;
    if (!extension.empty()) {
      std::ofstream(Path(name + ".ext")) << extension << "\n";
      ext = absl::StrCat(" -extfile ", Path(name + ".ext"));
    }
    Shell(absl::StrCat("openssl x509 -req -days 2 -in ", Path(name + ".csr"),
                       " -CA ", Path(ca + ".pem"), " -CAkey ",
                       Path(ca + ".key"), " -CAcreateserial -out ",
                       Path(name + ".pem"), ext));
  }

  std::string dir_;
};

class TlsTest : public ::testing::Test {
 protected:
  TlsTest() : certs_(certs_dir_.path()) {}

  services::ServerOptions Options(bool mutual) const {
    services::ServerOptions options;
    options.data_dir = data_.path() + "/data";
    options.listen_address = "127.0.0.1:0";
    options.tls.cert_file = certs_.Path("server.pem");
    options.tls.key_file = certs_.Path("server.key");
    if (mutual) options.tls.client_ca_file = certs_.Path("ca.pem");
    return options;
  }

  // GetProjectionStatus over a channel with `credentials`, checking the
  // server's certificate for "localhost".
  grpc::Status Call(int port,
                    std::shared_ptr<grpc::ChannelCredentials> credentials) {
    grpc::ChannelArguments arguments;
    arguments.SetSslTargetNameOverride("localhost");
    auto channel = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                             credentials, arguments);
    auto stub = v1::ClockService::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
    v1::GetProjectionStatusResponse response;
    return stub->GetProjectionStatus(&context, {}, &response);
  }

  std::shared_ptr<grpc::ChannelCredentials> Trusting(
      const std::string& client = "") const {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = certs_.Read("ca.pem");
    if (!client.empty()) {
      options.pem_cert_chain = certs_.Read(client + ".pem");
      options.pem_private_key = certs_.Read(client + ".key");
    }
    return grpc::SslCredentials(options);
  }

  TempDir certs_dir_;
  TempDir data_;
  Certificates certs_;
};

TEST_F(TlsTest, AClientTrustingTheCaIsServedAndAPlaintextOneIsNot) {
  auto server = services::EhcpServer::Start(Options(/*mutual=*/false));
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  grpc::Status trusted = Call(port, Trusting());
  EXPECT_TRUE(trusted.ok()) << trusted.error_message();
  EXPECT_EQ(Call(port, grpc::InsecureChannelCredentials()).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // A client that trusts another CA does not accept the server.
  grpc::SslCredentialsOptions other;
  other.pem_root_certs = certs_.Read("other-ca.pem");
  EXPECT_EQ(Call(port, grpc::SslCredentials(other)).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  (*server)->Shutdown();
}

TEST_F(TlsTest, MutualTlsServesOnlyClientsWithACertificateOfItsClientCa) {
  auto server = services::EhcpServer::Start(Options(/*mutual=*/true));
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  grpc::Status with_certificate = Call(port, Trusting("client"));
  EXPECT_TRUE(with_certificate.ok()) << with_certificate.error_message();
  EXPECT_EQ(Call(port, Trusting()).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Call(port, Trusting("stranger")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  (*server)->Shutdown();
}

TEST_F(TlsTest, PlaintextOnAnAddressOthersCanReachIsRefusedUnlessAllowed) {
  services::ServerOptions options;
  options.data_dir = data_.path() + "/data";
  options.listen_address = "0.0.0.0:0";
  auto refused = services::EhcpServer::Start(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("0.0.0.0:0"));
  EXPECT_THAT(refused.status().message(), HasSubstr("--tls_cert"));
  EXPECT_THAT(refused.status().message(), HasSubstr("--insecure_listen"));
  EXPECT_FALSE(std::filesystem::exists(options.data_dir))
      << "a refused start created the data directory";

  options.insecure_listen = true;
  auto allowed = services::EhcpServer::Start(options);
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  (*allowed)->Shutdown();

  // With TLS any address will do.
  services::ServerOptions tls = Options(/*mutual=*/false);
  tls.listen_address = "0.0.0.0:0";
  tls.data_dir = data_.path() + "/tls";
  auto with_tls = services::EhcpServer::Start(tls);
  ASSERT_TRUE(with_tls.ok()) << with_tls.status();
  (*with_tls)->Shutdown();
}

TEST_F(TlsTest, BadTlsFilesAreNamedBeforeAnythingIsCreated) {
  auto start = [&](auto change) {
    services::ServerOptions options = Options(/*mutual=*/true);
    change(options);
    auto server = services::EhcpServer::Start(options);
    EXPECT_FALSE(std::filesystem::exists(options.data_dir));
    return server.status();
  };
  absl::Status missing = start([&](services::ServerOptions& o) {
    o.tls.cert_file = certs_.Path("nowhere.pem");
  });
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.message(),
              HasSubstr(absl::StrCat("--tls_cert: cannot read ",
                                     certs_.Path("nowhere.pem"))));
  absl::Status wrong_key = start([&](services::ServerOptions& o) {
    o.tls.key_file = certs_.Path("client.key");
  });
  EXPECT_EQ(wrong_key.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(wrong_key.message(),
              HasSubstr(absl::StrCat("--tls_key: ", certs_.Path("client.key"),
                                     " is not the key of the certificate")));
  absl::Status not_pem = start([&](services::ServerOptions& o) {
    o.tls.client_ca_file = certs_.Path("server.ext");
  });
  EXPECT_EQ(not_pem.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(not_pem.message(), HasSubstr("--tls_client_ca: "));
  EXPECT_THAT(not_pem.message(), HasSubstr("holds no PEM certificate"));
  absl::Status half =
      start([&](services::ServerOptions& o) { o.tls.key_file.clear(); });
  EXPECT_EQ(half.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(half.message(), HasSubstr("both --tls_cert"));
}

TEST(LoopbackTest, OnlyAddressesOfThisMachineAreLoopback) {
  for (const char* host :
       {"127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"}) {
    EXPECT_TRUE(services::IsLoopbackHost(host)) << host;
  }
  for (const char* host :
       {"0.0.0.0", "[::]", "", "10.0.0.1", "127.0.0", "127.0.0.1.example.org",
        "localhost.example.org", "128.0.0.1"}) {
    EXPECT_FALSE(services::IsLoopbackHost(host)) << host;
  }
}

}  // namespace
}  // namespace ehcp::testing
