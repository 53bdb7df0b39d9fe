#include <gtest/gtest.h>

#include "adapters/credential_cases.h"
#include "adapters/swr/swr_adapter.h"

namespace berth::adapters::swr {
namespace {

TEST(SwrCredential, Validator) {
  testing::ExpectCredentialCases(ValidateSwrCredential, "",
                                 "https://swr.cn-north-4.myhuaweicloud.com",
                                 {{"", "", ""},
                                  {"cn-north-4@AKEXAMPLE", "loginkey", ""},
                                  {"cn-north-4@AKEXAMPLE", "", "access_secret"},
                                  {"", "loginkey", "access_key"}});
}

TEST(SwrAdapter, InfoAndLocalChecks) {
  auto reg = SwrRegistration();
  EXPECT_EQ(reg.info.type, "huawei-SWR");
  EXPECT_FALSE(reg.info.proxy_cache);
  EXPECT_FALSE(reg.info.endpoint_pattern.has_value());
  EXPECT_FALSE(reg.info.credential_pattern.has_value());

  Endpoint e;
  e.type = "huawei-SWR";
  e.url = "https://swr.cn-north-4.myhuaweicloud.com";
  auto adapter = reg.factory(e, AdapterDeps{});
  ASSERT_TRUE(adapter.has_value());
  // No credentials: the check says so instead of passing.
  auto health = (*adapter)->HealthCheck();
  ASSERT_FALSE(health.has_value());
  EXPECT_EQ(health.error().code, ErrorCode::kBadRequest);
  // A repository outside any organization cannot be pushed.
  auto prepare = (*adapter)->PrepareForPush({"busybox"});
  ASSERT_FALSE(prepare.has_value());
  EXPECT_EQ(prepare.error().code, ErrorCode::kBadRequest);
  EXPECT_NE(prepare.error().message.find("organization"), std::string::npos);
}

}  // namespace
}  // namespace berth::adapters::swr
