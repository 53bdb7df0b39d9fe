// /registries and /replication/adapter* — Harbor's replication endpoints.
//
// JSON follows Harbor's Registry model with omitempty on every optional field; the
// secret is shown as "*****" when one is stored, never in clear. Berth adds two
// read-only fields to Registry: `last_error` (why the last health check failed) and
// `last_checked` (when status or last_error last changed).
#include <fmt/format.h>

#include <functional>

#include "api/api_service.h"
#include "api/json_io.h"

namespace berth::api {

using nlohmann::json;

namespace {

constexpr std::string_view kMask = "*****";

}  // namespace

json RegistryJson(const endpoints::RegistryView& r) {
  json j = {{"id", r.id}};
  auto put = [&j](const char* key, const std::string& value) {
    if (!value.empty()) j[key] = value;
  };
  put("name", r.name);
  put("url", r.url);
  put("type", r.type);
  put("description", r.description);
  if (r.insecure) j["insecure"] = true;
  put("ca_certificate", r.ca_certificate);
  json credential = json::object();
  if (!r.access_key.empty()) {
    credential["type"] = r.credential_type.empty() ? "basic" : r.credential_type;
    credential["access_key"] = r.access_key;
  }
  if (r.has_secret) credential["access_secret"] = kMask;
  j["credential"] = std::move(credential);
  put("status", r.status);
  put("last_error", r.last_error);
  put("last_checked", r.last_checked);
  put("creation_time", r.creation_time);
  put("update_time", r.update_time);
  return j;
}

namespace {

#define BERTH_FIELD(target, expr)                       \
  do {                                                  \
    auto berth_field = (expr);                          \
    if (!berth_field) return Fail(berth_field.error()); \
    target = std::move(*berth_field);                   \
  } while (0)

Result<endpoints::NewRegistry> ParseNewRegistry(std::string_view text) {
  auto body = ParseJsonObject(text);
  if (!body) return Fail(body.error());
  endpoints::NewRegistry r;
  std::optional<std::string> s;
  BERTH_FIELD(s, OptString(*body, "name"));
  r.name = s.value_or("");
  BERTH_FIELD(s, OptString(*body, "type"));
  r.type = s.value_or("");
  BERTH_FIELD(s, OptString(*body, "url"));
  r.url = s.value_or("");
  BERTH_FIELD(s, OptString(*body, "description"));
  r.description = s.value_or("");
  BERTH_FIELD(s, OptString(*body, "ca_certificate"));
  r.ca_certificate = s.value_or("");
  std::optional<bool> insecure;
  BERTH_FIELD(insecure, OptBool(*body, "insecure"));
  r.insecure = insecure.value_or(false);
  auto cred = body->find("credential");
  if (cred != body->end() && !cred->is_null()) {
    if (!cred->is_object()) return Fail(ErrorCode::kBadRequest, "credential must be an object");
    BERTH_FIELD(s, OptString(*cred, "type", "credential."));
    r.credential_type = s.value_or("");
    BERTH_FIELD(s, OptString(*cred, "access_key", "credential."));
    r.access_key = s.value_or("");
    BERTH_FIELD(s, OptString(*cred, "access_secret", "credential."));
    r.access_secret = s.value_or("");
  }
  return r;
}

// The connection fields a RegistryUpdate and a PingRequest share, in that order.
template <typename Connection>
Status ParseConnection(const json& body, Connection& c) {
  BERTH_FIELD(c.url, OptString(body, "url"));
  BERTH_FIELD(c.credential_type, OptString(body, "credential_type"));
  BERTH_FIELD(c.access_key, OptString(body, "access_key"));
  BERTH_FIELD(c.access_secret, OptString(body, "access_secret"));
  BERTH_FIELD(c.insecure, OptBool(body, "insecure"));
  BERTH_FIELD(c.ca_certificate, OptString(body, "ca_certificate"));
  return Ok();
}

Result<endpoints::RegistryUpdate> ParseUpdate(std::string_view text) {
  auto body = ParseJsonObject(text);
  if (!body) return Fail(body.error());
  endpoints::RegistryUpdate u;
  BERTH_FIELD(u.name, OptString(*body, "name"));
  BERTH_FIELD(u.description, OptString(*body, "description"));
  BERTH_TRY(ParseConnection(*body, u));
  return u;
}

Result<endpoints::PingRequest> ParsePing(std::string_view text) {
  auto body = ParseJsonObject(text.empty() ? std::string_view("{}") : text);
  if (!body) return Fail(body.error());
  endpoints::PingRequest p;
  BERTH_FIELD(p.id, OptInt(*body, "id"));
  BERTH_FIELD(p.type, OptString(*body, "type"));
  BERTH_TRY(ParseConnection(*body, p));
  return p;
}

#undef BERTH_FIELD

Result<int64_t> RegistryId(std::string_view text) { return PathId(text, "registry id"); }

json FilterJson(const adapters::FilterStyle& f) {
  json j = {{"type", f.type}, {"style", f.style}};
  if (!f.values.empty()) j["values"] = f.values;
  return j;
}

json InfoJson(const adapters::AdapterInfo& info) {
  json j = {{"type", info.type}};
  if (!info.description.empty()) j["description"] = info.description;
  json filters = json::array();
  for (const auto& f : info.supported_resource_filters) filters.push_back(FilterJson(f));
  j["supported_resource_filters"] = std::move(filters);
  j["supported_triggers"] = info.supported_triggers;
  if (info.supported_copy_by_chunk) j["supported_copy_by_chunk"] = true;
  return j;
}

json ProviderInfoJson(const adapters::AdapterInfo& info) {
  json j = json::object();
  if (info.endpoint_pattern) {
    json endpoints = json::array();
    for (const auto& [key, value] : info.endpoint_pattern->endpoints) {
      endpoints.push_back({{"key", key}, {"value", value}});
    }
    j["endpoint_pattern"] = {{"endpoint_type", info.endpoint_pattern->endpoint_type},
                             {"endpoints", std::move(endpoints)}};
  }
  if (info.credential_pattern) {
    const auto& c = *info.credential_pattern;
    j["credential_pattern"] = {{"access_key_type", c.access_key_type},
                               {"access_key_data", c.access_key_data},
                               {"access_secret_type", c.access_secret_type},
                               {"access_secret_data", c.access_secret_data}};
  }
  return j;
}

}  // namespace

void ApiService::AddRegistryRoutes() {
  auto& r = async_routes_;
  r.Add("GET", "registries", &ApiService::ListRegistries);
  r.Add("POST", "registries", &ApiService::CreateRegistry);
  r.Add("POST", "registries/ping", &ApiService::PingRegistry);
  r.Add("GET", "registries/{id}", &ApiService::GetRegistry);
  r.Add("PUT", "registries/{id}", &ApiService::UpdateRegistry);
  r.Add("DELETE", "registries/{id}", &ApiService::DeleteRegistry);
  r.Add("GET", "registries/{id}/info", &ApiService::RegistryInfo);
  r.Add("GET", "replication/adapters", &ApiService::ListAdapters);
  r.Add("GET", "replication/adapterinfos", &ApiService::ListAdapterInfos);
}

Status ApiService::RequireEndpoints(const Call& call) const {
  BERTH_TRY(RequireSysadmin(call));
  if (endpoints_.service == nullptr || endpoints_.pool == nullptr) {
    return Fail(ErrorCode::kInternal, "replication endpoints are not configured");
  }
  return Ok();
}

http::Task<Result<http::Response>> ApiService::ListRegistries(Call& call) {
  auto ok = RequireEndpoints(call);
  if (!ok) co_return Fail(ok.error());
  const auto& query = call.request.query;
  auto page = ParsePage(query);
  if (!page) co_return Fail(page.error());
  std::vector<metadata::RegistryFilter> filters;
  std::string sort;
  for (const auto& [key, value] : query) {
    if (key == "q") {
      auto terms = ParseQ(value);
      if (!terms) co_return Fail(terms.error());
      for (auto& t : *terms) filters.push_back({t.key, t.value, t.fuzzy});
    } else if (key == "name" && !value.empty()) {
      filters.push_back({"name", value, true});  // deprecated: a fuzzy name match
    } else if (key == "sort") {
      sort = value;
    }
  }
  auto list = endpoints_.service->List(filters, sort, *page);
  if (!list) co_return Fail(list.error());
  co_return PageResponse(call.path, query, *page, *list, RegistryJson);
}

http::Task<Result<http::Response>> ApiService::CreateRegistry(Call& call) {
  auto ok = RequireEndpoints(call);
  if (!ok) co_return Fail(ok.error());
  auto request = ParseNewRegistry(call.body);
  if (!request) co_return Fail(request.error());
  auto* service = endpoints_.service;
  const endpoints::NewRegistry& req = *request;
  std::function<Result<endpoints::RegistryView>()> work = [service, &req] {
    return service->Create(req);
  };
  auto created = co_await endpoints_.pool->Run(std::move(work));
  if (!created) co_return Fail(created.error());
  auto response = http::EmptyResponse(201);
  response.headers.Set("Location", CreatedLocation(call.path, created->id));
  co_return response;
}

http::Task<Result<http::Response>> ApiService::GetRegistry(Call& call) {
  auto ok = RequireEndpoints(call);
  if (!ok) co_return Fail(ok.error());
  auto id = RegistryId(call.Param("id"));
  if (!id) co_return Fail(id.error());
  auto registry = endpoints_.service->Get(*id);
  if (!registry) co_return Fail(registry.error());
  co_return ToJsonResponse(200, RegistryJson(*registry));
}

http::Task<Result<http::Response>> ApiService::UpdateRegistry(Call& call) {
  auto ok = RequireEndpoints(call);
  if (!ok) co_return Fail(ok.error());
  auto id = RegistryId(call.Param("id"));
  if (!id) co_return Fail(id.error());
  auto update = ParseUpdate(call.body);
  if (!update) co_return Fail(update.error());
  auto* service = endpoints_.service;
  const std::pair<int64_t, endpoints::RegistryUpdate> job(*id, std::move(*update));
  std::function<Status()> work = [service, &job] { return service->Update(job.first, job.second); };
  auto done = co_await endpoints_.pool->Run(std::move(work));
  if (!done) co_return Fail(done.error());
  co_return http::EmptyResponse(200);
}

http::Task<Result<http::Response>> ApiService::DeleteRegistry(Call& call) {
  auto ok = RequireEndpoints(call);
  if (!ok) co_return Fail(ok.error());
  auto id = RegistryId(call.Param("id"));
  if (!id) co_return Fail(id.error());
  auto done = endpoints_.service->Delete(*id);
  if (!done) co_return Fail(done.error());
  co_return http::EmptyResponse(200);
}

http::Task<Result<http::Response>> ApiService::PingRegistry(Call& call) {
  auto ok = RequireEndpoints(call);
  if (!ok) co_return Fail(ok.error());
  auto ping = ParsePing(call.body);
  if (!ping) co_return Fail(ping.error());
  auto* service = endpoints_.service;
  const endpoints::PingRequest& p = *ping;
  std::function<Status()> work = [service, &p] { return service->Ping(p); };
  auto done = co_await endpoints_.pool->Run(std::move(work));
  if (!done) co_return Fail(done.error());
  co_return http::EmptyResponse(200);
}

http::Task<Result<http::Response>> ApiService::RegistryInfo(Call& call) {
  auto ok = RequireEndpoints(call);
  if (!ok) co_return Fail(ok.error());
  auto id = RegistryId(call.Param("id"));
  if (!id) co_return Fail(id.error());
  auto* service = endpoints_.service;
  int64_t registry_id = *id;
  std::function<Result<adapters::AdapterInfo>()> work = [service, registry_id] {
    return service->Info(registry_id);
  };
  auto info = co_await endpoints_.pool->Run(std::move(work));
  if (!info) co_return Fail(info.error());
  co_return ToJsonResponse(200, InfoJson(*info));
}

http::Task<Result<http::Response>> ApiService::ListAdapters(Call& call) {
  auto ok = RequireEndpoints(call);
  if (!ok) co_return Fail(ok.error());
  co_return ToJsonResponse(200, json(endpoints_.service->adapters().Types()));
}

http::Task<Result<http::Response>> ApiService::ListAdapterInfos(Call& call) {
  auto ok = RequireEndpoints(call);
  if (!ok) co_return Fail(ok.error());
  const auto& adapters = endpoints_.service->adapters();
  json infos = json::object();
  for (const auto& type : adapters.Types()) {
    const auto* registration = adapters.Find(type);
    if (registration == nullptr) continue;
    const auto& info = registration->info;
    if (!info.endpoint_pattern && !info.credential_pattern) continue;
    infos[type] = ProviderInfoJson(info);
  }
  co_return ToJsonResponse(200, infos);
}

}  // namespace berth::api
