#include "replication/model/policy.h"

#include <fmt/format.h>

#include <sstream>

#include "common/names.h"
#include "replication/model/cron.h"
#include "replication/model/filters.h"

namespace berth::replication {
namespace {

constexpr size_t kMaxNameLength = 256;
constexpr int kMaxReplaceCount = 127;  // Harbor stores it as int8

std::unexpected<Error> Bad(std::string message) {
  return Fail(ErrorCode::kBadRequest, std::move(message));
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t at = text.find(separator, start);
    if (at == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, at - start));
    start = at + 1;
  }
}

std::vector<std::string> Fields(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::vector<std::string> fields;
  for (std::string field; in >> field;) fields.push_back(field);
  return fields;
}

Status ValidateFilter(size_t index, const Filter& filter) {
  const std::string where = fmt::format("filters[{}]", index);
  const bool decorated = filter.type == "tag" || filter.type == "label";
  if (filter.type != "name" && filter.type != "tag" && filter.type != "label" &&
      filter.type != "resource") {
    return Bad(
        fmt::format("{}: type \"{}\" is not supported; use \"name\", \"tag\", \"label\" or "
                    "\"resource\"",
                    where, filter.type));
  }
  if (!filter.decoration.empty()) {
    if (!decorated) {
      return Bad(
          fmt::format("{}: a {} filter takes no decoration; remove \"decoration\" (only tag "
                      "and label filters take \"matches\" or \"excludes\")",
                      where, filter.type));
    }
    if (filter.decoration != "matches" && filter.decoration != "excludes") {
      return Bad(
          fmt::format("{}: decoration \"{}\" is not allowed; use \"matches\" or \"excludes\"",
                      where, filter.decoration));
    }
  }
  if (filter.type == "label") {
    for (const auto& label : filter.values) {
      if (label.empty()) {
        return Bad(
            fmt::format("{}: a label filter's value lists label names; remove the empty "
                        "name",
                        where));
      }
    }
    return Ok();
  }
  if (filter.values.size() != 1) {
    return Bad(
        fmt::format("{}: a {} filter takes exactly one value, a string", where, filter.type));
  }
  const std::string& value = filter.values.front();
  if (filter.type == "resource") {
    if (value != "image" && value != "artifact") {
      return Bad(fmt::format("{}: resource \"{}\" is not supported; use \"image\" or \"artifact\"",
                             where, value));
    }
    return Ok();
  }
  if (auto valid = ValidateGlob(value); !valid) {
    return Bad(
        fmt::format("{}: pattern \"{}\" is malformed: {}", where, value, valid.error().message));
  }
  return Ok();
}

Status ValidateTrigger(Policy& policy) {
  Trigger& trigger = policy.trigger;
  if (trigger.type.empty()) trigger.type = "manual";
  if (trigger.type != "manual" && trigger.type != "scheduled" && trigger.type != "event_based") {
    return Bad(
        fmt::format("trigger.type \"{}\" is not supported; use \"manual\", \"scheduled\" or "
                    "\"event_based\"",
                    trigger.type));
  }
  if (policy.single_active_replication && trigger.type == "event_based") {
    return Bad(
        "single_active_replication cannot be used with an event_based trigger; turn it off or "
        "use a manual or scheduled trigger");
  }
  if (trigger.type != "scheduled") return Ok();
  if (trigger.cron.empty()) {
    return Bad(
        "trigger.trigger_settings.cron is required for a scheduled trigger; give a 6-field cron "
        "such as \"0 0 * * * *\" (every hour)");
  }
  auto fields = Fields(trigger.cron);
  if (fields.size() != 6) {
    return Bad(
        fmt::format("trigger.trigger_settings.cron \"{}\" has {} fields; give 6: seconds "
                    "minutes hours day-of-month month day-of-week, e.g. \"0 0 * * * *\"",
                    trigger.cron, fields.size()));
  }
  if (fields[0] != "0") {
    return Bad(
        fmt::format("trigger.trigger_settings.cron \"{}\": the seconds field must be \"0\" "
                    "(a schedule fires at most once a minute)",
                    trigger.cron));
  }
  if (auto parsed = CronSchedule::Parse(trigger.cron); !parsed) {
    return Bad("trigger.trigger_settings.cron: " + parsed.error().message);
  }
  return Ok();
}

}  // namespace

Status ValidatePolicy(Policy& policy) {
  if (policy.name.empty()) return Bad("name is required; give the policy a name");
  if (policy.name.size() > kMaxNameLength) {
    return Bad(fmt::format("name is {} characters long; use at most {}", policy.name.size(),
                           kMaxNameLength));
  }
  if (policy.src_registry_id < 0 || policy.dest_registry_id < 0) {
    return Bad("src_registry.id and dest_registry.id must be endpoint ids (or 0 for this Berth)");
  }
  if (policy.src_registry_id == 0 && policy.dest_registry_id == 0) {
    return Bad(
        "either src_registry or dest_registry must be a remote endpoint; set "
        "dest_registry.id to push to an endpoint or src_registry.id to pull from one");
  }
  if (policy.src_registry_id != 0 && policy.dest_registry_id != 0) {
    return Bad(
        "either src_registry or dest_registry must be this Berth; leave one of them empty "
        "(replication between two remote endpoints is not supported)");
  }
  for (size_t i = 0; i < policy.filters.size(); ++i) {
    BERTH_TRY(ValidateFilter(i, policy.filters[i]));
  }
  if (!policy.dest_namespace.empty()) {
    if (auto valid = ValidateRepositoryName(policy.dest_namespace); !valid) {
      return Bad("dest_namespace: " + valid.error().message);
    }
  }
  if (policy.dest_namespace_replace_count < -1 ||
      policy.dest_namespace_replace_count > kMaxReplaceCount) {
    return Bad(
        fmt::format("dest_namespace_replace_count {} is out of range; use -1 (flatten "
                    "everything) or a count of path components from 0 to {}",
                    policy.dest_namespace_replace_count, kMaxReplaceCount));
  }
  BERTH_TRY(ValidateTrigger(policy));
  if (policy.speed_kbps < 0) policy.speed_kbps = 0;
  return Ok();
}

Result<std::string> DestinationRepository(std::string_view source, std::string_view dest_namespace,
                                          int replace_count) {
  if (dest_namespace.empty()) return std::string(source);
  auto components = Split(source, '/');
  std::string_view name = components.back();
  if (replace_count < -1) {
    return Bad(fmt::format("dest_namespace_replace_count {} is out of range; use -1 or more",
                           replace_count));
  }
  if (replace_count == -1) return fmt::format("{}/{}", dest_namespace, name);
  const size_t prefix = components.size() - 1;  // the components before the image name
  if (static_cast<size_t>(replace_count) > prefix) {
    return Bad(
        fmt::format("the source repository \"{}\" has only {} path component(s) before "
                    "its name, but dest_namespace_replace_count is {}; lower the count",
                    source, prefix, replace_count));
  }
  std::string destination(dest_namespace);
  for (size_t i = static_cast<size_t>(replace_count); i < prefix; ++i) {
    destination += '/';
    destination += components[i];
  }
  destination += '/';
  destination += name;
  return destination;
}

}  // namespace berth::replication
