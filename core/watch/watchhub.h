// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ownermailbox.h"
#include "snapshot/snapshot.h"
#include "watch/scanscheduler.h"
#include "watch/watchscan.h"
#include "watch/watchset.h"

#include <QHash>
#include <QMetaType>
#include <QObject>
#include <QStringList>
#include <QTimer>

#include <memory>

namespace Stateward {

// One finished scan job, for an event log, a benchmark or a test.
struct ScanReport
{
    QString workspace;
    quint64 generation = 0;
    QString reason; // what asked for it: "added", "files changed", "directories changed", "liveness", …
    bool superseded = false; // a newer request made it stale: its result was dropped
    bool everyChangeNamed = false; // its spec's (ScanSpec::everyChangeNamed)
    QStringList parsed; // state dirs an adapter scanned
    QStringList reused; // state dirs whose last snapshot still holds (tree unchanged)
    qint64 elapsedMs = 0;
};

// The one watcher of a process (docs/architecture.md, Watching): one inotify instance (WatchSet)
// for every workspace.
//
// It watches each workspace's state directories and every subdirectory, whose events name each
// entry created, deleted, renamed or written in place, and the nearest existing parent of every
// place a state directory may appear later, up to a watch budget (see WatchHealth for what is
// polled beyond it). A change marks its state
// directory dirty; the first change after a quiet period is scanned at once, those that follow
// it after a quiet period (debounce, capped by maxDelay however busy the directory is), each time
// by one scan on a worker thread (QThreadPool::globalInstance). It walks the
// dirty trees and re-parses only those whose inode/size/mtime differ from the last scan, reusing
// the other snapshots; a re-parse reads again only the trajectory records whose files changed
// (TrajectoryRecordCache, one per workspace). One scan runs per workspace at a time; a newer request that needs a parse
// supersedes the running one (stopped between state dirs, its result dropped and its work
// merged into the next) unless the changes it carries have waited longer than maxDelay. Results
// are delivered on the hub's thread in generation order, never older than one already delivered.
//
// Beside inotify: PIDs named by the snapshots are polled (liveness interval) and a changed one
// re-parses its state dir; a backstop rescan walks every tree (backstop interval) and re-parses
// what changed plus the state dirs whose verdicts age (locks, tmp files, brokers, codex, gstack);
// paths inotify refuses, and directories beyond the budget, are polled by lstat (degraded).
//
// The parts: WatchSet (what inotify watches, what is polled, health), one ScanScheduler per
// workspace (debounce, generations, superseding), runScan (watchscan.h, on the worker). The hub
// maps events to workspaces and state dirs, starts the scans, polls liveness and runs the
// backstop.
//
// The hub lives on one thread (normally the GUI's) and emits every signal there.
// Destroying the hub never waits for a running scan: the scan is told to stop and its result,
// if any, is discarded. Do not delete the hub from a slot connected to its own signals (use
// deleteLater()).
class WatchHub : public QObject
{
    Q_OBJECT
public:
    explicit WatchHub(QObject* parent = nullptr);
    ~WatchHub() override;

    // Starts watching (the path need not exist yet) and scans it at once. False when already watched.
    bool addWorkspace(const QString& workspace);
    bool removeWorkspace(const QString& workspace);
    QStringList workspaces() const; // clean absolute paths, as the signals name them
    // The last delivered snapshots of a workspace (empty before its first scan).
    QList<Snapshot> snapshots(const QString& workspace) const;
    // A forced full rescan (every state dir parsed, every record read again) of one workspace, or
    // of all when empty.
    void rescan(const QString& workspace = {});

