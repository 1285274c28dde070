// SPDX-License-Identifier: GPL-3.0-or-later
// `stateward-cli scan` and `repair` on codegraph state written by the real @optave/codegraph 3.11.2
// journal functions (including a holder killed mid-lock), by the real native engine of 3.17.0
// (@optave/codegraph-linux-x64-gnu, which writes the journal header without the journal lock), and
// by the real CodeGraph (@colbymchenry/codegraph 1.6.1), whose .codegraph/ is never judged by
// optave's rules.
#include "childprocess.h"
#include "nodetools.h"
#include "testfiles.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSysInfo>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

class TestInteropCodegraph : public QObject
{
    Q_OBJECT

    static QJsonObject cli(const QStringList& args, int expectedExit)
    {
        QProcess p;
        p.start(ChildProcess::binary("stateward-cli"), args + QStringList { QStringLiteral("--json") });
        if (!p.waitForFinished(30000) || p.exitCode() != expectedExit) {
            qWarning() << args << "exit" << p.exitCode() << p.readAllStandardOutput() << p.readAllStandardError();
            return {};
        }
        return QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    }
    static QJsonObject scan(const QString& ws, int expectedExit)
    {
        return cli({ QStringLiteral("scan"), ws }, expectedExit);
    }
    static QJsonObject snapshot(const QJsonObject& report)
    {
        return report.value(QStringLiteral("snapshots")).toArray().first().toObject();
    }
    // The actions `repair --dry-run` plans for ws.
    static QJsonArray plan(const QString& ws, int expectedExit)
    {
        return cli({ QStringLiteral("repair"), ws, QStringLiteral("--dry-run") }, expectedExit)
            .value(QStringLiteral("plan"))
            .toObject()
            .value(QStringLiteral("actions"))
            .toArray();
    }
    static QStringList outcomesOfRepair(const QString& ws)
    {
        QStringList out;
        for (const QJsonValue& r : cli({ QStringLiteral("repair"), ws, QStringLiteral("--yes") }, 0)
                                       .value(QStringLiteral("results"))
                                       .toArray())
            out.append(r.toObject().value(QStringLiteral("outcome")).toString());
        return out;
    }
    // The optional, platform-bound packages pinned for linux-x64 (codegraph's native engine,
    // CodeGraph's bundle): installed, or missing on linux-x64 (run scripts/deps), or another platform.
    enum class Package
    {
        Installed,
        OtherPlatform,
        Missing
    };
    static Package platformPackage(const char* name)
    {
        if (QFileInfo::exists(
                NodeTools::script("node_modules/") + QLatin1String(name) + QLatin1String("/package.json")))
            return Package::Installed;
        return QSysInfo::currentCpuArchitecture() == QLatin1String("x86_64") ? Package::Missing
                                                                             : Package::OtherPlatform;
    }
#define REQUIRE_PLATFORM_PACKAGE(name)                                                                                 \
    do {                                                                                                               \
        if (platformPackage(name) == Package::OtherPlatform)                                                           \
            QSKIP(name " is pinned for linux-x64 only");                                                               \
        QVERIFY2(platformPackage(name) == Package::Installed, name " is missing: run scripts/deps");                   \
    } while (false)

    static void writeSources(const QString& ws)
    {
        QVERIFY(QDir(ws).mkpath(QStringLiteral("src")));
        TestFiles::writeFile(
            ws + QLatin1String("/src/a.js"), "import { b } from './b.js';\nexport function a() { return b(); }\n");
        TestFiles::writeFile(ws + QLatin1String("/src/b.js"), "export function b() { return 1; }\n");
    }
    // readJournal of the real codegraph JS (3.11.2; 3.17.0's journal.ts parses and locks the same).
    static QJsonObject readJournal(const QString& ws)
    {
        QProcess p;
        p.start(NodeTools::node(), { NodeTools::script("cg-read.mjs"), ws });
        if (!p.waitForFinished(60000) || p.exitCode() != 0)
            return {};
        return QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    }
    static QStringList codes(const QJsonObject& report)
    {
        QStringList c;
        for (const QJsonValue& snap : report.value(QStringLiteral("snapshots")).toArray())
            for (const QJsonValue& f : snap.toObject().value(QStringLiteral("findings")).toArray())
                c.append(f.toObject().value(QStringLiteral("code")).toString());
        c.sort();
        return c;
    }
    static bool run(const char* script, const QStringList& args)
    {
        QProcess p;
        p.start(NodeTools::node(), QStringList { NodeTools::script(script) } + args);
        return p.waitForFinished(60000) && p.exitCode() == 0;
    }

private slots:
    void initTestCase()
    {
        const QString missing = NodeTools::missing();
        QVERIFY2(missing.isEmpty(), qPrintable(missing));
    }

