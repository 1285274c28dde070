// SPDX-License-Identifier: GPL-3.0-or-later
// The built-in tool profiles (core/sources/profiles/) against the real daemons from npm, pinned in
// tests/interop/daemons (nx 24.0.7 with @nx/nx-linux-x64-gnu, turbo 2.11.13 with @turbo/linux-64),
// each started offline in a temporary workspace: live and healthy; kill -9, then the stale pid file
// (and socket) found, repaired with `stateward-cli repair --yes` and a clean rescan; and two daemons
// for one workspace, where the one no pid file names is an orphan terminated only after the
// identity checks. docs/formats/nx.md and docs/formats/turborepo.md say what each tool writes.
#include "clirun.h"
#include "nodetools.h"
#include "repair/repair.h"
#include "sources/registry.h"
#include "sources/source.h"
#include "testfiles.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <unistd.h>

using namespace Stateward;
using namespace TestFiles;

namespace {

const QString kModules = QStringLiteral(STATEWARD_SOURCE_DIR "/tests/interop/daemons/node_modules");

const SourceAdapter& adapterNamed(const QString& name)
{
    return adapterFor(*familyNamed(name));
}

QStringList allCodes(const QList<Snapshot>& snapshots)
{
    QStringList codes;
    for (const Snapshot& s : snapshots)
        codes += findingCodes(s);
    codes.sort();
    return codes;
}

QList<Snapshot> scanTool(const QString& ws, const QString& tool, const QDateTime& now = {})
{
    ScanContext context;
    if (now.isValid())
        context.setNow(now);
    return scanWorkspace(ws, context, { tool });
}

const Broker* brokerWithPid(const QList<Snapshot>& snapshots, qint64 pid)
{
    for (const Snapshot& s : snapshots) {
        for (const Broker& b : s.brokers) {
            if (b.pid == pid)
                return &b;
        }
    }
    return nullptr;
}

// Runs a tool's command to its end (a daemon's own start command returns once it is up).
bool run(const QString& ws, const QStringList& arguments, const QProcessEnvironment& env)
{
    QProcess p;
    p.setWorkingDirectory(ws);
    p.setProcessEnvironment(env);
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(NodeTools::node(), arguments);
    if (!p.waitForFinished(180000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        qWarning().noquote() << arguments.join(u' ') << "failed:" << p.readAll().right(2000);
        return false;
    }
    return true;
}

} // namespace

class TestInteropProfiles : public QObject
{
    Q_OBJECT

    QTemporaryDir m_tmp; // $TMPDIR for the tools and for us: turbo keys its state dir under it
    QTemporaryDir m_config; // $XDG_CONFIG_HOME: no user profile takes part
    QProcessEnvironment m_env;
    // Every daemon a test started, with its start ticks: killed at cleanup if it is still that one.
    QList<std::pair<qint64, qint64>> m_started;

    void track(qint64 pid) { m_started.append({ pid, startTicksOf(pid) }); }

    QString nxState(const QString& ws) const
    {
        return ws + QStringLiteral("/.nx/workspace-data/d/server-process.json");
    }

    // The PID server-process.json names once it names one other than `notPid`; -1 when none in time.
    qint64 nxNamedPid(const QString& ws, qint64 notPid = -1)
    {
        qint64 pid = -1;
        const auto named = [&] {
            const QJsonObject o = QJsonDocument::fromJson(readAll(nxState(ws))).object();
            pid = o.value(QStringLiteral("processId")).toInteger(-1);
            return pid > 0 && pid != notPid;
        };
        return QTest::qWaitFor(named, 60000) ? pid : -1;
    }

    bool startNx(const QString& ws)
    {
        return run(ws,
            { ws + QStringLiteral("/node_modules/nx/dist/bin/nx.js"), QStringLiteral("daemon"),
                QStringLiteral("--start") },
            m_env);
    }

