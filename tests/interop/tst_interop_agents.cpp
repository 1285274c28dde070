// SPDX-License-Identifier: GPL-3.0-or-later
// `stateward-cli scan` and `repair` on the state the real agent tools write offline in a temp
// workspace (the drivers in tests/interop/agents/, docs/formats/{codegraph,claude-flow,oh-my-codex}.md):
// CodeGraph's (@colbymchenry/codegraph 1.6.1) shared MCP daemon, judged by the hand-written codegraph
// adapter.
#include "clirun.h"
#include "nodetools.h"
#include "testfiles.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSysInfo>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

namespace {

// A daemon a driver left running detached: killed (SIGKILL, by its PID) when the test ends,
// whatever state it left it in.
struct Daemon
{
    qint64 pid = -1;
    ~Daemon()
    {
        if (pid > 0)
            ::kill(pid_t(pid), SIGKILL);
    }
};

bool processAlive(qint64 pid)
{
    return pid > 0 && (::kill(pid_t(pid), 0) == 0 || errno == EPERM);
}

} // namespace

class TestInteropAgents : public QObject
{
    Q_OBJECT

    QTemporaryDir m_home; // HOME and XDG dirs of the tools and of stateward-cli
    QProcessEnvironment m_env;

    // Runs an agents/ driver; returns its last stdout line, "" when it failed (logged).
    QString driver(const char* script, const QStringList& args)
    {
        QProcess p;
        p.setProcessEnvironment(m_env);
        p.start(NodeTools::node(), QStringList { NodeTools::script(script) } + args);
        if (!p.waitForFinished(600000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
            qWarning() << script << args << p.readAllStandardError();
            return {};
        }
        const QList<QByteArray> lines = p.readAllStandardOutput().trimmed().split('\n');
        return QString::fromUtf8(lines.last());
    }
    static qint64 pidOf(const QString& line, const QString& word)
    {
        const QStringList f = line.split(QLatin1Char(' '));
        return f.size() >= 2 && f.first() == word ? f.at(1).toLongLong() : -1;
    }
    QJsonObject cli(const QStringList& args, int expectedExit)
    {
        const CliRun r = runCli(args + QStringList { QStringLiteral("--json") }, m_env);
        if (r.exitCode != expectedExit) {
            qWarning() << args << "exit" << r.exitCode << r.out << r.err;
            return {};
        }
        return QJsonDocument::fromJson(r.out).object();
    }
    QJsonObject scan(const QString& ws, int expectedExit) { return cli({ QStringLiteral("scan"), ws }, expectedExit); }
    QJsonArray plan(const QString& ws, int expectedExit)
    {
        return cli({ QStringLiteral("repair"), ws, QStringLiteral("--dry-run") }, expectedExit)
            .value(QStringLiteral("plan"))
            .toObject()
            .value(QStringLiteral("actions"))
            .toArray();
    }
    // The snapshot of the state dir at ws/rel.
    static QJsonObject snapshotOf(const QJsonObject& report, const QString& stateDir)
    {
        for (const QJsonValue& s : report.value(QStringLiteral("snapshots")).toArray())
            if (QFileInfo(s.toObject().value(QStringLiteral("stateDir")).toString()).canonicalFilePath()
                == QFileInfo(stateDir).canonicalFilePath())
                return s.toObject();
        return {};
    }
    static QStringList codes(const QJsonObject& snap)
    {
        QStringList c;
        for (const QJsonValue& f : snap.value(QStringLiteral("findings")).toArray())
            c.append(f.toObject().value(QStringLiteral("code")).toString());
        c.sort();
        return c;
    }
    // pid file name -> {pid, liveness} of every broker row of a snapshot.
    static QMap<QString, QPair<qint64, QString>> brokers(const QJsonObject& snap)
    {
        QMap<QString, QPair<qint64, QString>> out;
        for (const QJsonValue& v : snap.value(QStringLiteral("brokers")).toArray()) {
            const QJsonObject b = v.toObject();
            out.insert(QFileInfo(b.value(QStringLiteral("stateFile")).toString()).fileName(),
                { b.value(QStringLiteral("pid")).toInteger(), b.value(QStringLiteral("liveness")).toString() });
        }
        return out;
    }

private slots:
    void initTestCase()
    {
        const QString missing = NodeTools::missing();
        QVERIFY2(missing.isEmpty(), qPrintable(missing));
        QVERIFY(m_home.isValid());
        m_env = QProcessEnvironment::systemEnvironment();
        m_env.insert(QStringLiteral("HOME"), m_home.path());
        m_env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_home.filePath(QStringLiteral(".config")));
        m_env.insert(QStringLiteral("XDG_CACHE_HOME"), m_home.filePath(QStringLiteral(".cache")));
        m_env.insert(QStringLiteral("XDG_STATE_HOME"), m_home.filePath(QStringLiteral(".local/state")));
        m_env.remove(QStringLiteral("XDG_RUNTIME_DIR"));
        m_env.remove(QStringLiteral("CODEGRAPH_DIR"));
    }

