#include "replication/model/policy_json.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <string>

namespace berth::replication {
namespace {

using nlohmann::json;

std::unexpected<Error> WrongType(std::string_view field, std::string_view want) {
  return Fail(ErrorCode::kBadRequest, fmt::format("{} must be {}", field, want));
}

// The member `key` of `object`, or nullptr when absent or null.
const json* Member(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

Status ReadString(const json& object, const char* key, std::string_view field, std::string& out) {
  const json* value = Member(object, key);
  if (!value) return Ok();
  if (!value->is_string()) return WrongType(field, "a string");
  out = value->get<std::string>();
  return Ok();
}

Status ReadBool(const json& object, const char* key, bool& out) {
  const json* value = Member(object, key);
  if (!value) return Ok();
  if (!value->is_boolean()) return WrongType(key, "true or false");
  out = value->get<bool>();
  return Ok();
}

Result<std::optional<int64_t>> ReadInteger(const json& object, const char* key,
                                           std::string_view field) {
  const json* value = Member(object, key);
  if (!value) return std::optional<int64_t>();
  if (value->is_number_integer()) return std::optional<int64_t>(value->get<int64_t>());
  if (value->is_number_float()) {
    double number = value->get<double>();
    if (std::isfinite(number) && std::floor(number) == number && std::fabs(number) < 9.0e15) {
      return std::optional<int64_t>(static_cast<int64_t>(number));
    }
  }
  return WrongType(field, "an integer");
}

Result<int64_t> ReadRegistryId(const json& body, const char* key) {
  const json* registry = Member(body, key);
  if (!registry) return int64_t{0};
  if (!registry->is_object()) {
    return WrongType(key, "an object such as {\"id\": 1} (or null for this Berth)");
  }
  auto id = ReadInteger(*registry, "id", fmt::format("{}.id", key));
  if (!id) return Fail(id.error());
  return id->value_or(0);
}

Result<Filter> ReadFilter(const json& item, size_t index) {
  const std::string where = fmt::format("filters[{}]", index);
  if (!item.is_object()) return WrongType(where, "an object with \"type\" and \"value\"");
  Filter filter;
  BERTH_TRY(ReadString(item, "type", where + ".type", filter.type));
  BERTH_TRY(ReadString(item, "decoration", where + ".decoration", filter.decoration));
  const json* value = Member(item, "value");
  const bool label = filter.type == "label";
  const bool single = filter.type == "name" || filter.type == "tag" || filter.type == "resource";
  if (!value) {
    if (!label) filter.values.emplace_back();  // no pattern: everything
    return filter;
  }
  if (value->is_string() && !label) {
    filter.values.push_back(value->get<std::string>());
    return filter;
  }
  if (value->is_array() && !single) {
    for (const json& element : *value) {
      if (!element.is_string()) return WrongType(where + ".value", "an array of label names");
      filter.values.push_back(element.get<std::string>());
    }
    return filter;
  }
  if (label) return WrongType(where + ".value", "an array of label names for a label filter");
  if (single)
    return WrongType(where + ".value", fmt::format("a string for a {} filter", filter.type));
  return WrongType(where + ".value", "a string (or an array of strings for a label filter)");
}

Status ReadTrigger(const json& body, Trigger& trigger) {
  trigger = Trigger{};
  const json* value = Member(body, "trigger");
  if (!value) return Ok();
  if (!value->is_object()) return WrongType("trigger", "an object with \"type\"");
  BERTH_TRY(ReadString(*value, "type", "trigger.type", trigger.type));
  if (trigger.type.empty()) trigger.type = "manual";
  const json* settings = Member(*value, "trigger_settings");
  if (!settings) return Ok();
  if (!settings->is_object()) {
    return WrongType("trigger.trigger_settings", "an object with \"cron\"");
  }
  return ReadString(*settings, "cron", "trigger.trigger_settings.cron", trigger.cron);
}

void PutTime(json& out, const char* key, const std::string& time) {
  if (!time.empty()) out[key] = time;
}

}  // namespace

nlohmann::json PolicyToJson(const Policy& policy) {
  json filters = json::array();
  for (const Filter& filter : policy.filters) {
    json item = {{"type", filter.type}};
    if (filter.type == "label") {
      item["value"] = filter.values;
    } else {
      item["value"] = filter.values.empty() ? std::string() : filter.values.front();
    }
    if (!filter.decoration.empty()) item["decoration"] = filter.decoration;
    filters.push_back(std::move(item));
  }
  json out = {
      {"id", policy.id},
      {"name", policy.name},
      {"description", policy.description},
      {"src_registry", {{"id", policy.src_registry_id}}},
      {"dest_registry", {{"id", policy.dest_registry_id}}},
      {"dest_namespace", policy.dest_namespace},
      {"dest_namespace_replace_count", policy.dest_namespace_replace_count},
      {"trigger",
       {{"type", policy.trigger.type}, {"trigger_settings", {{"cron", policy.trigger.cron}}}}},
      {"filters", std::move(filters)},
      {"replicate_deletion", policy.replicate_deletion},
      {"deletion", policy.replicate_deletion},
      {"override", policy.override_tags},
      {"enabled", policy.enabled},
      {"speed", policy.speed_kbps},
      {"copy_by_chunk", policy.copy_by_chunk},
      {"single_active_replication", policy.single_active_replication},
  };
  PutTime(out, "creation_time", policy.creation_time);
  PutTime(out, "update_time", policy.update_time);
  return out;
}

Result<Policy> PolicyFromJson(const nlohmann::json& body) {
  if (!body.is_object()) {
    return Fail(ErrorCode::kBadRequest, "the body must be a JSON object (a ReplicationPolicy)");
  }
  Policy policy;
  auto id = ReadInteger(body, "id", "id");
  if (!id) return Fail(id.error());
  policy.id = id->value_or(0);
  BERTH_TRY(ReadString(body, "name", "name", policy.name));
  BERTH_TRY(ReadString(body, "description", "description", policy.description));
  auto src = ReadRegistryId(body, "src_registry");
  if (!src) return Fail(src.error());
  policy.src_registry_id = *src;
  auto dest = ReadRegistryId(body, "dest_registry");
  if (!dest) return Fail(dest.error());
  policy.dest_registry_id = *dest;
  BERTH_TRY(ReadString(body, "dest_namespace", "dest_namespace", policy.dest_namespace));
  auto replace_count =
      ReadInteger(body, "dest_namespace_replace_count", "dest_namespace_replace_count");
  if (!replace_count) return Fail(replace_count.error());
  if (*replace_count && (**replace_count < std::numeric_limits<int>::min() ||
                         **replace_count > std::numeric_limits<int>::max())) {
    return WrongType("dest_namespace_replace_count", "-1 or a small count of path components");
  }
  policy.dest_namespace_replace_count = static_cast<int>(replace_count->value_or(-1));
  BERTH_TRY(ReadTrigger(body, policy.trigger));
  if (const json* filters = Member(body, "filters")) {
    if (!filters->is_array()) return WrongType("filters", "an array of filter objects");
    for (size_t i = 0; i < filters->size(); ++i) {
      auto filter = ReadFilter((*filters)[i], i);
      if (!filter) return Fail(filter.error());
      policy.filters.push_back(std::move(*filter));
    }
  }
  BERTH_TRY(ReadBool(body, "deletion", policy.replicate_deletion));
  BERTH_TRY(ReadBool(body, "replicate_deletion", policy.replicate_deletion));
  BERTH_TRY(ReadBool(body, "override", policy.override_tags));
  BERTH_TRY(ReadBool(body, "enabled", policy.enabled));
  auto speed = ReadInteger(body, "speed", "speed");
  if (!speed) return Fail(speed.error());
  policy.speed_kbps = speed->value_or(0);
  BERTH_TRY(ReadBool(body, "copy_by_chunk", policy.copy_by_chunk));
  BERTH_TRY(ReadBool(body, "single_active_replication", policy.single_active_replication));
  // Output-only fields: kept when they are strings (the stored document), else ignored.
  if (const json* time = Member(body, "creation_time"); time && time->is_string()) {
    policy.creation_time = time->get<std::string>();
  }
  if (const json* time = Member(body, "update_time"); time && time->is_string()) {
    policy.update_time = time->get<std::string>();
  }
  return policy;
}

nlohmann::json ExecutionToJson(const metadata::ReplicationExecution& execution) {
  json out = {
      {"id", execution.id},
      {"policy_id", execution.policy_id},
      {"status", execution.status},
      {"status_text", execution.status_text},
      {"trigger", execution.trigger},
      {"total", execution.total},
      {"failed", execution.failed},
      {"succeed", execution.succeed},
      {"in_progress", execution.in_progress},
      {"stopped", execution.stopped},
      {"bytes", execution.bytes},
  };
  PutTime(out, "start_time", execution.start_time);
  PutTime(out, "end_time", execution.end_time);
  return out;
}

nlohmann::json TaskToJson(const metadata::ReplicationTask& task) {
  json out = {
      {"id", task.id},
      {"execution_id", task.execution_id},
      {"status", task.status},
      {"job_id", std::to_string(task.id)},
      {"operation", task.operation},
      {"resource_type", task.resource_type},
      {"src_resource", task.src_resource},
      {"dst_resource", task.dst_resource},
      {"bytes", task.bytes},
      {"artifacts_done", task.artifacts_done},
      {"artifacts_total", task.artifacts_total},
  };
  PutTime(out, "start_time", task.start_time);
  PutTime(out, "end_time", task.end_time);
  return out;
}

}  // namespace berth::replication
