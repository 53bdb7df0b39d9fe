// /projects/{project_name}/repositories/{repository_name}/artifacts[/{reference}[/tags]].
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <tuple>

#include "api/api_service.h"
#include "api/json_io.h"
#include "common/names.h"

namespace berth::api {
namespace {

constexpr std::string_view kZeroTime = "0001-01-01T00:00:00.000Z";

bool IsIndex(std::string_view media_type) {
  return media_type == "application/vnd.oci.image.index.v1+json" ||
         media_type == "application/vnd.docker.distribution.manifest.list.v2+json";
}

// The artifact's media type as Harbor gives it: an index's own, else the config's (the
// manifest `doc`'s config.mediaType), else what the store knows.
std::string ShownMediaType(const metadata::Artifact& a, const nlohmann::json& doc) {
  if (IsIndex(a.media_type)) return a.media_type;
  if (doc.is_object()) {
    if (auto config = doc.find("config"); config != doc.end() && config->is_object()) {
      if (auto type = config->find("mediaType"); type != config->end() && type->is_string()) {
        return type->get<std::string>();
      }
    }
  }
  return a.artifact_type.empty() ? a.media_type : a.artifact_type;
}

// Harbor's artifact type: IMAGE for container images and image indexes, CHART for Helm
// charts, UNKNOWN for other OCI artifacts (signatures, SBOMs, ...).
std::string_view ArtifactKind(const metadata::Artifact& a) {
  if (IsIndex(a.media_type)) return "IMAGE";
  if (a.artifact_type == "application/vnd.oci.image.config.v1+json" ||
      a.artifact_type == "application/vnd.docker.container.image.v1+json" ||
      a.media_type == "application/vnd.docker.distribution.manifest.v1+json" ||
      a.media_type == "application/vnd.docker.distribution.manifest.v1+prettyjws") {
    return "IMAGE";
  }
  if (a.artifact_type == "application/vnd.cncf.helm.config.v1+json") return "CHART";
  return "UNKNOWN";
}

nlohmann::json TagJson(std::string_view name, const metadata::Artifact& a) {
  // The stores expose tag names only; the id is unknown here and reported as 0.
  return {{"id", 0},           {"repository_id", a.repository_id}, {"artifact_id", a.id},
          {"name", name},      {"push_time", a.push_time},         {"pull_time", kZeroTime},
          {"immutable", false}};
}

}  // namespace

Result<nlohmann::json> ApiService::ArtifactJson(const metadata::Artifact& a,
                                                const metadata::Repository& repo) {
  nlohmann::json tags = nlohmann::json::array();
  for (const auto& t : a.tags) tags.push_back(TagJson(t, a));
  // Annotations and, for indexes, the children come from the stored manifest itself.
  nlohmann::json annotations = nlohmann::json::object();
  nlohmann::json references = nullptr;
  int64_t size = a.size;
  auto manifest = content_.GetManifest(repo, Reference{a.digest, true});
  if (!manifest) return Fail(manifest.error());
  auto doc = nlohmann::json::parse(manifest->bytes, nullptr, /*allow_exceptions=*/false);
  std::string media_type = ShownMediaType(a, doc);
  if (doc.is_object()) {
    if (auto it = doc.find("annotations"); it != doc.end() && it->is_object()) {
      annotations = *it;
    }
    // An image's size, as Harbor gives it: the manifest with its config and layers.
    auto add_size = [&](const nlohmann::json& descriptor) {
      if (descriptor.is_object() &&
          descriptor.value("size", nlohmann::json()).is_number_integer()) {
        size += descriptor["size"].get<int64_t>();
      }
    };
    if (auto config = doc.find("config"); config != doc.end()) add_size(*config);
    if (auto layers = doc.find("layers"); layers != doc.end() && layers->is_array()) {
      for (const auto& layer : *layers) add_size(layer);
    }
    if (auto children = doc.find("manifests");
        IsIndex(a.media_type) && children != doc.end() && children->is_array()) {
      references = nlohmann::json::array();
      for (const auto& child : *children) {
        if (!child.is_object() || !child.contains("digest") || !child["digest"].is_string()) {
          continue;
        }
        std::string child_digest = child["digest"].get<std::string>();
        auto found = artifacts_.GetArtifact(repo.id, child_digest);
        if (!found) return Fail(found.error());
        nlohmann::json ref = {{"parent_id", a.id},
                              {"child_id", *found ? (*found)->id : 0},
                              {"child_digest", child_digest}};
        if (auto platform = child.find("platform"); platform != child.end()) {
          ref["platform"] = *platform;
        }
        if (auto ann = child.find("annotations"); ann != child.end()) ref["annotations"] = *ann;
        if (auto urls = child.find("urls"); urls != child.end()) ref["urls"] = *urls;
        references.push_back(std::move(ref));
      }
    }
  }

  return nlohmann::json{
      {"id", a.id},
      {"type", ArtifactKind(a)},
      {"media_type", media_type},
      {"manifest_media_type", a.media_type},
      {"artifact_type", a.artifact_type},
      {"project_id", repo.project_id},
      {"repository_id", repo.id},
      {"repository_name", repo.name},
      {"digest", a.digest},
      {"size", size},
      {"icon", ""},
      {"push_time", a.push_time},
      {"pull_time", a.pull_time.empty() ? kZeroTime : a.pull_time},
      {"extra_attrs", nlohmann::json::object()},
      {"annotations", std::move(annotations)},
      {"references", std::move(references)},
      {"tags", tags.empty() ? nlohmann::json() : tags},
      {"addition_links", nlohmann::json::object()},
      {"labels", nullptr},
      {"accessories", nullptr},
  };
}

namespace {

// The artifact `reference` (tag or digest) names in the repository, with its tags.
Result<metadata::Artifact> ResolveArtifact(metadata::ArtifactStore& artifacts,
                                           const metadata::Repository& repo,
                                           std::string_view reference) {
  auto ref = ParseReference(reference);
  if (!ref) return Fail(ErrorCode::kBadRequest, ref.error().message);
  auto found = ref->is_digest ? artifacts.GetArtifact(repo.id, ref->text)
                              : artifacts.GetArtifactByTag(repo.id, ref->text);
  if (!found) return Fail(found.error());
  if (!*found) {
    return Fail(ErrorCode::kNotFound, fmt::format("artifact {}{}{} not found", repo.name,
                                                  ref->is_digest ? "@" : ":", ref->text));
  }
  // The store fills the artifact's tags, in lexical order.
  return std::move(**found);
}

// The label ids of a `labels=(1 2)` / `labels=(1,2)` / `labels=1` term in Harbor's `q`
// (an artifact must carry all of them); other terms are ignored. nullopt when there is
// no labels term.
Result<std::optional<std::vector<int64_t>>> LabelFilter(std::string_view q) {
  size_t at = 0;
  while (at < q.size()) {
    size_t start = at;
    if (q.substr(start).starts_with("labels=")) {
      std::string_view rest = q.substr(start + 7);
      std::string_view list;
      if (rest.starts_with('(')) {
        auto close = rest.find(')');
        if (close == std::string_view::npos) {
          return Fail(ErrorCode::kBadRequest, "unterminated labels=( in q");
        }
        list = rest.substr(1, close - 1);
      } else {
        list = rest.substr(0, rest.find(','));
      }
      std::vector<int64_t> ids;
      size_t i = 0;
      while (i <= list.size()) {
        size_t end = list.find_first_of(" ,", i);
        if (end == std::string_view::npos) end = list.size();
        std::string_view item = list.substr(i, end - i);
        if (!item.empty()) {
          auto id = ParseInt(item);
          if (!id) {
            return Fail(ErrorCode::kBadRequest, fmt::format("invalid label id in q: {}", item));
          }
          ids.push_back(*id);
        }
        i = end + 1;
      }
      return std::optional(std::move(ids));
    }
    // Skip to the next term, stepping over a parenthesised or braced list.
    while (at < q.size() && q[at] != ',') {
      if (q[at] == '(' || q[at] == '{') {
        char close = q[at] == '(' ? ')' : '}';
        auto end = q.find(close, at);
        at = end == std::string_view::npos ? q.size() : end;
      }
      ++at;
    }
    ++at;
  }
  return std::optional<std::vector<int64_t>>();
}

// Harbor's `base=*` term in q: list an index's untagged children too.
// Deletes manifest `digest` of `repo` when it is untagged and no index references it,
// then its own children the same way: what goes with a deleted index, as in Harbor.
Status DeleteOrphan(metadata::ArtifactStore& artifacts, content::ContentService& content,
                    const metadata::Repository& repo, const std::string& digest) {
  auto artifact = artifacts.GetArtifact(repo.id, digest);
  if (!artifact) return Fail(artifact.error());
  if (!artifact->has_value() || !(*artifact)->tags.empty()) return Ok();
  auto referenced = artifacts.IsReferencedByIndex(repo.id, digest);
  if (!referenced) return Fail(referenced.error());
  if (*referenced) return Ok();
  auto children = artifacts.ChildManifests((*artifact)->id);
  if (!children) return Fail(children.error());
  BERTH_TRY(content.DeleteManifest(repo, Reference{digest, true}));
  for (const auto& child : *children) BERTH_TRY(DeleteOrphan(artifacts, content, repo, child));
  return Ok();
}

bool ListsAllBases(std::string_view q) {
  for (size_t at = 0; at <= q.size();) {
    size_t end = std::min(q.find(',', at), q.size());
    std::string_view term = q.substr(at, end - at);
    while (term.starts_with(' ')) term.remove_prefix(1);
    while (term.ends_with(' ')) term.remove_suffix(1);
    if (term == "base=*") return true;
    at = end + 1;
  }
  return false;
}

// Every artifact of the repository, newest first (top-level ones only with `top_level`).
Result<std::vector<metadata::Artifact>> AllArtifacts(metadata::ArtifactStore& artifacts,
                                                     int64_t repository_id, bool top_level) {
  std::vector<metadata::Artifact> all;
  constexpr int64_t kBatch = 500;
  for (int64_t n = 1;; ++n) {
    auto batch = artifacts.ListArtifacts(repository_id, metadata::Page{n, kBatch}, top_level);
    if (!batch) return Fail(batch.error());
    size_t got = batch->items.size();
    for (auto& a : batch->items) all.push_back(std::move(a));
    if (got < static_cast<size_t>(kBatch) || static_cast<int64_t>(all.size()) >= batch->total) {
      break;
    }
  }
  return all;
}

// The terms of `q` that filter on an artifact's own fields (media_type, artifact_type,
// digest, as the artifact JSON shows them); labels= and base= are read elsewhere.
Result<std::vector<QueryTerm>> ArtifactFieldTerms(std::string_view q) {
  std::vector<QueryTerm> terms;
  size_t at = 0;
  while (at < q.size()) {
    size_t end = at;
    while (end < q.size() && q[end] != ',') {
      if (q[end] == '(' || q[end] == '{') {
        auto close = q.find(q[end] == '(' ? ')' : '}', end);
        end = close == std::string_view::npos ? q.size() - 1 : close;
      }
      ++end;
    }
    std::string_view term = q.substr(at, end - at);
    at = end + 1;
    while (term.starts_with(' ')) term.remove_prefix(1);
    if (term.empty() || term.starts_with("labels=") || term.starts_with("base=")) continue;
    auto parsed = ParseQ(term);
    if (!parsed) return Fail(parsed.error());
    for (auto& t : *parsed) {
      if (t.key != "media_type" && t.key != "artifact_type" && t.key != "digest") {
        return Fail(ErrorCode::kBadRequest,
                    fmt::format("q key {} is not supported here: use media_type, artifact_type, "
                                "digest, labels or base",
                                t.key));
      }
      terms.push_back(std::move(t));
    }
  }
  return terms;
}

// `media_type_of` gives the media type the artifact JSON shows (it reads the manifest).
template <typename MediaTypeOf>
bool MatchesTerms(const metadata::Artifact& a, const std::vector<QueryTerm>& terms,
                  MediaTypeOf media_type_of) {
  return std::all_of(terms.begin(), terms.end(), [&](const QueryTerm& t) {
    std::string value = t.key == "media_type"      ? media_type_of(a)
                        : t.key == "artifact_type" ? a.artifact_type
                                                   : a.digest;
    return t.fuzzy ? value.find(t.value) != std::string::npos : value == t.value;
  });
}

}  // namespace

Result<metadata::Artifact> ApiService::FindArtifact(const metadata::Repository& repo,
                                                    std::string_view reference) {
  return ResolveArtifact(artifacts_, repo, reference);
}

Result<http::Response> ApiService::ArtifactPage(
    const Call& call, std::vector<metadata::Artifact> items, const metadata::Page& page,
    int64_t total,
    const std::function<const metadata::Repository&(const metadata::Artifact&)>& repo_of) {
  auto with_tag = QueryBool(call.request, "with_tag");
  if (!with_tag) return Fail(with_tag.error());
  auto with_label = QueryBool(call.request, "with_label");
  if (!with_label) return Fail(with_label.error());
  nlohmann::json out = nlohmann::json::array();
  for (auto& artifact : items) {
    if (!with_tag->value_or(true)) artifact.tags.clear();
    auto j = ArtifactJson(artifact, repo_of(artifact));
    if (!j) return Fail(j.error());
    if (with_label->value_or(false)) {
      auto labels = ArtifactLabelsJson(artifact.id);
      if (!labels) return Fail(labels.error());
      (*j)["labels"] = std::move(*labels);
    }
    out.push_back(std::move(*j));
  }
  auto response = ToJsonResponse(200, out);
  SetPagingHeaders(response, call.path, call.request.query, page, total);
  return response;
}

Result<http::Response> ApiService::ListArtifacts(Call& call) {
  metadata::Project project;
  auto repo = FindRepository(call, project);
  if (!repo) return Fail(repo.error());
  auto page = ParsePage(call.request.query);
  if (!page) return Fail(page.error());
  const std::string_view q = call.request.Query("q").value_or("");
  auto label_ids = LabelFilter(q);
  if (!label_ids) return Fail(label_ids.error());
  const bool top_level = !ListsAllBases(q);
  metadata::PageResult<metadata::Artifact> list;
  if (*label_ids) {
    // Filtered in memory: every artifact of the repository, then the page.
    auto all = AllArtifacts(artifacts_, repo->id, top_level);
    if (!all) return Fail(all.error());
    auto kept = WithLabels(std::move(*all), **label_ids);
    if (!kept) return Fail(kept.error());
    list.total = static_cast<int64_t>(kept->size());
    list.items = Slice(std::move(*kept), *page);
  } else {
    auto got = artifacts_.ListArtifacts(repo->id, *page, top_level);
    if (!got) return Fail(got.error());
    list = std::move(*got);
  }
  return ArtifactPage(
      call, std::move(list.items), *page, list.total,
      [&](const metadata::Artifact&) -> const metadata::Repository& { return *repo; });
}

// Harbor's listArtifactsOfProject: the artifacts of every repository of the project,
// newest first, filtered by q (media_type, artifact_type, digest, labels, base) and, with
// latest_in_repository and a media_type or artifact_type term, only each repository's
// newest match.
Result<http::Response> ApiService::ListProjectArtifacts(Call& call) {
  auto project = FindProject(call, call.Param("project_name_or_id"));
  if (!project) return Fail(project.error());
  BERTH_TRY(RequireProjectRead(call, *project));
  auto page = ParsePage(call.request.query);
  if (!page) return Fail(page.error());
  const std::string_view q = call.request.Query("q").value_or("");
  auto label_ids = LabelFilter(q);
  if (!label_ids) return Fail(label_ids.error());
  auto terms = ArtifactFieldTerms(q);
  if (!terms) return Fail(terms.error());
  auto latest_q = QueryBool(call.request, "latest_in_repository");
  if (!latest_q) return Fail(latest_q.error());
  const bool latest_only = latest_q->value_or(false) &&
                           std::any_of(terms->begin(), terms->end(),
                                       [](const QueryTerm& t) { return t.key != "digest"; });

  auto repos = RepositoriesOf(project->id);
  if (!repos) return Fail(repos.error());
  std::vector<metadata::Artifact> found;
  for (const auto& repo : *repos) {
    auto all = AllArtifacts(artifacts_, repo.id, !ListsAllBases(q));
    if (!all) return Fail(all.error());
    auto media_type_of = [&](const metadata::Artifact& a) {
      auto manifest = content_.GetManifest(repo, Reference{a.digest, true});
      return ShownMediaType(
          a, manifest ? nlohmann::json::parse(manifest->bytes, nullptr, false) : nlohmann::json());
    };
    std::erase_if(
        *all, [&](const metadata::Artifact& a) { return !MatchesTerms(a, *terms, media_type_of); });
    if (*label_ids) {
      auto kept = WithLabels(std::move(*all), **label_ids);
      if (!kept) return Fail(kept.error());
      *all = std::move(*kept);
    }
    if (latest_only && all->size() > 1) all->resize(1);  // newest first already
    for (auto& a : *all) found.push_back(std::move(a));
  }
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return std::tie(a.push_time, a.id) > std::tie(b.push_time, b.id);
  });
  const auto total = static_cast<int64_t>(found.size());
  return ArtifactPage(call, Slice(std::move(found), *page), *page, total,
                      [&](const metadata::Artifact& a) -> const metadata::Repository& {
                        return *std::find_if(repos->begin(), repos->end(), [&](const auto& r) {
                          return r.id == a.repository_id;
                        });
                      });
}

