// SPDX-License-Identifier: GPL-3.0-or-later
// WatchSet alone, on a real tree: the budget goes to anchors, then directories; files have no
// watch of their own, their directory's events name them (written in place too); the files the
// tools rewrite in place are polled with a polled directory; symlinks are never watched; what
// changed between the scan and the sync is reported at once; a directory replaced by rename is
// watched on its new inode; random steps are each named; a queue overflow is reported.
#include "testfiles.h"
#include "watch/watchset.h"
#include "watchevents.h"

#include <QDirIterator>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Stateward;
using namespace TestFiles;
using namespace WatchEvents;

namespace {

constexpr int kTimeout = 20000;

TreeEntry entryOf(const QString& path)
{
    TreeEntry e;
    e.path = path;
    e.stamp = FileStamp::ofPath(path).value_or(FileStamp {});
    return e;
}

// Whether every report in the spy came from inotify or a sync (named), or from the poll.
bool allNamed(const QSignalSpy& spy, bool named)
{
    return std::all_of(
        spy.cbegin(), spy.cend(), [named](const QList<QVariant>& args) { return args.at(1).toBool() == named; });
}

void rename(const QString& from, const QString& to)
{
    QVERIFY2(::rename(QFile::encodeName(from).constData(), QFile::encodeName(to).constData()) == 0, qPrintable(to));
}

// Every entry under dir, and dir, with times put back: no clock tick of theirs is near a walk.
void backdateAll(const QString& dir)
{
    QDirIterator it(
        dir, QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        if (!QFileInfo(path).isSymLink())
            backdate(path, 600);
    }
    backdate(dir, 600);
}

// Past the racy window of every ctime just set (backdating moves ctimes to now).
void waitOutTheRacyWindow()
{
    const qint64 until = TreeFingerprint::clockNs() + 2 * TreeFingerprint::kRacyWindowNs;
    while (TreeFingerprint::clockNs() < until)
        QTest::qWait(20);
}

} // namespace

class TestWatchSet : public QObject
{
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_root;
    QString m_a, m_b;

    QString at(const QString& relative) const { return m_root->filePath(relative); }

    // Two state-dir-like trees: <dir>/f0 and <dir>/sub/deep each, and a symlink in a.
    QList<TreeEntries> trees() const { return { TreeFingerprint::of(m_a).entries, TreeFingerprint::of(m_b).entries }; }

    // Both trees as they are now, with room for every path.
    void watchAll(WatchSet& set) const
    {
        set.setBudget(100);
        set.sync({}, trees());
    }

private slots:
    void init()
    {
        qRegisterMetaType<WatchHealth>();
        m_root = std::make_unique<QTemporaryDir>();
        QVERIFY(m_root->isValid());
        m_a = at(QStringLiteral("a"));
        m_b = at(QStringLiteral("b"));
        for (const QString& dir : { m_a, m_b }) {
            QVERIFY(QDir().mkpath(dir + QLatin1String("/sub")));
            writeFile(dir + QLatin1String("/f0"), "0");
            writeFile(dir + QLatin1String("/sub/deep"), "deep");
        }
        QVERIFY(::symlink("f0", QFile::encodeName(m_a + QLatin1String("/link")).constData()) == 0);
    }

