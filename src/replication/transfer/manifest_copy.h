// Copying one artifact (its manifest tree, blobs and referrers); see transfer.h.
#pragma once

#include "replication/transfer/transfer_internal.h"

namespace berth::replication::internal {

enum class ArtifactOutcome { kCopied, kSkipped, kConflict };

Result<ArtifactOutcome> CopyArtifact(CopyContext& ctx, const ArtifactRef& artifact);

}  // namespace berth::replication::internal