    // The first change of a state dir after it has been quiet this long is scanned at once; the
    // changes that follow it within this are merged into one scan, run once the directory has been
    // quiet this long (default 100).
    void setDebounce(int ms);
    int debounce() const { return m_debounceMs; }
    // Off: the first change waits for the quiet period too (default on).
    void setLeadingEdge(bool on);
    bool leadingEdge() const { return m_leadingEdge; }
    void setMaxDelay(int ms); // the longest a change waits however busy its directory is (2000)
    int maxDelay() const { return m_maxDelayMs; }
    // Each interval in ms; 0 turns that timer off.
    void setLivenessInterval(int ms); // PIDs in view (default 1000)
    int livenessInterval() const { return m_livenessTimer.interval(); }
    // Every tree walked (default 30000). Stretched so that the backstop costs at most
    // 1/kBackstopCostFactor of a core: a workspace whose backstop scan took 500 ms waits 100 s.
    void setBackstopInterval(int ms);
    int backstopInterval() const { return m_backstopTimer.interval(); } // as stretched now
    // When the backstop's current period began (steady clock, ns): at its last timeout, when set,
    // and at each workspace's first delivery (a first whole scan may outlast a period: the backstop
    // would walk everything again at once).
    qint64 backstopPeriodStartNs() const { return m_backstopStartNs; }
    static constexpr int kBackstopCostFactor = 200;
    void setPollInterval(int ms); // polled paths, when degraded (default 2000)
    int pollInterval() const { return m_watches.pollInterval(); }
    // The most directories this hub asks inotify to watch: default a quarter of
    // fs.inotify.max_user_watches (shared by every process of the user; see WatchSet).
    void setWatchBudget(int paths);
    int watchBudget() const { return m_watches.budget(); }

    WatchHealth health() const { return m_watches.health(); }
    QStringList watchedPaths() const { return m_watches.watchedPaths(); } // sorted
    int watchedPathCount() const { return m_watches.watchedPathCount(); }

    quint64 generation(const QString& workspace) const; // newest requested scan
    quint64 deliveredGeneration(const QString& workspace) const;
    quint64 scansRun() const { return m_scansRun; } // finished scan jobs, superseded ones included
    quint64 scansSuperseded() const { return m_scansSuperseded; }
    // Adapter scans of one state dir whose result was delivered (a superseded scan's do not count).
    quint64 parsesRun() const { return m_parsesRun; }
    quint64 parsesOf(const QString& stateDir) const { return m_parsesOf.value(stateDir); }

signals:
    // The complete current list of snapshots of the workspace (adapter order), after a scan that
    // parsed something or changed the set of state dirs, and after the first scan; `changes`: what
    // differs from the list this signal delivered last for the workspace (a model applies only that).
    void snapshotsChanged(const QString& workspace, const QList<Stateward::Snapshot>& snapshots,
        const Stateward::WorkspaceChanges& changes);
    void fileEvent(const QString& path); // inotify or the poll saw this path change
    void scanStarted(const QString& workspace);
    void scanFinished(const QString& workspace, qint64 elapsedMs); // a delivered scan
    void scanReported(const Stateward::ScanReport& report); // every finished job, superseded too
    void healthChanged(const Stateward::WatchHealth& health);

private:
    struct Workspace;

    Workspace* find(const QString& workspace);
    const Workspace* find(const QString& workspace) const;
    void pathsChanged(const QStringList& paths, bool named);
    void onEventsLost();
    void stretchBackstop();
    void onBackstop();
    void launch(Workspace& w, const ScanJob& job);
    void onScanResult(const std::shared_ptr<ScanResult>& result, quint64 incarnation);
    void onLivenessTick();
    void syncWatches();

    WatchSet m_watches;
    QHash<QString, std::shared_ptr<Workspace>> m_workspaces;
    quint64 m_incarnations = 0;
    int m_debounceMs = 100;
    bool m_leadingEdge = true;
    int m_maxDelayMs = 2000;

    QTimer m_livenessTimer;
    QTimer m_backstopTimer;
    int m_backstopBaseMs = 30000; // as set; the timer runs at least this long
    qint64 m_backstopStartNs = 0;
    void startBackstopPeriod();
    QHash<QString, qint64> m_backstopCostMs; // per workspace: how long its last backstop scan took

    quint64 m_scansRun = 0;
    quint64 m_scansSuperseded = 0;
    quint64 m_parsesRun = 0;
    QHash<QString, quint64> m_parsesOf;
    OwnerMailbox m_mailbox { this }; // scan results
};

} // namespace Stateward

Q_DECLARE_METATYPE(Stateward::ScanReport)
