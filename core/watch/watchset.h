// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ownermailbox.h"
#include "proc/filekey.h"
#include "proc/filetree.h"

#include <QFileSystemWatcher>
#include <QHash>
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QSet>
#include <QStringList>
#include <QTimer>

namespace Stateward {

// How well the hub sees changes. Degraded when some path it needs is polled instead: inotify
// refused it (watch limit, permissions), or it is a directory beyond the hub's watch budget.
struct WatchHealth
{
    enum class State
    {
        Ok,
        DegradedPolling,
    };
    State state = State::Ok;
    QStringList polledPaths; // sorted; checked by lstat every poll interval
    QStringList refused; // "path: why", for the paths inotify refused
    int overBudget = 0; // directories polled because the watch budget was spent
    // Not degraded: files beyond the budget are seen created, deleted and replaced (atomic saves)
    // through their directory's watch; only an in-place write to one waits for the backstop.
    int unwatchedFiles = 0;
    QString reason; // one line, empty when ok

    bool isDegraded() const { return state == State::DegradedPolling; }
    // "ok", "ok (N files watched through their directory only)" or "degraded: polling (N paths)"
    QString summary() const;
    friend bool operator==(const WatchHealth&, const WatchHealth&) = default;
};

// The paths a WatchHub watches: one QFileSystemWatcher, a budget of inotify watches, and lstat
// polling for what inotify refuses or the budget leaves out.
//
// sync() is given what is wanted, most important first: the anchors (places state dirs appear),
// then every directory of the trees (creations, deletions, renames: atomic saves included),
// then the files the tools rewrite in place (SourceAdapter::rewrittenInPlace: indexes, journals,
// locks, records still being written), then the other files shallow first across every tree.
// Anchors and directories beyond the budget, and paths inotify refuses, are polled (degraded);
// files beyond it are left to their directory's watch (only an in-place write to one waits). A watch on a file replaced
// by rename is moved to the new inode as soon as its event arrives: Qt drops it, and a watch left on the old inode
// would see nothing.
//
// Lives on one thread and emits there; the poll's lstat calls run on QThreadPool::globalInstance.
class WatchSet : public QObject
{
    Q_OBJECT
public:
    explicit WatchSet(QObject* parent = nullptr);

    // The most paths asked of inotify; applies from the next sync().
    void setBudget(int paths);
    int budget() const { return m_budget; }
    void setPollInterval(int ms); // 0 turns polling off
    int pollInterval() const { return m_pollTimer.interval(); }

    // Watches the wanted paths (see above) and polls the rest. A path that changed since the scan
    // that listed it (its stamp differs) is reported by changed(): no event would ever say so.
    // rewrittenInPlace: files of the trees watched before any other file (a path not in a tree is
    // ignored).
    void sync(
        const QList<TreeEntry>& anchors, const QList<TreeEntries>& trees, const QSet<QString>& rewrittenInPlace = {});
    // The next sync() asks inotify again for the paths it refused (otherwise they stay polled:
    // each refusal costs a warning from Qt on stderr and a probe here).
    void retryRefusedAtNextSync() { m_retryRefused = true; }

    WatchHealth health() const { return m_health; }
    QStringList watchedPaths() const; // sorted
    int watchedPathCount() const { return int(m_watched.size()); }

signals:
    void changed(const QString& path); // inotify or the poll saw this path change
    void healthChanged(const Stateward::WatchHealth& health);

private:
    void onWatcherEvent(const QString& path);
    void onPollTick();
    void onPollResult(const QHash<QString, FileStamp>& changed);
    void forgetWatchesQtDropped();
    void setHealth(const WatchHealth& health);

    QFileSystemWatcher m_watcher;
    QHash<QString, FileKey> m_watched; // path → inode when added (a new inode means re-arm)
    QHash<QString, FileStamp> m_polled; // path → last stamp seen
    QHash<QString, QString> m_refused; // path → why inotify refused it
    bool m_retryRefused = false;
    bool m_pollRunning = false;
    int m_budget = 0;
    QTimer m_pollTimer;
    WatchHealth m_health;
    OwnerMailbox m_mailbox { this }; // poll results
};

} // namespace Stateward

Q_DECLARE_METATYPE(Stateward::WatchHealth)
