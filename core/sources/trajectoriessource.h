// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "source.h"

namespace Stateward {

struct TrajectoryRecord;

// agent-trajectories (`trail`), reference Part A. Index era (≤0.5.8): <ws>/.trajectories/ with
// index.json, active/<id>.json, completed/[YYYY-MM/]<id>.json. 0.5.9+: <ws>/.agentworkforce/
// trajectories/ with active/<id>/trajectory.json, completed/YYYY-MM/<id>/trajectory.json and no
// index. $TRAJECTORIES_DATA_DIR names the directory itself (~ expanded, relative to the workspace).
class TrajectoriesSource : public SourceAdapter
{
public:
    Family family() const override { return Family::Trajectories; }
    QStringList stateDirs(const QString& workspace) const override;
    Snapshot scan(const QString& workspace, const QString& stateDir, ScanContext& context) const override;

    static constexpr qint64 kMaxRecordBytes = 64 * 1024 * 1024;
    // 0.5.9+ keeps no index: .agentworkforce/trajectories, or a data dir (not .trajectories) with
    // no index.json whose records are <id>/trajectory.json. The scan and the recovery agree on it.
    static bool keepsNoIndex(const QString& stateDir, const QList<TrajectoryRecord>& records);
    // FileStorage's field order of index.json (reference A.3), for toJsonText.
    static const QStringList& indexKeyOrder();
};

// One trajectory file as found on disk.
struct TrajectoryRecord
{
    QString id;
    QString path;
    QString title;
    QString status;
    QDateTime startedAt;
    QDateTime completedAt;
    QString problem; // non-empty: unreadable, malformed or not a valid trajectory
    QDateTime newest() const { return completedAt.isValid() ? completedAt : startedAt; }
};

// Which of two copies of one id counts, for the scan and the recovery alike: the newest; on a tie
// a settled copy over an active one (upstream's first-found rule would pick active/); then the path.
inline bool isPreferredCopy(const TrajectoryRecord& a, const TrajectoryRecord& b)
{
    if (a.newest() != b.newest())
        return a.newest() > b.newest();
    const bool aActive = a.status == QLatin1String("active");
    if (aActive != (b.status == QLatin1String("active")))
        return !aActive;
    return a.path < b.path;
}

// Every trajectory file under dir, as upstream's reconcile and 0.5.9 list() discover them:
// active/ (flat files and <id>/trajectory.json), completed/ recursively; trace, compaction and
// index files, invalid/ and compacted/ are not trajectories.
QList<TrajectoryRecord> findTrajectoryRecords(const QString& dir);

} // namespace Stateward
