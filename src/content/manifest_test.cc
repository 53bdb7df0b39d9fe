#include "content/manifest.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth::content {
namespace {

const std::string kA = "sha256:" + std::string(64, 'a');
const std::string kB = "sha256:" + std::string(64, 'b');
const std::string kC = "sha256:" + std::string(64, 'c');

std::string Desc(std::string_view media_type, const std::string& digest, int64_t size) {
  return R"({"mediaType":")" + std::string(media_type) + R"(","digest":")" + digest +
         R"(","size":)" + std::to_string(size) + "}";
}

std::string OciManifest(const std::string& extra = "") {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
         R"("config":)" +
         Desc("application/vnd.oci.image.config.v1+json", kA, 10) + R"(,"layers":[)" +
         Desc("application/vnd.oci.image.layer.v1.tar+gzip", kB, 20) + "]" + extra + "}";
}

struct GoodCase {
  std::string name;
  std::string body;
  std::string content_type;
  std::string want_media_type;
  std::string want_artifact_type;
  size_t want_blobs;
  size_t want_manifests;
  bool want_subject;
};

class GoodManifestTest : public ::testing::TestWithParam<GoodCase> {};

TEST_P(GoodManifestTest, Parses) {
  const auto& c = GetParam();
  auto parsed = ParseManifest(c.body, c.content_type);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(parsed->media_type, c.want_media_type);
  EXPECT_EQ(parsed->artifact_type, c.want_artifact_type);
  EXPECT_EQ(parsed->blobs.size(), c.want_blobs);
  EXPECT_EQ(parsed->manifests.size(), c.want_manifests);
  EXPECT_EQ(parsed->subject.has_value(), c.want_subject);
}

INSTANTIATE_TEST_SUITE_P(
    All, GoodManifestTest,
    ::testing::Values(
        GoodCase{"oci_manifest", OciManifest(), std::string(kOciManifestType),
                 std::string(kOciManifestType), "application/vnd.oci.image.config.v1+json", 2, 0,
                 false},
        GoodCase{"oci_manifest_content_type_with_params", OciManifest(),
                 "Application/vnd.oci.image.manifest.v1+json; charset=utf-8",
                 std::string(kOciManifestType), "application/vnd.oci.image.config.v1+json", 2, 0,
                 false},
        GoodCase{"oci_manifest_generic_content_type", OciManifest(), "application/json",
                 std::string(kOciManifestType), "application/vnd.oci.image.config.v1+json", 2, 0,
                 false},
        GoodCase{"oci_manifest_without_body_media_type",
                 R"({"schemaVersion":2,"config":)" +
                     Desc("application/vnd.oci.image.config.v1+json", kA, 10) + R"(,"layers":[]})",
                 std::string(kOciManifestType), std::string(kOciManifestType),
                 "application/vnd.oci.image.config.v1+json", 1, 0, false},
        GoodCase{"oci_artifact_with_subject_and_annotations",
                 R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                 R"("artifactType":"application/vnd.example.sbom.v1","config":)" +
                     Desc("application/vnd.oci.empty.v1+json", kA, 2) + R"(,"layers":[],)" +
                     R"("subject":)" + Desc(kOciManifestType, kC, 100) +
                     R"(,"annotations":{"org.example":"x"}})",
                 std::string(kOciManifestType), std::string(kOciManifestType),
                 "application/vnd.example.sbom.v1", 1, 0, true},
        GoodCase{"oci_index",
                 R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
                 R"("manifests":[)" +
                     Desc(kOciManifestType, kA, 5) + "," + Desc(kOciManifestType, kB, 6) + "]}",
                 std::string(kOciIndexType), std::string(kOciIndexType), "", 0, 2, false},
        GoodCase{"oci_index_with_artifact_type_and_platform",
                 R"({"schemaVersion":2,"artifactType":"application/x.t","manifests":[)"
                 R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
                     kA + R"(","size":5,"platform":{"os":"linux","architecture":"amd64"}}]})",
                 std::string(kOciIndexType), std::string(kOciIndexType), "application/x.t", 0, 1,
                 false},
        GoodCase{"docker_schema2",
                 R"({"schemaVersion":2,"mediaType":")" + std::string(kDockerManifestType) +
                     R"(","config":)" +
                     Desc("application/vnd.docker.container.image.v1+json", kA, 10) +
                     R"(,"layers":[)" +
                     Desc("application/vnd.docker.image.rootfs.diff.tar.gzip", kB, 20) + "," +
                     Desc("application/vnd.docker.image.rootfs.diff.tar.gzip", kC, 30) + "]}",
                 std::string(kDockerManifestType), std::string(kDockerManifestType),
                 "application/vnd.docker.container.image.v1+json", 3, 0, false},
        GoodCase{"docker_manifest_list",
                 R"({"schemaVersion":2,"mediaType":")" + std::string(kDockerManifestListType) +
                     R"(","manifests":[)" + Desc(kDockerManifestType, kA, 5) + "]}",
                 "", std::string(kDockerManifestListType), "", 0, 1, false},
        GoodCase{"unknown_type_shaped_like_oci_manifest",
                 R"({"schemaVersion":2,"config":)" + Desc("application/x.cfg", kA, 1) +
                     R"(,"layers":[]})",
                 "", std::string(kOciManifestType), "application/x.cfg", 1, 0, false},
        GoodCase{"unknown_header_type_accepted_as_oci",
                 R"({"schemaVersion":2,"config":)" + Desc("application/x.cfg", kA, 1) +
                     R"(,"layers":[]})",
                 "application/vnd.example.thing+json", std::string(kOciManifestType),
                 "application/x.cfg", 1, 0, false},
        GoodCase{"no_type_index_shape",
                 R"({"schemaVersion":2,"manifests":[)" + Desc(kOciManifestType, kA, 5) + "]}", "",
                 std::string(kOciIndexType), "", 0, 1, false},
        GoodCase{"large_size_and_null_annotations",
                 R"({"schemaVersion":2,"config":)" + Desc("application/x.cfg", kA, 1) +
                     R"(,"layers":[)" + Desc("application/x.l", kB, 9000000000000LL) +
                     R"(],"annotations":null})",
                 std::string(kOciManifestType), std::string(kOciManifestType), "application/x.cfg",
                 2, 0, false}),
    [](const auto& info) { return info.param.name; });