    void budgetGoesToAnchorsThenDirectories()
    {
        WatchSet set;
        QSignalSpy health(&set, &WatchSet::healthChanged);
        const QList<TreeEntry> anchors { entryOf(m_root->path()) };

        set.setBudget(5); // the anchor and four directories: no file needs a watch of its own
        set.sync(anchors, trees());
        QCOMPARE(set.watchedPaths(),
            (QStringList { m_root->path(), m_a, m_a + QLatin1String("/sub"), m_b, m_b + QLatin1String("/sub") }));
        QCOMPARE(set.health(), WatchHealth());
        QCOMPARE(set.health().unwatchedFiles, 0); // the deep ones too: their directory names them
        QCOMPARE(health.count(), 0); // ok, as it was

        set.setBudget(3); // the anchor and a's directories: b's are polled
        QCOMPARE(set.watchedPathCount(), 5); // from the next sync on
        set.sync(anchors, trees());
        QCOMPARE(set.watchedPaths(), (QStringList { m_root->path(), m_a, m_a + QLatin1String("/sub") }));
        const WatchHealth degraded = set.health();
        QVERIFY(degraded.isDegraded());
        QCOMPARE(degraded.polledPaths, (QStringList { m_b, m_b + QLatin1String("/sub") }));
        QCOMPARE(degraded.overBudget, 2);
        QVERIFY(degraded.refused.isEmpty());
        QCOMPARE(degraded.unwatchedFiles, 2); // b's files: no tool rewrites them in place
        QCOMPARE(degraded.summary(),
            QStringLiteral("degraded: polling (2 paths; 2 files' in-place writes wait for the backstop)"));
        QCOMPARE(health.count(), 1);

        set.setBudget(100); // every directory and the anchor, but the symlink (inotify would follow it)
        set.sync(anchors, trees());
        QCOMPARE(set.watchedPathCount(), 5);
        QVERIFY(!set.watchedPaths().contains(m_a + QLatin1String("/link")));
        QCOMPARE(set.health(), WatchHealth());
        QCOMPARE(health.count(), 2);
    }

    void filesRewrittenInPlaceArePolledWithTheirDirectory()
    {
        WatchSet set;
        set.setPollInterval(50);
        const QList<TreeEntry> anchors { entryOf(m_root->path()) };
        const QString deep = m_b + QLatin1String("/sub/deep");
        const QSet<QString> inPlace { deep, m_a + QLatin1String("/gone"), m_a + QLatin1String("/link") };
        set.setBudget(3); // the anchor and a's directories
        set.sync(anchors, trees(), inPlace);
        // The deep file a tool writes in place is polled with its directory; a path in no tree,
        // and a symlink, never are.
        QCOMPARE(set.health().polledPaths, (QStringList { m_b, m_b + QLatin1String("/sub"), deep }));
        QCOMPARE(set.health().unwatchedFiles, 1); // b/f0
        QSignalSpy changed(&set, &WatchSet::changed);
        writeFile(deep, "written in place");
        QTRY_VERIFY_WITH_TIMEOUT(paths(changed).contains(deep), kTimeout);
        QVERIFY(allNamed(changed, false)); // the poll names no change in a directory

        // Room for every directory: the same write is named by its directory's watch.
        set.setBudget(100);
        set.sync(anchors, trees(), inPlace);
        QCOMPARE(set.health(), WatchHealth());
        changed.clear();
        writeFile(deep, "written in place again");
        QTRY_VERIFY_WITH_TIMEOUT(paths(changed).contains(deep), kTimeout);
        QVERIFY(allNamed(changed, true));
    }

    void aFileWrittenInPlaceIsNamedByItsDirectory()
    {
        // A completed record: no watch of its own, no tool says it is rewritten; written in place.
        WatchSet set;
        watchAll(set);
        const QString f0 = m_a + QLatin1String("/f0");
        QVERIFY(!set.watchedPaths().contains(f0));
        QSignalSpy changed(&set, &WatchSet::changed);
        QFile file(f0);
        QVERIFY(file.open(QIODevice::Append));
        QVERIFY(file.write("appended") == 8);
        file.close();
        QTRY_VERIFY_WITH_TIMEOUT(paths(changed).contains(f0), kTimeout);
        QVERIFY(allNamed(changed, true));
        // Each path once per read, however many events (IN_MODIFY, IN_CLOSE_WRITE) it had.
        QCOMPARE(paths(changed).count(f0), 1);
    }

