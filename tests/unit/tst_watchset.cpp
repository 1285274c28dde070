// SPDX-License-Identifier: GPL-3.0-or-later
// WatchSet alone, on a real tree: the budget goes to anchors, then directories, then the files
// rewritten in place, then the other files shallow first across trees; symlinks are never
// watched; what changed between the scan and the sync is reported at once; a watch follows an
// atomic save to the new inode and goes with its file.
#include "testfiles.h"
#include "watch/watchset.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace Stateward;
using namespace TestFiles;

namespace {

constexpr int kTimeout = 20000;

TreeEntry entryOf(const QString& path)
{
    TreeEntry e;
    e.path = path;
    e.stamp = FileStamp::ofPath(path).value_or(FileStamp {});
    return e;
}

QStringList paths(const QSignalSpy& spy)
{
    QStringList out;
    for (const QList<QVariant>& args : spy)
        out.append(args.at(0).toString());
    out.sort();
    return out;
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

    void budgetGoesToAnchorsThenDirectoriesThenShallowFiles()
    {
        WatchSet set;
        QSignalSpy health(&set, &WatchSet::healthChanged);
        const QList<TreeEntry> anchors { entryOf(m_root->path()) };

        set.setBudget(7); // the anchor, four directories, the two shallow files
        set.sync(anchors, trees());
        QCOMPARE(set.watchedPaths(),
            (QStringList { m_root->path(), m_a, m_a + QLatin1String("/f0"), m_a + QLatin1String("/sub"), m_b,
                m_b + QLatin1String("/f0"), m_b + QLatin1String("/sub") }));
        QVERIFY(!set.health().isDegraded());
        QCOMPARE(set.health().unwatchedFiles, 2); // the deep ones
        QCOMPARE(health.count(), 1);

        set.setBudget(3); // the anchor and a's directories: b's are polled
        QCOMPARE(set.watchedPathCount(), 7); // from the next sync on
        set.sync(anchors, trees());
        QCOMPARE(set.watchedPaths(), (QStringList { m_root->path(), m_a, m_a + QLatin1String("/sub") }));
        const WatchHealth degraded = set.health();
        QVERIFY(degraded.isDegraded());
        QCOMPARE(degraded.polledPaths, (QStringList { m_b, m_b + QLatin1String("/sub") }));
        QCOMPARE(degraded.overBudget, 2);
        QVERIFY(degraded.refused.isEmpty());
        QCOMPARE(degraded.unwatchedFiles, 4);
        QCOMPARE(health.count(), 2);

        set.setBudget(100); // everything but the symlink (inotify would follow it)
        set.sync(anchors, trees());
        QCOMPARE(set.watchedPathCount(), 9);
        QVERIFY(!set.watchedPaths().contains(m_a + QLatin1String("/link")));
        QCOMPARE(set.health(), WatchHealth());
        QCOMPARE(health.count(), 3);
    }

    void filesRewrittenInPlaceAreWatchedBeforeShallowerOnes()
    {
        WatchSet set;
        const QList<TreeEntry> anchors { entryOf(m_root->path()) };
        const QString deep = m_b + QLatin1String("/sub/deep");
        const QSet<QString> inPlace { deep, m_a + QLatin1String("/gone"), m_a + QLatin1String("/link") };
        set.setBudget(6); // the anchor, four directories and one file
        set.sync(anchors, trees(), inPlace);
        // The deep file a tool writes in place, not a shallower one; a path in no tree, and a
        // symlink, are never watched.
        QCOMPARE(set.watchedPaths(),
            (QStringList { m_root->path(), m_a, m_a + QLatin1String("/sub"), m_b, m_b + QLatin1String("/sub"), deep }));
        QCOMPARE(set.health().unwatchedFiles, 3);

        // Only the file's own watch sees an in-place write.
        QSignalSpy changed(&set, &WatchSet::changed);
        writeFile(deep, "written in place");
        QTRY_VERIFY_WITH_TIMEOUT(paths(changed).contains(deep), kTimeout);

        set.setBudget(7); // room for one more: the shallowest of the others
        set.sync(anchors, trees(), inPlace);
        QVERIFY(set.watchedPaths().contains(deep));
        QVERIFY(set.watchedPaths().contains(m_a + QLatin1String("/f0")));
        QCOMPARE(set.health().unwatchedFiles, 2);
    }

    void changesBetweenTheScanAndTheSyncAreReported()
    {
        WatchSet set;
        set.setBudget(100);
        const QList<TreeEntries> scanned = trees();
        // After the walk, before the watch: no inotify event will ever tell of these.
        writeFile(m_a + QLatin1String("/f0"), "written since");
        QVERIFY(QFile::remove(m_b + QLatin1String("/f0")));
        QSignalSpy changed(&set, &WatchSet::changed);
        set.sync({}, scanned);
        // The written file, and the deleted one's directory (its parent's change stands for it).
        QCOMPARE(paths(changed), (QStringList { m_a + QLatin1String("/f0"), m_b }));
        QVERIFY(!set.watchedPaths().contains(m_b + QLatin1String("/f0")));
    }

    void aWatchFollowsAtomicSavesAndIsDroppedWithItsFile()
    {
        WatchSet set;
        watchAll(set);
        const QString f0 = m_a + QLatin1String("/f0");
        QVERIFY(set.watchedPaths().contains(f0));
        QSignalSpy changed(&set, &WatchSet::changed);

        const QString tmp = f0 + QLatin1String(".saving");
        writeFile(tmp, "saved");
        QVERIFY(::rename(QFile::encodeName(tmp).constData(), QFile::encodeName(f0).constData()) == 0);
        QTRY_VERIFY_WITH_TIMEOUT(paths(changed).contains(f0), kTimeout);
        QVERIFY(set.watchedPaths().contains(f0));

        // Only a watch on the new inode sees an in-place write (the directory's does not).
        changed.clear();
        writeFile(f0, "written in place");
        QTRY_VERIFY_WITH_TIMEOUT(paths(changed).contains(f0), kTimeout);

        // A deleted file: its directory's event, and its own watch gone.
        const QString deep = m_b + QLatin1String("/sub/deep");
        QVERIFY(set.watchedPaths().contains(deep));
        QVERIFY(QFile::remove(deep));
        QTRY_VERIFY_WITH_TIMEOUT(paths(changed).contains(m_b + QLatin1String("/sub")), kTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(!set.watchedPaths().contains(deep), kTimeout);
    }
};

QTEST_GUILESS_MAIN(TestWatchSet)
#include "tst_watchset.moc"
