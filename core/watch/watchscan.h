// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "proc/filekey.h"
#include "proc/filetree.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshotchanges.h"
#include "sources/source.h"

#include <QHash>
#include <QList>
#include <QSet>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>

// The half of WatchHub that runs on a worker thread: plain functions over plain values, so a scan
// needs nothing from the hub but a copy of what it delivered last (docs/architecture.md, Watching).
namespace Stateward {

// A PID some snapshot names (job, broker, lock holder, tmp file owner or opener) as the scan saw it.
struct PidView
{
    bool alive = false;
    qint64 startTicks = -1; // read right after the scan when alive: a new value means a reused PID
    friend bool operator==(const PidView&, const PidView&) = default;
};
QHash<qint64, PidView> pidsInView(const Snapshot& snapshot);

// Every place a state directory of this workspace can appear, whether or not it exists now (the
// adapters' stateDirs() report existing ones only; their candidateStateDirs() all of them).
QStringList candidateStateDirs(const QString& workspace);
// The directories to watch so that a state directory appearing later is seen: for each candidate
// (and each existing state dir) inside the workspace, the nearest existing real directory above
// it; outside the workspace (codex state roots) only its parent, when that exists: /tmp or ~
// would wake the hub for every change on the machine, so a root created later is found by the
// backstop rescan. Never "/".
QList<TreeEntry> anchorsFor(const QString& workspace, const QStringList& stateDirs);

// What the hub keeps per state directory between scans.
struct SourceState
{
    Family family {};
    QString stateDir;
    Snapshot snapshot;
    TreeFingerprint tree;
    QHash<qint64, PidView> pids;
};

// What a scan must look at; requests that arrive while one waits are merged.
struct ScanSpec
{
    QString reason; // "added", "files changed", "liveness", "backstop", "requested", …
    bool parseAll = false; // a forced full rescan: every state dir is parsed
    bool backstop = false; // every tree is walked; parsed if changed or if its verdicts age
    QSet<QString> dirty; // walked; parsed when the tree changed
    // The paths events named under the dirty state dirs: only they are looked at again (a named
    // directory listed; TreeFingerprint::updated; past its kMaxChangedPaths, trees are walked whole).
    QSet<QString> changedPaths;
    // True when changedPaths names every change under the dirty state dirs since their known trees
    // were walked (each directory watched by inotify with names, no queue overflow): an entry that
    // was racy then needs no listing of its directory again, only a look at itself. False when
    // some change may have gone unnamed (a polled directory): racy directories are listed again.
    bool everyChangeNamed = false;
    QSet<QString> force; // parsed whatever the tree says (a PID in view changed)
    bool needsParse() const { return parseAll || backstop || !dirty.isEmpty() || !force.isEmpty(); }
    void merge(const ScanSpec& other);
};

struct ScanRequest
{
    QString workspace; // clean and absolute
    quint64 generation = 0;
    ScanSpec spec;
    QList<SourceState> known; // what was delivered last, reused where nothing changed
    quint64 knownDelivery = 0; // which delivery `known` is (the hub counts them): changes are against it
    // What the adapters kept from the workspace's earlier scans (the trajectory records read: a
    // re-parse reads only the files that changed).
    std::shared_ptr<AdapterCaches> caches;
};

struct ScanResult
{
    QString workspace;
    quint64 generation = 0;
    bool superseded = false; // stopped early: a newer request made it pointless
    QList<SourceState> sources; // every state dir now, in adapter order
    QList<TreeEntry> anchors;
    QStringList parsed; // state dirs an adapter scanned
    QStringList reused; // state dirs whose last snapshot still holds
    QStringList rejudged; // of the parsed ones, those re-judged only where their trees changed
    // Of the parsed state dirs that were known, what changed in their snapshots (diffSnapshots,
    // here on the worker so that the hub's thread applies only that); the others are as known.
    QHash<QString, SnapshotChanges> changes;
    quint64 knownDelivery = 0; // the request's
    qint64 elapsedMs = 0;
    qint64 wholeWalkMs = 0; // spent walking trees whole (TreeFingerprint::of): what a backstop costs at least
};

// The state dirs of the workspace now (every adapter asked), each re-parsed or reused as the
// spec says. `superseded` is asked before each state dir; when it answers true the scan stops.
ScanResult runScan(const ScanRequest& request, const std::function<bool()>& superseded);

// The paths whose stamp differs from the one given (a missing path differs from any stamp).
QHash<QString, FileStamp> changedStamps(const QHash<QString, FileStamp>& expected);

} // namespace Stateward
