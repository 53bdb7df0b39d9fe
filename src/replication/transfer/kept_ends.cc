#include "replication/transfer/kept_ends.h"

namespace berth::replication {

Result<std::shared_ptr<RegistryEnd>> KeptEnds::Get(int64_t id, const std::string& update_time,
                                                   const Make& make) {
  std::lock_guard lock(mu_);
  Kept& kept = ends_[id];
  if (kept.end && kept.update_time == update_time) return kept.end;
  auto end = make();
  if (!end) {
    ends_.erase(id);
    return end;
  }
  kept.end = std::move(*end);
  kept.update_time = update_time;
  return kept.end;
}

void KeptEnds::Forget(int64_t id) {
  std::lock_guard lock(mu_);
  ends_.erase(id);
}

}  // namespace berth::replication