    QString makeNxWorkspace(const QTemporaryDir& dir)
    {
        const QString ws = dir.path();
        writeFile(ws + QStringLiteral("/package.json"), R"({"name":"ws","version":"0.0.0","private":true})");
        writeFile(ws + QStringLiteral("/nx.json"), "{}\n");
        if (!QFile::link(kModules, ws + QStringLiteral("/node_modules")))
            return {};
        return ws;
    }

    QString turboState(const QString& ws) const
    {
        return adapterNamed(QStringLiteral("turborepo")).candidateStateDirs(ws).value(0);
    }

    // The PID turbod.pid names once it names one other than `notPid`; -1 when none in time.
    qint64 turboNamedPid(const QString& ws, qint64 notPid = -1)
    {
        qint64 pid = -1;
        const auto named = [&] {
            pid = readAll(turboState(ws) + QStringLiteral("/turbod.pid")).trimmed().toLongLong();
            return pid > 0 && pid != notPid;
        };
        return QTest::qWaitFor(named, 60000) ? pid : -1;
    }

    bool startTurbo(const QString& ws)
    {
        return run(ws,
            { ws + QStringLiteral("/node_modules/turbo/bin/turbo"), QStringLiteral("daemon"), QStringLiteral("start") },
            m_env);
    }

    QString makeTurboWorkspace(const QTemporaryDir& dir)
    {
        const QString ws = dir.path();
        writeFile(ws + QStringLiteral("/package.json"),
            R"({"name":"ws","version":"0.0.0","private":true,"packageManager":"npm@11.0.0","workspaces":[]})");
        writeFile(ws + QStringLiteral("/turbo.json"), R"({"tasks":{}})");
        if (!QFile::link(kModules, ws + QStringLiteral("/node_modules")))
            return {};
        QProcess git;
        git.setWorkingDirectory(ws);
        git.start(QStringLiteral("git"), { QStringLiteral("init"), QStringLiteral("-q"), QStringLiteral(".") });
        if (!git.waitForFinished(30000) || git.exitCode() != 0)
            return {};
        return ws;
    }

    void expectHealthy(const QList<Snapshot>& snapshots, qint64 pid, const QString& tool)
    {
        QVERIFY2(allCodes(snapshots).isEmpty(), qPrintable(allCodes(snapshots).join(u',')));
        const Broker* b = brokerWithPid(snapshots, pid);
        QVERIFY2(b, qPrintable(QStringLiteral("no broker for PID %1").arg(pid)));
        QVERIFY2(b->identityVerified, qPrintable(b->identityEvidence));
        QCOMPARE(b->reachable, std::optional<bool>(true));
        bool recognised = false;
        for (const Snapshot& s : snapshots)
            recognised |= s.recognised.tool == tool;
        QVERIFY(recognised);
    }

    void repairWithCli(const QString& ws)
    {
        const CliRun r = runCli({ QStringLiteral("repair"), QStringLiteral("--yes"), ws }, m_env);
        QVERIFY2(r.exitCode == 0, r.out.constData());
    }