    void changesBetweenTheScanAndTheSyncAreReported()
    {
        backdateAll(m_root->path());
        waitOutTheRacyWindow();
        WatchSet set;
        set.setBudget(100);
        const qint64 takenAt = TreeFingerprint::clockNs();
        const QList<TreeEntries> scanned = trees();
        // After the walk, before the watch: no inotify event will ever tell of these.
        writeFile(m_a + QLatin1String("/f0"), "written since");
        QVERIFY(QFile::remove(m_b + QLatin1String("/f0")));
        QSignalSpy changed(&set, &WatchSet::changed);
        set.sync({}, scanned, { m_a + QLatin1String("/f0") }, { takenAt, takenAt });
        // The file written in place (one the tools rewrite so), and the deleted one's directory
        // (its parent's change stands for it).
        QCOMPARE(paths(changed), (QStringList { m_a + QLatin1String("/f0"), m_b }));
        QVERIFY(!set.watchedPaths().contains(m_b + QLatin1String("/f0")));
        QCOMPARE(set.watchedPathCount(), 4);
    }

    void aDirectoryWithinTheRacyWindowOfItsWalkIsReported()
    {
        backdateAll(m_root->path());
        waitOutTheRacyWindow();
        // Changed within the racy window of the walk (a chmod moves the ctime alone: the stamp has
        // no mode), a directory's stamp proves nothing: a change in the same clock tick keeps it.
        const QString aSub = m_a + QLatin1String("/sub");
        const QString bSub = m_b + QLatin1String("/sub");
        QVERIFY(::chmod(QFile::encodeName(aSub).constData(), 0700) == 0);
        QVERIFY(::chmod(QFile::encodeName(bSub).constData(), 0700) == 0);
        const qint64 takenAt = TreeFingerprint::clockNs();
        const QList<TreeEntries> scanned = trees();
        // After the walk: an entry of b/sub written in place (b/sub's own stamp holds).
        writeFile(bSub + QLatin1String("/deep"), "written after the walk");
        WatchSet set;
        set.setBudget(100);
        QSignalSpy changed(&set, &WatchSet::changed);
        set.sync({}, scanned, {}, { takenAt, takenAt });
        // Its entries are compared: b/sub's differ, a/sub's do not.
        QCOMPARE(paths(changed), QStringList { bSub });

        // Long after: an already watched directory is never reported again, nor a quiet one.
        waitOutTheRacyWindow();
        changed.clear();
        set.sync({}, trees(), {}, { TreeFingerprint::clockNs(), TreeFingerprint::clockNs() });
        QCOMPARE(paths(changed), QStringList());
        WatchSet fresh;
        fresh.setBudget(100);
        QSignalSpy freshChanged(&fresh, &WatchSet::changed);
        fresh.sync({}, trees(), {}, { TreeFingerprint::clockNs(), TreeFingerprint::clockNs() });
        QCOMPARE(paths(freshChanged), QStringList());
        QCOMPARE(fresh.watchedPathCount(), 4);
    }

