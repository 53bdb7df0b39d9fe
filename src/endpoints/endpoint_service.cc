#include "endpoints/endpoint_service.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "metadata/timestamps.h"

namespace berth::endpoints {
namespace {

constexpr size_t kMaxNameLength = 64;
constexpr std::string_view kHealthy = "healthy";
constexpr std::string_view kUnhealthy = "unhealthy";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::unexpected<Error> BadUrl(std::string_view why) {
  return Fail(ErrorCode::kBadRequest, fmt::format("invalid URL: {}", why));
}

bool ValidHostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
         c == '~';
}

Status ValidatePort(std::string_view port) {
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return BadUrl(fmt::format("invalid port \"{}\"", port));
  }
  int value = std::stoi(std::string(port));
  if (value < 1 || value > 65535) return BadUrl(fmt::format("invalid port \"{}\"", port));
  return Ok();
}

Status ValidateAuthority(std::string_view authority) {
  if (authority.empty()) return BadUrl("missing host");
  if (authority.find('@') != std::string_view::npos) {
    return BadUrl("a user name or password in the URL is not allowed; use the credential fields");
  }
  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return BadUrl("unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) return BadUrl("unexpected text after the IPv6 address");
      port = rest.substr(1);
      has_port = true;
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.' || c == '%' ||
                 std::isalnum(static_cast<unsigned char>(c));
        })) {
      return BadUrl(fmt::format("invalid host \"{}\"", host));
    }
  } else {
    auto colon = authority.find(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      has_port = true;
    }
    if (host.empty()) return BadUrl("missing host");
    if (!std::all_of(host.begin(), host.end(), ValidHostChar)) {
      return BadUrl(fmt::format("invalid host \"{}\"", host));
    }
  }
  if (has_port) BERTH_TRY(ValidatePort(port));
  return Ok();
}

}  // namespace

Result<std::string> NormalizeUrl(std::string_view input) {
  std::string_view s = Trim(input);
  while (s.ends_with('/') && !s.ends_with("://")) s.remove_suffix(1);
  if (s.empty()) {
    return Fail(ErrorCode::kBadRequest,
                "url is required: give the registry's address, e.g. https://registry.example.com");
  }
  // Query and fragment never reach a remote (they could smuggle parameters).
  s = s.substr(0, s.find_first_of("?#"));
  std::string url(s);
  auto sep = url.find("://");
  if (sep == std::string::npos) {
    url = "https://" + url;
    sep = 5;
  }
  std::string scheme = url.substr(0, sep);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "http" && scheme != "https") {
    return Fail(ErrorCode::kBadRequest, fmt::format("invalid HTTP scheme: {}", scheme));
  }
  std::string_view rest = std::string_view(url).substr(sep + 3);
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  BERTH_TRY(ValidateAuthority(authority));
  for (char c : path) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return BadUrl("the path holds spaces or control characters");
    }
  }
  while (path.ends_with('/')) path.remove_suffix(1);
  return scheme + "://" + std::string(authority) + std::string(path);
}

Result<std::string> NormalizeCaCertificate(std::string_view pem) {
  std::string text;
  text.reserve(pem.size());
  for (size_t i = 0; i < pem.size(); ++i) {
    if (pem[i] == '\r' && i + 1 < pem.size() && pem[i + 1] == '\n') continue;
    text += pem[i];
  }
  text = std::string(Trim(text));
  if (text.empty()) return text;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), &BIO_free);
  if (!bio) return Fail(ErrorCode::kInternal, "out of memory");
  ERR_clear_error();
  int count = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_free(cert);
    ++count;
  }
  unsigned long err = ERR_peek_last_error();
  bool clean_end = ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
  std::string reason;
  if (err != 0 && !clean_end) {
    const char* r = ERR_reason_error_string(err);
    reason = r != nullptr ? r : "malformed PEM";
  }
  ERR_clear_error();
  if (!reason.empty()) {
    return Fail(ErrorCode::kBadRequest, fmt::format("invalid CA certificate: {}", reason));
  }
  if (count == 0) {
    return Fail(ErrorCode::kBadRequest,
                "invalid CA certificate: no PEM \"CERTIFICATE\" block found");
  }
  return text;
}

