// SPDX-License-Identifier: GPL-3.0-or-later
// TrajectoryRecordCache: a scan that reuses the records of the last one gives the snapshot a
// fresh scan gives, byte for byte in toJson() (the scan time aside), after every kind of change a
// record file can go through: rename-replace, an in-place rewrite that keeps size and mtime,
// rewrites within the clock's racy window, deletion, a symlink swapped in, a torn write. And it
// reuses what it may (the counters prove the cache was used), holds no more than the last scan
// found, and WatchHub's scans (runScan) agree with and without it.
#include "proc/filetree.h"
#include "sources/trajectoriessource.h"
#include "testfiles.h"
#include "watch/watchscan.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <ctime>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Stateward;
using namespace TestFiles;

namespace {

// Past the racy window: files written before this are reusable.
constexpr int kSettleMs = int(TrajectoryRecordCache::kRacyWindowNs / 1000000) + 50;

void put(const QString& path, const QByteArray& content)
{
    QVERIFY(QDir().mkpath(QFileInfo(path).path()));
    writeFile(path, content);
}

// A workspace's adapter caches, as WatchHub keeps them, with the trajectory records among them.
struct Caches
{
    AdapterCaches all;
    TrajectoryRecordCache& records() { return static_cast<TrajectoryRecordCache&>(*all.of(TrajectoriesSource())); }
    quint64 hits() { return records().hits(); }
    quint64 misses() { return records().misses(); }
    qsizetype recordCount() { return records().recordCount(); }
};

Snapshot scan(const QString& ws, const QString& dir, Caches* cache, const TreeFingerprint* tree = nullptr)
{
    ScanContext context;
    context.setCaches(cache ? &cache->all : nullptr);
    context.setTree(tree);
    return TrajectoriesSource().scan(ws, dir, context);
}

QStringList pathsOf(const TreeFingerprint& tree)
{
    QStringList out;
    for (const TreeEntry& e : tree.entries)
        out.append(QStringLiteral("%1 %2 %3 %4").arg(e.path).arg(e.depth).arg(e.stamp.key.inode).arg(e.stamp.mtimeNs));
    return out;
}

void renameOver(const QString& path, const QByteArray& content)
{
    put(path + QLatin1String(".saving"), content);
    QVERIFY(
        ::rename(QFile::encodeName(path + QLatin1String(".saving")).constData(), QFile::encodeName(path).constData())
        == 0);
}

QString titleOf(const Snapshot& s, const QString& jobId)
{
    for (const Job& j : s.jobs) {
        if (j.jobId == jobId)
            return j.title;
    }
    return QStringLiteral("<no job %1>").arg(jobId);
}

} // namespace

class TestTrajectoryCache : public QObject
{
    Q_OBJECT

    QTemporaryDir m_tmp;
    QString m_ws;
    QString m_dir;

    // One scan with the cache, one without: the same text, or the test fails with both.
    Snapshot compareScans(Caches& cache)
    {
        const Snapshot cached = scan(m_ws, m_dir, &cache);
        const Snapshot fresh = scan(m_ws, m_dir, nullptr);
        const QByteArray a = stableJson(cached);
        const QByteArray b = stableJson(fresh);
        if (a != b) {
            qWarning().noquote() << "cached:\n" << a << "\nfresh:\n" << b;
            QTest::qFail("the cached scan differs from a fresh one", __FILE__, __LINE__);
        }
        return cached;
    }

