// HealthMonitor: a background thread that rechecks every stored endpoint every
// `interval` and records healthy/unhealthy with the last error (EndpointService::Recheck
// writes only on change). The first pass starts after `first_delay` so several
// instances do not check in step. Checks block on the monitor thread, one at a time.
//
// Thread safety: Start and Stop from the owning thread; Stop wakes the thread promptly
// (within one in-flight check) and joins it. The destructor stops.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "endpoints/endpoint_service.h"

namespace berth::endpoints {

class HealthMonitor {
 public:
  HealthMonitor(EndpointService& service, std::chrono::seconds interval,
                std::chrono::milliseconds first_delay);
  ~HealthMonitor();
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  // A random delay in [1 s, min(interval, 30 s)] for the first pass.
  static std::chrono::milliseconds JitteredFirstDelay(std::chrono::seconds interval);

  void Start();
  void Stop();
  // One pass over every endpoint, on the calling thread.
  void RunOnce();

 private:
  void Loop();

  EndpointService& service_;
  std::chrono::seconds interval_;
  std::chrono::milliseconds first_delay_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace berth::endpoints
