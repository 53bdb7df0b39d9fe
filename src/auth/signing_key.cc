#include "auth/signing_key.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace berth::auth {
namespace {

constexpr int kRsaBits = 2048;
constexpr long kCertValiditySeconds = 10L * 365 * 24 * 3600;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

std::shared_ptr<EVP_PKEY> WrapKey(EVP_PKEY* key) {
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}
std::shared_ptr<X509> WrapCert(X509* cert) { return std::shared_ptr<X509>(cert, X509_free); }

std::string OpensslError(std::string_view what) {
  std::string out(what);
  unsigned long code = ERR_get_error();
  if (code != 0) {
    std::array<char, 256> buf{};
    ERR_error_string_n(code, buf.data(), buf.size());
    out += ": ";
    out += buf.data();
  }
  ERR_clear_error();
  return out;
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, n > 0 ? static_cast<size_t>(n) : 0);
}

std::string Base64Std(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, n);
  out.resize(len);
  return out;
}

Result<std::shared_ptr<X509>> MakeCertificate(EVP_PKEY* key, std::string_view common_name) {
  auto cert = WrapCert(X509_new());
  if (!cert) return Fail(ErrorCode::kInternal, OpensslError("X509_new"));
  X509_set_version(cert.get(), 2);
  std::array<unsigned char, 16> serial_bytes{};
  RAND_bytes(serial_bytes.data(), serial_bytes.size());
  serial_bytes[0] &= 0x7f;  // positive
  BIGNUM* serial = BN_bin2bn(serial_bytes.data(), serial_bytes.size(), nullptr);
  BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get()));
  BN_free(serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), kCertValiditySeconds);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  std::string cn(common_name);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  const std::pair<int, const char*> extensions[] = {
      {NID_basic_constraints, "critical,CA:TRUE"},
      {NID_key_usage, "critical,digitalSignature,keyCertSign"},
      {NID_subject_key_identifier, "hash"},
  };
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (ext == nullptr) return Fail(ErrorCode::kInternal, OpensslError("certificate extension"));
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key, EVP_sha256()) == 0) {
    return Fail(ErrorCode::kInternal, OpensslError("X509_sign"));
  }
  return cert;
}

Result<std::shared_ptr<EVP_PKEY>> NewRsaKey() {
  EVP_PKEY* key = EVP_RSA_gen(kRsaBits);
  if (key == nullptr) return Fail(ErrorCode::kInternal, OpensslError("RSA key generation"));
  return WrapKey(key);
}

Result<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(ErrorCode::kInternal, "cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes `content` to `path` with mode 0600 via a temporary file and rename.
Status WriteFilePrivate(const std::filesystem::path& path, std::string_view content) {
  std::string tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Fail(ErrorCode::kInternal, "cannot create " + tmp + ": " + strerror(errno));
  ::fchmod(fd, 0600);
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return Fail(ErrorCode::kInternal, "cannot write " + tmp + ": " + strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return Fail(ErrorCode::kInternal, "cannot write " + tmp + ": " + strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Fail(ErrorCode::kInternal, "cannot rename " + tmp + ": " + strerror(errno));
  }
  return Ok();
}

std::string KeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return BioContents(bio.get());
}

}  // namespace

std::string LibtrustKeyId(std::string_view spki_der) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_Digest(spki_der.data(), spki_der.size(), md, &md_len, EVP_sha256(), nullptr);
  // base32 (RFC 4648 alphabet) of the first 30 bytes = exactly 48 characters.
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string b32;
  uint64_t buffer = 0;
  int bits = 0;
  for (int i = 0; i < 30; ++i) {
    buffer = (buffer << 8) | md[i];
    bits += 8;
    while (bits >= 5) {
      b32 += kAlphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  std::string out;
  for (size_t i = 0; i < b32.size(); i += 4) {
    if (!out.empty()) out += ':';
    out += b32.substr(i, 4);
  }
  return out;
}

SigningKey::SigningKey(std::shared_ptr<EVP_PKEY> key, std::shared_ptr<X509> cert)
    : key_(std::move(key)), cert_(std::move(cert)) {
  unsigned char* der = nullptr;
  int len = i2d_X509(cert_.get(), &der);
  if (len > 0) cert_der_base64_ = Base64Std(der, static_cast<size_t>(len));
  OPENSSL_free(der);
  unsigned char* spki = nullptr;
  len = i2d_PUBKEY(key_.get(), &spki);
  if (len > 0) key_id_ = LibtrustKeyId({reinterpret_cast<char*>(spki), static_cast<size_t>(len)});
  OPENSSL_free(spki);
}

Result<SigningKey> SigningKey::Generate(std::string_view common_name) {
  auto key = NewRsaKey();
  if (!key) return Fail(key.error());
  auto cert = MakeCertificate(key->get(), common_name);
  if (!cert) return Fail(cert.error());
  return SigningKey(*key, *cert);
}

Result<SigningKey> SigningKey::LoadOrCreate(const std::string& dir, std::string_view common_name) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Fail(ErrorCode::kInternal, "cannot create " + dir + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  fs::path key_path = fs::path(dir) / "key.pem";
  fs::path cert_path = fs::path(dir) / "cert.pem";

  std::shared_ptr<EVP_PKEY> key;
  if (fs::exists(key_path)) {
    ::chmod(key_path.c_str(), 0600);
    auto pem = ReadFile(key_path);
    if (!pem) return Fail(pem.error());
    BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
    key = WrapKey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) return Fail(ErrorCode::kInternal, OpensslError("cannot parse " + key_path.string()));
  } else {
    auto fresh = NewRsaKey();
    if (!fresh) return Fail(fresh.error());
    key = *fresh;
    BERTH_TRY(WriteFilePrivate(key_path, KeyPem(key.get())));
    fs::remove(cert_path, ec);  // a certificate for another key is useless
  }

  std::shared_ptr<X509> cert;
  if (fs::exists(cert_path)) {
    auto pem = ReadFile(cert_path);
    if (!pem) return Fail(pem.error());
    BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
    cert = WrapCert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert)
      return Fail(ErrorCode::kInternal, OpensslError("cannot parse " + cert_path.string()));
    if (X509_check_private_key(cert.get(), key.get()) != 1) {
      ERR_clear_error();
      return Fail(ErrorCode::kInternal, cert_path.string() + " does not match " +
                                            key_path.string() +
                                            "; remove the certificate to have it regenerated");
    }
  } else {
    auto fresh = MakeCertificate(key.get(), common_name);
    if (!fresh) return Fail(fresh.error());
    cert = *fresh;
    SigningKey made(key, cert);
    BERTH_TRY(WriteFilePrivate(cert_path, made.CertificatePem()));
  }
  return SigningKey(key, cert);
}

std::string SigningKey::CertificatePem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert_.get());
  return BioContents(bio.get());
}

Result<std::string> SigningKey::Sign(std::string_view data) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1) {
    return Fail(ErrorCode::kInternal, OpensslError("token signing"));
  }
  std::string signature(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return Fail(ErrorCode::kInternal, OpensslError("token signing"));
  }
  signature.resize(len);
  return signature;
}

bool SigningKey::Verify(std::string_view data, std::string_view signature) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  bool ok = ctx &&
            EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                             data.size()) == 1;
  ERR_clear_error();
  return ok;
}

}  // namespace berth::auth
