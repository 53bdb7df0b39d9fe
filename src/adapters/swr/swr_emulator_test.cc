// huawei-SWR against tests/emulators/swr_emulator.py: dockyard namespaces and repository
// listing with Basic credentials, pushes only into existing organizations.
#include <gtest/gtest.h>

#include <algorithm>

#include "adapters/adapter_conformance.h"
#include "adapters/ecr/cloud_emulator.h"
#include "adapters/swr/swr_adapter.h"

namespace berth::adapters::swr {
namespace {

const std::vector<std::string> kHosts = {"swr.cn-north-4.myhuaweicloud.com"};
constexpr char kUser[] = "cn-north-4@AKEXAMPLE0000000001";
constexpr char kLoginKey[] = "0123456789abcdef-login-key";

class SwrEmulatorTest : public testing::CloudEmulatorTest<SwrEmulatorTest> {
 public:
  static constexpr char kEmulator[] = "swr";
  static std::vector<std::string> EmulatorArgs() {
    return {"--user", kUser, "--password", kLoginKey, "--foreign", "library", "--max-page", "2"};
  }
  static AdapterRegistration Registration() { return SwrRegistration(); }
  static const std::vector<std::string>& Hosts() { return kHosts; }

 protected:
  Endpoint MakeEndpoint(std::string secret = kLoginKey) const {
    Endpoint e;
    e.type = "huawei-SWR";
    e.url = "https://swr.cn-north-4.myhuaweicloud.com";
    e.access_key = kUser;
    e.access_secret = std::move(secret);
    return e;
  }
};

TEST_F(SwrEmulatorTest, Conformance) {
  ConformanceTarget target = Target(MakeEndpoint(), "not-the-login-key", "conformance/app");
  RunAdapterConformance(target);
}

TEST_F(SwrEmulatorTest, WrongLoginKeyIsUnauthorized) {
  auto adapter = Create(MakeEndpoint("not-the-login-key"));
  ASSERT_NE(adapter, nullptr);
  auto health = adapter->HealthCheck();
  ASSERT_FALSE(health.has_value());
  EXPECT_EQ(health.error().code, ErrorCode::kUnauthorized) << health.error().message;
  EXPECT_NE(health.error().message.find("<region>@<AK>"), std::string::npos);
}

TEST_F(SwrEmulatorTest, PrepareForPushCreatesTheOrganization) {
  auto adapter = Create(MakeEndpoint());
  ASSERT_NE(adapter, nullptr);
  ASSERT_FALSE(PushTinyImage(adapter->Registry(), "neworg/app", "v1").has_value())
      << "SWR accepted a push into a missing organization";
  auto prepared = adapter->PrepareForPush({"neworg/app", "neworg/other"});
  ASSERT_TRUE(prepared.has_value()) << prepared.error().message;
  ASSERT_TRUE(adapter->PrepareForPush({"neworg/app"}).has_value());  // exists now
  auto pushed = PushTinyImage(adapter->Registry(), "neworg/app", "v1");
  ASSERT_TRUE(pushed.has_value()) << pushed.error().message;
  auto listed = adapter->ListRepositories();
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  EXPECT_NE(std::find(listed->begin(), listed->end(), "neworg/app"), listed->end());
}

TEST_F(SwrEmulatorTest, OrganizationOfAnotherAccountIsAConflict) {
  auto adapter = Create(MakeEndpoint());
  ASSERT_NE(adapter, nullptr);
  auto prepared = adapter->PrepareForPush({"library/nginx"});
  ASSERT_FALSE(prepared.has_value());
  EXPECT_EQ(prepared.error().code, ErrorCode::kConflict) << prepared.error().message;
}

TEST_F(SwrEmulatorTest, ListRepositoriesPages) {
  auto adapter = Create(MakeEndpoint());
  ASSERT_NE(adapter, nullptr);
  ASSERT_TRUE(adapter->PrepareForPush({"many/x"}).has_value());
  std::vector<std::string> names;
  for (int i = 0; i < 5; ++i) names.push_back("many/r" + std::to_string(i));
  for (const auto& name : names) {
    auto pushed = PushTinyImage(adapter->Registry(), name, "v1");
    ASSERT_TRUE(pushed.has_value()) << pushed.error().message;
  }
  auto listed = adapter->ListRepositories();
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  for (const auto& name : names)
    EXPECT_NE(std::find(listed->begin(), listed->end(), name), listed->end()) << name;
}

}  // namespace
}  // namespace berth::adapters::swr