Result<http::Response> ApiService::GetArtifact(Call& call) {
  metadata::Project project;
  auto repo = FindRepository(call, project);
  if (!repo) return Fail(repo.error());
  auto artifact = ResolveArtifact(artifacts_, *repo, call.Param("reference"));
  if (!artifact) return Fail(artifact.error());
  auto j = ArtifactJson(*artifact, *repo);
  if (!j) return Fail(j.error());
  auto with_label = QueryBool(call.request, "with_label");
  if (!with_label) return Fail(with_label.error());
  if (with_label->value_or(false)) {
    auto labels = ArtifactLabelsJson(artifact->id);
    if (!labels) return Fail(labels.error());
    (*j)["labels"] = std::move(*labels);
  }
  return ToJsonResponse(200, *j);
}

Result<http::Response> ApiService::DeleteArtifact(Call& call) {
  metadata::Project project;
  auto repo = FindRepository(call, project);
  if (!repo) return Fail(repo.error());
  BERTH_TRY(AuthorizeOperation(call, project, *repo, auth::Action::kDelete, "delete",
                               "deleting an artifact"));
  auto artifact = ResolveArtifact(artifacts_, *repo, call.Param("reference"));
  if (!artifact) return Fail(artifact.error());
  // As Harbor: an index's child stays while the index does, and goes with it.
  auto referenced = artifacts_.IsReferencedByIndex(repo->id, artifact->digest);
  if (!referenced) return Fail(referenced.error());
  if (*referenced) {
    return Fail(ErrorCode::kPrecondition,
                fmt::format("artifact {} is referenced by an index in {}: delete the index, "
                            "and its untagged children go with it",
                            artifact->digest, repo->name));
  }
  auto children = artifacts_.ChildManifests(artifact->id);
  if (!children) return Fail(children.error());
  // By digest, so the artifact goes with every tag on it (Harbor semantics).
  BERTH_TRY(content_.DeleteManifest(*repo, Reference{artifact->digest, true}));
  for (const auto& child : *children) {
    BERTH_TRY(DeleteOrphan(artifacts_, content_, *repo, child));
  }
  return http::EmptyResponse(200);
}

