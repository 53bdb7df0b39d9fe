#include "config/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace berth::config {
namespace {

TEST(Config, DefaultsAreValid) {
  Config c;
  EXPECT_TRUE(Validate(c).empty());
  EXPECT_EQ(c.host(), "127.0.0.1");
  EXPECT_EQ(c.port(), 5000);
}

TEST(Config, EnvironmentOverrides) {
  Config c;
  ASSERT_TRUE(ApplyEnvironment({{"BERTH_LISTEN", "0.0.0.0:8080"},
                                {"BERTH_DATA", "/srv/berth"},
                                {"BERTH_THREADS", "3"},
                                {"BERTH_ADMIN_PASSWORD", "pw"}},
                               c));
  EXPECT_EQ(c.port(), 8080);
  EXPECT_EQ(c.data_dir, "/srv/berth");
  EXPECT_EQ(c.threads, 3);
  EXPECT_EQ(c.admin_password, "pw");
  EXPECT_FALSE(ApplyEnvironment({{"BERTH_THREADS", "x"}}, c));
}

TEST(Config, ValidateReportsEveryProblem) {
  Config c;
  c.listen = "nope";
  c.log_level = "loud";
  c.database_driver = "oracle";
  EXPECT_EQ(Validate(c).size(), 3u);
}

TEST(Config, ReplicationSettings) {
  Config c;
  ASSERT_TRUE(ApplyEnvironment({{"BERTH_REPLICATION_WORKERS", "6"},
                                {"BERTH_REPLICATION_HOST_CONNECTIONS", "2"},
                                {"BERTH_REPLICATION_RETENTION", "5"}},
                               c));
  EXPECT_EQ(c.replication_workers, 6);
  EXPECT_EQ(c.replication_host_connections, 2);
  EXPECT_EQ(c.replication_execution_retention, 5);
  EXPECT_TRUE(Validate(c).empty());
  c.replication_workers = 0;
  c.replication_execution_retention = 0;
  auto problems = Validate(c);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find("replication_workers"), std::string::npos);
}

TEST(Config, Sendfile) {
  Config c;
  EXPECT_FALSE(c.sendfile);
  ASSERT_TRUE(ApplyEnvironment({{"BERTH_SENDFILE", "true"}}, c));
  EXPECT_TRUE(c.sendfile);
  ASSERT_TRUE(ApplyEnvironment({{"BERTH_SENDFILE", "0"}}, c));
  EXPECT_FALSE(c.sendfile);
  auto bad = ApplyEnvironment({{"BERTH_SENDFILE", "maybe"}}, c);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("BERTH_SENDFILE"), std::string::npos);
}

TEST(Config, ProxyCacheExpiry) {
  Config c;
  EXPECT_EQ(c.proxy_cache_expiry_seconds, 7 * 24 * 3600);
  ASSERT_TRUE(ApplyEnvironment({{"BERTH_PROXY_CACHE_EXPIRY", "60"}}, c));
  EXPECT_EQ(c.proxy_cache_expiry_seconds, 60);
  c.proxy_cache_expiry_seconds = 0;
  auto problems = Validate(c);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("proxy_cache_expiry_seconds"), std::string::npos) << problems[0];
}

TEST(Config, ProxyCacheProviders) {
  Config c;
  EXPECT_EQ(c.proxy_cache_providers, (std::vector<std::string>{"harbor", "docker-hub", "aws-ecr",
                                                               "azure-acr", "google-gcr", "quay"}));
  ASSERT_TRUE(
      ApplyEnvironment({{"BERTH_PROXY_CACHE_PROVIDERS", " harbor, docker-registry,,quay "}}, c));
  EXPECT_EQ(c.proxy_cache_providers,
            (std::vector<std::string>{"harbor", "docker-registry", "quay"}));
  ASSERT_TRUE(ApplyEnvironment({{"BERTH_PROXY_CACHE_PROVIDERS", ""}}, c));
  EXPECT_TRUE(c.proxy_cache_providers.empty());

  std::string path = ::testing::TempDir() + "/berth-proxy-config.yml";
  {
    std::ofstream f(path);
    f << "proxy_cache_providers:\n  - docker-registry\n  - harbor\n";
  }
  ASSERT_TRUE(ApplyYamlFile(path, c));
  EXPECT_EQ(c.proxy_cache_providers, (std::vector<std::string>{"docker-registry", "harbor"}));
  {
    std::ofstream f(path);
    f << "proxy_cache_providers: {a: 1}\n";
  }
  auto r = ApplyYamlFile(path, c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("proxy_cache_providers"), std::string::npos);
  std::remove(path.c_str());
}

TEST(Config, WebDir) {
  Config c;
  EXPECT_TRUE(c.web_dir.empty());
  ASSERT_TRUE(ApplyEnvironment({{"BERTH_WEB_DIR", "/srv/berth-web"}}, c));
  EXPECT_EQ(c.web_dir, "/srv/berth-web");
  std::string path = ::testing::TempDir() + "/berth-web-config.yml";
  {
    std::ofstream f(path);
    f << "web_dir: ui\n";
  }
  ASSERT_TRUE(ApplyYamlFile(path, c));
  EXPECT_EQ(c.web_dir, "ui");
  std::remove(path.c_str());
}

TEST(Config, YamlFile) {
  std::string path = ::testing::TempDir() + "/berth-config.yml";
  {
    std::ofstream f(path);
    f << "listen: 127.0.0.1:6000\ndata_dir: d\n";
  }
  Config c;
  ASSERT_TRUE(ApplyYamlFile(path, c));
  EXPECT_EQ(c.port(), 6000);
  {
    std::ofstream f(path);
    f << "listen: 127.0.0.1:6000\nbogus: 1\n";
  }
  auto r = ApplyYamlFile(path, c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("bogus"), std::string::npos);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace berth::config
