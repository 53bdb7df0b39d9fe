// One artifact: tag decisions (skip, conflict, copy), the manifest tree (children before
// their index, blobs before the manifest naming them), the pushes, then the referrers.
#include "replication/transfer/manifest_copy.h"

#include <fmt/format.h>

#include <map>

#include "common/digest.h"
#include "content/manifest.h"

namespace berth::replication::internal {

namespace {

constexpr int kMaxDepth = 4;

bool IsDigest(std::string_view ref) { return ref.find(':') != std::string_view::npos; }

Result<Manifest> FetchManifest(CopyContext& ctx, const std::string& reference,
                               const std::string& expected_digest) {
  auto got = WithRetries(ctx, "pulling the manifest " + ctx.src_repo + ":" + reference,
                         [&] { return ctx.src.GetManifest(ctx.src_repo, reference); });
  if (!got) return Fail(got.error());
  std::string actual = Sha256Digest(got->bytes);
  if (!expected_digest.empty() && actual != expected_digest) {
    return Fail(ErrorCode::kDigestInvalid,
                fmt::format("the source served manifest bytes hashing to {} for {}", actual,
                            expected_digest));
  }
  got->digest = actual;
  return got;
}

// Walks `manifest`: collects the blobs of every manifest not yet on the destination and
// its missing child manifests in push order (children before parents).
Status CollectTree(CopyContext& ctx, const Manifest& manifest, int depth,
                   std::vector<Manifest>& children, std::map<std::string, int64_t>& blobs) {
  if (depth > kMaxDepth) {
    return Fail(ErrorCode::kManifestInvalid, "manifest " + manifest.digest + " nests too deep");
  }
  auto parsed = content::ParseManifest(manifest.bytes, manifest.media_type);
  if (!parsed) {
    return Fail(parsed.error().code, "manifest " + manifest.digest + ": " + parsed.error().message);
  }
  for (const auto& blob : parsed->blobs) {
    if (content::IsForeignLayer(blob)) continue;
    blobs.emplace(blob.digest.str(), blob.size);
  }
  for (const auto& child : parsed->manifests) {
    const std::string& digest = child.digest.str();
    auto present = WithRetries(ctx, "checking manifest " + digest,
                               [&] { return ctx.dst.HeadManifest(ctx.dst_repo, digest); });
    if (!present) return Fail(present.error());
    if (present->has_value()) continue;
    auto fetched = FetchManifest(ctx, digest, digest);
    if (!fetched) return Fail(fetched.error());
    BERTH_TRY(CollectTree(ctx, *fetched, depth + 1, children, blobs));
    children.push_back(std::move(*fetched));
  }
  return Ok();
}

Status PushManifest(CopyContext& ctx, const Manifest& manifest, const std::string& reference) {
  return WithRetries(ctx, "pushing the manifest " + ctx.dst_repo + ":" + reference, [&] {
    return ctx.dst.PutManifest(ctx.dst_repo, reference, manifest.bytes, manifest.media_type);
  });
}

// Copies the blobs and children of `manifest`, then pushes it under each reference.
Status CopyTree(CopyContext& ctx, const Manifest& manifest,
                const std::vector<std::string>& references) {
  std::vector<Manifest> children;
  std::map<std::string, int64_t> blob_map;
  BERTH_TRY(CollectTree(ctx, manifest, 0, children, blob_map));
  std::vector<std::pair<std::string, int64_t>> blobs(blob_map.begin(), blob_map.end());
  BERTH_TRY(RunParallel(ctx.options.blob_parallelism, blobs.size(), ctx.options.cancel,
                        [&](size_t i) { return CopyBlob(ctx, blobs[i].first, blobs[i].second); }));
  for (const auto& child : children) BERTH_TRY(PushManifest(ctx, child, child.digest));
  for (const auto& ref : references) BERTH_TRY(PushManifest(ctx, manifest, ref));
  return Ok();
}

// Copies the manifests whose subject is `digest` (and theirs), after the subject.
Status CopyReferrers(CopyContext& ctx, const std::string& digest, int depth) {
  if (depth > kMaxDepth) return Ok();
  auto listed = WithRetries(ctx, "listing the referrers of " + digest,
                            [&] { return ctx.src.Referrers(ctx.src_repo, digest); });
  if (!listed) {
    switch (listed.error().code) {
      case ErrorCode::kUnsupported:
      case ErrorCode::kNotFound:
      case ErrorCode::kManifestUnknown:
      case ErrorCode::kNameUnknown:
        return Ok();
      default:
        return Fail(listed.error());
    }
  }
  for (const auto& referrer : *listed) {
    auto present = WithRetries(ctx, "checking manifest " + referrer.digest,
                               [&] { return ctx.dst.HeadManifest(ctx.dst_repo, referrer.digest); });
    if (!present) return Fail(present.error());
    if (!present->has_value()) {
      auto fetched = FetchManifest(ctx, referrer.digest, referrer.digest);
      if (!fetched) return Fail(fetched.error());
      BERTH_TRY(CopyTree(ctx, *fetched, {referrer.digest}));
      ctx.Log(fmt::format(
          "copied the referrer {} ({}) of {}", referrer.digest,
          referrer.artifact_type.empty() ? referrer.media_type : referrer.artifact_type, digest));
    }
    BERTH_TRY(CopyReferrers(ctx, referrer.digest, depth + 1));
  }
  return Ok();
}

}  // namespace

Result<ArtifactOutcome> CopyArtifact(CopyContext& ctx, const ArtifactRef& artifact) {
  std::vector<std::string> refs = artifact.tags;
  if (refs.empty()) refs.push_back(artifact.digest);
  std::string digest = artifact.digest;
  if (digest.empty()) {
    auto head = WithRetries(ctx, "checking " + ctx.src_repo + ":" + refs.front(),
                            [&] { return ctx.src.HeadManifest(ctx.src_repo, refs.front()); });
    if (!head) return Fail(head.error());
    if (!head->has_value()) {
      return Fail(ErrorCode::kManifestUnknown,
                  ctx.src_repo + ":" + refs.front() + " is gone from the source");
    }
    digest = (*head)->digest;
  }
  std::vector<std::string> push;
  bool conflict = false;
  for (const auto& ref : refs) {
    auto head = WithRetries(ctx, "checking " + ctx.dst_repo + ":" + ref,
                            [&] { return ctx.dst.HeadManifest(ctx.dst_repo, ref); });
    if (!head) return Fail(head.error());
    if (head->has_value() && !digest.empty() && (*head)->digest == digest) {
      ctx.Log(fmt::format("{}:{} already exists on the destination, skip", ctx.dst_repo, ref));
      continue;
    }
    if (head->has_value() && !IsDigest(ref) && !ctx.options.override_tags) {
      conflict = true;
      ctx.Log(
          fmt::format("{}:{} points at {} on the destination, not {}; override is off, "
                      "left alone",
                      ctx.dst_repo, ref, (*head)->digest, digest));
      continue;
    }
    push.push_back(ref);
  }
  if (push.empty()) return conflict ? ArtifactOutcome::kConflict : ArtifactOutcome::kSkipped;

  ctx.Log(fmt::format("pulling the manifest of {}@{}", ctx.src_repo, digest));
  auto manifest = FetchManifest(ctx, digest, digest);
  if (!manifest) return Fail(manifest.error());
  digest = manifest->digest;
  BERTH_TRY(CopyTree(ctx, *manifest, push));
  ctx.Log(fmt::format("copied {}@{} as [{}]", ctx.dst_repo, digest, fmt::join(push, ", ")));
  BERTH_TRY(CopyReferrers(ctx, digest, 0));
  return ArtifactOutcome::kCopied;
}

}  // namespace berth::replication::internal
