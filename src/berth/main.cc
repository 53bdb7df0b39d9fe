// The composition root: builds config → stores → services → server, and the command
// line. Only this file knows every module.
#include <malloc.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <thread>

#include "adapters/adapter.h"
#include "api/api_service.h"
#include "auth/auth_service.h"
#include "cli/project_commands.h"
#include "cli/registry_commands.h"
#include "cli/replication_commands.h"
#include "config/config.h"
#include "content/content_service.h"
#include "endpoints/endpoint_service.h"
#include "endpoints/health_monitor.h"
#include "endpoints/secret_box.h"
#include "http/blocking_pool.h"
#include "http/server.h"
#include "metadata/label_store.h"
#include "metadata/migrate.h"
#include "metadata/registry_store.h"
#include "metadata/replication_store.h"
#include "metadata/robot_store.h"
#include "metadata/sqlite_database.h"
#include "metadata/stores.h"
#include "metadata/timestamps.h"
#include "proxy/proxy_cache.h"
#include "registry/registry_service.h"
#include "replication/replication_service.h"
#include "storage/fs_blob_store.h"
#include "webui/static_files.h"

#ifndef BERTH_VERSION
#define BERTH_VERSION "0.1.0"
#endif

namespace berth {
namespace {

struct ServeFlags {
  std::string config_file;
  std::string listen;
  std::string data_dir;
  std::string log_level;
};

Result<config::Config> LoadConfig(const ServeFlags& flags) {
  config::Config cfg;
  auto env = config::BerthEnvironment();
  std::string file = flags.config_file;
  if (file.empty() && env.contains("BERTH_CONFIG")) file = env["BERTH_CONFIG"];
  if (!file.empty()) BERTH_TRY(config::ApplyYamlFile(file, cfg));
  BERTH_TRY(config::ApplyEnvironment(env, cfg));
  if (!flags.listen.empty()) cfg.listen = flags.listen;
  if (!flags.data_dir.empty()) cfg.data_dir = flags.data_dir;
  if (!flags.log_level.empty()) cfg.log_level = flags.log_level;
  auto problems = config::Validate(cfg);
  if (!problems.empty()) {
    std::string msg = "invalid configuration:";
    for (const auto& p : problems) msg += "\n  - " + p;
    return Fail(ErrorCode::kBadRequest, msg);
  }
  return cfg;
}

// Makes sure the `library` project exists, public, as in Harbor.
Status EnsureLibraryProject(metadata::ProjectStore& projects, int64_t owner_id) {
  auto existing = projects.GetByName("library");
  if (!existing) return Fail(existing.error());
  if (*existing) return Ok();
  metadata::Project library;
  library.name = "library";
  library.is_public = true;
  library.owner_id = owner_id;
  auto created = projects.Create(library);
  if (!created && created.error().code != ErrorCode::kConflict) return Fail(created.error());
  return Ok();
}

int Serve(const ServeFlags& flags) {
  // Buffers of 256 KiB and more come from mmap and go back to the system when freed (a
  // fixed threshold turns off glibc's growing one, which kept freed multi-MiB transfer
  // buffers in the heap), and few malloc arenas are kept for the many transfer threads.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  mallopt(M_ARENA_MAX, 4);
  auto cfg = LoadConfig(flags);
  if (!cfg) {
    std::cerr << "berth: " << cfg.error().message << "\n";
    return 2;
  }
  spdlog::set_default_logger(spdlog::stderr_color_mt("berth"));
  spdlog::set_level(spdlog::level::from_str(cfg->log_level));

  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(cfg->data_dir, ec);
  if (ec) {
    std::cerr << "berth: cannot create data directory " << cfg->data_dir << ": " << ec.message()
              << "\n";
    return 1;
  }
  fs::permissions(cfg->data_dir, fs::perms::owner_all, fs::perm_options::replace, ec);

  auto db = metadata::SqliteDatabase::Open((fs::path(cfg->data_dir) / "berth.db").string());
  if (!db) {
    std::cerr << "berth: " << db.error().message << "\n";
    return 1;
  }
  if (auto applied = metadata::Migrate(**db); !applied) {
    std::cerr << "berth: " << applied.error().message << "\n";
    return 1;
  }
  storage::FsBlobStore blobs(fs::path(cfg->data_dir) / "storage");
  // Sessions untouched for a week are abandoned; a crash mid-upload leaves only these.
  (void)blobs.PurgeUploads(std::chrono::hours(24 * 7));

  metadata::ProjectStore projects(**db);
  metadata::ArtifactStore artifacts(**db);
  metadata::UserStore users(**db);
  metadata::UploadStore uploads(**db);
  metadata::RobotStore robots(**db);

  auth::AuthService auth(
      auth::AuthOptions{.data_dir = cfg->data_dir, .external_url = cfg->external_url}, users,
      projects);
  auth.SetRobots(&robots);
  if (auto ok = auth.Init(); !ok) {
    std::cerr << "berth: " << ok.error().message << "\n";
    return 1;
  }
  auto admin_password = auth.BootstrapAdmin(cfg->admin_password);
  if (!admin_password) {
    std::cerr << "berth: " << admin_password.error().message << "\n";
    return 1;
  }
  auto admin = users.GetByName("admin");
  const int64_t admin_id = admin && *admin ? (*admin)->id : 1;
  if (auto ok = EnsureLibraryProject(projects, admin_id); !ok) {
    std::cerr << "berth: " << ok.error().message << "\n";
    return 1;
  }

  content::ContentService content(blobs, artifacts, projects);
  // Proxy-cache fills (upstream downloads) run on their own pool, so a slow upstream
  // never holds the threads that answer the API.
  http::BlockingPool proxy_pool(16);
  registry::RegistryService registry(auth, content, blobs, uploads, artifacts, &proxy_pool);

  // Replication endpoints: providers, sealed secrets, the service and its health monitor.
  auto secrets = endpoints::SecretBox::OpenOrCreate(fs::path(cfg->data_dir) / "secret.key");
  if (!secrets) {
    std::cerr << "berth: " << secrets.error().message << "\n";
    return 1;
  }
  adapters::AdapterRegistry providers;
  if (auto ok = adapters::RegisterBuiltinAdapters(providers); !ok) {
    std::cerr << "berth: " << ok.error().message << "\n";
    return 1;
  }
  metadata::RegistryStore registries(**db);
  endpoints::EndpointService endpoint_service(registries, *secrets, providers,
                                              adapters::AdapterDeps{});
  http::BlockingPool blocking(8);
  const std::chrono::seconds health_interval(cfg->endpoint_health_interval_seconds);
  endpoints::HealthMonitor health(endpoint_service, health_interval,
                                  endpoints::HealthMonitor::JitteredFirstDelay(health_interval));

  // Replication rules: the persisted job queue and its workers, fed by the API, the cron
  // scheduler and content events (every committed push or delete).
  metadata::LabelStore labels(**db);
  metadata::ReplicationStore replication_store(**db);
  replication::ReplicationService replication(
      replication_store, endpoint_service,
      replication::LocalStores{.content = &content,
                               .blobs = &blobs,
                               .artifacts = &artifacts,
                               .projects = &projects,
                               .labels = &labels,
                               .owner_id = admin_id},
      replication::ReplicationOptions{.workers = cfg->replication_workers,
                                      .host_connections = cfg->replication_host_connections,
                                      .execution_retention = cfg->replication_execution_retention,
                                      .log_dir = fs::path(cfg->data_dir) / "replication" / "logs"});
  content.SetListener(&replication);

  // Proxy-cache projects: manifests and blobs are filled from the project's endpoint
  // before the registry serves them.
  metadata::ProxyCacheStore proxy_cache_store(**db);
  proxy::ProxyCache proxy_cache(
      endpoint_service,
      replication::LocalStores{.content = &content,
                               .blobs = &blobs,
                               .artifacts = &artifacts,
                               .projects = &projects,
                               .labels = nullptr,
                               .owner_id = admin_id},
      proxy::ProxyOptions{.cache_store = &proxy_cache_store,
                          .expiry = std::chrono::seconds(cfg->proxy_cache_expiry_seconds)});
  registry.SetPullThrough(&proxy_cache);
  // Expiry looks ten times per period, at least every hour.
  proxy_cache.StartExpiry(std::min<std::chrono::seconds>(
      std::chrono::hours(1), std::chrono::seconds(cfg->proxy_cache_expiry_seconds / 10)));

  api::ApiService api(auth, projects, artifacts, users, content,
                      api::ApiOptions{.version = BERTH_VERSION,
                                      .registry_url = {},
                                      .external_url = cfg->external_url,
                                      .proxy_cache_providers = cfg->proxy_cache_providers},
                      api::EndpointDeps{&endpoint_service, &blocking},
                      api::ReplicationDeps{&replication, &labels, &blocking});
  api.SetRobots(&robots);

  http::Server server(http::ServerOptions{.host = cfg->host(),
                                          .port = cfg->port(),
                                          .threads = cfg->threads,
                                          .sendfile = cfg->sendfile});
  server.Mount("/v2/", [&](http::Request& r) { return registry.Handle(r); });
  server.Mount("/service/token", [&](http::Request& r) { return auth.HandleToken(r); });
  server.Mount("/api/v2.0/", [&](http::Request& r) { return api.Handle(r); });
  webui::StaticFiles web_ui(webui::StaticFilesOptions{.root = webui::FindWebRoot(cfg->web_dir)});
  server.Mount("/", [&](http::Request& r) { return web_ui.Handle(r); });
  if (auto ok = server.Start(); !ok) {
    std::cerr << "berth: " << ok.error().message << "\n";
    return 1;
  }

  std::string url = "http://" + cfg->host() + ":" + std::to_string(server.port());
  std::cout << "Berth " << BERTH_VERSION << " is serving on " << url << "\n"
            << "  data directory: " << cfg->data_dir << "\n";
  if (*admin_password && !cfg->admin_password) {
    std::cout << "  admin user: admin\n  admin password: " << **admin_password
              << "   (shown once; change it after signing in)\n";
  } else {
    std::cout << "  admin user: admin (password as set on first start, e.g. by "
                 "BERTH_ADMIN_PASSWORD)\n";
  }
  std::cout << std::flush;
  health.Start();
  if (auto ok = replication.Start(); !ok) {
    std::cerr << "berth: " << ok.error().message << "\n";
    server.Stop();
  }

  // SIGINT/SIGTERM stop the server; the signals are blocked in every thread and taken
  // here by sigwait, so no handler runs in signal context.
  std::thread signals([&server] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int sig = 0;
    sigwait(&set, &sig);
    spdlog::info("signal {}: stopping", sig);
    server.Stop();
  });
  server.Run();
  registry.SetPullThrough(nullptr);
  replication.Shutdown();
  content.SetListener(nullptr);
  health.Stop();
  if (signals.joinable()) {
    pthread_kill(signals.native_handle(), SIGTERM);
    signals.join();
  }
  return 0;
}

}  // namespace
}  // namespace berth

int main(int argc, char** argv) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  CLI::App app{"Berth: a container registry with replication endpoints"};
  app.require_subcommand(1);
  berth::ServeFlags flags;
  auto* serve = app.add_subcommand("serve", "run the registry, API, token service and UI");
  serve->add_option("--config", flags.config_file, "YAML config file (or BERTH_CONFIG)");
  serve->add_option("--listen", flags.listen, "HOST:PORT to listen on (default 127.0.0.1:5000)");
  serve->add_option("--data", flags.data_dir, "data directory (default ./data)");
  serve->add_option("--log-level", flags.log_level, "trace|debug|info|warn|error");
  app.add_subcommand("version", "print the version")->callback([] {
    std::cout << "berth " << BERTH_VERSION << "\n";
  });
  auto run_registry = berth::cli::AddRegistryCommands(app);
  auto run_replication = berth::cli::AddReplicationCommands(app);
  auto run_project = berth::cli::AddProjectCommands(app);
  CLI11_PARSE(app, argc, argv);
  if (serve->parsed()) return berth::Serve(flags);
  if (int code = run_registry(); code >= 0) return code;
  if (int code = run_replication(); code >= 0) return code;
  if (int code = run_project(); code >= 0) return code;
  return 0;
}
