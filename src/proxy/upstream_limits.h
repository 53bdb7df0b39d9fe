// UpstreamLimits: a proxy-cache project's bounds on its upstream, from its metadata —
// `max_upstream_conn` concurrent upstream requests and `proxy_speed_kb` kbit/s of blob
// bytes (both unlimited at -1 or 0). A changed setting applies to requests that start
// after the change.
//
// Thread safety: every method may be called from many threads at once.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "metadata/records.h"
#include "replication/transfer/rate_limiter.h"

namespace berth::proxy {

class UpstreamLimits {
 public:
  // One upstream connection of a project, released when destroyed.
  class Slot {
   public:
    Slot() = default;
    Slot(UpstreamLimits* owner, int64_t project_id) : owner_(owner), project_id_(project_id) {}
    Slot(Slot&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)), project_id_(other.project_id_) {}
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (owner_ != nullptr) owner_->Release(project_id_);
    }

   private:
    UpstreamLimits* owner_ = nullptr;
    int64_t project_id_ = 0;
  };

  // Blocks while all of the project's connections are in use.
  Slot Acquire(const metadata::Project& project);
  // The project's bandwidth bucket, shared by the downloads that hold it at the same
  // time; null when unlimited.
  std::shared_ptr<replication::RateLimiter> Bandwidth(const metadata::Project& project);

 private:
  void Release(int64_t project_id);

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int64_t, int64_t> in_use_;                                   // by project id
  std::map<int64_t, std::weak_ptr<replication::RateLimiter>> buckets_;  // by project id
};

}  // namespace berth::proxy
