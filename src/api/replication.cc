// /replication/policies and /replication/executions — Harbor's replication rules and
// their executions, tasks and task logs. System admins only.
//
// Shapes come from replication/model/policy_json.h; a policy's src_registry and
// dest_registry are shown as full Registry objects (secret masked), the local side as
// Harbor's synthetic {"id":0,"name":"Local","type":"harbor",...}. Executions and tasks
// carry Berth's progress fields `bytes`, `artifacts_done` and `artifacts_total`.
// Every call into the ReplicationService runs on the BlockingPool.
#include <fmt/format.h>

#include <functional>
#include <utility>

#include "api/api_service.h"
#include "api/json_io.h"
#include "replication/model/policy_json.h"
#include "replication/replication_service.h"

namespace berth::api {
namespace {

using nlohmann::json;
using replication::Policy;

// An optional int64 query parameter; UNPROCESSABLE_ENTITY like ParsePage when malformed.
Result<int64_t> IntQuery(const http::Request& request, std::string_view name) {
  auto value = request.Query(name);
  if (!value || value->empty()) return int64_t{0};
  auto parsed = ParseInt(*value);
  if (!parsed) {
    return Fail(ErrorCode::kUnprocessable, fmt::format("{} in query must be an integer", name));
  }
  return *parsed;
}

// The {id} path parameter once `allowed` (the caller's access) holds: its error first,
// then PathId's.
Result<int64_t> AllowedId(const Status& allowed, std::string_view text, std::string_view what) {
  if (!allowed) return Fail(allowed.error());
  return PathId(text, what);
}

}  // namespace

void ApiService::AddReplicationRoutes() {
  auto& r = async_routes_;
  r.Add("GET", "replication/policies", &ApiService::ListPolicies);
  r.Add("POST", "replication/policies", &ApiService::CreatePolicy);
  r.Add("GET", "replication/policies/{id}", &ApiService::GetPolicy);
  r.Add("PUT", "replication/policies/{id}", &ApiService::UpdatePolicy);
  r.Add("DELETE", "replication/policies/{id}", &ApiService::DeletePolicy);
  r.Add("GET", "replication/executions", &ApiService::ListExecutions);
  r.Add("POST", "replication/executions", &ApiService::StartExecution);
  r.Add("GET", "replication/executions/{id}", &ApiService::GetExecution);
  r.Add("PUT", "replication/executions/{id}", &ApiService::StopExecution);
  r.Add("GET", "replication/executions/{id}/tasks", &ApiService::ListTasks);
  r.Add("GET", "replication/executions/{id}/tasks/{task_id}/log", &ApiService::TaskLog);
}

Status ApiService::RequireReplication(const Call& call) const {
  BERTH_TRY(RequireSysadmin(call));
  if (replication_.service == nullptr || replication_.pool == nullptr) {
    return Fail(ErrorCode::kInternal, "replication is not configured");
  }
  return Ok();
}

json ApiService::PolicyJson(const Call& call, const Policy& policy) {
  json j = replication::PolicyToJson(policy);
  auto registry = [&](int64_t id) -> json {
    if (id == 0) {
      endpoints::RegistryView local;
      local.name = "Local";
      local.type = "harbor";
      local.url = options_.external_url.empty() ? call.request.BaseUrl() : options_.external_url;
      local.status = "healthy";
      local.creation_time = "0001-01-01T00:00:00.000Z";
      local.update_time = local.creation_time;
      json l = RegistryJson(local);
      l["insecure"] = false;
      return l;
    }
    if (endpoints_.service != nullptr) {
      auto view = endpoints_.service->Get(id);  // a database read, no network
      if (view) return RegistryJson(*view);
    }
    return json{{"id", id}};
  };
  j["src_registry"] = registry(policy.src_registry_id);
  j["dest_registry"] = registry(policy.dest_registry_id);
  return j;
}

http::Task<Result<http::Response>> ApiService::ListPolicies(Call& call) {
  auto ok = RequireReplication(call);
  if (!ok) co_return Fail(ok.error());
  const auto& query = call.request.query;
  auto page = ParsePage(query);
  if (!page) co_return Fail(page.error());
  replication::PolicyQuery pq;
  pq.page = *page;
  for (const auto& [key, value] : query) {
    if (key == "name" && !value.empty()) {
      pq.name_like = value;  // deprecated: a fuzzy name match
    } else if (key == "q" && !value.empty()) {
      auto terms = ParseQ(value);
      if (!terms) co_return Fail(terms.error());
      for (const auto& t : *terms) {
        if (t.key != "name") continue;
        (t.fuzzy ? pq.name_like : pq.name_exact) = t.value;
      }
    }
  }
  auto* service = replication_.service;
  std::function<Result<metadata::PageResult<Policy>>()> work = [service, &pq] {
    return service->ListPolicies(pq);
  };
  auto list = co_await replication_.pool->Run(std::move(work));
  if (!list) co_return Fail(list.error());
  co_return PageResponse(call.path, query, *page, *list,
                         [&](const Policy& p) { return PolicyJson(call, p); });
}

http::Task<Result<http::Response>> ApiService::CreatePolicy(Call& call) {
  auto ok = RequireReplication(call);
  if (!ok) co_return Fail(ok.error());
  auto body = ParseJsonObject(call.body);
  if (!body) co_return Fail(body.error());
  auto policy = replication::PolicyFromJson(*body);
  if (!policy) co_return Fail(policy.error());
  auto* service = replication_.service;
  Policy& p = *policy;
  std::function<Result<Policy>()> work = [service, &p] { return service->CreatePolicy(p); };
  auto created = co_await replication_.pool->Run(std::move(work));
  if (!created) co_return Fail(created.error());
  auto response = http::EmptyResponse(201);
  response.headers.Set("Location", CreatedLocation(call.path, created->id));
  co_return response;
}

http::Task<Result<http::Response>> ApiService::GetPolicy(Call& call) {
  auto id = AllowedId(RequireReplication(call), call.Param("id"), "policy id");
  if (!id) co_return Fail(id.error());
  auto* service = replication_.service;
  int64_t policy_id = *id;
  std::function<Result<Policy>()> work = [service, policy_id] {
    return service->GetPolicy(policy_id);
  };
  auto policy = co_await replication_.pool->Run(std::move(work));
  if (!policy) co_return Fail(policy.error());
  co_return ToJsonResponse(200, PolicyJson(call, *policy));
}

http::Task<Result<http::Response>> ApiService::UpdatePolicy(Call& call) {
  auto id = AllowedId(RequireReplication(call), call.Param("id"), "policy id");
  if (!id) co_return Fail(id.error());
  auto body = ParseJsonObject(call.body);
  if (!body) co_return Fail(body.error());
  auto policy = replication::PolicyFromJson(*body);
  if (!policy) co_return Fail(policy.error());
  auto* service = replication_.service;
  int64_t policy_id = *id;
  Policy& p = *policy;
  std::function<Status()> work = [service, policy_id, &p] {
    return service->UpdatePolicy(policy_id, p);
  };
  auto done = co_await replication_.pool->Run(std::move(work));
  if (!done) co_return Fail(done.error());
  co_return http::EmptyResponse(200);
}

http::Task<Result<http::Response>> ApiService::DeletePolicy(Call& call) {
  auto id = AllowedId(RequireReplication(call), call.Param("id"), "policy id");
  if (!id) co_return Fail(id.error());
  auto* service = replication_.service;
  int64_t policy_id = *id;
  std::function<Status()> work = [service, policy_id] { return service->DeletePolicy(policy_id); };
  auto done = co_await replication_.pool->Run(std::move(work));
  if (!done) co_return Fail(done.error());
  co_return http::EmptyResponse(200);
}

http::Task<Result<http::Response>> ApiService::ListExecutions(Call& call) {
  auto ok = RequireReplication(call);
  if (!ok) co_return Fail(ok.error());
  const auto& query = call.request.query;
  auto page = ParsePage(query);
  if (!page) co_return Fail(page.error());
  auto policy_id = IntQuery(call.request, "policy_id");
  if (!policy_id) co_return Fail(policy_id.error());
  replication::ExecutionQuery eq;
  eq.page = *page;
  eq.policy_id = *policy_id;
  eq.status = call.request.Query("status").value_or("");
  eq.trigger = call.request.Query("trigger").value_or("");
  auto* service = replication_.service;
  using Executions = metadata::PageResult<metadata::ReplicationExecution>;
  std::function<Result<Executions>()> work = [service, &eq] { return service->ListExecutions(eq); };
  auto list = co_await replication_.pool->Run(std::move(work));
  if (!list) co_return Fail(list.error());
  co_return PageResponse(call.path, query, *page, *list, replication::ExecutionToJson);
}

http::Task<Result<http::Response>> ApiService::StartExecution(Call& call) {
  auto ok = RequireReplication(call);
  if (!ok) co_return Fail(ok.error());
  auto body = ParseJsonObject(call.body);
  if (!body) co_return Fail(body.error());
  auto it = body->find("policy_id");
  if (it == body->end() || !it->is_number_integer()) {
    co_return Fail(ErrorCode::kBadRequest, "policy_id is required and must be an integer");
  }
  auto* service = replication_.service;
  int64_t policy_id = it->get<int64_t>();
  std::function<Result<int64_t>()> work = [service, policy_id] {
    return service->StartExecution(policy_id, "manual");
  };
  auto started = co_await replication_.pool->Run(std::move(work));
  if (!started) co_return Fail(started.error());
  auto response = http::EmptyResponse(201);
  response.headers.Set("Location", CreatedLocation(call.path, *started));
  co_return response;
}

http::Task<Result<http::Response>> ApiService::GetExecution(Call& call) {
  auto id = AllowedId(RequireReplication(call), call.Param("id"), "execution id");
  if (!id) co_return Fail(id.error());
  auto* service = replication_.service;
  int64_t execution_id = *id;
  std::function<Result<metadata::ReplicationExecution>()> work = [service, execution_id] {
    return service->GetExecution(execution_id);
  };
  auto execution = co_await replication_.pool->Run(std::move(work));
  if (!execution) co_return Fail(execution.error());
  co_return ToJsonResponse(200, replication::ExecutionToJson(*execution));
}

http::Task<Result<http::Response>> ApiService::StopExecution(Call& call) {
  auto id = AllowedId(RequireReplication(call), call.Param("id"), "execution id");
  if (!id) co_return Fail(id.error());
  auto* service = replication_.service;
  int64_t execution_id = *id;
  std::function<Status()> work = [service, execution_id] {
    return service->StopExecution(execution_id);
  };
  auto done = co_await replication_.pool->Run(std::move(work));
  if (!done) co_return Fail(done.error());
  co_return http::EmptyResponse(200);
}

http::Task<Result<http::Response>> ApiService::ListTasks(Call& call) {
  auto id = AllowedId(RequireReplication(call), call.Param("id"), "execution id");
  if (!id) co_return Fail(id.error());
  const auto& query = call.request.query;
  auto page = ParsePage(query);
  if (!page) co_return Fail(page.error());
  replication::TaskQuery tq;
  tq.page = *page;
  tq.status = call.request.Query("status").value_or("");
  tq.resource_type = call.request.Query("resource_type").value_or("");
  auto* service = replication_.service;
  int64_t execution_id = *id;
  using Tasks = metadata::PageResult<metadata::ReplicationTask>;
  std::function<Result<Tasks>()> work = [service, execution_id, &tq] {
    return service->ListTasks(execution_id, tq);
  };
  auto list = co_await replication_.pool->Run(std::move(work));
  if (!list) co_return Fail(list.error());
  co_return PageResponse(call.path, query, *page, *list, replication::TaskToJson);
}

http::Task<Result<http::Response>> ApiService::TaskLog(Call& call) {
  auto id = AllowedId(RequireReplication(call), call.Param("id"), "execution id");
  if (!id) co_return Fail(id.error());
  auto task = PathId(call.Param("task_id"), "task id");
  if (!task) co_return Fail(task.error());
  auto* service = replication_.service;
  std::pair<int64_t, int64_t> ids(*id, *task);
  std::function<Result<std::string>()> work = [service, ids] {
    return service->TaskLog(ids.first, ids.second);
  };
  auto log = co_await replication_.pool->Run(std::move(work));
  if (!log) co_return Fail(log.error());
  http::Response response;
  response.status = 200;
  response.headers.Set("Content-Type", "text/plain; charset=utf-8");
  response.body = std::move(*log);
  co_return response;
}

}  // namespace berth::api