struct BadCase {
  std::string name;
  std::string body;
  std::string content_type;
  std::vector<std::string> message_contains;  // each must appear in the error message
};

class BadManifestTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadManifestTest, IsRefusedWithHelpfulMessage) {
  const auto& c = GetParam();
  auto parsed = ParseManifest(c.body, c.content_type);
  ASSERT_FALSE(parsed.has_value()) << c.name;
  EXPECT_EQ(parsed.error().code, ErrorCode::kManifestInvalid);
  EXPECT_EQ(parsed.error().wire(), "MANIFEST_INVALID");
  for (const auto& needle : c.message_contains) {
    EXPECT_NE(parsed.error().message.find(needle), std::string::npos)
        << "message \"" << parsed.error().message << "\" lacks \"" << needle << "\"";
  }
}

const std::string kOciCt(kOciManifestType);

INSTANTIATE_TEST_SUITE_P(
    All, BadManifestTest,
    ::testing::Values(
        BadCase{"not_json", "hello world", kOciCt, {"not valid JSON", "Content-Type"}},
        BadCase{"truncated_json", OciManifest().substr(0, 40), kOciCt, {"not valid JSON"}},
        BadCase{"json_array", "[1,2]", kOciCt, {"JSON object", "schemaVersion 2"}},
        BadCase{"schema1_content_type",
                R"({"schemaVersion":1,"name":"x"})",
                std::string(kDockerSchema1Type),
                {"schema 1", "skopeo copy --format v2s2"}},
        BadCase{"schema1_signed_content_type",
                R"({"schemaVersion":1})",
                std::string(kDockerSchema1SignedType),
                {"schema 1", "skopeo"}},
        BadCase{"schema1_body_only",
                R"({"schemaVersion":1,"name":"x","fsLayers":[]})",
                "",
                {"schema 1", "Docker schema 2 or OCI"}},
        BadCase{"schema_version_3",
                R"({"schemaVersion":3,"config":{},"layers":[]})",
                kOciCt,
                {"\"schemaVersion\": 2", "3"}},
        BadCase{"schema_version_missing",
                R"({"config":{},"layers":[]})",
                kOciCt,
                {"schemaVersion", "none"}},
        BadCase{"media_type_mismatch",
                OciManifest(),
                std::string(kDockerManifestType),
                {"differs from the Content-Type", std::string(kOciManifestType)}},
        BadCase{"media_type_not_string",
                R"({"schemaVersion":2,"mediaType":5,"config":{},"layers":[]})",
                kOciCt,
                {"mediaType", "must be a string"}},
        BadCase{"unknown_type_unknown_shape",
                R"({"schemaVersion":2,"foo":1})",
                "application/x.foo",
                {"unsupported manifest media type", "application/x.foo",
                 std::string(kOciManifestType)}},
        BadCase{"unknown_body_media_type",
                R"({"schemaVersion":2,"mediaType":"application/x-bogus","config":)" +
                    Desc("application/x", kA, 1) + R"(,"layers":[]})",
                "application/x-bogus",
                {"unsupported manifest media type", "application/x-bogus",
                 std::string(kDockerManifestType)}},
        BadCase{"no_type_no_shape", R"({"schemaVersion":2})", "", {"(none)", "mediaType"}},
        BadCase{"missing_config",
                R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                R"("layers":[]})",
                kOciCt,
                {"\"config\""}},
        BadCase{"missing_layers",
                R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                R"("config":)" +
                    Desc("application/x", kA, 1) + "}",
                kOciCt,
                {"\"layers\" array"}},
        BadCase{
            "layers_not_array",
            R"({"schemaVersion":2,"config":)" + Desc("application/x", kA, 1) + R"(,"layers":{}})",
            kOciCt,
            {"\"layers\" array"}},
        BadCase{"layer_bad_digest",
                R"({"schemaVersion":2,"config":)" + Desc("application/x", kA, 1) +
                    R"(,"layers":[)" + Desc("application/x", "sha256:xyz", 1) + "]}",
                kOciCt,
                {"layers[0]", "invalid digest", "sha256:xyz"}},
        BadCase{"layer_missing_digest",
                R"({"schemaVersion":2,"config":)" + Desc("application/x", kA, 1) +
                    R"(,"layers":[{"mediaType":"application/x","size":1}]})",
                kOciCt,
                {"layers[0]", "\"digest\""}},
        BadCase{
            "config_negative_size",
            R"({"schemaVersion":2,"config":)" + Desc("application/x", kA, -1) + R"(,"layers":[]})",
            kOciCt,
            {"config", "non-negative integer"}},
        BadCase{"layer_float_size",
                R"({"schemaVersion":2,"config":)" + Desc("application/x", kA, 1) +
                    R"(,"layers":[{"mediaType":"application/x","digest":")" + kB +
                    R"(","size":1.5}]})",
                kOciCt,
                {"layers[0]", "size"}},
        BadCase{"layer_missing_media_type",
                R"({"schemaVersion":2,"config":)" + Desc("application/x", kA, 1) +
                    R"(,"layers":[{"digest":")" + kB + R"(","size":1}]})",
                kOciCt,
                {"layers[0]", "\"mediaType\""}},
        BadCase{"layer_not_object",
                R"({"schemaVersion":2,"config":)" + Desc("application/x", kA, 1) +
                    R"(,"layers":["x"]})",
                kOciCt,
                {"layers[0]", "descriptor object"}},
        BadCase{"index_missing_manifests",
                R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json"})",
                std::string(kOciIndexType),
                {"\"manifests\" array"}},
        BadCase{"index_bad_child",
                R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
                R"("manifests":[{"mediaType":"x","digest":"md5:00","size":1}]})",
                std::string(kOciIndexType),
                {"manifests[0]", "digest"}},
        BadCase{"index_with_layers",
                R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
                R"("manifests":[],"layers":[]})",
                std::string(kOciIndexType),
                {"must not have", "image manifest"}},
        BadCase{"manifest_with_manifests",
                OciManifest(R"(,"manifests":[])"),
                kOciCt,
                {"must not have \"manifests\"", std::string(kOciIndexType)}},
        BadCase{"bad_subject",
                OciManifest(R"(,"subject":{"mediaType":"x"})"),
                kOciCt,
                {"subject", "digest"}},
        BadCase{"annotation_not_string",
                OciManifest(R"(,"annotations":{"a":1})"),
                kOciCt,
                {"annotation \"a\"", "string"}},
        BadCase{"artifact_type_not_string",
                OciManifest(R"(,"artifactType":7)"),
                kOciCt,
                {"artifactType", "string"}}),
    [](const auto& info) { return info.param.name; });

