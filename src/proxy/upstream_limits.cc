#include "proxy/upstream_limits.h"

namespace berth::proxy {

UpstreamLimits::Slot UpstreamLimits::Acquire(const metadata::Project& project) {
  const int64_t limit = project.max_upstream_conn;
  std::unique_lock lock(mu_);
  // Looked up afresh on every wake-up: Release erases entries that drop to zero.
  if (limit > 0) cv_.wait(lock, [&] { return in_use_[project.id] < limit; });
  ++in_use_[project.id];
  return Slot(this, project.id);
}

void UpstreamLimits::Release(int64_t project_id) {
  {
    std::lock_guard lock(mu_);
    auto it = in_use_.find(project_id);
    if (it != in_use_.end() && --it->second <= 0) in_use_.erase(it);
  }
  cv_.notify_all();
}

std::shared_ptr<replication::RateLimiter> UpstreamLimits::Bandwidth(
    const metadata::Project& project) {
  std::lock_guard lock(mu_);
  // Buckets live while downloads hold them: forget the ones nobody holds, so deleted
  // projects leave nothing behind. A new bucket starts empty, so a download that starts
  // after an idle spell gets no burst beyond the rate.
  std::erase_if(buckets_, [](const auto& entry) { return entry.second.expired(); });
  if (project.proxy_speed_kb <= 0) return nullptr;
  const int64_t bytes_per_second = project.proxy_speed_kb * 1000 / 8;
  std::shared_ptr<replication::RateLimiter> bucket = buckets_[project.id].lock();
  if (!bucket || bucket->bytes_per_second() != bytes_per_second) {
    bucket = std::make_shared<replication::RateLimiter>(bytes_per_second);
    buckets_[project.id] = bucket;
  }
  return bucket;
}

}  // namespace berth::proxy
