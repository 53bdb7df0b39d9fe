// GET /ping, /systeminfo, /health.
#include <nlohmann/json.hpp>

#include "api/api_service.h"
#include "api/json_io.h"

namespace berth::api {

Result<http::Response> ApiService::Ping(Call& call) {
  http::Response response;
  response.status = 200;
  response.headers.Set("Content-Type", "text/plain; charset=utf-8");
  response.body = "Pong";
  return response;
}

Result<http::Response> ApiService::SystemInfo(Call& call) {
  std::string external_url =
      options_.external_url.empty() ? call.request.BaseUrl() : options_.external_url;
  std::string registry_url = options_.registry_url;
  if (registry_url.empty()) {
    registry_url = std::string(call.request.headers.Get("Host").value_or("localhost"));
  }
  nlohmann::json info = {
      {"current_time", NowRfc3339()},
      {"registry_url", registry_url},
      {"external_url", external_url},
      {"auth_mode", "db_auth"},
      {"primary_auth_mode", false},
      {"project_creation_restriction", "everyone"},
      {"self_registration", false},
      {"has_ca_root", false},
      {"harbor_version", options_.version},
      {"registry_storage_provider_name", "filesystem"},
      {"read_only", false},
      {"with_notary", false},
      {"notification_enable", false},
      {"oidc_provider_name", ""},
      {"banner_message", ""},
      // Berth: the endpoint types a proxy-cache project may use, for the UI's picker.
      {"proxy_cache_providers", options_.proxy_cache_providers},
  };
  return ToJsonResponse(200, info);
}

Result<http::Response> ApiService::Health(Call& call) {
  auto component = [](std::string name, const Status& status) {
    nlohmann::json c = {{"name", std::move(name)}, {"status", status ? "healthy" : "unhealthy"}};
    if (!status) c["error"] = status.error().message;
    return c;
  };
  Status database = Ok();
  if (auto probe = projects_.List(metadata::Page{1, 1}); !probe) database = Fail(probe.error());
  nlohmann::json components = nlohmann::json::array({
      component("core", Ok()),
      component("database", database),
      component("registry", Ok()),
  });
  bool healthy = true;
  for (const auto& c : components) healthy = healthy && c["status"] == "healthy";
  nlohmann::json body = {{"status", healthy ? "healthy" : "unhealthy"},
                         {"components", std::move(components)}};
  return ToJsonResponse(200, body);
}

}  // namespace berth::api
