#include "auth/jwt.h"

#include <gtest/gtest.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/digest.h"

namespace berth::auth {
namespace {

class JwtTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto k = SigningKey::Generate("test-issuer");
    ASSERT_TRUE(k) << k.error().message;
    key_ = new SigningKey(*k);
    auto o = SigningKey::Generate("other");
    ASSERT_TRUE(o);
    other_ = new SigningKey(*o);
  }
  static void TearDownTestSuite() {
    delete key_;
    delete other_;
  }

  static TokenClaims Claims(int64_t now) {
    TokenClaims c;
    c.issuer = "berth-token-issuer";
    c.subject = "alice";
    c.audience = "berth";
    c.issued_at = now;
    c.not_before = now;
    c.expires_at = now + 300;
    c.id = "abc";
    c.access = {Scope{"repository", "library/nginx", {"pull", "push"}},
                Scope{"registry", "catalog", {"*"}}};
    return c;
  }

  static inline SigningKey* key_ = nullptr;
  static inline SigningKey* other_ = nullptr;
};

constexpr int64_t kNow = 1'800'000'000;

TEST_F(JwtTest, RoundTrip) {
  auto token = EncodeJwt(*key_, Claims(kNow));
  ASSERT_TRUE(token);
  auto claims = DecodeJwt(*key_, *token, "berth", "berth-token-issuer", kNow + 10);
  ASSERT_TRUE(claims) << claims.error().message;
  EXPECT_EQ(claims->subject, "alice");
  EXPECT_EQ(claims->expires_at, kNow + 300);
  ASSERT_EQ(claims->access.size(), 2u);
  EXPECT_EQ(claims->access[0].name, "library/nginx");
  EXPECT_EQ(claims->access[0].actions, (std::set<std::string>{"pull", "push"}));
  EXPECT_EQ(claims->access[1].type, "registry");
}

TEST_F(JwtTest, HeaderCarriesKidAndX5c) {
  auto token = EncodeJwt(*key_, Claims(kNow));
  ASSERT_TRUE(token);
  auto header_text = Base64UrlDecode(token->substr(0, token->find('.')));
  ASSERT_TRUE(header_text);
  auto header = nlohmann::json::parse(*header_text);
  EXPECT_EQ(header["alg"], "RS256");
  EXPECT_EQ(header["typ"], "JWT");
  EXPECT_EQ(header["kid"], key_->KeyId());
  ASSERT_EQ(header["x5c"].size(), 1u);
  EXPECT_EQ(header["x5c"][0], key_->CertificateDerBase64());
  // kid: 12 groups of 4 base32 characters.
  const std::string kid = key_->KeyId();
  EXPECT_EQ(kid.size(), 12u * 4 + 11);
  for (size_t i = 0; i < kid.size(); ++i) {
    if (i % 5 == 4) {
      EXPECT_EQ(kid[i], ':');
    } else {
      EXPECT_TRUE((kid[i] >= 'A' && kid[i] <= 'Z') || (kid[i] >= '2' && kid[i] <= '7'));
    }
  }
  EXPECT_EQ(token->find('='), std::string::npos);
}

