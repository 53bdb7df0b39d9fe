#include "cli/replication_commands.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "cli/execution_commands.h"
#include "cli/http_client.h"
#include "cli/output.h"

namespace berth::cli {
namespace {

using nlohmann::json;

// A --x / --no-x pair (CLI11 assigns std::optional<bool> flags even when absent).
struct Switch {
  bool on = false;
  bool off = false;
  std::optional<bool> value() const {
    if (on) return true;
    if (off) return false;
    return std::nullopt;
  }
};

// Every flag of every `replication policy` command; unused ones stay unset.
struct Flags : ServerFlags {
  std::string target;  // POLICY
  std::string query;
  int64_t page = 1;
  int64_t page_size = 100;
  // Policy fields.
  std::optional<std::string> file, name, description, src_registry, dest_registry, dest_namespace,
      trigger, cron, name_filter, tag_filter, resource;
  std::vector<std::string> labels;
  bool tag_exclude = false, label_exclude = false;
  std::optional<int> replace_count;
  std::optional<int64_t> speed;
  Switch override_tags, deletion, enabled, copy_by_chunk, single_active;
};

// A registry reference: an id, "local" (0) or an endpoint name.
std::optional<int64_t> RegistryId(const Flags& f, std::string_view registry, int& code) {
  if (registry == "local" || registry == "Local") return 0;
  return IdByName(f.server, "/registries", "registry", registry, code);
}

// Replaces the filter of `type` in body["filters"] (removes it when `value` is null).
void SetFilter(json& body, const std::string& type, json value, const std::string& decoration) {
  json filters = json::array();
  if (body.contains("filters") && body["filters"].is_array()) {
    for (const auto& filter : body["filters"]) {
      if (filter.value("type", "") != type) filters.push_back(filter);
    }
  }
  if (!value.is_null()) {
    json filter = {{"type", type}, {"value", std::move(value)}};
    if (!decoration.empty()) filter["decoration"] = decoration;
    filters.push_back(std::move(filter));
  }
  body["filters"] = std::move(filters);
}

// Applies the given flags to a ReplicationPolicy body.
bool ApplyPolicyFlags(const Flags& f, json& body, int& code) {
  auto put = [&body](const char* key, const std::optional<std::string>& v) {
    if (v) body[key] = *v;
  };
  put("name", f.name);
  put("description", f.description);
  put("dest_namespace", f.dest_namespace);
  if (f.src_registry) {
    auto id = RegistryId(f, *f.src_registry, code);
    if (!id) return false;
    body["src_registry"] = *id == 0 ? json(nullptr) : json{{"id", *id}};
  }
  if (f.dest_registry) {
    auto id = RegistryId(f, *f.dest_registry, code);
    if (!id) return false;
    body["dest_registry"] = *id == 0 ? json(nullptr) : json{{"id", *id}};
  }
  if (f.replace_count) body["dest_namespace_replace_count"] = *f.replace_count;
  if (f.trigger || f.cron) {
    json trigger = body.value("trigger", json::object());
    if (!trigger.is_object()) trigger = json::object();
    if (f.trigger) trigger["type"] = *f.trigger;
    if (f.cron) {
      trigger["trigger_settings"] = {{"cron", *f.cron}};
      if (!f.trigger) trigger["type"] = "scheduled";
    }
    body["trigger"] = std::move(trigger);
  }
  if (f.name_filter) {
    SetFilter(body, "name", f.name_filter->empty() ? json() : json(*f.name_filter), "");
  }
  if (f.tag_filter) {
    SetFilter(body, "tag", f.tag_filter->empty() ? json() : json(*f.tag_filter),
              f.tag_exclude ? "excludes" : "matches");
  }
  if (!f.labels.empty()) {
    bool none = f.labels.size() == 1 && f.labels[0].empty();
    SetFilter(body, "label", none ? json() : json(f.labels),
              f.label_exclude ? "excludes" : "matches");
  }
  if (f.resource) SetFilter(body, "resource", f.resource->empty() ? json() : json(*f.resource), "");
  if (auto v = f.override_tags.value()) body["override"] = *v;
  if (auto v = f.deletion.value()) {
    body["replicate_deletion"] = *v;
    body["deletion"] = *v;
  }
  if (auto v = f.enabled.value()) body["enabled"] = *v;
  if (f.speed) body["speed"] = *f.speed;
  if (auto v = f.copy_by_chunk.value()) body["copy_by_chunk"] = *v;
  if (auto v = f.single_active.value()) body["single_active_replication"] = *v;
  return true;
}

std::string RegistryCell(const json& r) {
  if (!r.is_object() || r.value("id", int64_t{0}) == 0) return "local";
  std::string name = r.value("name", "");
  return name.empty() ? Cell(r, "id") : name;
}

std::string FiltersCell(const json& p) {
  std::string out;
  for (const auto& filter : p.value("filters", json::array())) {
    std::string value;
    if (filter.contains("value") && filter["value"].is_array()) {
      for (const auto& v : filter["value"]) {
        value += (value.empty() ? "" : "|") + (v.is_string() ? v.get<std::string>() : v.dump());
      }
    } else {
      value = Cell(filter, "value");
    }
    std::string op = filter.value("decoration", "") == "excludes" ? "!=" : "=";
    out += (out.empty() ? "" : " ") + Cell(filter, "type") + op + value;
  }
  return out;
}

std::vector<std::string> PolicyRow(const json& p) {
  json trigger = p.value("trigger", json::object());
  std::string t = Cell(trigger, "type");
  if (t == "scheduled") {
    t += " " + Cell(trigger.value("trigger_settings", json::object()), "cron");
  }
  return {Cell(p, "id"),
          Cell(p, "name"),
          RegistryCell(p.value("src_registry", json())),
          RegistryCell(p.value("dest_registry", json())),
          Cell(p, "dest_namespace"),
          t,
          p.value("enabled", false) ? "yes" : "no",
          FiltersCell(p)};
}

const std::vector<std::string> kPolicyHeader = {"ID",      "NAME",    "SOURCE",  "DESTINATION",
                                                "DEST NS", "TRIGGER", "ENABLED", "FILTERS"};

int PolicyCreate(const Flags& f) {
  json body = json::object();
  if (f.file) {
    std::ifstream in(*f.file);
    std::stringstream ss;
    ss << in.rdbuf();
    body = json::parse(ss.str(), nullptr, false);
    if (!in || !body.is_object()) {
      std::cerr << "berth: " << *f.file << " does not hold a JSON object\n";
      return 1;
    }
  } else {
    body = {{"enabled", true}, {"trigger", {{"type", "manual"}}}, {"filters", json::array()}};
  }
  int code = 0;
  if (!ApplyPolicyFlags(f, body, code)) return code;
  auto r = Send(f.server, "POST", "/replication/policies", body, code);
  if (!r) return code;
  std::string id = CreatedId(*r);
  if (f.json_output) {
    std::cout << json{{"id", AsId(id).value_or(0)}}.dump() << "\n";
  } else {
    std::cout << "created replication policy " << id << " (" << body.value("name", "") << ")\n";
  }
  return 0;
}

int PolicyList(const Flags& f) {
  std::string path = fmt::format("/replication/policies?page={}&page_size={}", f.page, f.page_size);
  if (!f.query.empty()) path += "&q=" + PercentEncode(f.query);
  return PrintList(f, path, kPolicyHeader, PolicyRow);
}

std::optional<json> FetchPolicy(const Flags& f, int& code, int64_t& id) {
  auto found = PolicyId(f.server, f.target, code);
  if (!found) return std::nullopt;
  id = *found;
  auto r = Send(f.server, "GET", fmt::format("/replication/policies/{}", id), nullptr, code);
  if (!r) return std::nullopt;
  return json::parse(r->body, nullptr, false);
}

int PolicyGet(const Flags& f) {
  int code = 0;
  int64_t id = 0;
  auto p = FetchPolicy(f, code, id);
  if (!p) return code;
  if (f.json_output) {
    std::cout << p->dump(2) << "\n";
    return 0;
  }
  auto row = PolicyRow(*p);
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < kPolicyHeader.size(); ++i) rows.push_back({kPolicyHeader[i], row[i]});
  rows.push_back({"DESCRIPTION", Cell(*p, "description")});
  rows.push_back({"REPLACE COUNT", Cell(*p, "dest_namespace_replace_count")});
  rows.push_back({"OVERRIDE", p->value("override", false) ? "yes" : "no"});
  rows.push_back({"DELETION", p->value("replicate_deletion", false) ? "yes" : "no"});
  rows.push_back({"SPEED (kb/s)", Cell(*p, "speed")});
  rows.push_back({"COPY BY CHUNK", p->value("copy_by_chunk", false) ? "yes" : "no"});
  rows.push_back({"SINGLE ACTIVE", p->value("single_active_replication", false) ? "yes" : "no"});
  rows.push_back({"CREATED", Cell(*p, "creation_time")});
  rows.push_back({"UPDATED", Cell(*p, "update_time")});
  PrintTable({"FIELD", "VALUE"}, rows);
  return 0;
}

int PolicyUpdate(const Flags& f) {
  int code = 0;
  int64_t id = 0;
  auto p = FetchPolicy(f, code, id);
  if (!p) return code;
  // PUT is a full replacement: start from the stored policy, registries by id only.
  json body = *p;
  for (const char* side : {"src_registry", "dest_registry"}) {
    int64_t rid = body.contains(side) && body[side].is_object() ? body[side].value("id", 0) : 0;
    body[side] = rid == 0 ? json(nullptr) : json{{"id", rid}};
  }
  if (!ApplyPolicyFlags(f, body, code)) return code;
  auto r = Send(f.server, "PUT", fmt::format("/replication/policies/{}", id), body, code);
  if (!r) return code;
  if (!f.json_output) std::cout << "updated replication policy " << id << "\n";
  return 0;
}

int PolicyDelete(const Flags& f) {
  int code = 0;
  auto id = PolicyId(f.server, f.target, code);
  if (!id) return code;
  auto r = Send(f.server, "DELETE", fmt::format("/replication/policies/{}", *id), nullptr, code);
  if (!r) return code;
  if (!f.json_output) std::cout << "deleted replication policy " << *id << "\n";
  return 0;
}

void AddPolicyFlags(CLI::App* cmd, Flags& f) {
  cmd->add_option("--file,-f", f.file, "a ReplicationPolicy JSON document; flags override it");
  cmd->add_option("--name", f.name, "policy name (unique)");
  cmd->add_option("--description", f.description, "free text");
  cmd->add_option("--src-registry", f.src_registry,
                  "source endpoint id or name, for a pull policy (local = this Berth)");
  cmd->add_option("--dest-registry", f.dest_registry,
                  "destination endpoint id or name, for a push policy (local = this Berth)");
  cmd->add_option("--dest-namespace", f.dest_namespace, "destination namespace");
  cmd->add_option("--replace-count", f.replace_count,
                  "namespace components replaced by --dest-namespace (-1 = flatten all)");
  cmd->add_option("--trigger", f.trigger, "manual, scheduled or event_based")
      ->check(CLI::IsMember({"manual", "scheduled", "event_based"}));
  cmd->add_option("--cron", f.cron, "6-field cron for scheduled, e.g. \"0 0 */2 * * *\"");
  cmd->add_option("--name-filter", f.name_filter, "repository glob, e.g. library/** (\"\" = none)");
  cmd->add_option("--tag-filter", f.tag_filter, "tag glob, e.g. v* (\"\" = none)");
  cmd->add_flag("--tag-exclude", f.tag_exclude, "the tag filter excludes instead of matching");
  cmd->add_option("--label", f.labels, "label name the artifacts carry (repeatable; \"\" = none)");
  cmd->add_flag("--label-exclude", f.label_exclude, "the labels exclude instead of matching");
  cmd->add_option("--resource", f.resource, "image or artifact (\"\" = both)");
  auto add_switch = [cmd](const std::string& name, Switch& sw, const std::string& help) {
    cmd->add_flag("--" + name, sw.on, help);
    cmd->add_flag("--no-" + name, sw.off, "the opposite of --" + name);
  };
  add_switch("override", f.override_tags, "replace destination tags that point elsewhere");
  add_switch("deletion", f.deletion, "replicate deletions");
  cmd->add_flag("--enable", f.enabled.on, "let the policy run (the default for a new one)");
  cmd->add_flag("--disable", f.enabled.off, "keep the policy from running");
  cmd->add_option("--speed", f.speed, "bandwidth limit for the whole policy in kb/s (0 = none)");
  add_switch("copy-by-chunk", f.copy_by_chunk, "upload blobs in chunks");
  add_switch("single-active", f.single_active,
             "skip a scheduled run while the previous one is still running");
}

}  // namespace