RegistryView ToView(const metadata::RegistryRecord& r) {
  return RegistryView{.id = r.id,
                      .name = r.name,
                      .url = r.url,
                      .type = r.type,
                      .description = r.description,
                      .credential_type = r.credential_type,
                      .access_key = r.access_key,
                      .has_secret = !r.access_secret.empty(),
                      .insecure = r.insecure,
                      .ca_certificate = r.ca_certificate,
                      .status = r.status,
                      .last_error = r.last_error,
                      .last_checked = r.last_checked,
                      .creation_time = r.creation_time,
                      .update_time = r.update_time};
}

EndpointService::EndpointService(metadata::RegistryStore& store, const SecretBox& secrets,
                                 const adapters::AdapterRegistry& adapters,
                                 adapters::AdapterDeps deps)
    : store_(store), secrets_(secrets), adapters_(adapters), deps_(std::move(deps)) {}

Result<metadata::RegistryRecord> EndpointService::Load(int64_t id) {
  if (id <= 0) return Fail(ErrorCode::kNotFound, fmt::format("registry {} not found", id));
  auto record = store_.Get(id);
  if (!record) return Fail(record.error());
  if (!*record) return Fail(ErrorCode::kNotFound, fmt::format("registry {} not found", id));
  return std::move(**record);
}

Result<adapters::Endpoint> EndpointService::Unseal(const metadata::RegistryRecord& r) const {
  adapters::Endpoint e{.id = r.id,
                       .name = r.name,
                       .type = r.type,
                       .url = r.url,
                       .credential_type = r.credential_type,
                       .access_key = r.access_key,
                       .access_secret = {},
                       .insecure = r.insecure,
                       .ca_certificate = r.ca_certificate};
  auto secret = secrets_.Open(r.access_secret);
  if (!secret) return Fail(secret.error());
  e.access_secret = std::move(*secret);
  return e;
}

Status EndpointService::Validate(adapters::Endpoint& e, bool check_name) const {
  if (check_name) {
    if (e.name.empty()) return Fail(ErrorCode::kBadRequest, "name cannot be empty");
    if (e.name.size() > kMaxNameLength) {
      return Fail(ErrorCode::kBadRequest,
                  fmt::format("the max length of name is {}", kMaxNameLength));
    }
  }
  const auto* registration = adapters_.Find(e.type);
  if (registration == nullptr) {
    std::string known;
    for (const auto& t : adapters_.Types()) known += (known.empty() ? "" : ", ") + t;
    return Fail(
        ErrorCode::kBadRequest,
        fmt::format("unsupported registry type \"{}\"; supported types: {}", e.type, known));
  }
  auto url = NormalizeUrl(e.url);
  if (!url) return Fail(url.error());
  e.url = std::move(*url);
  auto ca = NormalizeCaCertificate(e.ca_certificate);
  if (!ca) return Fail(ca.error());
  e.ca_certificate = std::move(*ca);
  if (e.access_key.empty()) {
    // As Harbor: a credential without an access key is not kept.
    e.credential_type.clear();
    e.access_secret.clear();
  } else {
    if (e.credential_type.empty()) e.credential_type = "basic";
    if (e.credential_type != "basic" && e.credential_type != "oauth") {
      return Fail(
          ErrorCode::kBadRequest,
          fmt::format("credential.type must be basic or oauth, not \"{}\"", e.credential_type));
    }
  }
  if (registration->validate_credential) BERTH_TRY(registration->validate_credential(e));
  return Ok();
}

