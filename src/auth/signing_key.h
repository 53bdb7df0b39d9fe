// The token service's RSA signing key and its self-signed certificate.
//
// The certificate exists so that a CNCF docker-registry can trust Berth as a token
// issuer via `auth.token.rootcertbundle`; tokens carry it in their `x5c` header and name
// the key by its libtrust key id (`kid`). Immutable after creation; copies share the
// key; safe to use from any thread.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"

namespace berth::auth {

class SigningKey {
 public:
  // Loads <dir>/key.pem and <dir>/cert.pem, creating whichever is missing (an RSA-2048
  // key; a 10-year self-signed certificate with CN `common_name`). Creates `dir` (0700);
  // files are written atomically with mode 0600. INTERNAL on I/O or crypto failures, or
  // when the stored certificate does not belong to the stored key.
  static Result<SigningKey> LoadOrCreate(const std::string& dir, std::string_view common_name);
  // A fresh in-memory key and certificate (tests, ephemeral use).
  static Result<SigningKey> Generate(std::string_view common_name);

  std::string CertificatePem() const;
  // Standard (padded) base64 of the certificate DER, the `x5c` entry.
  const std::string& CertificateDerBase64() const { return cert_der_base64_; }
  // libtrust key id: base32 of the first 240 bits of SHA-256(DER SubjectPublicKeyInfo),
  // in 12 groups of 4 joined by ':'.
  const std::string& KeyId() const { return key_id_; }

  // RSASSA-PKCS1-v1_5 with SHA-256 over `data`.
  Result<std::string> Sign(std::string_view data) const;
  bool Verify(std::string_view data, std::string_view signature) const;

 private:
  SigningKey(std::shared_ptr<EVP_PKEY> key, std::shared_ptr<X509> cert);

  std::shared_ptr<EVP_PKEY> key_;
  std::shared_ptr<X509> cert_;
  std::string cert_der_base64_;
  std::string key_id_;
};

// libtrust key id of a DER SubjectPublicKeyInfo (exposed for tests).
std::string LibtrustKeyId(std::string_view spki_der);

}  // namespace berth::auth
