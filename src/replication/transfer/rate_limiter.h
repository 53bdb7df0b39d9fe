// RateLimiter: a token bucket shared by every transfer of one execution, so a policy's
// `speed` limits the whole policy, not each task. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

#include "common/error.h"
#include "remote/distribution_client.h"

namespace berth::replication {

class RateLimiter {
 public:
  // `bytes_per_second` <= 0: unlimited (Acquire returns at once). The burst is one
  // second of traffic, at least 64 KiB.
  explicit RateLimiter(int64_t bytes_per_second);
  // Blocks until `bytes` may pass. kCancelled when `cancel` is set while waiting
  // (checked at least every 200 ms).
  Status Acquire(int64_t bytes, const remote::CancelToken& cancel = {});
  int64_t bytes_per_second() const { return rate_; }

 private:
  const int64_t rate_;
  std::mutex mu_;
  double tokens_ = 0;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace berth::replication
