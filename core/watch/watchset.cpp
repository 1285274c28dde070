// SPDX-License-Identifier: GPL-3.0-or-later
#include "watchset.h"

#include "logging.h"
#include "proc/paths.h"
#include "tsanannotate.h"
#include "watch/watchscan.h"

#include <QFile>
#include <QSet>
#include <QThreadPool>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <limits>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Stateward {

namespace {

    // Every change to a directory's entries, each event naming the entry: created, deleted,
    // renamed away or in, written in place (IN_MODIFY, IN_CLOSE_WRITE), attributes; and the
    // directory itself going (deleted, renamed away). Never through a symlink, only a directory;
    // no events for an entry once unlinked (a deleted tmp file still being written).
    constexpr uint32_t kMask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_MODIFY
        | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;

    // What an anchor's named event must be to matter: a state dir appearing or going (an anchor
    // such as the workspace sees every file the user edits there written).
    bool concernsAnAnchor(uint32_t mask)
    {
        return (mask & (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)) != 0
            || ((mask & IN_ATTRIB) != 0 && (mask & IN_ISDIR) != 0);
    }

    // fs.inotify.max_user_watches; -1 when it cannot be read.
    qint64 maxUserWatches()
    {
        QFile f(QStringLiteral("/proc/sys/fs/inotify/max_user_watches"));
        bool ok = false;
        const qint64 limit = f.open(QIODevice::ReadOnly) ? f.readAll().trimmed().toLongLong(&ok) : 0;
        return ok ? limit : -1;
    }

    // A quarter of the user's inotify watches: every other process of the user shares them, and
    // each pins about 1 KiB of kernel memory (the kernel sizes the limit at up to 1 % of RAM from
    // that). Only directories are watched, and this set's own cost is a hash entry per watch
    // (adding n is linear), so nothing else caps it. 8192, the kernel's floor, when unreadable.
    int defaultBudget()
    {
        const qint64 limit = maxUserWatches();
        return int(std::clamp<qint64>(limit >= 0 ? limit / 4 : 8192 / 4, 64, std::numeric_limits<int>::max()));
    }

    QString refusalReason(int error)
    {
        if (error == ENOSPC) {
            const qint64 limit = maxUserWatches();
            return QStringLiteral("inotify watch limit reached (fs.inotify.max_user_watches = %1)")
                .arg(limit >= 0 ? QString::number(limit) : QStringLiteral("?"));
        }
        if (error == EMFILE)
            return QStringLiteral("no inotify instance left (fs.inotify.max_user_instances reached)");
        return QString::fromLocal8Bit(std::strerror(error));
    }

    // Whether dir holds the scanned entries (its listing in the tree), each with the same stamp, and
    // no other (Stateward's own area aside); false when it cannot be listed.
    bool listingMatches(const QString& dir, const QList<TreeEntry>& scanned)
    {
        QHash<QString, const FileStamp*> byName;
        byName.reserve(scanned.size());
        for (const TreeEntry& e : scanned)
            byName.insert(e.path.mid(dir.size() + 1), &e.stamp);
        DIR* d = ::opendir(QFile::encodeName(dir).constData());
        if (!d)
            return false;
        qsizetype matched = 0;
        bool same = true;
        while (same) {
            const struct dirent* entry = ::readdir(d);
            if (!entry)
                break;
            if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0)
                continue;
            const QString name = QFile::decodeName(entry->d_name);
            const FileStamp* was = byName.value(name);
            if (!was && name == QLatin1String(".stateward"))
                continue; // left out of the trees
            struct stat st
            {
            };
            same = was && ::fstatat(::dirfd(d), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0
                && FileStamp::fromStat(st) == *was;
            matched += same ? 1 : 0;
        }
        ::closedir(d);
        return same && matched == scanned.size();
    }

    qint64 nsOf(const struct timespec& t)
    {
        return qint64(t.tv_sec) * 1000000000LL + t.tv_nsec;
    }

} // namespace

QString WatchHealth::summary() const
{
    if (!isDegraded())
        return QStringLiteral("ok");
    return unwatchedFiles == 0
        ? QStringLiteral("degraded: polling (%1 paths)").arg(polledPaths.size())
        : QStringLiteral("degraded: polling (%1 paths; %2 files' in-place writes wait for the backstop)")
              .arg(polledPaths.size())
              .arg(unwatchedFiles);
}

