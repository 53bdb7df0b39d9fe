// Test-only helpers: a real CNCF `docker-registry` child process, and a tiny threaded HTTP
// server whose answers a test scripts. Not linked into berth.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

namespace berth::remote::testing {

// A directory removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

std::string ReadFile(const std::filesystem::path& path);

// `docker-registry serve` on 127.0.0.1:<free port>, killed on destruction.
class RegistryProcess {
 public:
  struct Options {
    std::string htpasswd_file{};  // enables Basic auth
    std::string tls_cert{};       // with tls_key: serves HTTPS
    std::string tls_key{};
  };
  // nullptr (and `error` set) when it does not come up within 5 s.
  static std::unique_ptr<RegistryProcess> Start(const Options& options, std::string* error);
  ~RegistryProcess();

  int port() const { return port_; }
  // "http://127.0.0.1:PORT" (https with TLS).
  std::string url() const { return url_; }

 private:
  RegistryProcess() = default;
  TempDir dir_;
  int pid_ = -1;
  int port_ = 0;
  std::string url_;
};

// Writes a bcrypt htpasswd file with one user.
bool WriteHtpasswd(const std::filesystem::path& file, const std::string& user,
                   const std::string& password);
// Writes a self-signed certificate for 127.0.0.1 (and its key).
bool WriteSelfSignedCert(const std::filesystem::path& cert, const std::filesystem::path& key);

struct MiniRequest {
  std::string method;
  std::string target;                          // path and query as sent
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  std::string Header(const std::string& lowercase_name) const;
};

// Serves each connection on one thread: reads one request, writes the handler's answer
// ("HTTP/1.1 200 OK\r\n..." without Connection/Content-Length, both added), closes.
class MiniHttpServer {
 public:
  struct Reply {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    // >= 0: sends only this many bytes of the body (Content-Length still announces all of
    // it), then keeps the connection silent until the server is destroyed.
    int64_t stall_after = -1;
    // Closes the connection without answering.
    bool drop = false;
  };
  using Handler = std::function<Reply(const MiniRequest&)>;
  explicit MiniHttpServer(Handler handler);
  ~MiniHttpServer();
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void Loop();
  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Fixture base: one anonymous `docker-registry` for the whole suite, in registry_; the
// suite fails when it does not start.
class SharedRegistryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    registry_ = RegistryProcess::Start({}, &error).release();
    ASSERT_NE(registry_, nullptr) << error;
  }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
  }
  static inline RegistryProcess* registry_ = nullptr;
};

}  // namespace berth::remote::testing
