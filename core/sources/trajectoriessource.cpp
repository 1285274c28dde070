// SPDX-License-Identifier: GPL-3.0-or-later
#include "trajectoriessource.h"

#include "jsonfile.h"
#include "proc/filetree.h"
#include "proc/paths.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

namespace Stateward {

namespace {

    bool isTrajectoryFileName(const QString& name)
    {
        return name.endsWith(QLatin1String(".json")) && name != QLatin1String("index.json")
            && !name.endsWith(QLatin1String(".trace.json")) && !name.endsWith(QLatin1String(".compaction.json"))
            && name != QLatin1String("compaction.json");
    }

    // opened: the stamp of the file whose bytes were parsed (invalid when none was opened).
    TrajectoryRecord readRecord(const QString& path, const QString& expectedId, FileStamp* opened = nullptr)
    {
        TrajectoryRecord r;
        r.path = path;
        r.id = expectedId;
        // Never through a symlink (the path was listed as a plain file, but may have been swapped
        // since), never more than the cap, and the same wording as every other JSON file we read.
        const JsonFile f = readJsonFile(path, TrajectoriesSource::kMaxRecordBytes);
        if (opened && f.status != JsonFile::Status::Unreadable) // a failed read may succeed next time
            *opened = f.stamp;
        if (!f.ok()) {
            r.problem = f.exists() ? f.problem : QStringLiteral("gone since it was listed");
            return r;
        }
        const QJsonObject& o = f.object;
        static const QRegularExpression idShape(QStringLiteral("^traj_[a-z0-9_]+$"));
        const QString id = o.value(QStringLiteral("id")).toString();
        r.title = o.value(QStringLiteral("task")).toObject().value(QStringLiteral("title")).toString();
        r.status = o.value(QStringLiteral("status")).toString();
        r.startedAt = QDateTime::fromString(o.value(QStringLiteral("startedAt")).toString(), Qt::ISODateWithMs);
        r.completedAt = QDateTime::fromString(o.value(QStringLiteral("completedAt")).toString(), Qt::ISODateWithMs);
        if (!idShape.match(id).hasMatch())
            r.problem = QStringLiteral("id '%1' is not a trajectory id").arg(id.left(80));
        else if (id != expectedId)
            r.problem = QStringLiteral("file is named for %1 but holds %2").arg(expectedId, id);
        else if (r.status != QLatin1String("active") && r.status != QLatin1String("completed")
            && r.status != QLatin1String("abandoned"))
            r.problem = QStringLiteral("status '%1' is not active, completed or abandoned").arg(r.status.left(40));
        else if (!r.startedAt.isValid())
            r.problem = QStringLiteral("no valid startedAt");
        return r;
    }

    QString relativeTo(const QString& dir, const QString& path)
    {
        return QDir(dir).relativeFilePath(path);
    }

    // The places findTrajectoryRecords() and symlinksAmongRecords() look, read off the tree the
    // caller just walked (WatchHub) instead of listing and stat-ing every file once more.
    struct TreeListing
    {
        const TreeEntry* activeTop = nullptr;
        const TreeEntry* completedTop = nullptr;
        QList<const TreeEntry*> active; // directly in active/, in QDir::Name order
        QList<const TreeEntry*> completed; // anywhere under completed/ but directories, in path order
        QHash<QString, const TreeEntry*> nested; // active/<dir>/trajectory.json, by path

        static bool isRealDir(const TreeEntry* e) { return e && e->stamp.isDirectory && !e->stamp.isSymlink; }
        static QString nameOf(const TreeEntry* e) { return e->path.mid(e->path.lastIndexOf(QLatin1Char('/')) + 1); }
    };

    // Nothing when the tree cannot stand in for a listing: none, another dir's, or incomplete
    // (an unreadable directory, a bound hit: listing it ourselves reports what we can).
    std::optional<TreeListing> listingOf(const TreeFingerprint* tree, const QString& dir)
    {
        if (!tree || !tree->lists(dir))
            return std::nullopt;
        TreeListing l;
        const QString activePath = dir + QLatin1String("/active");
        const QString completedPath = dir + QLatin1String("/completed");
        const QString activePrefix = activePath + QLatin1Char('/');
        const QString completedPrefix = completedPath + QLatin1Char('/');
        for (const TreeEntry& e : tree->entries) {
            if (e.depth == 1 && e.path == activePath)
                l.activeTop = &e;
            else if (e.depth == 1 && e.path == completedPath)
                l.completedTop = &e;
            else if (e.depth >= 2 && !e.stamp.isDirectory && e.path.startsWith(completedPrefix))
                l.completed.append(&e);
            else if (e.depth == 2 && e.path.startsWith(activePrefix))
                l.active.append(&e);
            else if (e.depth == 3 && e.path.startsWith(activePrefix)
                && e.path.endsWith(QLatin1String("/trajectory.json")))
                l.nested.insert(e.path, &e);
        }
        std::sort(l.active.begin(), l.active.end(), [](const TreeEntry* a, const TreeEntry* b) {
            return QString::compare(TreeListing::nameOf(a), TreeListing::nameOf(b)) < 0;
        });
        // Usually sorted already (completed/YYYY-MM/<id>.json, in walk order).
        const auto byPath = [](const TreeEntry* a, const TreeEntry* b) { return a->path < b->path; };
        if (!std::is_sorted(l.completed.cbegin(), l.completed.cend(), byPath))
            std::sort(l.completed.begin(), l.completed.end(), byPath);
        return l;
    }

    bool namesTrajectory(const QString& name)
    {
        return isTrajectoryFileName(name) || name == QLatin1String("trajectory.json");
    }

    // Symlinks where trail would look for trajectories: active/ and completed/ themselves, and
    // every trajectory-named file or directory under them. findTrajectoryRecords() never follows
    // them, so each one is a trajectory trail may see and Stateward does not.
    QStringList symlinksAmongRecords(const QString& dir, const std::optional<TreeListing>& listing)
    {
        QStringList out;
        if (listing) {
            const TreeListing& l = *listing;
            for (const TreeEntry* top : { l.activeTop, l.completedTop }) {
                if (top && top->stamp.isSymlink)
                    out.append(top->path);
            }
            // isDir() stats the target (no read) to tell a linked <id>/ or YYYY-MM/ apart.
            const auto linked = [](const TreeEntry* e) {
                return e->stamp.isSymlink && (namesTrajectory(TreeListing::nameOf(e)) || QFileInfo(e->path).isDir());
            };
            if (TreeListing::isRealDir(l.activeTop)) {
                for (const TreeEntry* e : l.active) {
                    if (linked(e)) {
                        out.append(e->path);
                    } else if (TreeListing::isRealDir(e)) {
                        const TreeEntry* nested = l.nested.value(e->path + QLatin1String("/trajectory.json"));
                        if (nested && nested->stamp.isSymlink)
                            out.append(nested->path);
                    }
                }
            }
            if (TreeListing::isRealDir(l.completedTop)) {
                for (const TreeEntry* e : l.completed) {
                    if (linked(e))
                        out.append(e->path);
                }
            }
            out.sort();
            return out;
        }
        for (const QString& sub : { QStringLiteral("active"), QStringLiteral("completed") }) {
            const QString path = QDir(dir).filePath(sub);
            const QFileInfo top(path);
            if (top.isSymLink()) {
                out.append(path);
                continue;
            }
            if (!top.isDir())
                continue;
            QDirIterator it(path, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot,
                sub == QLatin1String("completed") ? QDirIterator::Subdirectories : QDirIterator::NoIteratorFlags);
            while (it.hasNext()) {
                const QString p = it.next();
                const QFileInfo f = it.fileInfo();
                if (f.isSymLink()) {
                    // isDir() stats the target (no read) to tell a linked <id>/ or YYYY-MM/ apart.
                    if (f.isDir() || isTrajectoryFileName(f.fileName())
                        || f.fileName() == QLatin1String("trajectory.json"))
                        out.append(p);
                } else if (sub == QLatin1String("active") && f.isDir()) {
                    const QString nested = p + QLatin1String("/trajectory.json");
                    if (QFileInfo(nested).isSymLink())
                        out.append(nested);
                }
            }
        }
        out.sort();
        return out;
    }

