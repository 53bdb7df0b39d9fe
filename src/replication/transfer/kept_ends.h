// KeptEnds: the remote end of each stored endpoint, kept with its connections and tokens
// between uses (replication runs, proxy-cache requests) until the endpoint changes (its
// update_time moves) or is deleted.
//
// Thread safety: every method may be called from any thread; making an end is
// serialised (two callers never connect the same endpoint twice at once).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/error.h"
#include "replication/transfer/registry_end.h"

namespace berth::replication {

class KeptEnds {
 public:
  using Make = std::function<Result<std::shared_ptr<RegistryEnd>>()>;

  // The kept end of endpoint `id` as of `update_time`; made by `make` when there is none
  // or the endpoint changed since. When `make` fails, nothing is kept for `id`.
  Result<std::shared_ptr<RegistryEnd>> Get(int64_t id, const std::string& update_time,
                                           const Make& make);
  // Drops the end of a deleted endpoint: its connections close with its last user.
  void Forget(int64_t id);

 private:
  struct Kept {
    std::string update_time;
    std::shared_ptr<RegistryEnd> end;
  };
  std::mutex mu_;
  std::map<int64_t, Kept> ends_;  // GUARDED_BY(mu_), by endpoint id
};

}  // namespace berth::replication
