// GET, HEAD, PUT and DELETE of manifests by tag or digest.
#include "common/names.h"
#include "registry/registry_service.h"

namespace berth::registry {

http::Task<http::Response> RegistryService::Manifest(http::Request& request,
                                                     const metadata::Repository& repo,
                                                     const Route& route) {
  auto ref = ParseReference(route.arg);
  if (!ref) co_return RegistryError(ref.error());

  if (request.method == "PUT") {
    auto too_large = MakeError(ErrorCode::kManifestTooLarge,
                               "manifest is larger than the 4 MiB limit: split it or move "
                               "data into blobs");
    auto body = co_await http::ReadAll(*request.body, content::kMaxManifestSize, too_large);
    if (!body) co_return RegistryError(body.error());
    auto put =
        content_.PutManifest(repo, *ref, *body, request.headers.Get("Content-Type").value_or(""));
    if (!put) co_return RegistryError(put.error());
    auto resp = http::EmptyResponse(201);
    resp.headers.Set("Location", "/v2/" + repo.name + "/manifests/" + put->digest.str());
    resp.headers.Set("Docker-Content-Digest", put->digest.str());
    if (!put->subject.empty()) resp.headers.Set("OCI-Subject", put->subject);
    co_return resp;
  }

  if (request.method == "DELETE") {
    if (auto ok = content_.DeleteManifest(repo, *ref); !ok) co_return RegistryError(ok.error());
    co_return http::EmptyResponse(202);
  }

  http::Response resp;
  if (request.method == "HEAD") {
    auto info = content_.StatManifest(repo, *ref);
    if (!info) co_return RegistryError(info.error());
    resp.headers.Set("Content-Type", info->media_type);
    resp.headers.Set("Docker-Content-Digest", info->digest.str());
    resp.headers.Set("ETag", "\"" + info->digest.str() + "\"");
    resp.head_length = static_cast<uint64_t>(info->size);
    co_return resp;
  }
  auto manifest = content_.GetManifest(repo, *ref);
  if (!manifest) co_return RegistryError(manifest.error());
  (void)artifacts_.RecordPull(repo.id, manifest->digest.str());
  resp.headers.Set("Content-Type", manifest->media_type);
  resp.headers.Set("Docker-Content-Digest", manifest->digest.str());
  resp.headers.Set("ETag", "\"" + manifest->digest.str() + "\"");
  resp.body = std::move(manifest->bytes);
  co_return resp;
}

}  // namespace berth::registry
