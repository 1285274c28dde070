// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "source.h"

namespace Stateward {

// gstack browse: <ws>/.gstack/browse.json naming the daemon {pid, port, token, startedAt,
// serverPath, mode}, browse.json.lock (pid-only) and browse.json.tmp.<pid>.<hex>
// (docs/formats/gstack.md). Daemons are also found by their environment (BROWSE_STATE_FILE) when no
// state file names them.
class GstackSource : public SourceAdapter
{
public:
    Family family() const override { return Family::Gstack; }
    QString name() const override { return QStringLiteral("gstack"); }
    QStringList candidateStateDirs(const QString& workspace) const override;
    Snapshot scan(const QString& workspace, const QString& stateDir, ScanContext& context) const override;
    // Daemons found by their environment change with no file named.
    bool agesWithTime(const Snapshot&) const override { return true; }
    QString daemonNoun() const override { return QStringLiteral("gstack daemon"); }
    // orphanDaemonMismatch against the state dir's browse.json.
    QString orphanMismatch(const ProcessInfo& live, const QString& stateDir, const Broker& seen) const override;

    // Empty when p is a live daemon of ours started for this browse.json (BROWSE_STATE_FILE) that
    // the file (naming namedPid) does not name, i.e. an orphan; else why not. Shared by the scan
    // and the terminate-orphan repair.
    static QString orphanDaemonMismatch(const ProcessInfo& p, const QString& stateFile, qint64 namedPid);
    // The PID browse.json names now, -1 when none.
    static qint64 namedDaemonPid(const QString& stateDir);

    // ~/.gstack/chromium-profile/SingletonLock ($GSTACK_HOME when set): Chromium's own profile
    // lock, one for every project on the machine (docs/formats/gstack.md).
    static QString chromiumProfileLock();

    static constexpr qint64 kMaxStateBytes = 1024 * 1024;
    static constexpr int kHealthTimeoutMs = 1000;
    // A daemon writes browse.json once its port is bound; gstack's CLI waits for that up to 15 s
    // (30 s under CI): a younger daemon no file names may still be starting.
    static constexpr qint64 kDaemonGraceSecs = 30;

protected:
    void groupProblems(ProblemBuilder& builder) const override;
};

// The daemon's argv shape: bun run <…>/server.ts (docs/formats/gstack.md).
bool looksLikeGstackDaemon(const ProcessInfo& process);

} // namespace Stateward
