#include "replication/transfer/rate_limiter.h"

#include <algorithm>
#include <thread>

#include "replication/transfer/transfer.h"

namespace berth::replication {

namespace {

constexpr std::chrono::milliseconds kCancelPoll{200};

bool IsCancelled(const CancelToken& cancel) {
  return cancel && cancel->load(std::memory_order_relaxed);
}

// Sleeps for `delay`, waking every kCancelPoll to look at `cancel`.
Status SleepUnlessCancelled(std::chrono::steady_clock::duration delay, const CancelToken& cancel) {
  const auto until = std::chrono::steady_clock::now() + delay;
  while (true) {
    if (IsCancelled(cancel)) return Fail(ErrorCode::kCancelled, "stopped");
    auto now = std::chrono::steady_clock::now();
    if (now >= until) return Ok();
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(until - now, kCancelPoll));
  }
}

}  // namespace

RateLimiter::RateLimiter(int64_t bytes_per_second)
    : rate_(bytes_per_second), last_(std::chrono::steady_clock::now()) {
  tokens_ = static_cast<double>(std::max<int64_t>(rate_, 64 * 1024));
}

// Reservation: the bytes are taken at once (tokens may go negative) and the caller
// sleeps until the debt is paid, so requests larger than the burst still pass.
Status RateLimiter::Acquire(int64_t bytes, const CancelToken& cancel) {
  if (rate_ <= 0 || bytes <= 0) return Ok();
  std::chrono::steady_clock::duration wait{};
  {
    std::lock_guard lock(mu_);
    const double burst = static_cast<double>(std::max<int64_t>(rate_, 64 * 1024));
    auto now = std::chrono::steady_clock::now();
    double elapsed = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    tokens_ = std::min(burst, tokens_ + elapsed * static_cast<double>(rate_));
    tokens_ -= static_cast<double>(bytes);
    if (tokens_ < 0) {
      wait = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(-tokens_ / static_cast<double>(rate_)));
    }
  }
  if (wait.count() > 0) return SleepUnlessCancelled(wait, cancel);
  return Ok();
}

Status HostLimiter::Acquire(const std::string& host, const CancelToken& cancel) {
  std::unique_lock lock(mu_);
  while (used_[host] >= per_host_) {
    if (IsCancelled(cancel)) return Fail(ErrorCode::kCancelled, "stopped");
    cv_.wait_for(lock, kCancelPoll);
  }
  if (IsCancelled(cancel)) return Fail(ErrorCode::kCancelled, "stopped");
  ++used_[host];
  return Ok();
}

void HostLimiter::Release(const std::string& host) {
  {
    std::lock_guard lock(mu_);
    auto it = used_.find(host);
    if (it != used_.end() && --it->second <= 0) used_.erase(it);
  }
  cv_.notify_all();
}

}  // namespace berth::replication
