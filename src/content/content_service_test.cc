#include "content/content_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "content/content_test_stack.h"

namespace berth::content {
namespace {

using metadata::Repository;

Reference Tag(std::string name) { return Reference{std::move(name), false}; }
Reference ByDigest(const Digest& d) { return Reference{d.str(), true}; }

std::string Desc(std::string_view media_type, const Digest& digest, int64_t size) {
  nlohmann::json d = {{"mediaType", media_type}, {"digest", digest.str()}, {"size", size}};
  return d.dump();
}

class ContentServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stack_ = std::make_unique<testing::ContentStack>();
    ASSERT_TRUE(stack_->ok());
    blobs_ = &stack_->blobs();
    service_ = &stack_->content();

    metadata::Project library;
    library.name = "library";
    library.owner_id = 1;
    auto created = stack_->projects().Create(library);
    ASSERT_TRUE(created.has_value()) << created.error().message;
    auto repo = service_->ResolveRepository("library/app", true);
    ASSERT_TRUE(repo.has_value()) << repo.error().message;
    repo_ = *repo;
  }

  // Stores `content` and links it to `repo`.
  Digest PushBlob(const Repository& repo, std::string_view content) {
    auto digest = Digest::Parse(Sha256Digest(content));
    EXPECT_TRUE(digest.has_value());
    EXPECT_TRUE(blobs_->Put(*digest, content).has_value());
    auto linked = service_->LinkBlob(repo, *digest, static_cast<int64_t>(content.size()));
    EXPECT_TRUE(linked.has_value()) << linked.error().message;
    return *digest;
  }

  // An OCI image manifest over a fresh config and one layer pushed to `repo`.
  std::string ImageManifest(const Repository& repo, std::string_view seed,
                            std::string_view extra = "") {
    std::string config = R"({"architecture":"amd64","seed":")" + std::string(seed) + "\"}";
    std::string layer = "layer-" + std::string(seed);
    Digest c = PushBlob(repo, config);
    Digest l = PushBlob(repo, layer);
    return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
           R"("config":)" +
           Desc("application/vnd.oci.image.config.v1+json", c, config.size()) + R"(,"layers":[)" +
           Desc("application/vnd.oci.image.layer.v1.tar", l, layer.size()) + "]" +
           std::string(extra) + "}";
  }

  Digest Put(const Repository& repo, const Reference& ref, const std::string& bytes,
             std::string_view content_type = kOciManifestType) {
    auto put = service_->PutManifest(repo, ref, bytes, content_type);
    EXPECT_TRUE(put.has_value()) << put.error().message;
    return put ? put->digest : Digest{};
  }

  std::unique_ptr<testing::ContentStack> stack_;
  storage::FsBlobStore* blobs_ = nullptr;
  ContentService* service_ = nullptr;
  Repository repo_;
};

TEST_F(ContentServiceTest, ResolveRepositoryRules) {
  auto no_project = service_->ResolveRepository("nginx", true);
  ASSERT_FALSE(no_project.has_value());
  EXPECT_EQ(no_project.error().code, ErrorCode::kNameInvalid);
  EXPECT_NE(no_project.error().message.find("library/"), std::string::npos);

  auto bad = service_->ResolveRepository("library/Upper", true);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kNameInvalid);

  auto unknown_project = service_->ResolveRepository("nope/app", true);
  ASSERT_FALSE(unknown_project.has_value());
  EXPECT_EQ(unknown_project.error().code, ErrorCode::kNameUnknown);
  EXPECT_NE(unknown_project.error().message.find("project \"nope\" does not exist: create it"),
            std::string::npos);
  EXPECT_NE(unknown_project.error().message.find("POST /api/v2.0/projects"), std::string::npos);

  auto missing = service_->ResolveRepository("library/other", false);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNameUnknown);

  auto found = service_->ResolveRepository("library/app", false);
  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_EQ(found->id, repo_.id);
  EXPECT_EQ(found->name, "library/app");
}

