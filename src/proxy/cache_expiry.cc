// Proxy-cache expiry: ProxyCache::Expire and its background loop (see proxy_cache.h).
#include <spdlog/spdlog.h>

#include "metadata/timestamps.h"
#include "proxy/proxy_cache.h"

namespace berth::proxy {

Result<ExpiryReport> ProxyCache::Expire(std::chrono::system_clock::time_point cutoff_time) {
  metadata::ProxyCacheStore* store = options_.cache_store;
  if (store == nullptr) return Fail(ErrorCode::kInternal, "proxy cache expiry has no store");
  const std::string cutoff = metadata::FormatTimestamp(cutoff_time);
  ExpiryReport report;

  auto artifacts = store->ArtifactsUnusedSince(cutoff);
  if (!artifacts) return Fail(artifacts.error());
  for (const metadata::CachedItem& a : *artifacts) {
    // Re-checked in the deletion: a pull since the listing keeps it.
    auto deleted = store->DeleteArtifactUnusedSince(a.repository_id, a.digest, cutoff);
    if (!deleted) return Fail(deleted.error());
    if (*deleted) ++report.artifacts;
  }

  auto links = store->LinksUnusedSince(cutoff);
  if (!links) return Fail(links.error());
  std::set<std::string> unlinked;
  for (const metadata::CachedItem& l : *links) {
    auto gone = store->UnlinkUnreferenced(l.repository_id, l.digest);
    if (!gone) return Fail(gone.error());
    if (!*gone) continue;
    ++report.links;
    unlinked.insert(l.digest);
  }

  for (const std::string& text : unlinked) {
    auto digest = Digest::Parse(text);
    if (!digest) continue;
    // Under mu_: a download of this digest, or a repository linking the stored copy,
    // cannot start while the contents are judged unused and deleted.
    std::lock_guard lock(mu_);
    if (blob_flights_.contains(text)) continue;
    auto linked = store->IsLinkedAnywhere(text);
    if (!linked) return Fail(linked.error());
    if (*linked) continue;
    Status removed = local_.blobs->Delete(*digest);
    if (removed) {
      ++report.blobs;
    } else if (removed.error().code != ErrorCode::kBlobUnknown) {
      return Fail(removed.error());
    }
  }

  std::unique_lock no_filling(repositories_mu_);
  auto repositories = store->DeleteEmptyRepositories(cutoff);
  if (!repositories) return Fail(repositories.error());
  report.repositories = *repositories;
  return report;
}

void ProxyCache::StartExpiry(std::chrono::seconds interval) {
  if (options_.cache_store == nullptr || options_.expiry.count() <= 0) return;
  if (interval.count() < 1) interval = std::chrono::seconds(1);
  expiry_thread_ = std::thread([this, interval] {
    std::unique_lock lock(expiry_mu_);
    while (!expiry_wake_.wait_for(lock, interval, [this] { return expiry_stop_; })) {
      lock.unlock();
      auto report = Expire(std::chrono::system_clock::now() - options_.expiry);
      if (!report) {
        spdlog::warn("proxy cache expiry: {}", report.error().message);
      } else if (report->artifacts + report->links + report->blobs + report->repositories > 0) {
        spdlog::info(
            "proxy cache expiry: removed {} artifacts, {} blob links, {} blobs, {} repositories "
            "not used for {} s",
            report->artifacts, report->links, report->blobs, report->repositories,
            options_.expiry.count());
      }
      lock.lock();
    }
  });
}

}  // namespace berth::proxy
