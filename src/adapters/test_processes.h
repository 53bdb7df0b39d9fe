// Test-only helpers: child processes (emulators, docker-registry, berth) and temp dirs.
#pragma once

#include <string>
#include <vector>

namespace berth::adapters::testing {

// A child process, terminated (SIGTERM, then SIGKILL) and reaped on destruction.
class ChildProcess {
 public:
  // Starts argv[0] (PATH lookup) with `env` (NAME=VALUE) added; stdout is captured
  // when `capture_stdout`, stderr goes to /dev/null.
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env,
               bool capture_stdout);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }
  // The next stdout line ("" on EOF or after `timeout_ms`).
  std::string ReadLine(int timeout_ms);

 private:
  int pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
};

// A fresh directory under $TMPDIR (or /tmp), removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

int FreePort();
// Polls until 127.0.0.1:port accepts connections; false after `timeout_ms`.
bool WaitForPort(int port, int timeout_ms);
std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& text);

}  // namespace berth::adapters::testing