TEST_F(ContentServiceTest, OnlyLinkedBlobsAreVisible) {
  const std::string content = "some layer bytes";
  auto digest = *Digest::Parse(Sha256Digest(content));
  ASSERT_TRUE(blobs_->Put(digest, content).has_value());

  auto before = service_->StatBlob(repo_, digest);
  ASSERT_FALSE(before.has_value());
  EXPECT_EQ(before.error().code, ErrorCode::kBlobUnknown);

  ASSERT_TRUE(service_->LinkBlob(repo_, digest, content.size()).has_value());
  auto after = service_->StatBlob(repo_, digest);
  ASSERT_TRUE(after.has_value()) << after.error().message;
  EXPECT_EQ(*after, static_cast<int64_t>(content.size()));

  auto other = *service_->ResolveRepository("library/other", true);
  EXPECT_FALSE(service_->StatBlob(other, digest).has_value());

  ASSERT_TRUE(service_->DeleteBlob(repo_, digest).has_value());
  EXPECT_EQ(service_->StatBlob(repo_, digest).error().code, ErrorCode::kBlobUnknown);
  EXPECT_EQ(service_->DeleteBlob(repo_, digest).error().code, ErrorCode::kBlobUnknown);
  EXPECT_TRUE(blobs_->Stat(digest).has_value()) << "bytes stay for garbage collection";
}

TEST_F(ContentServiceTest, LinkBlobChecksStoreAndSize) {
  auto absent = *Digest::Parse(Sha256Digest("never stored"));
  EXPECT_EQ(service_->LinkBlob(repo_, absent, 12).error().code, ErrorCode::kBlobUnknown);
  auto digest = *Digest::Parse(Sha256Digest("abc"));
  ASSERT_TRUE(blobs_->Put(digest, "abc").has_value());
  EXPECT_EQ(service_->LinkBlob(repo_, digest, 4).error().code, ErrorCode::kSizeInvalid);
  EXPECT_TRUE(service_->LinkBlob(repo_, digest).has_value());
  EXPECT_EQ(*service_->StatBlob(repo_, digest), 3);
}

TEST_F(ContentServiceTest, MountBlob) {
  auto other = *service_->ResolveRepository("library/other", true);
  Digest digest = PushBlob(repo_, "shared layer");

  auto from_wrong = service_->MountBlob(other, digest, "library/nothing");
  ASSERT_TRUE(from_wrong.has_value());
  EXPECT_FALSE(*from_wrong);

  auto mounted = service_->MountBlob(other, digest, "library/app");
  ASSERT_TRUE(mounted.has_value()) << mounted.error().message;
  EXPECT_TRUE(*mounted);
  EXPECT_TRUE(service_->StatBlob(other, digest).has_value());

  auto third = *service_->ResolveRepository("library/third", true);
  EXPECT_TRUE(*service_->MountBlob(third, digest));

  auto absent = *Digest::Parse(Sha256Digest("absent"));
  auto not_possible = service_->MountBlob(other, absent);
  ASSERT_TRUE(not_possible.has_value());
  EXPECT_FALSE(*not_possible);
}

TEST_F(ContentServiceTest, PutAndGetManifestKeepsExactBytes) {
  std::string bytes = ImageManifest(repo_, "a");
  bytes.insert(1, "\n  ");  // formatting is part of the digest
  auto put = service_->PutManifest(repo_, Tag("v1"), bytes, kOciManifestType);
  ASSERT_TRUE(put.has_value()) << put.error().message;
  EXPECT_EQ(put->digest.str(), Sha256Digest(bytes));
  EXPECT_EQ(put->media_type, kOciManifestType);
  EXPECT_EQ(put->subject, "");

  for (const auto& ref : {Tag("v1"), ByDigest(put->digest)}) {
    auto got = service_->GetManifest(repo_, ref);
    ASSERT_TRUE(got.has_value()) << got.error().message;
    EXPECT_EQ(got->bytes, bytes);
    EXPECT_EQ(got->digest, put->digest);
    EXPECT_EQ(got->media_type, kOciManifestType);
    EXPECT_EQ(got->size, static_cast<int64_t>(bytes.size()));
    auto stat = service_->StatManifest(repo_, ref);
    ASSERT_TRUE(stat.has_value());
    EXPECT_EQ(stat->digest, put->digest);
  }
  // The manifest is also readable as a blob of the repository.
  EXPECT_EQ(*service_->StatBlob(repo_, put->digest), static_cast<int64_t>(bytes.size()));

  auto other = *service_->ResolveRepository("library/other", true);
  EXPECT_EQ(service_->GetManifest(other, Tag("v1")).error().code, ErrorCode::kManifestUnknown);
  EXPECT_EQ(service_->GetManifest(repo_, Tag("v2")).error().code, ErrorCode::kManifestUnknown);
}