Status EndpointService::CheckHealth(const adapters::Endpoint& e) const {
  // Test Connection answers with what it saw on one try: retrying a host that drops
  // packets would keep the person at the button waiting for minutes.
  adapters::AdapterDeps once = deps_;
  once.network.retry.attempts = 1;
  auto adapter = adapters_.Create(e, once);
  Status health = adapter ? (*adapter)->HealthCheck() : Status(std::unexpected(adapter.error()));
  if (!health) {
    return Fail(ErrorCode::kBadRequest,
                fmt::format("the registry is unhealthy: {}", health.error().message));
  }
  return Ok();
}

Result<metadata::RegistryRecord> EndpointService::Seal(const adapters::Endpoint& e,
                                                       metadata::RegistryRecord r) const {
  auto sealed = secrets_.Seal(e.access_secret);
  if (!sealed) return Fail(sealed.error());
  r.name = e.name;
  r.type = e.type;
  r.url = e.url;
  r.credential_type = e.credential_type;
  r.access_key = e.access_key;
  r.access_secret = std::move(*sealed);
  r.insecure = e.insecure;
  r.ca_certificate = e.ca_certificate;
  r.status = std::string(kHealthy);
  r.last_error.clear();
  r.last_checked = metadata::NowTimestamp();
  return r;
}

Result<RegistryView> EndpointService::Create(const NewRegistry& request) {
  adapters::Endpoint e{.id = 0,
                       .name = request.name,
                       .type = request.type,
                       .url = request.url,
                       .credential_type = request.credential_type,
                       .access_key = request.access_key,
                       .access_secret = request.access_secret,
                       .insecure = request.insecure,
                       .ca_certificate = request.ca_certificate};
  BERTH_TRY(Validate(e, true));
  auto existing = store_.GetByName(e.name);
  if (!existing) return Fail(existing.error());
  if (*existing) {
    return Fail(ErrorCode::kConflict, fmt::format("registry {} already exists", e.name));
  }
  BERTH_TRY(CheckHealth(e));
  metadata::RegistryRecord record;
  record.description = request.description;
  auto sealed = Seal(e, std::move(record));
  if (!sealed) return Fail(sealed.error());
  auto created = store_.Create(*sealed);
  if (!created) return Fail(created.error());
  spdlog::info("registry {} \"{}\" ({}) created", created->id, created->name, created->type);
  return ToView(*created);
}

Result<std::unique_ptr<adapters::Adapter>> EndpointService::Connect(int64_t id, int attempts) {
  auto record = Load(id);
  if (!record) return Fail(record.error());
  auto endpoint = Unseal(*record);
  if (!endpoint) return Fail(endpoint.error());
  if (attempts <= 0) return adapters_.Create(*endpoint, deps_);
  adapters::AdapterDeps deps = deps_;
  deps.network.retry.attempts = attempts;
  return adapters_.Create(*endpoint, deps);
}

Result<RegistryView> EndpointService::Get(int64_t id) {
  auto record = Load(id);
  if (!record) return Fail(record.error());
  return ToView(*record);
}

Result<metadata::PageResult<RegistryView>> EndpointService::List(
    const std::vector<metadata::RegistryFilter>& filters, std::string_view sort,
    const metadata::Page& page) {
  auto records = store_.List(filters, sort, page);
  if (!records) return Fail(records.error());
  metadata::PageResult<RegistryView> result;
  result.total = records->total;
  for (const auto& r : records->items) result.items.push_back(ToView(r));
  return result;
}

