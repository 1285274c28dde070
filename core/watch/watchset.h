// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ownermailbox.h"
#include "proc/filekey.h"
#include "proc/filetree.h"

#include <QHash>
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QSet>
#include <QSocketNotifier>
#include <QStringList>
#include <QTimer>

#include <memory>
#include <optional>
#include <sys/stat.h>

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
    // Files in a polled directory that are not polled themselves (only the files the tools rewrite
    // in place are): the directory's poll sees them created, deleted and replaced, but an in-place
    // write to one waits for the backstop. Always 0 when nothing is polled: a watched directory's
    // events name every file written in it.
    int unwatchedFiles = 0;
    QString reason; // one line, empty when ok

    bool isDegraded() const { return state == State::DegradedPolling; }
    // "ok", "degraded: polling (N paths)" or "degraded: polling (N paths; M files' in-place writes
    // wait for the backstop)"
    QString summary() const;
    friend bool operator==(const WatchHealth&, const WatchHealth&) = default;
};

// The paths a WatchHub watches: one inotify instance of its own (read through a QSocketNotifier),
// a budget of watches, and lstat polling for what inotify refuses or the budget leaves out.
//
// Only directories are watched: the anchors (places state dirs appear) and every directory of the
// trees. A directory's events name the entry they concern (created, deleted, renamed either way,
// written, closed after writing, attributes changed), so a file written in place in a watched
// directory is reported by its own path without a watch of its own; an anchor's are kept only
// when they concern an entry coming, going or a directory's attributes (a state dir appearing).
// Anchors and directories beyond the budget, and paths inotify refuses, are polled (degraded),
// and so are the files the tools rewrite in place (SourceAdapter::rewrittenInPlace) in those; the
// other files there wait for the backstop walk (WatchHealth::unwatchedFiles). A directory
// replaced by rename is watched on its new inode from the next sync(); symlinks are never watched.
//
// Lives on one thread and emits there; the poll's lstat calls run on QThreadPool::globalInstance.
class WatchSet : public QObject
{
    Q_OBJECT
public:
    explicit WatchSet(QObject* parent = nullptr);
    ~WatchSet() override;

    // The most paths asked of inotify; applies from the next sync().
    void setBudget(int paths);
    int budget() const { return m_budget; }
    void setPollInterval(int ms); // 0 turns polling off
    int pollInterval() const { return m_pollTimer.interval(); }

    // Watches the wanted paths (see above) and polls the rest. What may have changed since the scan
    // that listed it, before its watch was added, is reported by changed(): no event would ever say
    // so. That is a newly watched path whose stamp differs; a newly watched directory of a tree whose
    // mtime or ctime lies within TreeFingerprint::kRacyWindowNs of its tree's walk or later (a
    // change in the same clock tick keeps the stamp) and whose entries now differ from the tree's;
    // and a file rewritten in place in a newly watched directory whose stamp differs.
    // rewrittenInPlace: the files of the trees the tools write in place (polled with a polled
    // directory; a path not in a tree is ignored). treesTakenAtNs: each tree's
    // TreeFingerprint::takenAtNs, in the order of `trees` (missing: now).
    void sync(const QList<TreeEntry>& anchors, const QList<TreeEntries>& trees,
        const QSet<QString>& rewrittenInPlace = {}, const QList<qint64>& treesTakenAtNs = {});
    // The next sync() asks inotify again for the paths it refused (otherwise they stay polled).
    void retryRefusedAtNextSync() { m_retryRefused = true; }

    WatchHealth health() const { return m_health; }
    QStringList watchedPaths() const; // sorted
    int watchedPathCount() const { return int(m_watched.size()); }

signals:
    // inotify, a sync or the poll saw these paths change: every path of one read of the events
    // (each once, in the order first met), of one sync or of one poll, together, so that the scan
    // they start sees them all (a rename-replace is the tmp file's events, then the rename's).
    // named: inotify events or a sync's comparison named them (every change under a watched
    // directory is named so); false from the poll, which sees a directory's stamp move, not what
    // in it changed.
    void changed(const QStringList& paths, bool named);
    // inotify's queue overflowed: events were lost, any path may have changed unnamed (the paths
    // read with the overflow are not reported one by one).
    void eventsLost();
    void healthChanged(const Stateward::WatchHealth& health);

private:
    struct Watch
    {
        int wd = -1;
        FileKey key; // the inode when added: another one at the path means watch it again
        bool tree = false; // a directory of a tree (else an anchor only)
    };

    void onReadable();
    // False with *error set when inotify refuses it. Else *after is the path's lstat taken just
    // after the watch (nullopt: gone since): anything later is an event.
    bool addWatch(const QString& path, bool tree, int* error, std::optional<struct stat>* after);
    void removeWatch(const QString& path);
    void forgetWd(int wd);
    void onPollTick();
    void onPollResult(const QHash<QString, FileStamp>& changed);
    void setHealth(const WatchHealth& health);

    int m_fd = -1;
    int m_initError = 0; // errno of inotify_init1 when m_fd < 0
    std::unique_ptr<QSocketNotifier> m_notifier;
    QHash<QString, Watch> m_watched; // path → its watch
    QHash<int, QStringList> m_pathsOf; // wd → the watched paths naming its inode (one, but for bind mounts)
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
