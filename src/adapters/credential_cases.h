// Test support: the table check of a provider's credential validator. Header-only, tests
// only.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "adapters/adapter.h"

namespace berth::adapters::testing {

struct CredentialCase {
  std::string key;
  std::string secret;
  std::string field;  // empty: valid; else the field the BAD_REQUEST names
};

// Runs `validate` on an endpoint of `type` at `url` with each case's key and secret.
inline void ExpectCredentialCases(const CredentialValidator& validate, const std::string& type,
                                  const std::string& url,
                                  const std::vector<CredentialCase>& cases) {
  Endpoint endpoint;
  endpoint.type = type;
  endpoint.url = url;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.key + "/" + c.secret);
    endpoint.access_key = c.key;
    endpoint.access_secret = c.secret;
    auto status = validate(endpoint);
    if (c.field.empty()) {
      EXPECT_TRUE(status.has_value()) << status.error().message;
    } else {
      ASSERT_FALSE(status.has_value());
      EXPECT_EQ(status.error().code, ErrorCode::kBadRequest);
      EXPECT_NE(status.error().message.find(c.field), std::string::npos) << status.error().message;
    }
  }
}

}  // namespace berth::adapters::testing