    // A scan counted: how many records it reused and read.
    QPair<quint64, quint64> counted(Caches& cache, Snapshot* out = nullptr)
    {
        const quint64 hits = cache.hits();
        const quint64 misses = cache.misses();
        const Snapshot s = compareScans(cache);
        if (out)
            *out = s;
        return { cache.hits() - hits, cache.misses() - misses };
    }

private slots:
    void init()
    {
        QVERIFY(m_tmp.isValid());
        m_ws = m_tmp.path() + QStringLiteral("/ws%1").arg(QDateTime::currentMSecsSinceEpoch());
        m_dir = m_ws + QLatin1String("/.trajectories");
        // Index era with what a scan must report: records in active/ and completed/, a nested
        // 0.5.9 record, a torn file, an id mismatch, a duplicate, a zero-byte file, a hidden file,
        // a symlink, index entries missing, stale and dangling.
        for (int i = 0; i < 20; ++i) {
            const QString id = QStringLiteral("traj_rec%1abcdef").arg(i, 2, 10, QLatin1Char('0'));
            put(i % 4 ? m_dir + QStringLiteral("/completed/2026-05/%1.json").arg(id)
                      : m_dir + QStringLiteral("/active/%1.json").arg(id),
                trajectoryRecord(id, QStringLiteral("Task %1").arg(i),
                    i % 4 ? QStringLiteral("completed") : QStringLiteral("active")));
        }
        put(m_dir + QLatin1String("/active/traj_nested1abcd/trajectory.json"),
            trajectoryRecord(QStringLiteral("traj_nested1abcd"), QStringLiteral("Nested")));
        put(m_dir + QLatin1String("/completed/2026-05/traj_torn1abcdef.json"),
            trajectoryRecord(QStringLiteral("traj_torn1abcdef"), QStringLiteral("Torn"), QStringLiteral("completed"))
                .left(60));
        put(m_dir + QLatin1String("/active/traj_named1abcdef.json"),
            trajectoryRecord(QStringLiteral("traj_other1abcdef"), QStringLiteral("Misnamed")));
        put(m_dir + QLatin1String("/active/traj_rec01abcdef.json"),
            trajectoryRecord(QStringLiteral("traj_rec01abcdef"), QStringLiteral("Stale copy")));
        put(m_dir + QLatin1String("/active/traj_empty1abcdef.json"), QByteArray());
        put(m_dir + QLatin1String("/active/.traj_hidden1abcde.json"),
            trajectoryRecord(QStringLiteral("traj_hidden1abcde"), QStringLiteral("Hidden")));
        put(m_tmp.path() + QLatin1String("/outside.json"),
            trajectoryRecord(QStringLiteral("traj_link1abcdef"), QStringLiteral("Outside")));
        QVERIFY(QFile::link(
            m_tmp.path() + QLatin1String("/outside.json"), m_dir + QLatin1String("/active/traj_link1abcdef.json")));
        QStringList entries;
        for (int i = 0; i < 20; i += 2) { // odd ones missing
            const QString id = QStringLiteral("traj_rec%1abcdef").arg(i, 2, 10, QLatin1Char('0'));
            const QString status = i % 4 || i == 8 ? QStringLiteral("completed") : QStringLiteral("active");
            const QString rel = i % 4 ? QStringLiteral("completed/2026-05/%1.json").arg(id)
                                      : QStringLiteral("active/%1.json").arg(id);
            entries.append(QStringLiteral("\"%1\": {\"title\": \"x\", \"status\": \"%2\", \"path\": \"%3/%4\"}")
                               .arg(id, status, m_dir, rel));
        }
        entries.append(QStringLiteral("\"traj_gone1abcdef\": {\"status\": \"active\", \"path\": \"nowhere\"}"));
        put(m_dir + QLatin1String("/index.json"),
            QStringLiteral("{\"version\": 1, \"trajectories\": {%1}}").arg(entries.join(u',')).toUtf8());
        QTest::qSleep(kSettleMs);
    }

    void reusesUnchangedRecordsWithTheSameResult()
    {
        Caches cache;
        Snapshot s;
        // 20 records, the nested one, torn, misnamed, the stale copy, the empty one: 25 files read.
        auto [hits, misses] = counted(cache, &s);
        QCOMPARE(hits, quint64(0));
        QCOMPARE(misses, quint64(25));
        QCOMPARE(cache.recordCount(), qsizetype(25));
        QCOMPARE(s.jobs.size(), qsizetype(21)); // 20 ids and the nested one; the duplicate merges
        QVERIFY(!s.findings.isEmpty());
        std::tie(hits, misses) = counted(cache);
        QCOMPARE(hits, quint64(25));
        QCOMPARE(misses, quint64(0));
        QCOMPARE(cache.recordCount(), qsizetype(25));
    }

