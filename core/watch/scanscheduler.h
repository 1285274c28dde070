// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "watch/watchscan.h"

#include <QElapsedTimer>
#include <QHash>
#include <QSet>
#include <QString>
#include <QTimer>

#include <atomic>
#include <functional>
#include <memory>

namespace Stateward {

// One scan to run, as the scheduler hands it out.
struct ScanJob
{
    quint64 generation = 0;
    ScanSpec spec;
    // Asked by the scan between state dirs (runScan's `superseded`): true once a newer request
    // made this job pointless, or the scheduler is gone. Safe to call from any thread.
    std::function<bool()> superseded;
};

// When the scans of one workspace run. The first change of a state dir after a quiet period (no
// change there for the debounce) is scanned at once (the leading edge: an isolated write costs no
// wait); changes that follow within the debounce are merged and scanned once the directory has
// been quiet that long (capped by maxDelay however busy it is), so a burst of writes costs the
// leading scan and one trailing scan. Every request gets a new generation and is merged into the
// one pending scan; one scan runs at a time. A request that needs a parse supersedes a running
// whole scan (a forced rescan or the backstop), unless what that scan carries has waited longer
// than maxDelay (a directory busier than a scan is long would starve); a running scan after
// events (incremental: it re-judges only what changed) delivers first. A superseded scan's spec is merged
// into the next one, so nothing it was asked to look at is lost. Lives on the hub's thread; the
// scan itself runs wherever `start` puts it, and its result comes back through finish().
class ScanScheduler
{
public:
    using Start = std::function<void(const ScanJob&)>;
    // workspace: what it schedules scans of, for the debug output (stateward.scan).
    ScanScheduler(const QString& workspace, Start start, int debounceMs = 100, int maxDelayMs = 2000);
    ~ScanScheduler(); // cancels
    ScanScheduler(const ScanScheduler&) = delete;
    ScanScheduler& operator=(const ScanScheduler&) = delete;

    // For good: the running scan is told to stop, waiting changes are forgotten, nothing starts.
    void cancel();

    void setDebounce(int ms);
    void setMaxDelay(int ms);
    // Off: every change waits for the quiet period, the first one too (default on).
    void setLeadingEdge(bool on) { m_leadingEdge = on; }
    // Where "now" comes from, in ms on a monotonic clock (default: a QElapsedTimer): a test moves
    // time itself. Set it before the first change.
    using Clock = std::function<qint64()>;
    void setClock(Clock clock);

    // Something under stateDir changed (path: what the event named); an empty stateDir means an
    // anchor changed: the adapters are asked again which state dirs exist. Scanned once quiet.
    // named: the watch layer names every change under stateDir (ScanSpec::everyChangeNamed); the
    // scan of the changes noted together is named only if each was.
    void noteChange(const QString& stateDir, const QString& path, bool named = false);
    // The same for several paths seen together: one leading scan sees them all.
    void noteChanges(const QString& stateDir, const QSet<QString>& paths, bool named = false);
    // A scan now: started at once when none runs, else merged into the pending one.
    void request(const ScanSpec& spec);

    // The running scan ended with this result. False when it is stale (stopped early, or a newer
    // request came): its spec has gone back into the pending scan, which has started. True when
    // the result is the newest asked for: the caller takes it, then calls startPending().
    bool finish(const ScanResult& result);
    void startPending();

    bool isRunning() const { return m_running; }
    const ScanSpec& runningSpec() const { return m_runningSpec; }
    quint64 requestedGeneration() const { return m_requested; }
    quint64 deliveredGeneration() const { return m_delivered; }
    int pendingChanges() const { return int(m_changes.size()); } // state dirs waiting for quiet

private:
    struct PendingChange
    {
        QSet<QString> paths; // what the events named (bounded: see ScanSpec::changedPaths)
        bool named = true; // every change noted was named
        qint64 firstMs = 0;
        qint64 lastMs = 0;
    };

    static ScanSpec specOf(const QString& stateDir, const QSet<QString>& paths, bool named);
    qint64 now() const { return m_clock(); }
    void enqueue(const ScanSpec& spec, qint64 since); // the one merge into the pending scan
    void start();
    void armDebounce();
    void onDebounce();

    QString m_workspace;
    Start m_start;
    int m_debounceMs;
    int m_maxDelayMs;
    bool m_leadingEdge = true;
    QElapsedTimer m_elapsed;
    Clock m_clock;
    QTimer m_debounceTimer;
    QHash<QString, PendingChange> m_changes; // per state dir ("" for the anchors)
    QHash<QString, qint64> m_lastChangeMs; // per state dir: when its last change was noted

    quint64 m_requested = 0;
    quint64 m_delivered = 0;
    // The generation whose result may be delivered; the running scan stops once it carries
    // another. Shared with the running job.
    std::shared_ptr<std::atomic<quint64>> m_deliverable = std::make_shared<std::atomic<quint64>>(0);
    bool m_cancelled = false;
    bool m_running = false;
    ScanSpec m_runningSpec;
    qint64 m_runningSince = 0; // when the oldest change the running scan carries was requested
    bool m_hasPending = false;
    ScanSpec m_pending;
    qint64 m_pendingSince = 0;
};

} // namespace Stateward
