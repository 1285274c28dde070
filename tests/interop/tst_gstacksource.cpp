// SPDX-License-Identifier: GPL-3.0-or-later
// The gstack adapter against a live stand-in daemon started with gstack's own argv shape
// (`bun run …/server.ts`, BROWSE_STATE_FILE in its environment): healthy, unhealthy, orphaned,
// killed, PID-reused, and malformed state files.
#include "childprocess.h"
#include "gstackdaemon.h"
#include "nodetools.h"
#include "repair/repair.h"
#include "sources/gstacksource.h"
#include "testfiles.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <sys/stat.h>

using namespace Stateward;
using namespace TestFiles;

class TestGstackSource : public QObject
{
    Q_OBJECT

    GstackDaemonTools m_gstack;

    static Snapshot scan(const QString& ws)
    {
        GstackSource source;
        ScanContext context;
        return source.scan(ws, source.stateDirs(ws).value(0), context);
    }

    bool startDaemon(ChildProcess& daemon, const QString& ws, const QByteArray& extraEnv = {})
    {
        return m_gstack.start(daemon, ws, extraEnv);
    }

private slots:
    void initTestCase()
    {
        const QString why = m_gstack.setUp();
        QVERIFY2(why.isEmpty(), qPrintable(why));
    }

    void healthyDaemon()
    {
        QTemporaryDir ws;
        QVERIFY(QDir(ws.path()).mkdir(QStringLiteral(".gstack")));
        ChildProcess daemon;
        QVERIFY(startDaemon(daemon, ws.path()));
        const Snapshot s = scan(ws.path());
        QVERIFY2(s.findings.isEmpty(), qPrintable(findingCodes(s).join(u',')));
        QCOMPARE(s.brokers.size(), 1);
        const Broker& b = s.brokers.first();
        QCOMPARE(b.pid, qint64(daemon.pid()));
        QVERIFY2(b.identityVerified, qPrintable(b.identityEvidence));
        QCOMPARE(b.reachable, std::optional<bool>(true));
        QVERIFY(b.identityEvidence.contains(QStringLiteral("bun run")));
    }

