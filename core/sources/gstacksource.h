// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "source.h"

namespace Stateward {

// gstack browse: <ws>/.gstack/browse.json naming the daemon {pid, port, token, startedAt,
// serverPath, mode}, browse.json.lock (pid-only) and browse.json.tmp.<pid>.<hex> (reference §B).
// Daemons are also found by their environment (BROWSE_STATE_FILE) when no state file names them.
class GstackSource : public SourceAdapter
{
public:
    Family family() const override { return Family::Gstack; }
    QStringList stateDirs(const QString& workspace) const override;
    Snapshot scan(const QString& workspace, const QString& stateDir, ScanContext& context) const override;

    static constexpr qint64 kMaxStateBytes = 1024 * 1024;
    static constexpr int kHealthTimeoutMs = 1000;
};

// The daemon's argv shape: bun run <…>/server.ts (reference §B.7).
bool looksLikeGstackDaemon(const ProcessInfo& process);

} // namespace Stateward
