#include "remote/distribution_client.h"

#include "common/digest.h"
#include "remote/client_impl.h"

namespace berth::remote {
namespace {

class StaticProvider final : public CredentialProvider {
 public:
  StaticProvider(std::string username, std::string password)
      : credential_{std::move(username), std::move(password)} {}
  Result<BasicCredential> Get() override { return credential_; }

 private:
  BasicCredential credential_;
};

}  // namespace

std::shared_ptr<CredentialProvider> StaticCredentials(std::string username, std::string password) {
  return std::make_shared<StaticProvider>(std::move(username), std::move(password));
}

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) {
      return value;
    }
  }
  return std::nullopt;
}

DistributionClient::DistributionClient(ClientOptions options,
                                       std::shared_ptr<CredentialProvider> credentials)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(credentials))) {}

DistributionClient::~DistributionClient() = default;

const ClientOptions& DistributionClient::options() const { return impl_->options; }

Status DistributionClient::Ping() {
  Impl& d = *impl_;
  BERTH_TRY(d.Discover());
  Result<BasicCredential> credential = d.credentials->Get();
  if (!credential) return Fail(std::move(credential).error());
  const bool anonymous = credential->username.empty();

  TransportRequest request;
  request.url = d.base + "/v2/";
  request.max_body = 1 << 20;
  bool had_credentials = false;
  Result<HttpResponse> response = d.Send(request, &had_credentials);
  if (!response) {
    // Anonymous and the token service wants credentials: the registry itself is there.
    if (anonymous && response.error().code == ErrorCode::kUnauthorized) return Ok();
    return Fail(std::move(response).error());
  }
  if (IsSuccess(response->status)) {
    if (response->Header("Docker-Distribution-API-Version") || IsJson(response->body)) return Ok();
    return Fail(ErrorCode::kBadRequest,
                d.where + " answered /v2/ but is not a container registry: check the URL");
  }
  if (response->status == 401 && anonymous) {
    std::string challenge = response->Header("WWW-Authenticate").value_or("");
    if (PickChallenge(ParseChallenges(challenge))) return Ok();
  }
  if (response->status == 404) {
    return Fail(ErrorCode::kBadRequest, d.where +
                                            " has no /v2/ endpoint (404): it is not a container "
                                            "registry, or the URL path is wrong");
  }
  return Fail(d.Unexpected(*response, "/v2/", ErrorCode::kNotFound, had_credentials));
}

Result<std::vector<std::string>> DistributionClient::Catalog() {
  return impl_->ListPages(impl_->base + "/v2/_catalog?n=1000", "repositories", "the catalog");
}

Result<std::vector<std::string>> DistributionClient::ListTags(std::string_view repository) {
  return impl_->ListPages(impl_->RepoUrl(repository, "tags/list"), "tags",
                          "the tags of " + std::string(repository));
}

Result<std::optional<ManifestInfo>> DistributionClient::HeadManifest(std::string_view repository,
                                                                     std::string_view reference) {
  Impl& d = *impl_;
  TransportRequest request;
  request.method = "HEAD";
  request.url = d.RepoUrl(repository, "manifests/" + std::string(reference));
  request.headers.push_back(kManifestAccept);
  bool had_credentials = false;
  Result<HttpResponse> response = d.Send(request, &had_credentials);
  if (!response) return Fail(std::move(response).error());
  if (response->status == 404) return std::optional<ManifestInfo>();
  if (response->status != 200) {
    std::string what = "manifest " + std::string(repository) + ":" + std::string(reference);
    return Fail(d.Unexpected(*response, what, ErrorCode::kManifestUnknown, had_credentials));
  }
  ManifestInfo info;
  info.digest = response->Header("Docker-Content-Digest").value_or("");
  info.media_type = MediaType(response->Header("Content-Type").value_or(""));
  info.size = std::atoll(response->Header("Content-Length").value_or("0").c_str());
  if (info.digest.empty()) {
    if (Digest::Parse(reference)) {
      info.digest = std::string(reference);
    } else {
      // No digest header: fetch the bytes to learn it.
      Result<Manifest> manifest = GetManifest(repository, reference);
      if (!manifest) {
        if (manifest.error().code == ErrorCode::kManifestUnknown)
          return std::optional<ManifestInfo>();
        return Fail(std::move(manifest).error());
      }
      info = *manifest;
    }
  }
  return std::optional<ManifestInfo>(std::move(info));
}

