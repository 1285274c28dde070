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
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

namespace Stateward {

// `entries` holds each directory's entries as one list (shallow first: level by level, each level
// in walk order), so a directory's entries are one list of it, shared by the trees that keep it.
struct TreeFingerprint::Index
{
    struct Dir
    {
        qsizetype chunk = -1; // its list in entries.chunks(); -1: listed, and empty
        QList<qsizetype> subdirs; // where the directories among its entries stand in that list
    };
    struct Pos
    {
        qsizetype chunk = 0;
        qsizetype at = 0;
    };
    // The lists indexed: entries set by hand no longer match.
    const QList<TreeEntry>* chunks = nullptr;
    qsizetype chunkCount = 0;
    QHash<QString, Dir> dirs; // every directory whose entries were listed, by path
    QList<Pos> recent; // recentEntries(), in walk order
    quint64 id = 0;
    quint64 base = 0; // the id of the tree updated() started from; 0: none
    QStringList changed; // since base
    bool sameEntries = false; // since base: no entry differs but in its ctime

    bool indexes(const TreeFingerprint& tree) const
    {
        return chunks == tree.entries.chunks().constData() && chunkCount == tree.entries.chunks().size();
    }
    const TreeEntry& at(const TreeFingerprint& tree, Pos p) const { return tree.entries.chunks().at(p.chunk).at(p.at); }
    // The entries of dir in tree, or null when they were not listed.
    const QList<TreeEntry>* listed(const TreeFingerprint& tree, const QString& dir) const
    {
        static const QList<TreeEntry> none;
        const auto d = dirs.constFind(dir);
        if (d == dirs.cend())
            return nullptr;
        return d->chunk < 0 ? &none : &tree.entries.chunks().at(d->chunk);
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
            QString decoded;
            if (!decodesExactly(name, &decoded)) {
                // Its lossy spelling may be another file's name: never an entry, only reported.
                listing.tree.undecodable.append(path + QLatin1Char('/') + escapedBytes(name));
                continue;
            }
            struct stat st;
            if (::fstatat(fd, name.constData(), &st, AT_SYMLINK_NOFOLLOW) != 0)
                continue; // gone since listed: the parent's stamp tells the rest
            mine.append(entryOf(path + QLatin1Char('/') + decoded, st, depth + 1));
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

    QList<qsizetype> subdirsOf(const QList<TreeEntry>& entries)
    {
        QList<qsizetype> out;
        for (qsizetype i = 0; i < entries.size(); ++i) {
            if (entries.at(i).stamp.isDirectory)
                out.append(i);
        }
        return out;
    }

    // A directory's entries as assemble() takes them, with where the directories among them stand.
    struct Chunk
    {
        QList<TreeEntry> entries;
        QList<qsizetype> subdirs;
    };

    // tree.entries from the root down, level by level: each directory's entries right after one
    // another in the order their directories stand in the level above (a depth-first walk's
    // order, stably sorted by depth), one list each. entriesOf(dir) gives dir's entries, or
    // nothing when it has no listing; onAppended(dir, list) sees where each directory's landed
    // (-1: listed and empty). One step per directory: entries are only moved or shared here.
    template <typename EntriesOf, typename OnAppended>
    void assemble(TreeFingerprint& tree, const TreeEntry& root, TreeFingerprint::Index& index, EntriesOf entriesOf,
        OnAppended onAppended)
    {
        tree.entries.append({ root });
        QList<QList<qsizetype>> subdirs { root.stamp.isDirectory ? QList<qsizetype> { 0 } : QList<qsizetype> {} };
        for (qsizetype c = 0; c < subdirs.size(); ++c) {
            const QList<qsizetype> within = subdirs.at(c); // shared: the list of lists grows below
            for (qsizetype i : within) {
                const QString dir = tree.entries.chunks().at(c).at(i).path;
                std::optional<Chunk> listed = entriesOf(dir);
                if (!listed)
                    continue;
                TreeFingerprint::Index::Dir d { -1, listed->subdirs };
                if (!listed->entries.isEmpty()) {
                    d.chunk = tree.entries.chunks().size();
                    tree.entries.append(std::move(listed->entries));
                    subdirs.append(d.subdirs);
                }
                index.dirs.insert(dir, d);
                onAppended(dir, d.chunk);
            }
        }
    }

    void appendRecent(const TreeFingerprint& tree, qsizetype chunk, qint64 recentFrom, TreeFingerprint::Index& index)
    {
        const QList<TreeEntry>& entries = tree.entries.chunks().at(chunk);
        for (qsizetype i = 0; i < entries.size(); ++i) {
            if (latestTime(entries.at(i)) >= recentFrom)
                index.recent.append({ chunk, i });
        }
    }

    bool isRacy(const TreeFingerprint& tree, const TreeFingerprint::Index& index)
    {
        const qint64 racyFrom = tree.takenAtNs - TreeFingerprint::kRacyWindowNs;
        return std::any_of(index.recent.cbegin(), index.recent.cend(),
            [&](const TreeFingerprint::Index::Pos& p) { return index.at(tree, p).stamp.mtimeNs >= racyFrom; });
    }

    void seal(TreeFingerprint& tree, const QSharedPointer<TreeFingerprint::Index>& index)
    {
        index->chunks = tree.entries.chunks().constData();
        index->chunkCount = tree.entries.chunks().size();
        tree.racy = isRacy(tree, *index);
        tree.index = index;
    }

    // An index made from the entries alone, for a tree whose entries were set by hand (each list
    // one directory's entries, as TreeEntries(QList<TreeEntry>) splits them).
    QSharedPointer<const TreeFingerprint::Index> indexOf(const TreeFingerprint& tree)
    {
        if (tree.index && tree.index->indexes(tree))
            return tree.index;
        const auto index = QSharedPointer<TreeFingerprint::Index>::create();
        index->id = nextId();
        const qint64 recentFrom = tree.takenAtNs - TreeFingerprint::kRecentWindowNs;
        const QList<QList<TreeEntry>>& chunks = tree.entries.chunks();
        for (qsizetype c = 0; c < chunks.size(); ++c) {
            const TreeEntry& first = chunks.at(c).constFirst();
            appendRecent(tree, c, recentFrom, *index);
            if (first.depth != 0)
                index->dirs.insert(parentOf(first.path).toString(), { c, subdirsOf(chunks.at(c)) });
        }
        for (const TreeEntry& e : tree.entries) {
            if (e.stamp.isDirectory && e.depth < TreeFingerprint::kMaxDepth && !index->dirs.contains(e.path))
                index->dirs.insert(e.path, {});
        }
        index->chunks = chunks.constData();
        index->chunkCount = chunks.size();
        return index;
    }

    // The entries of one directory before (null: none) and now: what was added, removed or differs.
    void diffDir(const QList<TreeEntry>* before, const QList<TreeEntry>& now, QStringList& changed, bool& sameEntries)
    {
        const auto compare = [&](const TreeEntry* old, const TreeEntry& e) {
            if (!old || !(*old == e)) {
                changed.append(e.path);
                sameEntries = false;
            } else if (old->ctimeNs != e.ctimeNs) {
                changed.append(e.path);
            }
        };
        // The same names (entries replaced or re-statted in place, as looks at them leave them):
        // side by side, no hash of a large directory for one changed entry.
        if (before && before->size() == now.size()
            && std::equal(before->cbegin(), before->cend(), now.cbegin(),
                [](const TreeEntry& a, const TreeEntry& b) { return a.path == b.path; })) {
            for (qsizetype i = 0; i < now.size(); ++i)
                compare(&before->at(i), now.at(i));
            return;
        }
        QHash<QStringView, const TreeEntry*> was;
        if (before) {
            was.reserve(before->size());
            for (const TreeEntry& e : *before)
                was.insert(QStringView(e.path), &e);
        }
        for (const TreeEntry& e : now)
            compare(was.take(QStringView(e.path)), e);
        for (const TreeEntry* gone : std::as_const(was))
            changed.append(gone->path);
        sameEntries = sameEntries && was.isEmpty();
    }

    // updated(): lists again the directories named (or whose changes may have gone unnamed), looks
    // at every other entry named alone, and takes the rest from before.
    class Update
    {
    public:
        Update(
            const TreeFingerprint& before, const TreeFingerprint::Index& index, Listing& listing, bool everyChangeNamed)
            : m_before(before)
            , m_index(index)
            , m_listing(listing)
            , m_everyChangeNamed(everyChangeNamed)
        { }

        // A path an event named. A directory of before is listed again. Any other path (a file, a
        // symlink, an entry created or removed since) is looked at alone in its directory; one
        // under a directory before does not hold (created since) is seen through the entry below
        // the nearest directory before holds, which is walked whole when it is a directory now.
        void changedAt(const QString& path)
        {
            if (m_index.dirs.contains(path)) {
                relist(path);
                return;
            }
            const QString& root = m_before.entries.first().path;
            if (!path.startsWith(root) || path.size() <= root.size() || path.at(root.size()) != QLatin1Char('/'))
                return; // not under this tree
            QString entry = path;
            QString dir = parentOf(path).toString();
            while (!m_index.dirs.contains(dir)) {
                if (dir.size() <= root.size())
                    return;
                entry = dir;
                dir = parentOf(dir).toString();
            }
            const QString name = entry.mid(dir.size() + 1);
            if (dir == root && name == QLatin1String(".stateward"))
                return; // left out of every tree
            QString decoded;
            if (!decodesExactly(QFile::encodeName(name), &decoded) || decoded != name) {
                relist(dir); // not a name the file system spells back: its directory says what is there
                return;
            }
            m_looks[dir].insert(entry);
            open(dir);
        }

        // The directory a change at path may hide in: itself when it was a directory, else the
        // nearest one above it in the tree (a new path's parent, a file's directory).
        void relistAround(QString path)
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

        // An entry of before looked at again by itself: a directory's own entry on the way down
        // (its entries kept unless its identity changed), any other entry as a named one.
        void lookAgain(const QString& path)
        {
            if (m_index.dirs.contains(path))
                open(path);
            else
                changedAt(path);
        }

        void run(int rootFd, const QString& root) { emitChildren(rootFd, root, 0); }

    private:
        void relist(const QString& dir)
        {
            m_relist.insert(dir);
            open(dir);
        }

        // Every directory down to dir is opened on the way (openat: no path lookup through a
        // symlink swapped in), and re-statted.
        void open(const QString& dir)
        {
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
            if (const QList<TreeEntry>* entries = m_index.listed(m_before, path)) {
                was.reserve(entries->size());
                for (const TreeEntry& e : *entries)
                    was.insert(QStringView(e.path), &e);
            }
            listInto(fd, path, depth, m_listing, [&](const QByteArray& name, const TreeEntry& child) {
                const TreeEntry* old = was.value(QStringView(child.path), nullptr);
                const bool sameDirectory = old && old->stamp.isDirectory && old->stamp.key == child.stamp.key
                    && m_index.dirs.contains(child.path);
                // Its stamp moved: entries added or removed, each named (and looked at) when every
                // change is named; else listed, as in emitKept.
                const bool same = sameDirectory && (old->stamp == child.stamp || m_everyChangeNamed);
                if (same && !m_open.contains(child.path))
                    return; // untouched since: its entries stand
                const int childFd = openChild(fd, name.constData());
                if (childFd < 0) {
                    m_listing.tree.complete = false;
                    m_listing.unlisted.insert(child.path);
                } else if (sameDirectory) {
                    if (!same)
                        m_relist.insert(child.path);
                    emitChildren(childFd, child.path, depth + 1);
                } else { // new or replaced: walked
                    walk(childFd, child.path, depth + 1, m_listing);
                }
            });
        }

        // The entry named `entry` in the directory path (open at fd) as it is now, put in place in
        // mine (names sorted as readNames sorts them), or taken out when gone. A directory found
        // this way has no entries known: it goes to `fresh`, to be walked whole.
        void lookAt(
            int fd, const QString& path, const QString& entry, int depth, QList<TreeEntry>& mine, QList<QString>& fresh)
        {
            const QByteArray name = QFile::encodeName(entry.mid(path.size() + 1));
            const auto at
                = std::lower_bound(mine.cbegin(), mine.cend(), name, [&](const TreeEntry& e, const QByteArray& n) {
                      return QFile::encodeName(e.path.mid(path.size() + 1)) < n;
                  });
            const qsizetype i = at - mine.cbegin();
            const bool held = i < mine.size() && mine.at(i).path == entry;
            struct stat st;
            if (::fstatat(fd, name.constData(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
                if (held)
                    mine.removeAt(i); // a directory's entries go with it (not assembled, reported gone)
                return;
            }
            const TreeEntry now = entryOf(entry, st, depth + 1);
            if (held && mine.at(i) == now && mine.at(i).ctimeNs == now.ctimeNs)
                return; // as it was: the list stays shared
            const bool sameDirectory = held && mine.at(i).stamp.isDirectory && now.stamp.isDirectory
                && mine.at(i).stamp.key == now.stamp.key;
            if (held)
                mine[i] = now;
            else
                mine.insert(i, now);
            if (sameDirectory)
                m_open.insert(entry); // re-statted and kept below, as on the way down
            else if (now.stamp.isDirectory)
                fresh.append(entry);
        }

        // A directory above one listed again, or holding entries looked at: its entries as before
        // but those looked at, and the directories on the way down are looked at again. A list
        // in which nothing differs stays shared with before's.
        void emitKept(int fd, const QString& path, int depth)
        {
            const QList<TreeEntry>* was = m_index.listed(m_before, path);
            if (!was)
                return;
            QList<TreeEntry> mine = *was;
            QList<QString> fresh;
            if (const auto looks = m_looks.constFind(path); looks != m_looks.cend()) {
                for (const QString& entry : *looks)
                    lookAt(fd, path, entry, depth, mine, fresh);
            }
            for (qsizetype i = 0; i < mine.size(); ++i) {
                if (!mine.at(i).stamp.isDirectory)
                    continue;
                const TreeEntry old = mine.at(i); // a copy: mine may change below
                const bool isFresh = fresh.contains(old.path);
                if (!isFresh && !m_open.contains(old.path))
                    continue;
                const QByteArray name = QFile::encodeName(old.path.mid(path.size() + 1));
                if (isFresh && depth + 1 >= TreeFingerprint::kMaxDepth) {
                    m_listing.tree.complete = false;
                    m_listing.unlisted.insert(old.path);
                    continue;
                }
                const int childFd = openChild(fd, name.constData());
                struct stat st;
                if (isFresh) {
                    if (childFd >= 0) {
                        walk(childFd, old.path, depth + 1, m_listing);
                    } else {
                        m_listing.tree.complete = false;
                        m_listing.unlisted.insert(old.path);
                    }
                    continue;
                }
                if (childFd < 0) {
                    // Gone, or no longer a directory: as it is now, without its old entries.
                    if (::fstatat(fd, name.constData(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
                        mine[i] = entryOf(old.path, st, depth + 1);
                        if (S_ISDIR(st.st_mode)) {
                            m_listing.tree.complete = false; // a directory we cannot open
                            m_listing.unlisted.insert(old.path);
                        }
                    } else {
                        mine.removeAt(i--);
                    }
                    continue;
                }
                if (::fstat(childFd, &st) != 0) {
                    ::close(childFd);
                    m_listing.tree.complete = false;
                    mine.removeAt(i--);
                    continue;
                }
                const TreeEntry now = entryOf(old.path, st, depth + 1);
                if (!(now == old) || now.ctimeNs != old.ctimeNs)
                    mine[i] = now;
                if (!(now.stamp.key == old.stamp.key)) {
                    walk(childFd, old.path, depth + 1, m_listing); // replaced by another directory
                    continue;
                }
                // Entries added or removed: listed whether named or not, unless every change is
                // named (then each of them was, and is looked at by itself).
                if (!(now.stamp == old.stamp) && !m_everyChangeNamed)
                    m_relist.insert(old.path);
                emitChildren(childFd, old.path, depth + 1);
            }
            m_listing.dirs.insert(path, std::move(mine));
        }

        const TreeFingerprint& m_before;
        const TreeFingerprint::Index& m_index;
        Listing& m_listing;
        const bool m_everyChangeNamed;
        QSet<QString> m_relist;
        QSet<QString> m_open;
        QHash<QString, QSet<QString>> m_looks; // directory -> its entries named, looked at alone
    };

} // namespace

TreeEntries::TreeEntries(const QList<TreeEntry>& entries)
{
    QList<TreeEntry> run;
    for (const TreeEntry& e : entries) {
        if (!run.isEmpty()
            && (e.depth == 0 || run.constLast().depth == 0 || parentOf(e.path) != parentOf(run.constLast().path)))
            append(std::exchange(run, {}));
        run.append(e);
    }
    append(std::move(run));
}

void TreeEntries::append(QList<TreeEntry> directoryEntries)
{
    if (directoryEntries.isEmpty())
        return;
    m_starts.append(m_size);
    m_size += directoryEntries.size();
    m_chunks.append(std::move(directoryEntries));
}

const TreeEntry& TreeEntries::at(qsizetype i) const
{
    const qsizetype c = std::upper_bound(m_starts.cbegin(), m_starts.cend(), i) - m_starts.cbegin() - 1;
    return m_chunks.at(c).at(i - m_starts.at(c));
}

TreeEntries::const_iterator TreeEntries::begin() const
{
    const_iterator it;
    if (m_chunks.isEmpty())
        return it;
    it.m_chunk = m_chunks.constData();
    it.m_lastChunk = it.m_chunk + m_chunks.size();
    it.m_at = it.m_chunk->constData();
    it.m_end = it.m_at + it.m_chunk->size();
    return it;
}

QList<TreeEntry> TreeEntries::toList() const
{
    QList<TreeEntry> out;
    out.reserve(m_size);
    for (const QList<TreeEntry>& chunk : m_chunks)
        out.append(chunk);
    return out;
}

bool operator==(const TreeEntries& a, const TreeEntries& b)
{
    if (a.m_size != b.m_size)
        return false;
    if (a.m_chunks.constData() == b.m_chunks.constData())
        return true;
    if (a.m_starts == b.m_starts) {
        // Split alike (as trees of one directory are): a list kept by both is compared by pointer.
        for (qsizetype c = 0; c < a.m_chunks.size(); ++c) {
            if (!(a.m_chunks.at(c) == b.m_chunks.at(c)))
                return false;
        }
        return true;
    }
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

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
        tree, entryOf(root, st, 0), *index,
        [&](const QString& path) -> std::optional<Chunk> {
            const auto listed = listing.dirs.find(path);
            if (listed == listing.dirs.end())
                return std::nullopt;
            QList<qsizetype> subdirs = subdirsOf(*listed);
            return Chunk { std::move(*listed), std::move(subdirs) };
        },
        [](const QString&, qsizetype) {});
    const qint64 recentFrom = tree.takenAtNs - kRecentWindowNs;
    for (qsizetype c = 0; c < tree.entries.chunks().size(); ++c)
        appendRecent(tree, c, recentFrom, *index);
    seal(tree, index);
    tree.undecodable.sort();
    tree.namesListed = true;
    return tree;
}

TreeFingerprint TreeFingerprint::updated(
    const QString& dir, const TreeFingerprint& before, const QSet<QString>& changedPaths, bool everyChangeNamed)
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
    Update update(before, *was, listing, everyChangeNamed);
    // A handful of entries: index files written in place are seen even where only a directory
    // watch (no names) looks at them.
    if (!everyChangeNamed)
        update.relistAround(root);
    for (const QString& path : changedPaths)
        update.changedAt(QDir::cleanPath(path));
    // Entries that were racy then may have been rewritten within the same tick since: looked at
    // again by themselves when every change is named, else with their directory's other entries
    // (a change a poll missed may hide beside them).
    const qint64 racyFrom = before.takenAtNs - kRacyWindowNs;
    for (const Index::Pos& p : was->recent) {
        const QString& path = was->at(before, p).path;
        if (was->at(before, p).stamp.mtimeNs < racyFrom)
            continue;
        if (everyChangeNamed)
            update.lookAgain(path);
        else
            update.relistAround(path);
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
    for (auto it = listing.dirs.cbegin(); it != listing.dirs.cend(); ++it) {
        const QList<TreeEntry>* old = was->listed(before, it.key());
        if (old && old->constData() == it->constData() && old->size() == it->size())
            continue; // kept as it was, shared
        diffDir(old, *it, index->changed, index->sameEntries);
    }
    const qint64 recentFrom = now.takenAtNs - kRecentWindowNs;
    const auto noLongerRecent = [&](const Index::Pos& p) { return latestTime(was->at(before, p)) < recentFrom; };
    if (index->changed.isEmpty() && listing.unlisted.isEmpty()) {
        // Nothing moved: the entries before, shared (and compared by pointer).
        now.entries = before.entries;
        index->dirs = was->dirs;
        index->recent = was->recent;
        index->recent.removeIf(noLongerRecent);
        seal(now, index);
        return now;
    }

    // The recent entries before, by list: where a directory's list is taken over, so are they.
    QHash<qsizetype, QList<qsizetype>> recentIn;
    for (const Index::Pos& p : was->recent) {
        if (p.chunk > 0)
            recentIn[p.chunk].append(p.at);
    }
    if (latestTime(rootEntry) >= recentFrom)
        index->recent.append({ 0, 0 });
    assemble(
        now, rootEntry, *index,
        [&](const QString& path) -> std::optional<Chunk> {
            if (const auto fresh = listing.dirs.constFind(path); fresh != listing.dirs.cend())
                return Chunk { *fresh, subdirsOf(*fresh) };
            const auto d = was->dirs.constFind(path);
            if (d == was->dirs.cend() || listing.unlisted.contains(path))
                return std::nullopt;
            // Kept: shared, not copied.
            return Chunk { d->chunk < 0 ? QList<TreeEntry> {} : before.entries.chunks().at(d->chunk), d->subdirs };
        },
        [&](const QString& path, qsizetype chunk) {
            if (chunk < 0)
                return;
            if (listing.dirs.contains(path)) {
                appendRecent(now, chunk, recentFrom, *index);
                return;
            }
            const QList<TreeEntry>& entries = now.entries.chunks().at(chunk);
            for (qsizetype i : recentIn.value(was->dirs.value(path).chunk)) {
                if (latestTime(entries.at(i)) >= recentFrom)
                    index->recent.append({ chunk, i });
            }
        });
    if (now.entries.size() >= kMaxEntries)
        return of(root);
    // Directories whose entries are gone with them (removed, replaced, no longer listed).
    for (auto it = was->dirs.cbegin(); it != was->dirs.cend(); ++it) {
        if (listing.dirs.contains(it.key()) || index->dirs.contains(it.key()))
            continue;
        const QList<TreeEntry>* gone = was->listed(before, it.key());
        for (const TreeEntry& e : *gone)
            index->changed.append(e.path);
        index->sameEntries = index->sameEntries && gone->isEmpty();
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
    const QList<TreeEntry>* in = index->listed(*this, parentOf(path).toString());
    if (!in)
        return nullptr;
    // A directory's names are sorted by their bytes, which is their UTF-16 order unless a name
    // holds a character past U+D7FF: halved first (a first scan's thousands of recent entries are
    // each found here), then, when that misses, looked for one by one.
    const auto at = std::lower_bound(
        in->cbegin(), in->cend(), path, [](const TreeEntry& e, const QString& p) { return e.path < p; });
    if (at != in->cend() && at->path == path)
        return &*at;
    for (const TreeEntry& e : *in) {
        if (e.path == path)
            return &e;
    }
    return nullptr;
}

QList<const TreeEntry*> TreeFingerprint::recentEntries() const
{
    QList<const TreeEntry*> out;
    const QSharedPointer<const Index> index = indexOf(*this);
    out.reserve(index->recent.size());
    for (const Index::Pos& p : index->recent)
        out.append(&index->at(*this, p));
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
