#include "content/manifest.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <nlohmann/json.hpp>

namespace berth::content {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kSchema1Message =
    "Docker schema 1 manifests are not supported; push the image as Docker schema 2 or OCI "
    "(for example with `skopeo copy --format v2s2` or `skopeo copy --format oci`, or rebuild "
    "and push it with a current Docker)";

constexpr std::string_view kSupportedTypes =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json or "
    "application/vnd.docker.distribution.manifest.list.v2+json";

std::unexpected<Error> Invalid(std::string message) {
  return Fail(ErrorCode::kManifestInvalid, std::move(message));
}

// "Application/JSON; charset=utf-8" -> "application/json".
std::string NormalizeContentType(std::string_view content_type) {
  auto semi = content_type.find(';');
  if (semi != std::string_view::npos) content_type = content_type.substr(0, semi);
  while (!content_type.empty() && std::isspace(static_cast<unsigned char>(content_type.front())))
    content_type.remove_prefix(1);
  while (!content_type.empty() && std::isspace(static_cast<unsigned char>(content_type.back())))
    content_type.remove_suffix(1);
  std::string out(content_type);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsGenericContentType(std::string_view type) {
  return type.empty() || type == "application/json" || type == "application/octet-stream" ||
         type == "text/plain";
}

bool IsSchema1Type(std::string_view type) {
  return type == kDockerSchema1Type || type == kDockerSchema1SignedType;
}

Result<std::map<std::string, std::string>> ParseAnnotations(const Json& object,
                                                            std::string_view where) {
  std::map<std::string, std::string> out;
  auto it = object.find("annotations");
  if (it == object.end() || it->is_null()) return out;
  if (!it->is_object()) {
    return Invalid(std::string(where) + ": \"annotations\" must be an object of strings");
  }
  for (const auto& [key, value] : it->items()) {
    if (!value.is_string()) {
      return Invalid(std::string(where) + ": annotation \"" + key + "\" must be a string");
    }
    out.emplace(key, value.get<std::string>());
  }
  return out;
}

// Reads an optional string field; MANIFEST_INVALID when present with another type.
Result<std::string> OptionalString(const Json& object, const char* field, std::string_view where) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return Invalid(std::string(where) + ": \"" + field + "\" must be a string");
  }
  return it->get<std::string>();
}

Result<Descriptor> ParseDescriptor(const Json& value, const std::string& where) {
  if (!value.is_object()) {
    return Invalid(where + " must be a descriptor object with mediaType, digest and size");
  }
  Descriptor d;
  auto media_type = value.find("mediaType");
  if (media_type == value.end() || !media_type->is_string() ||
      media_type->get_ref<const std::string&>().empty()) {
    return Invalid(where + " needs a \"mediaType\" string (for example \"" +
                   std::string(kOciManifestType) + "\" or a layer type)");
  }
  d.media_type = media_type->get<std::string>();

  auto digest = value.find("digest");
  if (digest == value.end() || !digest->is_string()) {
    return Invalid(where + " needs a \"digest\" string of the form sha256:<64 hex digits>");
  }
  auto parsed = Digest::Parse(digest->get_ref<const std::string&>());
  if (!parsed) {
    return Invalid(where + " has an invalid digest \"" + digest->get<std::string>().substr(0, 200) +
                   "\": " + parsed.error().message);
  }
  d.digest = *std::move(parsed);

  auto size = value.find("size");
  if (size == value.end() || !size->is_number_integer() ||
      (size->is_number_unsigned() &&
       size->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) ||
      (!size->is_number_unsigned() && size->get<int64_t>() < 0)) {
    return Invalid(where + " needs a \"size\": a non-negative integer number of bytes");
  }
  d.size = size->get<int64_t>();

  auto artifact_type = OptionalString(value, "artifactType", where);
  if (!artifact_type) return std::unexpected(artifact_type.error());
  d.artifact_type = *std::move(artifact_type);

  if (auto urls = value.find("urls"); urls != value.end() && !urls->is_null()) {
    if (!urls->is_array()) return Invalid(where + ": \"urls\" must be an array of strings");
    for (const auto& url : *urls) {
      if (!url.is_string()) return Invalid(where + ": \"urls\" must be an array of strings");
      d.urls.push_back(url.get<std::string>());
    }
  }

  auto annotations = ParseAnnotations(value, where);
  if (!annotations) return std::unexpected(annotations.error());
  d.annotations = *std::move(annotations);
  return d;
}

Result<std::vector<Descriptor>> ParseDescriptorArray(const Json& body, const char* field,
                                                     std::string_view kind) {
  auto it = body.find(field);
  if (it == body.end() || !it->is_array()) {
    return Invalid("a " + std::string(kind) + " needs a \"" + field +
                   "\" array of descriptors (it may be empty)");
  }
  std::vector<Descriptor> out;
  out.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    auto d = ParseDescriptor((*it)[i], std::string(field) + "[" + std::to_string(i) + "]");
    if (!d) return std::unexpected(d.error());
    out.push_back(*std::move(d));
  }
  return out;
}

bool LooksLikeImageManifest(const Json& body) {
  return body.contains("config") && body.contains("layers");
}
bool LooksLikeIndex(const Json& body) {
  return body.contains("manifests") && !body.contains("config");
}

}  // namespace

