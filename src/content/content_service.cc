#include "content/content_service.h"

#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

namespace berth::content {
namespace {

using metadata::Artifact;
using metadata::Repository;

std::string Quoted(std::string_view text) { return "\"" + std::string(text.substr(0, 300)) + "\""; }

std::unexpected<Error> ManifestUnknown(const Repository& repo, const Reference& ref) {
  return Fail(
      ErrorCode::kManifestUnknown,
      "manifest " + Quoted(ref.text) + " not found in repository " + Quoted(repo.name) +
          (ref.is_digest ? ""
                         : ": no such tag; list the tags with GET /v2/" + repo.name + "/tags/list"),
      ref.text);
}

// Fetches one more name than asked so the caller knows whether a next page exists.
NameList TrimPage(std::vector<std::string> names, int64_t n) {
  NameList out;
  if (n >= 0 && static_cast<int64_t>(names.size()) > n) {
    names.resize(static_cast<size_t>(n));
    out.more = true;
  }
  out.names = std::move(names);
  return out;
}

int64_t PlusOne(int64_t n) {
  if (n < 0) return -1;
  return n == std::numeric_limits<int64_t>::max() ? n : n + 1;
}

}  // namespace

Result<metadata::Project> ContentService::ResolveProject(std::string_view name) {
  if (name.find('/') == std::string_view::npos) {
    return Fail(ErrorCode::kNameInvalid,
                "invalid repository name " + Quoted(name) +
                    ": repository names must start with a project, e.g. library/" +
                    std::string(name.substr(0, 200)),
                std::string(name.substr(0, 300)));
  }
  BERTH_TRY(ValidateRepositoryName(name));
  const std::string_view project_name = ProjectOf(name);
  auto project = projects_.GetByName(project_name);
  if (!project) return Fail(project.error());
  if (!project->has_value()) {
    return Fail(ErrorCode::kNameUnknown,
                "project " + Quoted(project_name) +
                    " does not exist: create it first (Projects → New Project, or POST "
                    "/api/v2.0/projects)",
                std::string(name));
  }
  return std::move(**project);
}

Result<Repository> ContentService::ResolveRepository(std::string_view name, bool create) {
  auto project = ResolveProject(name);
  if (!project) return Fail(project.error());
  if (create) return artifacts_.EnsureRepository(project->id, name);
  auto repo = artifacts_.GetRepository(name);
  if (!repo) return Fail(repo.error());
  if (!repo->has_value()) {
    return Fail(ErrorCode::kNameUnknown,
                "repository " + Quoted(name) + " not found; push an image to create it",
                std::string(name));
  }
  return **repo;
}

Result<Repository> ContentService::ResolveForPush(std::string_view name) {
  auto project = ResolveProject(name);
  if (!project) return Fail(project.error());
  auto repo = artifacts_.GetRepository(name);
  if (!repo) return Fail(repo.error());
  if (repo->has_value()) return **repo;
  Repository unstored;
  unstored.project_id = project->id;
  unstored.name = std::string(name);
  return unstored;
}

Result<Repository> ContentService::Stored(const Repository& repo) {
  if (repo.id != 0) return repo;
  return artifacts_.EnsureRepository(repo.project_id, repo.name);
}

Result<int64_t> ContentService::StatBlob(const Repository& repo, const Digest& digest) {
  auto linked = artifacts_.LinkedBlobSize(repo.id, digest.str());
  if (!linked) return Fail(linked.error());
  if (!linked->has_value()) {
    return Fail(ErrorCode::kBlobUnknown,
                "blob " + digest.str() + " is not in repository " + Quoted(repo.name),
                digest.str());
  }
  auto info = blobs_.Stat(digest);
  if (!info) {
    if (info.error().code == ErrorCode::kBlobUnknown) {
      return Fail(ErrorCode::kBlobUnknown,
                  "blob " + digest.str() + " of repository " + Quoted(repo.name) +
                      " is missing from storage; push it again",
                  digest.str());
    }
    return Fail(info.error());
  }
  return info->size;
}

Status ContentService::LinkBlob(const Repository& repo, const Digest& digest, int64_t size) {
  auto info = blobs_.Stat(digest);
  if (!info) return Fail(info.error());
  if (size >= 0 && size != info->size) {
    return Fail(ErrorCode::kSizeInvalid,
                "blob " + digest.str() + " has " + std::to_string(info->size) + " bytes, not the " +
                    std::to_string(size) + " given",
                digest.str());
  }
  auto stored = Stored(repo);
  if (!stored) return Fail(stored.error());
  return artifacts_.LinkBlob(stored->id, digest.str(), info->size);
}

Result<bool> ContentService::MountBlob(const Repository& to, const Digest& digest,
                                       std::string_view from) {
  auto info = blobs_.Stat(digest);
  if (!info) {
    if (info.error().code == ErrorCode::kBlobUnknown) return false;
    return Fail(info.error());
  }
  if (from.empty()) {
    auto anywhere = artifacts_.IsBlobLinkedAnywhere(digest.str());
    if (!anywhere) return Fail(anywhere.error());
    if (!*anywhere) return false;
  } else {
    auto source = artifacts_.GetRepository(from);
    if (!source) return Fail(source.error());
    if (!source->has_value()) return false;
    auto linked = artifacts_.LinkedBlobSize((*source)->id, digest.str());
    if (!linked) return Fail(linked.error());
    if (!linked->has_value()) return false;
  }
  auto stored = Stored(to);
  if (!stored) return Fail(stored.error());
  BERTH_TRY(artifacts_.LinkBlob(stored->id, digest.str(), info->size));
  return true;
}

Status ContentService::DeleteBlob(const Repository& repo, const Digest& digest) {
  auto linked = artifacts_.LinkedBlobSize(repo.id, digest.str());
  if (!linked) return Fail(linked.error());
  if (!linked->has_value()) {
    return Fail(ErrorCode::kBlobUnknown,
                "blob " + digest.str() + " is not in repository " + Quoted(repo.name),
                digest.str());
  }
  return artifacts_.UnlinkBlob(repo.id, digest.str());
}

Status ContentService::CheckReferences(const Repository& repo, const ParsedManifest& manifest) {
  for (size_t i = 0; i < manifest.blobs.size(); ++i) {
    const Descriptor& blob = manifest.blobs[i];
    if (IsForeignLayer(blob)) continue;
    const std::string role = i == 0 ? "config" : "layers[" + std::to_string(i - 1) + "]";
    auto linked = artifacts_.LinkedBlobSize(repo.id, blob.digest.str());
    if (!linked) return Fail(linked.error());
    Result<storage::BlobInfo> info =
        linked->has_value() ? blobs_.Stat(blob.digest) : Fail(ErrorCode::kBlobUnknown);
    if (!info && info.error().code != ErrorCode::kBlobUnknown) return Fail(info.error());
    if (!info) {
      return Fail(ErrorCode::kManifestBlobUnknown,
                  "the manifest's " + role + " refers to blob " + blob.digest.str() +
                      ", which is not in repository " + Quoted(repo.name) +
                      ": push (or mount) every blob before the manifest",
                  blob.digest.str());
    }
    if (info->size != blob.size) {
      return Fail(ErrorCode::kManifestInvalid,
                  "the manifest's " + role + " says blob " + blob.digest.str() + " has " +
                      std::to_string(blob.size) + " bytes, but it has " +
                      std::to_string(info->size) + "; fix the descriptor's size",
                  blob.digest.str());
    }
  }
  for (size_t i = 0; i < manifest.manifests.size(); ++i) {
    const Descriptor& child = manifest.manifests[i];
    auto artifact = artifacts_.GetArtifact(repo.id, child.digest.str());
    if (!artifact) return Fail(artifact.error());
    if (!artifact->has_value()) {
      return Fail(ErrorCode::kManifestBlobUnknown,
                  "the index's manifests[" + std::to_string(i) + "] refers to manifest " +
                      child.digest.str() + ", which is not in repository " + Quoted(repo.name) +
                      ": push every child manifest (by digest) before the index",
                  child.digest.str());
    }
    if ((*artifact)->size != child.size) {
      return Fail(ErrorCode::kManifestInvalid,
                  "the index's manifests[" + std::to_string(i) + "] says manifest " +
                      child.digest.str() + " has " + std::to_string(child.size) +
                      " bytes, but it has " + std::to_string((*artifact)->size) +
                      "; fix the descriptor's size",
                  child.digest.str());
    }
  }
  return Ok();
}

Result<PutManifestResult> ContentService::PutManifest(const Repository& repo, const Reference& ref,
                                                      std::string_view bytes,
                                                      std::string_view content_type) {
  return StoreManifest(repo, ref, bytes, content_type, /*pushed=*/true);
}

Result<PutManifestResult> ContentService::CacheManifest(const Repository& repo,
                                                        const Reference& ref,
                                                        std::string_view bytes,
                                                        std::string_view content_type) {
  return StoreManifest(repo, ref, bytes, content_type, /*pushed=*/false);
}

Result<PutManifestResult> ContentService::StoreManifest(const Repository& repo,
                                                        const Reference& ref,
                                                        std::string_view bytes,
                                                        std::string_view content_type,
                                                        bool pushed) {
  if (static_cast<int64_t>(bytes.size()) > kMaxManifestSize) {
    return Fail(ErrorCode::kManifestTooLarge,
                "the manifest is " + std::to_string(bytes.size()) + " bytes; the limit is 4 MiB (" +
                    std::to_string(kMaxManifestSize) +
                    " bytes): split it, e.g. into an index of smaller manifests");
  }
  auto parsed = ParseManifest(bytes, content_type);
  if (!parsed) return Fail(parsed.error());

  auto digest = Digest::Parse(Sha256Digest(bytes));
  if (!digest) return Fail(digest.error());
  if (ref.is_digest) {
    auto wanted = Digest::Parse(ref.text);
    if (!wanted) return Fail(wanted.error());
    if (wanted->algorithm() != "sha256") {
      return Fail(ErrorCode::kDigestInvalid,
                  "manifests are addressed by sha256 here; push to " + digest->str() +
                      " or to a tag instead of " + wanted->str(),
                  wanted->str());
    }
    if (*wanted != *digest) {
      return Fail(ErrorCode::kDigestInvalid,
                  "the manifest body hashes to " + digest->str() + ", not to the reference " +
                      wanted->str() + "; push the exact bytes whose digest you name",
                  wanted->str());
    }
  } else if (!IsValidTag(ref.text)) {
    return Fail(ErrorCode::kManifestInvalid,
                "invalid tag " + Quoted(ref.text) +
                    ": a tag is 1-128 characters of [A-Za-z0-9_.-] and does not start with "
                    "'.' or '-'");
  }

  if (pushed) BERTH_TRY(CheckReferences(repo, *parsed));

  const auto size = static_cast<int64_t>(bytes.size());
  BERTH_TRY(blobs_.Put(*digest, bytes));
  auto stored_repo = Stored(repo);
  if (!stored_repo) return Fail(stored_repo.error());

  Artifact artifact;
  artifact.repository_id = stored_repo->id;
  artifact.digest = digest->str();
  artifact.media_type = parsed->media_type;
  artifact.artifact_type = parsed->artifact_type;
  artifact.size = size;
  if (parsed->subject) artifact.subject = parsed->subject->digest.str();

  std::vector<metadata::ManifestReference> references;
  for (const auto& blob : parsed->blobs) {
    if (IsForeignLayer(blob)) continue;
    references.push_back({blob.digest.str(), blob.size, false});
  }
  for (const auto& child : parsed->manifests) {
    references.push_back({child.digest.str(), child.size, true});
  }
  auto stored = artifacts_.PutManifest(artifact, references, ref.is_digest ? "" : ref.text);
  if (!stored) return Fail(stored.error());
  // Linked after the artifact row so a failed push leaves no readable manifest blob.
  BERTH_TRY(artifacts_.LinkBlob(stored_repo->id, digest->str(), size));
  if (pushed && listener_ != nullptr) {
    listener_->ManifestPushed(repo.name, digest->str(), ref.is_digest ? "" : ref.text);
  }

  return PutManifestResult{*std::move(digest), std::move(parsed->media_type),
                           std::move(artifact.subject)};
}

Result<Artifact> ContentService::FindArtifact(const Repository& repo, const Reference& ref) {
  auto artifact = ref.is_digest ? artifacts_.GetArtifact(repo.id, ref.text)
                                : artifacts_.GetArtifactByTag(repo.id, ref.text);
  if (!artifact) return Fail(artifact.error());
  if (!artifact->has_value()) return ManifestUnknown(repo, ref);
  return **std::move(artifact);
}

Result<ManifestInfo> ContentService::StatManifest(const Repository& repo, const Reference& ref) {
  auto artifact = FindArtifact(repo, ref);
  if (!artifact) return Fail(artifact.error());
  auto digest = Digest::Parse(artifact->digest);
  if (!digest) return Fail(ErrorCode::kInternal, "stored manifest digest is malformed");
  return ManifestInfo{*std::move(digest), std::move(artifact->media_type), artifact->size};
}

Result<ManifestContent> ContentService::GetManifest(const Repository& repo, const Reference& ref) {
  auto info = StatManifest(repo, ref);
  if (!info) return Fail(info.error());
  auto bytes = blobs_.ReadAll(info->digest, kMaxManifestSize);
  if (!bytes) {
    if (bytes.error().code == ErrorCode::kBlobUnknown) {
      return Fail(ErrorCode::kManifestUnknown,
                  "manifest " + info->digest.str() + " of repository " + Quoted(repo.name) +
                      " is missing from storage; push it again",
                  info->digest.str());
    }
    return Fail(bytes.error());
  }
  ManifestContent out;
  static_cast<ManifestInfo&>(out) = *std::move(info);
  out.bytes = *std::move(bytes);
  return out;
}

Status ContentService::DeleteManifest(const Repository& repo, const Reference& ref) {
  if (!ref.is_digest) {
    // The tag's manifest, for the listener (looked up before the tag goes).
    std::string tagged_digest;
    if (listener_ != nullptr) {
      auto tagged = artifacts_.GetArtifactByTag(repo.id, ref.text);
      if (!tagged) return Fail(tagged.error());
      if (*tagged) tagged_digest = (*tagged)->digest;
    }
    auto deleted = artifacts_.DeleteTag(repo.id, ref.text);
    if (!deleted) return Fail(deleted.error());
    if (!*deleted) return ManifestUnknown(repo, ref);
    if (listener_ != nullptr) listener_->TagDeleted(repo.name, tagged_digest, ref.text);
    return Ok();
  }
  auto artifact = FindArtifact(repo, ref);
  if (!artifact) return Fail(artifact.error());
  BERTH_TRY(artifacts_.DeleteArtifact(repo.id, ref.text));
  // The manifest's own blob link goes with it, so GET .../blobs/<digest> stops serving it.
  if (auto unlinked = artifacts_.UnlinkBlob(repo.id, ref.text);
      !unlinked && unlinked.error().code != ErrorCode::kBlobUnknown) {
    return unlinked;
  }
  if (listener_ != nullptr) listener_->ManifestDeleted(repo.name, artifact->digest, artifact->tags);
  return Ok();
}

Result<NameList> ContentService::ListTags(const Repository& repo, std::string_view last,
                                          int64_t n) {
  auto tags = artifacts_.ListTags(repo.id, last, PlusOne(n));
  if (!tags) return Fail(tags.error());
  return TrimPage(*std::move(tags), n);
}

Result<NameList> ContentService::Catalog(std::string_view last, int64_t n) {
  auto names = artifacts_.Catalog(last, n < 0 ? std::numeric_limits<int64_t>::max() : PlusOne(n));
  if (!names) return Fail(names.error());
  return TrimPage(*std::move(names), n);
}

Result<ReferrersResult> ContentService::Referrers(const Repository& repo, const Digest& subject,
                                                  std::string_view artifact_type) {
  auto referrers = artifacts_.Referrers(repo.id, subject.str(), artifact_type);
  if (!referrers) return Fail(referrers.error());

  nlohmann::ordered_json manifests = nlohmann::ordered_json::array();
  for (const Artifact& artifact : *referrers) {
    if (!artifact_type.empty() && artifact.artifact_type != artifact_type) continue;
    nlohmann::ordered_json d;
    d["mediaType"] = artifact.media_type;
    d["digest"] = artifact.digest;
    d["size"] = artifact.size;
    if (!artifact.artifact_type.empty()) d["artifactType"] = artifact.artifact_type;
    // Annotations are not kept in the metadata; read them from the stored manifest.
    if (auto digest = Digest::Parse(artifact.digest)) {
      if (auto bytes = blobs_.ReadAll(*digest, kMaxManifestSize)) {
        if (auto parsed = ParseManifest(*bytes, artifact.media_type);
            parsed && !parsed->annotations.empty()) {
          d["annotations"] = parsed->annotations;
        }
      }
    }
    manifests.push_back(std::move(d));
  }
  nlohmann::ordered_json index;
  index["schemaVersion"] = 2;
  index["mediaType"] = kOciIndexType;
  index["manifests"] = std::move(manifests);
  return ReferrersResult{index.dump(), !artifact_type.empty()};
}

}  // namespace berth::content