Result<Manifest> DistributionClient::GetManifest(std::string_view repository,
                                                 std::string_view reference) {
  Impl& d = *impl_;
  TransportRequest request;
  request.url = d.RepoUrl(repository, "manifests/" + std::string(reference));
  request.headers.push_back(kManifestAccept);
  bool had_credentials = false;
  Result<HttpResponse> response = d.Send(request, &had_credentials);
  if (!response) return Fail(std::move(response).error());
  std::string what = "manifest " + std::string(repository) + ":" + std::string(reference);
  if (response->status != 200) {
    return Fail(d.Unexpected(*response, what, ErrorCode::kManifestUnknown, had_credentials));
  }
  Manifest manifest;
  manifest.bytes = std::move(response->body);
  manifest.size = static_cast<int64_t>(manifest.bytes.size());
  manifest.media_type = MediaType(response->Header("Content-Type").value_or(""));
  nlohmann::json json = nlohmann::json::parse(manifest.bytes, nullptr, false);
  if (json.is_object() && json.contains("mediaType") && json["mediaType"].is_string() &&
      (manifest.media_type.empty() || manifest.media_type == "application/json" ||
       manifest.media_type == "application/octet-stream")) {
    manifest.media_type = json["mediaType"].get<std::string>();
  }
  std::string computed = Sha256Digest(manifest.bytes);
  Result<Digest> wanted = Digest::Parse(reference);
  if (wanted && wanted->algorithm() == "sha256" && wanted->str() != computed) {
    return Fail(ErrorCode::kDigestInvalid,
                d.where + " returned a " + what + " whose content does not match the digest");
  }
  manifest.digest = response->Header("Docker-Content-Digest").value_or(computed);
  if (wanted) manifest.digest = wanted->str();
  return manifest;
}

Result<std::string> DistributionClient::PutManifest(std::string_view repository,
                                                    std::string_view reference,
                                                    std::string_view bytes,
                                                    std::string_view media_type) {
  Impl& d = *impl_;
  TransportRequest request;
  request.method = "PUT";
  request.url = d.RepoUrl(repository, "manifests/" + std::string(reference));
  request.headers.push_back("Content-Type: " + std::string(media_type));
  request.send_body = true;
  request.body = bytes;
  bool had_credentials = false;
  Result<HttpResponse> response = d.Send(request, &had_credentials);
  if (!response) return Fail(std::move(response).error());
  if (!IsSuccess(response->status)) {
    std::string what = "manifest " + std::string(repository) + ":" + std::string(reference);
    return Fail(d.Unexpected(*response, what, ErrorCode::kNameUnknown, had_credentials));
  }
  return response->Header("Docker-Content-Digest").value_or(Sha256Digest(bytes));
}

Status DistributionClient::DeleteManifest(std::string_view repository, std::string_view digest) {
  Impl& d = *impl_;
  std::string target(digest);
  if (!Digest::Parse(digest)) {
    Result<std::optional<ManifestInfo>> info = HeadManifest(repository, digest);
    if (!info) return Fail(std::move(info).error());
    if (!*info) {
      return Fail(ErrorCode::kManifestUnknown, "manifest " + std::string(repository) + ":" +
                                                   std::string(digest) + " not found on " +
                                                   d.where);
    }
    target = (*info)->digest;
  }
  TransportRequest request;
  request.method = "DELETE";
  request.url = d.RepoUrl(repository, "manifests/" + target);
  bool had_credentials = false;
  Result<HttpResponse> response = d.Send(request, &had_credentials);
  if (!response) return Fail(std::move(response).error());
  if (IsSuccess(response->status)) return Ok();
  return Fail(d.Unexpected(*response, "manifest " + std::string(repository) + "@" + target,
                           ErrorCode::kManifestUnknown, had_credentials));
}

Result<std::optional<int64_t>> DistributionClient::BlobSize(std::string_view repository,
                                                            std::string_view digest) {
  Impl& d = *impl_;
  TransportRequest request;
  request.method = "HEAD";
  request.url = d.RepoUrl(repository, "blobs/" + std::string(digest));
  bool had_credentials = false;
  Result<HttpResponse> response = d.Send(request, &had_credentials);
  if (!response) return Fail(std::move(response).error());
  if (response->status == 404) return std::optional<int64_t>();
  if (response->status != 200) {
    return Fail(d.Unexpected(*response, "blob " + std::string(digest), ErrorCode::kBlobUnknown,
                             had_credentials));
  }
  return std::optional<int64_t>(
      std::atoll(response->Header("Content-Length").value_or("0").c_str()));
}