TEST_F(ContentServiceTest, ManifestWithMissingBlobIsRefusedAndNothingStored) {
  auto other = *service_->ResolveRepository("library/other", true);
  // The layer exists in the store and in another repository, but not in this one.
  std::string bytes = ImageManifest(other, "x");
  auto digest = *Digest::Parse(Sha256Digest(bytes));
  auto config = *Digest::Parse(Sha256Digest(R"({"architecture":"amd64","seed":"x"})"));

  auto put = service_->PutManifest(repo_, Tag("latest"), bytes, kOciManifestType);
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().code, ErrorCode::kManifestBlobUnknown);
  EXPECT_EQ(put.error().wire(), "MANIFEST_BLOB_UNKNOWN");
  EXPECT_NE(put.error().message.find(config.str()), std::string::npos) << put.error().message;
  EXPECT_EQ(put.error().detail, config.str());

  EXPECT_FALSE(blobs_->Stat(digest).has_value());
  EXPECT_EQ(service_->GetManifest(repo_, Tag("latest")).error().code, ErrorCode::kManifestUnknown);
  EXPECT_TRUE(service_->ListTags(repo_, "", -1)->names.empty());
}

TEST_F(ContentServiceTest, APushStoresItsRepositoryWithItsFirstContent) {
  auto listed = [&](std::string_view name) {
    auto catalog = service_->Catalog("", -1);
    EXPECT_TRUE(catalog.has_value());
    return std::ranges::count(catalog->names, std::string(name)) == 1;
  };
  auto other = *service_->ResolveRepository("library/other", true);
  std::string bytes = ImageManifest(other, "x");

  auto fresh = service_->ResolveForPush("library/fresh");
  ASSERT_TRUE(fresh.has_value()) << fresh.error().message;
  EXPECT_EQ(fresh->id, 0);
  EXPECT_EQ(fresh->name, "library/fresh");
  // A refused manifest and a refused mount leave nothing behind.
  EXPECT_FALSE(service_->PutManifest(*fresh, Tag("v1"), bytes, kOciManifestType).has_value());
  auto absent = *Digest::Parse(Sha256Digest("never stored"));
  EXPECT_FALSE(*service_->MountBlob(*fresh, absent, "library/other"));
  EXPECT_FALSE(listed("library/fresh"));
  EXPECT_EQ(service_->ResolveRepository("library/fresh", false).error().code,
            ErrorCode::kNameUnknown);

  // The first blob stores it; the push goes on against the stored repository.
  PushBlob(*fresh, "first");
  EXPECT_TRUE(listed("library/fresh"));
  auto stored = service_->ResolveForPush("library/fresh");
  ASSERT_TRUE(stored.has_value());
  EXPECT_NE(stored->id, 0);
  EXPECT_EQ(service_->ResolveRepository("library/fresh", false)->id, stored->id);

  // A manifest alone (an empty index needs no blob) stores its repository too.
  auto index = *service_->ResolveForPush("library/index-only");
  Put(index, Tag("empty"),
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
      R"("manifests":[]})",
      "application/vnd.oci.image.index.v1+json");
  EXPECT_TRUE(listed("library/index-only"));
  auto again = *service_->ResolveRepository("library/index-only", false);
  EXPECT_TRUE(service_->GetManifest(again, Tag("empty")).has_value());
}

TEST_F(ContentServiceTest, WrongDescriptorSizeIsRefused) {
  Digest c = PushBlob(repo_, "cfg");
  std::string bytes =
      R"({"schemaVersion":2,"config":)" + Desc("application/x", c, 99) + R"(,"layers":[]})";
  auto put = service_->PutManifest(repo_, Tag("t"), bytes, kOciManifestType);
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().code, ErrorCode::kManifestInvalid);
  EXPECT_NE(put.error().message.find("99"), std::string::npos);
}

