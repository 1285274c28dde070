// SPDX-License-Identifier: GPL-3.0-or-later
#include "watchhub.h"

#include "proc/paths.h"
#include "proc/processinfo.h"

#include <QFile>
#include <QMutex>
#include <QMutexLocker>
#include <QSet>
#include <QThreadPool>

#include <algorithm>
#include <limits>

namespace Stateward {

namespace {

    // QFileSystemWatcher keeps its paths in a list: adding or removing n paths costs O(n²) on this
    // thread (32 000 files took 11 s, 2 000 took 0.15 s here). Never more than a quarter of the
    // user's inotify watches either: every other process of the user shares them.
    int defaultWatchBudget()
    {
        constexpr qint64 kCap = 2048;
        QFile f(QStringLiteral("/proc/sys/fs/inotify/max_user_watches"));
        bool ok = false;
        const qint64 limit = f.open(QIODevice::ReadOnly) ? f.readAll().trimmed().toLongLong(&ok) : 0;
        return ok ? int(std::clamp<qint64>(limit / 4, 64, kCap)) : 1024;
    }

    // The most refused paths asked of inotify for a reason per sync; each probe opens an instance.
    constexpr int kMaxRefusalProbes = 16;

} // namespace

QString WatchHealth::summary() const
{
    if (isDegraded())
        return QStringLiteral("degraded: polling (%1 paths)").arg(polledPaths.size());
    return unwatchedFiles == 0
        ? QStringLiteral("ok")
        : QStringLiteral("ok (%1 files watched through their directory only)").arg(unwatchedFiles);
}

struct WatchHub::Link
{
    QMutex mutex;
    WatchHub* hub = nullptr;
};

struct WatchHub::Workspace
{
    QString path;
    quint64 incarnation = 0; // a workspace removed and added again is another one
    QList<SourceState> sources; // as last delivered
    QList<TreeEntry> anchors;
    bool delivered = false;
    quint64 requested = 0;
    quint64 deliveredGeneration = 0;
    // The generation the running job must carry to be delivered; a newer value stops it.
    std::shared_ptr<std::atomic<quint64>> token = std::make_shared<std::atomic<quint64>>(0);
    bool running = false;
    ScanSpec runningSpec;
    qint64 runningSince = 0; // when the oldest change the running job carries was requested
    bool hasPending = false;
    ScanSpec pending;
    qint64 pendingSince = 0;
    // Shared with the running scan; a forced rescan starts a new one (every file read again).
    std::shared_ptr<AdapterCaches> caches = std::make_shared<AdapterCaches>();
};

WatchHub::WatchHub(QObject* parent)
    : QObject(parent)
    , m_watcher(this)
    , m_link(QSharedPointer<Link>::create())
    , m_debounceTimer(this)
    , m_livenessTimer(this)
    , m_backstopTimer(this)
    , m_pollTimer(this)
    , m_watchBudget(defaultWatchBudget())
{
    m_link->hub = this;
    m_clock.start();
    connect(&m_watcher, &QFileSystemWatcher::fileChanged, this, &WatchHub::onWatcherEvent);
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, this, &WatchHub::onWatcherEvent);
    m_debounceTimer.setSingleShot(true);
    connect(&m_debounceTimer, &QTimer::timeout, this, &WatchHub::onDebounce);
    connect(&m_livenessTimer, &QTimer::timeout, this, &WatchHub::onLivenessTick);
    connect(&m_pollTimer, &QTimer::timeout, this, &WatchHub::onPollTick);
    connect(&m_backstopTimer, &QTimer::timeout, this, [this] {
        ScanSpec spec;
        spec.reason = QStringLiteral("backstop");
        spec.backstop = true;
        m_retryRefused = true;
        const auto all = m_workspaces.values();
        for (const auto& w : all) {
            if (m_workspaces.value(w->path) == w)
                request(*w, spec);
        }
    });
    m_livenessTimer.start(1000);
    m_backstopTimer.start(30000);
    m_pollTimer.start(2000);
}

