#include "adapters/aliacr/aliacr_adapter.h"

#include "adapters/aliacr/aliyun_rpc.h"
#include "adapters/common/credentials.h"

namespace berth::adapters {
namespace aliacr {
namespace {

constexpr const char* kRegions[] = {
    "cn-hangzhou",    "cn-shanghai",   "cn-qingdao",     "cn-beijing",     "cn-zhangjiakou",
    "cn-huhehaote",   "cn-wulanchabu", "cn-shenzhen",    "cn-heyuan",      "cn-guangzhou",
    "cn-chengdu",     "cn-hongkong",   "ap-southeast-1", "ap-southeast-3", "ap-southeast-5",
    "ap-northeast-1", "ap-south-1",    "eu-central-1",   "eu-west-1",      "us-west-1",
    "us-east-1",      "me-east-1",
};

AdapterInfo AliAcrInfo() {
  AdapterInfo info;
  info.type = "ali-acr";
  info.description = "Alibaba Cloud Container Registry";
  info.supported_resource_filters = {
      {"name", "input", {}}, {"tag", "input", {}}, {"resource", "radio", {"image"}}};
  info.supported_triggers = {"manual", "scheduled"};
  info.proxy_cache = true;
  EndpointPattern pattern;
  pattern.endpoint_type = "EndpointPatternTypeList";
  for (const char* region : kRegions)
    pattern.endpoints.emplace_back(region,
                                   std::string("https://registry.") + region + ".aliyuncs.com");
  info.endpoint_pattern = std::move(pattern);
  return info;
}

class AliAcrAdapter : public Adapter {
 public:
  AliAcrAdapter(remote::ClientOptions options, std::shared_ptr<AcrApi> api)
      : api_(api),
        provider_(std::make_shared<AcrCredentialProvider>(
            api, [] { return std::chrono::system_clock::now(); })),
        registry_(std::move(options), provider_) {}

  Status HealthCheck() override {
    auto identity = api_->Identify();
    if (!identity) return Fail(std::move(identity).error());
    BERTH_TRY(provider_->Get());
    auto ping = registry_.Ping();
    if (!ping) {
      Error e = std::move(ping).error();
      e.message = api_->location().registry_url + ": " + e.message;
      return Fail(std::move(e));
    }
    return Ok();
  }

  Result<AdapterInfo> Info() override { return AliAcrInfo(); }
  remote::DistributionClient& Registry() override { return registry_; }

  // Enterprise Edition: the OpenAPI ListRepository; personal edition: the catalog.
  Result<std::vector<std::string>> ListRepositories() override {
    auto identity = api_->Identify();
    if (!identity) return Fail(std::move(identity).error());
    if (!identity->instance_id.empty() && api_->has_credentials()) return api_->ListRepository();
    return registry_.Catalog();
  }

  // ACR creates repositories on push inside an existing namespace.
  Status PrepareForPush(const std::vector<std::string>&) override { return Ok(); }

 private:
  std::shared_ptr<AcrApi> api_;
  std::shared_ptr<AcrCredentialProvider> provider_;
  remote::DistributionClient registry_;
};

Result<std::unique_ptr<Adapter>> CreateAliAcrAdapter(const Endpoint& endpoint,
                                                     const AdapterDeps& deps) {
  auto location = ParseAcrUrl(endpoint.url);
  if (!location) return Fail(std::move(location).error());
  remote::ClientOptions options;
  options.base_url = location->registry_url;
  options.tls.insecure = endpoint.insecure;
  options.tls.ca_pem = endpoint.ca_certificate;
  options.network = deps.network;
  options.user_agent = deps.user_agent;
  remote::ClientOptions api_options = options;
  api_options.base_url = location->api_url;
  auto http = std::make_shared<remote::DistributionClient>(std::move(api_options),
                                                           remote::StaticCredentials("", ""));
  auto api =
      std::make_shared<AcrApi>(*location, endpoint.access_key, endpoint.access_secret,
                               std::move(http), [] { return std::chrono::system_clock::now(); });
  return std::make_unique<AliAcrAdapter>(std::move(options), std::move(api));
}

}  // namespace

Status ValidateAliAcrCredential(const Endpoint& endpoint) {
  return RequireKeyWithSecret(
      endpoint, "access_secret: the AccessKey Secret is required with an AccessKey ID",
      "access_key: the AccessKey ID is required with an AccessKey Secret");
}

AdapterRegistration AliAcrRegistration() {
  return AdapterRegistration{AliAcrInfo(), CreateAliAcrAdapter, ValidateAliAcrCredential};
}

}  // namespace aliacr

Status RegisterAliAcrAdapter(AdapterRegistry& registry) {
  return registry.Register(aliacr::AliAcrRegistration());
}

}  // namespace berth::adapters
