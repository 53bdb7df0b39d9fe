// DistributionClient: chunked, resumable blob uploads and the referrers of a manifest.
#include <cstdlib>

#include "common/digest.h"
#include "remote/client_impl.h"
#include "remote/distribution_client.h"

namespace berth::remote {
namespace {

// The offset a Range header ("0-N", also "bytes=0-N") reports: N + 1. "0-0" is read as 0:
// docker-registry reports an empty session and a one-byte one alike, and only the first
// can be the truth for a session whose chunks are larger than one byte.
std::optional<int64_t> OffsetFromRange(const HttpResponse& response) {
  std::optional<std::string> range = response.Header("Range");
  if (!range) return std::nullopt;
  std::string_view text = *range;
  if (text.starts_with("bytes=")) text.remove_prefix(6);
  size_t dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string end(text.substr(dash + 1));
  if (end.empty() || end.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  int64_t last = std::atoll(end.c_str());
  return last == 0 ? 0 : last + 1;
}

std::vector<Descriptor> Descriptors(const nlohmann::json& index) {
  std::vector<Descriptor> out;
  auto manifests = index.find("manifests");
  if (manifests == index.end() || !manifests->is_array()) return out;
  for (const auto& item : *manifests) {
    if (!item.is_object() || !item.contains("digest") || !item["digest"].is_string()) continue;
    Descriptor d;
    d.digest = item["digest"].get<std::string>();
    d.media_type = item.value("mediaType", "");
    if (item.contains("size") && item["size"].is_number_integer()) {
      d.size = item["size"].get<int64_t>();
    }
    if (item.contains("artifactType") && item["artifactType"].is_string()) {
      d.artifact_type = item["artifactType"].get<std::string>();
    }
    out.push_back(std::move(d));
  }
  return out;
}

bool IsIndex(const nlohmann::json& json) {
  return json.is_object() && json.contains("manifests") && json["manifests"].is_array();
}

}  // namespace

Result<UploadState> DistributionClient::StartUpload(std::string_view repository) {
  Impl& d = *impl_;
  TransportRequest start;
  start.method = "POST";
  start.url = d.RepoUrl(repository, "blobs/uploads/");
  start.send_body = true;
  bool had_credentials = false;
  Result<HttpResponse> started = d.Send(start, &had_credentials);
  if (!started) return Fail(std::move(started).error());
  std::string what = "blob upload to " + std::string(repository);
  if (started->status != 202) {
    return Fail(d.Unexpected(*started, what, ErrorCode::kNameUnknown, had_credentials));
  }
  std::optional<std::string> location = started->Header("Location");
  if (!location || location->empty()) {
    return Fail(ErrorCode::kBadRequest, d.where + " started a " + what + " without a Location");
  }
  return UploadState{ResolveUrl(start.url, *location), OffsetFromRange(*started).value_or(0)};
}

Result<UploadState> DistributionClient::UploadStatus(const UploadState& state) {
  Impl& d = *impl_;
  TransportRequest request;
  request.url = ResolveUrl(d.base + "/", state.location);
  bool had_credentials = false;
  Result<HttpResponse> response = d.Send(request, &had_credentials);
  if (!response) return Fail(std::move(response).error());
  if (!IsSuccess(response->status)) {
    return Fail(d.Unexpected(*response, "the blob upload session", ErrorCode::kBlobUploadUnknown,
                             had_credentials));
  }
  UploadState out;
  std::optional<std::string> location = response->Header("Location");
  out.location = location && !location->empty() ? ResolveUrl(request.url, *location) : request.url;
  out.offset = OffsetFromRange(*response).value_or(0);
  return out;
}

Result<UploadState> DistributionClient::UploadChunk(const UploadState& state, int64_t length,
                                                    const ByteSource& source,
                                                    const CancelToken& cancel) {
  if (length <= 0) return state;
  Impl& d = *impl_;
  TransportRequest request;
  request.method = "PATCH";
  request.url = ResolveUrl(d.base + "/", state.location);
  request.headers.push_back("Content-Type: application/octet-stream");
  request.headers.push_back("Content-Range: " + std::to_string(state.offset) + "-" +
                            std::to_string(state.offset + length - 1));
  request.send_body = true;
  request.source = &source;
  request.source_size = length;
  request.blob = true;
  request.cancel = &cancel;
  bool had_credentials = false;
  Result<HttpResponse> response = d.Send(request, &had_credentials);
  if (!response) return Fail(std::move(response).error());
  if (!IsSuccess(response->status)) {
    return Fail(d.Unexpected(*response, "a blob upload chunk at " + std::to_string(state.offset),
                             ErrorCode::kBlobUploadUnknown, had_credentials));
  }
  UploadState out;
  std::optional<std::string> location = response->Header("Location");
  out.location = location && !location->empty() ? ResolveUrl(request.url, *location) : request.url;
  out.offset = OffsetFromRange(*response).value_or(state.offset + length);
  return out;
}

Status DistributionClient::FinishUpload(const UploadState& state, std::string_view digest) {
  Impl& d = *impl_;
  TransportRequest request;
  request.method = "PUT";
  request.url = ResolveUrl(d.base + "/", state.location);
  request.url += request.url.find('?') == std::string::npos ? "?" : "&";
  request.url += "digest=" + PercentEncode(digest);
  request.headers.push_back("Content-Type: application/octet-stream");
  request.send_body = true;
  bool had_credentials = false;
  Result<HttpResponse> response = d.Send(request, &had_credentials);
  if (!response) return Fail(std::move(response).error());
  if (IsSuccess(response->status)) return Ok();
  return Fail(d.Unexpected(*response, "the blob upload of " + std::string(digest),
                           ErrorCode::kBlobUploadUnknown, had_credentials));
}

Result<std::vector<Descriptor>> DistributionClient::Referrers(std::string_view repository,
                                                              std::string_view digest) {
  Impl& d = *impl_;
  std::string what = "the referrers of " + std::string(repository) + "@" + std::string(digest);
  std::vector<Descriptor> out;
  std::string url = d.RepoUrl(repository, "referrers/" + std::string(digest));
  std::set<std::string> seen;
  bool api = true;
  for (int page = 0; page < kMaxPages && !url.empty() && seen.insert(url).second; ++page) {
    TransportRequest request;
    request.url = url;
    request.headers.push_back("Accept: application/vnd.oci.image.index.v1+json");
    bool had_credentials = false;
    Result<HttpResponse> response = d.Send(request, &had_credentials);
    if (!response) return Fail(std::move(response).error());
    nlohmann::json json = response->status == 200
                              ? nlohmann::json::parse(response->body, nullptr, false)
                              : nlohmann::json();
    if (response->status == 200 && IsIndex(json)) {
      std::vector<Descriptor> found = Descriptors(json);
      out.insert(out.end(), found.begin(), found.end());
      std::string next = NextLink(*response);
      url = next.empty() ? "" : ResolveUrl(url, next);
      continue;
    }
    if (page == 0 && (response->status == 200 || response->status == 404 ||
                      response->status == 400 || response->status == 405)) {
      api = false;
      break;
    }
    return Fail(d.Unexpected(*response, what, ErrorCode::kManifestUnknown, had_credentials));
  }
  if (api) return out;

  // No referrers API: the fallback tag "<alg>-<hex>" holds an index of the referrers.
  std::string tag(digest);
  std::replace(tag.begin(), tag.end(), ':', '-');
  if (tag.size() > 128) tag.resize(128);
  Result<Manifest> index = GetManifest(repository, tag);
  if (!index) {
    ErrorCode code = index.error().code;
    if (code == ErrorCode::kManifestUnknown || code == ErrorCode::kNotFound ||
        code == ErrorCode::kNameUnknown) {
      return out;
    }
    return Fail(std::move(index).error());
  }
  nlohmann::json json = nlohmann::json::parse(index->bytes, nullptr, false);
  if (IsIndex(json)) out = Descriptors(json);
  return out;
}

}  // namespace berth::remote
