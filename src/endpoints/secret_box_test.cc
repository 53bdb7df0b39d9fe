#include "endpoints/secret_box.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "metadata/test_util.h"

namespace berth::endpoints {
namespace {

SecretBox::Key KeyOf(uint8_t fill) {
  SecretBox::Key key;
  key.fill(fill);
  return key;
}

TEST(SecretBoxTest, RoundTrip) {
  SecretBox box(KeyOf(7));
  for (const std::string& plain : std::vector<std::string>{
           "p", "Harbor12345", std::string(5000, 'x'), std::string("a\0b", 3)}) {
    auto sealed = box.Seal(plain);
    ASSERT_TRUE(sealed.has_value());
    EXPECT_TRUE(sealed->starts_with(kSealedPrefix));
    EXPECT_EQ(sealed->find(plain.size() > 2 ? plain : "\x01"), std::string::npos);
    auto opened = box.Open(*sealed);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    EXPECT_EQ(*opened, plain);
  }
}

TEST(SecretBoxTest, FreshNoncePerSeal) {
  SecretBox box(KeyOf(7));
  EXPECT_NE(*box.Seal("same"), *box.Seal("same"));
}

TEST(SecretBoxTest, EmptyStaysEmpty) {
  SecretBox box(KeyOf(7));
  EXPECT_EQ(*box.Seal(""), "");
  EXPECT_EQ(*box.Open(""), "");
}

TEST(SecretBoxTest, TamperIsAnError) {
  SecretBox box(KeyOf(7));
  std::string sealed = *box.Seal("Harbor12345");
  for (size_t i = kSealedPrefix.size(); i < sealed.size() - 2; i += 3) {
    std::string bad = sealed;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(box.Open(bad).has_value()) << i;
  }
  EXPECT_FALSE(box.Open(sealed.substr(0, sealed.size() - 4)).has_value());
  EXPECT_FALSE(box.Open("plain text").has_value());
  EXPECT_FALSE(box.Open("<enc-v2>!!!!").has_value());
}

TEST(SecretBoxTest, WrongKeyIsAnError) {
  std::string sealed = *SecretBox(KeyOf(7)).Seal("Harbor12345");
  auto opened = SecretBox(KeyOf(8)).Open(sealed);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().message.find("Harbor12345"), std::string::npos);
}

TEST(SecretBoxTest, KeyFileCreatedOnceWithMode0600) {
  metadata::testing::TempDir dir;
  auto path = dir.path() / "secret.key";
  auto first = SecretBox::OpenOrCreate(path);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_EQ(st.st_size, 32);
  std::string sealed = *first->Seal("s3cret");
  auto second = SecretBox::OpenOrCreate(path);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(*second->Open(sealed), "s3cret");
}

TEST(SecretBoxTest, WideKeyFileIsNarrowed) {
  metadata::testing::TempDir dir;
  auto path = dir.path() / "secret.key";
  ASSERT_TRUE(SecretBox::OpenOrCreate(path).has_value());
  ::chmod(path.c_str(), 0644);
  ASSERT_TRUE(SecretBox::OpenOrCreate(path).has_value());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
}

TEST(SecretBoxTest, ShortKeyFileIsRefused) {
  metadata::testing::TempDir dir;
  auto path = dir.path() / "secret.key";
  std::ofstream(path) << "short";
  EXPECT_FALSE(SecretBox::OpenOrCreate(path).has_value());
}

}  // namespace
}  // namespace berth::endpoints