    void terminateOrphan(const QList<Snapshot>& snapshots, qint64 orphan)
    {
        const RepairPlan plan = planRepairs(snapshots, { RepairKind::TerminateOrphan });
        QCOMPARE(plan.actions.size(), 1);
        QCOMPARE(plan.actions.first().pid, orphan);
        const QList<RepairResult> results = applyPlan(plan);
        QVERIFY2(results.first().outcome == RepairResult::Outcome::Applied, qPrintable(results.first().detail));
        QVERIFY2(results.first().applied.join(u' ').contains(QStringLiteral("start ticks")),
            qPrintable(results.first().applied.join(u';')));
        QTRY_VERIFY_WITH_TIMEOUT(!inspectProcess(orphan).isAlive(), 30000);
    }

private slots:
    void initTestCase()
    {
        const QString why = NodeTools::missingNode();
        QVERIFY2(why.isEmpty(), qPrintable(why));
        QVERIFY2(QFileInfo::exists(kModules + QStringLiteral("/@nx/nx-linux-x64-gnu/package.json"))
                && QFileInfo::exists(kModules + QStringLiteral("/@turbo/linux-64/bin/turbo")),
            "tests/interop/daemons is not installed: run scripts/deps");
        qputenv("TMPDIR", QFile::encodeName(m_tmp.path()));
        qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_config.path()));
        m_env = QProcessEnvironment::systemEnvironment();
        m_env.insert(QStringLiteral("TMPDIR"), m_tmp.path());
        m_env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_config.path());
        m_env.insert(QStringLiteral("PATH"),
            QFileInfo(NodeTools::node()).absolutePath() + QLatin1Char(':') + m_env.value(QStringLiteral("PATH")));
        // Offline, and the daemon on even under CI=true (Nx turns it off in CI by default).
        for (const char* name : { "NX_DAEMON", "NX_NO_CLOUD", "NX_SKIP_NX_CACHE", "TURBO_TELEMETRY_DISABLED",
                 "DO_NOT_TRACK", "TURBO_NO_UPDATE_NOTIFIER", "NX_SKIP_PROVENANCE_CHECK" })
            m_env.insert(QLatin1String(name), QStringLiteral("true"));
        m_env.insert(QStringLiteral("TURBO_TELEMETRY_DISABLED"), QStringLiteral("1"));
        m_env.insert(QStringLiteral("DO_NOT_TRACK"), QStringLiteral("1"));
    }

    void cleanup()
    {
        for (const auto& [pid, ticks] : std::as_const(m_started)) {
            if (ticks >= 0 && startTicksOf(pid) == ticks)
                ::kill(pid_t(pid), SIGKILL);
        }
        m_started.clear();
    }

    void nxLiveThenKilled()
    {
        QElapsedTimer timer;
        timer.start();
        QTemporaryDir dir;
        const QString ws = makeNxWorkspace(dir);
        QVERIFY(!ws.isEmpty());
        QVERIFY(startNx(ws));
        const qint64 pid = nxNamedPid(ws);
        QVERIFY(pid > 0);
        track(pid);
        QTRY_VERIFY_WITH_TIMEOUT(allCodes(scanTool(ws, QStringLiteral("nx"))).isEmpty(), 30000);
        expectHealthy(scanTool(ws, QStringLiteral("nx")), pid, QStringLiteral("Nx"));
        if (QTest::currentTestFailed())
            return;

        QVERIFY(::kill(pid_t(pid), SIGKILL) == 0);
        QTRY_VERIFY_WITH_TIMEOUT(!inspectProcess(pid).isAlive(), 30000);
        const QList<Snapshot> dead = scanTool(ws, QStringLiteral("nx"));
        QCOMPARE(allCodes(dead), QStringList { QStringLiteral("daemon-dead") });
        QCOMPARE(dead.first().findings.first().target.path, nxState(ws));
        repairWithCli(ws);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(allCodes(scanTool(ws, QStringLiteral("nx"))), QStringList());
        QVERIFY(!QFile::exists(nxState(ws)));
        qInfo("nx: live, kill -9, repaired in %.1f s", double(timer.elapsed()) / 1000);
    }

    void nxOrphanOfTwoDaemons()
    {
        QElapsedTimer timer;
        timer.start();
        QTemporaryDir dir;
        const QString ws = makeNxWorkspace(dir);
        QVERIFY(!ws.isEmpty());
        QVERIFY(startNx(ws));
        const qint64 first = nxNamedPid(ws);
        QVERIFY(first > 0);
        track(first);
        // A hung daemon (Nx stops a running one itself once the state file names another) whose
        // state file went away: the next command starts a second daemon, and nobody names the first.
        QVERIFY(::kill(pid_t(first), SIGSTOP) == 0);
        QVERIFY(QFile::remove(nxState(ws)));
        QVERIFY(startNx(ws));
        const qint64 second = nxNamedPid(ws, first);
        QVERIFY(second > 0);
        track(second);
        const QDateTime later = QDateTime::currentDateTimeUtc().addSecs(3600); // past any start-up grace
        const QList<Snapshot> snapshots = scanTool(ws, QStringLiteral("nx"), later);
        QCOMPARE(allCodes(snapshots), QStringList { QStringLiteral("daemon-orphan") });
        QCOMPARE(snapshots.first().findings.first().target.pid, first);
        terminateOrphan(snapshots, first);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(livenessOf(second), Liveness::Alive);
        QTRY_VERIFY_WITH_TIMEOUT(allCodes(scanTool(ws, QStringLiteral("nx"), later)).isEmpty(), 30000);
        qInfo("nx: two daemons, orphan terminated in %.1f s", double(timer.elapsed()) / 1000);
    }

    void turborepoLiveThenKilled()
    {
        QElapsedTimer timer;
        timer.start();
        QTemporaryDir dir;
        const QString ws = makeTurboWorkspace(dir);
        QVERIFY(!ws.isEmpty());
        QVERIFY(startTurbo(ws));
        const qint64 pid = turboNamedPid(ws);
        QVERIFY(pid > 0);
        track(pid);
        QTRY_VERIFY_WITH_TIMEOUT(allCodes(scanTool(ws, QStringLiteral("turborepo"))).isEmpty(), 30000);
        expectHealthy(scanTool(ws, QStringLiteral("turborepo")), pid, QStringLiteral("Turborepo"));
        if (QTest::currentTestFailed())
            return;

        QVERIFY(::kill(pid_t(pid), SIGKILL) == 0);
        QTRY_VERIFY_WITH_TIMEOUT(!inspectProcess(pid).isAlive(), 30000);
        QCOMPARE(allCodes(scanTool(ws, QStringLiteral("turborepo"))),
            QStringList({ QStringLiteral("daemon-dead"), QStringLiteral("socket-stale") }));
        repairWithCli(ws);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(allCodes(scanTool(ws, QStringLiteral("turborepo"))), QStringList());
        QVERIFY(!QFile::exists(turboState(ws) + QStringLiteral("/turbod.pid")));
        qInfo("turborepo: live, kill -9, repaired in %.1f s", double(timer.elapsed()) / 1000);
    }

    void turborepoOrphanOfTwoDaemons()
    {
        QElapsedTimer timer;
        timer.start();
        QTemporaryDir dir;
        const QString ws = makeTurboWorkspace(dir);
        QVERIFY(!ws.isEmpty());
        QVERIFY(startTurbo(ws));
        const qint64 first = turboNamedPid(ws);
        QVERIFY(first > 0);
        track(first);
        // A tmp cleaner (systemd-tmpfiles, a reboot-less /tmp sweep) took the pid file and socket:
        // the next `turbo daemon start` starts a second daemon, and nobody names the first.
        QVERIFY(QFile::remove(turboState(ws) + QStringLiteral("/turbod.pid")));
        QVERIFY(QFile::remove(turboState(ws) + QStringLiteral("/turbod.sock")));
        QVERIFY(startTurbo(ws));
        const qint64 second = turboNamedPid(ws, first);
        QVERIFY(second > 0);
        track(second);
        const QDateTime later = QDateTime::currentDateTimeUtc().addSecs(3600);
        const QList<Snapshot> snapshots = scanTool(ws, QStringLiteral("turborepo"), later);
        QCOMPARE(allCodes(snapshots), QStringList { QStringLiteral("daemon-orphan") });
        terminateOrphan(snapshots, first);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(livenessOf(second), Liveness::Alive);
        QCOMPARE(allCodes(scanTool(ws, QStringLiteral("turborepo"), later)), QStringList());
        qInfo("turborepo: two daemons, orphan terminated in %.1f s", double(timer.elapsed()) / 1000);
    }
};

QTEST_GUILESS_MAIN(TestInteropProfiles)
#include "tst_interop_profiles.moc"
