#include "adapters/ecr/ecr_adapter.h"

#include <cstdlib>
#include <mutex>
#include <regex>
#include <set>

#include "adapters/common/credentials.h"
#include "adapters/ecr/ecr_api.h"

namespace berth::adapters {
namespace ecr {
namespace {

constexpr const char* kRegions[] = {
    "us-east-1",      "us-east-2",      "us-west-1",      "us-west-2",      "af-south-1",
    "ap-east-1",      "ap-south-1",     "ap-south-2",     "ap-northeast-1", "ap-northeast-2",
    "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
    "ca-central-1",   "ca-west-1",      "eu-central-1",   "eu-central-2",   "eu-west-1",
    "eu-west-2",      "eu-west-3",      "eu-north-1",     "eu-south-1",     "eu-south-2",
    "il-central-1",   "me-south-1",     "me-central-1",   "sa-east-1",      "us-gov-east-1",
    "us-gov-west-1",
};
constexpr const char* kChinaRegions[] = {"cn-north-1", "cn-northwest-1"};

AdapterInfo EcrInfo() {
  AdapterInfo info;
  info.type = "aws-ecr";
  info.description = "Amazon Elastic Container Registry";
  info.supported_resource_filters = {
      {"name", "input", {}}, {"tag", "input", {}}, {"resource", "radio", {"image"}}};
  info.supported_triggers = {"manual", "scheduled"};
  info.proxy_cache = true;
  EndpointPattern pattern;
  pattern.endpoint_type = "EndpointPatternTypeList";
  for (const char* region : kRegions)
    pattern.endpoints.emplace_back(region,
                                   std::string("https://api.ecr.") + region + ".amazonaws.com");
  for (const char* region : kChinaRegions)
    pattern.endpoints.emplace_back(region,
                                   std::string("https://api.ecr.") + region + ".amazonaws.com.cn");
  info.endpoint_pattern = std::move(pattern);
  return info;
}

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

class EcrAdapter : public Adapter {
 public:
  EcrAdapter(remote::ClientOptions registry_options, AwsCredentials credentials,
             std::shared_ptr<const EcrApi> api, std::shared_ptr<EcrCredentialProvider> provider)
      : registry_options_(std::move(registry_options)),
        credentials_(std::move(credentials)),
        api_(std::move(api)),
        provider_(std::move(provider)) {}

  Status HealthCheck() override {
    BERTH_TRY(RequireCredentials());
    BERTH_TRY(provider_->Get());
    remote::DistributionClient& registry = Registry();
    auto ping = registry.Ping();
    if (!ping) {
      Error e = std::move(ping).error();
      e.message = "ECR registry " + registry.options().base_url + ": " + e.message;
      return Fail(std::move(e));
    }
    return Ok();
  }

  Result<AdapterInfo> Info() override { return EcrInfo(); }

  // The data-plane client. Without an account in the URL, the registry host comes from
  // the token's proxyEndpoint; while no token can be had, a client on the API host stands
  // in (its requests fail) and resolution is retried on the next call.
  remote::DistributionClient& Registry() override {
    std::lock_guard lock(mu_);
    if (resolved_) return *registry_;
    if (!api_->location().registry_url.empty()) {
      registry_ = MakeRegistryClient(api_->location().registry_url);
      resolved_ = true;
      return *registry_;
    }
    auto endpoint = provider_->ProxyEndpoint();
    if (endpoint && !endpoint->empty()) {
      if (registry_) retired_ = std::move(registry_);
      registry_ = MakeRegistryClient(*endpoint);
      resolved_ = true;
    } else if (!registry_) {
      registry_ = MakeRegistryClient(api_->location().api_url);
    }
    return *registry_;
  }

  Result<std::vector<std::string>> ListRepositories() override {
    BERTH_TRY(RequireCredentials());
    return api_->ListRepositories();
  }

  Status PrepareForPush(const std::vector<std::string>& repositories) override {
    BERTH_TRY(RequireCredentials());
    std::set<std::string> done;
    for (const auto& name : repositories) {
      if (!done.insert(name).second) continue;
      auto exists = api_->RepositoryExists(name);
      if (!exists) return Fail(std::move(exists).error());
      if (!*exists) BERTH_TRY(api_->CreateRepository(name));
    }
    return Ok();
  }

 private:
  Status RequireCredentials() const {
    if (credentials_.access_key_id.empty() || credentials_.secret_access_key.empty()) {
      return Fail(ErrorCode::kBadRequest,
                  "aws-ecr needs an access key id and secret access key (access_key, "
                  "access_secret), or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in Berth's "
                  "environment");
    }
    return Ok();
  }

  std::unique_ptr<remote::DistributionClient> MakeRegistryClient(const std::string& base_url) {
    remote::ClientOptions options = registry_options_;
    options.base_url = base_url;
    return std::make_unique<remote::DistributionClient>(std::move(options), provider_);
  }

  remote::ClientOptions registry_options_;
  AwsCredentials credentials_;
  std::shared_ptr<const EcrApi> api_;
  std::shared_ptr<EcrCredentialProvider> provider_;
  std::mutex mu_;
  bool resolved_ = false;
  std::unique_ptr<remote::DistributionClient> registry_;
  std::unique_ptr<remote::DistributionClient> retired_;  // a stand-in callers may still hold
};

Result<std::unique_ptr<Adapter>> CreateEcrAdapter(const Endpoint& endpoint,
                                                  const AdapterDeps& deps) {
  auto location = ParseEcrUrl(endpoint.url);
  if (!location) return Fail(std::move(location).error());

  AwsCredentials credentials{endpoint.access_key, endpoint.access_secret, ""};
  if (credentials.access_key_id.empty() && credentials.secret_access_key.empty()) {
    credentials = {Env("AWS_ACCESS_KEY_ID"), Env("AWS_SECRET_ACCESS_KEY"),
                   Env("AWS_SESSION_TOKEN")};
  }

  remote::ClientOptions options;
  options.tls.insecure = endpoint.insecure;
  options.tls.ca_pem = endpoint.ca_certificate;
  options.network = deps.network;
  options.user_agent = deps.user_agent;

  remote::ClientOptions api_options = options;
  api_options.base_url = location->api_url;
  auto http = std::make_shared<remote::DistributionClient>(std::move(api_options),
                                                           remote::StaticCredentials("", ""));
  Clock clock = [] { return std::chrono::system_clock::now(); };
  auto api = std::make_shared<const EcrApi>(*location, credentials, std::move(http), clock);
  auto provider = std::make_shared<EcrCredentialProvider>(api, clock);
  return std::make_unique<EcrAdapter>(std::move(options), std::move(credentials), std::move(api),
                                      std::move(provider));
}

}  // namespace

Status ValidateEcrCredential(const Endpoint& endpoint) {
  BERTH_TRY(RequireKeyWithSecret(
      endpoint, "access_secret: the secret access key is required with an access key id",
      "access_key: the access key id is required with a secret access key"));
  static const std::regex kKeyId("^[A-Z0-9]{16,128}$");
  if (!endpoint.access_key.empty() && !std::regex_match(endpoint.access_key, kKeyId)) {
    return Fail(ErrorCode::kBadRequest,
                "access_key must be an AWS access key id (16-128 upper-case letters and digits, "
                "e.g. AKIA...)");
  }
  return Ok();
}

AdapterRegistration EcrRegistration() {
  return AdapterRegistration{EcrInfo(), CreateEcrAdapter, ValidateEcrCredential};
}

}  // namespace ecr

Status RegisterEcrAdapter(AdapterRegistry& registry) {
  return registry.Register(ecr::EcrRegistration());
}

}  // namespace berth::adapters