    void codeGraphDaemon()
    {
        // CodeGraph's real shared MCP daemon: its daemon.pid and writer.pid are shown with the live
        // daemon; after kill -9 they stay behind naming a dead PID, shown dead, and Stateward plans
        // nothing (CodeGraph clears them itself at its next start, which the last step shows).
        if (!QFileInfo::exists(NodeTools::script("node_modules/@colbymchenry/codegraph-linux-x64/package.json"))) {
            if (QSysInfo::currentCpuArchitecture() != QLatin1String("x86_64"))
                QSKIP("@colbymchenry/codegraph-linux-x64 is pinned for linux-x64 only");
            QFAIL("@colbymchenry/codegraph-linux-x64 is missing: run scripts/deps");
        }
        QTemporaryDir ws;
        QVERIFY(QDir(ws.path()).mkpath(QStringLiteral("src")));
        TestFiles::writeFile(ws.filePath(QStringLiteral("src/a.js")), "export function a() { return 1; }\n");
        const QString stateDir = ws.filePath(QStringLiteral(".codegraph"));

        Daemon first;
        first.pid = pidOf(
            driver("agents/codegraph-daemon.mjs", { QStringLiteral("start"), ws.path() }), QStringLiteral("daemon"));
        QVERIFY(first.pid > 0);
        QJsonObject snap = snapshotOf(scan(ws.path(), 0), stateDir);
        QCOMPARE(snap.value(QStringLiteral("recognised")).toObject().value(QStringLiteral("tool")).toString(),
            QStringLiteral("@colbymchenry/codegraph"));
        QCOMPARE(codes(snap), QStringList {});
        auto rows = brokers(snap);
        QCOMPARE(rows.keys(), (QStringList { QStringLiteral("daemon.pid"), QStringLiteral("writer.pid") }));
        for (const auto& [pid, liveness] : std::as_const(rows)) {
            QCOMPARE(pid, first.pid);
            QCOMPARE(liveness, QStringLiteral("alive"));
        }

        // Two daemons for one project cannot be: the second loses daemon.pid's O_EXCL link and exits.
        QCOMPARE(
            driver("agents/codegraph-daemon.mjs", { QStringLiteral("second"), ws.path() }), QStringLiteral("exited 0"));
        QVERIFY(processAlive(first.pid));

        QCOMPARE(::kill(pid_t(first.pid), SIGKILL), 0);
        QTRY_VERIFY_WITH_TIMEOUT(!processAlive(first.pid), 30000);
        QVERIFY(QFileInfo::exists(stateDir + QLatin1String("/daemon.pid")));
        QVERIFY(QFileInfo::exists(stateDir + QLatin1String("/writer.pid")));
        snap = snapshotOf(scan(ws.path(), 0), stateDir);
        QCOMPARE(codes(snap), QStringList {});
        rows = brokers(snap);
        QCOMPARE(rows.size(), 2);
        for (const auto& [pid, liveness] : std::as_const(rows)) {
            QCOMPARE(pid, first.pid);
            QCOMPARE(liveness, QStringLiteral("dead"));
        }
        QVERIFY(plan(ws.path(), 0).isEmpty());

        Daemon next;
        next.pid = pidOf(
            driver("agents/codegraph-daemon.mjs", { QStringLiteral("start"), ws.path() }), QStringLiteral("daemon"));
        QVERIFY(next.pid > 0);
        QVERIFY(next.pid != first.pid);
        rows = brokers(snapshotOf(scan(ws.path(), 0), stateDir));
        QCOMPARE(rows.size(), 2);
        for (const auto& [pid, liveness] : std::as_const(rows)) {
            QCOMPARE(pid, next.pid);
            QCOMPARE(liveness, QStringLiteral("alive"));
        }
    }
};

QTEST_GUILESS_MAIN(TestInteropAgents)
#include "tst_interop_agents.moc"
