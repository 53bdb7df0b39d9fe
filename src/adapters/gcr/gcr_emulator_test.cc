// google-gcr against tests/emulators/gcr_emulator.py: its token service accepts Basic
// _json_key:<key> only for the service-account key it issued.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "adapters/adapter_conformance.h"
#include "adapters/ecr/cloud_emulator.h"
#include "adapters/gcr/gcr_adapter.h"

namespace berth::adapters::gcr {
namespace {

const std::vector<std::string> kHosts = {"gcr.io", "us-docker.pkg.dev"};

class GcrEmulatorTest : public testing::CloudEmulatorTest<GcrEmulatorTest> {
 public:
  static constexpr char kEmulator[] = "gcr";
  static std::vector<std::string> EmulatorArgs() { return {}; }
  static AdapterRegistration Registration() { return GcrRegistration(); }
  static const std::vector<std::string>& Hosts() { return kHosts; }

 protected:
  void SetUp() override {
    CloudEmulatorTest::SetUp();
    if (HasFatalFailure()) return;
    std::ifstream in(emulator_->dir() + "/service-account.json");
    std::stringstream text;
    text << in.rdbuf();
    key_ = text.str();
    ASSERT_FALSE(key_.empty());
  }
  Endpoint MakeEndpoint(std::string url, std::string secret) const {
    Endpoint e;
    e.type = "google-gcr";
    e.url = std::move(url);
    e.access_key = secret.empty() ? "" : "_json_key";
    e.access_secret = std::move(secret);
    return e;
  }
  // The issued key with one field changed (still a valid-looking key).
  std::string OtherKey() const {
    auto json = nlohmann::json::parse(key_);
    json["client_email"] = "intruder@berth-test-project.iam.gserviceaccount.com";
    return json.dump();
  }

  std::string key_;
};

TEST_F(GcrEmulatorTest, Conformance) {
  ConformanceTarget target =
      Target(MakeEndpoint("https://gcr.io", key_), OtherKey(), "berth-test-project/conformance");
  RunAdapterConformance(target);
}

TEST_F(GcrEmulatorTest, ArtifactRegistryHostWithTheSameKey) {
  auto adapter = registry_.Create(MakeEndpoint("https://us-docker.pkg.dev", key_), Deps());
  ASSERT_TRUE(adapter.has_value()) << adapter.error().message;
  auto health = (*adapter)->HealthCheck();
  EXPECT_TRUE(health.has_value()) << health.error().message;
  auto pushed = PushTinyImage((*adapter)->Registry(), "berth-test-project/docker/app", "1.0");
  ASSERT_TRUE(pushed.has_value()) << pushed.error().message;
  auto listed = (*adapter)->ListRepositories();
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  EXPECT_NE(std::find(listed->begin(), listed->end(), "berth-test-project/docker/app"),
            listed->end());
}

TEST_F(GcrEmulatorTest, ForeignKeyIsUnauthorized) {
  auto adapter = registry_.Create(MakeEndpoint("https://gcr.io", OtherKey()), Deps());
  ASSERT_TRUE(adapter.has_value()) << adapter.error().message;
  auto health = (*adapter)->HealthCheck();
  ASSERT_FALSE(health.has_value());
  EXPECT_EQ(health.error().code, ErrorCode::kUnauthorized) << health.error().message;
  EXPECT_NE(health.error().message.find("service-account key"), std::string::npos)
      << health.error().message;
}

TEST_F(GcrEmulatorTest, MalformedKeyNeverLeavesBerth) {
  auto adapter =
      registry_.Create(MakeEndpoint("https://gcr.io", "{\"type\":\"service_account\"}"), Deps());
  ASSERT_FALSE(adapter.has_value());
  EXPECT_EQ(adapter.error().code, ErrorCode::kBadRequest);
  EXPECT_NE(adapter.error().message.find("access_secret"), std::string::npos);
}

TEST_F(GcrEmulatorTest, NoKeyIsUnhealthy) {
  auto adapter = registry_.Create(MakeEndpoint("https://gcr.io", ""), Deps());
  ASSERT_TRUE(adapter.has_value());
  auto health = (*adapter)->HealthCheck();
  ASSERT_FALSE(health.has_value());
  EXPECT_NE(health.error().message.find("google-gcr needs a service-account JSON key"),
            std::string::npos);
}

}  // namespace
}  // namespace berth::adapters::gcr