Status DistributionClient::GetBlob(std::string_view repository, std::string_view digest,
                                   const ByteSink& sink, int64_t offset,
                                   const CancelToken& cancel) {
  Impl& d = *impl_;
  TransportRequest request;
  request.url = d.RepoUrl(repository, "blobs/" + std::string(digest));
  request.blob = true;
  request.cancel = &cancel;
  request.headers.push_back("Accept-Encoding: identity");
  if (offset > 0) {
    request.headers.push_back("Range: bytes=" + std::to_string(offset) + "-");
    request.skip_on_200 = offset;
  }
  request.sink = &sink;
  bool had_credentials = false;
  Result<HttpResponse> response = d.Send(request, &had_credentials);
  if (!response) return Fail(std::move(response).error());
  if (response->status == 200 || response->status == 206) return Ok();
  return Fail(d.Unexpected(*response, "blob " + std::string(digest), ErrorCode::kBlobUnknown,
                           had_credentials));
}

Status DistributionClient::PushBlob(std::string_view repository, std::string_view digest,
                                    int64_t size, const ByteSource& source,
                                    const CancelToken& cancel) {
  Impl& d = *impl_;
  TransportRequest start;
  start.cancel = &cancel;
  start.method = "POST";
  start.url = d.RepoUrl(repository, "blobs/uploads/");
  start.send_body = true;
  bool had_credentials = false;
  Result<HttpResponse> started = d.Send(start, &had_credentials);
  if (!started) return Fail(std::move(started).error());
  std::string what = "blob upload to " + std::string(repository);
  if (started->status != 202 && started->status != 201) {
    return Fail(d.Unexpected(*started, what, ErrorCode::kNameUnknown, had_credentials));
  }
  std::optional<std::string> location = started->Header("Location");
  if (!location || location->empty()) {
    return Fail(ErrorCode::kBadRequest, d.where + " started a " + what + " without a Location");
  }
  TransportRequest put;
  put.method = "PUT";
  put.url = ResolveUrl(start.url, *location);
  put.url += (put.url.find('?') == std::string::npos ? "?" : "&");
  put.url += "digest=" + PercentEncode(digest);
  put.headers.push_back("Content-Type: application/octet-stream");
  put.send_body = true;
  put.source = &source;
  put.source_size = size;
  put.blob = true;
  put.cancel = &cancel;
  Result<HttpResponse> done = d.Send(put, &had_credentials);
  if (!done) return Fail(std::move(done).error());
  if (IsSuccess(done->status)) return Ok();
  return Fail(d.Unexpected(*done, what, ErrorCode::kBlobUploadUnknown, had_credentials));
}

Result<bool> DistributionClient::MountBlob(std::string_view repository, std::string_view digest,
                                           std::string_view from) {
  Impl& d = *impl_;
  TransportRequest request;
  request.method = "POST";
  request.url = d.RepoUrl(
      repository, "blobs/uploads/?mount=" + PercentEncode(digest) + "&from=" + PercentEncode(from));
  request.send_body = true;
  bool had_credentials = false;
  Result<HttpResponse> response = d.Send(request, &had_credentials);
  if (!response) return Fail(std::move(response).error());
  if (response->status == 201) return true;
  if (response->status == 202) {
    // The registry opened an upload session instead; close it, best effort.
    std::optional<std::string> location = response->Header("Location");
    if (location && !location->empty()) {
      TransportRequest cancel;
      cancel.method = "DELETE";
      cancel.url = ResolveUrl(request.url, *location);
      (void)d.Send(cancel);
    }
    return false;
  }
  return Fail(d.Unexpected(*response,
                           "blob mount of " + std::string(digest) + " from " + std::string(from),
                           ErrorCode::kBlobUnknown, had_credentials));
}

Result<HttpResponse> DistributionClient::Do(const HttpRequest& request) {
  Impl& d = *impl_;
  TransportRequest t;
  t.method = request.method;
  t.url = request.url;
  for (const auto& [name, value] : request.headers) t.headers.push_back(name + ": " + value);
  t.send_body = !request.body.empty() || request.method == "POST" || request.method == "PUT" ||
                request.method == "PATCH";
  t.body = request.body;
  if (request.registry_auth) return d.Send(t);
  return d.FollowRedirects(t, t.url, nullptr);
}

}  // namespace berth::remote
