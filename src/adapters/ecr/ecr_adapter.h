// The aws-ecr provider: Amazon Elastic Container Registry. The control plane (token,
// repositories) is the SigV4-signed ECR API; the data plane is the account's
// "<account>.dkr.ecr.<region>.amazonaws.com" registry with Basic AWS:<token>.
#pragma once

#include "adapters/adapter.h"

namespace berth::adapters {

// Registers type "aws-ecr"; CONFLICT when it is registered already.
Status RegisterEcrAdapter(AdapterRegistry& registry);

namespace ecr {
// The credential check run before any network access: BAD_REQUEST naming access_key or
// access_secret when only one is given or the key id is malformed.
Status ValidateEcrCredential(const Endpoint& endpoint);
// The registration (info, factory, validator) RegisterEcrAdapter adds.
AdapterRegistration EcrRegistration();
}  // namespace ecr

}  // namespace berth::adapters