    void appendsLeaveAPlaceholderHeader()
    {
        // appendJournalEntries creates the journal with header timestamp 0, which codegraph itself
        // reads as invalid until a build stamps it: the scan says so, with the entry count.
        QTemporaryDir ws;
        QVERIFY(run("cg-append.mjs", { ws.path(), QStringLiteral("src/file"), QStringLiteral("5") }));
        const QJsonObject report = scan(ws.path(), 1);
        QCOMPARE(report.value(QStringLiteral("schema")).toString(), QStringLiteral("stateward-scan/2"));
        QCOMPARE(codes(report), QStringList { QStringLiteral("journal-placeholder-header") });
        const QJsonObject finding = report.value(QStringLiteral("snapshots"))
                                        .toArray()
                                        .first()
                                        .toObject()
                                        .value(QStringLiteral("findings"))
                                        .toArray()
                                        .first()
                                        .toObject();
        QVERIFY(finding.value(QStringLiteral("evidence")).toString().contains(QStringLiteral("5 changed")));
        QVERIFY(
            finding.value(QStringLiteral("subject")).toString().endsWith(QStringLiteral(".codegraph/changes.journal")));
    }

    void killedHolderIsAStaleLock()
    {
        QTemporaryDir ws;
        ChildProcess holder;
        QVERIFY(holder.start(NodeTools::node(), { NodeTools::script("cg-hold.mjs"), ws.path() }));
        QVERIFY(!holder.waitForLine("inside", 20000).isEmpty());
        const qint64 pid = holder.pid();

        QJsonObject report = scan(ws.path(), 1); // the placeholder header, but the lock is held
        QCOMPARE(codes(report), QStringList { QStringLiteral("journal-placeholder-header") });
        const QJsonObject lock = report.value(QStringLiteral("snapshots"))
                                     .toArray()
                                     .first()
                                     .toObject()
                                     .value(QStringLiteral("locks"))
                                     .toArray()
                                     .first()
                                     .toObject();
        QCOMPARE(lock.value(QStringLiteral("state")).toString(), QStringLiteral("held"));
        QVERIFY(lock.value(QStringLiteral("openHolders")).toArray().contains(QJsonValue(pid)));

        QVERIFY(holder.signal(SIGKILL));
        QVERIFY(holder.reap() >= 0);
        report = scan(ws.path(), 1);
        QCOMPARE(
            codes(report), QStringList({ QStringLiteral("journal-placeholder-header"), QStringLiteral("stale-lock") }));
        QVERIFY(QJsonDocument(report).toJson().contains(QStringLiteral("holder PID %1 is dead").arg(pid).toUtf8()));

        // codegraph recovers by its own rules; the scan then shows no lock at all.
        QVERIFY(run("cg-append-timed.mjs", { ws.path() }));
        report = scan(ws.path(), 1);
        QCOMPARE(codes(report), QStringList { QStringLiteral("journal-placeholder-header") });
        QVERIFY(report.value(QStringLiteral("snapshots"))
                    .toArray()
                    .first()
                    .toObject()
                    .value(QStringLiteral("locks"))
                    .toArray()
                    .isEmpty());
    }

