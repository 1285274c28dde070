// SPDX-License-Identifier: GPL-3.0-or-later
// The codex adapter against state written by the format stand-in and brokers started with the
// upstream argv (`node …/app-server-broker.mjs serve --endpoint unix:… --cwd … --pid-file …`).
#include "childprocess.h"
#include "nodetools.h"
#include "sources/codexsource.h"
#include "testfiles.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <unistd.h>

using namespace Stateward;
using namespace TestFiles;

class TestCodexSource : public QObject
{
    Q_OBJECT

    QTemporaryDir m_data;
    QTemporaryDir m_tmp; // $TMPDIR for the adapter: cxc-* session dirs elsewhere in /tmp are not ours

    QString makeState(const QString& ws, const QStringList& options)
    {
        return NodeTools::makeCodexState(m_data.path(), ws, options);
    }
    static Snapshot scan(const QString& ws, const QString& expectedDir)
    {
        CodexSource source;
        ScanContext context;
        const QStringList dirs = source.stateDirs(ws);
        if (dirs != QStringList { expectedDir })
            qWarning() << "state dirs" << dirs << "expected" << expectedDir;
        return source.scan(ws, dirs.value(0), context);
    }
    static bool startBroker(ChildProcess& broker, const QString& ws, const QString& session)
    {
        if (!broker.start(NodeTools::node(),
                { NodeTools::standin("app-server-broker.mjs"), QStringLiteral("serve"), QStringLiteral("--endpoint"),
                    QStringLiteral("unix:") + session + QLatin1String("/broker.sock"), QStringLiteral("--cwd"), ws,
                    QStringLiteral("--pid-file"), session + QLatin1String("/broker.pid") }))
            return false;
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 20000) {
            if (QFile::exists(session + QLatin1String("/broker.sock"))
                && QFile::exists(session + QLatin1String("/broker.pid")))
                return true;
            QThread::msleep(20);
        }
        return false;
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(NodeTools::missingNode().isEmpty(), qPrintable(NodeTools::missingNode()));
        qputenv("CLAUDE_PLUGIN_DATA", m_data.path().toLocal8Bit());
        qputenv("TMPDIR", m_tmp.path().toLocal8Bit());
        QCOMPARE(QDir::tempPath(), m_tmp.path());
    }

    void stateDirNameMatchesUpstream()
    {
        // docs/formats/codex.md's example: /home/user/my-repo → my-repo-71791e261ad8b552 (no such
        // directory here, so realpath fails and the raw path is hashed, as upstream does).
        QCOMPARE(CodexSource::stateDirName(QStringLiteral("/home/user/my-repo")),
            QStringLiteral("my-repo-71791e261ad8b552"));
    }

    void healthyStateHasNoFindings()
    {
        QTemporaryDir ws;
        const QString dir = makeState(ws.path(), { QStringLiteral("--jobs"), QStringLiteral("5") });
        QVERIFY(!dir.isEmpty());
        const Snapshot s = scan(ws.path(), dir);
        QCOMPARE(s.stateDir, dir);
        QVERIFY2(s.findings.isEmpty(), qPrintable(findingCodes(s).join(u',')));
        QCOMPARE(s.jobs.size(), 5);
        for (const Job& j : s.jobs)
            QVERIFY(j.inIndex && !j.recordFile.isEmpty());
    }

    void typicalProblems()
    {
        QTemporaryDir ws;
        const QString dir = makeState(ws.path(),
            { QStringLiteral("--jobs"), QStringLiteral("3"), QStringLiteral("--dead-running"),
                QStringLiteral("--orphan-job-file"), QStringLiteral("--missing-job-file") });
        QVERIFY(!dir.isEmpty());
        const Snapshot s = scan(ws.path(), dir);
        QCOMPARE(findingCodes(s),
            QStringList({ QStringLiteral("job-dead-running"), QStringLiteral("job-file-missing"),
                QStringLiteral("job-file-unindexed") }));
        for (const Finding& f : s.findings)
            QVERIFY(!f.repairs.isEmpty());
    }

    void corruptStateIsCritical_data()
    {
        QTest::addColumn<QString>("mode");
        QTest::newRow("truncated") << QStringLiteral("truncated");
        QTest::newRow("empty") << QStringLiteral("empty");
        QTest::newRow("garbage") << QStringLiteral("garbage");
    }

    void corruptStateIsCritical()
    {
        QFETCH(QString, mode);
        QTemporaryDir ws;
        const QString dir = makeState(ws.path(), { QStringLiteral("--corrupt-state=") + mode });
        QVERIFY(!dir.isEmpty());
        const QByteArray before = readAll(dir + QLatin1String("/state.json"));
        const Snapshot s = scan(ws.path(), dir);
        QVERIFY(findingCodes(s).contains(QStringLiteral("state-corrupt")));
        QCOMPARE(s.worst(), Severity::Critical);
        QVERIFY(s.findings.first().evidence.contains(QStringLiteral("job files in jobs/ are at risk")));
        QFile f(dir + QLatin1String("/state.json"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), before); // read only
    }

    void overTheLimit()
    {
        QTemporaryDir ws;
        const QString dir = makeState(ws.path(),
            { QStringLiteral("--jobs"), QStringLiteral("55"), QStringLiteral("--statuses"),
                QStringLiteral("completed") });
        const Snapshot s = scan(ws.path(), dir);
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("jobs-over-limit") });
        QVERIFY(s.findings.first().evidence.contains(QStringLiteral("the other 5")));
    }

    void liveBrokerThenKilled()
    {
        QTemporaryDir ws, session;
        ChildProcess broker;
        QVERIFY(startBroker(broker, ws.path(), session.path()));
        const QString dir = makeState(ws.path(),
            { QStringLiteral("--broker-session"), session.path(), QStringLiteral("--broker-pid"),
                QString::number(broker.pid()) });
        Snapshot s = scan(ws.path(), dir);
        QVERIFY2(s.findings.isEmpty(), qPrintable(findingCodes(s).join(u',')));
        QCOMPARE(s.brokers.size(), 1);
        QVERIFY2(s.brokers.first().identityVerified, qPrintable(s.brokers.first().identityEvidence));
        QCOMPARE(s.brokers.first().reachable, std::optional<bool>(true));

        QVERIFY(broker.signal(SIGKILL));
        QVERIFY(broker.reap() >= 0);
        s = scan(ws.path(), dir);
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("broker-dead") });
    }

    void orphanBroker()
    {
        QTemporaryDir ws, named, lost;
        ChildProcess current, orphan;
        QVERIFY(startBroker(current, ws.path(), named.path()));
        QVERIFY(startBroker(orphan, ws.path(), lost.path())); // the loser of a racing start
        const QString dir = makeState(ws.path(),
            { QStringLiteral("--broker-session"), named.path(), QStringLiteral("--broker-pid"),
                QString::number(current.pid()) });
        const Snapshot s = scan(ws.path(), dir);
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("broker-orphan") });
        QVERIFY(s.findings.first().summary.contains(QString::number(orphan.pid())));
        QCOMPARE(namesOf(s.findings.first().repairs), QStringList { QStringLiteral("terminate-orphan") });
        QCOMPARE(s.brokers.size(), 2);
        for (const Broker& b : s.brokers) {
            if (b.pid == orphan.pid())
                QCOMPARE(b.sessionDir, lost.path()); // what a repair cleans after terminating it
        }
    }

    void orphanSessionDirs()
    {
        QTemporaryDir ws;
        const QDir tmp(QDir::tempPath());
        QVERIFY(tmp.mkdir(QStringLiteral("cxc-Live01")));
        ChildProcess live;
        QVERIFY(startBroker(live, ws.path(), tmp.filePath(QStringLiteral("cxc-Live01"))));
        const QString dir = makeState(ws.path(),
            { QStringLiteral("--jobs"), QStringLiteral("1"), QStringLiteral("--broker-session"),
                tmp.filePath(QStringLiteral("cxc-Live01")), QStringLiteral("--broker-pid"),
                QString::number(live.pid()) });
        QVERIFY(!dir.isEmpty());
        // A broker that died without teardown: its pid file names a PID that is gone.
        ChildProcess gone;
        QVERIFY(gone.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        const qint64 deadPid = gone.pid();
        QVERIFY(gone.signal(SIGKILL));
        QVERIFY(gone.reap() >= 0);
        const QString leaked = tmp.filePath(QStringLiteral("cxc-Ab12Cd"));
        QVERIFY(tmp.mkdir(QStringLiteral("cxc-Ab12Cd")));
        writeFile(leaked + QLatin1String("/broker.pid"), QByteArray::number(deadPid) + '\n');
        writeFile(leaked + QLatin1String("/broker.log"), "listening\n");
        // One with no pid file at all, one just made (a broker may be starting), the live broker's
        // (above), a symlink to a leaked dir, and a name mkdtemp never makes.
        const QString empty = tmp.filePath(QStringLiteral("cxc-Zz9yX8"));
        QVERIFY(tmp.mkdir(QStringLiteral("cxc-Zz9yX8")));
        QVERIFY(tmp.mkdir(QStringLiteral("cxc-Fresh1")));
        QVERIFY(QFile::link(leaked, tmp.filePath(QStringLiteral("cxc-Link01"))));
        QVERIFY(tmp.mkdir(QStringLiteral("cxc-not-from-mkdtemp")));
        for (const QString& name : { QStringLiteral("cxc-Ab12Cd/broker.pid"), QStringLiteral("cxc-Ab12Cd/broker.log"),
                 QStringLiteral("cxc-Ab12Cd"), QStringLiteral("cxc-Zz9yX8"), QStringLiteral("cxc-Live01/broker.pid"),
                 QStringLiteral("cxc-Live01"), QStringLiteral("cxc-not-from-mkdtemp") })
            backdate(tmp.filePath(name), 60);

        const Snapshot s = scan(ws.path(), dir);
        QStringList subjects;
        for (const Finding& f : s.findings) {
            QCOMPARE(f.code, QStringLiteral("session-dir-orphan"));
            QCOMPARE(namesOf(f.repairs), QStringList { QStringLiteral("remove-session-dir") });
            subjects.append(f.subject);
        }
        subjects.sort();
        QCOMPARE(subjects, QStringList({ leaked, empty }));
        for (const Finding& f : s.findings) {
            if (f.subject == leaked) {
                QVERIFY2(f.evidence.contains(QStringLiteral("names PID %1, which is dead").arg(deadPid)),
                    qPrintable(f.evidence));
                QVERIFY2(f.evidence.contains(QLatin1String("broker.log (10 bytes)")), qPrintable(f.evidence));
            } else {
                QVERIFY2(f.evidence.startsWith(QLatin1String("no broker.pid; holds empty")), qPrintable(f.evidence));
            }
        }
        QVERIFY(QFileInfo::exists(leaked + QLatin1String("/broker.pid"))); // a scan changes nothing
    }

    void unsafeJobIdIsNeverAPath()
    {
        QTemporaryDir ws;
        const QString dir = makeState(ws.path(), { QStringLiteral("--jobs"), QStringLiteral("1") });
        QFile f(dir + QLatin1String("/state.json"));
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write("{\"version\":1,\"jobs\":[{\"id\":\"../../etc/passwd\",\"status\":\"running\",\"pid\":1}]}");
        f.close();
        const Snapshot s = scan(ws.path(), dir);
        QVERIFY(findingCodes(s).contains(QStringLiteral("job-id-unsafe")));
        for (const Job& j : s.jobs)
            QVERIFY(!j.jobId.contains(QLatin1String("..")));
    }
};

QTEST_GUILESS_MAIN(TestCodexSource)
#include "tst_codexsource.moc"