    void aReplacedDirectoryIsWatchedOnItsNewInode()
    {
        WatchSet set;
        watchAll(set);
        QSignalSpy changed(&set, &WatchSet::changed);
        const QString f0 = m_a + QLatin1String("/f0");

        // An atomic save: named by its directory, nothing to re-arm.
        const QString tmp = f0 + QLatin1String(".saving");
        writeFile(tmp, "saved");
        rename(tmp, f0);
        QTRY_VERIFY_WITH_TIMEOUT(paths(changed).contains(f0), kTimeout);
        QVERIFY(paths(changed).contains(tmp));
        changed.clear();
        writeFile(f0, "written in place");
        QTRY_VERIFY_WITH_TIMEOUT(paths(changed).contains(f0), kTimeout);

        // A directory replaced by rename: its watch goes with the old inode, the next sync
        // watches the new one, whose entries are then named.
        const QString sub = m_a + QLatin1String("/sub");
        QVERIFY(QDir().mkdir(m_a + QLatin1String("/sub.new")));
        rename(sub, m_a + QLatin1String("/sub.old"));
        rename(m_a + QLatin1String("/sub.new"), sub);
        QTRY_VERIFY_WITH_TIMEOUT(paths(changed).contains(sub), kTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(!set.watchedPaths().contains(sub), kTimeout);
        watchAll(set);
        QVERIFY(set.watchedPaths().contains(sub));
        QVERIFY(set.watchedPaths().contains(m_a + QLatin1String("/sub.old")));
        changed.clear();
        writeFile(sub + QLatin1String("/fresh"), "x");
        QTRY_VERIFY_WITH_TIMEOUT(paths(changed).contains(sub + QLatin1String("/fresh")), kTimeout);

        // A deleted file: its directory names it.
        const QString deep = m_b + QLatin1String("/sub/deep");
        QVERIFY(QFile::remove(deep));
        QTRY_VERIFY_WITH_TIMEOUT(paths(changed).contains(deep), kTimeout);
        // A deleted directory: named by its parent, its own watch gone.
        const QString old = m_a + QLatin1String("/sub.old");
        QVERIFY(QDir(old).removeRecursively());
        QTRY_VERIFY_WITH_TIMEOUT(paths(changed).contains(old), kTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(!set.watchedPaths().contains(old), kTimeout);
    }

    void anAnchorNamesOnlyEntriesComingAndGoing()
    {
        WatchSet set;
        set.setBudget(100);
        set.sync({ entryOf(m_root->path()) }, {});
        QSignalSpy changed(&set, &WatchSet::changed);
        // A file of the anchor written in place concerns no state dir; a directory appearing does.
        writeFile(at(QStringLiteral("notes.txt")), "x");
        QVERIFY(QDir().mkdir(at(QStringLiteral(".trajectories"))));
        QTRY_VERIFY_WITH_TIMEOUT(paths(changed).contains(at(QStringLiteral(".trajectories"))), kTimeout);
        QCOMPARE(paths(changed).count(at(QStringLiteral("notes.txt"))), 1); // created, not each write
        changed.clear();
        writeFile(at(QStringLiteral("notes.txt")), "written in place");
        writeFile(at(QStringLiteral("sentinel")), "x"); // after the write: its event follows the write's
        QTRY_VERIFY_WITH_TIMEOUT(paths(changed).contains(at(QStringLiteral("sentinel"))), kTimeout);
        QVERIFY(!paths(changed).contains(at(QStringLiteral("notes.txt"))));
    }

    void randomStepsAreEachNamed()
    {
        // Steps of every kind in a synced tree, each followed by a sentinel written last: inotify
        // keeps one instance's events in order, so once the sentinel is reported every event of
        // the step has been read. What the step touched must be among the paths reported, and
        // nothing outside the tree.
        const quint32 seed = QRandomGenerator::global()->generate();
        qInfo("seed %u", seed);
        QRandomGenerator random(seed);
        WatchSet set;
        const auto resync = [&] {
            QList<TreeEntries> entries;
            entries.append(TreeFingerprint::of(m_root->path()).entries);
            set.setBudget(1000);
            set.sync({}, entries);
        };
        resync();
        QSignalSpy changed(&set, &WatchSet::changed);
        const auto filesIn = [](const QString& dir) {
            QStringList files;
            QDirIterator it(dir, QDir::Files | QDir::NoSymLinks | QDir::NoDotAndDotDot | QDir::Hidden,
                QDirIterator::Subdirectories);
            while (it.hasNext())
                files.append(it.next());
            files.sort();
            return files;
        };
        const auto dirsIn = [this] {
            QStringList dirs { m_root->path() };
            QDirIterator it(
                m_root->path(), QDir::Dirs | QDir::NoDotAndDotDot | QDir::Hidden, QDirIterator::Subdirectories);
            while (it.hasNext()) {
                const QString d = it.next();
                if (!QFileInfo(d).isSymLink())
                    dirs.append(d);
            }
            dirs.sort();
            return dirs;
        };
        int created = 0;
        for (int step = 0; step < 60; ++step) {
            const QStringList dirs = dirsIn();
            QStringList files = filesIn(m_root->path());
            files.removeIf([](const QString& f) { return f.contains(QLatin1String("sentinel")); });
            const QString dir = dirs.at(random.bounded(int(dirs.size())));
            const QString file = files.isEmpty() ? QString() : files.at(random.bounded(int(files.size())));
            QStringList touched;
            QString what;
            switch (random.bounded(8)) {
            case 0: {
                const QString path = dir + QStringLiteral("/new%1").arg(++created);
                writeFile(path, "new");
                touched << path;
                what = QStringLiteral("create");
                break;
            }
            case 1:
                if (file.isEmpty())
                    continue;
                QVERIFY(QFile::remove(file));
                touched << file;
                what = QStringLiteral("delete");
                break;
            case 2: {
                if (file.isEmpty())
                    continue;
                const QString tmp = file + QLatin1String(".tmp");
                writeFile(tmp, "replaced");
                rename(tmp, file);
                touched << tmp << file;
                what = QStringLiteral("rename-replace");
                break;
            }
            case 3: {
                if (file.isEmpty())
                    continue;
                QFile f(file);
                QVERIFY(f.open(QIODevice::Append));
                QVERIFY(f.write("more") == 4);
                f.close();
                touched << file;
                what = QStringLiteral("write in place");
                break;
            }
            case 4: {
                const QString path = dir + QStringLiteral("/dir%1").arg(++created);
                QVERIFY(QDir().mkdir(path));
                touched << path;
                what = QStringLiteral("mkdir");
                break;
            }
            case 5: {
                if (dir == m_root->path() || dir == m_a // the sentinels' directory
                    || !QDir(dir).isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System))
                    continue;
                QVERIFY(QDir().rmdir(dir));
                touched << dir;
                what = QStringLiteral("rmdir");
                break;
            }
            case 6: {
                const QString path = file.isEmpty() ? dir : file;
                QVERIFY(::chmod(QFile::encodeName(path).constData(), random.bounded(2) ? 0700 : 0755) == 0);
                touched << path;
                what = QStringLiteral("chmod");
                break;
            }
            case 7: {
                if (file.isEmpty())
                    continue;
                const QString to = dir + QStringLiteral("/moved%1").arg(++created);
                if (to == file)
                    continue;
                rename(file, to);
                touched << file << to;
                what = QStringLiteral("move");
                break;
            }
            }
            const QString sentinel = m_a + QStringLiteral("/sentinel%1").arg(step);
            writeFile(sentinel, "last");
            QTRY_VERIFY_WITH_TIMEOUT(paths(changed).contains(sentinel), kTimeout);
            const QStringList seen = paths(changed);
            for (const QString& path : std::as_const(touched))
                QVERIFY2(seen.contains(path),
                    qPrintable(QStringLiteral("step %1 (%2) not named: %3; seen %4")
                                   .arg(step)
                                   .arg(what, path, seen.join(QLatin1Char(' ')))));
            for (const QString& path : seen)
                QVERIFY2(
                    path == m_root->path() || path.startsWith(m_root->path() + QLatin1Char('/')), qPrintable(path));
            QVERIFY(allNamed(changed, true));
            QVERIFY(QFile::remove(sentinel));
            resync(); // as the hub does after the scan: new directories watched
            changed.clear();
        }
    }

    void aQueueOverflowIsReported()
    {
        const qint64 queued = maxQueuedEvents();
        if (queued <= 0 || queued > 1000000)
            QSKIP("fs.inotify.max_queued_events unreadable or too large to overflow here");
        WatchSet set;
        watchAll(set);
        QSignalSpy lost(&set, &WatchSet::eventsLost);
        QSignalSpy changed(&set, &WatchSet::changed);
        // Without returning to the event loop: each write is IN_MODIFY then IN_CLOSE_WRITE, two
        // events (inotify merges only an event equal to the last one queued).
        const QByteArray f0 = QFile::encodeName(m_a + QLatin1String("/f0"));
        for (qint64 i = 0; i <= queued / 2 + 1; ++i) {
            const int fd = ::open(f0.constData(), O_WRONLY | O_APPEND | O_CLOEXEC);
            QVERIFY(fd >= 0);
            QVERIFY(::write(fd, "x", 1) == 1);
            ::close(fd);
        }
        QTRY_COMPARE_WITH_TIMEOUT(lost.count(), 1, kTimeout);
        QCOMPARE(changed.count(), 0); // any path may have changed: naming some would say otherwise
    }
};

QTEST_GUILESS_MAIN(TestWatchSet)
#include "tst_watchset.moc"