    void renameReplaceIsRead()
    {
        Caches cache;
        counted(cache);
        const QString path = m_dir + QLatin1String("/completed/2026-05/traj_rec05abcdef.json");
        renameOver(path,
            trajectoryRecord(
                QStringLiteral("traj_rec05abcdef"), QStringLiteral("Renamed over"), QStringLiteral("completed")));
        Snapshot s;
        const auto [hits, misses] = counted(cache, &s);
        QCOMPARE(misses, quint64(1));
        QCOMPARE(hits, quint64(24));
        QCOMPARE(titleOf(s, QStringLiteral("traj_rec05abcdef")), QStringLiteral("Renamed over"));
    }

    void inPlaceRewriteKeepingSizeAndMtimeIsRead()
    {
        Caches cache;
        counted(cache);
        const QString path = m_dir + QLatin1String("/completed/2026-05/traj_rec06abcdef.json");
        struct stat before;
        QCOMPARE(::lstat(QFile::encodeName(path).constData(), &before), 0);
        // Same length, same inode, mtime put back: only ctime tells (what `touch -r`, rsync -t or
        // a tool restoring times would leave).
        const QByteArray edited = trajectoryRecord(
            QStringLiteral("traj_rec06abcdef"), QStringLiteral("Tusk 6"), QStringLiteral("completed"));
        QCOMPARE(edited.size(), qsizetype(before.st_size));
        writeFile(path, edited);
        const struct timespec times[2] = { before.st_atim, before.st_mtim };
        QCOMPARE(::utimensat(AT_FDCWD, QFile::encodeName(path).constData(), times, AT_SYMLINK_NOFOLLOW), 0);
        struct stat after;
        QCOMPARE(::lstat(QFile::encodeName(path).constData(), &after), 0);
        QCOMPARE(after.st_ino, before.st_ino);
        QCOMPARE(after.st_size, before.st_size);
        QCOMPARE(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
        Snapshot s;
        const auto [hits, misses] = counted(cache, &s);
        QCOMPARE(misses, quint64(1));
        QCOMPARE(titleOf(s, QStringLiteral("traj_rec06abcdef")), QStringLiteral("Tusk 6"));
        Q_UNUSED(hits);
    }

    void recordsReadWithinTheRacyWindowAreReadAgain()
    {
        Caches cache;
        counted(cache);
        const QString path = m_dir + QLatin1String("/active/traj_rec04abcdef.json");
        writeFile(path, trajectoryRecord(QStringLiteral("traj_rec04abcdef"), QStringLiteral("Fresh 1")));
        QCOMPARE(counted(cache).second, quint64(1));
        // Rewritten within the same clock tick, same size: only the racy rule catches it.
        writeFile(path, trajectoryRecord(QStringLiteral("traj_rec04abcdef"), QStringLiteral("Fresh 2")));
        Snapshot s;
        QCOMPARE(counted(cache, &s).second, quint64(1));
        QCOMPARE(titleOf(s, QStringLiteral("traj_rec04abcdef")), QStringLiteral("Fresh 2"));
        QTest::qSleep(kSettleMs);
        QCOMPARE(counted(cache).second, quint64(1)); // read once more, now old enough to keep
        QCOMPARE(counted(cache).second, quint64(0));
    }

    void deletionsSymlinksAndTornWrites()
    {
        Caches cache;
        counted(cache);
        QVERIFY(QFile::remove(m_dir + QLatin1String("/completed/2026-05/traj_rec07abcdef.json")));
        Snapshot s;
        counted(cache, &s);
        QCOMPARE(cache.recordCount(), qsizetype(24)); // what the last scan found, no more
        QCOMPARE(titleOf(s, QStringLiteral("traj_rec07abcdef")), QStringLiteral("<no job traj_rec07abcdef>"));

        const QString swapped = m_dir + QLatin1String("/completed/2026-05/traj_rec09abcdef.json");
        QVERIFY(QFile::remove(swapped));
        QVERIFY(QFile::link(m_tmp.path() + QLatin1String("/outside.json"), swapped));
        counted(cache, &s);
        QCOMPARE(titleOf(s, QStringLiteral("traj_rec09abcdef")), QStringLiteral("<no job traj_rec09abcdef>"));

        const QString torn = m_dir + QLatin1String("/completed/2026-05/traj_rec10abcdef.json");
        writeFile(torn,
            trajectoryRecord(QStringLiteral("traj_rec10abcdef"), QStringLiteral("Task 10"), QStringLiteral("completed"))
                .left(50));
        counted(cache, &s);
        QTest::qSleep(kSettleMs);
        counted(cache, &s);
        QCOMPARE(counted(cache, &s).second, quint64(0));
        bool reported = false;
        for (const Finding& f : s.findings)
            reported = reported || (f.code == QLatin1String("record-invalid") && f.subject == torn);
        QVERIFY(reported);
    }

    void boundedToTheLastScans()
    {
        TrajectoryRecordCache cache;
        for (int i = 0; i <= TrajectoryRecordCache::kMaxStateDirs; ++i) {
            TrajectoryRecordCache::Records records;
            records.insert(QStringLiteral("/d%1/active/traj_a.json").arg(i), {});
            cache.put(QStringLiteral("/d%1").arg(i), records);
        }
        QCOMPARE(cache.recordCount(), qsizetype(TrajectoryRecordCache::kMaxStateDirs));
        QVERIFY(cache.take(QStringLiteral("/d0")).isEmpty()); // the least recently scanned went first
        QCOMPARE(cache.take(QStringLiteral("/d1")).size(), qsizetype(1));
        QVERIFY(cache.take(QStringLiteral("/d1")).isEmpty()); // taken: a second scan at once reads
        cache.clear();
        QCOMPARE(cache.recordCount(), qsizetype(0));
    }

    // The listing read off a walked tree (WatchHub's path) is the listing QDir gives: hidden
    // directories and files, a fifo, symlinked directories and a symlinked nested record included.
    void aWalkedTreeListsWhatQDirLists()
    {
        put(m_dir + QLatin1String("/completed/.hidden/traj_hid2abcdef.json"),
            trajectoryRecord(
                QStringLiteral("traj_hid2abcdef"), QStringLiteral("In a hidden dir"), QStringLiteral("completed")));
        put(m_dir + QLatin1String("/completed/2026-05/.traj_hid3abcdef.json"),
            trajectoryRecord(
                QStringLiteral("traj_hid3abcdef"), QStringLiteral("Hidden file"), QStringLiteral("completed")));
        put(m_dir + QLatin1String("/completed/2026-04/deeper/traj_deep1abcdef.json"),
            trajectoryRecord(
                QStringLiteral("traj_deep1abcdef"), QStringLiteral("Deeper"), QStringLiteral("completed")));
        put(m_dir + QLatin1String("/completed/2026-04/traj_cnest1abcd/trajectory.json"),
            trajectoryRecord(
                QStringLiteral("traj_cnest1abcd"), QStringLiteral("Nested in completed"), QStringLiteral("completed")));
        QCOMPARE(
            ::mkfifo(QFile::encodeName(m_dir + QLatin1String("/active/traj_fifo1abcdef.json")).constData(), 0600), 0);
        put(m_tmp.path() + QLatin1String("/elsewhere/traj_far1abcdef.json"),
            trajectoryRecord(QStringLiteral("traj_far1abcdef"), QStringLiteral("Far"), QStringLiteral("completed")));
        QVERIFY(QFile::link(m_tmp.path() + QLatin1String("/elsewhere"), m_dir + QLatin1String("/completed/2026-06")));
        QVERIFY(QDir().mkpath(m_dir + QLatin1String("/active/traj_nlink1abcd")));
        QVERIFY(QFile::link(m_tmp.path() + QLatin1String("/outside.json"),
            m_dir + QLatin1String("/active/traj_nlink1abcd/trajectory.json")));
        // Locks and tmp files, listed off the tree too: a file lock, a directory lock with a
        // file inside, a lock through a symlink (not one), tmp files in two places and a
        // tmp-named symlink to a file (reported) and to a directory (not listed).
        put(m_dir + QLatin1String("/index.json.lock"), "4194303");
        put(m_dir + QLatin1String("/completed/2026-05/x.lock/inner.lock"), "4194303");
        QVERIFY(QFile::link(m_tmp.path() + QLatin1String("/outside.json"), m_dir + QLatin1String("/linked.lock")));
        put(m_dir + QLatin1String("/index.json.4194303.0123abcd-0123-4567-89ab-0123456789ab.tmp"), "{");
        put(m_dir + QLatin1String("/active/index.json.tmp"), "{");
        QVERIFY(QFile::link(m_tmp.path() + QLatin1String("/outside.json"), m_dir + QLatin1String("/browse.json.tmp")));
        QVERIFY(QFile::link(m_tmp.path() + QLatin1String("/elsewhere"), m_dir + QLatin1String("/changes.journal.tmp")));
        QVERIFY(QDir().mkpath(m_dir + QLatin1String("/active/.traj_hdir1abcd")));
        put(m_dir + QLatin1String("/active/.traj_hdir1abcd/trajectory.json"),
            trajectoryRecord(QStringLiteral("traj_hdir1abcd"), QStringLiteral("Hidden nested")));
        QTest::qSleep(kSettleMs);

        Caches cache;
        for (int round = 0; round < 2; ++round) { // cold, then every record reused
            const TreeFingerprint tree = TreeFingerprint::of(m_dir);
            QVERIFY(tree.complete);
            const QByteArray listed = stableJson(scan(m_ws, m_dir, &cache, &tree));
            const QByteArray walked = stableJson(scan(m_ws, m_dir, nullptr));
            if (listed != walked)
                qWarning().noquote() << "from the tree:\n" << listed << "\nlisted by QDir:\n" << walked;
            QCOMPARE(listed, walked);
            QVERIFY(walked.contains("traj_deep1abcdef") && walked.contains("traj_cnest1abcd")
                && walked.contains("traj_nlink1abcd/trajectory.json") && walked.contains("2026-06"));
            QVERIFY(!walked.contains("traj_hid2abcdef") && !walked.contains("traj_hdir1abcd"));
            QVERIFY(walked.contains("x.lock\"") && walked.contains("index.json.lock") && !walked.contains("inner.lock")
                && !walked.contains("linked.lock"));
            QVERIFY(walked.contains("tmp-symlink") && walked.contains("active/index.json.tmp")
                && !walked.contains("changes.journal.tmp"));
        }
        QVERIFY(cache.hits() > 0);

        // A tree of another directory, or an incomplete one, is not used: the result still holds.
        TreeFingerprint other = TreeFingerprint::of(m_tmp.path() + QLatin1String("/elsewhere"));
        QCOMPARE(stableJson(scan(m_ws, m_dir, &cache, &other)), stableJson(scan(m_ws, m_dir, nullptr)));
        TreeFingerprint partial = TreeFingerprint::of(m_dir);
        partial.entries = TreeEntries(partial.entries.toList().mid(0, 3));
        partial.complete = false;
        QCOMPARE(stableJson(scan(m_ws, m_dir, &cache, &partial)), stableJson(scan(m_ws, m_dir, nullptr)));
    }

    // TreeFingerprint::updated lists again only the directories the events named, and gives
    // what a whole walk gives for every change an event names; a change none names is missed
    // until a whole walk (the backstop), which is why one runs.
    // Names that are not UTF-8 are reported off the whole walk as by a walk of their own (no
    // second walk for a scan with the tree); a tree updated() lists only in part keeps none.
    void undecodableNamesComeWithTheWalk()
    {
        QVERIFY(QDir().mkpath(m_dir + QLatin1String("/completed/2026-05")));
        QVERIFY(QDir().mkpath(m_dir + QLatin1String("/.stateward")));
        const QByteArray dir = QFile::encodeName(m_dir);
        const QList<QByteArray> files { dir + "/active/traj_\xff.json", dir + "/completed/2026-05/x\xfe\xfe.tmp",
            dir + "/index.json.\xc3.tmp", dir + "/.stateward/\xff" };
        const QByteArray subdir = dir + "/completed/\xff\xfe";
        // QTemporaryDir cannot name them to remove them.
        const auto cleanUp = qScopeGuard([&] {
            for (const QByteArray& path : files)
                ::unlink(path.constData());
            ::rmdir(subdir.constData());
        });
        for (const QByteArray& path : files) {
            const int fd = ::open(path.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            QVERIFY2(fd >= 0, path.constData());
            ::close(fd);
        }
        QVERIFY(::mkdir(subdir.constData(), 0755) == 0);
        QTest::qSleep(kSettleMs);

        const QStringList own = undecodableNames(m_dir, QByteArrayLiteral(".stateward"));
        QCOMPARE(own.size(), 4);
        const TreeFingerprint tree = TreeFingerprint::of(m_dir);
        QVERIFY(tree.complete && tree.namesListed);
        QCOMPARE(tree.undecodable, own);
        const QByteArray walked = stableJson(scan(m_ws, m_dir, nullptr, &tree));
        QCOMPARE(walked, stableJson(scan(m_ws, m_dir, nullptr)));
        QCOMPARE(walked.count("\"code\": \"undecodable-name\""), 4);

        const TreeFingerprint updated = TreeFingerprint::updated(m_dir, tree, { m_dir + QLatin1String("/active") });
        QVERIFY(updated.complete && !updated.namesListed);
        QCOMPARE(stableJson(scan(m_ws, m_dir, nullptr, &updated)), walked);
    }

    void anUpdatedTreeIsAWholeWalkForWhatEventsName()
    {
        const TreeFingerprint before = TreeFingerprint::of(m_dir);
        QVERIFY(before.complete && !before.racy);
        const auto check = [&](const QSet<QString>& named) {
            const TreeFingerprint updated = TreeFingerprint::updated(m_dir, before, named);
            const TreeFingerprint walked = TreeFingerprint::of(m_dir);
            QVERIFY(updated.complete);
            QCOMPARE(pathsOf(updated), pathsOf(walked));
        };
        check({}); // nothing changed
        const QString active = m_dir + QLatin1String("/active");
        const QString month = m_dir + QLatin1String("/completed/2026-05");
        renameOver(active + QLatin1String("/traj_rec00abcdef.json"),
            trajectoryRecord(QStringLiteral("traj_rec00abcdef"), QStringLiteral("Saved again")));
        check({ active }); // a directory event, as for an atomic save
        QVERIFY(QFile::remove(month + QLatin1String("/traj_rec01abcdef.json")));
        check({ active, month });
        put(m_dir + QLatin1String("/completed/2026-07/traj_new1abcdef.json"),
            trajectoryRecord(
                QStringLiteral("traj_new1abcdef"), QStringLiteral("New month"), QStringLiteral("completed")));
        check({ active, month, m_dir + QLatin1String("/completed") });
        // A directory replaced by a file, and the event naming a path under it that is gone.
        QVERIFY(QDir(m_dir + QLatin1String("/active/traj_nested1abcd")).removeRecursively());
        put(m_dir + QLatin1String("/active/traj_nested1abcd"), "not a directory now");
        check({ active, month, m_dir + QLatin1String("/completed"),
            m_dir + QLatin1String("/active/traj_nested1abcd/trajectory.json") });

        // An in-place write: seen when its file is named (a watched file), not through a
        // directory whose entries did not change.
        QTest::qSleep(kSettleMs);
        const TreeFingerprint settled = TreeFingerprint::of(m_dir);
        const QString inPlace = month + QLatin1String("/traj_rec05abcdef.json");
        writeFile(inPlace,
            trajectoryRecord(QStringLiteral("traj_rec05abcdef"), QStringLiteral("Grown in place, a longer title"),
                QStringLiteral("completed")));
        QVERIFY(pathsOf(TreeFingerprint::updated(m_dir, settled, { active })) != pathsOf(TreeFingerprint::of(m_dir)));
        QCOMPARE(pathsOf(TreeFingerprint::updated(m_dir, settled, { inPlace })), pathsOf(TreeFingerprint::of(m_dir)));
        // Too many named paths, another dir's tree, an incomplete one: a whole walk.
        QSet<QString> many;
        for (int i = 0; i <= TreeFingerprint::kMaxChangedPaths; ++i)
            many.insert(QStringLiteral("%1/x%2").arg(month).arg(i));
        QCOMPARE(pathsOf(TreeFingerprint::updated(m_dir, settled, many)), pathsOf(TreeFingerprint::of(m_dir)));
        TreeFingerprint partial = settled;
        partial.complete = false;
        QCOMPARE(pathsOf(TreeFingerprint::updated(m_dir, partial, {})), pathsOf(TreeFingerprint::of(m_dir)));
        QVERIFY(TreeFingerprint::updated(m_dir + QLatin1String("/nope"), settled, {}).entries.isEmpty());
    }

    // WatchHub's path: runScan with the workspace's cache against runScan without one.
    void watchScansAgree()
    {
        const auto caches = std::make_shared<AdapterCaches>();
        auto& cache = static_cast<TrajectoryRecordCache&>(*caches->of(TrajectoriesSource()));
        ScanRequest request;
        request.workspace = m_ws;
        request.spec.parseAll = true;
        const auto never = [] { return false; };
        const auto compare = [&] {
            request.caches = caches;
            const ScanResult cached = runScan(request, never);
            request.caches.reset();
            const ScanResult fresh = runScan(request, never);
            QCOMPARE(cached.sources.size(), fresh.sources.size());
            for (qsizetype i = 0; i < cached.sources.size(); ++i)
                QCOMPARE(stableJson(cached.sources.at(i).snapshot), stableJson(fresh.sources.at(i).snapshot));
        };
        compare();
        const quint64 hits = cache.hits();
        compare();
        QVERIFY(cache.hits() > hits);
        put(m_dir + QLatin1String("/active/traj_rec00abcdef.json"),
            trajectoryRecord(QStringLiteral("traj_rec00abcdef"), QStringLiteral("Changed under the hub")));
        compare();

        // A scan for events: the last result's trees updated where the events name, then parsed
        // from the tree; the same snapshots as a whole fresh scan.
        const ScanResult last = runScan(request, never);
        renameOver(m_dir + QLatin1String("/completed/2026-05/traj_rec09abcdef.json"),
            trajectoryRecord(QStringLiteral("traj_rec09abcdef"), QStringLiteral("Saved by the hub's events"),
                QStringLiteral("completed")));
        ScanRequest events = request;
        events.known = last.sources;
        events.caches = caches;
        events.spec = {};
        events.spec.dirty.insert(m_dir);
        events.spec.changedPaths.insert(m_dir + QLatin1String("/completed/2026-05"));
        const ScanResult incremental = runScan(events, never);
        QCOMPARE(incremental.parsed, QStringList { m_dir });
        request.caches.reset();
        request.spec.parseAll = true;
        const ScanResult fresh = runScan(request, never);
        QCOMPARE(incremental.sources.size(), fresh.sources.size());
        for (qsizetype i = 0; i < fresh.sources.size(); ++i) {
            QCOMPARE(stableJson(incremental.sources.at(i).snapshot), stableJson(fresh.sources.at(i).snapshot));
            QCOMPARE(pathsOf(incremental.sources.at(i).tree), pathsOf(fresh.sources.at(i).tree));
        }
        QVERIFY(stableJson(incremental.sources.first().snapshot).contains("Saved by the hub's events"));
    }
};

QTEST_GUILESS_MAIN(TestTrajectoryCache)
#include "tst_trajectorycache.moc"
