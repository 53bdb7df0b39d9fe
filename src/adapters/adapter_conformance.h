// The adapter conformance suite: what every provider must do against a live target.
// Used from GoogleTest cases (it records failures with EXPECT/ASSERT).
#pragma once

#include <string>

#include "adapters/adapter.h"

namespace berth::adapters {

struct ConformanceTarget {
  const AdapterRegistry* registry = nullptr;
  Endpoint endpoint;       // good credentials
  AdapterDeps deps;        // network settings reaching the target
  std::string bad_secret;  // replaces endpoint.access_secret for the negative case
  // An endpoint/deps pair that reaches something that is not a registry of this
  // provider (a plain web server, or a plain registry for provider-specific types).
  Endpoint not_registry_endpoint;
  AdapterDeps not_registry_deps;
  // Repository pushed to (through PrepareForPush + the adapter's Registry()) and then
  // expected in ListRepositories(); empty = skip the push step.
  std::string push_repository;
  // False for providers without any listing (ghcr.io): ListRepositories must then fail
  // with kBadRequest.
  bool can_list = true;
};

// Runs every check; failures are reported through GoogleTest.
void RunAdapterConformance(const ConformanceTarget& target);

// Pushes a tiny image (config + one layer + manifest) to `repository` under `tag`.
Status PushTinyImage(remote::DistributionClient& client, const std::string& repository,
                     const std::string& tag);

}  // namespace berth::adapters
