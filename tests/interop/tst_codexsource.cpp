// SPDX-License-Identifier: GPL-3.0-or-later
// The codex adapter against state written by the format stand-in and brokers started with the
// upstream argv (`node …/app-server-broker.mjs serve --endpoint unix:… --cwd … --pid-file …`).
#include "childprocess.h"
#include "clirun.h"
#include "nodetools.h"
#include "repair/repair.h"
#include "sources/codexsource.h"
#include "testfiles.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <grp.h>
#include <sys/stat.h>
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
    // `now`: the moment the scan judges as of (a broker's start-up grace); default the real one.
    static Snapshot scan(const QString& ws, const QString& expectedDir, const QDateTime& now = {})
    {
        CodexSource source;
        ScanContext context;
        if (now.isValid())
            context.setNow(now);
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

    static QDateTime pastGrace(qint64 pid)
    {
        return inspectProcess(pid).startTime.addSecs(CodexSource::kBrokerGraceSecs + 1);
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(NodeTools::missingNode().isEmpty(), qPrintable(NodeTools::missingNode()));
        qputenv("CLAUDE_PLUGIN_DATA", m_data.path().toLocal8Bit());
        qputenv("TMPDIR", m_tmp.path().toLocal8Bit());
        QCOMPARE(QDir::tempPath(), m_tmp.path());
    }

    // Each test's $TMPDIR/cxc-* dirs are its own: none is left for the next (their brokers are gone).
    void cleanup()
    {
        for (const QFileInfo& d :
            QDir(QDir::tempPath())
                .entryInfoList({ QStringLiteral("cxc-*") }, QDir::AllEntries | QDir::System | QDir::NoDotAndDotDot)) {
            if (d.isSymLink() || !d.isDir())
                QFile::remove(d.absoluteFilePath());
            else
                QDir(d.absoluteFilePath()).removeRecursively();
        }
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
        // As of past its start-up grace: a broker younger than that may still be named (below).
        const Snapshot s = scan(ws.path(), dir, pastGrace(orphan.pid()));
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

    // D10: a broker started 0.3 s ago, before its companion wrote broker.json (upstream does so only
    // once the broker answers, up to 2 s later), is no orphan and nothing plans to terminate it; the
    // same process past the start-up grace is one. Judged as of moments the test sets, never a race.
    void brokerStillStartingIsNoOrphan()
    {
        QTemporaryDir ws, named, starting;
        ChildProcess current, young;
        QVERIFY(startBroker(current, ws.path(), named.path()));
        QVERIFY(startBroker(young, ws.path(), starting.path()));
        const QString dir = makeState(ws.path(),
            { QStringLiteral("--broker-session"), named.path(), QStringLiteral("--broker-pid"),
                QString::number(current.pid()) });
        const QDateTime started = inspectProcess(young.pid()).startTime;
        QVERIFY(started.isValid());

        Snapshot s = scan(ws.path(), dir, started.addMSecs(300));
        QVERIFY2(!findingCodes(s).contains(QStringLiteral("broker-orphan")), qPrintable(findingCodes(s).join(u',')));
        for (const RepairAction& a : planRepairs({ s }, orphanCleanupKinds()).actions)
            QVERIFY2(a.kind != RepairKind::TerminateOrphan, qPrintable(a.id));

        s = scan(ws.path(), dir, started.addSecs(CodexSource::kBrokerGraceSecs + 1));
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("broker-orphan") });
        QVERIFY(s.findings.first().summary.contains(QString::number(young.pid())));
        QVERIFY(inspectProcess(young.pid()).isAlive());
    }

    // Per plugin: the same workspace has a state dir under each plugin data folder. A broker whose
    // companion used another plugin's folder ($CLAUDE_PLUGIN_DATA in its environment) is never an
    // orphan of this one's state, and each state dir says whose it is.
    void orphansAreMatchedPerPlugin()
    {
        QTemporaryDir ws, named, other, otherData;
        ChildProcess current, foreign;
        QVERIFY(startBroker(current, ws.path(), named.path()));
        {
            const QByteArray saved = qgetenv("CLAUDE_PLUGIN_DATA");
            qputenv("CLAUDE_PLUGIN_DATA", otherData.path().toLocal8Bit()); // another plugin's companion
            const bool started = startBroker(foreign, ws.path(), other.path());
            qputenv("CLAUDE_PLUGIN_DATA", saved);
            QVERIFY(started);
        }
        const QString dir = makeState(ws.path(),
            { QStringLiteral("--jobs"), QStringLiteral("2"), QStringLiteral("--broker-session"), named.path(),
                QStringLiteral("--broker-pid"), QString::number(current.pid()) });
        const Snapshot s = scan(ws.path(), dir, pastGrace(foreign.pid()));
        QVERIFY2(s.findings.isEmpty(), qPrintable(findingCodes(s).join(u',')));
        const QString why = CodexSource::orphanBrokerMismatch(inspectProcess(foreign.pid()), dir, current.pid());
        QVERIFY2(why.contains(QLatin1String("state root")), qPrintable(why));
        // The foreign broker is an orphan of its own plugin's state dir for the workspace.
        const QString otherDir
            = QDir(otherData.path()).filePath(QStringLiteral("state/") + CodexSource::stateDirName(ws.path()));
        QVERIFY(QDir().mkpath(otherDir));
        QCOMPARE(CodexSource::orphanBrokerMismatch(inspectProcess(foreign.pid()), otherDir, -1), QString());

        // Whose it is: the companion's layout (state.json of its shape, job files, broker.json).
        QVERIFY2(s.recognised.known(), qPrintable(s.recognised.evidence));
        QCOMPARE(s.recognised.tool, QStringLiteral("codex companion (openai/codex-plugin-cc)"));
        QVERIFY2(s.recognised.evidence.contains(QLatin1String("state.json {version, config, jobs}")),
            qPrintable(s.recognised.evidence));
        QVERIFY2(s.recognised.evidence.contains(QLatin1String("2 jobs/*.json")), qPrintable(s.recognised.evidence));
        QVERIFY2(s.recognised.layout.contains(QLatin1String("broker.json")), qPrintable(s.recognised.layout));
    }

    // Plugins that copy the companion's layout keep their state under their own plugin data folder
    // (~/.claude/plugins/data/<plugin>-<marketplace>/state/): every such folder is searched, and each
    // state dir names the plugin it lies under.
    void everyPluginDataFolderIsSearched()
    {
        QTemporaryDir home, ws;
        const QByteArray savedHome = qgetenv("HOME");
        qputenv("HOME", home.path().toLocal8Bit());
        const QString plugins = home.filePath(QStringLiteral(".claude/plugins/data"));
        const QString codex = NodeTools::makeCodexState(plugins + QLatin1String("/codex-openai-codex"), ws.path(),
            { QStringLiteral("--jobs"), QStringLiteral("1") });
        const QString kimi = NodeTools::makeCodexState(plugins + QLatin1String("/kimi-kimi-plugin-cc"), ws.path(),
            { QStringLiteral("--jobs"), QStringLiteral("1") });
        CodexSource source;
        const QStringList dirs = source.stateDirs(ws.path());
        qputenv("HOME", savedHome);
        QVERIFY(!codex.isEmpty() && !kimi.isEmpty());
        QVERIFY2(dirs.contains(codex) && dirs.contains(kimi), qPrintable(dirs.join(u' ')));
        qputenv("HOME", home.path().toLocal8Bit());
        ScanContext context;
        const Snapshot a = source.scan(ws.path(), codex, context);
        const Snapshot b = source.scan(ws.path(), kimi, context);
        qputenv("HOME", savedHome);
        QCOMPARE(a.recognised.tool, QStringLiteral("codex companion (openai/codex-plugin-cc)"));
        QVERIFY2(a.recognised.evidence.contains(QLatin1String("~/.claude/plugins/data/codex-openai-codex/state")),
            qPrintable(a.recognised.evidence));
        QCOMPARE(b.recognised.tool, QStringLiteral("kimi-kimi-plugin-cc (copies the codex companion's layout)"));
    }

    // D9: workspace B's broker died and its broker.json names its $TMPDIR/cxc-* dir. The dir is B's:
    // A's scan does not list it, A's repair never sweeps it (not even from a plan made earlier),
    // and B's own repair does, into B's quarantine where `undo B` sees it.
    void sessionDirNamedByAnotherWorkspaceIsTheirs()
    {
        QTemporaryDir wsA, wsB;
        const QDir tmp(QDir::tempPath());
        const QString session = tmp.filePath(QStringLiteral("cxc-WsB001"));
        QVERIFY(tmp.mkdir(QStringLiteral("cxc-WsB001")));
        const qint64 dead = ChildProcess::deadPid();
        writeFile(session + QLatin1String("/broker.pid"), QByteArray::number(dead) + '\n');
        const QString dirA = makeState(wsA.path(), { QStringLiteral("--jobs"), QStringLiteral("1") });
        const QString dirB = makeState(wsB.path(),
            { QStringLiteral("--jobs"), QStringLiteral("1"), QStringLiteral("--broker-session"), session,
                QStringLiteral("--broker-pid"), QString::number(dead) });
        QVERIFY(!dirA.isEmpty() && !dirB.isEmpty());
        backdate(session + QLatin1String("/broker.pid"), 60);
        backdate(session, 60);

        const Snapshot a = scan(wsA.path(), dirA);
        for (const Finding& f : a.findings)
            QVERIFY2(f.target.path != session, qPrintable(f.id));
        for (const RepairAction& action : planRepairs({ a }, orphanCleanupKinds()).actions)
            QVERIFY2(action.sessionDir != session, qPrintable(action.id));
        RepairAction forced; // as a plan made before B's broker.json named it would hold it
        forced.kind = RepairKind::RemoveSessionDir;
        forced.kinds = { forced.kind };
        forced.family = Family::Codex;
        forced.workspace = wsA.path();
        forced.stateDir = dirA;
        forced.target = session;
        forced.sessionDir = session;
        forced.id = QStringLiteral("remove-session-dir:") + session;
        QList<RepairResult> results = applyPlan(RepairPlan { { forced }, {} });
        QCOMPARE(results.first().outcome, RepairResult::Outcome::Skipped);
        QVERIFY2(results.first().detail.contains(QLatin1String("belongs to that workspace")),
            qPrintable(results.first().detail));
        QVERIFY(QFileInfo::exists(session + QLatin1String("/broker.pid")));

        const Snapshot b = scan(wsB.path(), dirB);
        bool listed = false;
        for (const Finding& f : b.findings) {
            if (f.code == QLatin1String("session-dir-orphan") && f.target.path == session) {
                listed = true;
                QVERIFY2(f.evidence.contains(QLatin1String("this workspace's broker.json names it")),
                    qPrintable(f.evidence));
            }
        }
        QVERIFY2(listed, qPrintable(findingCodes(b).join(u',')));
        RepairPlan planB = planRepairs({ b }, { RepairKind::RemoveSessionDir });
        QCOMPARE(planB.actions.size(), 1);
        results = applyPlan(planB);
        QVERIFY2(results.first().outcome == RepairResult::Outcome::Applied, qPrintable(results.first().detail));
        QVERIFY(!QFileInfo::exists(session));
        QVERIFY(results.first().quarantineId.size() > 0);
        QVERIFY(QFileInfo::exists(dirB + QLatin1String("/.stateward")));
    }

    // D8: a state dir nobody can read (mode 000, as a user without root's override) is a finding and
    // exit 1, never "0 jobs, 0 findings"; export-index refuses rather than write "jobs": []. Root
    // reads anything, so as root the commands run as nobody over files nobody owns.
    void unreadableStateDirIsAFinding()
    {
        const bool root = ::geteuid() == 0;
        QTemporaryDir base(QStringLiteral("/tmp/stateward-d8-XXXXXX")); // not in our $TMPDIR, which nobody may enter
        QVERIFY(::chmod(QFile::encodeName(base.path()).constData(), 0755) == 0);
        const QString ws = base.filePath(QStringLiteral("ws")), data = base.filePath(QStringLiteral("data")),
                      home = base.filePath(QStringLiteral("home")), tmpDir = base.filePath(QStringLiteral("tmp"));
        for (const QString& d : { ws, data, home, tmpDir })
            QVERIFY(QDir().mkpath(d));
        const QString dir = NodeTools::makeCodexState(data, ws, { QStringLiteral("--jobs"), QStringLiteral("3") });
        QVERIFY(!dir.isEmpty());
        const uid_t nobody = 65534;
        if (root) {
            QDirIterator it(base.path(), QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot,
                QDirIterator::Subdirectories);
            QVERIFY(::lchown(QFile::encodeName(base.path()).constData(), nobody, nobody) == 0);
            while (it.hasNext())
                QVERIFY(::lchown(QFile::encodeName(it.next()).constData(), nobody, nobody) == 0);
        }
        QVERIFY(::chmod(QFile::encodeName(dir).constData(), 0) == 0);
        struct Restore
        {
            QString dir;
            ~Restore() { ::chmod(QFile::encodeName(dir).constData(), 0700); }
        } restore { dir };

        // nobody may not reach the build tree (a checkout under /root is mode 700): it runs a copy of
        // the CLI (Qt and the C library are its only shared libraries) from the test's own folder.
        QString cli = QStringLiteral(STATEWARD_BIN_DIR "/stateward-cli");
        if (root) {
            const QString copy = base.filePath(QStringLiteral("stateward-cli"));
            QVERIFY(QFile::copy(cli, copy));
            QVERIFY(::chmod(QFile::encodeName(copy).constData(), 0755) == 0);
            cli = copy;
        }
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("HOME"), home);
        env.insert(QStringLiteral("TMPDIR"), tmpDir);
        env.insert(QStringLiteral("CLAUDE_PLUGIN_DATA"), data);
        const auto run = [&](const QStringList& arguments) {
            QProcess p;
            p.setProcessEnvironment(env);
            if (root) {
                p.setChildProcessModifier([] {
                    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)
                        ::_exit(97);
                });
            }
            p.start(cli, arguments);
            CliRun r;
            if (p.waitForFinished(60000) && p.exitStatus() == QProcess::NormalExit)
                r.exitCode = p.exitCode();
            r.out = p.readAllStandardOutput();
            r.err = p.readAllStandardError();
            if (p.error() == QProcess::FailedToStart)
                r.err += "cannot start " + cli.toUtf8() + ": " + p.errorString().toUtf8();
            return r;
        };
        const CliRun scanned = run({ QStringLiteral("scan"), ws, QStringLiteral("--json") });
        QVERIFY2(scanned.exitCode == 1, scanned.out + scanned.err);
        QStringList codes;
        int codexSnapshots = 0;
        for (const QJsonValue& v :
            QJsonDocument::fromJson(scanned.out).object().value(QStringLiteral("snapshots")).toArray()) {
            if (v.toObject().value(QStringLiteral("family")).toString() != QLatin1String("codex"))
                continue;
            ++codexSnapshots;
            for (const QJsonValue& f : v.toObject().value(QStringLiteral("findings")).toArray())
                codes.append(f.toObject().value(QStringLiteral("code")).toString());
        }
        QCOMPARE(codexSnapshots, 1);
        QCOMPARE(codes, QStringList { QStringLiteral("state-unreadable") });

        const QString out = tmpDir + QLatin1String("/exported.json");
        const CliRun exported = run({ QStringLiteral("export-index"), ws, QStringLiteral("--family"),
            QStringLiteral("codex"), QStringLiteral("--output"), out });
        QVERIFY2(exported.exitCode != 0 && exported.exitCode != -1, exported.out + exported.err);
        QVERIFY2(exported.err.contains("cannot be read"), exported.out + exported.err);
        QVERIFY(!QFileInfo::exists(out));
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
