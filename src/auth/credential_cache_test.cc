#include "auth/credential_cache.h"

#include <gtest/gtest.h>

namespace berth::auth {
namespace {

using namespace std::chrono_literals;

TEST(CredentialCache, HitMissAndExpiry) {
  CredentialCache cache(60s, 4);
  auto t0 = CredentialCache::Clock::time_point{} + 1000s;
  Identity alice;
  alice.user_id = 7;
  alice.username = "alice";
  EXPECT_FALSE(cache.Lookup("alice", "pw", t0));
  cache.Remember("alice", "pw", alice, t0);
  auto hit = cache.Lookup("alice", "pw", t0 + 59s);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->user_id, 7);
  EXPECT_FALSE(cache.Lookup("alice", "other", t0));
  EXPECT_FALSE(cache.Lookup("alic", "epw", t0)) << "username/password boundary matters";
  EXPECT_FALSE(cache.Lookup("alice", "pw", t0 + 60s));
}

TEST(CredentialCache, StaysBounded) {
  CredentialCache cache(60s, 4);
  auto t0 = CredentialCache::Clock::time_point{} + 1000s;
  for (int i = 0; i < 20; ++i) {
    cache.Remember("u" + std::to_string(i), "pw", Identity(), t0);
    EXPECT_LE(cache.size(), 4u);
  }
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace berth::auth