    // What trail does with an index.json whose JSON parses but whose shape is wrong (0.4.1, checked
    // with the real CLI: nothing validates the shape before it is used).
    QString badShape(const QJsonDocument& doc, qsizetype hidden)
    {
        if (!doc.isObject())
            return QStringLiteral("the top level is not a JSON object: trail list and every save fail with a "
                                  "TypeError; %1 trajectories are hidden")
                .arg(hidden);
        const QJsonValue t = doc.object().value(QStringLiteral("trajectories"));
        if (t.isArray())
            return QStringLiteral("\"trajectories\" is an array: trail list shows nothing and every save's entry is "
                                  "dropped when the index is written back; %1 trajectories are hidden")
                .arg(hidden);
        return QStringLiteral("%1: trail list and every save fail with a TypeError; %2 trajectories are hidden")
            .arg(t.isUndefined() ? QStringLiteral("no \"trajectories\" object")
                                 : QStringLiteral("\"trajectories\" is not an object"))
            .arg(hidden);
    }

} // namespace

TrajectoryRecordCache::Records TrajectoryRecordCache::take(const QString& stateDir)
{
    QMutexLocker lock(&m_mutex);
    const auto it = m_dirs.find(stateDir);
    if (it == m_dirs.end())
        return {};
    Records records = std::move(it->records);
    m_dirs.erase(it);
    return records;
}

void TrajectoryRecordCache::put(const QString& stateDir, Records records)
{
    if (records.size() > kMaxRecords)
        return;
    QMutexLocker lock(&m_mutex);
    m_dirs.insert(stateDir, Dir { ++m_uses, std::move(records) });
    while (m_dirs.size() > kMaxStateDirs) {
        auto oldest = m_dirs.begin();
        for (auto it = m_dirs.begin(); it != m_dirs.end(); ++it) {
            if (it->lastUse < oldest->lastUse)
                oldest = it;
        }
        m_dirs.erase(oldest);
    }
}

void TrajectoryRecordCache::clear()
{
    QMutexLocker lock(&m_mutex);
    m_dirs.clear();
    m_memos.clear();
}

std::shared_ptr<TrajectoryScanMemo> TrajectoryRecordCache::takeMemo(const QString& stateDir)
{
    QMutexLocker lock(&m_mutex);
    const auto it = m_memos.find(stateDir);
    if (it == m_memos.end())
        return nullptr;
    std::shared_ptr<TrajectoryScanMemo> memo = std::move(*it);
    m_memos.erase(it);
    return memo;
}

void TrajectoryRecordCache::putMemo(const QString& stateDir, std::shared_ptr<TrajectoryScanMemo> memo)
{
    QMutexLocker lock(&m_mutex);
    m_memos.insert(stateDir, std::move(memo));
    while (m_memos.size() > kMaxStateDirs)
        m_memos.erase(m_memos.begin()); // any other: its next scan judges everything again
}

qsizetype TrajectoryRecordCache::recordCount() const
{
    QMutexLocker lock(&m_mutex);
    qsizetype n = 0;
    for (const Dir& d : m_dirs)
        n += d.records.size();
    return n;
}

void TrajectoryRecordCache::count(quint64 hits, quint64 misses)
{
    m_hits += hits;
    m_misses += misses;
}

namespace {

    // One scan's use of the cache: the records it finds, reused or read, become the dir's entries.
    class CachedReader
    {
    public:
        // listedAt: when the tree read() is handed entries of was taken (before its lstat calls).
        // patching: the scan reads only the files that changed (TrajectoriesSource::scanAfter), so
        // the records it does not read stay; forget() drops the ones gone.
        CachedReader(TrajectoryRecordCache* cache, const QString& dir, qint64 listedAt = 0, bool patching = false)
            : m_cache(cache)
            , m_dir(dir)
            , m_listedAt(listedAt)
            , m_patching(patching)
        {
            if (m_cache) {
                if (m_patching) {
                    m_after = m_cache->take(dir); // looked up in place: no copy of every record
                } else {
                    m_before = m_cache->take(dir);
                    m_after.reserve(m_before.size());
                }
            }
        }
        ~CachedReader()
        {
            if (m_dirFd >= 0)
                ::close(m_dirFd);
            if (m_cache) {
                m_cache->put(m_dir, std::move(m_after));
                m_cache->count(m_hits, m_misses);
            }
        }
        CachedReader(const CachedReader&) = delete;
        CachedReader& operator=(const CachedReader&) = delete;

