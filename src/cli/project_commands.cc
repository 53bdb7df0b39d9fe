#include "cli/project_commands.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/http_client.h"
#include "cli/output.h"

namespace berth::cli {
namespace {

using nlohmann::json;

constexpr int64_t kPageSize = 100;

// Every flag of every project command; unused ones stay unset.
struct Flags : ServerFlags {
  std::string name;
  bool is_public = false;
  std::optional<std::string> proxy_cache;  // endpoint name or id
  std::optional<int64_t> proxy_speed_kb;
  std::optional<int64_t> max_upstream_conn;
};

bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char c) { return std::isdigit(c) != 0; });
}

// Every item of a paged Harbor list at `path` (which has no query yet, or ends in '&').
std::optional<json> ListAll(const Flags& f, const std::string& path, int& code) {
  json all = json::array();
  char sep = path.find('?') == std::string::npos ? '?' : '&';
  for (int64_t page = 1;; ++page) {
    auto r =
        Send(f.server, "GET", fmt::format("{}{}page={}&page_size={}", path, sep, page, kPageSize),
             nullptr, code);
    if (!r) return std::nullopt;
    json items = json::parse(r->body, nullptr, false);
    if (!items.is_array()) break;
    for (auto& item : items) all.push_back(std::move(item));
    if (static_cast<int64_t>(items.size()) < kPageSize) break;
  }
  return all;
}

// The id of the endpoint named `endpoint` (or numbered, when no endpoint has that name).
std::optional<int64_t> ResolveEndpoint(const Flags& f, const std::string& endpoint, int& code) {
  auto registries = ListAll(f, "/registries", code);
  if (!registries) return std::nullopt;
  for (const auto& r : *registries) {
    if (r.value("name", "") == endpoint) return r.value("id", int64_t{0});
  }
  if (AllDigits(endpoint)) {
    for (const auto& r : *registries) {
      if (std::to_string(r.value("id", int64_t{0})) == endpoint) {
        return r.value("id", int64_t{0});
      }
    }
  }
  std::cerr << "berth: no endpoint is named or numbered \"" << endpoint
            << "\" (see berth registry list)\n";
  code = 1;
  return std::nullopt;
}

int Create(const Flags& f) {
  json metadata = {{"public", f.is_public ? "true" : "false"}};
  json body = {{"project_name", f.name}};
  int code = 0;
  if (f.proxy_cache) {
    auto id = ResolveEndpoint(f, *f.proxy_cache, code);
    if (!id) return code;
    body["registry_id"] = *id;
    if (f.proxy_speed_kb) metadata["proxy_speed_kb"] = std::to_string(*f.proxy_speed_kb);
    if (f.max_upstream_conn) metadata["max_upstream_conn"] = std::to_string(*f.max_upstream_conn);
  } else if (f.proxy_speed_kb || f.max_upstream_conn) {
    std::cerr << "berth: --proxy-speed-kb and --max-upstream-conn need --proxy-cache\n";
    return 1;
  }
  body["metadata"] = std::move(metadata);
  auto r = Send(f.server, "POST", "/projects", body, code);
  if (!r) return code;
  std::string id = CreatedId(*r);
  if (f.json_output) {
    std::cout << json{{"id", AllDigits(id) ? std::stoll(id) : 0}, {"name", f.name}}.dump() << "\n";
  } else if (f.proxy_cache) {
    std::cout << "created project " << f.name << " (" << id << "), a proxy cache of "
              << *f.proxy_cache << "\n";
  } else {
    std::cout << "created project " << f.name << " (" << id << ")\n";
  }
  return 0;
}

int List(const Flags& f) {
  int code = 0;
  auto projects = ListAll(f, "/projects", code);
  if (!projects) return code;
  if (f.json_output) {
    std::cout << projects->dump(2) << "\n";
    return 0;
  }
  // Endpoint names when the caller may list endpoints (system admins); ids otherwise.
  std::map<int64_t, std::string> endpoint_names;
  if (auto r = CallApi(f.server, "GET", "/registries?page_size=100"); r && r->status == 200) {
    for (const auto& e : json::parse(r->body, nullptr, false)) {
      if (e.is_object()) endpoint_names[e.value("id", int64_t{0})] = e.value("name", "");
    }
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : *projects) {
    int64_t registry_id = p.value("registry_id", int64_t{0});
    std::string proxy;
    if (registry_id > 0) {
      auto it = endpoint_names.find(registry_id);
      proxy = it != endpoint_names.end() ? it->second : "registry " + std::to_string(registry_id);
    }
    json meta = p.value("metadata", json::object());
    rows.push_back({Cell(p, "project_id"), Cell(p, "name"), Cell(meta, "public"),
                    Cell(p, "repo_count"), proxy});
  }
  PrintTable({"ID", "NAME", "PUBLIC", "REPOSITORIES", "PROXY CACHE OF"}, rows);
  return 0;
}

int Delete(const Flags& f) {
  int code = 0;
  std::string target = f.name;
  if (AllDigits(f.name)) {
    // A numeric path segment is read as an id: look the name up first.
    auto found = ListAll(f, "/projects?name=" + PercentEncode(f.name), code);
    if (!found) return code;
    target.clear();
    for (const auto& p : *found) {
      if (p.value("name", "") == f.name) target = Cell(p, "project_id");
    }
    if (target.empty()) {
      std::cerr << "berth: project " << f.name << " not found\n";
      return 1;
    }
  }
  auto r = Send(f.server, "DELETE", "/projects/" + PercentEncode(target), nullptr, code);
  if (!r) return code;
  if (!f.json_output) std::cout << "deleted project " << f.name << "\n";
  return 0;
}

}  // namespace

std::function<int()> AddProjectCommands(CLI::App& app) {
  CommandSet<Flags> commands;
  Flags& f = commands.flags();
  auto* project = app.add_subcommand("project", "manage projects and proxy caches");
  project->require_subcommand(1);

  auto* create = commands.Add(
      project, "create",
      "create a project; with --proxy-cache, a pull-through cache of an endpoint", &Create);
  create->add_option("name", f.name, "project name")->required();
  create->add_flag("--public", f.is_public, "anyone may pull without logging in");
  create->add_option("--proxy-cache", f.proxy_cache,
                     "endpoint name or id to cache (system administrators only)");
  create->add_option("--proxy-speed-kb", f.proxy_speed_kb,
                     "upstream bandwidth limit in kbit/s (-1: unlimited)");
  create->add_option("--max-upstream-conn", f.max_upstream_conn,
                     "upstream connections per artifact (-1: unlimited)");

  commands.Add(project, "list", "list the projects you can see", &List);

  auto* del = commands.Add(project, "delete", "delete an empty project", &Delete);
  del->add_option("name", f.name, "project name")->required();

  return commands.Runner();
}

}  // namespace berth::cli
