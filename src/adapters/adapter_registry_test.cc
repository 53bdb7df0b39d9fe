#include <gtest/gtest.h>

#include "adapters/adapter.h"

namespace berth::adapters {
namespace {

AdapterRegistration Fake(std::string type) {
  AdapterRegistration registration;
  registration.info.type = std::move(type);
  registration.info.description = "fake";
  registration.factory = [](const Endpoint&,
                            const AdapterDeps&) -> Result<std::unique_ptr<Adapter>> {
    return Fail(ErrorCode::kUnsupported, "fake");
  };
  return registration;
}

TEST(AdapterRegistry, TypesAreSortedAndDuplicatesConflict) {
  AdapterRegistry registry;
  for (const char* type : {"quay", "aws-ecr", "harbor"})
    ASSERT_TRUE(registry.Register(Fake(type)).has_value());
  EXPECT_EQ(registry.Types(), (std::vector<std::string>{"aws-ecr", "harbor", "quay"}));
  auto duplicate = registry.Register(Fake("harbor"));
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code, ErrorCode::kConflict);
  EXPECT_EQ(registry.Find("harbor")->info.description, "fake");
  EXPECT_EQ(registry.Find("nope"), nullptr);
}

TEST(AdapterRegistry, UnknownTypeNamesTheKnownOnes) {
  AdapterRegistry registry;
  ASSERT_TRUE(registry.Register(Fake("harbor")).has_value());
  ASSERT_TRUE(registry.Register(Fake("docker-hub")).has_value());
  Endpoint endpoint{.type = "nexus", .url = "https://n.example.com"};
  auto adapter = registry.Create(endpoint, {});
  ASSERT_FALSE(adapter.has_value());
  EXPECT_EQ(adapter.error().code, ErrorCode::kBadRequest);
  EXPECT_NE(adapter.error().message.find("nexus"), std::string::npos);
  EXPECT_NE(adapter.error().message.find("docker-hub, harbor"), std::string::npos);
}

TEST(AdapterRegistry, CreateValidatesTheCredentialFirst) {
  AdapterRegistry registry;
  auto registration = Fake("x");
  bool built = false;
  registration.validate_credential = [](const Endpoint& e) -> Status {
    if (e.access_secret.empty()) return Fail(ErrorCode::kBadRequest, "access_secret missing");
    return Ok();
  };
  registration.factory = [&built](const Endpoint&,
                                  const AdapterDeps&) -> Result<std::unique_ptr<Adapter>> {
    built = true;
    return Fail(ErrorCode::kUnsupported, "fake");
  };
  ASSERT_TRUE(registry.Register(std::move(registration)).has_value());
  auto adapter = registry.Create(Endpoint{.type = "x"}, {});
  ASSERT_FALSE(adapter.has_value());
  EXPECT_EQ(adapter.error().message, "access_secret missing");
  EXPECT_FALSE(built);
}

class Builtin : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(RegisterBuiltinAdapters(registry_).has_value()); }
  AdapterRegistry registry_;
};

TEST_F(Builtin, RegistersEveryProviderOnceAndTwiceConflicts) {
  for (const char* type : {"azure-acr", "docker-hub", "docker-registry", "github-ghcr", "gitlab",
                           "harbor", "jfrog-artifactory", "quay"})
    EXPECT_NE(registry_.Find(type), nullptr) << type;
  auto again = RegisterBuiltinAdapters(registry_);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
}

struct InfoCase {
  std::string type;
  bool proxy_cache;
  bool copy_by_chunk;
  std::vector<std::string> resources;
  std::string endpoint_type;  // "" = no endpoint pattern
  std::string fixed_url;
  std::string access_key_type;  // "" = no credential pattern
};

