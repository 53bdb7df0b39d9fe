#include "endpoints/secret_box.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "common/base64.h"

namespace berth::endpoints {
namespace {

constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

std::unexpected<Error> Unsealable(std::string_view why) {
  return Fail(ErrorCode::kInternal,
              std::string("cannot unseal the stored secret (") + std::string(why) +
                  "); was the secret key file replaced? re-enter the endpoint's secret");
}

}  // namespace

Result<SecretBox> SecretBox::OpenOrCreate(const std::filesystem::path& key_file) {
  Key key{};
  int fd = ::open(key_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
      return Fail(ErrorCode::kInternal, "cannot generate a secret key");
    }
    std::string tmp = key_file.string() + ".tmp";
    int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) return Fail(ErrorCode::kInternal, "cannot create " + tmp);
    bool ok = ::write(out, key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
              ::fsync(out) == 0;
    ::close(out);
    // link() refuses to replace an existing file, so two starting processes agree on
    // the first key written.
    if (!ok || (::link(tmp.c_str(), key_file.c_str()) != 0 && errno != EEXIST)) {
      ::unlink(tmp.c_str());
      return Fail(ErrorCode::kInternal, "cannot write the secret key " + key_file.string());
    }
    ::unlink(tmp.c_str());
    fd = ::open(key_file.c_str(), O_RDONLY | O_CLOEXEC);
  }
  if (fd < 0) return Fail(ErrorCode::kInternal, "cannot read the secret key " + key_file.string());
  struct stat st {};
  if (::fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) {
    spdlog::warn("secret key {} was readable by others (mode {:o}); narrowing it to 0600",
                 key_file.string(), st.st_mode & 0777);
    ::fchmod(fd, 0600);
  }
  uint8_t buf[33];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  if (n != static_cast<ssize_t>(key.size())) {
    return Fail(ErrorCode::kInternal,
                "the secret key " + key_file.string() + " must hold exactly 32 bytes");
  }
  std::copy_n(buf, key.size(), key.begin());
  return SecretBox(key);
}

Result<std::string> SecretBox::Seal(std::string_view plain) const {
  if (plain.empty()) return std::string();
  std::string blob(kNonceSize + plain.size() + kTagSize, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(blob.data());
  if (RAND_bytes(bytes, kNonceSize) != 1) return Fail(ErrorCode::kInternal, "no randomness");
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), bytes) != 1 ||
      EVP_EncryptUpdate(ctx.get(), bytes + kNonceSize, &len,
                        reinterpret_cast<const unsigned char*>(plain.data()),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), bytes + kNonceSize + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize,
                          bytes + kNonceSize + plain.size()) != 1) {
    return Fail(ErrorCode::kInternal, "cannot seal the secret");
  }
  return std::string(kSealedPrefix) + Base64Encode(blob);
}

Result<std::string> SecretBox::Open(std::string_view sealed) const {
  if (sealed.empty()) return std::string();
  if (!sealed.starts_with(kSealedPrefix)) return Unsealable("unknown format");
  auto blob = Base64Decode(sealed.substr(kSealedPrefix.size()));
  if (!blob) return Unsealable("bad encoding");
  if (blob->size() < kNonceSize + kTagSize) return Unsealable("too short");
  auto* bytes = reinterpret_cast<unsigned char*>(blob->data());
  size_t cipher_len = blob->size() - kNonceSize - kTagSize;
  std::string plain(cipher_len, '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), bytes) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len,
                        bytes + kNonceSize, static_cast<int>(cipher_len)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize,
                          bytes + kNonceSize + cipher_len) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &len) !=
          1) {
    return Unsealable("authentication failed");
  }
  return plain;
}

}  // namespace berth::endpoints
