// SPDX-License-Identifier: GPL-3.0-or-later
// The gstack adapter against a live stand-in daemon started with gstack's own argv shape
// (`bun run …/server.ts`, BROWSE_STATE_FILE in its environment): healthy, unhealthy, orphaned,
// killed, PID-reused, and malformed state files.
#include "childprocess.h"
#include "gstackdaemon.h"
#include "lock/lockfile.h"
#include "nodetools.h"
#include "repair/repair.h"
#include "sources/gstacksource.h"
#include "testfiles.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSysInfo>
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
    QTemporaryDir m_gstackHome; // $GSTACK_HOME: the machine's own Chromium profile takes no part

    // `now`: the moment the scan judges as of (a daemon's start-up grace); default the real one.
    static Snapshot scan(const QString& ws, const QDateTime& now = {})
    {
        GstackSource source;
        ScanContext context;
        if (now.isValid())
            context.setNow(now);
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
        qputenv("GSTACK_HOME", QFile::encodeName(m_gstackHome.path()));
    }

    static QDateTime pastGrace(qint64 pid)
    {
        return inspectProcess(pid).startTime.addSecs(GstackSource::kDaemonGraceSecs + 1);
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
        Snapshot s = scan(ws.path(), pastGrace(daemon.pid()));
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
        context.setNow(pastGrace(daemon.pid())); // past its start-up grace
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

    // D10 for daemons: one started a moment ago, before it wrote browse.json (it does once its port
    // is bound; gstack's CLI waits up to 15 s), is no orphan; past the start-up grace it is.
    void daemonStillStartingIsNoOrphan()
    {
        QTemporaryDir ws;
        QVERIFY(QDir(ws.path()).mkdir(QStringLiteral(".gstack")));
        ChildProcess daemon;
        QVERIFY(startDaemon(daemon, ws.path()));
        QVERIFY(QFile::remove(ws.filePath(QStringLiteral(".gstack/browse.json"))));
        const QDateTime started = inspectProcess(daemon.pid()).startTime;
        QVERIFY(started.isValid());
        Snapshot s = scan(ws.path(), started.addMSecs(300));
        QVERIFY2(s.findings.isEmpty(), qPrintable(findingCodes(s).join(u',')));
        QVERIFY(planRepairs({ s }, orphanCleanupKinds()).actions.isEmpty());
        s = scan(ws.path(), started.addSecs(GstackSource::kDaemonGraceSecs + 1));
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("daemon-orphan") });
        QVERIFY(s.recognised.known());
    }

    // gstack #2627: with neither TMPDIR nor TMP set, the /codex skill's mktemp scratch files land in
    // .gstack/tmp/ and stay when a run is cut short. Litter by the owner-aware rules: open by someone,
    // or younger than a skill run, is in use; a name no gstack file has is left alone.
    void codexScratchLitter()
    {
        QTemporaryDir ws;
        const QString tmp = ws.filePath(QStringLiteral(".gstack/tmp"));
        QVERIFY(QDir().mkpath(tmp));
        const QString old = tmp + QLatin1String("/codex-err-a1B2c3"), held = tmp + QLatin1String("/codex-resp-Zz9Yy8"),
                      fresh = tmp + QLatin1String("/codex-prompt-Qq1Ww2"),
                      literal = tmp + QLatin1String("/codex-err-XXXXXX.txt"),
                      foreign = tmp + QLatin1String("/notes-a1B2c3");
        for (const QString& f : { old, held, fresh, literal, foreign })
            writeFile(f, "scratch\n");
        for (const QString& f : { old, held, literal, foreign })
            backdate(f, 2 * 3600);
        QFile open(held);
        QVERIFY(open.open(QIODevice::ReadOnly)); // a codex run still writing it
        const Snapshot s = scan(ws.path());
        QStringList orphans;
        for (const Finding& f : s.findings) {
            QCOMPARE(f.code, QStringLiteral("orphan-tmp"));
            QCOMPARE(namesOf(f.repairs), QStringList { QStringLiteral("sweep-tmp") });
            orphans.append(f.target.path);
        }
        orphans.sort();
        QStringList expected { old, literal };
        expected.sort();
        QCOMPARE(orphans, expected);
        QStringList listed;
        for (const TempFile& t : s.tempFiles)
            listed.append(t.path);
        listed.sort();
        expected = QStringList { old, literal, fresh, held };
        expected.sort();
        QCOMPARE(listed, expected);
        QCOMPARE(s.recognised.tool, QStringLiteral("gstack (garrytan/gstack)"));
        QVERIFY2(s.recognised.evidence.contains(QLatin1String("4 /codex scratch files in tmp/")),
            qPrintable(s.recognised.evidence));

        const RepairPlan plan = planRepairs({ s });
        QCOMPARE(plan.actions.size(), 2);
        for (const RepairResult& r : applyPlan(plan))
            QVERIFY2(r.outcome == RepairResult::Outcome::Applied, qPrintable(r.detail));
        for (const QString& f : { held, fresh, foreign })
            QVERIFY(QFileInfo::exists(f));
        QVERIFY(!QFileInfo::exists(old) && !QFileInfo::exists(literal));
    }

    // gstack #2817: Chromium's SingletonLock in ~/.gstack/chromium-profile/ (one profile for every
    // project) is a symlink whose target is "<host>-<pid>". Its target is read, never followed; the
    // holder is judged by liveness, a PID on another host is not judged at all, and it is never
    // removed (Chromium and gstack clear a dead holder's lock themselves).
    void chromiumSingletonLock()
    {
        QTemporaryDir ws;
        QVERIFY(QDir(ws.path()).mkdir(QStringLiteral(".gstack")));
        const QString lock = GstackSource::chromiumProfileLock();
        QCOMPARE(lock, m_gstackHome.filePath(QStringLiteral("chromium-profile/SingletonLock")));
        QVERIFY(QDir().mkpath(QFileInfo(lock).path()));
        const QString host = QSysInfo::machineHostName();
        const auto verdictWith = [&](const QString& target) {
            QFile::remove(lock);
            if (!QFile::link(target, lock))
                return LockVerdict {};
            const Snapshot s = scan(ws.path());
            for (const LockHolder& l : s.locks) {
                if (l.verdict.path == lock) {
                    if (!s.findings.isEmpty())
                        qWarning() << findingCodes(s);
                    return s.findings.isEmpty() ? l.verdict : LockVerdict {};
                }
            }
            return LockVerdict {};
        };

        ChildProcess chromium;
        QVERIFY(chromium.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        QVERIFY(!chromium.waitForLine("ready").isEmpty());
        LockVerdict v = verdictWith(host + QLatin1Char('-') + QString::number(chromium.pid()));
        QCOMPARE(v.dialect, LockDialect::ChromiumSingleton);
        QCOMPARE(v.state, LockState::Held);
        QCOMPARE(v.content.pid, qint64(chromium.pid()));
        QCOMPARE(v.content.host, host);

        const qint64 pid = chromium.pid();
        QVERIFY(chromium.signal(SIGKILL));
        QVERIFY(chromium.reap() >= 0);
        v = verdictWith(host + QLatin1Char('-') + QString::number(pid));
        QCOMPARE(v.state, LockState::Stale);
        QVERIFY(!v.removable);
        QVERIFY2(v.reason.contains(QString::number(pid)), qPrintable(v.reason));
        const ClearResult cleared = clearStaleLock(lock);
        QVERIFY(!cleared.cleared);
        QVERIFY(QFileInfo(lock).isSymLink());

        // Another host's Chromium: its PID means nothing here.
        v = verdictWith(QStringLiteral("other-host.example-%1").arg(pid));
        QCOMPARE(v.state, LockState::Unknown);
        QCOMPARE(v.content.host, QStringLiteral("other-host.example"));
        QVERIFY(v.foreignHost);

        // A link to a real file: its text is the content, the file is never opened.
        const QString decoy = m_gstackHome.filePath(QStringLiteral("decoy"));
        writeFile(decoy, QByteArray::number(::getpid()) + '\n');
        v = verdictWith(decoy);
        QCOMPARE(v.dialect, LockDialect::ChromiumSingleton);
        QCOMPARE(v.state, LockState::Unknown);
        QCOMPARE(v.content.pid, qint64(-1));
        QVERIFY(QFile::remove(lock));
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
