#include "storage/fs_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace berth::storage {

void UniqueFd::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Error IoError(std::string_view what, int err) {
  return MakeError(ErrorCode::kInternal,
                   "storage: " + std::string(what) + ": " + std::strerror(err));
}

Error IoError(std::string_view what, const std::error_code& ec) {
  return MakeError(ErrorCode::kInternal, "storage: " + std::string(what) + ": " + ec.message());
}

Result<UniqueFd> OpenFile(const std::filesystem::path& path, int flags, int* err) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    int saved = errno;
    if (err) *err = saved;
    return Fail(IoError("open", saved));
  }
  return UniqueFd(fd);
}

HelperThread::HelperThread() : thread_([this] { Loop(); }) {}

HelperThread::~HelperThread() {
  {
    std::lock_guard lock(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void HelperThread::Start(Job job) {
  {
    std::lock_guard lock(mu_);
    job_ = std::move(job);
    done_ = false;
  }
  cv_.notify_all();
}

bool HelperThread::Idle() {
  std::lock_guard lock(mu_);
  return done_ && !job_;
}

std::pair<size_t, int> HelperThread::Finish() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return done_; });
  return result_;
}

void HelperThread::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return quit_ || job_; });
    if (quit_) return;
    Job job = std::move(job_);
    job_ = nullptr;
    lock.unlock();
    auto result = job();
    lock.lock();
    result_ = result;
    done_ = true;
    cv_.notify_all();
  }
}

}  // namespace berth::storage
