// RemoteEnd: a registered endpoint as a RegistryEnd, over its adapter (provider listing
// and preparation) and the adapter's DistributionClient (the data plane). Chunked uploads
// keep the registry's upload URL as the session token. DeleteTag is kUnsupported unless
// the provider has a tag API (not in this version).
#pragma once

#include <memory>
#include <string>

#include "adapters/adapter.h"
#include "replication/transfer/registry_end.h"

namespace berth::replication {

// Takes ownership of the adapter. `host_key` is the endpoint's host:port.
std::unique_ptr<RegistryEnd> MakeRemoteEnd(std::unique_ptr<adapters::Adapter> adapter,
                                           std::string description, std::string host_key);

}  // namespace berth::replication