Result<http::Response> ApiService::ListArtifactTags(Call& call) {
  metadata::Project project;
  auto repo = FindRepository(call, project);
  if (!repo) return Fail(repo.error());
  auto page = ParsePage(call.request.query);
  if (!page) return Fail(page.error());
  auto name = ParseNameFilter(call.request.query);
  if (!name) return Fail(name.error());
  auto artifact = ResolveArtifact(artifacts_, *repo, call.Param("reference"));
  if (!artifact) return Fail(artifact.error());
  std::vector<std::string> tags = artifact->tags;
  std::erase_if(tags, [&](const std::string& t) { return !name->Matches(t); });
  int64_t total = static_cast<int64_t>(tags.size());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& t : Slice(std::move(tags), *page)) items.push_back(TagJson(t, *artifact));
  auto response = ToJsonResponse(200, items);
  SetPagingHeaders(response, call.path, call.request.query, *page, total);
  return response;
}

// As Harbor: the tag must be new to the repository (409 otherwise; moving a tag is a push).
// The artifact's manifest is stored again under the tag, so the registry, replication's
// event triggers and the proxy-cache rules see it as they see a push by tag.
Result<http::Response> ApiService::CreateArtifactTag(Call& call) {
  metadata::Project project;
  auto repo = FindRepository(call, project);
  if (!repo) return Fail(repo.error());
  BERTH_TRY(AuthorizeOperation(call, project, *repo, auth::Action::kPush, kRobotTagCreate,
                               "creating a tag"));
  auto artifact = ResolveArtifact(artifacts_, *repo, call.Param("reference"));
  if (!artifact) return Fail(artifact.error());
  auto body = ParseJsonObject(call.body);
  if (!body) return Fail(body.error());
  auto name = OptString(*body, "name");
  if (!name) return Fail(name.error());
  if (!*name || (*name)->empty()) {
    return Fail(ErrorCode::kBadRequest, "name is required: the body is {\"name\": \"<tag>\"}");
  }
  const std::string& tag = **name;
  if (!IsValidTag(tag)) {
    return Fail(ErrorCode::kBadRequest,
                fmt::format("invalid tag name '{}': a tag is 1 to 128 letters, digits, '_', "
                            "'.' and '-', and does not start with '.' or '-'",
                            tag));
  }
  auto existing = artifacts_.GetArtifactByTag(repo->id, tag);
  if (!existing) return Fail(existing.error());
  if (*existing) {
    return Fail(ErrorCode::kConflict,
                fmt::format("tag {} already exists in {} (on {}); delete it first to move it", tag,
                            repo->name, (*existing)->digest));
  }
  auto manifest = content_.GetManifest(*repo, Reference{artifact->digest, true});
  if (!manifest) return Fail(manifest.error());
  auto put =
      content_.PutManifest(*repo, Reference{tag, false}, manifest->bytes, manifest->media_type);
  if (!put) return Fail(put.error());
  http::Response response = http::EmptyResponse(201);
  response.headers.Set("Location", CreatedLocation(call.path, std::string_view(tag)));
  return response;
}

Result<http::Response> ApiService::DeleteArtifactTag(Call& call) {
  metadata::Project project;
  auto repo = FindRepository(call, project);
  if (!repo) return Fail(repo.error());
  BERTH_TRY(AuthorizeOperation(call, project, *repo, auth::Action::kDelete, kRobotTagDelete,
                               "deleting a tag"));
  auto artifact = ResolveArtifact(artifacts_, *repo, call.Param("reference"));
  if (!artifact) return Fail(artifact.error());
  const std::string& tag = call.Param("tag_name");
  if (std::find(artifact->tags.begin(), artifact->tags.end(), tag) == artifact->tags.end()) {
    return Fail(ErrorCode::kNotFound, fmt::format("tag {} not found on artifact {}@{}", tag,
                                                  repo->name, artifact->digest));
  }
  BERTH_TRY(content_.DeleteManifest(*repo, Reference{tag, false}));
  return http::EmptyResponse(200);
}

}  // namespace berth::api
