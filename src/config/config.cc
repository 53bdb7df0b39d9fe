#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

extern char** environ;

namespace berth::config {
namespace {

// Splits "HOST:PORT" (also "[v6]:PORT"); false when malformed.
bool SplitListen(const std::string& listen, std::string& host, uint16_t& port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto p = std::string_view(listen).substr(colon + 1);
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (ec != std::errc() || ptr != p.data() + p.size() || value > 65535) return false;
  port = static_cast<uint16_t>(value);
  return true;
}

bool ParseInt(const std::string& text, int& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

// "a, b,,c" → {"a", "b", "c"}: comma-separated, blanks trimmed, empty items dropped.
std::vector<std::string> SplitList(std::string_view list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    std::string_view item = list.substr(start, end - start);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string Config::host() const {
  std::string host;
  uint16_t port = 0;
  SplitListen(listen, host, port);
  return host;
}

uint16_t Config::port() const {
  std::string host;
  uint16_t port = 0;
  SplitListen(listen, host, port);
  return port;
}

Status ApplyYamlFile(const std::string& path, Config& config) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kBadRequest, "cannot read config file " + path + ": " + e.what());
  }
  if (!root.IsMap()) {
    return Fail(ErrorCode::kBadRequest, "config file " + path + " must be a YAML mapping");
  }
  std::vector<std::string> problems;
  for (const auto& item : root) {
    const auto key = item.first.as<std::string>();
    const auto& value = item.second;
    try {
      if (key == "listen") {
        config.listen = value.as<std::string>();
      } else if (key == "data_dir") {
        config.data_dir = value.as<std::string>();
      } else if (key == "external_url") {
        config.external_url = value.as<std::string>();
      } else if (key == "web_dir") {
        config.web_dir = value.as<std::string>();
      } else if (key == "threads") {
        config.threads = value.as<int>();
      } else if (key == "log_level") {
        config.log_level = value.as<std::string>();
      } else if (key == "database_driver") {
        config.database_driver = value.as<std::string>();
      } else if (key == "storage_driver") {
        config.storage_driver = value.as<std::string>();
      } else if (key == "endpoint_health_interval_seconds") {
        config.endpoint_health_interval_seconds = value.as<int>();
      } else if (key == "replication_workers") {
        config.replication_workers = value.as<int>();
      } else if (key == "replication_host_connections") {
        config.replication_host_connections = value.as<int>();
      } else if (key == "replication_execution_retention") {
        config.replication_execution_retention = value.as<int>();
      } else if (key == "sendfile") {
        config.sendfile = value.as<bool>();
      } else if (key == "proxy_cache_expiry_seconds") {
        config.proxy_cache_expiry_seconds = value.as<int>();
      } else if (key == "proxy_cache_providers") {
        config.proxy_cache_providers = value.as<std::vector<std::string>>();
      } else {
        problems.push_back("unknown key \"" + key + "\"");
      }
    } catch (const std::exception&) {
      problems.push_back("key \"" + key + "\" has the wrong type");
    }
  }
  if (!problems.empty()) {
    std::string msg = "config file " + path + ":";
    for (const auto& p : problems) msg += " " + p + ";";
    return Fail(ErrorCode::kBadRequest, msg);
  }
  return Ok();
}

Status ApplyEnvironment(const std::map<std::string, std::string>& env, Config& config) {
  auto get = [&](const char* name) -> const std::string* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : &it->second;
  };
  if (auto v = get("BERTH_LISTEN")) config.listen = *v;
  if (auto v = get("BERTH_DATA")) config.data_dir = *v;
  if (auto v = get("BERTH_EXTERNAL_URL")) config.external_url = *v;
  if (auto v = get("BERTH_LOG_LEVEL")) config.log_level = *v;
  if (auto v = get("BERTH_WEB_DIR")) config.web_dir = *v;
  if (auto v = get("BERTH_SENDFILE")) {
    if (*v == "1" || *v == "true") {
      config.sendfile = true;
    } else if (*v == "0" || *v == "false") {
      config.sendfile = false;
    } else {
      return Fail(ErrorCode::kBadRequest,
                  "BERTH_SENDFILE must be true or false (1 or 0), not \"" + *v + "\"");
    }
  }
  if (auto v = get("BERTH_ADMIN_PASSWORD")) config.admin_password = *v;
  if (auto v = get("BERTH_DATABASE_DRIVER")) config.database_driver = *v;
  if (auto v = get("BERTH_STORAGE_DRIVER")) config.storage_driver = *v;
  if (auto v = get("BERTH_PROXY_CACHE_PROVIDERS")) {
    config.proxy_cache_providers = SplitList(*v);
  }
  struct IntVar {
    const char* name;
    int* target;
  } ints[] = {{"BERTH_THREADS", &config.threads},
              {"BERTH_HEALTH_INTERVAL", &config.endpoint_health_interval_seconds},
              {"BERTH_REPLICATION_WORKERS", &config.replication_workers},
              {"BERTH_REPLICATION_HOST_CONNECTIONS", &config.replication_host_connections},
              {"BERTH_REPLICATION_RETENTION", &config.replication_execution_retention},
              {"BERTH_PROXY_CACHE_EXPIRY", &config.proxy_cache_expiry_seconds}};
  for (const auto& iv : ints) {
    if (auto v = get(iv.name)) {
      if (!ParseInt(*v, *iv.target)) {
        return Fail(ErrorCode::kBadRequest,
                    std::string(iv.name) + "=\"" + *v + "\" is not an integer");
      }
    }
  }
  return Ok();
}

