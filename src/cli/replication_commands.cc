#include "cli/replication_commands.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "cli/http_client.h"
#include "cli/output.h"
#include "cli/progress.h"

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

// Every flag of every replication command; unused ones stay unset.
struct Flags {
  ServerOptions server;
  bool json_output = false;
  std::string target;  // POLICY or EXECUTION
  std::string task;    // TASK of `logs`
  std::string query;
  int64_t page = 1;
  int64_t page_size = 100;
  std::string policy;  // --policy of `executions`
  std::string status;
  bool wait = false;
  double interval = 1.0;
  // Policy fields.
  std::optional<std::string> file, name, description, src_registry, dest_registry, dest_namespace,
      trigger, cron, name_filter, tag_filter, resource;
  std::vector<std::string> labels;
  bool tag_exclude = false, label_exclude = false;
  std::optional<int> replace_count;
  std::optional<int64_t> speed;
  Switch override_tags, deletion, enabled, copy_by_chunk, single_active;
};

void PrintJson(const std::string& body) {
  auto j = json::parse(body, nullptr, false);
  std::cout << (j.is_discarded() ? body : j.dump(2)) << "\n";
}

std::string Encode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// Runs one API call; prints the server's error and sets the exit code on failure.
std::optional<ApiResponse> Send(const Flags& f, std::string_view method, std::string_view path,
                                const json& body, int& code) {
  auto r = CallApi(f.server, method, path, body.is_null() ? "" : body.dump());
  if (!r) {
    std::cerr << "berth: " << r.error().message << "\n";
    code = 2;
    return std::nullopt;
  }
  if (r->status >= 400) {
    std::cerr << "berth: " << ErrorMessage(*r) << "\n";
    code = 1;
    return std::nullopt;
  }
  code = 0;
  return std::move(*r);
}