std::optional<int64_t> PolicyId(const ServerOptions& server, std::string_view policy, int& code) {
  return IdByName(server, "/replication/policies", "replication policy", policy, code);
}

std::function<int()> AddReplicationCommands(CLI::App& app) {
  auto* replication = app.add_subcommand("replication", "replication policies and executions");
  replication->require_subcommand(1);

  CommandSet<Flags> policies;
  Flags& f = policies.flags();
  auto* policy = replication->add_subcommand("policy", "manage replication policies");
  policy->require_subcommand(1);

  auto* create = policies.Add(policy, "create", "add a policy", &PolicyCreate);
  AddPolicyFlags(create, f);

  auto* list = policies.Add(policy, "list", "list policies", &PolicyList);
  list->add_option("--query,-q", f.query, "Harbor q filter, e.g. name=~sync");
  AddPaging(list, f.page, f.page_size);

  auto* get = policies.Add(policy, "get", "show one policy", &PolicyGet);
  get->add_option("policy", f.target, "policy id or name")->required();

  auto* update =
      policies.Add(policy, "update", "change a policy; only the given flags change", &PolicyUpdate);
  AddPolicyFlags(update, f);
  update->add_option("policy", f.target, "policy id or name")->required();

  auto* del = policies.Add(policy, "delete", "remove a policy with its executions", &PolicyDelete);
  del->add_option("policy", f.target, "policy id or name")->required();

  auto run_policy = policies.Runner();
  auto run_execution = AddExecutionCommands(*replication);
  return [run_policy, run_execution]() -> int {
    int code = run_policy();
    return code >= 0 ? code : run_execution();
  };
}

}  // namespace berth::cli
