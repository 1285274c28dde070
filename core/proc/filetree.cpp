// SPDX-License-Identifier: GPL-3.0-or-later
#include "filetree.h"

#include "paths.h"

#include <QDir>
#include <QFile>
#include <QHash>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Stateward {

namespace {

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

    QList<QByteArray> listNames(int fd, TreeFingerprint& tree)
    {
        bool ok = false;
        const int listFd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
        QList<QByteArray> names = listFd >= 0 ? readNames(listFd, &ok) : QList<QByteArray> {};
        if (!ok)
            tree.complete = false;
        return names;
    }

    int openChild(int parentFd, const char* name)
    {
        return ::openat(parentFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }

    bool full(TreeFingerprint& tree)
    {
        if (tree.entries.size() < TreeFingerprint::kMaxEntries)
            return false;
        tree.complete = false;
        return true;
    }

    // The entries of the directory open at fd, appended to tree in name order (Stateward's own
    // area left out at the top); each subdirectory within the depth bound goes to descend(name,
    // path) right after its own entry, so the entries come depth first.
    template <typename Descend>
    void listInto(int fd, const QString& path, int depth, TreeFingerprint& tree, Descend descend)
    {
        for (const QByteArray& name : listNames(fd, tree)) {
            if (depth == 0 && name == ".stateward")
                continue;
            if (full(tree))
                break;
            if (!decodesExactly(name)) {
                // Its lossy spelling may be another file's name: never an entry, only reported.
                tree.undecodable.append(path + QLatin1Char('/') + escapedBytes(name));
                continue;
            }
            struct stat st;
            if (::fstatat(fd, name.constData(), &st, AT_SYMLINK_NOFOLLOW) != 0)
                continue; // gone since listed: the parent's stamp tells the rest
            const QString child = path + QLatin1Char('/') + QFile::decodeName(name);
            tree.entries.append(entryOf(child, st, depth + 1));
            if (!S_ISDIR(st.st_mode))
                continue;
            if (depth + 1 >= TreeFingerprint::kMaxDepth) {
                tree.complete = false;
                continue;
            }
            descend(name, child);
        }
    }

    // Depth first through directory fds (openat + O_NOFOLLOW: a directory swapped for a symlink
    // mid-walk is never entered); finish() orders the entries by depth afterwards.
    void walk(int parentFd, const QString& path, int depth, TreeFingerprint& tree)
    {
        listInto(parentFd, path, depth, tree, [&](const QByteArray& name, const QString& child) {
            const int childFd = openChild(parentFd, name.constData());
            if (childFd < 0)
                tree.complete = false;
            else
                walk(childFd, child, depth + 1, tree);
        });
        ::close(parentFd);
    }

    void finish(TreeFingerprint& tree)
    {
        // Shallow first (what the watch budget keeps), walk order within a depth (what compares).
        std::stable_sort(tree.entries.begin(), tree.entries.end(),
            [](const TreeEntry& a, const TreeEntry& b) { return a.depth < b.depth; });
        const qint64 racyFrom = tree.takenAtNs - TreeFingerprint::kRacyWindowNs;
        tree.racy = std::any_of(tree.entries.cbegin(), tree.entries.cend(),
            [racyFrom](const TreeEntry& e) { return e.stamp.mtimeNs >= racyFrom; });
    }

    QStringView parentOf(const QString& path)
    {
        return QStringView(path).left(std::max<qsizetype>(0, path.lastIndexOf(QLatin1Char('/'))));
    }

    // updated(): the tree before, indexed, and the directories to list again.
    class Update
    {
    public:
        Update(const TreeFingerprint& before, TreeFingerprint& now)
            : m_before(before)
            , m_now(now)
        {
            m_at.reserve(before.entries.size());
            for (qsizetype i = 0; i < before.entries.size(); ++i) {
                const TreeEntry& e = before.entries.at(i);
                m_at.insert(e.path, i);
                if (e.depth > 0)
                    m_children[parentOf(e.path).toString()].append(i);
            }
        }

        // The directory a change at path is seen in: itself when it was a directory, else the
        // nearest one above it in the tree (a new path's parent, a file's directory).
        void changedAt(QString path)
        {
            const QString& root = m_before.entries.first().path;
            for (;;) {
                const auto it = m_at.constFind(path);
                if (it != m_at.cend() && m_before.entries.at(*it).stamp.isDirectory) {
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

        // The entries under path (its fd when it or something below is listed again, else -1;
        // closed here), depth first as walk() appends them.
        void emitChildren(int fd, const QString& path, int depth)
        {
            if (m_relist.contains(path) && fd >= 0)
                emitListed(fd, path, depth);
            else
                emitKept(fd, path, depth);
            if (fd >= 0)
                ::close(fd);
        }

        void emitListed(int fd, const QString& path, int depth)
        {
            listInto(fd, path, depth, m_now, [&](const QByteArray& name, const QString& child) {
                const auto before = m_at.constFind(child);
                const bool same
                    = before != m_at.cend() && m_before.entries.at(*before).stamp == m_now.entries.last().stamp;
                if (same && !m_open.contains(child)) {
                    emitChildren(-1, child, depth + 1); // untouched since: its entries stand
                    return;
                }
                const int childFd = openChild(fd, name.constData());
                if (childFd < 0)
                    m_now.complete = false;
                else if (same)
                    emitChildren(childFd, child, depth + 1);
                else // new, replaced or with entries added or removed (its mtime moved): walked
                    walk(childFd, child, depth + 1, m_now);
            });
        }

        void emitKept(int fd, const QString& path, int depth)
        {
            if (m_relist.contains(path))
                m_now.complete = false; // should have been listed, could not be opened
            const auto kids = m_children.constFind(path);
            if (kids == m_children.cend())
                return;
            for (qsizetype i : *kids) {
                if (full(m_now))
                    break;
                const TreeEntry& e = m_before.entries.at(i);
                if (!e.stamp.isDirectory || !m_open.contains(e.path) || fd < 0) {
                    if (e.stamp.isDirectory && m_open.contains(e.path))
                        m_now.complete = false; // something below was to be listed
                    m_now.entries.append(e);
                    if (e.stamp.isDirectory)
                        emitChildren(-1, e.path, depth + 1);
                    continue;
                }
                // Listed again below: its own entry is looked at again too.
                const QByteArray name = QFile::encodeName(e.path.mid(path.size() + 1));
                const int childFd = openChild(fd, name.constData());
                struct stat st;
                if (childFd < 0) {
                    // Gone, or no longer a directory: as it is now, without its old entries.
                    if (::fstatat(fd, name.constData(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
                        m_now.entries.append(entryOf(e.path, st, depth + 1));
                        if (S_ISDIR(st.st_mode))
                            m_now.complete = false; // a directory we cannot open
                    }
                    continue;
                }
                if (::fstat(childFd, &st) != 0) {
                    ::close(childFd);
                    m_now.complete = false;
                    continue;
                }
                m_now.entries.append(entryOf(e.path, st, depth + 1));
                const FileStamp& now = m_now.entries.last().stamp;
                if (!(now.key == e.stamp.key)) {
                    walk(childFd, e.path, depth + 1, m_now); // replaced by another directory
                    continue;
                }
                if (!(now == e.stamp))
                    m_relist.insert(e.path); // entries added or removed: listed whether named or not
                emitChildren(childFd, e.path, depth + 1);
            }
        }

        const TreeFingerprint& m_before;
        TreeFingerprint& m_now;
        QHash<QString, qsizetype> m_at;
        QHash<QString, QList<qsizetype>> m_children;
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
    tree.entries.append(entryOf(root, st, 0));
    if (S_ISDIR(st.st_mode)) {
        const int fd = ::open(QFile::encodeName(root).constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0)
            walk(fd, root, 0, tree);
        else
            tree.complete = false;
    }
    finish(tree);
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
    now.entries.append(entryOf(root, st, 0));
    if (!(now.entries.first().stamp.key == before.entries.first().stamp.key) || !S_ISDIR(st.st_mode))
        return of(root); // replaced
    const int fd = ::open(QFile::encodeName(root).constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return of(root);

    Update update(before, now);
    update.changedAt(root); // a handful of entries: index files written in place are seen too
    for (const QString& path : changedPaths)
        update.changedAt(QDir::cleanPath(path));
    // Entries that were racy then may have been rewritten within the same tick since.
    const qint64 racyFrom = before.takenAtNs - kRacyWindowNs;
    for (const TreeEntry& e : before.entries) {
        if (e.stamp.mtimeNs >= racyFrom)
            update.changedAt(e.path);
    }
    update.run(fd, root);
    finish(now);
    return now;
}

bool TreeFingerprint::unchanged(const TreeFingerprint& before, const TreeFingerprint& now)
{
    return before.complete && now.complete && !before.racy && before.entries == now.entries;
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
