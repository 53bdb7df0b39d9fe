// The google-gcr provider: Google Container Registry and Artifact Registry
// (<region>-docker.pkg.dev), authenticated with a service-account JSON key sent as
// Basic "_json_key:<json>" to the registry's token service.
#pragma once

#include "adapters/adapter.h"

namespace berth::adapters {

// Registers type "google-gcr"; CONFLICT when it is registered already.
Status RegisterGcrAdapter(AdapterRegistry& registry);

namespace gcr {
// BAD_REQUEST naming the field when access_key is not "_json_key" or access_secret is not
// a service-account JSON key (type "service_account", client_email, private_key PEM,
// project_id). Both empty passes (the endpoint then fails its health check).
Status ValidateGcrCredential(const Endpoint& endpoint);
AdapterRegistration GcrRegistration();
}  // namespace gcr

}  // namespace berth::adapters