WatchHub::~WatchHub()
{
    {
        QMutexLocker lock(&m_link->mutex);
        m_link->hub = nullptr; // from here on no job posts to us
    }
    for (const auto& w : std::as_const(m_workspaces))
        w->token->store(std::numeric_limits<quint64>::max()); // running scans stop at the next state dir
}

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
    m_workspaces.insert(path, w);
    ScanSpec spec;
    spec.reason = QStringLiteral("added");
    spec.parseAll = true;
    request(*w, spec);
    return true;
}

bool WatchHub::removeWorkspace(const QString& workspace)
{
    const QString path = cleanAbsolute(workspace);
    const auto w = m_workspaces.take(path);
    if (!w)
        return false;
    w->token->store(std::numeric_limits<quint64>::max());
    m_backstopCostMs.remove(path);
    stretchBackstop();
    for (auto it = m_pending.begin(); it != m_pending.end();) {
        if (it->workspace == path)
            it = m_pending.erase(it);
        else
            ++it;
    }
    armDebounce();
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
            request(*w, spec);
        }
    }
}

void WatchHub::setDebounce(int ms)
{
    m_debounceMs = std::max(0, ms);
    armDebounce();
}

void WatchHub::setMaxDelay(int ms)
{
    m_maxDelayMs = std::max(0, ms);
    armDebounce();
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
    if (ms > 0)
        m_backstopTimer.start(ms);
    else
        m_backstopTimer.stop();
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

void WatchHub::setPollInterval(int ms)
{
    if (ms > 0)
        m_pollTimer.start(ms);
    else
        m_pollTimer.stop();
}

void WatchHub::setWatchBudget(int paths)
{
    m_watchBudget = std::max(0, paths);
    syncWatches();
}

QStringList WatchHub::watchedPaths() const
{
    QStringList list = m_watched.keys();
    list.sort();
    return list;
}

quint64 WatchHub::generation(const QString& workspace) const
{
    const Workspace* w = find(workspace);
    return w ? w->requested : 0;
}

quint64 WatchHub::deliveredGeneration(const QString& workspace) const
{
    const Workspace* w = find(workspace);
    return w ? w->deliveredGeneration : 0;
}

void WatchHub::onWatcherEvent(const QString& path)
{
    // Re-arm at once: Qt drops the watch of a file deleted or replaced by rename (every atomic
    // save), and a watch left on the old inode (still open somewhere) sees nothing of the new one.
    const auto it = m_watched.find(path);
    if (it != m_watched.end()) {
        const auto stamp = FileStamp::ofPath(path);
        if (!stamp || stamp->key != it.value()) {
            m_watcher.removePath(path);
            if (stamp && !stamp->isSymlink && m_watcher.addPath(path))
                it.value() = stamp->key;
            else
                m_watched.erase(it); // gone: the scan its directory's event asks for decides
        }
    }
    pathChanged(path);
}

void WatchHub::pathChanged(const QString& path)
{
    bool ours = false;
    const auto all = m_workspaces.values();
    for (const auto& w : all) {
        for (const SourceState& s : std::as_const(w->sources)) {
            if (path == s.stateDir || path.startsWith(s.stateDir + QLatin1Char('/'))) {
                markDirty(w->path, s.stateDir, path);
                ours = true;
            }
        }
        for (const TreeEntry& a : std::as_const(w->anchors)) {
            if (path == a.path) {
                markDirty(w->path, {}, path);
                ours = true;
            }
        }
    }
    if (ours)
        emit fileEvent(path);
}

void WatchHub::markDirty(const QString& workspace, const QString& stateDir, const QString& path)
{
    const qint64 now = m_clock.elapsed();
    PendingChange& p = m_pending[workspace + QLatin1Char('\n') + stateDir];
    if (p.workspace.isEmpty()) {
        p.workspace = workspace;
        p.stateDir = stateDir;
        p.firstMs = now;
    }
    if (!stateDir.isEmpty() && p.paths.size() <= TreeFingerprint::kMaxChangedPaths)
        p.paths.insert(path);
    p.lastMs = now;
    armDebounce();
}

void WatchHub::armDebounce()
{
    if (m_pending.isEmpty()) {
        m_debounceTimer.stop();
        return;
    }
    qint64 next = std::numeric_limits<qint64>::max();
    for (const PendingChange& p : std::as_const(m_pending))
        next = std::min(next, std::min(p.lastMs + m_debounceMs, p.firstMs + m_maxDelayMs));
    m_debounceTimer.start(int(std::max<qint64>(0, next - m_clock.elapsed())));
}

void WatchHub::onDebounce()
{
    const qint64 now = m_clock.elapsed();
    QHash<QString, ScanSpec> due;
    for (auto it = m_pending.begin(); it != m_pending.end();) {
        if (std::min(it->lastMs + m_debounceMs, it->firstMs + m_maxDelayMs) > now) {
            ++it;
            continue;
        }
        ScanSpec spec;
        if (it->stateDir.isEmpty()) {
            spec.reason = QStringLiteral("directories changed");
        } else {
            spec.reason = QStringLiteral("files changed");
            spec.dirty.insert(it->stateDir);
            spec.changedPaths = it->paths;
        }
        due[it->workspace].merge(spec);
        it = m_pending.erase(it);
    }
    armDebounce();
    for (auto it = due.cbegin(); it != due.cend(); ++it) {
        if (Workspace* w = find(it.key()))
            request(*w, it.value());
    }
}

void WatchHub::request(Workspace& w, const ScanSpec& spec)
{
    const qint64 now = m_clock.elapsed();
    ++w.requested;
    if (w.hasPending) {
        w.pending.merge(spec);
    } else {
        w.pending = spec;
        w.pendingSince = now;
        w.hasPending = true;
    }
    if (!w.running) {
        start(w);
        return;
    }
    // Supersede the running scan when the new one will parse anyway, unless what the running
    // one carries has waited too long (a directory busier than a scan is long would starve).
    // A request that only re-asks the adapters for state dirs waits its turn.
    if (spec.needsParse() && now - w.runningSince < m_maxDelayMs)
        w.token->store(w.requested);
}

void WatchHub::start(Workspace& w)
{
    auto job = std::make_shared<ScanRequest>();
    job->workspace = w.path;
    job->generation = w.requested;
    job->spec = w.pending;
    job->known = w.sources;
    job->caches = w.caches;
    w.running = true;
    w.runningSpec = w.pending;
    w.runningSince = w.pendingSince;
    w.hasPending = false;
    w.pending = {};
    w.token->store(job->generation);
    QThreadPool::globalInstance()->start([link = m_link, token = w.token, job, incarnation = w.incarnation] {
        const auto superseded = [&token, &job] { return token->load() != job->generation; };
        auto result = std::make_shared<ScanResult>(runScan(*job, superseded));
        QMutexLocker lock(&link->mutex);
        if (WatchHub* hub = link->hub) {
            QMetaObject::invokeMethod(
                hub, [hub, result, incarnation] { hub->onScanResult(result, incarnation); }, Qt::QueuedConnection);
        }
    });
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
    report.reason = w->runningSpec.reason;
    w->running = false;
    if (result->superseded || result->generation != w->token->load()) {
        // Dropped: the changes it carried go into the next scan, which already runs newer.
        ++m_scansSuperseded;
        report.superseded = true;
        if (w->hasPending) {
            w->pending.merge(w->runningSpec);
            w->pendingSince = std::min(w->pendingSince, w->runningSince);
        } else {
            w->pending = w->runningSpec;
            w->pendingSince = w->runningSince;
            w->hasPending = true;
        }
        start(*w);
        emit scanReported(report);
        return;
    }

    // What the next backstop will cost: the last one's time, or before any, the whole walks seen.
    if (w->runningSpec.backstop)
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
    // The watch set follows the trees and anchors; a scan that found them as they were leaves
    // it alone (the sync is linear in every watched tree, on this thread).
    bool treesMoved = before != after || w->anchors.size() != result->anchors.size();
    for (qsizetype i = 0; !treesMoved && i < result->anchors.size(); ++i)
        treesMoved = w->anchors.at(i).path != result->anchors.at(i).path; // an anchor's mtime moves often
    for (qsizetype i = 0; !treesMoved && i < result->sources.size(); ++i)
        treesMoved = !(result->sources.at(i).tree.entries == w->sources.at(i).tree.entries);
    w->sources = result->sources;
    w->anchors = result->anchors;
    w->delivered = true;
    w->deliveredGeneration = result->generation;
    if (w->hasPending)
        start(*w);
    if (treesMoved)
        syncWatches();

    const QString path = w->path;
    if (changed)
        emit snapshotsChanged(path, snapshots);
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
            request(*w, spec);
        }
    }
}

