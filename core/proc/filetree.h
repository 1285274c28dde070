// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "filekey.h"

#include <QList>
#include <QSet>
#include <QSharedPointer>
#include <QString>
#include <QStringList>

#include <iterator>

namespace Stateward {

// One entry of a state directory's tree as lstat(2) saw it (symlinks are entries, never followed).
struct TreeEntry
{
    QString path;
    FileStamp stamp;
    int depth = 0; // 0: the state directory itself
    // Moves on every write, even one whose mtime was put back, but on chmod too: not compared
    // (a chmod is no reason to parse again); the record cache checks it before reusing a parse.
    qint64 ctimeNs = 0;
    bool isRegular = false; // not a directory, symlink, socket, fifo or device
    friend bool operator==(const TreeEntry& a, const TreeEntry& b)
    {
        return a.path == b.path && a.stamp == b.stamp && a.depth == b.depth && a.isRegular == b.isRegular;
    }
};

// A tree's entries in walk order, held as one implicitly shared list per directory's listing (the
// root's own entry first, alone). A copy of the tree, or an update that keeps a directory as it
// was, shares that directory's list (one reference count) instead of copying its entries; and two
// trees sharing every list compare equal without reading an entry.
class TreeEntries
{
public:
    class const_iterator
    {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = TreeEntry;
        using difference_type = qsizetype;
        using pointer = const TreeEntry*;
        using reference = const TreeEntry&;

        const_iterator() = default;
        reference operator*() const { return *m_at; }
        pointer operator->() const { return m_at; }
        const_iterator& operator++()
        {
            if (++m_at == m_end) {
                if (++m_chunk != m_lastChunk) {
                    m_at = m_chunk->constData();
                    m_end = m_at + m_chunk->size();
                } else {
                    m_at = m_end = nullptr;
                }
            }
            return *this;
        }
        const_iterator operator++(int)
        {
            const const_iterator was = *this;
            ++*this;
            return was;
        }
        friend bool operator==(const const_iterator& a, const const_iterator& b) { return a.m_at == b.m_at; }

    private:
        friend class TreeEntries;
        const QList<TreeEntry>* m_chunk = nullptr;
        const QList<TreeEntry>* m_lastChunk = nullptr;
        const TreeEntry* m_at = nullptr; // null: the end
        const TreeEntry* m_end = nullptr;
    };

    TreeEntries() = default;
    // Entries in walk order (a tree made by hand): each run of entries with one parent is a list.
    explicit TreeEntries(const QList<TreeEntry>& entries);

    // One directory's entries (or the root's own entry), after the ones before; empty ones add nothing.
    void append(QList<TreeEntry> directoryEntries);

    qsizetype size() const { return m_size; }
    bool isEmpty() const { return m_size == 0; }
    const TreeEntry& first() const { return m_chunks.constFirst().constFirst(); }
    const TreeEntry& at(qsizetype i) const; // a binary search over the lists
    const_iterator begin() const;
    const_iterator end() const { return {}; }
    const_iterator cbegin() const { return begin(); }
    const_iterator cend() const { return end(); }
    QList<TreeEntry> toList() const;
    // The lists, in walk order, none empty.
    const QList<QList<TreeEntry>>& chunks() const { return m_chunks; }

    friend bool operator==(const TreeEntries& a, const TreeEntries& b);

private:
    QList<QList<TreeEntry>> m_chunks;
    QList<qsizetype> m_starts; // where each list's first entry stands in the walk
    qsizetype m_size = 0;
};

// What "unchanged since the last scan" is decided on: every entry under a state directory with
// its inode, size and times, shallow entries first, in walk order within a depth (each
// directory's entries together, names sorted). Adapters read their listings from it too, so one
// walk serves the comparison and the parse.
// of() and updated() also index it (each directory's entries, the recent entries, what changed
// since the tree updated() started from), so an update costs what the directories it lists again
// hold, an lstat per other entry named, and one step per directory, not the whole tree: every
// directory in which nothing changed keeps its shared list (TreeEntries). The index is shared by
// copies; entries set by hand are indexed anew.
struct TreeFingerprint
{
    static constexpr int kMaxDepth = 8;
    static constexpr qsizetype kMaxEntries = 500000;
    // File times come from the kernel's coarse clock: a rewrite of the same size within one tick
    // keeps the mtime. An entry this close to the walk proves nothing (git's "racily clean").
    static constexpr qint64 kRacyWindowNs = 100 * 1000 * 1000;
    // More changed paths than this and a whole walk is cheaper than finding them one by one.
    static constexpr qsizetype kMaxChangedPaths = 4096;
    // Entries whose mtime or ctime lies this close to the walk are kept in recentEntries(): wide
    // enough for every racy window a reader of the tree applies (the record cache's whole-second one).
    static constexpr qint64 kRecentWindowNs = 3000 * 1000 * 1000LL;