TEST_F(ContentServiceTest, DigestReferenceMustMatchBody) {
  std::string bytes = ImageManifest(repo_, "d");
  auto wrong = *Digest::Parse(Sha256Digest("something else"));
  auto put = service_->PutManifest(repo_, ByDigest(wrong), bytes, kOciManifestType);
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().code, ErrorCode::kDigestInvalid);
  EXPECT_NE(put.error().message.find(Sha256Digest(bytes)), std::string::npos);

  auto right = *Digest::Parse(Sha256Digest(bytes));
  EXPECT_EQ(Put(repo_, ByDigest(right), bytes), right);
  EXPECT_TRUE(service_->ListTags(repo_, "", -1)->names.empty()) << "push by digest adds no tag";
}

TEST_F(ContentServiceTest, ManifestSizeLimit) {
  std::string bytes(kMaxManifestSize + 1, ' ');
  auto put = service_->PutManifest(repo_, Tag("big"), bytes, kOciManifestType);
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().code, ErrorCode::kManifestTooLarge);
  EXPECT_EQ(put.error().http_status(), 413);
  EXPECT_NE(put.error().message.find("4 MiB"), std::string::npos);
}

TEST_F(ContentServiceTest, TagMovesToNewManifest) {
  std::string first = ImageManifest(repo_, "1");
  std::string second = ImageManifest(repo_, "2");
  Digest d1 = Put(repo_, Tag("latest"), first);
  Digest d2 = Put(repo_, Tag("latest"), second);
  ASSERT_NE(d1, d2);
  EXPECT_EQ(service_->GetManifest(repo_, Tag("latest"))->digest, d2);
  EXPECT_EQ(service_->GetManifest(repo_, ByDigest(d1))->bytes, first);
  EXPECT_EQ(service_->ListTags(repo_, "", -1)->names, std::vector<std::string>{"latest"});
}

TEST_F(ContentServiceTest, DeleteByTagThenByDigest) {
  std::string bytes = ImageManifest(repo_, "del");
  Digest d = Put(repo_, Tag("a"), bytes);
  Put(repo_, Tag("b"), bytes);

  ASSERT_TRUE(service_->DeleteManifest(repo_, Tag("a")).has_value());
  EXPECT_EQ(service_->GetManifest(repo_, Tag("a")).error().code, ErrorCode::kManifestUnknown);
  EXPECT_TRUE(service_->GetManifest(repo_, Tag("b")).has_value());
  EXPECT_TRUE(service_->GetManifest(repo_, ByDigest(d)).has_value());
  EXPECT_EQ(service_->DeleteManifest(repo_, Tag("a")).error().code, ErrorCode::kManifestUnknown);

  ASSERT_TRUE(service_->DeleteManifest(repo_, ByDigest(d)).has_value());
  EXPECT_EQ(service_->GetManifest(repo_, Tag("b")).error().code, ErrorCode::kManifestUnknown);
  EXPECT_EQ(service_->GetManifest(repo_, ByDigest(d)).error().code, ErrorCode::kManifestUnknown);
  EXPECT_TRUE(service_->ListTags(repo_, "", -1)->names.empty());
  EXPECT_EQ(service_->DeleteManifest(repo_, ByDigest(d)).error().code, ErrorCode::kManifestUnknown);
}

TEST_F(ContentServiceTest, IndexNeedsItsChildren) {
  std::string child = ImageManifest(repo_, "child");
  auto child_digest = *Digest::Parse(Sha256Digest(child));
  std::string index =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" +
      Desc(kOciManifestType, child_digest, child.size()) + "]}";

  auto early = service_->PutManifest(repo_, Tag("multi"), index, kOciIndexType);
  ASSERT_FALSE(early.has_value());
  EXPECT_EQ(early.error().code, ErrorCode::kManifestBlobUnknown);
  EXPECT_NE(early.error().message.find(child_digest.str()), std::string::npos);

  Put(repo_, ByDigest(child_digest), child);
  auto put = service_->PutManifest(repo_, Tag("multi"), index, kOciIndexType);
  ASSERT_TRUE(put.has_value()) << put.error().message;
  EXPECT_EQ(service_->GetManifest(repo_, Tag("multi"))->media_type, kOciIndexType);
}

