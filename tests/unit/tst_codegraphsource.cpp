// SPDX-License-Identifier: GPL-3.0-or-later
// The codegraph adapter on crafted state: journal validity as codegraph reads it, bad input
// (zero bytes, symlinks, malformed header, torn line), locks and tmp files with live and dead owners.
#include "childprocess.h"
#include "sources/codegraphsource.h"
#include "testfiles.h"
#include "testprinters.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Stateward;
using namespace TestFiles;

class TestCodegraphSource : public QObject
{
    Q_OBJECT

    static Snapshot scan(const QString& ws)
    {
        CodegraphSource source;
        ScanContext context;
        const QStringList dirs = source.stateDirs(ws);
        return dirs.isEmpty() ? Snapshot {} : source.scan(ws, dirs.first(), context);
    }

private slots:
    void noStateDirNoSnapshot()
    {
        QTemporaryDir ws;
        QVERIFY(CodegraphSource().stateDirs(ws.path()).isEmpty());
    }

    void healthyJournalHasNoFindings()
    {
        QTemporaryDir ws;
        QVERIFY(QDir(ws.path()).mkdir(QStringLiteral(".codegraph")));
        writeFile(ws.filePath(QStringLiteral(".codegraph/changes.journal")),
            "# codegraph-journal v1 1700000000000\nsrc/a.js\nDELETED src/b.js\n");
        const Snapshot s = scan(ws.path());
        QCOMPARE(s.family, Family::Codegraph);
        QVERIFY2(s.findings.isEmpty(), qPrintable(findingCodes(s).join(u',')));
        QVERIFY(s.locks.isEmpty());
        QVERIFY(s.tempFiles.isEmpty());
    }

    void journalProblems_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("zero bytes") << QByteArray() << QStringList { QStringLiteral("journal-empty") };
        QTest::newRow("placeholder 0") << QByteArray("# codegraph-journal v1 0\nsrc/a.js\n")
                                       << QStringList { QStringLiteral("journal-placeholder-header") };
        QTest::newRow("negative") << QByteArray("# codegraph-journal v1 -5\n")
                                  << QStringList { QStringLiteral("journal-placeholder-header") };
        QTest::newRow("not a number") << QByteArray("# codegraph-journal v1 soon\n")
                                      << QStringList { QStringLiteral("journal-placeholder-header") };
        QTest::newRow("bad header") << QByteArray("{\"not\": \"a journal\"}\n")
                                    << QStringList { QStringLiteral("journal-bad-header") };
        QTest::newRow("torn") << QByteArray("# codegraph-journal v1 1700000000000\nsrc/a.js\nsrc/pa")
                              << QStringList { QStringLiteral("journal-torn-line") };
        QTest::newRow("binary") << QByteArray("\x00\x01\x02garbage",
            11) << QStringList { QStringLiteral("journal-bad-header"), QStringLiteral("journal-torn-line") };
    }

    void journalProblems()
    {
        QFETCH(QByteArray, content);
        QFETCH(QStringList, expected);
        QTemporaryDir ws;
        QVERIFY(QDir(ws.path()).mkdir(QStringLiteral(".codegraph")));
        const QString journal = ws.filePath(QStringLiteral(".codegraph/changes.journal"));
        writeFile(journal, content);
        const Snapshot s = scan(ws.path());
        QCOMPARE(findingCodes(s), expected);
        for (const Finding& f : s.findings) {
            QCOMPARE(f.subject, journal); // names the file
            QVERIFY(!f.evidence.isEmpty());
        }
        QFile f(journal); // read only: untouched
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), content);
    }

    void symlinksAreNotFollowed()
    {
        QTemporaryDir ws, elsewhere;
        QVERIFY(QDir(ws.path()).mkdir(QStringLiteral(".codegraph")));
        writeFile(elsewhere.filePath(QStringLiteral("secret")), "# codegraph-journal v1 0\n");
        QVERIFY(QFile::link(
            elsewhere.filePath(QStringLiteral("secret")), ws.filePath(QStringLiteral(".codegraph/changes.journal"))));
        Snapshot s = scan(ws.path());
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("journal-symlink") });

        QTemporaryDir ws2;
        QVERIFY(QFile::link(elsewhere.path(), ws2.filePath(QStringLiteral(".codegraph"))));
        s = scan(ws2.path());
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("state-dir-symlink") });
        QVERIFY(s.locks.isEmpty() && s.tempFiles.isEmpty());
    }

    void locksAndTmpFiles()
    {
        QTemporaryDir ws;
        const QString dir = ws.filePath(QStringLiteral(".codegraph"));
        QVERIFY(QDir().mkpath(dir));
        ChildProcess live;
        QVERIFY(live.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        QVERIFY(!live.waitForLine("ready").isEmpty());
        ChildProcess gone;
        QVERIFY(gone.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        QVERIFY(!gone.waitForLine("ready").isEmpty());
        const QByteArray deadPid = QByteArray::number(gone.pid());
        gone.closeStdin();
        QVERIFY(gone.reap() >= 0);
        const QByteArray livePid = QByteArray::number(live.pid());

        writeFile(dir + QLatin1String("/changes.journal.lock"), deadPid + '\n' + deadPid + "-0123456789abcdef\n");
        writeFile(dir + QLatin1String("/graph.db.lock"), livePid);
        writeFile(dir + QLatin1String("/changes.journal.lock.") + QString::fromLatin1(deadPid)
                + QLatin1String("-0123456789abcdef.tmp"),
            "x");
        writeFile(dir + QLatin1String("/changes.journal.lock.") + QString::fromLatin1(livePid)
                + QLatin1String("-0123456789abcdef.tmp"),
            "y");
        writeFile(dir + QLatin1String("/changes.journal.tmp"), "fresh"); // a writer mid-rename
        const Snapshot s = scan(ws.path());

        QCOMPARE(s.locks.size(), 2);
        QCOMPARE(s.tempFiles.size(), 3);
        int orphans = 0;
        for (const TempFile& t : s.tempFiles)
            orphans += t.orphan;
        QCOMPARE(orphans, 1); // only the dead writer's; the live one and the fresh fixed name are in flight
        QCOMPARE(findingCodes(s), QStringList({ QStringLiteral("orphan-tmp"), QStringLiteral("stale-lock") }));
        for (const Finding& f : s.findings)
            QVERIFY(f.evidence.contains(QString::fromLatin1(deadPid)));

        backdate(dir + QLatin1String("/changes.journal.tmp"), 120);
        QCOMPARE(findingCodes(scan(ws.path())),
            QStringList({ QStringLiteral("orphan-tmp"), QStringLiteral("orphan-tmp"), QStringLiteral("stale-lock") }));
    }
};

QTEST_GUILESS_MAIN(TestCodegraphSource)
#include "tst_codegraphsource.moc"