    TreeEntries entries;
    bool complete = true; // false: a directory was unreadable or a bound was hit
    bool racy = false; // some entry changed within kRacyWindowNs of the walk
    qint64 takenAtNs = 0; // CLOCK_REALTIME before the first lstat
    // The names the walk met that are not valid UTF-8, as undecodableNames() gives them (sorted),
    // when it listed every directory itself (of(); updated() lists only some): a scan then needs
    // no second walk for them.
    QStringList undecodable;
    bool namesListed = false;

    // Stateward's own area (<dir>/.stateward) is left out: scans skip it too.
    static TreeFingerprint of(const QString& dir);
    // The tree now, given the tree before and every path an inotify event (or a poll) named since.
    // A named directory of `before` is listed again. Any other named path (a file, a symlink, an
    // entry created or removed since) is looked at alone: one lstat in its directory (opened
    // down from dir, never through a symlink), its entry replaced, inserted or removed (a removed
    // directory with everything below it; a directory found this way walked whole). A path under
    // a directory `before` does not hold is seen through the entry below the nearest one it does.
    // The directories on the way down are looked at again; the rest is taken from `before`.
    // everyChangeNamed (the events name every change, each directory's entry by entry): the
    // entries racy in `before` are looked at again by themselves, nothing else is listed. False
    // (some directory is polled: a change there names only the directory, if anything): the root,
    // every directory whose stamp moved and every directory that held a racy entry are listed.
    // Equal to of(dir) unless something changed without any event naming it (an in-place write
    // to a file only its directory watches): the backstop walk is there for that. Falls back to
    // of(dir) when `before` is incomplete or not of dir, or when too many paths changed.
    static TreeFingerprint updated(const QString& dir, const TreeFingerprint& before, const QSet<QString>& changedPaths,
        bool everyChangeNamed = false);
    // True when `now` proves nothing changed since `before` was taken.
    static bool unchanged(const TreeFingerprint& before, const TreeFingerprint& now);

    // The entry at path, or null; looked up in its directory's entries, not the whole tree.
    const TreeEntry* find(const QString& path) const;
    // The entries whose mtime or ctime is at most kRecentWindowNs older than takenAtNs (or newer).
    QList<const TreeEntry*> recentEntries() const;
    // When this tree is updated(dir, before, ...)'s result: the paths whose entry was added, removed
    // or differs from before's (stamp, kind or ctime), unordered. Null otherwise: compare entries.
    const QStringList* changedSince(const TreeFingerprint& before) const;

    // CLOCK_REALTIME in ns, the clock file times are set from (takenAtNs is read from it).
    static qint64 clockNs();
    const QString& root() const; // the state directory ("" for an empty tree)
    // True when this tree can stand in for listing dir: of dir (as given, clean), a real
    // directory, and complete (an unreadable directory or a bound hit: a listing reports more).
    bool lists(const QString& dir) const;

    struct Index;
    QSharedPointer<const Index> index; // of entries as of() or updated() made them
};

// The entries under dir whose names are not valid UTF-8 (core/proc/paths.h): no QString names
// them, so every listing through Qt misses them and the tree walk leaves them out. Each as
// "<its directory>/<name with \xNN escapes>", for a finding; never a path to open. Never through
// a symlink; `skipTop` at the top is left out; bounded as the tree walk is.
QStringList undecodableNames(const QString& dir, const QByteArray& skipTop);

} // namespace Stateward