std::optional<int64_t> AsId(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// The id of the item named `name` (exact) in the list at `path`; 1 when absent.
std::optional<int64_t> IdByName(const Flags& f, std::string_view path, std::string_view what,
                                std::string_view name, int& code) {
  if (auto id = AsId(name)) return id;
  auto r = Send(f, "GET", fmt::format("{}?q={}", path, Encode(fmt::format("name={}", name))),
                nullptr, code);
  if (!r) return std::nullopt;
  for (const auto& item : json::parse(r->body, nullptr, false)) {
    if (item.is_object() && item.value("name", "") == name) return item.value("id", int64_t{0});
  }
  std::cerr << "berth: no " << what << " named " << name << "\n";
  code = 1;
  return std::nullopt;
}

std::optional<int64_t> PolicyId(const Flags& f, std::string_view policy, int& code) {
  return IdByName(f, "/replication/policies", "replication policy", policy, code);
}

// A registry reference: an id, "local" (0) or an endpoint name.
std::optional<int64_t> RegistryId(const Flags& f, std::string_view registry, int& code) {
  if (registry == "local" || registry == "Local") return 0;
  return IdByName(f, "/registries", "registry", registry, code);
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
  auto r = Send(f, "POST", "/replication/policies", body, code);
  if (!r) return code;
  std::string location = r->Header("Location");
  std::string id = location.substr(location.rfind('/') + 1);
  if (f.json_output) {
    std::cout << json{{"id", AsId(id).value_or(0)}}.dump() << "\n";
  } else {
    std::cout << "created replication policy " << id << " (" << body.value("name", "") << ")\n";
  }
  return 0;
}

int PolicyList(const Flags& f) {
  std::string path = fmt::format("/replication/policies?page={}&page_size={}", f.page, f.page_size);
  if (!f.query.empty()) path += "&q=" + Encode(f.query);
  int code = 0;
  auto r = Send(f, "GET", path, nullptr, code);
  if (!r) return code;
  if (f.json_output) {
    PrintJson(r->body);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : json::parse(r->body, nullptr, false)) rows.push_back(PolicyRow(p));
  PrintTable(kPolicyHeader, rows);
  std::string total = r->Header("X-Total-Count");
  if (!total.empty() && total != std::to_string(rows.size())) {
    std::cout << "(" << rows.size() << " of " << total << "; use --page)\n";
  }
  return 0;
}

std::optional<json> FetchPolicy(const Flags& f, int& code, int64_t& id) {
  auto found = PolicyId(f, f.target, code);
  if (!found) return std::nullopt;
  id = *found;
  auto r = Send(f, "GET", fmt::format("/replication/policies/{}", id), nullptr, code);
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
  auto r = Send(f, "PUT", fmt::format("/replication/policies/{}", id), body, code);
  if (!r) return code;
  if (!f.json_output) std::cout << "updated replication policy " << id << "\n";
  return 0;
}

int PolicyDelete(const Flags& f) {
  int code = 0;
  auto id = PolicyId(f, f.target, code);
  if (!id) return code;
  auto r = Send(f, "DELETE", fmt::format("/replication/policies/{}", *id), nullptr, code);
  if (!r) return code;
  if (!f.json_output) std::cout << "deleted replication policy " << *id << "\n";
  return 0;
}

// Every task of the execution (all pages).
std::optional<json> AllTasks(const Flags& f, int64_t execution, int& code) {
  json all = json::array();
  for (int64_t page = 1;; ++page) {
    auto r =
        Send(f, "GET",
             fmt::format("/replication/executions/{}/tasks?page={}&page_size=100", execution, page),
             nullptr, code);
    if (!r) return std::nullopt;
    json items = json::parse(r->body, nullptr, false);
    if (!items.is_array()) break;
    for (auto& t : items) all.push_back(std::move(t));
    auto total = AsId(r->Header("X-Total-Count"));
    if (items.size() < 100 || (total && static_cast<int64_t>(all.size()) >= *total)) break;
  }
  return all;
}

bool Finished(const std::string& status) { return !status.empty() && status != "InProgress"; }

// Polls the execution until it ends; the bar goes to stderr (redrawn on a terminal, a
// line every 10 s otherwise). Returns the final execution.
std::optional<json> Wait(const Flags& f, int64_t execution, int& code) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const bool tty = isatty(STDERR_FILENO) != 0;
  ProgressMeter meter;
  double last_print = -10;
  for (;;) {
    auto r = Send(f, "GET", fmt::format("/replication/executions/{}", execution), nullptr, code);
    if (!r) return std::nullopt;
    json e = json::parse(r->body, nullptr, false);
    auto tasks = AllTasks(f, execution, code);
    if (!tasks) return std::nullopt;
    ProgressSample s;
    s.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    for (const auto& t : *tasks) {
      s.bytes += t.value("bytes", int64_t{0});
      s.artifacts_done += t.value("artifacts_done", int64_t{0});
      s.artifacts_total += t.value("artifacts_total", int64_t{0});
      std::string status = t.value("status", "");
      if (status == "Succeed" || status == "Failed" || status == "Stopped") ++s.tasks_finished;
    }
    s.bytes = std::max(s.bytes, e.value("bytes", int64_t{0}));
    s.tasks_total =
        std::max<int64_t>(e.value("total", int64_t{0}), static_cast<int64_t>(tasks->size()));
    meter.Add(s);
    std::string status = e.value("status", "");
    if (tty) {
      std::cerr << "\r\033[K" << meter.Line(100) << std::flush;
    } else if (s.seconds - last_print >= 10 || Finished(status)) {
      std::cerr << meter.Line(100) << "\n";
      last_print = s.seconds;
    }
    if (Finished(status)) {
      if (tty) std::cerr << "\n";
      return e;
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(f.interval));
  }
}

int Run(const Flags& f) {
  int code = 0;
  auto id = PolicyId(f, f.target, code);
  if (!id) return code;
  auto r = Send(f, "POST", "/replication/executions", json{{"policy_id", *id}}, code);
  if (!r) return code;
  std::string location = r->Header("Location");
  int64_t execution = AsId(location.substr(location.rfind('/') + 1)).value_or(0);
  if (!f.wait) {
    if (f.json_output) {
      std::cout << json{{"id", execution}}.dump() << "\n";
    } else {
      std::cout << "started execution " << execution << " of policy " << *id << "\n";
    }
    return 0;
  }
  if (!f.json_output) std::cerr << "execution " << execution << " of policy " << *id << "\n";
  auto e = Wait(f, execution, code);
  if (!e) return code;
  std::string status = e->value("status", "");
  if (f.json_output) {
    std::cout << e->dump(2) << "\n";
  } else {
    std::cout << fmt::format("execution {} {}: {} tasks, {} succeeded, {} failed, {} stopped",
                             execution, status, e->value("total", 0), e->value("succeed", 0),
                             e->value("failed", 0), e->value("stopped", 0));
    std::string text = e->value("status_text", "");
    if (!text.empty()) std::cout << " (" << text << ")";
    std::cout << "\n";
  }
  if (status != "Succeed") {
    if (!f.json_output) {
      std::cerr << fmt::format("berth: see `berth replication logs {}`\n", execution);
    }
    return 1;
  }
  return 0;
}