std::map<std::string, std::string> BerthEnvironment() {
  std::map<std::string, std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (!kv.starts_with("BERTH_")) continue;
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return out;
}

std::vector<std::string> Validate(const Config& config) {
  std::vector<std::string> problems;
  std::string host;
  uint16_t port = 0;
  if (!SplitListen(config.listen, host, port)) {
    problems.push_back("listen \"" + config.listen +
                       "\" must be HOST:PORT, e.g. 127.0.0.1:5000 or 0.0.0.0:5000");
  }
  if (config.data_dir.empty()) problems.push_back("data_dir must not be empty");
  if (config.threads < 0 || config.threads > 256) {
    problems.push_back("threads must be between 0 (automatic) and 256");
  }
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error"};
  if (std::find(std::begin(kLevels), std::end(kLevels), config.log_level) == std::end(kLevels)) {
    problems.push_back("log_level \"" + config.log_level +
                       "\" must be one of trace, debug, info, warn, error");
  }
  if (config.database_driver != "sqlite") {
    problems.push_back("database_driver \"" + config.database_driver +
                       "\" is not available; use sqlite");
  }
  if (config.storage_driver != "filesystem") {
    problems.push_back("storage_driver \"" + config.storage_driver +
                       "\" is not available; use filesystem");
  }
  if (config.endpoint_health_interval_seconds < 10) {
    problems.push_back("endpoint_health_interval_seconds must be at least 10");
  }
  if (config.replication_workers < 1 || config.replication_workers > 64) {
    problems.push_back("replication_workers must be between 1 and 64");
  }
  if (config.replication_host_connections < 1 || config.replication_host_connections > 64) {
    problems.push_back("replication_host_connections must be between 1 and 64");
  }
  if (config.proxy_cache_expiry_seconds < 1) {
    problems.push_back("proxy_cache_expiry_seconds must be at least 1 (seconds; 604800 is 7 days)");
  }
  if (config.replication_execution_retention < 1) {
    problems.push_back("replication_execution_retention must be at least 1");
  }
  if (!config.external_url.empty() && !config.external_url.starts_with("http://") &&
      !config.external_url.starts_with("https://")) {
    problems.push_back("external_url must start with http:// or https://");
  }
  return problems;
}

}  // namespace berth::config
