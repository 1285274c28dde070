// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "snapshot/snapshot.h"

#include <QHash>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

// What changed between two snapshots of one state dir, so that a model applies only that
// (WatchHub::snapshotsChanged): a scan after one event changes a few of 100 000 jobs.
namespace Stateward {

// One item list of a snapshot (jobs, locks, …) against the same list of the snapshot before.
struct ListChanges
{
    bool all = false; // anything may differ: compare the whole list
    QList<qsizetype> upserted; // indexes, in the newer list, of the items added or changed
    QStringList removed; // ids of the items gone
    bool isEmpty() const { return !all && upserted.isEmpty() && removed.isEmpty(); }
    friend bool operator==(const ListChanges&, const ListChanges&) = default;
};

struct SnapshotChanges
{
    ListChanges jobs;
    ListChanges brokers;
    ListChanges locks;
    ListChanges tempFiles;
    ListChanges findings;
    bool isEmpty() const;
    static SnapshotChanges everything();
    friend bool operator==(const SnapshotChanges&, const SnapshotChanges&) = default;
};

// The items of `now` that differ from `before` (field by field), by id. Every item is looked at,
// but items at the same place with the same id, the common case after a scan that re-judged a
// few, cost one comparison each (their strings are shared, so it mostly compares pointers).
// Duplicate ids make it answer `all`: which copy a table shows is for a whole apply to decide.
template <typename Item> ListChanges diffItems(const QList<Item>& before, const QList<Item>& now);
// The same answer, but chunks the two lists share (a scan left them as they were) cost nothing.
template <typename Item> ListChanges diffItems(const ChunkedList<Item>& before, const ChunkedList<Item>& now);
SnapshotChanges diffSnapshots(const Snapshot& before, const Snapshot& now);

// What one delivery of a workspace changed, relative to the delivery before it.
struct WorkspaceChanges
{
    // Everything may have changed (the first delivery, a state dir came or went, …): apply every
    // snapshot whole. Otherwise only the snapshots named in `snapshots` changed.
    bool whole = true;
    QHash<QString, SnapshotChanges> snapshots; // by Snapshot::stateDir; those not here are as they were
    static WorkspaceChanges everything() { return {}; }
};

} // namespace Stateward

Q_DECLARE_METATYPE(Stateward::WorkspaceChanges)