int Executions(const Flags& f) {
  int code = 0;
  std::string path =
      fmt::format("/replication/executions?page={}&page_size={}", f.page, f.page_size);
  if (!f.policy.empty()) {
    auto id = PolicyId(f, f.policy, code);
    if (!id) return code;
    path += fmt::format("&policy_id={}", *id);
  }
  if (!f.status.empty()) path += "&status=" + Encode(f.status);
  auto r = Send(f, "GET", path, nullptr, code);
  if (!r) return code;
  if (f.json_output) {
    PrintJson(r->body);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : json::parse(r->body, nullptr, false)) {
    rows.push_back({Cell(e, "id"), Cell(e, "policy_id"), Cell(e, "status"), Cell(e, "trigger"),
                    Cell(e, "start_time"), Cell(e, "end_time"), Cell(e, "total"),
                    Cell(e, "succeed"), Cell(e, "failed"), Cell(e, "in_progress"),
                    Cell(e, "stopped"), HumanBytes(e.value("bytes", 0.0)), Cell(e, "status_text")});
  }
  PrintTable({"ID", "POLICY", "STATUS", "TRIGGER", "STARTED", "ENDED", "TASKS", "OK", "FAILED",
              "RUNNING", "STOPPED", "BYTES", "TEXT"},
             rows);
  return 0;
}

int Tasks(const Flags& f) {
  int code = 0;
  auto execution = AsId(f.target);
  if (!execution) {
    std::cerr << "berth: EXECUTION must be an execution id\n";
    return 1;
  }
  auto tasks = AllTasks(f, *execution, code);
  if (!tasks) return code;
  if (f.json_output) {
    std::cout << tasks->dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : *tasks) {
    rows.push_back(
        {Cell(t, "id"), Cell(t, "status"), Cell(t, "operation"), Cell(t, "resource_type"),
         Cell(t, "src_resource"), Cell(t, "dst_resource"),
         fmt::format("{}/{}", t.value("artifacts_done", 0), t.value("artifacts_total", 0)),
         HumanBytes(t.value("bytes", 0.0))});
  }
  PrintTable({"ID", "STATUS", "OPERATION", "TYPE", "SOURCE", "DESTINATION", "ARTIFACTS", "BYTES"},
             rows);
  return 0;
}

int Stop(const Flags& f) {
  int code = 0;
  auto execution = AsId(f.target);
  if (!execution) {
    std::cerr << "berth: EXECUTION must be an execution id\n";
    return 1;
  }
  auto r = Send(f, "PUT", fmt::format("/replication/executions/{}", *execution), nullptr, code);
  if (!r) return code;
  if (!f.json_output) std::cout << "stopping execution " << *execution << "\n";
  return 0;
}

int Logs(const Flags& f) {
  int code = 0;
  auto execution = AsId(f.target);
  if (!execution) {
    std::cerr << "berth: EXECUTION must be an execution id\n";
    return 1;
  }
  std::vector<json> tasks;
  if (!f.task.empty()) {
    auto task = AsId(f.task);
    if (!task) {
      std::cerr << "berth: TASK must be a task id\n";
      return 1;
    }
    tasks.push_back(json{{"id", *task}});
  } else {
    auto all = AllTasks(f, *execution, code);
    if (!all) return code;
    tasks.assign(all->begin(), all->end());
  }
  int result = 0;
  for (const auto& t : tasks) {
    int64_t id = t.value("id", int64_t{0});
    if (f.task.empty()) {
      std::cout << fmt::format("==> task {} ({}): {} -> {} <==\n", id, Cell(t, "status"),
                               Cell(t, "src_resource"), Cell(t, "dst_resource"));
    }
    auto r = Send(f, "GET", fmt::format("/replication/executions/{}/tasks/{}/log", *execution, id),
                  nullptr, code);
    if (!r) {
      result = code;
      continue;
    }
    std::cout << r->body;
    if (!r->body.empty() && r->body.back() != '\n') std::cout << "\n";
  }
  return result;
}

