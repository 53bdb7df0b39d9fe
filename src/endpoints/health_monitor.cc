#include "endpoints/health_monitor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

namespace berth::endpoints {

HealthMonitor::HealthMonitor(EndpointService& service, std::chrono::seconds interval,
                             std::chrono::milliseconds first_delay)
    : service_(service), interval_(interval), first_delay_(first_delay) {}

HealthMonitor::~HealthMonitor() { Stop(); }

std::chrono::milliseconds HealthMonitor::JitteredFirstDelay(std::chrono::seconds interval) {
  using std::chrono::milliseconds;
  int64_t hi = std::max<int64_t>(
      1000, std::min<int64_t>(milliseconds(interval).count(), milliseconds(30'000).count()));
  std::random_device rd;
  std::uniform_int_distribution<int64_t> dist(1000, hi);
  return milliseconds(dist(rd));
}

void HealthMonitor::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void HealthMonitor::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HealthMonitor::RunOnce() {
  auto ids = service_.store().Ids();
  if (!ids) {
    spdlog::warn("endpoint health check: cannot list endpoints: {}", ids.error().message);
    return;
  }
  for (int64_t id : *ids) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    auto done = service_.Recheck(id);
    if (!done && done.error().code != ErrorCode::kNotFound) {
      spdlog::warn("endpoint health check of registry {}: {}", id, done.error().message);
    }
  }
}

void HealthMonitor::Loop() {
  std::chrono::milliseconds wait = first_delay_;
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, wait, [this] { return stop_; })) return;
    }
    RunOnce();
    wait = interval_;
  }
}

}  // namespace berth::endpoints
