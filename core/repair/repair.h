// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "proc/filekey.h"
#include "repairkind.h"
#include "snapshot/snapshot.h"

#include <QJsonObject>
#include <QSet>
#include <QStringList>

#include <functional>
#include <optional>

namespace Stateward {

// One proposed change, as a value (docs/architecture.md, Findings and repairs): what it touches,
// what must still hold when it is applied, and what it is expected to do. Computed from a Snapshot;
// nothing is read again here.
struct RepairAction
{
    QString id; // stable: "<kind>:<target>"
    RepairKind kind = RepairKind::ClearStaleLock;
    QList<RepairKind> kinds; // index rewrites combine several kinds for one index file
    Family family {};
    QString workspace;
    QString stateDir;
    QString target; // absolute path of the file it changes
    QString summary; // what will change, one line
    QStringList effects; // each change in detail
    QStringList findingIds;
    // Preconditions, checked again at the moment of acting:
    std::optional<FileStamp> expected; // the target is still exactly this file
    QSet<QString> add, drop, fix; // index entries by id
    bool replaceCorrupt = false;
    QString jobId; // mark-failed
    qint64 pid = -1; // mark-failed: the dead job PID; terminate-orphan: the orphan
    qint64 startTicks = -1; // terminate-orphan: the orphan must still have exactly this start time
    QString endpoint; // terminate-orphan: the orphan's endpoint, where its tool names one; checked again live
    QString sessionDir; // terminate-orphan and remove-session-dir: a daemon's session dir (SessionDirs)
    QJsonObject toJson() const;
};

struct RepairPlan
{
    QList<RepairAction> actions;
    QStringList notes; // findings no repair addresses here, and why
    QJsonObject toJson() const;
};

// The one-click cleanup of orphan brokers and daemons: terminate-orphan + remove-session-dir.
const QList<RepairKind>& orphanCleanupKinds();

// The plan for these snapshots; `kinds` restricts it (empty: every kind that is safe without a
// human choosing it, see RepairSafety).
RepairPlan planRepairs(const QList<Snapshot>& snapshots, const QList<RepairKind>& kinds = {});

struct RepairResult
{
    QString actionId;
    enum class Outcome
    {
        Applied,
        Skipped, // a precondition no longer held; nothing changed
        Failed,
    } outcome
        = Outcome::Failed;
    QString detail; // what was done, or why not
    QStringList applied; // per-entry changes
    QStringList skipped; // per-entry reasons
    QString quarantineId; // where the previous bytes went, for undo
    QJsonObject toJson() const;
};
QString nameOf(RepairResult::Outcome outcome);

// Applies each action under the tool's lock, re-checking its preconditions at the moment of
// acting. `progress` (optional) is called after each action.
QList<RepairResult> applyPlan(
    const RepairPlan& plan, const std::function<void(int done, int total, const RepairResult&)>& progress = {});

} // namespace Stateward
