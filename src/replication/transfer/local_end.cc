#include "replication/transfer/local_end.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <vector>

#include "common/names.h"
#include "storage/blob_store.h"

namespace berth::replication {

namespace {

constexpr size_t kBufferSize = 1 << 20;
// Open upload writers kept between chunks (reopening rehashes the session's bytes).
constexpr size_t kMaxOpenWriters = 64;

bool IsCancelled(const CancelToken& cancel) {
  return cancel && cancel->load(std::memory_order_relaxed);
}

class LocalEnd final : public RegistryEnd {
 public:
  explicit LocalEnd(const LocalStores& stores) : s_(stores) {}

  std::string Describe() const override { return "local"; }
  std::string HostKey() const override { return "local"; }
  bool SupportsLabels() const override { return s_.labels != nullptr; }
  bool ChunkedByDefault() const override { return true; }
  bool VerifiesBlobDigests() const override { return true; }

  Result<std::vector<std::string>> ListRepositories() override {
    std::vector<std::string> names;
    std::string last;
    while (true) {
      auto page = s_.artifacts->Catalog(last, 1000);
      if (!page) return Fail(page.error());
      if (page->empty()) break;
      last = page->back();
      names.insert(names.end(), page->begin(), page->end());
      if (page->size() < 1000) break;
    }
    return names;
  }

  Result<std::vector<ArtifactRef>> ListArtifacts(std::string_view repository) override {
    auto repo = s_.artifacts->GetRepository(repository);
    if (!repo) return Fail(repo.error());
    if (!repo->has_value()) {
      return Fail(ErrorCode::kNameUnknown,
                  "repository " + std::string(repository) + " is not known to Berth");
    }
    std::map<int64_t, std::vector<std::string>> labels;
    if (s_.labels) {
      auto names = s_.labels->LabelNamesInRepository((*repo)->id);
      if (!names) return Fail(names.error());
      labels = std::move(*names);
    }
    std::vector<ArtifactRef> out;
    metadata::Page page{1, 100};
    while (true) {
      auto listed = s_.artifacts->ListArtifacts((*repo)->id, page);
      if (!listed) return Fail(listed.error());
      for (auto& a : listed->items) {
        ArtifactRef ref;
        ref.digest = a.digest;
        ref.media_type = a.media_type;
        ref.tags = std::move(a.tags);
        std::sort(ref.tags.begin(), ref.tags.end());
        if (auto it = labels.find(a.id); it != labels.end()) ref.labels = it->second;
        out.push_back(std::move(ref));
      }
      if (listed->items.size() < static_cast<size_t>(page.page_size) ||
          static_cast<int64_t>(out.size()) >= listed->total) {
        break;
      }
      ++page.page;
    }
    // Paging by push time can show an artifact twice when pushes race the listing.
    std::sort(out.begin(), out.end(),
              [](const ArtifactRef& a, const ArtifactRef& b) { return a.digest < b.digest; });
    out.erase(std::unique(
                  out.begin(), out.end(),
                  [](const ArtifactRef& a, const ArtifactRef& b) { return a.digest == b.digest; }),
              out.end());
    return out;
  }

  Status PrepareForPush(const std::vector<std::string>& repositories) override {
    for (const auto& name : repositories) {
      std::string project(ProjectOf(name));
      if (project.empty()) {
        return Fail(ErrorCode::kNameInvalid,
                    "repository " + name + " has no project component; Berth needs one");
      }
      auto found = s_.projects->GetByName(project);
      if (!found) return Fail(found.error());
      if (found->has_value()) continue;
      metadata::Project p;
      p.name = project;
      p.is_public = false;
      p.owner_id = s_.owner_id;
      auto created = s_.projects->Create(p);
      if (!created && created.error().code != ErrorCode::kConflict) return Fail(created.error());
    }
    return Ok();
  }

  Result<std::set<std::string>> ProxyCacheProjects(
      const std::vector<std::string>& repositories) override {
    return ProjectsWhere(repositories,
                         [](const metadata::Project& p) { return p.registry_id != 0; });
  }

