// Manifest parsing and validation: OCI image manifests and indexes, Docker schema 2
// manifests and manifest lists. Pure functions over bytes, no I/O; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/digest.h"
#include "common/error.h"

namespace berth::content {

inline constexpr std::string_view kOciManifestType = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndexType = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kDockerManifestType =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestListType =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerSchema1Type =
    "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view kDockerSchema1SignedType =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";

// The largest manifest accepted or served: 4 MiB.
inline constexpr int64_t kMaxManifestSize = 4 * 1024 * 1024;

// An OCI content descriptor as found in a manifest.
struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::string artifact_type;                       // "" when absent
  std::vector<std::string> urls;                   // foreign / non-distributable layers
  std::map<std::string, std::string> annotations;  // empty when absent
};

struct ParsedManifest {
  // The effective media type: the body's mediaType, else the Content-Type header. When
  // the body declares none and the header is unknown or generic, kOciManifestType or
  // kOciIndexType by the body's shape (config+layers, or manifests).
  std::string media_type;
  // artifactType, else config.mediaType for image manifests, else "".
  std::string artifact_type;
  std::optional<Descriptor> subject;
  std::vector<Descriptor> blobs;      // config first, then layers (image manifests)
  std::vector<Descriptor> manifests;  // children (indexes and manifest lists)
  std::map<std::string, std::string> annotations;

  bool is_index() const {
    return media_type == kOciIndexType || media_type == kDockerManifestListType;
  }
};

// Parses and validates a manifest body. `content_type` is the request's Content-Type
// (parameters such as "; charset=utf-8" are ignored; "", "application/json" and
// "application/octet-stream" count as "not given").
// Errors: MANIFEST_INVALID, with a message saying what is wrong and what to do, for
// non-JSON bodies, Docker schema 1, a mediaType differing from the Content-Type,
// schemaVersion other than 2, missing config/layers/manifests, malformed descriptors.
Result<ParsedManifest> ParseManifest(std::string_view bytes, std::string_view content_type);

// True for the four supported manifest media types.
bool IsManifestMediaType(std::string_view media_type);
// True for the OCI index and the Docker manifest list.
bool IsIndexMediaType(std::string_view media_type);
// True for a layer the registry need not hold: a non-distributable (foreign) media type
// that lists download URLs.
bool IsForeignLayer(const Descriptor& descriptor);

}  // namespace berth::content
