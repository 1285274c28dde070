// SPDX-License-Identifier: GPL-3.0-or-later
#include "watchset.h"

#include "logging.h"
#include "tsanannotate.h"
#include "watch/watchscan.h"

#include <QFile>
#include <QSet>
#include <QThreadPool>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/inotify.h>
#include <unistd.h>

namespace Stateward {

namespace {

    // fs.inotify.max_user_watches; -1 when it cannot be read.
    qint64 maxUserWatches()
    {
        QFile f(QStringLiteral("/proc/sys/fs/inotify/max_user_watches"));
        bool ok = false;
        const qint64 limit = f.open(QIODevice::ReadOnly) ? f.readAll().trimmed().toLongLong(&ok) : 0;
        return ok ? limit : -1;
    }

    // QFileSystemWatcher keeps its paths in a list: adding or removing n paths costs O(n²) on this
    // thread (32 000 files took 11 s, 2 000 took 0.15 s here). Never more than a quarter of the
    // user's inotify watches either: every other process of the user shares them.
    int defaultBudget()
    {
        constexpr qint64 kCap = 2048;
        const qint64 limit = maxUserWatches();
        return limit >= 0 ? int(std::clamp<qint64>(limit / 4, 64, kCap)) : 1024;
    }

    // Why inotify refuses to watch path, asked of a fresh inotify instance ("" when it accepts it).
    QString inotifyRefusal(const QString& path)
    {
        const int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (fd < 0) {
            const int error = errno;
            return error == EMFILE
                ? QStringLiteral("no inotify instance left (fs.inotify.max_user_instances reached)")
                : QStringLiteral("inotify_init1: %1").arg(QString::fromLocal8Bit(std::strerror(error)));
        }
        const int wd = ::inotify_add_watch(fd, QFile::encodeName(path).constData(), IN_ATTRIB | IN_DONT_FOLLOW);
        const int error = errno;
        ::close(fd);
        if (wd >= 0)
            return {};
        if (error == ENOSPC) {
            const qint64 limit = maxUserWatches();
            return QStringLiteral("inotify watch limit reached (fs.inotify.max_user_watches = %1)")
                .arg(limit >= 0 ? QString::number(limit) : QStringLiteral("?"));
        }
        return QString::fromLocal8Bit(std::strerror(error));
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

WatchSet::WatchSet(QObject* parent)
    : QObject(parent)
    , m_watcher(this)
    , m_budget(defaultBudget())
    , m_pollTimer(this)
{
    connect(&m_watcher, &QFileSystemWatcher::fileChanged, this, &WatchSet::onWatcherEvent);
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, this, &WatchSet::onWatcherEvent);
    connect(&m_pollTimer, &QTimer::timeout, this, &WatchSet::onPollTick);
    m_pollTimer.start(2000);
}

void WatchSet::setBudget(int paths)
{
    m_budget = std::max(0, paths);
}

void WatchSet::setPollInterval(int ms)
{
    if (ms > 0)
        m_pollTimer.start(ms);
    else
        m_pollTimer.stop();
}

QStringList WatchSet::watchedPaths() const
{
    QStringList list = m_watched.keys();
    list.sort();
    return list;
}

void WatchSet::onWatcherEvent(const QString& path)
{
    // Re-arm at once: Qt drops the watch of a file deleted or replaced by rename (every atomic
    // save), and a watch left on the old inode (still open somewhere) sees nothing of the new one.
    const auto it = m_watched.find(path);
    if (it != m_watched.end()) {
        const auto stamp = FileStamp::ofPath(path);
        if (!stamp || stamp->key != it.value()) {
            m_watcher.removePath(path);
            if (stamp && !stamp->isSymlink && m_watcher.addPath(path)) {
                it.value() = stamp->key;
                qCDebug(lcWatch) << "re-armed on its new inode:" << path;
            } else {
                m_watched.erase(it); // gone: the scan its directory's event asks for decides
                qCDebug(lcWatch) << "watch dropped, path gone:" << path;
            }
        }
    }
    emit changed(path);
}

void WatchSet::onPollTick()
{
    if (m_pollRunning || m_polled.isEmpty())
        return;
    m_pollRunning = true;
    QThreadPool::globalInstance()->start(Tsan::handOff([toSet = m_mailbox.sender(), set = this, expected = m_polled] {
        const QHash<QString, FileStamp> changed = changedStamps(expected);
        toSet.post([set, changed] { set->onPollResult(changed); });
    }));
}

void WatchSet::onPollResult(const QHash<QString, FileStamp>& changedNow)
{
    m_pollRunning = false;
    QStringList paths;
    for (auto it = changedNow.cbegin(); it != changedNow.cend(); ++it) {
        const auto polled = m_polled.find(it.key());
        if (polled == m_polled.end())
            continue; // watched again, or no longer wanted
        polled.value() = it.value();
        paths.append(it.key());
    }
    paths.sort();
    if (!paths.isEmpty())
        qCDebug(lcWatch) << "the poll saw" << paths.size() << "paths change";
    for (const QString& path : std::as_const(paths))
        emit changed(path);
}

void WatchSet::forgetWatchesQtDropped()
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
}

void WatchSet::sync(
    const QList<TreeEntry>& anchors, const QList<TreeEntries>& trees, const QSet<QString>& rewrittenInPlace)
{
    forgetWatchesQtDropped();

    // Needed for events to arrive at all: anchors and every directory. Beyond the budget they are polled.
    QList<TreeEntry> wants;
    QSet<QString> seen;
    const auto want = [&](const TreeEntry& e) {
        if (e.stamp.isSymlink || seen.contains(e.path))
            return; // a symlink is never watched (inotify would follow it); its directory sees it swapped
        seen.insert(e.path);
        wants.append(e);
    };
    for (const TreeEntry& a : anchors)
        want(a);
    for (const TreeEntries& entries : trees) {
        for (const TreeEntry& e : entries) {
            if (e.stamp.isDirectory)
                want(e);
        }
    }
    QHash<QString, FileStamp> watchSet;
    QHash<QString, FileStamp> pollSet;
    QStringList order; // what to add first
    for (const TreeEntry& e : std::as_const(wants)) {
        if (watchSet.size() < m_budget) {
            watchSet.insert(e.path, e.stamp);
            order.append(e.path);
        } else {
            pollSet.insert(e.path, e.stamp);
        }
    }
    const int overBudget = int(pollSet.size());

    // Then the files the tools rewrite in place: no directory's watch sees those writes.
    const auto isFile = [](const TreeEntry& e) { return !e.stamp.isDirectory && !e.stamp.isSymlink; };
    int watchedFiles = 0;
    qsizetype inPlaceLeft = rewrittenInPlace.size();
    for (qsizetype t = 0; t < trees.size() && inPlaceLeft > 0 && watchSet.size() < m_budget; ++t) {
        for (const TreeEntry& e : trees.at(t)) {
            if (!isFile(e) || !rewrittenInPlace.contains(e.path) || seen.contains(e.path))
                continue;
            seen.insert(e.path);
            watchSet.insert(e.path, e.stamp);
            order.append(e.path);
            ++watchedFiles;
            if (--inPlaceLeft == 0 || watchSet.size() >= m_budget)
                break;
        }
    }
    // The other files fill the rest, shallow first across every tree (completed records, logs,
    // archives). They are still seen created, deleted or replaced through their directory; only
    // their in-place writes wait for the backstop. Linear, and nothing hashed beyond the budget.
    int files = 0;
    QList<qsizetype> cursor(trees.size(), 0);
    for (int depth = 0; depth <= TreeFingerprint::kMaxDepth; ++depth) {
        for (qsizetype t = 0; t < trees.size(); ++t) {
            const TreeEntries& entries = trees.at(t);
            for (qsizetype& i = cursor[t]; i < entries.size() && entries.at(i).depth <= depth; ++i) {
                const TreeEntry& e = entries.at(i);
                if (!isFile(e))
                    continue;
                ++files;
                if (watchSet.size() < m_budget && !seen.contains(e.path)) {
                    seen.insert(e.path);
                    watchSet.insert(e.path, e.stamp);
                    order.append(e.path);
                    ++watchedFiles;
                }
            }
        }
    }
    const int unwatchedFiles = files - watchedFiles;

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
            qCDebug(lcWatch) << "inotify refused" << path << why;
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
    qCDebug(lcWatch).noquote() << QStringLiteral("sync: %1 watched (%2 added, %3 removed), %4 polled, %5 files "
                                                 "through their directory only")
                                      .arg(m_watched.size())
                                      .arg(toAdd.size() - refusedNow.size())
                                      .arg(toRemove.size())
                                      .arg(pollSet.size())
                                      .arg(unwatchedFiles);

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
            why.append(QStringLiteral("%1 directories beyond the watch budget of %2").arg(overBudget).arg(m_budget));
        health.reason = why.join(QStringLiteral("; "))
            + QStringLiteral("; polled every %1 ms").arg(m_pollTimer.isActive() ? m_pollTimer.interval() : 0);
    }
    setHealth(health);
    for (const QString& path : std::as_const(changedSinceScan))
        emit changed(path);
}

void WatchSet::setHealth(const WatchHealth& health)
{
    if (health == m_health)
        return;
    m_health = health;
    qCDebug(lcWatch) << "health:" << m_health.summary() << m_health.reason;
    emit healthChanged(m_health);
}

} // namespace Stateward
