// SPDX-License-Identifier: GPL-3.0-or-later
#include "filetree.h"

#include "paths.h"

#include <QDir>
#include <QFile>
#include <QHash>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Stateward {

// `entries` keeps each directory's entries together (shallow first: level by level, each level in
// walk order), so a directory's entries are one range of it.
struct TreeFingerprint::Index
{
    struct Range
    {
        qsizetype begin = 0;
        qsizetype size = 0;
    };
    // The entries indexed: a copy whose entries were edited by hand no longer matches.
    const TreeEntry* data = nullptr;
    qsizetype size = 0;
    QHash<QString, Range> dirs; // every directory whose entries were listed, by path
    QList<qsizetype> recent; // positions of recentEntries(), ascending
    quint64 id = 0;
    quint64 base = 0; // the id of the tree updated() started from; 0: none
    QStringList changed; // since base
    bool sameEntries = false; // since base: no entry differs but in its ctime

    bool indexes(const TreeFingerprint& tree) const
    {
        return data == tree.entries.constData() && size == tree.entries.size();
    }
};

namespace {

    quint64 nextId()
    {
        static std::atomic<quint64> last { 0 };
        return ++last;
    }

    TreeEntry entryOf(const QString& path, const struct stat& st, int depth)
    {
        return { path, FileStamp::fromStat(st), depth, qint64(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec,
            S_ISREG(st.st_mode) };
    }

    // Sorted names in the directory open at fd (which this takes over and closes).
    QList<QByteArray> readNames(int fd, bool* ok)
    {
        QList<QByteArray> names;
        DIR* dir = ::fdopendir(fd);
        if (!dir) {
            ::close(fd);
            *ok = false;
            return names;
        }
        errno = 0;
        while (const struct dirent* e = ::readdir(dir)) {
            if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
                names.append(QByteArray(e->d_name));
            errno = 0;
        }
        *ok = errno == 0;
        ::closedir(dir);
        std::sort(names.begin(), names.end());
        return names;
    }

    int openChild(int parentFd, const char* name)
    {
        return ::openat(parentFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }

    QStringView parentOf(const QString& path)
    {
        return QStringView(path).left(std::max<qsizetype>(0, path.lastIndexOf(QLatin1Char('/'))));
    }

    qint64 latestTime(const TreeEntry& e)
    {
        return std::max(e.stamp.mtimeNs, e.ctimeNs);
    }

    // What one walk (or the listings of an update) found: each directory's entries, names sorted.
    struct Listing
    {
        explicit Listing(TreeFingerprint& t)
            : tree(t)
        { }
        TreeFingerprint& tree; // complete, undecodable
        qsizetype count = 0; // entries so far, for the bound
        bool bounded = false;
        QHash<QString, QList<TreeEntry>> dirs;
        QSet<QString> unlisted; // directories whose entries could not be listed: no old ones stand in
    };

    bool full(Listing& listing)
    {
        if (listing.count < TreeFingerprint::kMaxEntries)
            return false;
        listing.tree.complete = false;
        listing.bounded = true;
        return true;
    }

    // The entries of the directory open at fd, in name order (Stateward's own area left out at
    // the top); each subdirectory within the depth bound goes to descend(name, its entry) right
    // after its own entry is listed, so the bound cuts as a depth-first walk would.
    template <typename Descend> void listInto(int fd, const QString& path, int depth, Listing& listing, Descend descend)
    {
        QList<TreeEntry> mine;
        bool ok = false;
        const int listFd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
        const QList<QByteArray> names = listFd >= 0 ? readNames(listFd, &ok) : QList<QByteArray> {};
        if (!ok)
            listing.tree.complete = false;
        mine.reserve(names.size());
        for (const QByteArray& name : names) {
            if (depth == 0 && name == ".stateward")
                continue;
            if (full(listing))
                break;
            if (!decodesExactly(name)) {
                // Its lossy spelling may be another file's name: never an entry, only reported.
                listing.tree.undecodable.append(path + QLatin1Char('/') + escapedBytes(name));
                continue;
            }
            struct stat st;
            if (::fstatat(fd, name.constData(), &st, AT_SYMLINK_NOFOLLOW) != 0)
                continue; // gone since listed: the parent's stamp tells the rest
            mine.append(entryOf(path + QLatin1Char('/') + QFile::decodeName(name), st, depth + 1));
            ++listing.count;
            if (!S_ISDIR(st.st_mode))
                continue;
            if (depth + 1 >= TreeFingerprint::kMaxDepth) {
                listing.tree.complete = false;
                listing.unlisted.insert(mine.constLast().path);
                continue;
            }
            descend(name, mine.constLast());
        }
        listing.dirs.insert(path, std::move(mine));
    }

    // Depth first through directory fds (openat + O_NOFOLLOW: a directory swapped for a symlink
    // mid-walk is never entered).
    void walk(int parentFd, const QString& path, int depth, Listing& listing)
    {
        listInto(parentFd, path, depth, listing, [&](const QByteArray& name, const TreeEntry& child) {
            const int childFd = openChild(parentFd, name.constData());
            if (childFd < 0) {
                listing.tree.complete = false;
                listing.unlisted.insert(child.path);
            } else {
                walk(childFd, child.path, depth + 1, listing);
            }
        });
        ::close(parentFd);
    }

    // tree.entries from the root down, level by level: each directory's entries right after one
    // another in the order their directories stand in the level above (a depth-first walk's
    // order, stably sorted by depth). appendEntries(dir, out) appends dir's entries and says
    // whether it has any listing; onAppended(dir, range) sees each range as it lands.
    template <typename AppendEntries, typename OnAppended>
    void assemble(TreeFingerprint& tree, const TreeEntry& root, qsizetype expected, TreeFingerprint::Index& index,
        AppendEntries appendEntries, OnAppended onAppended)
    {
        tree.entries.reserve(expected);
        tree.entries.append(root);
        for (qsizetype level = 0; level < tree.entries.size();) {
            const qsizetype end = tree.entries.size();
            for (qsizetype i = level; i < end; ++i) {
                if (!tree.entries.at(i).stamp.isDirectory)
                    continue;
                const QString dir = tree.entries.at(i).path; // the list grows below
                const qsizetype begin = tree.entries.size();
                if (!appendEntries(dir, tree.entries))
                    continue;
                const TreeFingerprint::Index::Range range { begin, tree.entries.size() - begin };
                index.dirs.insert(dir, range);
                onAppended(dir, range);
            }
            level = end;
        }
    }

    bool isRacy(const TreeFingerprint& tree, const QList<qsizetype>& recent)
    {
        const qint64 racyFrom = tree.takenAtNs - TreeFingerprint::kRacyWindowNs;
        return std::any_of(
            recent.cbegin(), recent.cend(), [&](qsizetype i) { return tree.entries.at(i).stamp.mtimeNs >= racyFrom; });
    }

    void seal(TreeFingerprint& tree, const QSharedPointer<TreeFingerprint::Index>& index)
    {
        index->data = tree.entries.constData();
        index->size = tree.entries.size();
        tree.racy = isRacy(tree, index->recent);
        tree.index = index;
    }

    // An index made from the entries alone, for a tree whose entries were edited by hand.
    QSharedPointer<const TreeFingerprint::Index> indexOf(const TreeFingerprint& tree)
    {
        if (tree.index && tree.index->indexes(tree))
            return tree.index;
        const auto index = QSharedPointer<TreeFingerprint::Index>::create();
        index->id = nextId();
        const qint64 recentFrom = tree.takenAtNs - TreeFingerprint::kRecentWindowNs;
        for (qsizetype i = 0; i < tree.entries.size();) {
            const TreeEntry& e = tree.entries.at(i);
            if (latestTime(e) >= recentFrom)
                index->recent.append(i);
            if (e.depth == 0) {
                ++i;
                continue;
            }
            const QStringView parent = parentOf(e.path);
            qsizetype end = i + 1;
            while (end < tree.entries.size() && parentOf(tree.entries.at(end).path) == parent) {
                if (latestTime(tree.entries.at(end)) >= recentFrom)
                    index->recent.append(end);
                ++end;
            }
            index->dirs.insert(parent.toString(), { i, end - i });
            i = end;
        }
        for (const TreeEntry& e : tree.entries) {
            if (e.stamp.isDirectory && e.depth < TreeFingerprint::kMaxDepth && !index->dirs.contains(e.path))
                index->dirs.insert(e.path, {});
        }
        index->data = tree.entries.constData();
        index->size = tree.entries.size();
        return index;
    }

    // The entries of one directory before and now: what was added, removed or differs.
    void diffDir(const TreeEntry* before, qsizetype beforeSize, const QList<TreeEntry>& now, QStringList& changed,
        bool& sameEntries)
    {
        QHash<QStringView, const TreeEntry*> was;
        was.reserve(beforeSize);
        for (qsizetype i = 0; i < beforeSize; ++i)
            was.insert(QStringView(before[i].path), before + i);
        for (const TreeEntry& e : now) {
            const TreeEntry* old = was.take(QStringView(e.path));
            if (!old || !(*old == e)) {
                changed.append(e.path);
                sameEntries = false;
            } else if (old->ctimeNs != e.ctimeNs) {
                changed.append(e.path);
            }
        }
        for (const TreeEntry* gone : std::as_const(was))
            changed.append(gone->path);
        sameEntries = sameEntries && was.isEmpty();
    }

    // updated(): lists again the directories changes were seen in, and takes the rest from before.
    class Update
    {
    public:
        Update(const TreeFingerprint& before, const TreeFingerprint::Index& index, Listing& listing)
            : m_before(before)
            , m_index(index)
            , m_listing(listing)
        { }

        // The directory a change at path is seen in: itself when it was a directory, else the
        // nearest one above it in the tree (a new path's parent, a file's directory).
        void changedAt(QString path)
        {
            const QString& root = m_before.entries.first().path;
            for (;;) {
                if (m_index.dirs.contains(path)) {
                    relist(path);
                    return;
                }
                if (path == root || !path.startsWith(root + QLatin1Char('/')))
                    return; // not under this tree
                path = parentOf(path).toString();
            }
        }

        void run(int rootFd, const QString& root) { emitChildren(rootFd, root, 0); }

    private:
        void relist(const QString& dir)
        {
            m_relist.insert(dir);
            // Every directory above it is opened on the way down (openat: no path lookup through
            // a symlink swapped in).
            for (QString p = dir; !p.isEmpty() && !m_open.contains(p); p = parentOf(p).toString())
                m_open.insert(p);
        }

        // The entries of path (open at fd, closed here) when it or something below is listed
        // again; a directory not visited keeps its entries from before.
        void emitChildren(int fd, const QString& path, int depth)
        {
            if (m_relist.contains(path))
                emitListed(fd, path, depth);
            else
                emitKept(fd, path, depth);
            ::close(fd);
        }

        void emitListed(int fd, const QString& path, int depth)
        {
            QHash<QStringView, const TreeEntry*> was;
            if (const auto range = m_index.dirs.constFind(path); range != m_index.dirs.cend()) {
                was.reserve(range->size);
                for (qsizetype i = range->begin; i < range->begin + range->size; ++i)
                    was.insert(QStringView(m_before.entries.at(i).path), &m_before.entries.at(i));
            }
            listInto(fd, path, depth, m_listing, [&](const QByteArray& name, const TreeEntry& child) {
                const TreeEntry* old = was.value(QStringView(child.path), nullptr);
                const bool same = old && old->stamp == child.stamp;
                if (same && !m_open.contains(child.path))
                    return; // untouched since: its entries stand
                const int childFd = openChild(fd, name.constData());
                if (childFd < 0) {
                    m_listing.tree.complete = false;
                    m_listing.unlisted.insert(child.path);
                } else if (same) {
                    emitChildren(childFd, child.path, depth + 1);
                } else { // new, replaced or with entries added or removed (its mtime moved): walked
                    walk(childFd, child.path, depth + 1, m_listing);
                }
            });
        }

        // A directory above one listed again: its entries as before, but the directories on the
        // way down are looked at again.
        void emitKept(int fd, const QString& path, int depth)
        {
            const auto range = m_index.dirs.constFind(path);
            if (range == m_index.dirs.cend())
                return;
            QList<TreeEntry> mine;
            mine.reserve(range->size);
            for (qsizetype i = range->begin; i < range->begin + range->size; ++i) {
                const TreeEntry& e = m_before.entries.at(i);
                if (!e.stamp.isDirectory || !m_open.contains(e.path)) {
                    mine.append(e);
                    continue;
                }
                const QByteArray name = QFile::encodeName(e.path.mid(path.size() + 1));
                const int childFd = openChild(fd, name.constData());
                struct stat st;
                if (childFd < 0) {
                    // Gone, or no longer a directory: as it is now, without its old entries.
                    if (::fstatat(fd, name.constData(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
                        mine.append(entryOf(e.path, st, depth + 1));
                        if (S_ISDIR(st.st_mode)) {
                            m_listing.tree.complete = false; // a directory we cannot open
                            m_listing.unlisted.insert(e.path);
                        }
                    }
                    continue;
                }
                if (::fstat(childFd, &st) != 0) {
                    ::close(childFd);
                    m_listing.tree.complete = false;
                    continue;
                }
                mine.append(entryOf(e.path, st, depth + 1));
                const FileStamp& now = mine.constLast().stamp;
                if (!(now.key == e.stamp.key)) {
                    walk(childFd, e.path, depth + 1, m_listing); // replaced by another directory
                    continue;
                }
                if (!(now == e.stamp))
                    m_relist.insert(e.path); // entries added or removed: listed whether named or not
                emitChildren(childFd, e.path, depth + 1);
            }
            m_listing.dirs.insert(path, std::move(mine));
        }

        const TreeFingerprint& m_before;
        const TreeFingerprint::Index& m_index;
        Listing& m_listing;
        QSet<QString> m_relist;
        QSet<QString> m_open;
    };

} // namespace

qint64 TreeFingerprint::clockNs()
{
    struct timespec ts;
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return qint64(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

const QString& TreeFingerprint::root() const
{
    static const QString none;
    return entries.isEmpty() ? none : entries.first().path;
}

bool TreeFingerprint::lists(const QString& dir) const
{
    return complete && !entries.isEmpty() && entries.first().path == dir && entries.first().stamp.isDirectory
        && !entries.first().stamp.isSymlink;
}

TreeFingerprint TreeFingerprint::of(const QString& dir)
{
    TreeFingerprint tree;
    tree.takenAtNs = clockNs();
    const QString root = QDir::cleanPath(dir);
    struct stat st;
    if (::lstat(QFile::encodeName(root).constData(), &st) != 0)
        return tree; // no directory: an empty tree, complete
    Listing listing(tree);
    listing.count = 1; // the root's own entry
    if (S_ISDIR(st.st_mode)) {
        const int fd = ::open(QFile::encodeName(root).constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0)
            walk(fd, root, 0, listing);
        else
            tree.complete = false;
    }
    const auto index = QSharedPointer<Index>::create();
    index->id = nextId();
    assemble(
        tree, entryOf(root, st, 0), listing.count, *index,
        [&](const QString& path, QList<TreeEntry>& out) {
            const auto listed = listing.dirs.find(path);
            if (listed == listing.dirs.end())
                return false;
            out.append(std::move(*listed));
            return true;
        },
        [](const QString&, const Index::Range&) {});
    const qint64 recentFrom = tree.takenAtNs - kRecentWindowNs;
    for (qsizetype i = 0; i < tree.entries.size(); ++i) {
        if (latestTime(tree.entries.at(i)) >= recentFrom)
            index->recent.append(i);
    }
    seal(tree, index);
    tree.undecodable.sort();
    tree.namesListed = true;
    return tree;
}

TreeFingerprint TreeFingerprint::updated(
    const QString& dir, const TreeFingerprint& before, const QSet<QString>& changedPaths)
{
    const QString root = QDir::cleanPath(dir);
    if (root != before.root() || !before.complete || !before.entries.first().stamp.isDirectory
        || before.entries.first().stamp.isSymlink || changedPaths.size() > kMaxChangedPaths)
        return of(root);
    TreeFingerprint now;
    now.takenAtNs = clockNs();
    struct stat st;
    if (::lstat(QFile::encodeName(root).constData(), &st) != 0)
        return now; // gone: an empty tree, as of() says
    const TreeEntry rootEntry = entryOf(root, st, 0);
    if (!(rootEntry.stamp.key == before.entries.first().stamp.key) || !S_ISDIR(st.st_mode))
        return of(root); // replaced
    const int fd = ::open(QFile::encodeName(root).constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return of(root);

    const QSharedPointer<const Index> was = indexOf(before);
    Listing listing(now);
    Update update(before, *was, listing);
    update.changedAt(root); // a handful of entries: index files written in place are seen too
    for (const QString& path : changedPaths)
        update.changedAt(QDir::cleanPath(path));
    // Entries that were racy then may have been rewritten within the same tick since.
    const qint64 racyFrom = before.takenAtNs - kRacyWindowNs;
    for (qsizetype i : was->recent) {
        if (before.entries.at(i).stamp.mtimeNs >= racyFrom)
            update.changedAt(before.entries.at(i).path);
    }
    update.run(fd, root);
    if (listing.bounded)
        return of(root); // where the bound cuts is a whole walk's to say

    const auto index = QSharedPointer<Index>::create();
    index->id = nextId();
    index->base = was->id;
    index->sameEntries = rootEntry == before.entries.first();
    if (!index->sameEntries || rootEntry.ctimeNs != before.entries.first().ctimeNs)
        index->changed.append(root);
    qsizetype listed = 0;
    for (auto it = listing.dirs.cbegin(); it != listing.dirs.cend(); ++it) {
        listed += it->size();
        const auto range = was->dirs.constFind(it.key());
        if (range == was->dirs.cend())
            diffDir(nullptr, 0, *it, index->changed, index->sameEntries);
        else
            diffDir(before.entries.constData() + range->begin, range->size, *it, index->changed, index->sameEntries);
    }
    const qint64 recentFrom = now.takenAtNs - kRecentWindowNs;
    const auto noLongerRecent = [&](qsizetype i) { return latestTime(before.entries.at(i)) < recentFrom; };
    if (index->changed.isEmpty() && listing.unlisted.isEmpty()) {
        // Nothing moved: the entries before, shared (and compared by pointer).
        now.entries = before.entries;
        index->dirs = was->dirs;
        index->recent = was->recent;
        index->recent.removeIf(noLongerRecent);
        seal(now, index);
        return now;
    }

    // The recent entries before, by directory: where a directory's entries are taken over, so are they.
    QHash<QString, QList<qsizetype>> recentIn;
    for (qsizetype i : was->recent) {
        if (i > 0)
            recentIn[parentOf(before.entries.at(i).path).toString()].append(i);
    }
    if (latestTime(rootEntry) >= recentFrom)
        index->recent.append(0);
    assemble(
        now, rootEntry, before.entries.size() + listed, *index,
        [&](const QString& path, QList<TreeEntry>& out) {
            if (const auto fresh = listing.dirs.constFind(path); fresh != listing.dirs.cend()) {
                out.append(*fresh);
                return true;
            }
            const auto range = was->dirs.constFind(path);
            if (range == was->dirs.cend() || listing.unlisted.contains(path))
                return false;
            for (qsizetype i = range->begin; i < range->begin + range->size; ++i)
                out.append(before.entries.at(i));
            return true;
        },
        [&](const QString& path, const Index::Range& range) {
            if (listing.dirs.contains(path)) {
                for (qsizetype i = range.begin; i < range.begin + range.size; ++i) {
                    if (latestTime(now.entries.at(i)) >= recentFrom)
                        index->recent.append(i);
                }
                return;
            }
            const qsizetype shift = range.begin - was->dirs.value(path).begin;
            for (qsizetype i : recentIn.value(path)) {
                if (latestTime(before.entries.at(i)) >= recentFrom)
                    index->recent.append(i + shift);
            }
        });
    if (now.entries.size() >= kMaxEntries)
        return of(root);
    // Directories whose entries are gone with them (removed, replaced, no longer listed).
    for (auto it = was->dirs.cbegin(); it != was->dirs.cend(); ++it) {
        if (listing.dirs.contains(it.key()) || index->dirs.contains(it.key()))
            continue;
        for (qsizetype i = it->begin; i < it->begin + it->size; ++i)
            index->changed.append(before.entries.at(i).path);
        index->sameEntries = index->sameEntries && it->size == 0;
    }
    seal(now, index);
    return now;
}

bool TreeFingerprint::unchanged(const TreeFingerprint& before, const TreeFingerprint& now)
{
    if (!before.complete || !now.complete || before.racy)
        return false;
    if (now.changedSince(before))
        return now.index->sameEntries;
    return before.entries == now.entries;
}

const TreeEntry* TreeFingerprint::find(const QString& path) const
{
    if (entries.isEmpty())
        return nullptr;
    if (path == entries.first().path)
        return &entries.first();
    const QSharedPointer<const Index> index = indexOf(*this);
    const auto range = index->dirs.constFind(parentOf(path).toString());
    if (range == index->dirs.cend())
        return nullptr;
    for (qsizetype i = range->begin; i < range->begin + range->size; ++i) {
        if (entries.at(i).path == path)
            return &entries.at(i);
    }
    return nullptr;
}

QList<const TreeEntry*> TreeFingerprint::recentEntries() const
{
    QList<const TreeEntry*> out;
    const QSharedPointer<const Index> index = indexOf(*this);
    out.reserve(index->recent.size());
    for (qsizetype i : index->recent)
        out.append(&entries.at(i));
    return out;
}

const QStringList* TreeFingerprint::changedSince(const TreeFingerprint& before) const
{
    if (!index || !index->indexes(*this) || index->base == 0 || !before.index || !before.index->indexes(before)
        || before.index->id != index->base)
        return nullptr;
    return &index->changed;
}

QStringList undecodableNames(const QString& dir, const QByteArray& skipTop)
{
    QStringList out;
    qsizetype seen = 0;
    // Depth first through directory fds opened with O_NOFOLLOW, as the tree walk goes.
    const auto walk = [&](const auto& self, int fd, const QString& path, int depth) -> void {
        DIR* d = ::fdopendir(fd);
        if (!d) {
            ::close(fd);
            return;
        }
        while (const struct dirent* e = ::readdir(d)) {
            const QByteArray name(e->d_name);
            if (name == "." || name == ".." || (depth == 0 && name == skipTop))
                continue;
            if (++seen > TreeFingerprint::kMaxEntries)
                break;
            if (!decodesExactly(name)) {
                out.append(path + QLatin1Char('/') + escapedBytes(name));
                continue;
            }
            if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN)
                continue;
            if (depth + 1 >= TreeFingerprint::kMaxDepth)
                continue;
            const int child = openChild(::dirfd(d), e->d_name);
            if (child >= 0)
                self(self, child, path + QLatin1Char('/') + QFile::decodeName(name), depth + 1);
        }
        ::closedir(d);
    };
    const int fd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0)
        walk(walk, fd, dir, 0);
    out.sort();
    return out;
}

} // namespace Stateward
