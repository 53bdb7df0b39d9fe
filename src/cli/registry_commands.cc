#include "cli/registry_commands.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "cli/http_client.h"
#include "cli/output.h"

namespace berth::cli {
namespace {

using nlohmann::json;

// Every flag of every registry command; unused ones stay unset.
struct Flags : ServerFlags {
  int64_t id = 0;
  std::string query;
  int64_t page = 1;
  int64_t page_size = 100;
  std::optional<std::string> name, type, url, description, credential_type, access_key,
      access_secret, ca_file;
  bool secret_stdin = false;
  // --insecure / --verify as two plain flags: CLI11 sets a std::optional<bool> flag to
  // false even when it is absent, which made every update switch verification on.
  bool insecure_flag = false;
  bool verify_flag = false;
  std::optional<bool> insecure() const {
    if (insecure_flag) return true;
    if (verify_flag) return false;
    return std::nullopt;
  }
};

std::vector<std::string> RegistryRow(const json& r) {
  return {Cell(r, "id"),  Cell(r, "name"),   Cell(r, "type"),
          Cell(r, "url"), Cell(r, "status"), Cell(r, "last_error")};
}

const std::vector<std::string> kRegistryHeader = {"ID",  "NAME",   "TYPE",
                                                  "URL", "STATUS", "LAST ERROR"};

// Reads the secret from standard input when --access-secret-stdin asks for it.
void ReadSecret(Flags& f) {
  if (f.secret_stdin) {
    std::string secret;
    std::getline(std::cin, secret);
    f.access_secret = secret;
  }
}

Result<std::optional<std::string>> ReadCa(const Flags& f) {
  if (!f.ca_file) return std::optional<std::string>();
  if (f.ca_file->empty()) return std::optional<std::string>(std::string());
  std::ifstream in(*f.ca_file);
  if (!in) return Fail(ErrorCode::kBadRequest, "cannot read " + *f.ca_file);
  std::stringstream ss;
  ss << in.rdbuf();
  return std::optional(ss.str());
}

// The RegistryUpdate / RegistryPing body: only the flags that were given.
Result<json> ConnectionBody(const Flags& f) {
  json body = json::object();
  auto put = [&body](const char* key, const std::optional<std::string>& v) {
    if (v) body[key] = *v;
  };
  put("name", f.name);
  put("type", f.type);
  put("url", f.url);
  put("description", f.description);
  put("credential_type", f.credential_type);
  put("access_key", f.access_key);
  put("access_secret", f.access_secret);
  if (auto insecure = f.insecure()) body["insecure"] = *insecure;
  auto ca = ReadCa(f);
  if (!ca) return Fail(ca.error());
  if (*ca) body["ca_certificate"] = **ca;
  return body;
}

int Providers(const Flags& f) {
  int code = 0;
  auto r = Send(f.server, "GET", "/replication/adapters", nullptr, code);
  if (!r) return code;
  if (f.json_output) {
    PrintJson(r->body);
    return 0;
  }
  auto infos_r = Send(f.server, "GET", "/replication/adapterinfos", nullptr, code);
  json infos = infos_r ? json::parse(infos_r->body, nullptr, false) : json::object();
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : json::parse(r->body, nullptr, false)) {
    std::string type = t.get<std::string>();
    std::string url;
    if (infos.is_object() && infos.contains(type) && infos[type].contains("endpoint_pattern")) {
      auto endpoints = infos[type]["endpoint_pattern"].value("endpoints", json::array());
      if (!endpoints.empty()) url = endpoints[0].value("value", "");
      if (endpoints.size() > 1)
        url += fmt::format(" (+{} more; --json lists them)", endpoints.size() - 1);
    }
    rows.push_back({type, url});
  }
  PrintTable({"TYPE", "ENDPOINTS"}, rows);
  return 0;
}

int List(const Flags& f) {
  std::string path = fmt::format("/registries?page={}&page_size={}", f.page, f.page_size);
  if (!f.query.empty()) path += "&q=" + PercentEncode(f.query);
  return PrintList(f, path, kRegistryHeader, RegistryRow);
}

int Get(const Flags& f) {
  int code = 0;
  auto r = Send(f.server, "GET", fmt::format("/registries/{}", f.id), nullptr, code);
  if (!r) return code;
  if (f.json_output) {
    PrintJson(r->body);
    return 0;
  }
  json j = json::parse(r->body, nullptr, false);
  json cred = j.value("credential", json::object());
  std::vector<std::vector<std::string>> rows = {
      {"id", Cell(j, "id")},
      {"name", Cell(j, "name")},
      {"type", Cell(j, "type")},
      {"url", Cell(j, "url")},
      {"description", Cell(j, "description")},
      {"insecure", j.value("insecure", false) ? "true" : "false"},
      {"ca certificate", j.contains("ca_certificate") ? "(set)" : ""},
      {"credential", Cell(cred, "type")},
      {"access key", Cell(cred, "access_key")},
      {"access secret", Cell(cred, "access_secret")},
      {"status", Cell(j, "status")},
      {"last error", Cell(j, "last_error")},
      {"last checked", Cell(j, "last_checked")},
      {"created", Cell(j, "creation_time")},
      {"updated", Cell(j, "update_time")},
  };
  PrintTable({"FIELD", "VALUE"}, rows);
  return 0;
}

int Create(const Flags& f) {
  auto ca = ReadCa(f);
  if (!ca) {
    std::cerr << "berth: " << ca.error().message << "\n";
    return 1;
  }
  json body = {{"name", f.name.value_or("")},
               {"type", f.type.value_or("")},
               {"url", f.url.value_or("")},
               {"description", f.description.value_or("")},
               {"insecure", f.insecure().value_or(false)}};
  if (*ca) body["ca_certificate"] = **ca;
  if (f.access_key || f.access_secret || f.credential_type) {
    body["credential"] = {{"type", f.credential_type.value_or("basic")},
                          {"access_key", f.access_key.value_or("")},
                          {"access_secret", f.access_secret.value_or("")}};
  }
  int code = 0;
  auto r = Send(f.server, "POST", "/registries", body, code);
  if (!r) return code;
  std::string id = CreatedId(*r);
  if (f.json_output) {
    std::cout << json{{"id", std::stoll(id.empty() ? "0" : id)}}.dump() << "\n";
  } else {
    std::cout << "created registry " << id << " (" << *f.name << ")\n";
  }
  return 0;
}

int Update(const Flags& f) {
  auto body = ConnectionBody(f);
  if (!body) {
    std::cerr << "berth: " << body.error().message << "\n";
    return 1;
  }
  body->erase("type");  // RegistryUpdate has no type
  int code = 0;
  auto r = Send(f.server, "PUT", fmt::format("/registries/{}", f.id), *body, code);
  if (!r) return code;
  if (!f.json_output) std::cout << "updated registry " << f.id << "\n";
  return 0;
}

int Delete(const Flags& f) {
  int code = 0;
  auto r = Send(f.server, "DELETE", fmt::format("/registries/{}", f.id), nullptr, code);
  if (!r) return code;
  if (!f.json_output) std::cout << "deleted registry " << f.id << "\n";
  return 0;
}

int Ping(const Flags& f) {
  auto body = ConnectionBody(f);
  if (!body) {
    std::cerr << "berth: " << body.error().message << "\n";
    return 1;
  }
  body->erase("name");
  body->erase("description");
  if (f.id != 0) (*body)["id"] = f.id;
  int code = 0;
  auto r = Send(f.server, "POST", "/registries/ping", *body, code);
  if (!r) return code;
  if (f.json_output) {
    std::cout << json{{"healthy", true}}.dump() << "\n";
  } else {
    std::cout << "ok: the registry answers and the credentials work\n";
  }
  return 0;
}

int Info(const Flags& f) {
  int code = 0;
  auto r = Send(f.server, "GET", fmt::format("/registries/{}/info", f.id), nullptr, code);
  if (!r) return code;
  if (f.json_output) {
    PrintJson(r->body);
    return 0;
  }
  json j = json::parse(r->body, nullptr, false);
  std::vector<std::vector<std::string>> rows;
  for (const auto& filter : j.value("supported_resource_filters", json::array())) {
    std::string values;
    for (const auto& v : filter.value("values", json::array())) {
      values += (values.empty() ? "" : ", ") + v.get<std::string>();
    }
    rows.push_back({"filter", Cell(filter, "type"), Cell(filter, "style"), values});
  }
  std::string triggers;
  for (const auto& t : j.value("supported_triggers", json::array())) {
    triggers += (triggers.empty() ? "" : ", ") + t.get<std::string>();
  }
  rows.push_back({"triggers", triggers, "", ""});
  rows.push_back(
      {"copy by chunk", j.value("supported_copy_by_chunk", false) ? "yes" : "no", "", ""});
  std::cout << "type: " << Cell(j, "type") << "\n";
  PrintTable({"CAPABILITY", "VALUE", "STYLE", "VALUES"}, rows);
  return 0;
}

void AddConnectionFlags(CLI::App* cmd, Flags& f, bool with_name) {
  if (with_name) {
    cmd->add_option("--name", f.name, "endpoint name (at most 64 characters)");
    cmd->add_option("--description", f.description, "free text");
  }
  cmd->add_option("--type", f.type, "provider type (see `berth registry providers`)");
  cmd->add_option("--endpoint-url", f.url, "the endpoint's URL (https:// when no scheme)");
  cmd->add_option("--credential-type", f.credential_type, "basic (default) or oauth");
  cmd->add_option("--access-key", f.access_key, "user name / access key");
  cmd->add_option("--access-secret", f.access_secret,
                  "password / secret (visible to other local users; prefer "
                  "--access-secret-stdin)");
  cmd->add_flag("--access-secret-stdin", f.secret_stdin, "read the secret from stdin");
  cmd->add_flag("--insecure", f.insecure_flag, "do not verify the endpoint's TLS certificate");
  cmd->add_flag("--verify", f.verify_flag, "verify the endpoint's TLS certificate (the default)");
  cmd->add_option("--ca-file", f.ca_file, "PEM CA bundle that signs the endpoint's certificate");
}

}  // namespace