  Result<std::set<std::string>> PublicProjects(
      const std::vector<std::string>& repositories) override {
    return ProjectsWhere(repositories, [](const metadata::Project& p) { return p.is_public; });
  }

  Result<std::optional<ManifestInfo>> HeadManifest(std::string_view repository,
                                                   std::string_view reference) override {
    auto repo = Existing(repository);
    if (!repo) return Fail(repo.error());
    if (!repo->has_value()) return std::optional<ManifestInfo>();
    auto ref = ParseReference(reference);
    if (!ref) return Fail(ref.error());
    auto info = s_.content->StatManifest(**repo, *ref);
    if (!info) {
      if (info.error().code == ErrorCode::kManifestUnknown) return std::optional<ManifestInfo>();
      return Fail(info.error());
    }
    return std::optional<ManifestInfo>(
        ManifestInfo{info->digest.str(), info->media_type, info->size});
  }

  Result<Manifest> GetManifest(std::string_view repository, std::string_view reference) override {
    auto repo = s_.content->ResolveRepository(repository, false);
    if (!repo) return Fail(repo.error());
    auto ref = ParseReference(reference);
    if (!ref) return Fail(ref.error());
    auto got = s_.content->GetManifest(*repo, *ref);
    if (!got) return Fail(got.error());
    Manifest m;
    m.digest = got->digest.str();
    m.media_type = got->media_type;
    m.size = got->size;
    m.bytes = std::move(got->bytes);
    return m;
  }

  Status PutManifest(std::string_view repository, std::string_view reference,
                     std::string_view bytes, std::string_view media_type) override {
    auto repo = s_.content->ResolveRepository(repository, true);
    if (!repo) return Fail(repo.error());
    auto ref = ParseReference(reference);
    if (!ref) return Fail(ref.error());
    auto put = s_.content->PutManifest(*repo, *ref, bytes, media_type);
    if (!put) return Fail(put.error());
    return Ok();
  }

  Status DeleteManifest(std::string_view repository, std::string_view digest) override {
    return DeleteRef(repository, digest);
  }

  Status DeleteTag(std::string_view repository, std::string_view tag) override {
    if (!IsValidTag(tag)) return Fail(ErrorCode::kBadRequest, "invalid tag " + std::string(tag));
    return DeleteRef(repository, tag);
  }

  Result<std::vector<Descriptor>> Referrers(std::string_view repository,
                                            std::string_view digest) override {
    auto repo = Existing(repository);
    if (!repo) return Fail(repo.error());
    std::vector<Descriptor> out;
    if (!repo->has_value()) return out;
    auto found = s_.artifacts->Referrers((*repo)->id, digest);
    if (!found) return Fail(found.error());
    for (const auto& a : *found) {
      out.push_back(Descriptor{a.media_type, a.digest, a.size, a.artifact_type});
    }
    return out;
  }

  Result<std::optional<int64_t>> BlobSize(std::string_view repository,
                                          std::string_view digest) override {
    auto repo = Existing(repository);
    if (!repo) return Fail(repo.error());
    if (!repo->has_value()) return std::optional<int64_t>();
    auto d = Digest::Parse(digest);
    if (!d) return Fail(d.error());
    auto size = s_.content->StatBlob(**repo, *d);
    if (!size) {
      if (size.error().code == ErrorCode::kBlobUnknown) return std::optional<int64_t>();
      return Fail(size.error());
    }
    return std::optional<int64_t>(*size);
  }