Status EndpointService::Update(int64_t id, const RegistryUpdate& u) {
  auto record = Load(id);
  if (!record) return Fail(record.error());
  adapters::Endpoint e;
  auto unsealed = Unseal(*record);
  if (unsealed) {
    e = std::move(*unsealed);
  } else if (u.access_secret) {
    // The stored secret is unreadable but a new one replaces it.
    e = adapters::Endpoint{.id = record->id,
                           .name = record->name,
                           .type = record->type,
                           .url = record->url,
                           .credential_type = record->credential_type,
                           .access_key = record->access_key,
                           .access_secret = {},
                           .insecure = record->insecure,
                           .ca_certificate = record->ca_certificate};
  } else {
    return Fail(unsealed.error());
  }
  const adapters::Endpoint before = e;
  if (u.name) e.name = *u.name;
  if (u.url) e.url = *u.url;
  if (u.credential_type) e.credential_type = *u.credential_type;
  if (u.access_key) e.access_key = *u.access_key;
  if (u.access_secret) e.access_secret = *u.access_secret;
  if (u.insecure) e.insecure = *u.insecure;
  if (u.ca_certificate) e.ca_certificate = *u.ca_certificate;
  // Credentials are never forwarded to a new host unless they are entered again.
  if (u.url && !u.access_secret) {
    auto normalized = NormalizeUrl(*u.url);
    if (!normalized || *normalized != record->url) e.access_secret.clear();
  }
  BERTH_TRY(Validate(e, true));
  if (e.name != record->name) {
    auto existing = store_.GetByName(e.name);
    if (!existing) return Fail(existing.error());
    if (*existing && (*existing)->id != id) {
      return Fail(ErrorCode::kConflict, fmt::format("registry {} already exists", e.name));
    }
  }
  // Only a change to how Berth reaches the registry is tested first: a new name or
  // description is saved even while the registry is down.
  bool reach_changed = e.url != before.url || e.credential_type != before.credential_type ||
                       e.access_key != before.access_key ||
                       e.access_secret != before.access_secret || e.insecure != before.insecure ||
                       e.ca_certificate != before.ca_certificate || !unsealed;
  if (reach_changed) BERTH_TRY(CheckHealth(e));
  if (u.description) record->description = *u.description;
  auto sealed = Seal(e, std::move(*record));
  if (!sealed) return Fail(sealed.error());
  BERTH_TRY(store_.Update(*sealed));
  spdlog::info("registry {} \"{}\" updated", id, sealed->name);
  return Ok();
}

Status EndpointService::Delete(int64_t id) {
  auto record = Load(id);
  if (!record) return Fail(record.error());
  auto policies = store_.PolicyReferences(id);
  if (!policies) return Fail(policies.error());
  auto projects = store_.ProxyProjects(id);
  if (!projects) return Fail(projects.error());
  // Every user is named, with how many more there are when the list was cut short.
  auto users = [](std::string_view what, const metadata::References& refs) {
    std::string text = fmt::format("{} ({}): {}", what, refs.count, fmt::join(refs.names, ", "));
    auto shown = static_cast<int64_t>(refs.names.size());
    if (refs.count > shown) text += fmt::format(" and {} more", refs.count - shown);
    return text;
  };
  std::vector<std::string> used_by;
  if (policies->count > 0) used_by.push_back(users("replication policies", *policies));
  if (projects->count > 0) used_by.push_back(users("proxy cache projects", *projects));
  if (!used_by.empty()) {
    return Fail(ErrorCode::kPrecondition,
                fmt::format("the registry {} is referenced by {}, cannot delete it", id,
                            fmt::join(used_by, "; and by ")));
  }
  BERTH_TRY(store_.Delete(id));
  spdlog::info("registry {} \"{}\" deleted", id, record->name);
  return Ok();
}