TEST_F(ContentServiceTest, ReferrersWithFilter) {
  std::string image = ImageManifest(repo_, "subject");
  Digest subject = Put(repo_, Tag("v1"), image);
  const std::string subject_desc = Desc(kOciManifestType, subject, image.size());

  Digest empty = PushBlob(repo_, "{}");
  auto artifact = [&](std::string_view type, std::string_view note) {
    return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
           R"("artifactType":")" +
           std::string(type) + R"(","config":)" +
           Desc("application/vnd.oci.empty.v1+json", empty, 2) + R"(,"layers":[],"subject":)" +
           subject_desc + R"(,"annotations":{"note":")" + std::string(note) + R"("}})";
  };
  auto sbom = service_->PutManifest(
      repo_, ByDigest(*Digest::Parse(Sha256Digest(artifact("application/vnd.example.sbom", "s")))),
      artifact("application/vnd.example.sbom", "s"), kOciManifestType);
  ASSERT_TRUE(sbom.has_value()) << sbom.error().message;
  EXPECT_EQ(sbom->subject, subject.str());
  std::string sig = artifact("application/vnd.example.sig", "g");
  Put(repo_, ByDigest(*Digest::Parse(Sha256Digest(sig))), sig);

  auto all = service_->Referrers(repo_, subject);
  ASSERT_TRUE(all.has_value()) << all.error().message;
  EXPECT_FALSE(all->filter_applied);
  auto json = nlohmann::json::parse(all->index_json);
  EXPECT_EQ(json["schemaVersion"], 2);
  EXPECT_EQ(json["mediaType"], kOciIndexType);
  ASSERT_EQ(json["manifests"].size(), 2u);
  for (const auto& d : json["manifests"]) {
    EXPECT_EQ(d["mediaType"], kOciManifestType);
    EXPECT_TRUE(d.contains("digest"));
    EXPECT_TRUE(d["size"].is_number_integer());
    EXPECT_TRUE(d["annotations"].contains("note"));
  }

  auto filtered = service_->Referrers(repo_, subject, "application/vnd.example.sbom");
  ASSERT_TRUE(filtered.has_value());
  EXPECT_TRUE(filtered->filter_applied);
  auto fjson = nlohmann::json::parse(filtered->index_json);
  ASSERT_EQ(fjson["manifests"].size(), 1u);
  EXPECT_EQ(fjson["manifests"][0]["digest"], sbom->digest.str());
  EXPECT_EQ(fjson["manifests"][0]["artifactType"], "application/vnd.example.sbom");
  EXPECT_EQ(fjson["manifests"][0]["annotations"]["note"], "s");

  auto none = service_->Referrers(repo_, *Digest::Parse(Sha256Digest("no such subject")));
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(nlohmann::json::parse(none->index_json)["manifests"].empty());
}

TEST_F(ContentServiceTest, SubjectMayBeAbsent) {
  Digest empty = PushBlob(repo_, "{}");
  auto missing_subject = *Digest::Parse(Sha256Digest("pushed later"));
  std::string bytes = R"({"schemaVersion":2,"artifactType":"application/x.sig","config":)" +
                      Desc("application/vnd.oci.empty.v1+json", empty, 2) +
                      R"(,"layers":[],"subject":)" + Desc(kOciManifestType, missing_subject, 10) +
                      "}";
  auto put = service_->PutManifest(repo_, Tag("sig"), bytes, kOciManifestType);
  ASSERT_TRUE(put.has_value()) << put.error().message;
  EXPECT_EQ(put->subject, missing_subject.str());
  auto refs = service_->Referrers(repo_, missing_subject);
  EXPECT_EQ(nlohmann::json::parse(refs->index_json)["manifests"].size(), 1u);
}

