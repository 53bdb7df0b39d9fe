// AdapterRegistry: the table of providers, keyed by type string.
#include <string>
#include <utility>

#include "adapters/adapter.h"

namespace berth::adapters {

Status AdapterRegistry::Register(AdapterRegistration registration) {
  const std::string type = registration.info.type;
  if (type.empty()) return Fail(ErrorCode::kBadRequest, "adapter type must not be empty");
  if (!registration.factory)
    return Fail(ErrorCode::kBadRequest, "adapter " + type + " has no factory");
  if (registrations_.contains(type))
    return Fail(ErrorCode::kConflict, "adapter type " + type + " is registered already");
  registrations_.emplace(type, std::move(registration));
  return Ok();
}

std::vector<std::string> AdapterRegistry::Types() const {
  std::vector<std::string> types;
  types.reserve(registrations_.size());
  for (const auto& [type, registration] : registrations_) types.push_back(type);
  return types;  // std::map keeps them sorted
}

const AdapterRegistration* AdapterRegistry::Find(std::string_view type) const {
  auto it = registrations_.find(type);
  return it == registrations_.end() ? nullptr : &it->second;
}

Result<std::unique_ptr<Adapter>> AdapterRegistry::Create(const Endpoint& endpoint,
                                                         const AdapterDeps& deps) const {
  const AdapterRegistration* registration = Find(endpoint.type);
  if (registration == nullptr) {
    std::string known;
    for (const auto& [type, unused] : registrations_) {
      if (!known.empty()) known += ", ";
      known += type;
    }
    return Fail(ErrorCode::kBadRequest,
                "unknown registry type \"" + endpoint.type + "\"; known types: " + known);
  }
  if (registration->validate_credential) BERTH_TRY(registration->validate_credential(endpoint));
  return registration->factory(endpoint, deps);
}

}  // namespace berth::adapters
