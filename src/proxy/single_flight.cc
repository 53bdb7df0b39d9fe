#include "proxy/single_flight.h"

namespace berth::proxy {

Status SingleFlight::Do(const std::string& key, const std::function<Status()>& work, bool* shared) {
  std::promise<Status> promise;
  {
    std::unique_lock lock(mu_);
    auto it = calls_.find(key);
    if (it != calls_.end()) {
      std::shared_future<Status> running = it->second;
      lock.unlock();
      if (shared) *shared = true;
      return running.get();
    }
    calls_.emplace(key, promise.get_future().share());
  }
  if (shared) *shared = false;
  Status result = work();
  {
    std::lock_guard lock(mu_);
    calls_.erase(key);
  }
  promise.set_value(result);
  return result;
}

}  // namespace berth::proxy
