// Every provider against a live target: docker-registry (real), harbor (a real Berth),
// and the cloud providers against the Python emulators in tests/emulators, reached
// through curl CONNECT_TO so the adapters use their real hostnames.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "adapters/adapter.h"
#include "adapters/adapter_conformance.h"
#include "adapters/test_processes.h"

namespace berth::adapters {
namespace {

using testing::ChildProcess;
using testing::TempDir;

const std::string kEmulatorDir = std::string(BERTH_SOURCE_DIR) + "/tests/emulators/";
const std::vector<std::string> kAllHosts = {
    "hub.docker.com", "registry-1.docker.io", "auth.docker.io",
    "ghcr.io",        "gitlab.com",           "registry.gitlab.com",
    "quay.io",        "acme.jfrog.io",        "myreg.azurecr.io"};

// A running emulator script: port and CA certificate from its ready line.
struct Emulator {
  std::unique_ptr<TempDir> dir = std::make_unique<TempDir>();
  std::unique_ptr<ChildProcess> process;
  int port = 0;
  std::string ca_pem;

  // Deps sending every provider hostname to this emulator.
  AdapterDeps Deps() const {
    AdapterDeps deps;
    for (const auto& host : kAllHosts)
      deps.network.connect_to.push_back(host + ":443:127.0.0.1:" + std::to_string(port));
    deps.network.extra_ca_pem = ca_pem;
    deps.network.connect_timeout = std::chrono::seconds(5);
    deps.network.timeout = std::chrono::seconds(30);
    return deps;
  }
};

std::unique_ptr<Emulator> StartEmulator(const std::string& script,
                                        std::vector<std::string> extra_args = {}) {
  auto emulator = std::make_unique<Emulator>();
  std::vector<std::string> argv = {"/usr/bin/python3", kEmulatorDir + script, "--dir",
                                   emulator->dir->path() + "/emu"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  emulator->process = std::make_unique<ChildProcess>(argv, std::vector<std::string>{}, true);
  std::string line = emulator->process->ReadLine(30000);
  auto json = nlohmann::json::parse(line, nullptr, false);
  if (!json.is_object()) return nullptr;
  emulator->port = json["port"].get<int>();
  emulator->ca_pem = testing::ReadFile(json["ca"].get<std::string>());
  return emulator;
}

// Shared by every test: the builtin registry and a plain TLS web server (no registry).
class Providers : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new AdapterRegistry();
    ASSERT_TRUE(RegisterBuiltinAdapters(*registry_).has_value());
    web_ = StartEmulator("common.py", {"--no-upstream"}).release();
    ASSERT_NE(web_, nullptr) << "the web server emulator did not start";
  }
  static void TearDownTestSuite() {
    delete web_;
    web_ = nullptr;
    delete registry_;
    registry_ = nullptr;
  }

  // A target whose negative case sends the provider's hosts to the web server.
  ConformanceTarget Target(const Endpoint& endpoint, const Emulator& emulator) {
    ConformanceTarget target;
    target.registry = registry_;
    target.endpoint = endpoint;
    target.deps = emulator.Deps();
    target.bad_secret = "wrong-secret";
    target.not_registry_endpoint = endpoint;
    target.not_registry_deps = web_->Deps();
    return target;
  }

  static AdapterRegistry* registry_;
  static Emulator* web_;
};
AdapterRegistry* Providers::registry_ = nullptr;
Emulator* Providers::web_ = nullptr;

// A docker-registry, optionally behind htpasswd.
struct DockerRegistry {
  TempDir dir;
  int port = testing::FreePort();
  std::unique_ptr<ChildProcess> process;