    void native3170WritesTheJournalPastTheLock()
    {
        // codegraph 3.17.0's native engine stamps the journal (changes.journal.tmp, then rename)
        // without changes.journal.lock: a build finishes while a JS writer holds the lock, and the
        // journal it leaves is valid. Stateward reports exactly that: a held lock, no finding.
        REQUIRE_PLATFORM_PACKAGE("@optave/codegraph-linux-x64-gnu");
        QTemporaryDir ws;
        writeSources(ws.path());
        ChildProcess holder;
        QVERIFY(holder.start(NodeTools::node(), { NodeTools::script("cg-hold.mjs"), ws.path() }));
        QVERIFY(!holder.waitForLine("inside", 20000).isEmpty());
        QCOMPARE(codes(scan(ws.path(), 1)), QStringList { QStringLiteral("journal-placeholder-header") });

        QProcess build;
        build.start(NodeTools::node(), { NodeTools::script("cg-native-build.mjs"), ws.path() });
        QVERIFY(build.waitForFinished(120000));
        QVERIFY2(build.exitCode() == 0, build.readAllStandardError().constData());
        const QByteArray built = build.readAllStandardOutput();
        QVERIFY2(
            built.startsWith("built # codegraph-journal v1 ") && !built.startsWith("built # codegraph-journal v1 0\n"),
            built.constData());

        QJsonObject report = scan(ws.path(), 0);
        QCOMPARE(codes(report), QStringList {});
        QJsonObject snap = snapshot(report);
        QCOMPARE(snap.value(QStringLiteral("recognised")).toObject().value(QStringLiteral("tool")).toString(),
            QStringLiteral("@optave/codegraph"));
        const QJsonArray locks = snap.value(QStringLiteral("locks")).toArray();
        QCOMPARE(locks.size(), 1);
        QCOMPARE(locks.first().toObject().value(QStringLiteral("state")).toString(), QStringLiteral("held"));
        QVERIFY(snap.value(QStringLiteral("tempFiles")).toArray().isEmpty());

        // The holder dies: its lock is the one real problem; the repair clears it, and the journal
        // then takes appends and reads in full by codegraph's own reader.
        QVERIFY(holder.signal(SIGKILL));
        QVERIFY(holder.reap() >= 0);
        QCOMPARE(codes(scan(ws.path(), 1)), QStringList { QStringLiteral("stale-lock") });
        QCOMPARE(outcomesOfRepair(ws.path()), QStringList { QStringLiteral("applied") });
        QVERIFY(run("cg-append.mjs", { ws.path(), QStringLiteral("src/c"), QStringLiteral("3") }));
        QCOMPARE(codes(scan(ws.path(), 0)), QStringList {});
        const QJsonObject journal = readJournal(ws.path());
        QCOMPARE(journal.value(QStringLiteral("valid")).toBool(), true);
        QStringList changed;
        for (const QJsonValue& v : journal.value(QStringLiteral("changed")).toArray())
            changed.append(v.toString());
        QCOMPARE(
            changed, QStringList({ QStringLiteral("src/c-0"), QStringLiteral("src/c-1"), QStringLiteral("src/c-2") }));
    }

    void journalTmpIsKeptWhileCodegraphRuns()
    {
        // A changes.journal.tmp is the native engine's, written without any lock: while a codegraph
        // process has the database open it may still be renamed into place, however old it is.
        REQUIRE_PLATFORM_PACKAGE("@optave/codegraph-linux-x64-gnu");
        QTemporaryDir ws;
        writeSources(ws.path());
        ChildProcess build;
        QVERIFY(build.start(
            NodeTools::node(), { NodeTools::script("cg-native-build.mjs"), ws.path(), QStringLiteral("hold") }));
        QVERIFY(!build.waitForLine("built", 120000).isEmpty());
        const QString tmp = ws.filePath(QStringLiteral(".codegraph/changes.journal.tmp"));
        TestFiles::writeFile(tmp, "# codegraph-journal v1 1700000000000\n"); // a build cut short before its rename
        TestFiles::backdate(tmp, 120);

        QJsonObject report = scan(ws.path(), 0);
        QCOMPARE(codes(report), QStringList {});
        const QJsonArray tmps = snapshot(report).value(QStringLiteral("tempFiles")).toArray();
        QCOMPARE(tmps.size(), 1);
        QCOMPARE(tmps.first().toObject().value(QStringLiteral("orphan")).toBool(true), false);
        QVERIFY2(tmps.first()
                     .toObject()
                     .value(QStringLiteral("reason"))
                     .toString()
                     .contains(QStringLiteral("graph.db open")),
            qPrintable(tmps.first().toObject().value(QStringLiteral("reason")).toString()));
        QVERIFY(plan(ws.path(), 0).isEmpty());

        build.closeStdin();
        QVERIFY(!build.waitForLine("closed", 30000).isEmpty());
        QCOMPARE(build.reap(), 0);
        QCOMPARE(codes(scan(ws.path(), 1)), QStringList { QStringLiteral("orphan-tmp") });
        QCOMPARE(outcomesOfRepair(ws.path()), QStringList { QStringLiteral("applied") });
        QCOMPARE(codes(scan(ws.path(), 0)), QStringList {});
        QVERIFY(!QFile::exists(tmp));
    }

