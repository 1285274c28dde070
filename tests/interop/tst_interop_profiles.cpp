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
#include <QMap>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <unistd.h>

using namespace Stateward;
using namespace TestFiles;

namespace {

const QString kModules = QStringLiteral(STATEWARD_SOURCE_DIR "/tests/interop/daemons/node_modules");

// One real daemon as the tests drive it: how its workspace is made, how it starts, where its pid
// file is, and what a kill -9 or a lost pid file leaves (docs/formats/nx.md, turborepo.md).
struct DaemonTool
{
    QString family; // the profile's name
    QString tool; // recognised.tool
    QMap<QString, QByteArray> files; // the workspace's own files
    bool gitRepo = false;
    QStringList start; // node ARGS, the first relative to the workspace
    QString pidFile; // relative to the state dir
    QString pidKey; // the JSON field naming the PID; empty: a plain pid file
    QStringList killedCodes; // after kill -9
    // How the first of two daemons comes to be named by nobody: the files lost while it runs, and
    // whether it hangs first (Nx stops a live daemon by itself once another is named).
    QStringList lost;
    bool hangs = false;
};

DaemonTool nx()
{
    return { QStringLiteral("nx"), QStringLiteral("Nx"),
        { { QStringLiteral("package.json"), R"({"name":"ws","version":"0.0.0","private":true})" },
            { QStringLiteral("nx.json"), "{}\n" } },
        false,
        { QStringLiteral("node_modules/nx/dist/bin/nx.js"), QStringLiteral("daemon"), QStringLiteral("--start") },
        QStringLiteral("d/server-process.json"), QStringLiteral("processId"), { QStringLiteral("daemon-dead") },
        { QStringLiteral("d/server-process.json") }, true };
}

DaemonTool turborepo()
{
    return { QStringLiteral("turborepo"), QStringLiteral("Turborepo"),
        { { QStringLiteral("package.json"),
              R"({"name":"ws","version":"0.0.0","private":true,"packageManager":"npm@11.0.0","workspaces":[]})" },
            { QStringLiteral("turbo.json"), R"({"tasks":{}})" } },
        true, { QStringLiteral("node_modules/turbo/bin/turbo"), QStringLiteral("daemon"), QStringLiteral("start") },
        QStringLiteral("turbod.pid"), QString(), { QStringLiteral("daemon-dead"), QStringLiteral("socket-stale") },
        { QStringLiteral("turbod.pid"), QStringLiteral("turbod.sock") }, false };
}

DaemonTool toolNamed(const QString& name)
{
    return name == QLatin1String("nx") ? nx() : turborepo();
}

QString stateDirOf(const DaemonTool& t, const QString& ws)
{
    return adapterFor(*familyNamed(t.family)).candidateStateDirs(ws).value(0);
}

QStringList allCodes(const QList<Snapshot>& snapshots)
{
    QStringList codes;
    for (const Snapshot& s : snapshots)
        codes += findingCodes(s);
    codes.sort();
    return codes;
}

QList<Snapshot> scanTool(const QString& ws, const DaemonTool& t, const QDateTime& now = {})
{
    ScanContext context;
    if (now.isValid())
        context.setNow(now);
    return scanWorkspace(ws, context, { t.family });
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

    // The workspace of a fresh DaemonTool in dir; empty on failure.
    QString makeWorkspace(const QTemporaryDir& dir, const DaemonTool& t)
    {
        const QString ws = dir.path();
        for (auto it = t.files.cbegin(); it != t.files.cend(); ++it)
            writeFile(ws + QLatin1Char('/') + it.key(), it.value());
        if (!QFile::link(kModules, ws + QStringLiteral("/node_modules")))
            return {};
        if (t.gitRepo) {
            QProcess git;
            git.setWorkingDirectory(ws);
            git.start(QStringLiteral("git"), { QStringLiteral("init"), QStringLiteral("-q"), QStringLiteral(".") });
            if (!git.waitForFinished(30000) || git.exitCode() != 0)
                return {};
        }
        return ws;
    }

    bool start(const QString& ws, const DaemonTool& t)
    {
        QStringList arguments = t.start;
        arguments[0] = ws + QLatin1Char('/') + arguments.at(0);
        return run(ws, arguments, m_env);
    }

    // The PID the pid file names once it names one other than `notPid`; -1 when none in time.
    static qint64 namedPid(const QString& ws, const DaemonTool& t, qint64 notPid = -1)
    {
        qint64 pid = -1;
        const auto named = [&] {
            const QByteArray bytes = readAll(stateDirOf(t, ws) + QLatin1Char('/') + t.pidFile);
            pid = t.pidKey.isEmpty() ? bytes.trimmed().toLongLong()
                                     : QJsonDocument::fromJson(bytes).object().value(t.pidKey).toInteger(-1);
            return pid > 0 && pid != notPid;
        };
        return QTest::qWaitFor(named, 60000) ? pid : -1;
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

    static void tools()
    {
        QTest::addColumn<QString>("tool");
        QTest::newRow("nx") << QStringLiteral("nx");
        QTest::newRow("turborepo") << QStringLiteral("turborepo");
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

    void liveThenKilled_data() { tools(); }

    // Started → live and healthy; kill -9 → the stale files found; repair --yes → a clean rescan.
    void liveThenKilled()
    {
        QFETCH(QString, tool);
        const DaemonTool t = toolNamed(tool);
        QElapsedTimer timer;
        timer.start();
        QTemporaryDir dir;
        const QString ws = makeWorkspace(dir, t);
        QVERIFY(!ws.isEmpty());
        QVERIFY(start(ws, t));
        const qint64 pid = namedPid(ws, t);
        QVERIFY(pid > 0);
        track(pid);
        QTRY_VERIFY_WITH_TIMEOUT(allCodes(scanTool(ws, t)).isEmpty(), 30000);
        expectHealthy(scanTool(ws, t), pid, t.tool);
        if (QTest::currentTestFailed())
            return;

        QVERIFY(::kill(pid_t(pid), SIGKILL) == 0);
        QTRY_VERIFY_WITH_TIMEOUT(!inspectProcess(pid).isAlive(), 30000);
        const QList<Snapshot> dead = scanTool(ws, t);
        QCOMPARE(allCodes(dead), t.killedCodes);
        repairWithCli(ws);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(allCodes(scanTool(ws, t)), QStringList());
        QVERIFY(!QFile::exists(stateDirOf(t, ws) + QLatin1Char('/') + t.pidFile));
        qInfo("%s: live, kill -9, repaired in %.1f s", qPrintable(tool), double(timer.elapsed()) / 1000);
    }

    void orphanOfTwoDaemons_data() { tools(); }

    // The first daemon loses its pid file while it runs (Nx: hung first, since Nx stops a live one
    // itself once another is named; Turborepo: a tmp cleaner); the next start makes a second. The
    // first, named by nobody, is an orphan, terminated only after the identity checks.
    void orphanOfTwoDaemons()
    {
        QFETCH(QString, tool);
        const DaemonTool t = toolNamed(tool);
        QElapsedTimer timer;
        timer.start();
        QTemporaryDir dir;
        const QString ws = makeWorkspace(dir, t);
        QVERIFY(!ws.isEmpty());
        QVERIFY(start(ws, t));
        const qint64 first = namedPid(ws, t);
        QVERIFY(first > 0);
        track(first);
        if (t.hangs)
            QVERIFY(::kill(pid_t(first), SIGSTOP) == 0);
        for (const QString& file : t.lost)
            QVERIFY(QFile::remove(stateDirOf(t, ws) + QLatin1Char('/') + file));
        QVERIFY(start(ws, t));
        const qint64 second = namedPid(ws, t, first);
        QVERIFY(second > 0);
        track(second);
        const QDateTime later = QDateTime::currentDateTimeUtc().addSecs(3600); // past any start-up grace
        const QList<Snapshot> snapshots = scanTool(ws, t, later);
        QCOMPARE(allCodes(snapshots), QStringList { QStringLiteral("daemon-orphan") });
        terminateOrphan(snapshots, first);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(livenessOf(second), Liveness::Alive);
        QTRY_VERIFY_WITH_TIMEOUT(allCodes(scanTool(ws, t, later)).isEmpty(), 30000);
        qInfo("%s: two daemons, orphan terminated in %.1f s", qPrintable(tool), double(timer.elapsed()) / 1000);
    }
};

QTEST_GUILESS_MAIN(TestInteropProfiles)
#include "tst_interop_profiles.moc"