WatchSet::WatchSet(QObject* parent)
    : QObject(parent)
    , m_budget(defaultBudget())
    , m_pollTimer(this)
{
    m_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (m_fd >= 0) {
        // A child: it moves with the set to another thread.
        m_notifier = std::make_unique<QSocketNotifier>(m_fd, QSocketNotifier::Read, this);
        connect(m_notifier.get(), &QSocketNotifier::activated, this, &WatchSet::onReadable);
    } else {
        m_initError = errno; // every path is refused, with this reason, and polled
        qCWarning(lcWatch) << "inotify_init1:" << refusalReason(m_initError);
    }
    connect(&m_pollTimer, &QTimer::timeout, this, &WatchSet::onPollTick);
    m_pollTimer.start(2000);
}

WatchSet::~WatchSet()
{
    m_notifier.reset();
    if (m_fd >= 0)
        ::close(m_fd);
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

bool WatchSet::addWatch(const QString& path, bool tree, int* error, std::optional<struct stat>* after)
{
    if (m_fd < 0) {
        *error = m_initError;
        return false;
    }
    const QByteArray encoded = QFile::encodeName(path);
    const int wd = ::inotify_add_watch(m_fd, encoded.constData(), kMask);
    if (wd < 0) {
        *error = errno;
        return false;
    }
    // The inode watched now (the path may have been replaced since the scan): a sync that scanned
    // another one watches that one instead.
    struct stat st
    {
    };
    *after = ::lstat(encoded.constData(), &st) == 0 ? std::optional<struct stat>(st) : std::nullopt;
    m_watched.insert(path, Watch { wd, *after ? FileStamp::fromStat(st).key : FileKey {}, tree });
    QStringList& paths = m_pathsOf[wd];
    if (!paths.contains(path))
        paths.append(path);
    return true;
}

void WatchSet::removeWatch(const QString& path)
{
    const auto it = m_watched.constFind(path);
    if (it == m_watched.cend())
        return;
    const int wd = it->wd;
    m_watched.erase(it);
    const auto paths = m_pathsOf.find(wd);
    if (paths == m_pathsOf.end())
        return;
    paths->removeAll(path);
    if (paths->isEmpty()) {
        m_pathsOf.erase(paths);
        ::inotify_rm_watch(m_fd, wd); // its IN_IGNORED finds no path
    }
}

void WatchSet::forgetWd(int wd)
{
    const QStringList paths = m_pathsOf.take(wd);
    for (const QString& path : paths) {
        const auto it = m_watched.constFind(path);
        if (it != m_watched.cend() && it->wd == wd)
            m_watched.erase(it);
    }
}

void WatchSet::onReadable()
{
    // Every event queued now, each path once: a tool appending to a log makes an IN_MODIFY per
    // write. Bounded, so that a writer faster than this loop cannot hold the thread: the notifier
    // fires again for the rest.
    alignas(struct inotify_event) char buffer[64 * 1024];
    QStringList order;
    QSet<QString> seen;
    bool lost = false;
    const auto note = [&](const QString& path) {
        if (!seen.contains(path)) {
            seen.insert(path);
            order.append(path);
        }
    };
    for (int reads = 0; reads < 64; ++reads) {
        const ssize_t n = ::read(m_fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; // EAGAIN: drained
        for (ssize_t at = 0; at + ssize_t(sizeof(struct inotify_event)) <= n;) {
            const auto* event = reinterpret_cast<const struct inotify_event*>(buffer + at);
            at += ssize_t(sizeof(struct inotify_event) + event->len);
            if (event->mask & IN_Q_OVERFLOW) {
                lost = true;
                continue;
            }
            if (event->mask & IN_IGNORED) { // removed: by us, or its directory went
                forgetWd(event->wd);
                continue;
            }
            const QStringList paths = m_pathsOf.value(event->wd);
            if (event->len > 0) {
                const QString name = QFile::decodeName(event->name);
                for (const QString& dir : paths) {
                    if (concernsAnAnchor(event->mask) || m_watched.value(dir).tree)
                        note(dir + QLatin1Char('/') + name);
                }
                continue;
            }
            for (const QString& dir : paths)
                note(dir);
            if (event->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) {
                // Gone from these paths: the parent's named event says what happened, and the next
                // sync watches what stands there now. A path still naming this inode keeps it.
                bool kept = false;
                for (const QString& dir : paths) {
                    const auto now = FileStamp::ofPath(dir);
                    if (!(event->mask & IN_DELETE_SELF) && now && now->key == m_watched.value(dir).key) {
                        kept = true;
                        continue;
                    }
                    m_watched.remove(dir);
                    m_pathsOf[event->wd].removeAll(dir);
                    qCDebug(lcWatch) << "watch dropped, its directory went:" << dir;
                }
                if (!kept) {
                    m_pathsOf.remove(event->wd);
                    if (event->mask & IN_MOVE_SELF)
                        ::inotify_rm_watch(m_fd, event->wd); // deleted: the kernel removes it
                }
            }
        }
    }
    if (lost) { // any path may have changed: the events read name only some
        qCDebug(lcWatch) << "inotify's queue overflowed:" << order.size() << "paths read, the rest lost";
        emit eventsLost();
        return;
    }
    if (!order.isEmpty())
        emit changed(order, true);
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
    if (!paths.isEmpty())
        emit changed(paths, false);
}

void WatchSet::sync(const QList<TreeEntry>& anchors, const QList<TreeEntries>& trees,
    const QSet<QString>& rewrittenInPlace, const QList<qint64>& treesTakenAtNs)
{
    const qint64 nowNs = TreeFingerprint::clockNs();
    // Needed for events to arrive at all: anchors and every directory. Beyond the budget they are polled.
    struct Wanted
    {
        TreeEntry entry;
        bool tree = false;
        qint64 walkedAtNs = 0; // when its stamp was read, at the latest
    };
    QList<Wanted> wants;
    QHash<QString, qsizetype> wantAt;
    const auto want = [&](const TreeEntry& e, bool tree, qint64 walkedAtNs) {
        if (e.stamp.isSymlink)
            return; // never watched (inotify would follow it); its directory sees it swapped
        const auto at = wantAt.constFind(e.path);
        if (at != wantAt.cend()) {
            Wanted& w = wants[*at];
            w.tree = w.tree || tree;
            w.walkedAtNs = std::min(w.walkedAtNs, walkedAtNs);
            return;
        }
        wantAt.insert(e.path, wants.size());
        wants.append({ e, tree, walkedAtNs });
    };
    for (const TreeEntry& a : anchors)
        want(a, false, nowNs); // read at the end of the scan that just delivered
    for (qsizetype t = 0; t < trees.size(); ++t) {
        const qint64 walked = t < treesTakenAtNs.size() && treesTakenAtNs.at(t) > 0 ? treesTakenAtNs.at(t) : nowNs;
        for (const QList<TreeEntry>& listing : trees.at(t).chunks()) {
            for (const TreeEntry& e : listing) {
                if (e.stamp.isDirectory)
                    want(e, true, walked);
            }
        }
    }
    QHash<QString, FileStamp> pollSet;
    qsizetype inBudget = 0;
    for (const Wanted& w : std::as_const(wants)) {
        if (inBudget < m_budget)
            ++inBudget;
        else
            pollSet.insert(w.entry.path, w.entry.stamp);
    }
    const int overBudget = int(pollSet.size());

    // Unwanted, or watched on another inode than the one scanned (replaced since): watch the new one.
    QStringList toRemove;
    for (auto it = m_watched.cbegin(); it != m_watched.cend(); ++it) {
        const auto at = wantAt.constFind(it.key());
        if (at == wantAt.cend() || pollSet.contains(it.key()) || wants.at(*at).entry.stamp.key != it->key)
            toRemove.append(it.key());
    }
    for (const QString& path : std::as_const(toRemove))
        removeWatch(path);

    QStringList changedSinceScan;
    QSet<QString> newlyWatched;
    QSet<QString> racy; // newly watched directories whose stamp proves nothing
    QHash<QString, QString> refused;
    int added = 0;
    for (qsizetype i = 0; i < inBudget; ++i) {
        const Wanted& w = wants.at(i);
        const QString& path = w.entry.path;
        const auto watched = m_watched.find(path);
        if (watched != m_watched.end()) {
            watched->tree = w.tree;
            continue;
        }
        const QString refusedBefore = m_refused.value(path);
        int error = 0;
        if (refusedBefore.isEmpty() || m_retryRefused) {
            std::optional<struct stat> st;
            if (addWatch(path, w.tree, &error, &st)) {
                ++added;
                newlyWatched.insert(path);
                // Changed between the scan's walk and the watch: no event will ever say so.
                if (!st || !(FileStamp::fromStat(*st) == w.entry.stamp))
                    changedSinceScan.append(path);
                else if (w.tree
                    && std::max(nsOf(st->st_mtim), nsOf(st->st_ctim)) >= w.walkedAtNs - TreeFingerprint::kRacyWindowNs)
                    racy.insert(path); // a change in the clock tick of the walk keeps the stamp: see its entries
                continue;
            }
            if (error == ENOENT || error == ENOTDIR) {
                changedSinceScan.append(path); // gone or no longer a directory since the scan
                continue;
            }
        }
        const auto now = FileStamp::ofPath(path);
        if (!now) {
            changedSinceScan.append(path);
            continue;
        }
        const QString why = refusedBefore.isEmpty() || error != 0 ? refusalReason(error) : refusedBefore;
        if (refusedBefore != why)
            qCDebug(lcWatch) << "inotify refused" << path << why;
        refused.insert(path, why);
        pollSet.insert(path, w.entry.stamp);
        if (!(*now == w.entry.stamp))
            changedSinceScan.append(path);
    }
    m_retryRefused = false;

    // The files of every polled directory: the ones the tools rewrite in place are polled too, the
    // others wait for the backstop. Those rewritten in place in a directory just watched may have
    // been written since the walk. Each directory's listing is one list of the tree.
    int unwatchedFiles = 0;
    const bool anyPolled = !pollSet.isEmpty();
    for (const TreeEntries& entries : trees) {
        for (const QList<TreeEntry>& listing : entries.chunks()) {
            if (listing.constFirst().depth == 0)
                continue; // the state dir's own entry
            const QString dir = parentOf(listing.constFirst().path).toString();
            const bool polled = anyPolled && pollSet.contains(dir);
            if (!polled && !newlyWatched.contains(dir))
                continue;
            if (racy.remove(dir) && !listingMatches(dir, listing))
                changedSinceScan.append(dir);
            for (const TreeEntry& e : listing) {
                if (e.stamp.isDirectory || e.stamp.isSymlink)
                    continue;
                const bool inPlace = rewrittenInPlace.contains(e.path);
                if (polled && inPlace) {
                    pollSet.insert(e.path, e.stamp);
                } else if (polled) {
                    ++unwatchedFiles;
                } else if (inPlace && !(FileStamp::ofPath(e.path).value_or(FileStamp {}) == e.stamp)) {
                    changedSinceScan.append(e.path);
                }
            }
        }
    }
    for (const QString& dir : std::as_const(racy)) { // empty when scanned
        if (!listingMatches(dir, {}))
            changedSinceScan.append(dir);
    }
    m_refused = refused;
    m_polled = pollSet;
    qCDebug(lcWatch).noquote() << QStringLiteral("sync: %1 watched (%2 added, %3 removed), %4 polled, %5 files "
                                                 "waiting for the backstop")
                                      .arg(m_watched.size())
                                      .arg(added)
                                      .arg(toRemove.size())
                                      .arg(pollSet.size())
                                      .arg(unwatchedFiles);

    QStringList refusedWhy;
    for (auto it = refused.cbegin(); it != refused.cend(); ++it)
        refusedWhy.append(it.key() + QStringLiteral(": ") + it.value());
    WatchHealth health;
    if (!pollSet.isEmpty()) {
        health.state = WatchHealth::State::DegradedPolling;
        health.unwatchedFiles = unwatchedFiles;
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
    if (!changedSinceScan.isEmpty()) {
        changedSinceScan.removeDuplicates();
        qCDebug(lcWatch) << "changed since the scan:" << changedSinceScan;
        emit changed(changedSinceScan, true);
    }
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