std::function<int()> AddRegistryCommands(CLI::App& app) {
  CommandSet<Flags> commands;
  Flags& f = commands.flags();
  auto* registry = app.add_subcommand("registry", "manage replication endpoints (registries)");
  registry->require_subcommand(1);

  commands.Add(registry, "providers", "list the provider types", &Providers);

  auto* list = commands.Add(registry, "list", "list endpoints", &List);
  list->add_option("--query,-q", f.query, "Harbor q filter, e.g. name=~hub,type=harbor");
  AddPaging(list, f.page, f.page_size);

  auto* get = commands.Add(registry, "get", "show one endpoint", &Get);
  get->add_option("id", f.id, "endpoint id")->required();

  auto* create =
      commands.Add(registry, "create", "add an endpoint (tested before saving)", &Create);
  AddConnectionFlags(create, f, true);
  create->get_option("--name")->required();
  create->get_option("--type")->required();
  create->get_option("--endpoint-url")->required();

  auto* update = commands.Add(registry, "update",
                              "change an endpoint; only the given flags change (a new URL drops "
                              "the stored secret unless it is given again)",
                              &Update);
  AddConnectionFlags(update, f, true);
  update->add_option("id", f.id, "endpoint id")->required();

  auto* del =
      commands.Add(registry, "delete", "remove an endpoint no rule or project uses", &Delete);
  del->add_option("id", f.id, "endpoint id")->required();

  auto* ping = commands.Add(
      registry, "ping", "test a connection: a stored endpoint by id, or the given settings", &Ping);
  AddConnectionFlags(ping, f, false);
  ping->add_option("id", f.id, "endpoint id (its stored URL and secret are used)");

  auto* info = commands.Add(registry, "info", "show an endpoint's replication capabilities", &Info);
  info->add_option("id", f.id, "endpoint id")->required();

  return commands.Runner(&ReadSecret);
}

}  // namespace berth::cli