Status EndpointService::Ping(const PingRequest& p) {
  adapters::Endpoint e;
  std::optional<adapters::Endpoint> stored;  // with `id`: the connection as stored
  if (p.id) {
    auto record = Load(*p.id);
    if (!record) return Fail(record.error());
    auto unsealed = Unseal(*record);
    if (unsealed) {
      e = std::move(*unsealed);
    } else if (!p.access_secret) {
      return Fail(unsealed.error());
    } else {
      e.type = record->type;
      e.url = record->url;
      e.insecure = record->insecure;
      e.ca_certificate = record->ca_certificate;
      e.credential_type = record->credential_type;
      e.access_key = record->access_key;
    }
    stored = e;
  }
  // As Harbor: what the body gives replaces the stored value.
  if (p.type) e.type = *p.type;
  if (p.url) e.url = *p.url;
  if (p.insecure) e.insecure = *p.insecure;
  if (p.ca_certificate) e.ca_certificate = *p.ca_certificate;
  if (p.credential_type) e.credential_type = *p.credential_type;
  if (p.access_key) e.access_key = *p.access_key;
  if (p.access_secret) e.access_secret = *p.access_secret;
  if (Trim(e.type).empty() || Trim(e.url).empty()) {
    return Fail(ErrorCode::kBadRequest, "type or url cannot be empty");
  }
  BERTH_TRY(Validate(e, false));
  // The stored secret goes only where it went before, as trusted as before: nobody can
  // send it to a URL or certificate authority of their choosing by testing.
  if (stored && !p.access_secret && !e.access_secret.empty()) {
    const char* changed = e.url != stored->url              ? "url"
                          : e.insecure && !stored->insecure ? "insecure"
                          : !e.ca_certificate.empty() && e.ca_certificate != stored->ca_certificate
                              ? "ca_certificate"
                              : nullptr;
    if (changed != nullptr) {
      return Fail(ErrorCode::kBadRequest,
                  fmt::format("{} differs from the stored endpoint's, and its stored secret is "
                              "sent only as stored: give access_secret to test these settings",
                              changed));
    }
  }
  return CheckHealth(e);
}

namespace {

// Id 0 is this registry, one side of every replication rule. As Harbor's local registry:
// the only source that can replicate on events.
adapters::AdapterInfo LocalInfo() {
  adapters::AdapterInfo info;
  info.type = "harbor";
  info.description = "this registry";
  info.supported_resource_filters = {{.type = "name", .style = "input", .values = {}},
                                     {.type = "tag", .style = "input", .values = {}},
                                     {.type = "label", .style = "list", .values = {}}};
  info.supported_triggers = {"manual", "scheduled", "event_based"};
  info.supported_copy_by_chunk = true;
  return info;
}

}  // namespace

Result<adapters::AdapterInfo> EndpointService::Info(int64_t id) {
  if (id == 0) return WithResourceFilter(LocalInfo());
  auto record = Load(id);
  if (!record) return Fail(record.error());
  auto e = Unseal(*record);
  if (!e) return Fail(e.error());
  auto adapter = adapters_.Create(*e, deps_);
  if (!adapter) return Fail(ErrorCode::kBadRequest, adapter.error().message);
  auto info = (*adapter)->Info();
  if (!info) {
    return Fail(ErrorCode::kBadRequest,
                fmt::format("cannot read the registry's capabilities: {}", info.error().message));
  }
  return WithResourceFilter(std::move(*info));
}

adapters::AdapterInfo EndpointService::WithResourceFilter(adapters::AdapterInfo info) {
  auto& filters = info.supported_resource_filters;
  std::erase_if(filters, [](const adapters::FilterStyle& f) { return f.type == "resource"; });
  filters.push_back({.type = "resource", .style = "radio", .values = {"image", "artifact"}});
  return info;
}

Status EndpointService::Recheck(int64_t id) {
  auto record = Load(id);
  if (!record) return Fail(record.error());
  std::string status(kHealthy);
  std::string error;
  auto e = Unseal(*record);
  Status health = e ? CheckHealth(*e) : Status(std::unexpected(e.error()));
  if (!health) {
    status = std::string(kUnhealthy);
    error = health.error().message;
  }
  if (status == record->status && error == record->last_error) return Ok();
  if (status != record->status) {
    spdlog::info("registry {} \"{}\" is now {}", id, record->name, status);
  }
  return store_.SetHealth(id, status, error, metadata::NowTimestamp());
}

}  // namespace berth::endpoints