    void codeGraphFolderIsShownNeverJudged()
    {
        // CodeGraph (@colbymchenry/codegraph) keeps its own .codegraph/: its real `codegraph init`
        // and its real locks give no optave finding and no repair; the locks are shown as they are.
        REQUIRE_PLATFORM_PACKAGE("@colbymchenry/codegraph-linux-x64");
        QTemporaryDir ws;
        QTemporaryDir home;
        writeSources(ws.path());
        QProcess init;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("HOME"), home.path());
        env.insert(QStringLiteral("DO_NOT_TRACK"), QStringLiteral("1")); // its telemetry stays off
        env.insert(QStringLiteral("CODEGRAPH_NO_DOWNLOAD"), QStringLiteral("1"));
        env.remove(QStringLiteral("CODEGRAPH_DIR"));
        init.setProcessEnvironment(env);
        init.setWorkingDirectory(ws.path());
        init.start(NodeTools::script("node_modules/@colbymchenry/codegraph-linux-x64/bin/codegraph"),
            { QStringLiteral("init"), QStringLiteral("-y"), ws.path() });
        QVERIFY(init.waitForFinished(180000));
        QVERIFY2(init.exitCode() == 0, init.readAllStandardError().constData());
        QVERIFY(QFile::exists(ws.filePath(QStringLiteral(".codegraph/codegraph.db"))));

        QJsonObject report = scan(ws.path(), 0);
        QCOMPARE(codes(report), QStringList {});
        QCOMPARE(
            snapshot(report).value(QStringLiteral("recognised")).toObject().value(QStringLiteral("tool")).toString(),
            QStringLiteral("@colbymchenry/codegraph"));

        ChildProcess holder;
        QVERIFY(holder.start(NodeTools::node(), { NodeTools::script("cbm-hold.mjs"), ws.path() }));
        const QByteArray held = holder.waitForLine("held", 30000);
        QVERIFY(!held.isEmpty());
        const qint64 pid = holder.pid();
        report = scan(ws.path(), 0);
        QCOMPARE(codes(report), QStringList {});
        QJsonObject snap = snapshot(report);
        QJsonArray locks = snap.value(QStringLiteral("locks")).toArray();
        QCOMPARE(locks.size(), 1);
        QVERIFY(locks.first()
                    .toObject()
                    .value(QStringLiteral("path"))
                    .toString()
                    .endsWith(QStringLiteral("/codegraph.lock")));
        QCOMPARE(locks.first().toObject().value(QStringLiteral("state")).toString(), QStringLiteral("held"));
        QJsonArray pidFiles = snap.value(QStringLiteral("brokers")).toArray();
        QCOMPARE(pidFiles.size(), 2); // daemon.pid, writer.pid
        for (const QJsonValue& b : std::as_const(pidFiles)) {
            QCOMPARE(b.toObject().value(QStringLiteral("pid")).toInteger(), pid);
            QCOMPARE(b.toObject().value(QStringLiteral("liveness")).toString(), QStringLiteral("alive"));
        }
        QVERIFY(plan(ws.path(), 0).isEmpty());

        QVERIFY(holder.signal(SIGKILL));
        QVERIFY(holder.reap() >= 0);
        report = scan(ws.path(), 0);
        QCOMPARE(codes(report), QStringList {});
        snap = snapshot(report);
        locks = snap.value(QStringLiteral("locks")).toArray();
        QCOMPARE(locks.size(), 1);
        QCOMPARE(locks.first().toObject().value(QStringLiteral("state")).toString(), QStringLiteral("stale"));
        QCOMPARE(locks.first().toObject().value(QStringLiteral("removable")).toBool(true), false);
        pidFiles = snap.value(QStringLiteral("brokers")).toArray();
        QCOMPARE(pidFiles.size(), 2);
        for (const QJsonValue& b : std::as_const(pidFiles))
            QCOMPARE(b.toObject().value(QStringLiteral("liveness")).toString(), QStringLiteral("dead"));
        QVERIFY(plan(ws.path(), 0).isEmpty());
        QVERIFY(QFile::exists(ws.filePath(QStringLiteral(".codegraph/codegraph.lock"))));
    }
};

QTEST_GUILESS_MAIN(TestInteropCodegraph)
#include "tst_interop_codegraph.moc"