        // listed: the file's entry in the tree the caller walked (its lstat), else lstat here.
        TrajectoryRecord read(const QString& path, const QString& expectedId, const TreeEntry* listed = nullptr)
        {
            if (!m_cache)
                return readRecord(path, expectedId);
            qint64 readAt = m_listedAt;
            TrajectoryRecordCache::Version version;
            if (listed) {
                version = { listed->stamp.key.device, listed->stamp.key.inode, listed->stamp.size,
                    listed->stamp.mtimeNs, listed->ctimeNs };
            } else {
                readAt = TreeFingerprint::clockNs(); // before the lstat: a write after it is newer
                struct stat st;
                if (!lstatAt(path, &st) || !S_ISREG(st.st_mode))
                    return readRecord(path, expectedId); // gone or swapped: reported as a fresh read would
                version = { quint64(st.st_dev), quint64(st.st_ino), qint64(st.st_size),
                    qint64(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                    qint64(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec };
            }
            const TrajectoryRecordCache::Records& kept = m_patching ? m_after : m_before;
            const auto hit = kept.constFind(path);
            if (hit != kept.constEnd() && hit->version == version) {
                ++m_hits;
                if (!m_patching)
                    m_after.insert(path, *hit);
                return hit->record;
            }
            ++m_misses;
            m_after.remove(path); // patching: kept again below only if reusable
            FileStamp opened;
            TrajectoryRecord r = readRecord(path, expectedId, &opened);
            // Kept when the bytes read are the file lstat saw (same inode, size and mtime), and
            // when a later rewrite is sure to move its times (they are older than a clock tick).
            constexpr qint64 kSecond = 1000000000;
            const bool wholeSeconds = version.mtimeNs % kSecond == 0 && version.ctimeNs % kSecond == 0;
            const qint64 racyFrom = readAt
                - (wholeSeconds ? TrajectoryRecordCache::kWholeSecondRacyWindowNs
                                : TrajectoryRecordCache::kRacyWindowNs);
            if (opened.key.device == version.device && opened.key.inode == version.inode && opened.size == version.size
                && opened.mtimeNs == version.mtimeNs && version.mtimeNs < racyFrom && version.ctimeNs < racyFrom)
                m_after.insert(path, { version, r });
            return r;
        }

        void forget(const QString& path) { m_after.remove(path); }

    private:
        // lstat(2) of path through an fd of its directory, kept open while the walk stays there
        // (records come sorted by directory): a full path lookup per record costs twice as much.
        bool lstatAt(const QString& path, struct stat* st)
        {
            const qsizetype slash = path.lastIndexOf(QLatin1Char('/'));
            const QStringView dir = QStringView(path).left(slash);
            if (m_dirFd < 0 || dir != m_fdDir) {
                if (m_dirFd >= 0)
                    ::close(m_dirFd);
                m_fdDir = dir.toString();
                m_dirFd = ::open(QFile::encodeName(m_fdDir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            }
            if (m_dirFd < 0)
                return ::lstat(QFile::encodeName(path).constData(), st) == 0;
            return ::fstatat(m_dirFd, QFile::encodeName(path.mid(slash + 1)).constData(), st, AT_SYMLINK_NOFOLLOW) == 0;
        }

        TrajectoryRecordCache* m_cache;
        QString m_dir;
        qint64 m_listedAt = 0;
        bool m_patching = false;
        QString m_fdDir;
        int m_dirFd = -1;
        TrajectoryRecordCache::Records m_before;
        TrajectoryRecordCache::Records m_after;
        quint64 m_hits = 0;
        quint64 m_misses = 0;
    };

} // namespace

namespace {

    QList<TrajectoryRecord> recordsListed(
        const QString& dir, const TreeListing& l, TrajectoryRecordCache* cache, qint64 listedAt)
    {
        QList<TrajectoryRecord> out;
        CachedReader reader(cache, dir, listedAt);
        // As the QDir listing does: regular files only, no hidden names, no symlinked directory.
        if (TreeListing::isRealDir(l.activeTop)) {
            for (const TreeEntry* e : l.active) {
                const QString name = TreeListing::nameOf(e);
                if (name.startsWith(QLatin1Char('.')))
                    continue;
                if (TreeListing::isRealDir(e)) {
                    const QString nested = e->path + QLatin1String("/trajectory.json");
                    const TreeEntry* n = l.nested.value(nested);
                    if (n && n->isRegular)
                        out.append(reader.read(nested, name, n));
                } else if (e->isRegular && isTrajectoryFileName(name)) {
                    out.append(reader.read(e->path, QFileInfo(name).completeBaseName(), e));
                }
            }
        }
        if (!TreeListing::isRealDir(l.completedTop))
            return out;
        const qsizetype prefix = l.completedTop->path.size() + 1;
        for (const TreeEntry* e : l.completed) {
            const QStringView rel = QStringView(e->path).mid(prefix);
            if (!e->isRegular || rel.startsWith(QLatin1Char('.')) || rel.contains(QLatin1String("/.")))
                continue; // QDirIterator enters no hidden directory and lists no hidden file
            const QFileInfo f(e->path);
            if (f.fileName() == QLatin1String("trajectory.json"))
                out.append(reader.read(e->path, f.dir().dirName(), e));
            else if (isTrajectoryFileName(f.fileName()))
                out.append(reader.read(e->path, f.completeBaseName(), e));
        }
        return out;
    }

} // namespace

QList<TrajectoryRecord> findTrajectoryRecords(const QString& dir, TrajectoryRecordCache* cache)
{
    QList<TrajectoryRecord> out;
    CachedReader reader(cache, dir);
    const QDir root(dir);
    // A symlinked active/ or completed/ is never entered: listing it would read outside dir.
    const QString activePath = root.filePath(QStringLiteral("active"));
    const QString completedPath = root.filePath(QStringLiteral("completed"));
    // active/: flat <id>.json (not recursive, as upstream) and 0.5.9's <id>/trajectory.json.
    if (!QFileInfo(activePath).isSymLink()) {
        const QDir active(activePath);
        for (const QFileInfo& f :
            active.entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot | QDir::NoSymLinks, QDir::Name)) {
            if (f.isDir()) {
                const QString nested = f.filePath() + QLatin1String("/trajectory.json");
                if (QFileInfo(nested).isFile() && !QFileInfo(nested).isSymLink())
                    out.append(reader.read(nested, f.fileName()));
            } else if (isTrajectoryFileName(f.fileName())) {
                out.append(reader.read(f.filePath(), f.completeBaseName()));
            }
        }
    }
    // completed/: every depth (QDirIterator does not descend into symlinked directories).
    if (QFileInfo(completedPath).isSymLink())
        return out;
    QDirIterator it(completedPath, QDir::Files | QDir::NoSymLinks, QDirIterator::Subdirectories);
    QStringList completed;
    while (it.hasNext())
        completed.append(it.next());
    completed.sort();
    for (const QString& path : completed) {
        const QFileInfo f(path);
        if (f.fileName() == QLatin1String("trajectory.json"))
            out.append(reader.read(path, f.dir().dirName()));
        else if (isTrajectoryFileName(f.fileName()))
            out.append(reader.read(path, f.completeBaseName()));
    }
    return out;
}

const QStringList& TrajectoriesSource::indexKeyOrder()
{
    static const QStringList order { QStringLiteral("version"), QStringLiteral("lastUpdated"),
        QStringLiteral("trajectories"), QStringLiteral("title"), QStringLiteral("status"), QStringLiteral("startedAt"),
        QStringLiteral("completedAt"), QStringLiteral("path"), QStringLiteral("compactedInto") };
    return order;
}

namespace {

    // Which figure of recogniseLayout() a valid record counts in.
    bool isNestedRecord(const TrajectoryRecord& r)
    {
        return r.path.endsWith(QLatin1String("/trajectory.json"));
    }

} // namespace

TrajectoriesSource::Layout TrajectoriesSource::recogniseLayout(
    const QString& stateDir, const QList<TrajectoryRecord>& records)
{
    // Only valid records count: a file that is not a trajectory says nothing of who wrote it.
    qsizetype nested = 0;
    qsizetype flat = 0;
    for (const TrajectoryRecord& r : records) {
        if (r.problem.isEmpty())
            ++(isNestedRecord(r) ? nested : flat);
    }
    return recogniseLayout(stateDir, nested, flat);
}

TrajectoriesSource::Layout TrajectoriesSource::recogniseLayout(
    const QString& stateDir, qsizetype nested, qsizetype flat)
{
    static const QString tool = QStringLiteral("agent-trajectories");
    const QString clean = cleanAbsolute(stateDir);
    const auto present = [&clean](const char* name) {
        struct stat st;
        return ::lstat(QFile::encodeName(clean + QLatin1Char('/') + QLatin1String(name)).constData(), &st) == 0;
    };
    const bool index = present("index.json");
    // The place says which version reads the directory: each one's default (or a data dir).
    const bool oldPlace = clean.endsWith(QLatin1String("/.trajectories"));
    const bool newPlace = clean.endsWith(QLatin1String("/.agentworkforce/trajectories"));
    const QString indexFree = newPlace ? QStringLiteral("0.6.1-style, index-free")
        : oldPlace                     ? QStringLiteral("0.5.9-style, index-free")
                                       : QStringLiteral("0.5.9+ style, index-free");
    const QString indexNote = index ? QStringLiteral("; an index.json, which 0.5.9+ deletes on its next start")
                                    : QStringLiteral("; no index.json");
    const QString flatNote = flat > 0 ? QStringLiteral(", %1 legacy flat <id>.json, still read").arg(flat) : QString();
    if (nested > 0)
        return { Era::IndexFree,
            { tool, indexFree,
                QStringLiteral("%1 record(s) as <id>/trajectory.json, which only 0.5.9+ writes%2%3")
                    .arg(nested)
                    .arg(flatNote, indexNote) } };
    if (newPlace)
        return { Era::IndexFree,
            { tool, indexFree,
                QStringLiteral("in .agentworkforce/trajectories, the default of 0.6.1+ only (its migration moves "
                               ".trajectories here with the flat files as they are)%1%2")
                    .arg(flatNote, indexNote) } };
    if (index)
        return { Era::Index,
            { tool, QStringLiteral("index era (≤0.5.6)"),
                QStringLiteral("index.json beside %1 flat <id>.json record(s); no <id>/trajectory.json (0.5.9+ writes "
                               "those)")
                    .arg(flat) } };
    if (flat > 0)
        return { Era::Index,
            { tool, QStringLiteral("index era (≤0.5.6), index.json missing"),
                QStringLiteral("%1 flat <id>.json record(s), no <id>/trajectory.json and no index.json: an index-era "
                               "trail writes index.json on every start, so it was lost, or 0.5.9+ (which deletes it) "
                               "opened this directory and has saved nothing here yet")
                    .arg(flat) } };
    // Nothing tells the eras apart yet. As the index era, an export is an empty index, and the
    // scan has nothing to report either way.
    if (present("active") || present("completed"))
        return { Era::Index,
            { tool, QStringLiteral("no trajectories yet"),
                QStringLiteral("active/ or completed/ with no valid trajectory and no index.json: an index-era trail "
                               "(≤0.5.6) would have written index.json when it started, 0.5.9+ deletes it") } };
    return { Era::Unknown,
        { {}, {},
            QStringLiteral("no index.json, active/ or completed/ in %1: nothing agent-trajectories writes; its content "
                           "is not judged")
                .arg(clean) } };
}

QString TrajectoriesSource::unseenReason(const QString& stateDir, const QString& path)
{
    const QString root = cleanAbsolute(stateDir);
    if (!path.startsWith(root + QLatin1Char('/')))
        return {};
    const QStringList parts = path.mid(root.size() + 1).split(QLatin1Char('/'), Qt::SkipEmptyParts);
    QString at = root;
    for (qsizetype i = 0; i < parts.size(); ++i) {
        at += QLatin1Char('/') + parts.at(i);
        const QByteArray native = QFile::encodeName(at);
        struct stat st;
        if (::lstat(native.constData(), &st) != 0) {
            if (errno == ENOENT || errno == ENOTDIR)
                return {}; // seen to be absent
            return QStringLiteral("%1 cannot be examined (%2)").arg(at, QString::fromLocal8Bit(strerror(errno)));
        }
        if (S_ISLNK(st.st_mode))
            return QStringLiteral("%1 is a symlink (to %2), which the scan does not follow")
                .arg(at, QFileInfo(at).symLinkTarget());
        const bool last = i == parts.size() - 1;
        if (last)
            return S_ISREG(st.st_mode) && ::access(native.constData(), R_OK) != 0
                ? QStringLiteral("%1 cannot be read (%2)").arg(at, QString::fromLocal8Bit(strerror(errno)))
                : QString();
        if (!S_ISDIR(st.st_mode))
            return {};
        if (::access(native.constData(), R_OK | X_OK) != 0)
            return QStringLiteral("the directory %1 cannot be listed (%2)")
                .arg(at, QString::fromLocal8Bit(strerror(errno)));
    }
    return {};
}

QStringList TrajectoriesSource::candidateStateDirs(const QString& workspace) const
{
    QStringList dirs;
    const QDir ws(workspace);
    // Upstream expands a leading ~; a relative value is relative to trail's cwd, the workspace.
    QString dataDir = qEnvironmentVariable("TRAJECTORIES_DATA_DIR");
    if (dataDir == QLatin1String("~") || dataDir.startsWith(QLatin1String("~/")))
        dataDir = QDir::homePath() + dataDir.mid(1);
    if (!dataDir.isEmpty() && QDir::isRelativePath(dataDir))
        dataDir = ws.filePath(dataDir);
    for (const QString& candidate : { ws.filePath(QStringLiteral(".trajectories")),
             ws.filePath(QStringLiteral(".agentworkforce/trajectories")), dataDir }) {
        if (!candidate.isEmpty() && !dirs.contains(cleanAbsolute(candidate)))
            dirs.append(cleanAbsolute(candidate));
    }
    return dirs;
}

QStringList TrajectoriesSource::rewrittenInPlace(const Snapshot& snapshot) const
{
    // trail saves an active trajectory in place on every event it records (0.4.x writeFile).
    QStringList files = SourceAdapter::rewrittenInPlace(snapshot);
    for (const Job& j : snapshot.jobs) {
        if (j.status == QLatin1String("active") && !j.recordFile.isEmpty())
            files.append(j.recordFile);
    }
    return files;
}

std::unique_ptr<AdapterCache> TrajectoriesSource::newCache() const
{
    return std::make_unique<TrajectoryRecordCache>();
}

namespace {

    // What the checks read of one index.json entry.
    struct IndexEntry
    {
        QString path;
        QString status;
        friend bool operator==(const IndexEntry&, const IndexEntry&) = default;
    };

    // What index.json was found to be; worded with the figures of the moment by addIndexFindings().
    struct IndexState
    {
        enum class Kind
        {
            None, // an index-free directory without one
            InNewLayout, // an index-free directory with one
            Symlink,
            Missing,
            Empty,
            Unreadable,
            Malformed,
            BadShape,
            Usable,
        };
        Kind kind = Kind::None;
        QString text; // the symlink's target, or why it could not be read or parsed
        QJsonDocument doc; // BadShape: as parsed, for badShape()
        // Usable: only what the checks read of each entry, by id. The parsed JSON costs ~900
        // bytes an entry, which at 100 000 entries should not sit beside the records and jobs.
        QHash<QString, IndexEntry> entries;
    };

    // What index.json is in an index-free directory: only whether it is there.
    IndexState indexStateInNewLayout(const QString& indexPath)
    {
        const QFileInfo indexInfo(indexPath);
        IndexState st;
        st.kind = indexInfo.exists() || indexInfo.isSymLink() ? IndexState::Kind::InNewLayout : IndexState::Kind::None;
        return st;
    }

    // Read before the records (whatever the era turns out to be): its parse needs ~4 times the
    // file's size for a moment, better before the records are held than beside them.
    IndexState readIndexState(const QString& indexPath)
    {
        using Kind = IndexState::Kind;
        IndexState st;
        const QFileInfo indexInfo(indexPath);
        if (indexInfo.isSymLink()) {
            st.kind = Kind::Symlink;
            st.text = indexInfo.symLinkTarget();
            return st;
        }
        JsonFile index = readJsonFile(indexPath, TrajectoriesSource::kMaxRecordBytes);
        using Status = JsonFile::Status;
        // Parsed once by readJsonFile; parsed again only in the rare valid-but-not-an-object case.
        const QJsonDocument doc = index.ok()    ? QJsonDocument(index.object)
            : index.status == Status::NotObject ? QJsonDocument::fromJson(index.bytes)
                                                : QJsonDocument();
        if (!index.exists()) {
            st.kind = Kind::Missing;
        } else if (index.status == Status::Empty && index.bytes.isEmpty()) {
            st.kind = Kind::Empty;
        } else if (index.status == Status::Symlink || index.status == Status::Unreadable
            || index.status == Status::TooLarge) {
            // Not read at all (unopenable, not a regular file, over the cap): no verdict on its JSON.
            st.kind = Kind::Unreadable;
            st.text = index.problem;
        } else if (index.status == Status::Malformed || index.status == Status::Empty) { // whitespace only
            st.kind = Kind::Malformed;
            st.text = index.problem;
        } else if (!doc.object().value(QStringLiteral("trajectories")).isObject()) {
            st.kind = Kind::BadShape;
            st.doc = doc;
        } else {
            st.kind = Kind::Usable;
            const QJsonObject all = doc.object().value(QStringLiteral("trajectories")).toObject();
            index.object = {};
            st.entries.reserve(all.size());
            for (auto it = all.constBegin(); it != all.constEnd(); ++it) {
                const QJsonObject e = it.value().toObject();
                st.entries.insert(it.key(),
                    { e.value(QStringLiteral("path")).toString(), e.value(QStringLiteral("status")).toString() });
            }
        }
        return st;
    }

    // hidden: the trajectory ids with a valid file.
    void addIndexFindings(Snapshot& s, const IndexState& st, const QString& indexPath, qsizetype hidden,
        const TrajectoriesSource::Layout& layout)
    {
        using Kind = IndexState::Kind;
        switch (st.kind) {
        case Kind::None:
        case Kind::Usable:
            return;
        case Kind::InNewLayout:
            s.addFinding(QStringLiteral("index-in-new-layout"), Severity::Info, indexPath,
                QStringLiteral("an index.json in an index-free (%1) directory").arg(layout.recognition.layout),
                QStringLiteral("trail 0.5.9+ keeps no index and deletes this file on its next start; only an "
                               "index-era trail (≤0.5.6) sharing this directory would read it"));
            return;
        case Kind::Symlink:
            s.addFinding(QStringLiteral("index-symlink"), Severity::Error, indexPath,
                QStringLiteral("index.json is a symlink; not followed"), QStringLiteral("points to %1").arg(st.text));
            return;
        case Kind::Missing:
            if (hidden > 0)
                s.addFinding(QStringLiteral("index-missing"), Severity::Warning, indexPath,
                    QStringLiteral("no index.json: trail ≤0.5.2 lists none of %1 trajectories").arg(hidden),
                    QStringLiteral("%1 valid trajectory files on disk; trail 0.5.4–0.5.6 rebuild the index on their "
                                   "next start, 0.5.9+ keeps none (%2)")
                        .arg(hidden)
                        .arg(layout.recognition.evidence),
                    { RepairKind::Reindex });
            return;
        case Kind::Empty:
            s.addFinding(QStringLiteral("index-empty"), Severity::Warning, indexPath,
                QStringLiteral("zero-byte index.json: trail reads it as an empty index"),
                QStringLiteral("%1 trajectory files are hidden from trail list").arg(hidden),
                { RepairKind::ReplaceCorruptIndex });
            return;
        case Kind::Unreadable:
            s.addFinding(QStringLiteral("index-unreadable"), Severity::Error, indexPath,
                QStringLiteral("index.json cannot be read"),
                QStringLiteral("%1; %2 trajectory files on disk").arg(st.text).arg(hidden));
            return;
        case Kind::Malformed:
            s.addFinding(QStringLiteral("index-malformed"), Severity::Error, indexPath,
                QStringLiteral("index.json is not valid JSON: trail falls back to an empty index"),
                QStringLiteral("%1; the next save writes an index holding only its own entry, hiding %2 trajectories")
                    .arg(st.text)
                    .arg(hidden),
                { RepairKind::ReplaceCorruptIndex });
            return;
        case Kind::BadShape:
            s.addFinding(QStringLiteral("index-malformed"), Severity::Error, indexPath,
                QStringLiteral("index.json is not a valid index"), badShape(st.doc, hidden),
                { RepairKind::ReplaceCorruptIndex });
            return;
        }
    }

    // Everything one scan of a state dir judged, in the pieces a later scan re-judges one by one
    // (TrajectoriesSource::scanAfter); the snapshot is assembled from it in one fixed order.
    struct Judgement
    {
        QMap<QString, Finding> invalid; // record-invalid, by path
        QStringList symlinks; // among the records, sorted
        IndexState index; // its entries: those of a usable index, by id
        ChunkedList<Job> jobs; // one per id with a valid file, by id; shares its chunks with the snapshots
        QMap<QString, QList<Finding>> ofId; // duplicate-record, index-missing-record, index-stale
        QMap<QString, Finding> dangling; // index-dangling, index-entry-unchecked, by entry id
        LockScanListing locks;
    };

    // How one trajectory id, and one index entry, are judged: the same for a whole scan and for
    // one that re-judges a few ids.
    class IdJudge
    {
    public:
        IdJudge(const QString& workspace, const QString& stateDir, bool newLayout, const Judgement& j)
            : m_stateDir(stateDir)
            , m_indexPath(QDir(stateDir).filePath(QStringLiteral("index.json")))
            , m_cleanWs(cleanAbsolute(workspace))
            , m_canonicalWs(QFileInfo(workspace).canonicalFilePath())
            , m_recordsClean(cleanAbsolute(stateDir) == stateDir)
            , m_newLayout(newLayout)
            , m_indexUsable(j.index.kind == IndexState::Kind::Usable)
            , m_entryOf(j.index.entries)
        { }

        const QString& canonicalWs() const { return m_canonicalWs; }

        // copies: the valid records of the id (at least one). Its job; its findings into `findings`.
        Job judge(QList<const TrajectoryRecord*> copies, QList<Finding>& findings) const
        {
            Snapshot s; // for addFinding's wording of ids
            std::sort(copies.begin(), copies.end(),
                [](const TrajectoryRecord* a, const TrajectoryRecord* b) { return isPreferredCopy(*a, *b); });
            const TrajectoryRecord& r = *copies.first();
            const QString jobItem = QStringLiteral("trajectories:%1:%2").arg(m_stateDir, r.id);
            if (copies.size() > 1) {
                QStringList paths;
                for (const TrajectoryRecord* c : copies)
                    paths.append(relativeTo(m_stateDir, c->path));
                s.addFinding(QStringLiteral("duplicate-record"), Severity::Warning,
                    FindingTarget::item(r.path, jobItem),
                    QStringLiteral("trajectory %1 exists in %2 places").arg(r.id).arg(copies.size()),
                    QStringLiteral("%1; the newest (%2) wins")
                        .arg(paths.join(QStringLiteral(", ")), relativeTo(m_stateDir, r.path)));
            }
            Job j;
            j.id = jobItem;
            j.jobId = r.id;
            j.title = r.title;
            j.kind = QStringLiteral("trajectory");
            j.status = r.status;
            j.startedAt = r.startedAt;
            j.updatedAt = r.completedAt;
            j.recordFile = r.path;
            const auto entry = m_entryOf.constFind(r.id);
            j.inIndex = m_newLayout || entry != m_entryOf.cend();
            if (m_indexUsable && entry == m_entryOf.cend()) {
                s.addFinding(QStringLiteral("index-missing-record"), Severity::Warning,
                    FindingTarget::item(r.path, j.id),
                    QStringLiteral("trajectory %1 is missing from index.json").arg(r.id),
                    QStringLiteral("'%1' (%2), a valid file that trail list does not show")
                        .arg(r.title.left(80), r.status),
                    { RepairKind::Reindex });
            } else if (m_indexUsable) {
                const QString& entryPath = entry->path;
                const QString& entryStatus = entry->status;
                if (entryStatus != r.status || !samePlace(entryPath, r.path))
                    s.addFinding(QStringLiteral("index-stale"), Severity::Warning,
                        FindingTarget::entry(m_indexPath, r.id, j.id),
                        QStringLiteral("index entry for %1 is out of date").arg(r.id),
                        QStringLiteral("index says '%1' at %2; the file says '%3' at %4")
                            .arg(entryStatus, entryPath, r.status, r.path),
                        { RepairKind::FixIndexEntry });
            }
            findings = std::move(s.findings);
            return j;
        }

        // An entry of a usable index whose id has no valid file.
        Finding dangling(const QString& id, const IndexEntry& entry) const
        {
            Snapshot s;
            // What the scan could not see (a symlink it does not follow, a directory it cannot
            // list) may hold the record: trail may still read it, so it is never called dangling.
            const QString& entryPath = entry.path;
            if (const QString unseen = entryPath.isEmpty()
                    ? QString()
                    : TrajectoriesSource::unseenReason(m_stateDir, resolveEntry(entryPath));
                !unseen.isEmpty()) {
                s.addFinding(QStringLiteral("index-entry-unchecked"), Severity::Warning,
                    FindingTarget::entry(m_indexPath, id),
                    QStringLiteral("index entry %1 cannot be checked").arg(id.left(80)),
                    QStringLiteral("its path '%1' cannot be seen: %2; trail may still read it, so it is left as is")
                        .arg(entryPath, unseen));
            } else {
                // The entry's path is quoted, never opened: it may point anywhere.
                s.addFinding(QStringLiteral("index-dangling"), Severity::Warning, FindingTarget::entry(m_indexPath, id),
                    QStringLiteral("index entry %1 names no trajectory file").arg(id.left(80)),
                    QStringLiteral("path '%1' does not hold a valid trajectory").arg(entryPath),
                    { RepairKind::DropDanglingEntry });
            }
            return s.findings.first();
        }

        // Where an entry's path leads, as dangling() looks at it: empty for none.
        QString placeOf(const IndexEntry& entry) const
        {
            return entry.path.isEmpty() ? QString() : resolveEntry(entry.path);
        }

    private:
        // Index paths may name the workspace by another spelling (a symlinked parent): compare them
        // with the workspace prefix canonicalised, without resolving anything the index names.
        QString resolveEntry(const QString& entryPath) const
        {
            QString resolved = QDir::cleanPath(QDir(m_cleanWs).absoluteFilePath(entryPath));
            if (!m_canonicalWs.isEmpty() && m_canonicalWs != m_cleanWs
                && resolved.startsWith(m_canonicalWs + QLatin1Char('/')))
                resolved = m_cleanWs + resolved.mid(m_canonicalWs.size());
            return resolved;
        }
        bool samePlace(const QString& entryPath, const QString& recordPath) const
        {
            // Record paths are stateDir + names read from directories: clean and absolute when it is.
            if (m_recordsClean && !entryPath.isEmpty() && entryPath == recordPath)
                return true; // the common case, without resolving anything
            return !entryPath.isEmpty() && resolveEntry(entryPath) == cleanAbsolute(recordPath);
        }

        QString m_stateDir;
        QString m_indexPath;
        QString m_cleanWs;
        QString m_canonicalWs;
        bool m_recordsClean;
        bool m_newLayout;
        bool m_indexUsable;
        const QHash<QString, IndexEntry>& m_entryOf;
    };

    Finding invalidFinding(const TrajectoryRecord& r)
    {
        Snapshot s;
        s.addFinding(QStringLiteral("record-invalid"), Severity::Warning, r.path,
            QStringLiteral("a trajectory file trail cannot read"), r.problem, { RepairKind::QuarantineInvalid });
        return s.findings.first();
    }

    // The snapshot from a judgement, in one order whoever judged what: records that are not
    // trajectories (by path), symlinks, the index, each id (by id), dangling entries (by id), both
    // layouts, undecodable names, locks, tmp files.
    void assemble(Snapshot& s, ScanContext& context, const Judgement& j, const TrajectoriesSource::Layout& layout,
        qsizetype hidden)
    {
        const QString indexPath = QDir(s.stateDir).filePath(QStringLiteral("index.json"));
        const QString cleanWs = cleanAbsolute(s.workspace);
        s.recognised = layout.recognition;
        for (const Finding& f : j.invalid)
            s.findings.append(f);
        for (const QString& link : j.symlinks) {
            s.addFinding(QStringLiteral("record-symlink"), Severity::Warning, link,
                QStringLiteral("a symlink where trail looks for trajectories; not followed"),
                QStringLiteral("points to %1; whatever trajectories it leads to are not shown")
                    .arg(QFileInfo(link).symLinkTarget()));
        }
        addIndexFindings(s, j.index, indexPath, hidden, layout);
        for (const QList<Finding>& fs : j.ofId)
            s.findings.append(fs);
        for (const Finding& f : j.dangling)
            s.findings.append(f);
        s.jobs = j.jobs;
        if (cleanAbsolute(s.stateDir) == cleanWs + QLatin1String("/.trajectories")
            && QFileInfo(cleanWs + QLatin1String("/.agentworkforce/trajectories")).isDir()) {
            s.addFinding(QStringLiteral("both-layouts"), Severity::Warning, s.stateDir,
                QStringLiteral("both .trajectories and .agentworkforce/trajectories exist"),
                QStringLiteral("trail 0.6.1+ reads only .agentworkforce/trajectories and, with both present, never "
                               "moves this one there: the %1 trajectories here are invisible to it (trail ≤0.5.9 "
                               "reads only this one)")
                    .arg(hidden));
        }
        judgeLocksAndTempFiles(s, context, j.locks);
    }

} // namespace

// What a scan of a state dir kept for scanAfter(): its judgement and what it was made from.
struct TrajectoryScanMemo
{
    QString workspace;
    QString canonicalWs;
    TrajectoriesSource::Layout layout;
    QHash<QString, TrajectoryRecord> records; // every record listed, by path
    QHash<QString, QStringList> copies; // the valid records' paths, by id
    TreeFingerprint tree; // what the judgement was made from (shares the scan's entries)
    qsizetype nested = 0; // valid records as <id>/trajectory.json
    qsizetype flat = 0; // and as <id>.json
    Judgement judgement;
};

namespace {

    int compareTreeOrder(const TreeEntry& a, const TreeEntry& b)
    {
        if (a.depth != b.depth)
            return a.depth < b.depth ? -1 : 1;
        if (a.path.constData() == b.path.constData() && a.path.size() == b.path.size())
            return 0; // the same string, kept from the tree before
        // Each directory's entries together, names sorted: '/' before any other character.
        const qsizetype n = std::min(a.path.size(), b.path.size());
        for (qsizetype i = 0; i < n; ++i) {
            const QChar x = a.path.at(i);
            const QChar y = b.path.at(i);
            if (x == y)
                continue;
            if (x == QLatin1Char('/'))
                return -1;
            if (y == QLatin1Char('/'))
                return 1;
            return x < y ? -1 : 1;
        }
        return a.path.size() == b.path.size() ? 0 : (a.path.size() < b.path.size() ? -1 : 1);
    }

    // One path whose entry differs between two trees of a state dir; null: absent on that side.
    struct TreeChange
    {
        const TreeEntry* before = nullptr;
        const TreeEntry* now = nullptr;
        const TreeEntry& any() const { return now ? *now : *before; }
    };

    // The entries of `now` that differ from `before`, or that `before` may not tell apart from
    // a rewrite within the clock's tick (racy, as TrajectoryRecordCache decides: those are read
    // again by a whole scan too). One merge pass: both trees are in walk order, and an entry out
    // of order only shows as removed and added, never as unchanged. False past maxChanges.
    bool diffTrees(
        const TreeFingerprint& before, const TreeFingerprint& now, qsizetype maxChanges, QList<TreeChange>& out)
    {
        constexpr qint64 kSecond = 1000000000;
        const auto racy = [&before](const TreeEntry& e) {
            const bool wholeSeconds = e.stamp.mtimeNs % kSecond == 0 && e.ctimeNs % kSecond == 0;
            const qint64 from = before.takenAtNs
                - (wholeSeconds ? TrajectoryRecordCache::kWholeSecondRacyWindowNs
                                : TrajectoryRecordCache::kRacyWindowNs);
            return e.stamp.mtimeNs >= from || e.ctimeNs >= from;
        };
        if (const QStringList* changed = now.changedSince(before)) {
            // What updated() found changed, and the entries recent enough to be racy: no pass over the trees.
            static_assert(TrajectoryRecordCache::kWholeSecondRacyWindowNs <= TreeFingerprint::kRecentWindowNs);
            QList<const TreeEntry*> recent = before.recentEntries();
            if (changed->size() > maxChanges)
                return false;
            for (const QString& path : *changed)
                out.append(TreeChange { before.find(path), now.find(path) });
            for (const TreeEntry* x : std::as_const(recent)) {
                const TreeEntry* y = now.find(x->path);
                if (y && *x == *y && x->ctimeNs == y->ctimeNs && racy(*x))
                    out.append(TreeChange { x, y });
            }
            std::sort(out.begin(), out.end(),
                [](const TreeChange& x, const TreeChange& y) { return compareTreeOrder(x.any(), y.any()) < 0; });
            return out.size() <= maxChanges;
        }
        auto i = before.entries.begin();
        auto k = now.entries.begin();
        const auto bEnd = before.entries.end();
        const auto nEnd = now.entries.end();
        while (i != bEnd || k != nEnd) {
            const int order = i == bEnd ? 1 : k == nEnd ? -1 : compareTreeOrder(*i, *k);
            if (order < 0) {
                out.append(TreeChange { &*i++, nullptr });
            } else if (order > 0) {
                out.append(TreeChange { nullptr, &*k++ });
            } else {
                const TreeEntry& x = *i++;
                const TreeEntry& y = *k++;
                if (!(x == y) || x.ctimeNs != y.ctimeNs || racy(x))
                    out.append(TreeChange { &x, &y });
            }
            if (out.size() > maxChanges)
                return false;
        }
        return true;
    }

    QString lastName(const QString& path)
    {
        return path.mid(path.lastIndexOf(QLatin1Char('/')) + 1);
    }

    // The id a record at this entry is expected to hold, when recordsListed() reads it as one.
    std::optional<QString> recordIdAt(const QString& stateDir, const TreeEntry& e)
    {
        const QString activePrefix = stateDir + QLatin1String("/active/");
        const QString completedPrefix = stateDir + QLatin1String("/completed/");
        if (!e.isRegular)
            return std::nullopt;
        if (e.path.startsWith(activePrefix)) {
            const QString name = lastName(e.path);
            if (e.depth == 2)
                return !name.startsWith(QLatin1Char('.')) && isTrajectoryFileName(name)
                    ? std::optional<QString>(QFileInfo(name).completeBaseName())
                    : std::nullopt;
            // In the tree only below a real directory: active/<id>/trajectory.json.
            if (e.depth == 3 && name == QLatin1String("trajectory.json")) {
                const QString dir = lastName(QFileInfo(e.path).path());
                return dir.startsWith(QLatin1Char('.')) ? std::nullopt : std::optional<QString>(dir);
            }
            return std::nullopt;
        }
        if (e.depth < 2 || !e.path.startsWith(completedPrefix))
            return std::nullopt;
        const QStringView rel = QStringView(e.path).mid(completedPrefix.size());
        if (rel.startsWith(QLatin1Char('.')) || rel.contains(QLatin1String("/.")))
            return std::nullopt;
        const QFileInfo f(e.path);
        if (f.fileName() == QLatin1String("trajectory.json"))
            return f.dir().dirName();
        if (isTrajectoryFileName(f.fileName()))
            return f.completeBaseName();
        return std::nullopt;
    }

    // undecodableNames() of one directory, not below it.
    QStringList undecodableNamesIn(const QString& dir, bool top)
    {
        QStringList out;
        const int fd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return out;
        DIR* d = ::fdopendir(fd);
        if (!d) {
            ::close(fd);
            return out;
        }
        while (const struct dirent* e = ::readdir(d)) {
            const QByteArray name(e->d_name);
            if (name == "." || name == ".." || (top && name == ".stateward"))
                continue;
            if (!decodesExactly(name))
                out.append(dir + QLatin1Char('/') + escapedBytes(name));
        }
        ::closedir(d);
        return out;
    }

    template <typename T> void insertSorted(QList<T>& list, const T& value)
    {
        const auto at = std::lower_bound(list.begin(), list.end(), value);
        if (at == list.end() || *at != value)
            list.insert(at, value);
    }

    // More changed entries than this and a whole scan is as cheap.
    constexpr qsizetype kMaxRejudged = 1024;

    // The ids whose entry differs between two usable indexes: added, removed, or naming another
    // path or status (all that the checks read of an entry).
    void changedEntries(
        const QHash<QString, IndexEntry>& before, const QHash<QString, IndexEntry>& now, QSet<QString>& ids)
    {
        for (auto it = before.cbegin(); it != before.cend(); ++it) {
            const auto at = now.constFind(it.key());
            if (at == now.cend() || !(*at == *it))
                ids.insert(it.key());
        }
        for (auto it = now.cbegin(); it != now.cend(); ++it) {
            if (!before.contains(it.key()))
                ids.insert(it.key());
        }
    }

    // The scan after events from the memo of the last scan (delivered or not): what changed between
    // its tree and this one, re-read and re-judged. Nothing when that cannot be proven the same.
    std::optional<Snapshot> rejudge(const QString& workspace, const QString& stateDir, ScanContext& context,
        TrajectoryScanMemo& m, TrajectoryRecordCache* cache)
    {
        const TreeFingerprint* tree = context.tree();
        if (!tree || !tree->lists(stateDir) || !m.tree.lists(stateDir) || m.workspace != workspace
            || tree->entries.size() > TreeFingerprint::kMaxEntries / 2
            || !(tree->entries.first().stamp.key == m.tree.entries.first().stamp.key))
            return std::nullopt;
        QList<TreeChange> changes;
        if (!diffTrees(m.tree, *tree, kMaxRejudged, changes))
            return std::nullopt;
        // The tree lists every entry below a directory that came, went or was replaced (both trees
        // are complete), so each of them is a change of its own. A symlink may lead anywhere: what
        // a listing holds beyond the changed entries, what an index entry's path reaches. Judged
        // anew, as anything at the walk's depth bound and an index.json that is or was a directory.
        bool indexChanged = false;
        for (const TreeChange& c : std::as_const(changes)) {
            const TreeEntry& e = c.any();
            if ((c.before && c.before->stamp.isSymlink) || (c.now && c.now->stamp.isSymlink)
                || e.depth >= TreeFingerprint::kMaxDepth - 1)
                return std::nullopt;
            if (e.depth == 1 && lastName(e.path) == QLatin1String("index.json")) {
                if ((c.before && c.before->stamp.isDirectory) || (c.now && c.now->stamp.isDirectory))
                    return std::nullopt;
                indexChanged = true;
            }
        }

        Judgement& j = m.judgement;
        QSet<QString> ids; // whose copies or index entry changed
        if (indexChanged) {
            // Read after the tree was taken, as a whole scan reads it. Whether the index is usable
            // decides every id's verdict: a change of that is judged anew.
            const QString indexPath = QDir(stateDir).filePath(QStringLiteral("index.json"));
            IndexState now = m.layout.era == TrajectoriesSource::Era::IndexFree ? indexStateInNewLayout(indexPath)
                                                                                : readIndexState(indexPath);
            const bool usable = now.kind == IndexState::Kind::Usable;
            if (usable != (j.index.kind == IndexState::Kind::Usable))
                return std::nullopt;
            if (usable)
                changedEntries(j.index.entries, now.entries, ids);
            j.index = std::move(now);
        }
        const IdJudge judge(workspace, stateDir, m.layout.era == TrajectoriesSource::Era::IndexFree, j);
        if (judge.canonicalWs() != m.canonicalWs)
            return std::nullopt;
        Snapshot s;
        if (!beginSnapshot(s, Family::Trajectories, workspace, stateDir))
            return std::nullopt;

        QSet<QString> changedPaths; // what a dangling entry's verdict may depend on
        QSet<QString> undecodableDirs; // listed again
        {
            CachedReader reader(cache, stateDir, tree->takenAtNs, true);
            for (const TreeChange& c : std::as_const(changes)) {
                const QString& path = c.any().path;
                changedPaths.insert(path);
                if (const auto old = m.records.find(path); old != m.records.end()) {
                    if (old->problem.isEmpty()) {
                        QStringList& paths = m.copies[old->id];
                        paths.removeOne(path);
                        if (paths.isEmpty())
                            m.copies.remove(old->id);
                        --(isNestedRecord(*old) ? m.nested : m.flat);
                        ids.insert(old->id);
                    } else {
                        j.invalid.remove(path);
                    }
                    m.records.erase(old);
                }
                std::optional<QString> id = c.now ? recordIdAt(stateDir, *c.now) : std::nullopt;
                if (id) {
                    const TrajectoryRecord r = reader.read(path, *id, c.now);
                    m.records.insert(path, r);
                    if (r.problem.isEmpty()) {
                        m.copies[r.id].append(path);
                        ++(isNestedRecord(r) ? m.nested : m.flat);
                        ids.insert(r.id);
                    } else {
                        j.invalid.insert(path, invalidFinding(r));
                    }
                } else {
                    reader.forget(path);
                }
                // A directory too: a proper-lockfile lock is one.
                j.locks.locks.removeOne(path);
                if (c.now && isListedLock(*c.now))
                    insertSorted(j.locks.locks, path);
                j.locks.tempFiles.removeIf([&path](const std::pair<QString, bool>& t) { return t.first == path; });
                if (c.now && isListedTempFile(*c.now))
                    insertSorted(j.locks.tempFiles, std::pair<QString, bool>(path, c.now->stamp.isSymlink));
                if ((c.before && c.before->stamp.isDirectory) || (c.now && c.now->stamp.isDirectory))
                    undecodableDirs.insert(path);
            }
        }
        // Directories that changed (entries added, removed or renamed move their times) are the
        // only ones whose names may have changed; one that went lists nothing.
        if (!undecodableDirs.isEmpty()) {
            QStringList& names = j.locks.undecodable;
            names.removeIf([&undecodableDirs](const QString& name) {
                return undecodableDirs.contains(name.left(name.lastIndexOf(QLatin1Char('/'))));
            });
            for (const QString& dir : std::as_const(undecodableDirs))
                names.append(undecodableNamesIn(dir, dir == stateDir));
            names.sort();
        }

        const TrajectoriesSource::Layout layout = TrajectoriesSource::recogniseLayout(stateDir, m.nested, m.flat);
        if (layout.era != m.layout.era)
            return std::nullopt;
        m.layout = layout;

        const bool indexUsable = j.index.kind == IndexState::Kind::Usable;
        // A dangling entry's verdict depends on what lies on its path (unseenReason): judged again
        // when something there changed (a directory that came or went, a chmod).
        if (indexUsable && !changedPaths.isEmpty()) {
            const bool clean = cleanAbsolute(stateDir) == stateDir; // tree paths spell places as it does
            for (auto it = j.dangling.cbegin(); it != j.dangling.cend(); ++it) {
                if (ids.contains(it.key()))
                    continue;
                bool touched = !clean;
                for (QString at = judge.placeOf(j.index.entries.value(it.key())); !touched && !at.isEmpty();
                     at.truncate(std::max<qsizetype>(0, at.lastIndexOf(QLatin1Char('/')))))
                    touched = changedPaths.contains(at);
                if (touched)
                    ids.insert(it.key());
            }
        }

        QStringList changedIds(ids.cbegin(), ids.cend());
        changedIds.sort();
        for (const QString& id : std::as_const(changedIds)) {
            // Edited in place: only the chunk holding the job is copied from the delivered snapshot.
            const qsizetype at
                = j.jobs.lowerBound(id, [](const Job& job, const QString& key) { return job.jobId < key; });
            const bool had = at < j.jobs.size() && j.jobs.at(at).jobId == id;
            j.dangling.remove(id);
            const auto copies = m.copies.constFind(id);
            if (copies == m.copies.cend()) {
                if (had)
                    j.jobs.removeAt(at);
                j.ofId.remove(id);
                if (const auto entry = j.index.entries.constFind(id); indexUsable && entry != j.index.entries.cend())
                    j.dangling.insert(id, judge.dangling(id, *entry));
                continue;
            }
            QList<const TrajectoryRecord*> records;
            for (const QString& path : *copies)
                records.append(&*m.records.constFind(path));
            QList<Finding> findings;
            Job job = judge.judge(records, findings);
            if (!had)
                j.jobs.insert(at, std::move(job));
            else if (!(j.jobs.at(at) == job)) // an equal job keeps its chunk shared
                j.jobs[at] = std::move(job);
            if (findings.isEmpty())
                j.ofId.remove(id);
            else
                j.ofId.insert(id, findings);
        }
        assemble(s, context, j, layout, m.copies.size());
        m.tree = *tree;
        return s;
    }

} // namespace

Snapshot TrajectoriesSource::scan(const QString& workspace, const QString& stateDir, ScanContext& context) const
{
    return scanKeeping(workspace, stateDir, context, nullptr, false);
}

Snapshot TrajectoriesSource::scanAfter(
    const QString& workspace, const QString& stateDir, ScanContext& context, const PreviousScan* previous) const
{
    return scanKeeping(workspace, stateDir, context, previous, true);
}

Snapshot TrajectoriesSource::scanKeeping(const QString& workspace, const QString& stateDir, ScanContext& context,
    const PreviousScan* previous, bool keepMemo) const
{
    auto* cache = static_cast<TrajectoryRecordCache*>(context.cache(*this)); // made by newCache()
    // Taken by every scan: one that judges everything leaves only its own behind.
    const std::shared_ptr<TrajectoryScanMemo> last = cache ? cache->takeMemo(stateDir) : nullptr;
    if (previous && last) {
        if (std::optional<Snapshot> s = rejudge(workspace, stateDir, context, *last, cache)) {
            context.noteRejudged(stateDir);
            if (keepMemo)
                cache->putMemo(stateDir, last);
            return *std::move(s);
        }
    }

    Snapshot s;
    if (!beginSnapshot(s, Family::Trajectories, workspace, stateDir))
        return s;
    const std::optional<TreeListing> listing = listingOf(context.tree(), stateDir);
    const QString indexPath = QDir(stateDir).filePath(QStringLiteral("index.json"));
    IndexState index = readIndexState(indexPath);
    const QList<TrajectoryRecord> records = listing
        ? recordsListed(stateDir, *listing, cache, context.tree()->takenAtNs)
        : findTrajectoryRecords(stateDir, cache);
    // The era from the files, never from the folder's name: 0.5.9 keeps its index-free layout
    // in .trajectories/ too. A directory nothing here recognises is shown as such, not judged.
    const Layout layout = recogniseLayout(stateDir, records);
    s.recognised = layout.recognition;
    if (layout.era == Era::Unknown) {
        scanLocksAndTempFiles(s, context); // by their own, tool-independent rules
        return s;
    }
    const bool newLayout = layout.era == Era::IndexFree;

    auto m = std::make_shared<TrajectoryScanMemo>();
    Judgement& j = m->judgement;
    // One record per id: the newest copy wins (0.5.9's list() rule, and the recovery rule).
    QHash<QString, QList<const TrajectoryRecord*>> byId;
    for (const TrajectoryRecord& r : records) {
        if (r.problem.isEmpty()) {
            byId[r.id].append(&r);
            ++(isNestedRecord(r) ? m->nested : m->flat);
        } else {
            j.invalid.insert(r.path, invalidFinding(r));
        }
    }
    j.symlinks = symlinksAmongRecords(stateDir, listing);

    // Index era: the index must list every record, at its real place and status.
    j.index = newLayout ? indexStateInNewLayout(indexPath) : std::move(index);
    const bool indexUsable = j.index.kind == IndexState::Kind::Usable;

    const IdJudge judge(workspace, stateDir, newLayout, j);
    QStringList ids = byId.keys();
    ids.sort();
    j.jobs.reserve(ids.size());
    for (const QString& id : std::as_const(ids)) {
        QList<Finding> findings;
        j.jobs.append(judge.judge(byId.value(id), findings));
        if (!findings.isEmpty())
            j.ofId.insert(id, findings);
    }
    if (indexUsable) {
        for (auto it = j.index.entries.cbegin(); it != j.index.entries.cend(); ++it) {
            if (!byId.contains(it.key()))
                j.dangling.insert(it.key(), judge.dangling(it.key(), it.value()));
        }
    }
    j.locks = listLocksAndTempFiles(s.stateDir, context.tree());
    assemble(s, context, j, layout, byId.size());

    // Kept for the next scan after events: only by whoever scans repeatedly, from a tree it walked.
    if (keepMemo && cache && listing) {
        m->workspace = workspace;
        m->canonicalWs = judge.canonicalWs();
        m->layout = layout;
        m->tree = *context.tree();
        m->records.reserve(records.size());
        for (const TrajectoryRecord& r : records)
            m->records.insert(r.path, r);
        m->copies.reserve(byId.size());
        for (auto it = byId.cbegin(); it != byId.cend(); ++it) {
            QStringList& paths = m->copies[it.key()];
            for (const TrajectoryRecord* r : it.value())
                paths.append(r->path);
        }
        cache->putMemo(stateDir, std::move(m));
    }
    return s;
}

} // namespace Stateward

namespace Stateward {

void TrajectoriesSource::groupProblems(ProblemBuilder& b) const
{
    const Snapshot& s = b.snapshot();
    const QString indexPath = QDir(s.stateDir).filePath(QStringLiteral("index.json"));
    const qsizetype onDisk = s.jobs.size(); // one per trajectory id with a valid file

    // Everything one rewrite of index.json fixes is one problem, named by its worst part.
    const QList<Finding> index
        = b.take({ QStringLiteral("index-missing"), QStringLiteral("index-empty"), QStringLiteral("index-malformed"),
            QStringLiteral("index-missing-record"), QStringLiteral("index-stale"), QStringLiteral("index-dangling") });
    if (!index.isEmpty()) {
        const auto count = [&index](const char* code) {
            return std::count_if(
                index.begin(), index.end(), [code](const Finding& f) { return f.code == QLatin1String(code); });
        };
        const qsizetype lost = count("index-missing-record");
        const qsizetype stale = count("index-stale");
        const qsizetype dangling = count("index-dangling");
        const bool corrupt = count("index-empty") + count("index-malformed") > 0;
        const bool missing = count("index-missing") > 0;
        Problem p = b.start(
            QStringLiteral("index"), corrupt || missing || lost > 0 ? Impact::LosesData : Impact::Litter, index);
        QStringList figures;
        if (corrupt) {
            p.title = QStringLiteral("index.json is %1: trail lists none of %2 and its next save keeps only its own")
                          .arg(count("index-empty") > 0 ? QStringLiteral("empty") : QStringLiteral("corrupt"),
                              counted(onDisk, QStringLiteral("trajectory"), QStringLiteral("trajectories")));
            p.explanation = QStringLiteral("%1. Trail reads a broken index as an empty one, so the next save writes an "
                                           "index holding only the trajectory it saves; the other files stay on disk "
                                           "but trail list no longer shows them.")
                                .arg(index.first().evidence);
        } else if (missing) {
            p.title = QStringLiteral("index.json is missing: trail ≤0.5.2 lists none of %1")
                          .arg(counted(onDisk, QStringLiteral("trajectory"), QStringLiteral("trajectories")));
            p.explanation = QStringLiteral("%1. The files are intact; only the index that trail list reads is gone.")
                                .arg(index.first().evidence);
        } else if (lost > 0) {
            p.title = QStringLiteral("index.json lost %1 of %2 (concurrent saves)")
                          .arg(lost)
                          .arg(counted(onDisk, QStringLiteral("trajectory"), QStringLiteral("trajectories")));
            p.explanation = QStringLiteral("%1 on disk, but index.json lists only %2 of them. Index-era trail rewrites "
                                           "the whole index on every save without a lock: when trail processes save "
                                           "at once, the last write wins and the others' entries vanish (a writer "
                                           "that never touches the index leaves the same trace). trail list does not "
                                           "show the %3 missing, though their files are intact.")
                                .arg(counted(onDisk, QStringLiteral("valid trajectory file")))
                                .arg(onDisk - lost)
                                .arg(lost);
        } else {
            p.title = QStringLiteral("index.json is out of date");
        }
        if (stale > 0)
            figures.append(QStringLiteral("%1 with the wrong status or path")
                               .arg(counted(stale, QStringLiteral("entry"), QStringLiteral("entries"))));
        if (dangling > 0)
            figures.append(QStringLiteral("%1 naming no trajectory file")
                               .arg(counted(dangling, QStringLiteral("entry"), QStringLiteral("entries"))));
        if (!figures.isEmpty()) {
            if (p.explanation.isEmpty())
                p.title += QStringLiteral(": ") + figures.join(QStringLiteral(", "));
            else
                p.explanation += QStringLiteral(" Also: ") + figures.join(QStringLiteral(", ")) + QLatin1Char('.');
            if (p.impact == Impact::Litter)
                p.explanation = QStringLiteral("Trail lists these trajectories wrongly (a completed one as active, "
                                               "or one it cannot open).");
        }
        p.explanation += QStringLiteral(" Rewriting the index from the files fixes it; the old index is kept in the "
                                        "quarantine for Undo.");
        p.fixLabel = QStringLiteral("Rewrite index");
        b.add(p);
    }

    if (const QList<Finding> dark = b.take({ QStringLiteral("index-unreadable"), QStringLiteral("index-symlink") });
        !dark.isEmpty()) {
        const bool link = dark.first().code == QLatin1String("index-symlink");
        Problem p = b.start(QStringLiteral("index-unchecked"), Impact::Blocks, dark);
        p.title = link ? QStringLiteral("index.json is a symlink: not checked")
                       : QStringLiteral("index.json cannot be read: not checked");
        p.explanation = QStringLiteral("%1. Trail may not read it either; what it lists could not be compared with "
                                       "the %2 on disk.")
                            .arg(dark.first().evidence,
                                counted(onDisk, QStringLiteral("trajectory"), QStringLiteral("trajectories")));
        p.manualFix = link ? QStringLiteral("Replace %1 by a regular file: stateward-cli export-index %2 writes one "
                                            "rebuilt from the records to copy over it while trail is stopped.")
                                 .arg(indexPath, s.workspace)
                           : QStringLiteral("Fix the permissions of %1 or find out what it is; stateward-cli "
                                            "export-index %2 writes a recovered index to copy over it once trail is "
                                            "stopped.")
                                 .arg(indexPath, s.workspace);
        b.add(p);
    }

    if (const QList<Finding> invalid = b.take(QStringLiteral("record-invalid")); !invalid.isEmpty()) {
        Problem p = b.start(QStringLiteral("record-invalid"), Impact::Blocks, invalid);
        p.title = QStringLiteral("%1 that trail cannot read")
                      .arg(counted(invalid.size(), QStringLiteral("trajectory file")));
        p.explanation = QStringLiteral("Trail skips a file it cannot parse, or fails on it. First: %1: %2. Moving "
                                       "them to invalid/ waits until each is 10 s old and open by nobody, since trail "
                                       "writes records in place.")
                            .arg(relativeTo(s.stateDir, invalid.first().target.path), invalid.first().evidence);
        p.fixLabel = QStringLiteral("Move unreadable files aside");
        b.add(p);
    }

    if (const QList<Finding> both = b.take(QStringLiteral("both-layouts")); !both.isEmpty()) {
        Problem p = b.start(QStringLiteral("both-layouts"), Impact::LosesData, both);
        p.title = QStringLiteral("trail 0.6.1+ cannot see the %1 in .trajectories (both layouts exist)")
                      .arg(counted(onDisk, QStringLiteral("trajectory"), QStringLiteral("trajectories")));
        p.explanation = both.first().evidence + QLatin1Char('.');
        p.manualFix = QStringLiteral("With trail stopped, move the record files you want to keep from %1 into "
                                     "%2/.agentworkforce/trajectories/active/ or completed/, then remove %1.")
                          .arg(s.stateDir, s.workspace);
        b.add(p);
    }

    if (const QList<Finding> copies = b.take(QStringLiteral("duplicate-record")); !copies.isEmpty()) {
        Problem p = b.start(QStringLiteral("duplicate-record"), Impact::Litter, copies);
        p.title = QStringLiteral("%1 stored twice or more")
                      .arg(counted(copies.size(), QStringLiteral("trajectory"), QStringLiteral("trajectories")));
        QStringList lines;
        for (const Finding& f : copies)
            lines.append(f.evidence);
        p.explanation = QStringLiteral("A crash between writing the completed copy and removing the active one, or "
                                       "two writers, left several files for one id; trail's reconcile keeps the first "
                                       "it finds (the active/ copy). %1.")
                            .arg(lines.join(QStringLiteral("; ")));
        p.manualFix = QStringLiteral("Compare the copies listed and delete the outdated ones.");
        b.add(p);
    }

    if (const QList<Finding> links = b.take(QStringLiteral("record-symlink")); !links.isEmpty()) {
        Problem p = b.start(QStringLiteral("record-symlink"), Impact::Litter, links);
        p.title = QStringLiteral("%1 where trail looks for trajectories: not checked")
                      .arg(counted(links.size(), QStringLiteral("symlink")));
        p.explanation = QStringLiteral("Trail may follow them; Stateward does not, so what they lead to is not shown. "
                                       "First: %1 %2.")
                            .arg(relativeTo(s.stateDir, links.first().target.path), links.first().evidence);
        p.manualFix = QStringLiteral("Replace each link by the file it points to, or remove it.");
        b.add(p);
    }

    if (const QList<Finding> unchecked = b.take(QStringLiteral("index-entry-unchecked")); !unchecked.isEmpty()) {
        Problem p = b.start(QStringLiteral("index-entry-unchecked"), Impact::Litter, unchecked);
        p.title = QStringLiteral("%1 of index.json cannot be checked")
                      .arg(counted(unchecked.size(), QStringLiteral("entry"), QStringLiteral("entries")));
        p.explanation = QStringLiteral("%1. Trail may still read them, so Stateward leaves them as they are.")
                            .arg(unchecked.first().evidence);
        p.manualFix = QStringLiteral("Replace the symlinked directory by the directory itself (or fix its "
                                     "permissions), then scan again.");
        b.add(p);
    }

    if (const QList<Finding> leftover = b.take(QStringLiteral("index-in-new-layout")); !leftover.isEmpty()) {
        Problem p = b.start(QStringLiteral("index-in-new-layout"), Impact::Litter, leftover);
        p.title = QStringLiteral("an index.json that trail no longer reads");
        p.explanation = leftover.first().evidence + QLatin1Char('.');
        p.manualFix = QStringLiteral("Nothing needed: trail deletes it on its next start. Delete %1 if it confuses "
                                     "other tools.")
                          .arg(indexPath);
        b.add(p);
    }
}

} // namespace Stateward