TEST(ManifestTest, CollectsDescriptorDetails) {
  std::string body =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":)" +
      Desc("application/vnd.oci.image.config.v1+json", kA, 10) +
      R"(,"layers":[{"mediaType":"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",)"
      R"("digest":")" +
      kB + R"(","size":20,"urls":["https://example.com/l"]}],)" + R"("subject":)" +
      Desc(kOciManifestType, kC, 7) + R"(,"annotations":{"k":"v"}})";
  auto parsed = ParseManifest(body, kOciManifestType);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  ASSERT_EQ(parsed->blobs.size(), 2u);
  EXPECT_EQ(parsed->blobs[0].digest.str(), kA);
  EXPECT_EQ(parsed->blobs[0].size, 10);
  EXPECT_FALSE(IsForeignLayer(parsed->blobs[0]));
  EXPECT_TRUE(IsForeignLayer(parsed->blobs[1]));
  ASSERT_TRUE(parsed->subject.has_value());
  EXPECT_EQ(parsed->subject->digest.str(), kC);
  EXPECT_EQ(parsed->annotations.at("k"), "v");
  EXPECT_FALSE(parsed->is_index());
}

TEST(ManifestTest, MediaTypePredicates) {
  EXPECT_TRUE(IsManifestMediaType(kDockerManifestType));
  EXPECT_FALSE(IsManifestMediaType(kDockerSchema1Type));
  EXPECT_TRUE(IsIndexMediaType(kDockerManifestListType));
  EXPECT_FALSE(IsIndexMediaType(kOciManifestType));
}

}  // namespace
}  // namespace berth::content
