// File plumbing shared by the filesystem store's writers and readers (internal to
// storage/): an owned descriptor, errno errors that never name the store root, and a
// helper thread that runs one job at a time.
#pragma once

#include <cerrno>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#include "common/error.h"

namespace berth::storage {

// O_DIRECT needs the buffer address, the length and the file offset aligned to the
// logical block size; 4 KiB covers every common device.
constexpr size_t kDirectAlign = 4096;

// Owns one file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~UniqueFd() { Reset(); }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void Reset();

 private:
  int fd_ = -1;
};

// kInternal with the operation and errno text; never includes the store root.
Error IoError(std::string_view what, int err = errno);
Error IoError(std::string_view what, const std::error_code& ec);

// Opens `path` (O_CLOEXEC added); on failure `*err` (when given) receives errno.
Result<UniqueFd> OpenFile(const std::filesystem::path& path, int flags, int* err = nullptr);

// One helper thread that runs one job at a time for its owner: Start hands a job over,
// Finish waits for its result. Used by a single owner thread; joined on destruction
// (after the job in flight, if any, has finished).
class HelperThread {
 public:
  // A job's result: bytes done, and errno (0 when it went well).
  using Job = std::function<std::pair<size_t, int>()>;

  HelperThread();
  ~HelperThread();
  HelperThread(const HelperThread&) = delete;
  HelperThread& operator=(const HelperThread&) = delete;

  void Start(Job job);
  // No job handed over or running.
  bool Idle();
  std::pair<size_t, int> Finish();

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  Job job_;                        // GUARDED_BY(mu_)
  std::pair<size_t, int> result_;  // GUARDED_BY(mu_)
  bool done_ = true;               // GUARDED_BY(mu_)
  bool quit_ = false;              // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace berth::storage
