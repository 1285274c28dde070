// SPDX-License-Identifier: GPL-3.0-or-later
// The codegraph adapter on crafted state: journal validity as codegraph reads it, bad input
// (zero bytes, symlinks, malformed header, torn line), locks and tmp files with live and dead owners.
#include "childprocess.h"
#include "repair/repair.h"
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
    // A sw-testchild that sleeps until its stdin closes: a live PID to name.
    static bool startSleeper(ChildProcess& child)
    {
        return child.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") })
            && !child.waitForLine("ready").isEmpty();
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
        QVERIFY(startSleeper(live));
        ChildProcess gone;
        QVERIFY(startSleeper(gone));
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

    void recognisedByContent_data()
    {
        QTest::addColumn<QStringList>("files");
        QTest::addColumn<QString>("tool");
        QTest::newRow("optave") << QStringList { QStringLiteral("graph.db"), QStringLiteral("changes.journal") }
                                << QStringLiteral("@optave/codegraph");
        QTest::newRow("optave journal only")
            << QStringList { QStringLiteral("changes.journal") } << QStringLiteral("@optave/codegraph");
        QTest::newRow("CodeGraph") << QStringList { QStringLiteral("codegraph.db"), QStringLiteral("writer.pid") }
                                   << QStringLiteral("@colbymchenry/codegraph");
        QTest::newRow("both") << QStringList { QStringLiteral("graph.db"), QStringLiteral("codegraph.db") }
                              << QStringLiteral("@optave/codegraph");
        QTest::newRow("neither") << QStringList { QStringLiteral("notes.txt"), QStringLiteral("other.lock") }
                                 << QString();
        QTest::newRow("empty") << QStringList {} << QString();
    }

    void recognisedByContent()
    {
        QFETCH(QStringList, files);
        QFETCH(QString, tool);
        QTemporaryDir ws;
        QVERIFY(QDir(ws.path()).mkdir(QStringLiteral(".codegraph")));
        for (const QString& f : files)
            writeFile(ws.filePath(QStringLiteral(".codegraph/") + f), f == QLatin1String("other.lock") ? "1\n" : "");
        const Snapshot s = scan(ws.path());
        QCOMPARE(s.recognised.tool, tool);
        QVERIFY(!s.recognised.evidence.isEmpty());
        if (tool.isEmpty()) { // nobody's folder: nothing judged, not even its lock-named file
            QVERIFY2(s.findings.isEmpty(), qPrintable(findingCodes(s).join(u',')));
            QVERIFY(s.locks.isEmpty());
            QCOMPARE(s.recognised.describe(), QStringLiteral("unknown"));
        }
        if (files.contains(QStringLiteral("codegraph.db")) && tool == QLatin1String("@optave/codegraph"))
            QVERIFY(s.recognised.layout.contains(QStringLiteral("CodeGraph")));
    }

    void codeGraphFilesAreShownNeverJudged()
    {
        // CodeGraph's own files (utils.js FileLock, mcp/writer-lock.js, mcp/daemon.js of 1.6.1), with
        // dead and live holders and a leftover tmp of its own: rows, and no finding to repair.
        QTemporaryDir ws;
        const QString dir = ws.filePath(QStringLiteral(".codegraph"));
        QVERIFY(QDir().mkpath(dir));
        ChildProcess live;
        QVERIFY(startSleeper(live));
        const QByteArray livePid = QByteArray::number(live.pid());
        const QByteArray deadPid = QByteArray::number(ChildProcess::deadPid());
        writeFile(dir + QLatin1String("/codegraph.db"), "SQLite format 3");
        writeFile(dir + QLatin1String("/codegraph.lock"), deadPid);
        writeFile(dir + QLatin1String("/writer.pid"),
            "{\"pid\":" + deadPid + ",\"mode\":\"direct\",\"startedAt\":1700000000000,\"ready\":true}\n");
        writeFile(dir + QLatin1String("/daemon.pid"),
            "{\n  \"pid\": " + livePid + ",\n  \"version\": \"1.6.1\",\n  \"socketPath\": \"" + dir.toUtf8()
                + "/daemon.sock\",\n  \"startedAt\": " + QByteArray::number(QDateTime::currentMSecsSinceEpoch())
                + "\n}\n");
        writeFile(dir + QLatin1String("/writer.pid.") + QString::fromLatin1(deadPid) + QLatin1String(".tmp"), "{}");
        backdate(dir + QLatin1String("/codegraph.lock"), 3600);

        const Snapshot s = scan(ws.path());
        QCOMPARE(s.recognised.tool, QStringLiteral("@colbymchenry/codegraph"));
        QVERIFY2(s.findings.isEmpty(), qPrintable(findingCodes(s).join(u',')));
        QVERIFY(s.tempFiles.isEmpty());
        QCOMPARE(s.locks.size(), 1);
        QCOMPARE(s.locks.first().verdict.state, LockState::Stale);
        QCOMPARE(s.locks.first().verdict.removable, false);
        QCOMPARE(s.brokers.size(), 2);
        for (const Broker& b : s.brokers) {
            if (b.stateFile.endsWith(QLatin1String("daemon.pid"))) {
                QCOMPARE(b.pid, live.pid());
                QCOMPARE(b.liveness, Liveness::Alive);
                QCOMPARE(b.endpoint, QStringLiteral("unix:") + dir + QLatin1String("/daemon.sock"));
            } else {
                QCOMPARE(b.pid, deadPid.toLongLong());
                QCOMPARE(b.liveness, Liveness::Dead);
                QVERIFY(b.identityEvidence.contains(QStringLiteral("direct mode")));
            }
        }
    }

    void sharedFolderJudgesOnlyOptaveFiles()
    {
        // Both tools' default is .codegraph/: optave's files are judged by its rules, CodeGraph's
        // lock beside them is shown and never a stale-lock finding.
        QTemporaryDir ws;
        const QString dir = ws.filePath(QStringLiteral(".codegraph"));
        QVERIFY(QDir().mkpath(dir));
        const QByteArray deadPid = QByteArray::number(ChildProcess::deadPid());
        writeFile(dir + QLatin1String("/changes.journal"), "# codegraph-journal v1 0\nsrc/a.js\n");
        writeFile(dir + QLatin1String("/codegraph.lock"), deadPid);
        writeFile(dir + QLatin1String("/graph.db.lock"), deadPid);
        const Snapshot s = scan(ws.path());
        QCOMPARE(s.recognised.tool, QStringLiteral("@optave/codegraph"));
        QCOMPARE(findingCodes(s),
            QStringList({ QStringLiteral("journal-placeholder-header"), QStringLiteral("stale-lock") }));
        for (const Finding& f : s.findings)
            QVERIFY(!f.subject.endsWith(QLatin1String("codegraph.lock")));
        QCOMPARE(s.locks.size(), 2);
    }

    void journalTmpIsKeptWhileGraphDbIsOpen()
    {
        // codegraph's native engine writes changes.journal.tmp without the journal lock: while a
        // process has graph.db open beside it, it is no orphan however old, and a sweep planned
        // before that process appeared is skipped when applied.
        QTemporaryDir ws;
        const QString dir = ws.filePath(QStringLiteral(".codegraph"));
        QVERIFY(QDir().mkpath(dir));
        writeFile(dir + QLatin1String("/changes.journal"), "# codegraph-journal v1 1700000000000\n");
        const QString tmp = dir + QLatin1String("/changes.journal.tmp");
        writeFile(tmp, "# codegraph-journal v1 1700000000001\n");
        backdate(tmp, 120);
        const RepairPlan plan = planRepairs({ scan(ws.path()) });
        QCOMPARE(plan.actions.size(), 1);
        QCOMPARE(plan.actions.first().kind, RepairKind::SweepTmp);

        ChildProcess build; // holds graph.db open, as a codegraph build or watcher does
        QVERIFY(build.start(
            ChildProcess::binary("sw-testchild"), { QStringLiteral("open"), dir + QLatin1String("/graph.db") }));
        QVERIFY(!build.waitForLine("ready").isEmpty());
        const Snapshot s = scan(ws.path());
        QVERIFY2(s.findings.isEmpty(), qPrintable(findingCodes(s).join(u',')));
        QCOMPARE(s.tempFiles.size(), 1);
        QVERIFY(!s.tempFiles.first().orphan);
        QVERIFY2(s.tempFiles.first().reason.contains(QStringLiteral("PID %1 has graph.db open").arg(build.pid())),
            qPrintable(s.tempFiles.first().reason));
        const QList<RepairResult> results = applyPlan(plan);
        QCOMPARE(results.size(), 1);
        QCOMPARE(results.first().outcome, RepairResult::Outcome::Skipped);
        QVERIFY2(results.first().detail.contains(QStringLiteral("graph.db open")), qPrintable(results.first().detail));
        QVERIFY(QFile::exists(tmp));

        QVERIFY(build.send("exit\n"));
        QVERIFY(build.reap() >= 0);
        QCOMPARE(findingCodes(scan(ws.path())), QStringList { QStringLiteral("orphan-tmp") });

        // A program named codegraph working on the workspace (`codegraph watch <ws>`) may be about to
        // build: kept too. The workspace's path alone in some other program's arguments is not that.
        QTemporaryDir bin;
        const QString codegraph = bin.filePath(QStringLiteral("codegraph"));
        QVERIFY(QFile::link(ChildProcess::binary("sw-testchild"), codegraph));
        ChildProcess watcher;
        QVERIFY(watcher.start(codegraph, { QStringLiteral("sleep"), ws.path() }));
        QVERIFY(!watcher.waitForLine("ready").isEmpty());
        const Snapshot watched = scan(ws.path());
        QVERIFY2(watched.findings.isEmpty(), qPrintable(findingCodes(watched).join(u',')));
        QVERIFY(
            watched.tempFiles.first().reason.contains(QStringLiteral("codegraph process PID %1").arg(watcher.pid())));
        QVERIFY(watcher.send("exit\n"));
        QVERIFY(watcher.reap() >= 0);
        ChildProcess other;
        QVERIFY(other.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep"), ws.path() }));
        QVERIFY(!other.waitForLine("ready").isEmpty());
        QCOMPARE(findingCodes(scan(ws.path())), QStringList { QStringLiteral("orphan-tmp") });
    }
};

QTEST_GUILESS_MAIN(TestCodegraphSource)
#include "tst_codegraphsource.moc"
