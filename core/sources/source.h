// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "lock/lockjudge.h"
#include "snapshot/snapshot.h"

#include <optional>

namespace Stateward {

class TrajectoryRecordCache;
struct TreeFingerprint;

// What one scan shares between adapters: the /proc tables are read at most once per scan,
// and only if some verdict needs them.
class ScanContext
{
public:
    const OpenFileTable& openFiles();
    const KernelLockTable& kernelLocks();
    LockJudge judge(); // sharing this scan's tables
    // Every process we can see, inspected once per scan: for daemons no state file names.
    const QList<ProcessInfo>& processes();
    // Records kept from earlier scans of the same state dirs by whoever scans them repeatedly
    // (WatchHub); none for a one-off scan. Not owned.
    TrajectoryRecordCache* trajectoryRecords() const { return m_trajectoryRecords; }
    void setTrajectoryRecords(TrajectoryRecordCache* cache) { m_trajectoryRecords = cache; }
    // The state dir's tree as the caller just walked it (WatchHub), so an adapter may list from
    // it instead of walking again; null for a one-off scan. Not owned; a tree of another dir, or
    // an incomplete one, is not to be used.
    const TreeFingerprint* tree() const { return m_tree; }
    void setTree(const TreeFingerprint* tree) { m_tree = tree; }

private:
    std::optional<QList<ProcessInfo>> m_processes;
    std::optional<OpenFileTable> m_openFiles;
    std::optional<KernelLockTable> m_kernelLocks;
    TrajectoryRecordCache* m_trajectoryRecords = nullptr;
    const TreeFingerprint* m_tree = nullptr;
};

// One tool family (docs/architecture.md, How to add a tool). Adding a tool means adding one adapter
// and its fixtures.
class SourceAdapter
{
public:
    virtual ~SourceAdapter() = default;
    virtual Family family() const = 0;
    // The family's state directories for a workspace (existing ones only).
    virtual QStringList stateDirs(const QString& workspace) const = 0;
    virtual Snapshot scan(const QString& workspace, const QString& stateDir, ScanContext& context) const = 0;
};

const QList<const SourceAdapter*>& sourceAdapters();

// Every state directory of every adapter (or of the named families) in one workspace, scanned.
QList<Snapshot> scanWorkspace(const QString& workspace, ScanContext& context, const QStringList& families = {});

// Starts the snapshot of stateDir, stamped now. A state dir that is a symlink is never
// followed: it gets a finding and the adapter scans nothing (returns false).
bool beginSnapshot(Snapshot& snapshot, Family family, const QString& workspace, const QString& stateDir);
// What stateDirs() reports: a directory, or a symlink that beginSnapshot() will refuse loudly.
bool isStateDirCandidate(const QString& path);

// Shared by every adapter: every lock and every recognised tmp file under stateDir, judged, with
// findings for stale locks and orphaned tmp files.
void scanLocksAndTempFiles(Snapshot& snapshot, ScanContext& context);

} // namespace Stateward