TEST_F(JwtTest, RejectionTable) {
  auto token = EncodeJwt(*key_, Claims(kNow));
  ASSERT_TRUE(token);
  // Change the first signature character: its 6 bits are all signature bits (the last
  // character of an unpadded base64url signature also carries ignored padding bits, so
  // changing it can leave the signature intact).
  std::string tampered_sig = *token;
  char& first_sig_char = tampered_sig[tampered_sig.rfind('.') + 1];
  first_sig_char = first_sig_char == 'A' ? 'g' : 'A';
  // Replace the payload with one granting more, keeping the old signature.
  TokenClaims wider = Claims(kNow);
  wider.access[0].actions.insert("delete");
  auto wider_token = EncodeJwt(*key_, wider);
  ASSERT_TRUE(wider_token);
  size_t d1 = token->find('.'), d2 = token->rfind('.');
  size_t w1 = wider_token->find('.'), w2 = wider_token->rfind('.');
  std::string swapped_payload =
      token->substr(0, d1) + wider_token->substr(w1, w2 - w1) + token->substr(d2);
  auto with_header = [&](const nlohmann::json& header) {
    return Base64UrlEncode(header.dump()) + token->substr(d1);
  };
  std::string alg_none = with_header({{"alg", "none"}, {"typ", "JWT"}});
  std::string alg_number = with_header({{"alg", 7}});
  std::string alg_hs256 = with_header({{"alg", "HS256"}});
  auto foreign = EncodeJwt(*other_, Claims(kNow));
  ASSERT_TRUE(foreign);

  struct Case {
    std::string name;
    std::string token;
    std::string audience;
    std::string issuer;
    int64_t now;
    std::string message_part;
  } cases[] = {
      {"tampered signature", tampered_sig, "berth", "berth-token-issuer", kNow, "signature"},
      {"swapped payload", swapped_payload, "berth", "berth-token-issuer", kNow, "signature"},
      {"other key", *foreign, "berth", "berth-token-issuer", kNow, "signature"},
      {"expired", *token, "berth", "berth-token-issuer", kNow + 3600, "expired"},
      {"not yet valid", *token, "berth", "berth-token-issuer", kNow - 3600, "not valid yet"},
      {"wrong audience", *token, "registry.example", "berth-token-issuer", kNow, "audience"},
      {"wrong issuer", *token, "berth", "someone-else", kNow, "issuer"},
      {"alg none", alg_none, "berth", "berth-token-issuer", kNow, "algorithm"},
      {"alg number", alg_number, "berth", "berth-token-issuer", kNow, "algorithm"},
      {"alg HS256", alg_hs256, "berth", "berth-token-issuer", kNow, "algorithm"},
      {"garbage", "not-a-jwt", "berth", "berth-token-issuer", kNow, "malformed"},
      {"four parts", *token + ".x", "berth", "berth-token-issuer", kNow, "malformed"},
      {"empty", "", "berth", "berth-token-issuer", kNow, "malformed"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto claims = DecodeJwt(*key_, c.token, c.audience, c.issuer, c.now);
    ASSERT_FALSE(claims);
    EXPECT_EQ(claims.error().code, ErrorCode::kUnauthorized);
    EXPECT_NE(claims.error().message.find(c.message_part), std::string::npos)
        << claims.error().message;
  }
}

TEST_F(JwtTest, AudienceArrayAccepted) {
  // Hand-built token whose aud is an array.
  nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  nlohmann::json body = {{"iss", "i"}, {"sub", ""}, {"aud", {"x", "berth"}}, {"exp", kNow + 60}};
  std::string input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(body.dump());
  auto sig = key_->Sign(input);
  ASSERT_TRUE(sig);
  auto claims = DecodeJwt(*key_, input + "." + Base64UrlEncode(*sig), "berth", "i", kNow);
  ASSERT_TRUE(claims) << claims.error().message;
  EXPECT_EQ(claims->subject, "");
  EXPECT_TRUE(claims->access.empty());
}

TEST(Base64, Table) {
  struct Case {
    std::string raw, std, url;
  } cases[] = {
      {"", "", ""},
      {"f", "Zg==", "Zg"},
      {"fo", "Zm8=", "Zm8"},
      {"foo", "Zm9v", "Zm9v"},
      {"admin:Harbor12345", "YWRtaW46SGFyYm9yMTIzNDU=", "YWRtaW46SGFyYm9yMTIzNDU"},
      {std::string("\xfb\xff\xfe", 3), "+//+", "-__-"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Base64UrlEncode(c.raw), c.url);
    EXPECT_EQ(Base64UrlDecode(c.url), c.raw);
    EXPECT_EQ(Base64Decode(c.std), c.raw);
  }
  EXPECT_FALSE(Base64UrlDecode("a"));
  EXPECT_FALSE(Base64UrlDecode("ab+c"));
  EXPECT_FALSE(Base64Decode("ab!c"));
}

TEST(SigningKey, LoadOrCreatePersistsWithPrivateModes) {
  auto dir = std::filesystem::temp_directory_path() / ("berth-key-" + RandomHex(6));
  auto created = SigningKey::LoadOrCreate(dir.string(), "berth-token-issuer");
  ASSERT_TRUE(created) << created.error().message;
  struct stat st {};
  ASSERT_EQ(stat((dir / "key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((dir / "cert.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = SigningKey::LoadOrCreate(dir.string(), "berth-token-issuer");
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->KeyId(), created->KeyId());
  EXPECT_EQ(loaded->CertificatePem(), created->CertificatePem());
  EXPECT_TRUE(loaded->CertificatePem().starts_with("-----BEGIN CERTIFICATE-----"));
  // A token from the first instance verifies with the reloaded one.
  TokenClaims c;
  c.issuer = "i";
  c.audience = "berth";
  c.expires_at = kNow + 60;
  auto token = EncodeJwt(*created, c);
  ASSERT_TRUE(token);
  EXPECT_TRUE(DecodeJwt(*loaded, *token, "berth", "i", kNow));
  // A lost certificate is regenerated for the same key.
  std::filesystem::remove(dir / "cert.pem");
  auto regenerated = SigningKey::LoadOrCreate(dir.string(), "berth-token-issuer");
  ASSERT_TRUE(regenerated);
  EXPECT_EQ(regenerated->KeyId(), created->KeyId());
  std::filesystem::remove_all(dir);
}

TEST(LibtrustKeyId, KnownShape) {
  // SHA-256("") = e3b0c442...; base32 of its first 30 bytes, grouped.
  EXPECT_EQ(LibtrustKeyId(""), "4OYM:IQUY:7QOB:JGX3:6TEJ:S35Z:EQT2:4QPE:MSNZ:GTFE:SWMR:W6CS");
}

}  // namespace
}  // namespace berth::auth
