#include "common/digest.h"

#include <gtest/gtest.h>

#include <vector>

namespace berth {
namespace {

TEST(Digest, ParsesValid) {
  auto d = Digest::Parse("sha256:" + std::string(64, 'f'));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->algorithm(), "sha256");
  EXPECT_EQ(d->hex(), std::string(64, 'f'));
}

TEST(Digest, RejectsInvalid) {
  for (std::string bad : std::vector<std::string>{
           "", "sha256", "sha256:", "md5:abcd", "sha256:" + std::string(64, 'F'),
           "sha256:" + std::string(63, 'a'), "sha512:" + std::string(64, 'a')}) {
    auto d = Digest::Parse(bad);
    ASSERT_FALSE(d) << bad;
    EXPECT_EQ(d.error().wire(), "DIGEST_INVALID");
  }
}

TEST(Sha256, KnownVector) {
  EXPECT_EQ(Sha256Digest(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 h;
  h.Update(std::string_view("ab"));
  h.Update(std::string_view("c"));
  EXPECT_EQ(h.Finish(), Sha256Digest("abc"));
}

}  // namespace
}  // namespace berth

#include "common/base64.h"

namespace berth {
namespace {

TEST(Base64, RoundTripsAndRejects) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto d = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(d) << s;
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_FALSE(Base64Decode("abc"));
  EXPECT_FALSE(Base64Decode("ab!="));
}

}  // namespace
}  // namespace berth
