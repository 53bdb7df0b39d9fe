#include "auth/password.h"

#include <gtest/gtest.h>

namespace berth::auth {
namespace {

TEST(Password, HashHasArgon2idForm) {
  std::string hash = HashPassword("Harbor12345");
  EXPECT_TRUE(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << hash;
  EXPECT_NE(hash, HashPassword("Harbor12345")) << "salt must be random";
}

TEST(Password, VerifyTable) {
  const std::string hash = HashPassword("Harbor12345");
  const std::string empty_hash = HashPassword("");
  struct Case {
    std::string encoded;
    std::string password;
    bool ok;
  } cases[] = {
      {hash, "Harbor12345", true},
      {hash, "harbor12345", false},
      {hash, "Harbor1234", false},
      {hash, "", false},
      {empty_hash, "", true},
      {empty_hash, "x", false},
      {"", "Harbor12345", false},
      {"$argon2i$v=19$m=16,t=2,p=1$c29tZXNhbHQ$aGFzaA", "x", false},
      {"$argon2id$garbage", "x", false},
      {"plaintext", "plaintext", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.encoded + " / " + c.password);
    EXPECT_EQ(VerifyPassword(c.encoded, c.password), c.ok);
  }
}

TEST(Password, BinaryAndLongPasswords) {
  std::string weird("a\0b:c\xff", 6);
  std::string long_password(4096, 'x');
  EXPECT_TRUE(VerifyPassword(HashPassword(weird), weird));
  EXPECT_FALSE(VerifyPassword(HashPassword(weird), "a"));
  EXPECT_TRUE(VerifyPassword(HashPassword(long_password), long_password));
}

TEST(Password, Policy) {
  struct Case {
    std::string password;
    bool ok;
  } cases[] = {
      {"Harbor12345", true},   {"harbor12345", false}, {"HARBOR12345", false},
      {"HarborHarbor", false}, {"Ab1", false},         {std::string(129, 'a') + "A1", false},
      {"Aa1Aa1Aa", true},
  };
  for (const auto& c : cases) EXPECT_EQ(MeetsPasswordPolicy(c.password), c.ok) << c.password;
  for (size_t n : {8u, 20u, 32u}) {
    std::string generated = GeneratePassword(n);
    EXPECT_EQ(generated.size(), n);
    EXPECT_TRUE(MeetsPasswordPolicy(generated)) << generated;
  }
  EXPECT_NE(GeneratePassword(), GeneratePassword());
}

}  // namespace
}  // namespace berth::auth