  explicit DockerRegistry(bool with_auth) {
    std::string auth;
    if (with_auth) {
      ChildProcess htpasswd({"htpasswd", "-Bbc", dir.path() + "/htpasswd", "alice", "secret"}, {},
                            true);
      htpasswd.ReadLine(10000);  // EOF when done
      auth = "auth:\n  htpasswd:\n    realm: basic-realm\n    path: " + dir.path() + "/htpasswd\n";
    }
    testing::WriteFile(dir.path() + "/config.yml",
                       "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
                       "storage:\n  filesystem:\n    rootdirectory: " +
                           dir.path() + "/data\n" + "http:\n  addr: 127.0.0.1:" +
                           std::to_string(port) + "\n  secret: test\n" + auth);
    process = std::make_unique<ChildProcess>(
        std::vector<std::string>{"docker-registry", "serve", dir.path() + "/config.yml"},
        std::vector<std::string>{}, false);
    testing::WaitForPort(port, 15000);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

TEST_F(Providers, DockerRegistryWithoutAuth) {
  DockerRegistry upstream(false);
  ConformanceTarget target =
      Target(Endpoint{.name = "plain", .type = "docker-registry", .url = upstream.url()}, *web_);
  target.bad_secret.clear();  // anonymous: nothing to get wrong
  target.not_registry_endpoint.url = "https://127.0.0.1:" + std::to_string(web_->port);
  target.not_registry_endpoint.ca_certificate = web_->ca_pem;
  target.push_repository = "library/app";
  RunAdapterConformance(target);
}

TEST_F(Providers, DockerRegistryWithHtpasswd) {
  DockerRegistry upstream(true);
  ConformanceTarget target = Target(Endpoint{.name = "auth",
                                             .type = "docker-registry",
                                             .url = upstream.url(),
                                             .access_key = "alice",
                                             .access_secret = "secret"},
                                    *web_);
  target.not_registry_endpoint.url = "https://127.0.0.1:" + std::to_string(web_->port);
  target.not_registry_endpoint.ca_certificate = web_->ca_pem;
  target.push_repository = "team/app";
  RunAdapterConformance(target);
}

TEST_F(Providers, DockerRegistryUnreachableSaysSo) {
  Endpoint endpoint{.type = "docker-registry",
                    .url = "http://127.0.0.1:" + std::to_string(testing::FreePort())};
  auto adapter = registry_->Create(endpoint, {});
  ASSERT_TRUE(adapter.has_value());
  auto status = (*adapter)->HealthCheck();
  ASSERT_FALSE(status.has_value());
  EXPECT_FALSE(status.error().message.empty());
}

std::string BerthBinary() {
  if (const char* bin = std::getenv("BERTH_BIN"); bin && *bin) return bin;
  return std::string(BERTH_SOURCE_DIR) + "/build/berth";
}

TEST_F(Providers, HarborAgainstBerth) {
  const std::string binary = BerthBinary();
  if (!std::filesystem::exists(binary)) GTEST_SKIP() << "no berth binary at " << binary;
  TempDir data;
  int port = testing::FreePort();
  ChildProcess berth(
      {binary, "serve", "--listen", "127.0.0.1:" + std::to_string(port), "--data", data.path()},
      {"BERTH_ADMIN_PASSWORD=Harbor12345x"}, false);
  ASSERT_TRUE(testing::WaitForPort(port, 20000)) << "berth did not start";
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  ConformanceTarget target = Target(Endpoint{.name = "berth",
                                             .type = "harbor",
                                             .url = url,
                                             .access_key = "admin",
                                             .access_secret = "Harbor12345x"},
                                    *web_);
  target.not_registry_endpoint.url = "https://127.0.0.1:" + std::to_string(web_->port);
  target.not_registry_endpoint.ca_certificate = web_->ca_pem;
  target.push_repository = "conformance/app";
  RunAdapterConformance(target);

  // Info adds the label filter before the resource radio.
  auto adapter = registry_->Create(target.endpoint, target.deps);
  ASSERT_TRUE(adapter.has_value());
  auto info = (*adapter)->Info();
  ASSERT_TRUE(info.has_value()) << info.error().message;
  ASSERT_EQ(info->supported_resource_filters.size(), 4u);
  EXPECT_EQ(info->supported_resource_filters[2].type, "label");
  EXPECT_EQ(info->supported_resource_filters[2].style, "list");
}

TEST_F(Providers, HarborTypeRejectsAPlainRegistry) {
  DockerRegistry upstream(false);
  auto adapter = registry_->Create(Endpoint{.type = "harbor", .url = upstream.url()}, {});
  ASSERT_TRUE(adapter.has_value());
  auto status = (*adapter)->HealthCheck();
  ASSERT_FALSE(status.has_value());
  EXPECT_NE(status.error().message.find("use type docker-registry"), std::string::npos)
      << status.error().message;
}

// A provider behind its emulator, run through the conformance suite.
struct EmulatedProvider {
  std::string name;  // the test's name
  std::string script;
  std::vector<std::string> emulator_args;
  Endpoint endpoint;
  std::string push_repository;
  std::string bad_secret = "wrong-secret";
  bool can_list = true;
};

class EmulatedProviders : public Providers,
                          public ::testing::WithParamInterface<EmulatedProvider> {};

TEST_P(EmulatedProviders, PassConformance) {
  const EmulatedProvider& provider = GetParam();
  auto emulator = StartEmulator(provider.script, provider.emulator_args);
  ASSERT_NE(emulator, nullptr);
  ConformanceTarget target = Target(provider.endpoint, *emulator);
  target.bad_secret = provider.bad_secret;
  target.push_repository = provider.push_repository;
  target.can_list = provider.can_list;
  RunAdapterConformance(target);
}

INSTANTIATE_TEST_SUITE_P(
    Providers, EmulatedProviders,
    ::testing::Values(
        EmulatedProvider{.name = "DockerHub",
                         .script = "dockerhub_emulator.py",
                         .endpoint = {.name = "hub",
                                      .type = "docker-hub",
                                      .url = "https://hub.docker.com",
                                      .access_key = "alice",
                                      .access_secret = "secret"},
                         .push_repository = "alice/app"},
        EmulatedProvider{.name = "GithubGhcr",
                         .script = "ghcr_emulator.py",
                         .endpoint = {.name = "ghcr",
                                      .type = "github-ghcr",
                                      .url = "https://ghcr.io",
                                      .access_key = "alice",
                                      .access_secret = "secret"},
                         .push_repository = "alice/app",
                         .can_list = false},
        EmulatedProvider{.name = "Gitlab",
                         .script = "gitlab_emulator.py",
                         .endpoint = {.name = "gitlab",
                                      .type = "gitlab",
                                      .url = "https://registry.gitlab.com",
                                      .access_key = "alice",
                                      .access_secret = "secret"},
                         .push_repository = "alice/tools/cli"},
        EmulatedProvider{
            .name = "Quay",
            .script = "quay_emulator.py",
            .emulator_args = {"--oauth-token", "oauth-xyz"},
            .endpoint = {.name = "quay",
                         .type = "quay",
                         .url = "https://quay.io",
                         .access_key = "json_file",
                         .access_secret = R"({"oauth2_token":"oauth-xyz","account_name":"alice",)"
                                          R"("docker_cli_password":"secret"})"},
            // PrepareForPush must create the organization.
            .push_repository = "neworg/app",
            .bad_secret = R"({"account_name":"alice","docker_cli_password":"wrong"})"},
        EmulatedProvider{.name = "JfrogArtifactory",
                         .script = "artifactory_emulator.py",
                         .endpoint = {.name = "jfrog",
                                      .type = "jfrog-artifactory",
                                      .url = "https://acme.jfrog.io",
                                      .access_key = "alice",
                                      .access_secret = "secret"},
                         // PrepareForPush creates docker-local.
                         .push_repository = "docker-local/app"},
        // The emulator checks the admin user name too.
        EmulatedProvider{.name = "AzureAcrAdminUser",
                         .script = "acr_emulator.py",
                         .endpoint = {.name = "acr",
                                      .type = "azure-acr",
                                      .url = "https://myreg.azurecr.io",
                                      .access_key = "alice",
                                      .access_secret = "secret"},
                         .push_repository = "team/app"},
        EmulatedProvider{.name = "AzureAcrAadTokenExchange",
                         .script = "acr_emulator.py",
                         .emulator_args = {"--aad-token", "aad-123"},
                         .endpoint = {.name = "acr-aad",
                                      .type = "azure-acr",
                                      .url = "https://myreg.azurecr.io",
                                      .credential_type = "oauth",
                                      .access_key = "aad",
                                      .access_secret = "aad-123"},
                         .push_repository = "team/aad"}),
    [](const ::testing::TestParamInfo<EmulatedProvider>& info) { return info.param.name; });

TEST_F(Providers, DockerHubAnonymousChallengeCountsAsReachable) {
  auto emulator = StartEmulator("dockerhub_emulator.py");
  ASSERT_NE(emulator, nullptr);
  auto anonymous = registry_->Create(
      Endpoint{.type = "docker-hub", .url = "https://hub.docker.com"}, emulator->Deps());
  ASSERT_TRUE(anonymous.has_value());
  auto status = (*anonymous)->HealthCheck();
  EXPECT_TRUE(status.has_value()) << status.error().message;
}

TEST_F(Providers, AzureAcrTypeRejectsAnotherRegistry) {
  auto emulator = StartEmulator("ghcr_emulator.py");
  ASSERT_NE(emulator, nullptr);
  // ghcr.io's realm is not /oauth2/token on the registry host.
  auto adapter =
      registry_->Create(Endpoint{.type = "azure-acr", .url = "https://ghcr.io"}, emulator->Deps());
  ASSERT_TRUE(adapter.has_value());
  auto status = (*adapter)->HealthCheck();
  ASSERT_FALSE(status.has_value());
  EXPECT_NE(status.error().message.find("not Azure Container Registry"), std::string::npos)
      << status.error().message;
}

}  // namespace
}  // namespace berth::adapters