void AddServerFlags(CLI::App* cmd, Flags& f) { cli::AddServerFlags(cmd, f.server, f.json_output); }

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

void AddPaging(CLI::App* cmd, Flags& f) {
  cmd->add_option("--page", f.page, "page number")->check(CLI::PositiveNumber);
  cmd->add_option("--page-size", f.page_size, "items per page (<= 100)")->check(CLI::Range(1, 100));
}

}  // namespace

std::function<int()> AddReplicationCommands(CLI::App& app) {
  auto flags = std::make_shared<Flags>();
  Flags& f = *flags;
  auto* replication = app.add_subcommand("replication", "replication policies and executions");
  replication->require_subcommand(1);
  std::vector<std::pair<CLI::App*, int (*)(const Flags&)>> commands;

  auto* policy = replication->add_subcommand("policy", "manage replication policies");
  policy->require_subcommand(1);

  auto* create = policy->add_subcommand("create", "add a policy");
  AddServerFlags(create, f);
  AddPolicyFlags(create, f);
  commands.emplace_back(create, &PolicyCreate);

  auto* list = policy->add_subcommand("list", "list policies");
  AddServerFlags(list, f);
  list->add_option("--query,-q", f.query, "Harbor q filter, e.g. name=~sync");
  AddPaging(list, f);
  commands.emplace_back(list, &PolicyList);

  auto* get = policy->add_subcommand("get", "show one policy");
  AddServerFlags(get, f);
  get->add_option("policy", f.target, "policy id or name")->required();
  commands.emplace_back(get, &PolicyGet);

  auto* update = policy->add_subcommand("update", "change a policy; only the given flags change");
  AddServerFlags(update, f);
  AddPolicyFlags(update, f);
  update->add_option("policy", f.target, "policy id or name")->required();
  commands.emplace_back(update, &PolicyUpdate);

  auto* del = policy->add_subcommand("delete", "remove a policy with its executions");
  AddServerFlags(del, f);
  del->add_option("policy", f.target, "policy id or name")->required();
  commands.emplace_back(del, &PolicyDelete);

  auto* run = replication->add_subcommand("run", "start an execution of a policy");
  AddServerFlags(run, f);
  run->add_option("policy", f.target, "policy id or name")->required();
  run->add_flag("--wait,-w", f.wait,
                "follow the execution with a progress bar; exit 1 unless it succeeds");
  run->add_option("--interval", f.interval, "seconds between polls with --wait")
      ->check(CLI::Range(0.1, 60.0));
  commands.emplace_back(run, &Run);

  auto* executions = replication->add_subcommand("executions", "list executions");
  AddServerFlags(executions, f);
  executions->add_option("--policy", f.policy, "only this policy (id or name)");
  executions->add_option("--status", f.status, "InProgress, Succeed, Failed or Stopped");
  AddPaging(executions, f);
  commands.emplace_back(executions, &Executions);

  auto* tasks = replication->add_subcommand("tasks", "list the tasks of an execution");
  AddServerFlags(tasks, f);
  tasks->add_option("execution", f.target, "execution id")->required();
  commands.emplace_back(tasks, &Tasks);

  auto* stop = replication->add_subcommand("stop", "stop a running execution");
  AddServerFlags(stop, f);
  stop->add_option("execution", f.target, "execution id")->required();
  commands.emplace_back(stop, &Stop);

  auto* logs = replication->add_subcommand("logs", "print task logs of an execution");
  AddServerFlags(logs, f);
  logs->add_option("execution", f.target, "execution id")->required();
  logs->add_option("task", f.task, "only this task");
  commands.emplace_back(logs, &Logs);

  return [flags, commands]() -> int {
    for (const auto& [cmd, run_command] : commands) {
      if (cmd->parsed()) {
        Flags& fl = *flags;
        CredentialsFromEnvironment(fl.server);
        return run_command(fl);
      }
    }
    return -1;
  };
}

}  // namespace berth::cli
