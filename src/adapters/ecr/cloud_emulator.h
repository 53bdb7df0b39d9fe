// Test support for the cloud provider tests (aws-ecr, google-gcr, ali-acr, huawei-SWR):
// starts tests/emulators/<name>_emulator.py in a fresh temporary directory, reads its ready
// line {"port", "ca"}, and builds AdapterDeps that send the provider hostnames to it
// (curl CONNECT_TO) and trust its certificate. The process (and its docker-registry) is
// stopped with SIGTERM and the directory removed on destruction. CloudEmulatorTest is the
// fixture the providers' emulator tests share. Header-only, tests only.
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/adapter.h"
#include "adapters/adapter_conformance.h"

namespace berth::adapters::testing {

class CloudEmulator {
 public:
  // nullptr when the emulator does not report ready within 30 s.
  static std::unique_ptr<CloudEmulator> Start(const std::string& name,
                                              const std::vector<std::string>& args = {}) {
    auto emulator = std::unique_ptr<CloudEmulator>(new CloudEmulator());
    char pattern[] = "/tmp/berth-cloud-emu-XXXXXX";
    if (mkdtemp(pattern) == nullptr) return nullptr;
    emulator->dir_ = pattern;
    std::vector<std::string> argv = {
        "/usr/bin/python3",
        std::string(BERTH_SOURCE_DIR) + "/tests/emulators/" + name + "_emulator.py", "--dir",
        emulator->dir_ + "/emu"};
    argv.insert(argv.end(), args.begin(), args.end());
    int fds[2];
    if (pipe(fds) != 0) return nullptr;
    pid_t pid = fork();
    if (pid == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      execv(cargv[0], cargv.data());
      _exit(127);
    }
    close(fds[1]);
    emulator->pid_ = pid;
    emulator->stdout_fd_ = fds[0];
    auto json = nlohmann::json::parse(emulator->ReadLine(30000), nullptr, false);
    if (!json.is_object() || !json.contains("port")) return nullptr;
    emulator->port_ = json["port"].get<int>();
    std::ifstream ca(json["ca"].get<std::string>());
    std::stringstream text;
    text << ca.rdbuf();
    emulator->ca_pem_ = text.str();
    return emulator;
  }

  ~CloudEmulator() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      for (int i = 0; i < 100 && waitpid(pid_, &status, WNOHANG) == 0; ++i) usleep(50000);
      if (waitpid(pid_, &status, WNOHANG) == 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
      }
    }
    if (stdout_fd_ >= 0) close(stdout_fd_);
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  int port() const { return port_; }
  // The emulator's working directory (files it writes for the test, e.g. keys).
  std::string dir() const { return dir_ + "/emu"; }

  // Deps reaching `hosts` (port 443) at this emulator and trusting its certificate.
  AdapterDeps Deps(const std::vector<std::string>& hosts) const {
    AdapterDeps deps;
    for (const auto& host : hosts)
      deps.network.connect_to.push_back(host + ":443:127.0.0.1:" + std::to_string(port_));
    deps.network.extra_ca_pem = ca_pem_;
    deps.network.connect_timeout = std::chrono::seconds(5);
    deps.network.timeout = std::chrono::seconds(30);
    return deps;
  }

 private:
  CloudEmulator() = default;

  std::string ReadLine(int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    std::string line;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{stdout_fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char c;
      if (read(stdout_fd_, &c, 1) != 1) break;
      if (c == '\n') return line;
      line.push_back(c);
    }
    return {};
  }

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int port_ = 0;
  std::string ca_pem_;
  std::string dir_;
};

// Fixture for one provider's emulator tests: one emulator for the whole suite and, per
// test, a registry holding the provider. `Provider` names them with
//   static constexpr char kEmulator[];                      // "<name>" of <name>_emulator.py
//   static std::vector<std::string> EmulatorArgs();
//   static AdapterRegistration Registration();
//   static const std::vector<std::string>& Hosts();         // sent to the emulator
template <typename Provider>
class CloudEmulatorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    emulator_ = CloudEmulator::Start(Provider::kEmulator, Provider::EmulatorArgs()).release();
  }
  static void TearDownTestSuite() {
    delete emulator_;
    emulator_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(emulator_, nullptr) << Provider::kEmulator << " emulator did not start";
    ASSERT_TRUE(registry_.Register(Provider::Registration()).has_value());
  }

  // Deps reaching the provider's hosts at the emulator.
  static AdapterDeps Deps() { return emulator_->Deps(Provider::Hosts()); }
  std::unique_ptr<Adapter> Create(const Endpoint& e) {
    auto adapter = registry_.Create(e, Deps());
    EXPECT_TRUE(adapter.has_value()) << adapter.error().message;
    return adapter ? std::move(*adapter) : nullptr;
  }
  // The conformance target for `endpoint` reached through the emulator.
  ConformanceTarget Target(const Endpoint& endpoint, const std::string& bad_secret,
                           const std::string& push_repository) {
    ConformanceTarget target;
    target.registry = &registry_;
    target.endpoint = endpoint;
    target.deps = Deps();
    target.bad_secret = bad_secret;
    target.push_repository = push_repository;
    return target;
  }

  static inline CloudEmulator* emulator_ = nullptr;
  AdapterRegistry registry_;
};

}  // namespace berth::adapters::testing
