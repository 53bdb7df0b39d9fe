#include "adapters/common/native_adapter.h"

#include <utility>

#include "adapters/common/http_util.h"

namespace berth::adapters {

remote::ClientOptions MakeClientOptions(const Endpoint& endpoint, const AdapterDeps& deps,
                                        std::string base_url) {
  remote::ClientOptions options;
  options.base_url = std::move(base_url);
  options.tls.insecure = endpoint.insecure;
  options.tls.ca_pem = endpoint.ca_certificate;
  options.network = deps.network;
  options.user_agent = deps.user_agent;
  return options;
}

AdapterInfo StandardInfo(std::string type, std::string description,
                         std::vector<std::string> resources) {
  AdapterInfo info;
  info.type = std::move(type);
  info.description = std::move(description);
  info.supported_resource_filters = {
      {.type = "name", .style = "input", .values = {}},
      {.type = "tag", .style = "input", .values = {}},
      {.type = "resource", .style = "radio", .values = std::move(resources)},
  };
  return info;
}

NativeAdapter::NativeAdapter(AdapterInfo info, Endpoint endpoint, AdapterDeps deps,
                             std::string registry_url,
                             std::shared_ptr<remote::CredentialProvider> credentials)
    : info_(std::move(info)), endpoint_(std::move(endpoint)), deps_(std::move(deps)) {
  if (registry_url.empty()) registry_url = endpoint_.url;
  if (!credentials)
    credentials = remote::StaticCredentials(endpoint_.access_key, endpoint_.access_secret);
  client_ = std::make_unique<remote::DistributionClient>(
      MakeClientOptions(endpoint_, deps_, std::move(registry_url)), std::move(credentials));
}

Status NativeAdapter::HealthCheck() { return client_->Ping(); }

Result<std::vector<std::string>> NativeAdapter::ListRepositories() { return client_->Catalog(); }

Status NativeAdapter::PrepareForPush(const std::vector<std::string>&) { return Ok(); }

Result<remote::HttpResponse> NativeAdapter::Api(
    std::string method, std::string url, std::vector<std::pair<std::string, std::string>> headers,
    std::string body) {
  remote::HttpRequest request;
  request.method = std::move(method);
  request.url = std::move(url);
  request.headers = std::move(headers);
  request.body = std::move(body);
  request.registry_auth = false;
  return client_->Do(request);
}

Result<nlohmann::json> NativeAdapter::GetJson(
    const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
    std::string_view what) {
  auto headers_with_accept = headers;
  headers_with_accept.emplace_back("Accept", "application/json");
  auto response = Api("GET", url, std::move(headers_with_accept));
  if (!response) return Fail(std::move(response).error());
  if (response->status < 200 || response->status >= 300) return Fail(ApiError(*response, what));
  return ParseJsonBody(*response, what);
}

}  // namespace berth::adapters