TEST_F(Builtin, CapabilitiesAreData) {
  const std::vector<InfoCase> cases = {
      {"docker-registry", true, false, {"image"}, "", "", ""},
      {"harbor", true, true, {"image", "artifact"}, "", "", ""},
      {"docker-hub",
       true,
       false,
       {"image"},
       "EndpointPatternTypeFix",
       "https://hub.docker.com",
       ""},
      {"github-ghcr", true, false, {"image"}, "EndpointPatternTypeFix", "https://ghcr.io", ""},
      {"gitlab", false, false, {"image"}, "", "", ""},
      {"quay", false, false, {"image"}, "EndpointPatternTypeStandard", "", "AccessKeyTypeFix"},
      {"jfrog-artifactory", true, false, {"image"}, "", "", ""},
      {"azure-acr", true, true, {"image", "artifact"}, "", "", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.type);
    const AdapterRegistration* r = registry_.Find(c.type);
    ASSERT_NE(r, nullptr);
    const AdapterInfo& info = r->info;
    EXPECT_EQ(info.type, c.type);
    EXPECT_FALSE(info.description.empty());
    EXPECT_EQ(info.proxy_cache, c.proxy_cache);
    EXPECT_EQ(info.supported_copy_by_chunk, c.copy_by_chunk);
    EXPECT_EQ(info.supported_triggers, (std::vector<std::string>{"manual", "scheduled"}));
    ASSERT_EQ(info.supported_resource_filters.size(), 3u);
    EXPECT_EQ(info.supported_resource_filters[0].type, "name");
    EXPECT_EQ(info.supported_resource_filters[0].style, "input");
    EXPECT_EQ(info.supported_resource_filters[1].type, "tag");
    EXPECT_EQ(info.supported_resource_filters[2].type, "resource");
    EXPECT_EQ(info.supported_resource_filters[2].style, "radio");
    EXPECT_EQ(info.supported_resource_filters[2].values, c.resources);
    if (c.endpoint_type.empty()) {
      EXPECT_FALSE(info.endpoint_pattern.has_value());
    } else {
      ASSERT_TRUE(info.endpoint_pattern.has_value());
      EXPECT_EQ(info.endpoint_pattern->endpoint_type, c.endpoint_type);
      if (!c.fixed_url.empty()) {
        ASSERT_EQ(info.endpoint_pattern->endpoints.size(), 1u);
        EXPECT_EQ(info.endpoint_pattern->endpoints[0].second, c.fixed_url);
      }
    }
    if (c.access_key_type.empty()) {
      EXPECT_FALSE(info.credential_pattern.has_value());
    } else {
      ASSERT_TRUE(info.credential_pattern.has_value());
      EXPECT_EQ(info.credential_pattern->access_key_type, c.access_key_type);
    }
  }
  EXPECT_EQ(registry_.Find("quay")->info.credential_pattern->access_key_data, "json_file");
  EXPECT_EQ(registry_.Find("quay")->info.credential_pattern->access_secret_type,
            "AccessSecretTypeFile");
}

struct ValidatorCase {
  std::string type;
  std::string credential_type;
  std::string secret;
  bool ok;
  std::string message_part;
};

TEST_F(Builtin, CredentialValidators) {
  const std::vector<ValidatorCase> cases = {
      {"quay", "basic", "", true, ""},
      {"quay", "basic", R"({"account_name":"a","docker_cli_password":"p"})", true, ""},
      {"quay", "basic", R"({"oauth2_token":"t","account_name":"a","docker_cli_password":"p"})",
       true, ""},
      {"quay", "basic", "hunter2", false, "not a JSON object"},
      {"quay", "basic", R"(["a"])", false, "not a JSON object"},
      {"quay", "basic", R"({"docker_cli_password":"p"})", false, "missing account_name"},
      {"quay", "basic", R"({"account_name":"a"})", false, "missing docker_cli_password"},
      {"azure-acr", "oauth", "", false, "Azure AD access token"},
      {"azure-acr", "oauth", "aad-token", true, ""},
      {"azure-acr", "basic", "", true, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.type + " " + c.secret);
    Endpoint endpoint{.type = c.type,
                      .url = "https://r.example.com",
                      .credential_type = c.credential_type,
                      .access_key = "json_file",
                      .access_secret = c.secret};
    const auto& validate = registry_.Find(c.type)->validate_credential;
    ASSERT_TRUE(validate);
    auto status = validate(endpoint);
    EXPECT_EQ(status.has_value(), c.ok);
    if (!c.ok && !status) {
      EXPECT_EQ(status.error().code, ErrorCode::kBadRequest);
      EXPECT_NE(status.error().message.find(c.message_part), std::string::npos)
          << status.error().message;
      if (c.type == "quay") {
        EXPECT_NE(status.error().message.find("access_secret must be JSON like"),
                  std::string::npos);
      }
    }
    // Create runs the same validator and never reaches the network on failure.
    if (!c.ok) {
      EXPECT_FALSE(registry_.Create(endpoint, {}).has_value());
    }
  }
}

}  // namespace
}  // namespace berth::adapters
