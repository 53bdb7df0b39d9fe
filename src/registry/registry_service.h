// The OCI Distribution API (/v2), per the distribution spec 1.1: blobs, uploads
// (monolithic, chunked, resumable, cross-repository mount), manifests, tags, catalog and
// referrers. Handlers are thin: parse the route, authorize, call ContentService or the
// upload sessions, map the result; errors leave in the spec's envelope.
//
// Thread safety: Handle may run concurrently on every io thread.
#pragma once

#include <memory>

#include "auth/auth_service.h"
#include "content/content_service.h"
#include "http/blocking_pool.h"
#include "http/message.h"
#include "metadata/stores.h"
#include "registry/pull_through.h"
#include "registry/route.h"
#include "registry/upload_sessions.h"
#include "storage/blob_store.h"

namespace berth::registry {

class RegistryService {
 public:
  RegistryService(auth::AuthService& auth, content::ContentService& content,
                  storage::BlobStore& blobs, metadata::UploadStore& uploads,
                  metadata::ArtifactStore& artifacts, http::BlockingPool* pool = nullptr)
      : auth_(auth),
        content_(content),
        blobs_(blobs),
        artifacts_(artifacts),
        pool_(pool),
        sessions_(blobs, uploads) {}

  // Installs the proxy-cache filler (not owned; null = proxy-cache projects serve only
  // what is cached). Its blocking calls run on the pool given to the constructor, or
  // inline when there is none. Call before serving requests.
  void SetPullThrough(PullThrough* pull_through) { pull_through_ = pull_through; }

  // Serves every request under /v2.
  http::Task<http::Response> Handle(http::Request& request);

 private:
  // Authenticates and authorizes; the error response (401 with a challenge, 403, 404)
  // when the request may not go on.
  std::optional<http::Response> Guard(const http::Request& request, const Route& route,
                                      auth::Action action, auth::Identity& who);
  // The error response; a 401 carries the Bearer challenge for `scope`, with RFC 6750's
  // error="invalid_token" when the request's own Bearer token was refused, or
  // error="insufficient_scope" when `token_lacks_scope` (clients then fetch a new token).
  http::Response Deny(const http::Request& request, const Error& error, std::string_view scope,
                      bool token_lacks_scope = false);

  http::Task<http::Response> Dispatch(http::Request& request);
  // pull_through.cc: for GET/HEAD of a manifest or blob in a proxy-cache project, fills
  // the local repository from the upstream. A response when it is answered there (an
  // error, a blob streamed while it downloads, a blob's upstream size); none when the
  // local store serves it.
  http::Task<std::optional<http::Response>> PullThroughFirst(const http::Request& request,
                                                             const Route& route);
  http::Task<http::Response> Base(http::Request& request);
  http::Task<http::Response> Catalog(http::Request& request);
  http::Task<http::Response> Tags(http::Request& request, const metadata::Repository& repo);
  http::Task<http::Response> Referrers(http::Request& request, const metadata::Repository& repo,
                                       const Route& route);
  // blobs.cc
  http::Task<http::Response> GetBlob(http::Request& request, const metadata::Repository& repo,
                                     const Route& route);
  http::Task<http::Response> DeleteBlob(const metadata::Repository& repo, const Route& route);
  // uploads.cc
  http::Task<http::Response> StartUpload(http::Request& request, const metadata::Repository& repo,
                                         const auth::Identity& who);
  http::Task<http::Response> Upload(http::Request& request, const metadata::Repository& repo,
                                    const Route& route);
  // Streams the request body into `writer`, checking Content-Range when given.
  http::Task<Status> ReceiveChunk(http::Request& request, storage::BlobWriter& writer);
  // Commits the upload under `digest_text`. On failure a session the client knows of
  // (`monolithic` false) stays open for another PUT; a monolithic POST's is discarded.
  http::Task<http::Response> FinishUpload(http::Request& request, const metadata::Repository& repo,
                                          std::unique_ptr<storage::BlobWriter> writer,
                                          std::string_view digest_text, bool monolithic);
  // Ends an upload session and removes what it received.
  void Discard(std::unique_ptr<storage::BlobWriter> writer);
  // manifests.cc
  http::Task<http::Response> Manifest(http::Request& request, const metadata::Repository& repo,
                                      const Route& route);

  auth::AuthService& auth_;
  content::ContentService& content_;
  storage::BlobStore& blobs_;
  metadata::ArtifactStore& artifacts_;
  http::BlockingPool* pool_ = nullptr;
  PullThrough* pull_through_ = nullptr;
  UploadSessions sessions_;
};

// Shared by the handler files.
http::Response RegistryError(const Error& error);
std::string UploadLocation(std::string_view name, std::string_view id);

}  // namespace berth::registry
