// SPDX-License-Identifier: GPL-3.0-or-later
#include "watchhub.h"

#include "logging.h"
#include "proc/paths.h"
#include "proc/processinfo.h"
#include "sources/registry.h"
#include "tsanannotate.h"

#include <QDeadlineTimer>
#include <QThreadPool>

#include <algorithm>

namespace Stateward {

namespace {

    // Values the owner thread lets go of, destroyed on the pool: a whole scan's snapshots replace
    // the last ones item for item, and freeing 100 000 jobs there would hold up the views.
    template <typename T> void releaseOnPool(T&& values)
    {
        QThreadPool::globalInstance()->start(Tsan::handOff([held = std::move(values)]() mutable { T().swap(held); }));
    }

} // namespace

struct WatchHub::Workspace
{
    QString path;
    quint64 incarnation = 0; // a workspace removed and added again is another one
    QList<SourceState> sources; // as last delivered
    QList<TreeEntry> anchors;
    bool delivered = false;
    quint64 deliveries = 0; // counted, so that a scan's changes are known to be against the last one
    std::unique_ptr<ScanScheduler> scans;
    // Shared with the running scan; a forced rescan starts a new one (every file read again).
    std::shared_ptr<AdapterCaches> caches = std::make_shared<AdapterCaches>();
};

WatchHub::WatchHub(QObject* parent)
    : QObject(parent)
    , m_watches(this)
    , m_livenessTimer(this)
    , m_backstopTimer(this)
{
    connect(&m_watches, &WatchSet::changed, this, &WatchHub::pathsChanged);
    connect(&m_watches, &WatchSet::eventsLost, this, &WatchHub::onEventsLost);
    connect(&m_watches, &WatchSet::healthChanged, this, &WatchHub::healthChanged);
    connect(&m_livenessTimer, &QTimer::timeout, this, &WatchHub::onLivenessTick);
    connect(&m_backstopTimer, &QTimer::timeout, this, &WatchHub::onBackstop);
    m_livenessTimer.start(1000);
    m_backstopTimer.start(30000);
    startBackstopPeriod();
}

void WatchHub::startBackstopPeriod()
{
    m_backstopStartNs = QDeadlineTimer::current().deadlineNSecs();
}

// Running scans are told to stop (each scheduler's destructor) and no result reaches this hub.
WatchHub::~WatchHub() = default;

WatchHub::Workspace* WatchHub::find(const QString& workspace)
{
    const auto it = m_workspaces.constFind(cleanAbsolute(workspace));
    return it == m_workspaces.constEnd() ? nullptr : it->get();
}

const WatchHub::Workspace* WatchHub::find(const QString& workspace) const
{
    const auto it = m_workspaces.constFind(cleanAbsolute(workspace));
    return it == m_workspaces.constEnd() ? nullptr : it->get();
}

bool WatchHub::addWorkspace(const QString& workspace)
{
    if (workspace.isEmpty())
        return false;
    const QString path = cleanAbsolute(workspace);
    if (m_workspaces.contains(path))
        return false;
    auto w = std::make_shared<Workspace>();
    w->path = path;
    w->incarnation = ++m_incarnations;
    w->scans = std::make_unique<ScanScheduler>(
        path, [this, w = w.get()](const ScanJob& job) { launch(*w, job); }, m_debounceMs, m_maxDelayMs);
    w->scans->setLeadingEdge(m_leadingEdge);
    m_workspaces.insert(path, w);
    qCDebug(lcScan) << "workspace added:" << path;
    ScanSpec spec;
    spec.reason = QStringLiteral("added");
    spec.parseAll = true;
    w->scans->request(spec);
    return true;
}

bool WatchHub::removeWorkspace(const QString& workspace)
{
    const QString path = cleanAbsolute(workspace);
    const auto w = m_workspaces.take(path);
    if (!w)
        return false;
    qCDebug(lcScan) << "workspace removed:" << path;
    w->scans->cancel(); // its running scan stops; the result, if any, is counted superseded
    m_backstopCostMs.remove(path);
    stretchBackstop();
    syncWatches();
    return true;
}

QStringList WatchHub::workspaces() const
{
    QStringList list = m_workspaces.keys();
    list.sort();
    return list;
}

QList<Snapshot> WatchHub::snapshots(const QString& workspace) const
{
    QList<Snapshot> list;
    if (const Workspace* w = find(workspace)) {
        for (const SourceState& s : w->sources)
            list.append(s.snapshot);
    }
    return list;
}

void WatchHub::rescan(const QString& workspace)
{
    ScanSpec spec;
    spec.reason = QStringLiteral("requested");
    spec.parseAll = true;
    const auto all = m_workspaces.values();
    for (const auto& w : all) {
        if ((workspace.isEmpty() || w->path == cleanAbsolute(workspace)) && m_workspaces.value(w->path) == w) {
            w->caches = std::make_shared<AdapterCaches>();
            w->scans->request(spec);
        }
    }
}

void WatchHub::setDebounce(int ms)
{
    m_debounceMs = std::max(0, ms);
    for (const auto& w : std::as_const(m_workspaces))
        w->scans->setDebounce(m_debounceMs);
}

void WatchHub::setLeadingEdge(bool on)
{
    m_leadingEdge = on;
    for (const auto& w : std::as_const(m_workspaces))
        w->scans->setLeadingEdge(on);
}

void WatchHub::setMaxDelay(int ms)
{
    m_maxDelayMs = std::max(0, ms);
    for (const auto& w : std::as_const(m_workspaces))
        w->scans->setMaxDelay(m_maxDelayMs);
}

void WatchHub::setLivenessInterval(int ms)
{
    if (ms > 0)
        m_livenessTimer.start(ms);
    else
        m_livenessTimer.stop();
}

void WatchHub::setBackstopInterval(int ms)
{
    m_backstopBaseMs = std::max(0, ms);
    if (ms > 0) {
        m_backstopTimer.start(ms);
        startBackstopPeriod();
    } else {
        m_backstopTimer.stop();
    }
    stretchBackstop();
}

void WatchHub::stretchBackstop()
{
    if (m_backstopBaseMs <= 0)
        return;
    qint64 cost = 0;
    for (qint64 ms : std::as_const(m_backstopCostMs))
        cost += ms;
    const int interval = int(std::clamp<qint64>(cost * kBackstopCostFactor, m_backstopBaseMs, 3600 * 1000));
    if (interval != m_backstopTimer.interval())
        m_backstopTimer.setInterval(interval); // from the next timeout on
}

void WatchHub::onBackstop()
{
    ScanSpec spec;
    startBackstopPeriod(); // the timer repeats from now
    spec.reason = QStringLiteral("backstop");
    spec.backstop = true;
    m_watches.retryRefusedAtNextSync();
    const auto all = m_workspaces.values();
    for (const auto& w : all) {
        if (m_workspaces.value(w->path) == w)
            w->scans->request(spec);
    }
}

void WatchHub::setPollInterval(int ms)
{
    m_watches.setPollInterval(ms);
}

void WatchHub::setWatchBudget(int paths)
{
    m_watches.setBudget(paths);
    syncWatches();
}

quint64 WatchHub::generation(const QString& workspace) const
{
    const Workspace* w = find(workspace);
    return w ? w->scans->requestedGeneration() : 0;
}

quint64 WatchHub::deliveredGeneration(const QString& workspace) const
{
    const Workspace* w = find(workspace);
    return w ? w->scans->deliveredGeneration() : 0;
}

void WatchHub::pathsChanged(const QStringList& paths, bool named)
{
    // Named only while every directory of the trees is watched: a polled one's changes reach a
    // scan as its directory's stamp, not as the entries that changed.
    named = named && !m_watches.health().isDegraded();
    // Each state dir's paths noted together: the scan they start sees them all.
    QStringList ours;
    const auto all = m_workspaces.values();
    for (const auto& w : all) {
        QHash<QString, QSet<QString>> byStateDir;
        QString anchorPath;
        for (const QString& path : paths) {
            bool mine = false;
            for (const SourceState& s : std::as_const(w->sources)) {
                if (path == s.stateDir || path.startsWith(s.stateDir + QLatin1Char('/'))) {
                    byStateDir[s.stateDir].insert(path);
                    mine = true;
                }
            }
            const QStringView parent = parentOf(path);
            for (const TreeEntry& a : std::as_const(w->anchors)) {
                if (path == a.path || parent == a.path) { // the anchor itself, or an entry of it
                    if (anchorPath.isEmpty())
                        anchorPath = path;
                    mine = true;
                }
            }
            if (mine)
                ours.append(path);
        }
        for (auto it = byStateDir.cbegin(); it != byStateDir.cend(); ++it)
            w->scans->noteChanges(it.key(), it.value(), named);
        if (!anchorPath.isEmpty())
            w->scans->noteChange({}, anchorPath);
    }
    ours.removeDuplicates();
    for (const QString& path : std::as_const(ours))
        emit fileEvent(path);
}

void WatchHub::onEventsLost()
{
    // Any path may have changed without a name: every tree walked whole and parsed (the record
    // caches still hold: a record is reused only when lstat shows it as it was read).
    qCDebug(lcWatch) << "events lost: every workspace is scanned whole";
    ScanSpec spec;
    spec.reason = QStringLiteral("events lost");
    spec.parseAll = true;
    const auto all = m_workspaces.values();
    for (const auto& w : all) {
        if (m_workspaces.value(w->path) == w)
            w->scans->request(spec);
    }
}

void WatchHub::launch(Workspace& w, const ScanJob& job)
{
    auto request = std::make_shared<ScanRequest>();
    request->workspace = w.path;
    request->generation = job.generation;
    request->spec = job.spec;
    request->known = w.sources;
    request->knownDelivery = w.deliveries;
    request->caches = w.caches;
    QThreadPool::globalInstance()->start(Tsan::handOff(
        [toHub = m_mailbox.sender(), hub = this, request, superseded = job.superseded, incarnation = w.incarnation] {
            auto result = std::make_shared<ScanResult>(runScan(*request, superseded));
            toHub.post([hub, result, incarnation] { hub->onScanResult(result, incarnation); });
        }));
    emit scanStarted(w.path);
}

void WatchHub::onScanResult(const std::shared_ptr<ScanResult>& result, quint64 incarnation)
{
    ++m_scansRun;
    ScanReport report;
    report.workspace = result->workspace;
    report.generation = result->generation;
    report.parsed = result->parsed;
    report.reused = result->reused;
    report.elapsedMs = result->elapsedMs;

    const auto w = m_workspaces.value(result->workspace);
    if (!w || w->incarnation != incarnation) { // removed meanwhile
        ++m_scansSuperseded;
        report.superseded = true;
        emit scanReported(report);
        return;
    }
    const ScanSpec ran = w->scans->runningSpec();
    report.reason = ran.reason;
    report.everyChangeNamed = ran.everyChangeNamed;
    if (!w->scans->finish(*result)) { // its work went into the next scan, which already runs newer
        ++m_scansSuperseded;
        report.superseded = true;
        emit scanReported(report);
        return;
    }

    // What the next backstop will cost: the last one's time, or before any, the whole walks seen.
    if (ran.backstop)
        m_backstopCostMs.insert(w->path, result->elapsedMs);
    else if (result->wholeWalkMs > m_backstopCostMs.value(w->path, -1))
        m_backstopCostMs.insert(w->path, result->wholeWalkMs);
    stretchBackstop();
    m_parsesRun += quint64(result->parsed.size());
    for (const QString& dir : std::as_const(result->parsed))
        ++m_parsesOf[dir];
    QStringList before;
    for (const SourceState& s : std::as_const(w->sources))
        before.append(s.stateDir);
    QStringList after;
    QList<Snapshot> snapshots;
    for (const SourceState& s : std::as_const(result->sources)) {
        after.append(s.stateDir);
        snapshots.append(s.snapshot);
    }
    const bool changed = !w->delivered || before != after || !result->parsed.isEmpty();
    WorkspaceChanges changes;
    changes.whole = !w->delivered || before != after || result->knownDelivery != w->deliveries;
    if (!changes.whole) {
        for (auto it = result->changes.cbegin(); it != result->changes.cend(); ++it) {
            if (!it->isEmpty())
                changes.snapshots.insert(it.key(), *it);
        }
    }
    QList<TreeEntries> treesWere; // not the snapshots: those are let go before the views apply the new
    for (const SourceState& s : std::as_const(w->sources))
        treesWere.append(s.tree.entries);
    // Freed on the pool: after a scan that re-judged a few items the new snapshots share nearly
    // everything with these, but after a whole one every item of these goes.
    releaseOnPool(std::exchange(w->sources, result->sources));
    const QList<TreeEntry> anchorsWere = std::exchange(w->anchors, result->anchors);
    if (!w->delivered && m_backstopBaseMs > 0) {
        // The backstop's period starts once the workspace is seen whole: at 100 000 records the
        // first scan may take longer than the period, and a backstop would walk it all again at once.
        m_backstopTimer.start();
        startBackstopPeriod();
    }
    w->delivered = true;
    if (changed)
        ++w->deliveries;
    w->scans->startPending(); // from what was just delivered

    // The views first: the comparisons below and the watch sync are linear in every watched tree,
    // and what changed meanwhile is reported by the sync all the same.
    const QString path = w->path;
    if (changed)
        emit snapshotsChanged(path, snapshots, changes);
    // The watch set follows the trees and anchors; a scan that found them as they were leaves
    // it alone (the sync is linear in every watched tree, on this thread).
    bool treesMoved = before != after || anchorsWere.size() != result->anchors.size();
    for (qsizetype i = 0; !treesMoved && i < result->anchors.size(); ++i)
        treesMoved = anchorsWere.at(i).path != result->anchors.at(i).path; // an anchor's mtime moves often
    for (qsizetype i = 0; !treesMoved && i < result->sources.size(); ++i)
        treesMoved = !(result->sources.at(i).tree.entries == treesWere.at(i));
    releaseOnPool(std::move(treesWere)); // the last hold on the trees the new ones replaced
    if (treesMoved && m_workspaces.value(path) == w) // a slot may have removed it
        syncWatches();
    emit scanFinished(path, result->elapsedMs);
    emit scanReported(report);
}

void WatchHub::onLivenessTick()
{
    // /proc is silent to inotify: ask it. Two syscalls per PID, on this thread.
    QHash<qint64, PidView> seen;
    const auto all = m_workspaces.values();
    for (const auto& w : all) {
        if (m_workspaces.value(w->path) != w)
            continue;
        ScanSpec spec;
        for (SourceState& s : w->sources) {
            for (auto it = s.pids.begin(); it != s.pids.end(); ++it) {
                auto now = seen.find(it.key());
                if (now == seen.end()) {
                    PidView view;
                    view.alive = livenessOf(it.key()) == Liveness::Alive;
                    view.startTicks = view.alive ? startTicksOf(it.key()) : -1;
                    now = seen.insert(it.key(), view);
                }
                const bool reused
                    = now->alive && it->startTicks >= 0 && now->startTicks >= 0 && now->startTicks != it->startTicks;
                if (now->alive != it->alive || reused) {
                    *it = *now; // asked once: the scan it triggers brings the new view
                    spec.force.insert(s.stateDir);
                }
            }
        }
        if (!spec.force.isEmpty()) {
            spec.reason = QStringLiteral("liveness");
            qCDebug(lcScan) << w->path << "a PID in view changed under" << spec.force.values();
            w->scans->request(spec);
        }
    }
}

void WatchHub::syncWatches()
{
    // Anchors of every workspace first (state dirs appearing), then their trees.
    QList<TreeEntry> anchors;
    QList<TreeEntries> trees;
    QList<qint64> takenAtNs;
    QSet<QString> inPlace; // polled with a polled directory (SourceAdapter::rewrittenInPlace)
    for (const auto& w : std::as_const(m_workspaces)) {
        anchors.append(w->anchors);
        for (const SourceState& s : std::as_const(w->sources)) {
            trees.append(s.tree.entries);
            takenAtNs.append(s.tree.takenAtNs);
            for (const QString& path : adapterFor(s.family).rewrittenInPlace(s.snapshot))
                inPlace.insert(path);
        }
    }
    m_watches.sync(anchors, trees, inPlace, takenAtNs);
}

} // namespace Stateward