    void unhealthyDaemonIsReportedNotKilled()
    {
        QTemporaryDir ws;
        QVERIFY(QDir(ws.path()).mkdir(QStringLiteral(".gstack")));
        ChildProcess daemon;
        QVERIFY(startDaemon(daemon, ws.path(), "STANDIN_UNHEALTHY=1"));
        const Snapshot s = scan(ws.path());
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("daemon-unhealthy") });
        QVERIFY(s.findings.first().evidence.contains(QStringLiteral("unhealthy")));
        QVERIFY(s.findings.first().repairs.isEmpty()); // gstack never auto-kills a live daemon
    }

    void orphanThenDead()
    {
        QTemporaryDir ws;
        QVERIFY(QDir(ws.path()).mkdir(QStringLiteral(".gstack")));
        const QString stateFile = ws.filePath(QStringLiteral(".gstack/browse.json"));
        ChildProcess daemon;
        QVERIFY(startDaemon(daemon, ws.path()));
        QFile saved(stateFile);
        QVERIFY(saved.open(QIODevice::ReadOnly));
        const QByteArray state = saved.readAll();
        saved.close();

        // A racing start deleted browse.json: the daemon lives on, named by nothing.
        QVERIFY(QFile::remove(stateFile));
        Snapshot s = scan(ws.path());
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("daemon-orphan") });
        QCOMPARE(s.brokers.size(), 1);
        QCOMPARE(s.brokers.first().pid, qint64(daemon.pid()));
        QCOMPARE(namesOf(s.findings.first().repairs), QStringList { QStringLiteral("terminate-orphan") });

        // Killed (SIGKILL: no cleanup), its state file back in place: a stale state file.
        const qint64 pid = daemon.pid();
        QVERIFY(daemon.signal(SIGKILL));
        QVERIFY(daemon.reap() >= 0);
        writeFile(stateFile, state);
        s = scan(ws.path());
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("daemon-dead") });
        QVERIFY(s.findings.first().evidence.contains(QString::number(pid)));
        QCOMPARE(namesOf(s.findings.first().repairs), QStringList { QStringLiteral("remove-state-file") });
    }

    // The orphan is signalled only through terminate-orphan, after the daemon's identity
    // (BROWSE_STATE_FILE names this browse.json, which does not name it) is checked on the live process.
    void orphanTerminatedByRepair()
    {
        QTemporaryDir ws;
        QVERIFY(QDir(ws.path()).mkdir(QStringLiteral(".gstack")));
        ChildProcess daemon;
        QVERIFY(startDaemon(daemon, ws.path()));
        QVERIFY(QFile::remove(ws.filePath(QStringLiteral(".gstack/browse.json"))));
        ScanContext context;
        QVERIFY(planRepairs(scanWorkspace(ws.path(), context)).actions.isEmpty()); // never without asking
        const RepairPlan plan = planRepairs(scanWorkspace(ws.path(), context), orphanCleanupKinds());
        QCOMPARE(plan.actions.size(), 1);
        QCOMPARE(nameOf(plan.actions.first().kind), QStringLiteral("terminate-orphan"));
        QCOMPARE(plan.actions.first().pid, qint64(daemon.pid()));
        // A racing start wrote browse.json naming it again before the repair ran: no longer an orphan.
        writeFile(ws.filePath(QStringLiteral(".gstack/browse.json")),
            QStringLiteral(R"({"pid":%1,"port":1})").arg(daemon.pid()).toUtf8());
        QList<RepairResult> results = applyPlan(plan);
        QCOMPARE(results.first().outcome, RepairResult::Outcome::Skipped);
        QVERIFY2(results.first().detail.contains(QLatin1String("names")), qPrintable(results.first().detail));
        QVERIFY(inspectProcess(daemon.pid()).isAlive());
        QVERIFY(QFile::remove(ws.filePath(QStringLiteral(".gstack/browse.json"))));
        results = applyPlan(plan);
        QVERIFY2(results.first().outcome == RepairResult::Outcome::Applied, qPrintable(results.first().detail));
        QVERIFY(daemon.reap(5000) >= 0);
    }

    void reusedAndForeignPids()
    {
        QTemporaryDir ws;
        QVERIFY(QDir(ws.path()).mkdir(QStringLiteral(".gstack")));
        const QString stateFile = ws.filePath(QStringLiteral(".gstack/browse.json"));
        ChildProcess other;
        QVERIFY(other.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        QVERIFY(!other.waitForLine("ready").isEmpty());
        const QByteArray pid = QByteArray::number(other.pid());
        const QByteArray before = QDateTime::currentDateTimeUtc().addSecs(-60).toString(Qt::ISODateWithMs).toLatin1();
        writeFile(stateFile, "{\"pid\": " + pid + ", \"port\": 1, \"startedAt\": \"" + before + "\"}");
        QCOMPARE(findingCodes(scan(ws.path())), QStringList { QStringLiteral("daemon-pid-reused") });

        // Started before the record, but not gstack: argv and environment both disagree.
        const QByteArray after = QDateTime::currentDateTimeUtc().addSecs(5).toString(Qt::ISODateWithMs).toLatin1();
        writeFile(stateFile, "{\"pid\": " + pid + ", \"port\": 1, \"startedAt\": \"" + after + "\"}");
        const Snapshot s = scan(ws.path());
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("daemon-unverified") });
        QVERIFY(s.findings.first().evidence.contains(QStringLiteral("sw-testchild")));
    }

    void badStateFiles_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("code");
        QTest::newRow("zero bytes") << QByteArray() << QStringLiteral("state-file-empty");
        QTest::newRow("truncated") << QByteArray("{\"pid\": 12, \"po") << QStringLiteral("state-file-malformed");
        QTest::newRow("array") << QByteArray("[1,2]") << QStringLiteral("state-file-malformed");
        QTest::newRow("pid text") << QByteArray("{\"pid\": \"12\"}") << QStringLiteral("state-file-malformed");
        QTest::newRow("huge") << QByteArray(2 * 1024 * 1024, ' ') << QStringLiteral("state-file-too-large");
    }

    void badStateFiles()
    {
        QFETCH(QByteArray, content);
        QFETCH(QString, code);
        QTemporaryDir ws;
        QVERIFY(QDir(ws.path()).mkdir(QStringLiteral(".gstack")));
        const QString stateFile = ws.filePath(QStringLiteral(".gstack/browse.json"));
        writeFile(stateFile, content);
        const Snapshot s = scan(ws.path());
        QCOMPARE(findingCodes(s), QStringList { code });
        QCOMPARE(s.findings.first().subject, stateFile);
        QCOMPARE(QFileInfo(stateFile).size(), content.size()); // read only
    }

    // A FIFO named browse.json: a plain open() for reading would wait for a writer forever.
    void fifoStateFileDoesNotBlock()
    {
        QTemporaryDir ws;
        QVERIFY(QDir(ws.path()).mkdir(QStringLiteral(".gstack")));
        const QString stateFile = ws.filePath(QStringLiteral(".gstack/browse.json"));
        QCOMPARE(::mkfifo(QFile::encodeName(stateFile).constData(), 0600), 0);
        const Snapshot s = scan(ws.path());
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("state-file-unreadable") });
        QVERIFY2(s.findings.first().evidence.contains(QLatin1String("not a regular file")),
            qPrintable(s.findings.first().evidence));
    }

    void symlinkedStateFile()
    {
        QTemporaryDir ws, elsewhere;
        QVERIFY(QDir(ws.path()).mkdir(QStringLiteral(".gstack")));
        writeFile(elsewhere.filePath(QStringLiteral("x.json")), "{\"pid\": 1}");
        QVERIFY(QFile::link(
            elsewhere.filePath(QStringLiteral("x.json")), ws.filePath(QStringLiteral(".gstack/browse.json"))));
        QCOMPARE(findingCodes(scan(ws.path())), QStringList { QStringLiteral("state-file-symlink") });
    }
};

QTEST_GUILESS_MAIN(TestGstackSource)
#include "tst_gstacksource.moc"
