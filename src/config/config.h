// Typed configuration for `berth serve`. Sources, later ones winning: built-in defaults,
// a YAML file (--config or BERTH_CONFIG), BERTH_* environment variables, command-line
// flags. Unknown YAML keys are errors; Validate() reports every problem at once.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace berth::config {

struct Config {
  std::string listen = "127.0.0.1:5000";  // HOST:PORT; BERTH_LISTEN, --listen
  std::string data_dir = "./data";        // everything lives here; BERTH_DATA, --data
  std::string external_url;        // URL clients use, when behind a proxy; BERTH_EXTERNAL_URL
  int threads = 0;                 // io threads; 0 = 2 x cores; BERTH_THREADS
  std::string log_level = "info";  // trace|debug|info|warn|error; BERTH_LOG_LEVEL
  // Initial admin password, used only when the admin user is first created;
  // BERTH_ADMIN_PASSWORD. Never written anywhere.
  std::optional<std::string> admin_password;
  std::string database_driver = "sqlite";      // sqlite (postgres later); BERTH_DATABASE_DRIVER
  std::string storage_driver = "filesystem";   // BERTH_STORAGE_DRIVER
  int endpoint_health_interval_seconds = 300;  // BERTH_HEALTH_INTERVAL
  // Replication: tasks running at once (BERTH_REPLICATION_WORKERS), concurrent blob
  // streams per destination host (BERTH_REPLICATION_HOST_CONNECTIONS), finished
  // executions kept per policy (BERTH_REPLICATION_RETENTION).
  int replication_workers = 4;
  int replication_host_connections = 8;
  int replication_execution_retention = 50;
  // Endpoint types (adapter names) that may back a proxy-cache project; YAML list
  // `proxy_cache_providers` or BERTH_PROXY_CACHE_PROVIDERS as a comma-separated list.
  std::vector<std::string> proxy_cache_providers = {"harbor",    "docker-hub", "aws-ecr",
                                                    "azure-acr", "google-gcr", "quay"};
  // Send blob bodies with sendfile(2) instead of reading them through a buffer
  // (BERTH_SENDFILE). Off by default: on the virtual machines measured, copying through
  // a 256 KiB buffer served cached blobs 2-3x faster (docs/benchmarks.md).
  bool sendfile = false;
  // Cached content not pulled for this long is removed (BERTH_PROXY_CACHE_EXPIRY); the
  // default is Harbor's 7 days.
  int proxy_cache_expiry_seconds = 7 * 24 * 3600;
  // The built web UI (web/dist) served at /; BERTH_WEB_DIR. Empty: looked for next to
  // the binary (web/), then in the source tree it was built from (web/dist).
  std::string web_dir;

  // Host and port split out of `listen` (valid after Validate()).
  std::string host() const;
  uint16_t port() const;
};

// Reads `path` (YAML). Unknown keys and wrong types are reported with their key path.
Status ApplyYamlFile(const std::string& path, Config& config);
// Applies BERTH_* variables from `env` (name → value).
Status ApplyEnvironment(const std::map<std::string, std::string>& env, Config& config);
// The environment of this process as a map of BERTH_* variables.
std::map<std::string, std::string> BerthEnvironment();
// Every problem with `config`, each a sentence naming the setting; empty when valid.
std::vector<std::string> Validate(const Config& config);

}  // namespace berth::config