TEST_F(ContentServiceTest, TagAndCatalogPaging) {
  std::string bytes = ImageManifest(repo_, "p");
  for (const char* t : {"c", "a", "b"}) Put(repo_, Tag(t), bytes);

  auto first = service_->ListTags(repo_, "", 2);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->names, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(first->more);
  auto rest = service_->ListTags(repo_, "b", 2);
  EXPECT_EQ(rest->names, std::vector<std::string>{"c"});
  EXPECT_FALSE(rest->more);
  EXPECT_EQ(service_->ListTags(repo_, "", -1)->names.size(), 3u);

  ASSERT_TRUE(service_->ResolveRepository("library/zeta", true).has_value());
  auto catalog = service_->Catalog("", 1);
  ASSERT_TRUE(catalog.has_value());
  EXPECT_EQ(catalog->names, std::vector<std::string>{"library/app"});
  EXPECT_TRUE(catalog->more);
  auto all = service_->Catalog("", -1);
  EXPECT_EQ(all->names, (std::vector<std::string>{"library/app", "library/zeta"}));
}

TEST_F(ContentServiceTest, ForeignLayersNeedNotBePresent) {
  Digest c = PushBlob(repo_, "cfg");
  auto foreign = *Digest::Parse(Sha256Digest("windows base layer"));
  std::string bytes =
      R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
      R"("config":)" +
      Desc("application/vnd.docker.container.image.v1+json", c, 3) +
      R"(,"layers":[{"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",)"
      R"("digest":")" +
      foreign.str() + R"(","size":123,"urls":["https://example.com/layer"]}]})";
  auto put = service_->PutManifest(repo_, Tag("win"), bytes, kDockerManifestType);
  ASSERT_TRUE(put.has_value()) << put.error().message;
  EXPECT_EQ(service_->GetManifest(repo_, Tag("win"))->media_type, kDockerManifestType);
}

TEST_F(ContentServiceTest, SchemaOneIsRefused) {
  auto put =
      service_->PutManifest(repo_, Tag("old"), R"({"schemaVersion":1})", kDockerSchema1SignedType);
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().code, ErrorCode::kManifestInvalid);
  EXPECT_NE(put.error().message.find("schema 1"), std::string::npos);
}

// Records every listener call as one line.
class RecordingListener : public ContentListener {
 public:
  void ManifestPushed(std::string_view repository, std::string_view digest,
                      std::string_view tag) override {
    events.push_back("pushed " + std::string(repository) + " " + std::string(digest) + " " +
                     std::string(tag));
  }
  void ManifestDeleted(std::string_view repository, std::string_view digest,
                       const std::vector<std::string>& tags) override {
    std::string line = "deleted " + std::string(repository) + " " + std::string(digest);
    for (const auto& t : tags) line += " " + t;
    events.push_back(line);
  }
  void TagDeleted(std::string_view repository, std::string_view digest,
                  std::string_view tag) override {
    events.push_back("untagged " + std::string(repository) + " " + std::string(digest) + " " +
                     std::string(tag));
  }
  std::vector<std::string> events;
};

TEST_F(ContentServiceTest, ListenerHearsCommittedChangesOnly) {
  RecordingListener listener;
  service_->SetListener(&listener);
  std::string bytes = ImageManifest(repo_, "events");
  Digest d = Put(repo_, Tag("v1"), bytes);
  Put(repo_, Tag("v2"), bytes);
  Put(repo_, ByDigest(d), bytes);
  // A refused push and a failed delete say nothing.
  EXPECT_FALSE(service_->PutManifest(repo_, Tag("bad"), "{}", kOciManifestType).has_value());
  EXPECT_FALSE(service_->DeleteManifest(repo_, Tag("absent")).has_value());
  ASSERT_TRUE(service_->DeleteManifest(repo_, Tag("v2")).has_value());
  ASSERT_TRUE(service_->DeleteManifest(repo_, ByDigest(d)).has_value());
  const std::string r = "library/app ";
  EXPECT_EQ(listener.events, (std::vector<std::string>{
                                 "pushed " + r + d.str() + " v1",
                                 "pushed " + r + d.str() + " v2",
                                 "pushed " + r + d.str() + " ",
                                 "untagged " + r + d.str() + " v2",
                                 "deleted " + r + d.str() + " v1",
                             }));
  service_->SetListener(nullptr);
}

}  // namespace
}  // namespace berth::content