bool IsManifestMediaType(std::string_view media_type) {
  return media_type == kOciManifestType || media_type == kOciIndexType ||
         media_type == kDockerManifestType || media_type == kDockerManifestListType;
}

bool IsIndexMediaType(std::string_view media_type) {
  return media_type == kOciIndexType || media_type == kDockerManifestListType;
}

bool IsForeignLayer(const Descriptor& descriptor) {
  if (descriptor.urls.empty()) return false;
  return descriptor.media_type.find("nondistributable") != std::string::npos ||
         descriptor.media_type.find(".foreign.") != std::string::npos;
}

Result<ParsedManifest> ParseManifest(std::string_view bytes, std::string_view content_type) {
  const std::string header_type = NormalizeContentType(content_type);
  if (IsSchema1Type(header_type)) return Invalid(std::string(kSchema1Message));

  Json body;
  try {
    body = Json::parse(bytes.begin(), bytes.end());
  } catch (const Json::parse_error& e) {
    return Invalid("the manifest is not valid JSON (error at byte " + std::to_string(e.byte) +
                   "); send the manifest document itself with Content-Type " +
                   std::string(kSupportedTypes));
  }
  if (!body.is_object()) {
    return Invalid("the manifest must be a JSON object with schemaVersion 2 and a mediaType of " +
                   std::string(kSupportedTypes));
  }

  auto body_type = OptionalString(body, "mediaType", "the manifest");
  if (!body_type) return std::unexpected(body_type.error());
  if (IsSchema1Type(*body_type)) return Invalid(std::string(kSchema1Message));

  auto schema = body.find("schemaVersion");
  if (schema != body.end() && schema->is_number_integer() && schema->get<int64_t>() == 1) {
    return Invalid(std::string(kSchema1Message));
  }
  if (schema == body.end() || !schema->is_number_integer() || schema->get<int64_t>() != 2) {
    return Invalid("the manifest needs \"schemaVersion\": 2 (found " +
                   (schema == body.end() ? std::string("none") : schema->dump().substr(0, 50)) +
                   ")");
  }

  const bool header_given = !IsGenericContentType(header_type);
  if (!body_type->empty() && header_given && *body_type != header_type) {
    return Invalid("the manifest's mediaType \"" + body_type->substr(0, 200) +
                   "\" differs from the Content-Type \"" + header_type.substr(0, 200) +
                   "\"; send the request with Content-Type: " + body_type->substr(0, 200));
  }

  ParsedManifest out;
  out.media_type = !body_type->empty() ? *body_type : header_given ? header_type : "";
  if (!IsManifestMediaType(out.media_type)) {
    auto unsupported = [&] {
      return Invalid(
          "unsupported manifest media type \"" +
          (out.media_type.empty() ? std::string("(none)") : out.media_type.substr(0, 200)) +
          "\": set the mediaType field and Content-Type to one of " + std::string(kSupportedTypes));
    };
    // A body declaring an unknown mediaType is refused. A body without one, sent with an
    // unknown Content-Type, is accepted as OCI when it has the shape of a manifest/index.
    if (!body_type->empty()) return unsupported();
    if (LooksLikeImageManifest(body)) {
      out.media_type = kOciManifestType;
    } else if (LooksLikeIndex(body)) {
      out.media_type = kOciIndexType;
    } else {
      return unsupported();
    }
  }
  const bool index = IsIndexMediaType(out.media_type);

  auto artifact_type = OptionalString(body, "artifactType", "the manifest");
  if (!artifact_type) return std::unexpected(artifact_type.error());
  out.artifact_type = *std::move(artifact_type);

  if (index) {
    if (body.contains("config") || body.contains("layers")) {
      return Invalid("an image index (" + out.media_type +
                     ") must not have \"config\" or \"layers\"; push an image manifest with "
                     "Content-Type " +
                     std::string(kOciManifestType) + " instead");
    }
    auto children = ParseDescriptorArray(body, "manifests", "image index");
    if (!children) return std::unexpected(children.error());
    out.manifests = *std::move(children);
  } else {
    if (body.contains("manifests")) {
      return Invalid("an image manifest (" + out.media_type +
                     ") must not have \"manifests\"; push an index with Content-Type " +
                     std::string(kOciIndexType) + " instead");
    }
    auto config_it = body.find("config");
    if (config_it == body.end()) {
      return Invalid(
          "an image manifest needs a \"config\" descriptor (OCI artifacts without "
          "a config use the empty descriptor application/vnd.oci.empty.v1+json)");
    }
    auto config = ParseDescriptor(*config_it, "config");
    if (!config) return std::unexpected(config.error());
    auto layers = ParseDescriptorArray(body, "layers", "image manifest");
    if (!layers) return std::unexpected(layers.error());
    if (out.artifact_type.empty()) out.artifact_type = config->media_type;
    out.blobs.push_back(*std::move(config));
    for (auto& layer : *layers) out.blobs.push_back(std::move(layer));
  }

  if (auto subject = body.find("subject"); subject != body.end() && !subject->is_null()) {
    auto d = ParseDescriptor(*subject, "subject");
    if (!d) return std::unexpected(d.error());
    out.subject = *std::move(d);
  }

  auto annotations = ParseAnnotations(body, "the manifest");
  if (!annotations) return std::unexpected(annotations.error());
  out.annotations = *std::move(annotations);
  return out;
}

}  // namespace berth::content