void WatchHub::onPollTick()
{
    if (m_pollRunning || m_polled.isEmpty())
        return;
    m_pollRunning = true;
    QThreadPool::globalInstance()->start([link = m_link, expected = m_polled] {
        const QHash<QString, FileStamp> changed = changedStamps(expected);
        QMutexLocker lock(&link->mutex);
        if (WatchHub* hub = link->hub)
            QMetaObject::invokeMethod(
                hub, [hub, changed] { hub->onPollResult(changed); }, Qt::QueuedConnection);
    });
}

void WatchHub::onPollResult(const QHash<QString, FileStamp>& changed)
{
    m_pollRunning = false;
    QStringList paths;
    for (auto it = changed.cbegin(); it != changed.cend(); ++it) {
        const auto polled = m_polled.find(it.key());
        if (polled == m_polled.end())
            continue; // watched again, or no longer wanted
        polled.value() = it.value();
        paths.append(it.key());
    }
    paths.sort();
    for (const QString& path : std::as_const(paths))
        pathChanged(path);
}

void WatchHub::syncWatches()
{
    // Qt also drops watches on its own (a file renamed away and back keeps its inode, so the
    // event handler cannot tell): believe its lists over ours.
    QSet<QString> qtWatched;
    const QStringList qtFiles = m_watcher.files();
    const QStringList qtDirs = m_watcher.directories();
    qtWatched.reserve(qtFiles.size() + qtDirs.size());
    for (const QString& p : qtFiles)
        qtWatched.insert(p);
    for (const QString& p : qtDirs)
        qtWatched.insert(p);
    for (auto it = m_watched.begin(); it != m_watched.end();) {
        if (qtWatched.contains(it.key()))
            ++it;
        else
            it = m_watched.erase(it);
    }

    // Needed for events to arrive at all: anchors (state dirs appearing) and every directory
    // (creations, deletions, renames: atomic saves included). Beyond the budget they are polled.
    QList<TreeEntry> wants;
    QSet<QString> seen;
    const auto want = [&](const TreeEntry& e) {
        if (e.stamp.isSymlink || seen.contains(e.path))
            return; // a symlink is never watched (inotify would follow it); its directory sees it swapped
        seen.insert(e.path);
        wants.append(e);
    };
    for (const auto& w : std::as_const(m_workspaces)) {
        for (const TreeEntry& a : std::as_const(w->anchors))
            want(a);
    }
    for (const auto& w : std::as_const(m_workspaces)) {
        for (const SourceState& s : std::as_const(w->sources)) {
            for (const TreeEntry& e : s.tree.entries) {
                if (e.stamp.isDirectory)
                    want(e);
            }
        }
    }
    QHash<QString, FileStamp> watchSet;
    QHash<QString, FileStamp> pollSet;
    QStringList order; // what to add first
    for (const TreeEntry& e : std::as_const(wants)) {
        if (watchSet.size() < m_watchBudget) {
            watchSet.insert(e.path, e.stamp);
            order.append(e.path);
        } else {
            pollSet.insert(e.path, e.stamp);
        }
    }
    const int overBudget = int(pollSet.size());

    // Files (in-place writes) fill the rest, shallow first across every tree: index.json,
    // state.json and active records before completed/ archives. The others are still seen
    // created, deleted or replaced through their directory; only their in-place writes wait
    // for the backstop. Linear, and nothing hashed beyond the budget.
    int unwatchedFiles = 0;
    QList<const QList<TreeEntry>*> trees;
    for (const auto& w : std::as_const(m_workspaces)) {
        for (const SourceState& s : std::as_const(w->sources))
            trees.append(&s.tree.entries);
    }
    QList<qsizetype> cursor(trees.size(), 0);
    for (int depth = 0; depth <= TreeFingerprint::kMaxDepth; ++depth) {
        for (qsizetype t = 0; t < trees.size(); ++t) {
            const QList<TreeEntry>& entries = *trees.at(t);
            for (qsizetype& i = cursor[t]; i < entries.size() && entries.at(i).depth <= depth; ++i) {
                const TreeEntry& e = entries.at(i);
                if (e.stamp.isDirectory || e.stamp.isSymlink)
                    continue;
                if (watchSet.size() < m_watchBudget && !seen.contains(e.path)) {
                    seen.insert(e.path);
                    watchSet.insert(e.path, e.stamp);
                    order.append(e.path);
                } else {
                    ++unwatchedFiles;
                }
            }
        }
    }

    QStringList toRemove;
    for (auto it = m_watched.cbegin(); it != m_watched.cend(); ++it) {
        const auto wanted = watchSet.constFind(it.key());
        // Watched on another inode than the one scanned: replaced since, watch the new one.
        if (wanted == watchSet.constEnd() || wanted->key != it.value())
            toRemove.append(it.key());
    }
    if (!toRemove.isEmpty())
        m_watcher.removePaths(toRemove);
    for (const QString& p : std::as_const(toRemove))
        m_watched.remove(p);

    QStringList toAdd;
    QStringList stillRefused;
    for (const QString& path : std::as_const(order)) {
        if (m_watched.contains(path))
            continue;
        if (m_refused.contains(path) && !m_retryRefused)
            stillRefused.append(path);
        else
            toAdd.append(path);
    }
    m_retryRefused = false;
    const QStringList refusedList = toAdd.isEmpty() ? QStringList() : m_watcher.addPaths(toAdd);
    const QSet<QString> refusedNow(refusedList.cbegin(), refusedList.cend());
    QStringList changedSinceScan;
    int probes = 0;
    QHash<QString, QString> refused;
    const auto poll = [&](const QString& path, const FileStamp& now) {
        const FileStamp& scanned = watchSet[path];
        pollSet.insert(path, scanned);
        QString why = m_refused.value(path);
        if (why.isEmpty()) {
            why = probes++ < kMaxRefusalProbes ? inotifyRefusal(path) : QString();
            if (why.isEmpty())
                why = QStringLiteral("refused (reason not probed)");
        }
        refused.insert(path, why);
        if (!(now == scanned))
            changedSinceScan.append(path);
    };
    for (const QString& path : std::as_const(stillRefused)) {
        if (const auto now = FileStamp::ofPath(path))
            poll(path, *now);
    }
    for (const QString& path : std::as_const(toAdd)) {
        const auto now = FileStamp::ofPath(path);
        if (refusedNow.contains(path)) {
            if (now) // else gone since the scan: its parent's event says so
                poll(path, *now);
            continue;
        }
        m_watched.insert(path, now ? now->key : FileKey {});
        // Changed between the scan's walk and the watch: no event will ever say so.
        if (!now || !(*now == watchSet[path]))
            changedSinceScan.append(path);
    }
    m_refused = refused;
    m_polled = pollSet;
    QStringList refusedWhy;
    for (auto it = refused.cbegin(); it != refused.cend(); ++it)
        refusedWhy.append(it.key() + QStringLiteral(": ") + it.value());

    WatchHealth health;
    health.unwatchedFiles = unwatchedFiles;
    if (!pollSet.isEmpty()) {
        health.state = WatchHealth::State::DegradedPolling;
        health.polledPaths = pollSet.keys();
        health.polledPaths.sort();
        refusedWhy.sort();
        health.refused = refusedWhy;
        health.overBudget = overBudget;
        QStringList why;
        if (!refusedWhy.isEmpty())
            why.append(QStringLiteral("inotify refused %1 paths").arg(refusedWhy.size()));
        if (overBudget > 0)
            why.append(
                QStringLiteral("%1 directories beyond the watch budget of %2").arg(overBudget).arg(m_watchBudget));
        health.reason = why.join(QStringLiteral("; "))
            + QStringLiteral("; polled every %1 ms").arg(m_pollTimer.isActive() ? m_pollTimer.interval() : 0);
    }
    setHealth(health);
    for (const QString& path : std::as_const(changedSinceScan))
        pathChanged(path);
}

void WatchHub::setHealth(const WatchHealth& health)
{
    if (health == m_health)
        return;
    m_health = health;
    emit healthChanged(m_health);
}

} // namespace Stateward
