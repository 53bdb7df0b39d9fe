#include <gtest/gtest.h>

#include <chrono>

#include "adapters/credential_cases.h"
#include "adapters/ecr/ecr_adapter.h"
#include "adapters/ecr/ecr_api.h"
#include "adapters/ecr/sigv4.h"

namespace berth::adapters::ecr {
namespace {

using namespace std::chrono;

// The "get-vanilla" case of the AWS SigV4 test suite.
TEST(SigV4, GetVanillaTestVector) {
  SigV4Request req;
  req.method = "GET";
  req.host = "example.amazonaws.com";
  req.path = "/";
  AwsCredentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  auto when = sys_days{year{2015} / 8 / 30} + hours(12) + minutes(36);
  SigV4Signature sig = SignV4(req, creds, "us-east-1", "service", when);
  EXPECT_EQ(sig.amz_date, "20150830T123600Z");
  EXPECT_EQ(sig.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sig.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  EXPECT_EQ(sig.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4, CanonicalQueryAndHeaders) {
  SigV4Request req;
  req.host = "example.amazonaws.com";
  req.query = {{"b", "x y"}, {"a", "2"}, {"a", "1"}};
  req.headers = {{"X-Amz-Target", "  A   B  "}, {"Content-Type", "application/x-amz-json-1.1"}};
  AwsCredentials creds{"AKIDEXAMPLE", "secret", "token"};
  auto sig = SignV4(req, creds, "us-east-1", "ecr", sys_days{year{2020} / 1 / 2});
  EXPECT_NE(sig.canonical_request.find("\n/\na=1&a=2&b=x%20y\n"), std::string::npos);
  EXPECT_NE(sig.canonical_request.find("x-amz-target:A B\n"), std::string::npos);
  EXPECT_NE(sig.authorization.find(
                "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target"),
            std::string::npos);
}

TEST(SigV4, UriEncode) {
  EXPECT_EQ(AwsUriEncode("a-_.~Z9/ +*"), "a-_.~Z9%2F%20%2B%2A");
  EXPECT_EQ(AwsUriEncode("a/b", true), "a/b");
}

TEST(EcrUrl, Parse) {
  struct Case {
    const char* url;
    bool ok;
    const char* region;
    const char* account;
    const char* api_url;
    const char* registry_url;
  };
  const Case cases[] = {
      {"https://api.ecr.us-east-1.amazonaws.com", true, "us-east-1", "",
       "https://api.ecr.us-east-1.amazonaws.com", ""},
      {"https://api.ecr.eu-west-3.amazonaws.com/", true, "eu-west-3", "",
       "https://api.ecr.eu-west-3.amazonaws.com", ""},
      {"https://123456789012.dkr.ecr.ap-southeast-1.amazonaws.com", true, "ap-southeast-1",
       "123456789012", "https://api.ecr.ap-southeast-1.amazonaws.com",
       "https://123456789012.dkr.ecr.ap-southeast-1.amazonaws.com"},
      {"https://api.ecr.cn-north-1.amazonaws.com.cn", true, "cn-north-1", "",
       "https://api.ecr.cn-north-1.amazonaws.com.cn", ""},
      {"https://api.ecr-fips.us-gov-west-1.amazonaws.com", true, "us-gov-west-1", "",
       "https://api.ecr-fips.us-gov-west-1.amazonaws.com", ""},
      {"http://api.ecr.us-east-1.amazonaws.com", false},
      {"https://ecr.us-east-1.amazonaws.com", false},
      {"https://12345.dkr.ecr.us-east-1.amazonaws.com", false},
      {"https://api.ecr.us-east-1.amazonaws.com.evil.example", false},
      {"https://registry.example.com", false},
      {"", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    auto loc = ParseEcrUrl(c.url);
    ASSERT_EQ(loc.has_value(), c.ok);
    if (!c.ok) {
      EXPECT_EQ(loc.error().code, ErrorCode::kBadRequest);
      EXPECT_NE(loc.error().message.find("https://api.ecr.<region>.amazonaws.com"),
                std::string::npos);
      continue;
    }
    EXPECT_EQ(loc->region, c.region);
    EXPECT_EQ(loc->account, c.account);
    EXPECT_EQ(loc->api_url, c.api_url);
    EXPECT_EQ(loc->registry_url, c.registry_url);
  }
}

TEST(EcrCredential, Validator) {
  testing::ExpectCredentialCases(
      ValidateEcrCredential, "aws-ecr", "https://api.ecr.us-east-1.amazonaws.com",
      {
          {"", "", ""},
          {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""},
          {"AKIAIOSFODNN7EXAMPLE", "", "access_secret"},
          {"", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "access_key"},
          {"akia lower", "secret", "access_key"},
          {"AKIA", "secret", "access_key"},
      });
}

TEST(EcrRegistration, InfoAndBadUrl) {
  AdapterRegistration reg = EcrRegistration();
  EXPECT_EQ(reg.info.type, "aws-ecr");
  EXPECT_TRUE(reg.info.proxy_cache);
  ASSERT_TRUE(reg.info.endpoint_pattern.has_value());
  EXPECT_EQ(reg.info.endpoint_pattern->endpoint_type, "EndpointPatternTypeList");
  EXPECT_GE(reg.info.endpoint_pattern->endpoints.size(), 30u);
  bool china = false;
  for (const auto& [key, value] : reg.info.endpoint_pattern->endpoints) {
    EXPECT_TRUE(ParseEcrUrl(value).has_value()) << value;
    if (key == "cn-north-1") china = value == "https://api.ecr.cn-north-1.amazonaws.com.cn";
  }
  EXPECT_TRUE(china);
  EXPECT_FALSE(reg.info.credential_pattern.has_value());

  Endpoint e;
  e.type = "aws-ecr";
  e.url = "https://registry.example.com";
  auto adapter = reg.factory(e, AdapterDeps{});
  ASSERT_FALSE(adapter.has_value());
  EXPECT_EQ(adapter.error().code, ErrorCode::kBadRequest);
}

}  // namespace
}  // namespace berth::adapters::ecr
