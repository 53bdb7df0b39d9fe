#include "auth/credential_cache.h"

#include "common/digest.h"

namespace berth::auth {

std::string CredentialCache::Key(std::string_view username, std::string_view password) {
  Sha256 h;
  h.Update(username);
  h.Update(std::string_view("\0", 1));
  h.Update(password);
  return h.Finish();
}

std::optional<Identity> CredentialCache::Lookup(std::string_view username,
                                                std::string_view password, Clock::time_point now) {
  std::string key = Key(username, password);
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.expires <= now) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.identity;
}

void CredentialCache::Remember(std::string_view username, std::string_view password,
                               const Identity& identity, Clock::time_point now) {
  std::string key = Key(username, password);
  std::lock_guard lock(mu_);
  if (entries_.size() >= capacity_) {
    std::erase_if(entries_, [&](const auto& kv) { return kv.second.expires <= now; });
    if (entries_.size() >= capacity_) entries_.clear();
  }
  entries_[key] = Entry{identity, now + ttl_};
}

void CredentialCache::Clear() {
  std::lock_guard lock(mu_);
  entries_.clear();
}

size_t CredentialCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace berth::auth