  Status ReadBlob(std::string_view repository, std::string_view digest, int64_t offset,
                  const ByteSink& sink, const CancelToken& cancel) override {
    auto repo = s_.content->ResolveRepository(repository, false);
    if (!repo) return Fail(repo.error());
    auto d = Digest::Parse(digest);
    if (!d) return Fail(d.error());
    BERTH_TRY(s_.content->StatBlob(*repo, *d));
    auto reader = s_.blobs->Open(*d, offset);
    if (!reader) return Fail(reader.error());
    std::vector<char> buf(static_cast<size_t>(
        std::clamp<int64_t>((*reader)->remaining(), 4096, static_cast<int64_t>(kBufferSize))));
    while (true) {
      if (IsCancelled(cancel)) return Fail(ErrorCode::kCancelled, "stopped");
      auto n = (*reader)->Read(buf);
      if (!n) return Fail(n.error());
      if (*n == 0) return Ok();
      BERTH_TRY(sink(std::span<const char>(buf.data(), *n)));
    }
  }

  Result<bool> MountBlob(std::string_view repository, std::string_view digest,
                         std::string_view from) override {
    auto repo = s_.content->ResolveRepository(repository, true);
    if (!repo) return Fail(repo.error());
    auto d = Digest::Parse(digest);
    if (!d) return Fail(d.error());
    auto mounted = s_.content->MountBlob(*repo, *d, from);
    if (!mounted) return Fail(mounted.error());
    // A named source that cannot provide it: the store may still hold it elsewhere.
    if (!*mounted && !from.empty()) return s_.content->MountBlob(*repo, *d, {});
    return *mounted;
  }

  Status WriteBlob(std::string_view repository, std::string_view digest, int64_t size,
                   const ByteSource& source, const CancelToken& cancel) override {
    auto repo = s_.content->ResolveRepository(repository, true);
    if (!repo) return Fail(repo.error());
    auto d = Digest::Parse(digest);
    if (!d) return Fail(d.error());
    auto writer = s_.blobs->CreateUpload();
    if (!writer) return Fail(writer.error());
    auto written = Append(**writer, size, source, cancel);
    if (written && (*writer)->size() != size) {
      written = Fail(ErrorCode::kSizeInvalid, "the source ended before the blob's size");
    }
    if (written) written = (*writer)->Commit(*d);
    if (!written) {
      (void)(*writer)->Cancel();
      return written;
    }
    return s_.content->LinkBlob(*repo, *d, size);
  }

  Result<UploadProgress> BeginUpload(std::string_view repository) override {
    BERTH_TRY(s_.content->ResolveRepository(repository, true));
    auto writer = s_.blobs->CreateUpload();
    if (!writer) return Fail(writer.error());
    UploadProgress p{(*writer)->id(), 0};
    Park(std::move(*writer));
    return p;
  }

  Result<UploadProgress> ResumeUpload(std::string_view repository,
                                      const UploadProgress& progress) override {
    BERTH_TRY(s_.content->ResolveRepository(repository, true));
    auto writer = Take(progress.session);
    if (!writer) return Fail(writer.error());
    UploadProgress p{progress.session, (*writer)->size()};
    Park(std::move(*writer));
    return p;
  }

  Result<UploadProgress> AppendUpload(std::string_view repository, const UploadProgress& progress,
                                      int64_t length, const ByteSource& source,
                                      const CancelToken& cancel) override {
    BERTH_TRY(s_.content->ResolveRepository(repository, true));
    auto writer = Take(progress.session);
    if (!writer) return Fail(writer.error());
    if ((*writer)->size() != progress.offset) {
      int64_t held = (*writer)->size();
      Park(std::move(*writer));
      return Fail(ErrorCode::kRangeInvalid, "the upload holds " + std::to_string(held) +
                                                " bytes, not " + std::to_string(progress.offset));
    }
    auto written = Append(**writer, length, source, cancel);
    UploadProgress p{progress.session, (*writer)->size()};
    Park(std::move(*writer));
    if (!written) return Fail(written.error());
    return p;
  }

  Status CommitUpload(std::string_view repository, const UploadProgress& progress,
                      std::string_view digest) override {
    auto repo = s_.content->ResolveRepository(repository, true);
    if (!repo) return Fail(repo.error());
    auto d = Digest::Parse(digest);
    if (!d) return Fail(d.error());
    auto writer = Take(progress.session);
    if (!writer) return Fail(writer.error());
    int64_t size = (*writer)->size();
    auto committed = (*writer)->Commit(*d);
    if (!committed) {
      Park(std::move(*writer));
      return committed;
    }
    return s_.content->LinkBlob(*repo, *d, size);
  }

