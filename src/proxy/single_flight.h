// SingleFlight: runs one piece of work per key at a time; callers that arrive while it
// runs wait for it and share its result instead of running it again.
//
// Thread safety: Do may be called from many threads at once.
#pragma once

#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <string>

#include "common/error.h"

namespace berth::proxy {

class SingleFlight {
 public:
  // Runs `work` unless a call for `key` is already running, in which case it waits for
  // that call and returns its result. `shared` (optional) is set to whether the result
  // came from another caller's run.
  Status Do(const std::string& key, const std::function<Status()>& work, bool* shared = nullptr);

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_future<Status>> calls_;
};

}  // namespace berth::proxy