 private:
  // The existing projects of `repositories` for which `keep` holds.
  template <typename Keep>
  Result<std::set<std::string>> ProjectsWhere(const std::vector<std::string>& repositories,
                                              Keep keep) {
    std::set<std::string> out, seen;
    for (const auto& name : repositories) {
      std::string project(ProjectOf(name));
      if (project.empty() || !seen.insert(project).second) continue;
      auto found = s_.projects->GetByName(project);
      if (!found) return Fail(found.error());
      if (found->has_value() && keep(**found)) out.insert(project);
    }
    return out;
  }

  // The repository when it exists; std::nullopt when it (or its project) does not.
  Result<std::optional<metadata::Repository>> Existing(std::string_view repository) {
    auto repo = s_.content->ResolveRepository(repository, false);
    if (repo) return std::optional<metadata::Repository>(*repo);
    if (repo.error().code == ErrorCode::kNameUnknown) {
      return std::optional<metadata::Repository>();
    }
    return Fail(repo.error());
  }

  Status DeleteRef(std::string_view repository, std::string_view reference) {
    auto repo = Existing(repository);
    if (!repo) return Fail(repo.error());
    if (!repo->has_value()) return Ok();
    auto ref = ParseReference(reference);
    if (!ref) return Fail(ref.error());
    auto deleted = s_.content->DeleteManifest(**repo, *ref);
    if (!deleted && deleted.error().code == ErrorCode::kManifestUnknown) return Ok();
    return deleted;
  }

  // Writes exactly `length` bytes from `source` (fewer when it ends early), a whole
  // aligned buffer at a time so that large blobs bypass the page cache (WriteBuffer).
  static Status Append(storage::BlobWriter& writer, int64_t length, const ByteSource& source,
                       const CancelToken& cancel) {
    const size_t size = static_cast<size_t>(std::min<int64_t>(kBufferSize, length + 1));
    storage::WriteBuffer buf = storage::NewWriteBuffer(size);
    if (!buf) return Fail(ErrorCode::kInternal, "out of memory for a blob buffer");
    int64_t done = 0;
    bool ended = false;
    while (done < length && !ended) {
      if (IsCancelled(cancel)) return Fail(ErrorCode::kCancelled, "stopped");
      size_t want = static_cast<size_t>(std::min<int64_t>(size, length - done));
      size_t filled = 0;
      while (filled < want) {
        auto n = source(std::span<char>(buf.get() + filled, want - filled));
        if (!n) return Fail(n.error());
        if (*n == 0) {
          ended = true;
          break;
        }
        filled += *n;
      }
      if (filled > 0) BERTH_TRY(writer.Write(std::span<const char>(buf.get(), filled)));
      done += static_cast<int64_t>(filled);
    }
    if (done < length) return Fail(ErrorCode::kSizeInvalid, "the source ended early");
    return Ok();
  }

  // An open writer for `session`: the parked one, else reopened from the store.
  Result<std::unique_ptr<storage::BlobWriter>> Take(const std::string& session) {
    {
      std::lock_guard lock(mu_);
      auto it = open_.find(session);
      if (it != open_.end()) {
        auto w = std::move(it->second);
        open_.erase(it);
        return w;
      }
    }
    return s_.blobs->ResumeUpload(session);
  }

  void Park(std::unique_ptr<storage::BlobWriter> writer) {
    std::lock_guard lock(mu_);
    if (open_.size() >= kMaxOpenWriters) open_.erase(open_.begin());  // stays resumable
    std::string id = writer->id();
    open_[id] = std::move(writer);
  }

  LocalStores s_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<storage::BlobWriter>> open_;
};

}  // namespace

std::unique_ptr<RegistryEnd> MakeLocalEnd(const LocalStores& stores) {
  return std::make_unique<LocalEnd>(stores);
}

}  // namespace berth::replication
