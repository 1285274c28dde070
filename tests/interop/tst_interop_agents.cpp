// SPDX-License-Identifier: GPL-3.0-or-later
// `stateward-cli scan` and `repair` on the state the real agent tools write offline in a temp
// workspace (the drivers in tests/interop/agents/, docs/formats/{codegraph,claude-flow,oh-my-codex}.md):
// CodeGraph's (@colbymchenry/codegraph 1.6.1) shared MCP daemon, judged by the hand-written codegraph
// adapter; claude-flow 3.43.0's worker daemon and oh-my-codex 0.21.6's session pointer lock, judged
// by their built-in profiles (core/sources/profiles/), installed here as user profiles so the very
// files in the source tree are what is tested.
#include "childprocess.h"
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
#include <utility>

namespace {

// A daemon a driver left running detached: killed (SIGKILL, by its PID) when the test ends,
// whatever state it left it in.
struct Daemon
{
    qint64 pid = -1;
    Daemon() = default;
    explicit Daemon(qint64 p)
        : pid(p)
    { }
    Daemon(Daemon&& other) noexcept
        : pid(std::exchange(other.pid, -1))
    { }
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
    static constexpr int kAnyExit = -2; // stateward-cli's exit code is not compared
    QJsonObject cli(const QStringList& args, int expectedExit)
    {
        const CliRun r = runCli(args + QStringList { QStringLiteral("--json") }, m_env);
        if (r.exitCode < 0 || (expectedExit != kAnyExit && r.exitCode != expectedExit)) {
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

    // Whether stateward-cli knows the profile `name` (it has the profile engine, docs/profiles.md).
    bool hasProfile(const QString& name)
    {
        const CliRun r = runCli({ QStringLiteral("tools"), QStringLiteral("--json") }, m_env);
        if (r.exitCode != 0)
            return false;
        for (const QJsonValue& t : QJsonDocument::fromJson(r.out).object().value(QStringLiteral("tools")).toArray())
            if (t.toObject().value(QStringLiteral("name")).toString() == name)
                return t.toObject().value(QStringLiteral("loaded")).toBool();
        return false;
    }
#define REQUIRE_PROFILE(name)                                                                                          \
    do {                                                                                                               \
        QVERIFY2(hasProfile(QStringLiteral(name)), "stateward-cli did not load the built-in profile " name);           \
        QVERIFY2(agentsInstalled(), "tests/interop/agents/node_modules is missing: run scripts/deps");                 \
    } while (false)
    bool agentsInstalled() const
    {
        return QFileInfo::exists(NodeTools::script("agents/node_modules/.stateward-lock-sha256"));
    }
    QStringList repairOutcomes(const QString& ws, const QStringList& kinds = {})
    {
        QStringList args { QStringLiteral("repair"), ws, QStringLiteral("--yes") };
        for (const QString& k : kinds)
            args << QStringLiteral("--kind") << k;
        QStringList out;
        for (const QJsonValue& r : cli(args, 0).value(QStringLiteral("results")).toArray())
            out.append(r.toObject().value(QStringLiteral("outcome")).toString());
        return out;
    }
    // The snapshot of ws's claude-flow state dir, scanned now.
    QJsonObject claudeFlow(const QString& ws, int expectedExit)
    {
        return snapshotOf(scan(ws, expectedExit), ws + QLatin1String("/.claude-flow"));
    }
    // claude-flow's daemon started in ws by its own `daemon start` (PID -1 when it failed).
    Daemon startClaudeFlow(const QString& ws)
    {
        return Daemon(
            pidOf(driver("agents/claude-flow.mjs", { QStringLiteral("start"), ws }), QStringLiteral("started")));
    }
    // The daemon of ws, named and the only one, stopped by claude-flow's own `daemon stop`.
    void stopClaudeFlow(const QString& ws, qint64 pid)
    {
        const QJsonObject snap = claudeFlow(ws, 0);
        QCOMPARE(codes(snap), QStringList {});
        QCOMPARE(brokers(snap).value(QStringLiteral("daemon.pid")).first, pid);
        QCOMPARE(orphans(snap), QList<qint64> {});
        QCOMPARE(driver("agents/claude-flow.mjs", { QStringLiteral("stop"), ws }), QStringLiteral("stopped"));
        QTRY_VERIFY_WITH_TIMEOUT(!processAlive(pid), 30000);
    }
    // PIDs of the daemon-orphan findings of a snapshot.
    static QList<qint64> orphans(const QJsonObject& snap)
    {
        QList<qint64> out;
        for (const QJsonValue& b : snap.value(QStringLiteral("brokers")).toArray())
            if (b.toObject().value(QStringLiteral("id")).toString().contains(QLatin1String("-orphan:")))
                out.append(b.toObject().value(QStringLiteral("pid")).toInteger());
        return out;
    }

    // The verdict Stateward's scan gives ws's .omx/state/session.json.lock ("" when it lists no lock there).
    QString omxLockState(const QString& ws, int expectedExit, QString* dialect = nullptr)
    {
        const QJsonObject snap = snapshotOf(scan(ws, expectedExit), ws + QLatin1String("/.omx"));
        const QString lock = QFileInfo(ws + QLatin1String("/.omx/state/session.json.lock")).canonicalFilePath();
        for (const QJsonValue& l : snap.value(QStringLiteral("locks")).toArray()) {
            if (l.toObject().value(QStringLiteral("path")).toString() != lock)
                continue;
            if (dialect)
                *dialect = l.toObject().value(QStringLiteral("dialect")).toString();
            return l.toObject().value(QStringLiteral("state")).toString();
        }
        return {};
    }
    // oh-my-codex's own verdict on ws's session pointer lock (`omx session lock inspect`).
    QString omxInspect(const QString& ws)
    {
        return QJsonDocument::fromJson(
            driver("agents/omx.mjs", { QStringLiteral("lock"), ws, QStringLiteral("inspect") }).toUtf8())
            .object()
            .value(QStringLiteral("status"))
            .toString();
    }

private slots:
    void initTestCase()
    {
        const QString missing = NodeTools::missing();
        QVERIFY2(missing.isEmpty(), qPrintable(missing));
        QVERIFY(m_home.isValid());
        // The tools write into HOME (~/.claude-flow/, ~/.codegraph/daemons/): every child of this
        // test gets the temp one, and user profiles come from its XDG_CONFIG_HOME only.
        qputenv("HOME", QFile::encodeName(m_home.path()));
        qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_home.filePath(QStringLiteral(".config"))));
        qputenv("XDG_CACHE_HOME", QFile::encodeName(m_home.filePath(QStringLiteral(".cache"))));
        qputenv("XDG_STATE_HOME", QFile::encodeName(m_home.filePath(QStringLiteral(".local/state"))));
        qunsetenv("XDG_RUNTIME_DIR");
        qunsetenv("CODEGRAPH_DIR");
        m_env = QProcessEnvironment::systemEnvironment();
        const QString tools = m_home.filePath(QStringLiteral(".config/stateward/tools"));
        QVERIFY(QDir().mkpath(tools));
        for (const char* name : { "claude-flow.json", "oh-my-codex.json" })
            QVERIFY(QFile::copy(QStringLiteral(STATEWARD_SOURCE_DIR "/core/sources/profiles/") + QLatin1String(name),
                tools + QLatin1Char('/') + QLatin1String(name)));
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

    void claudeFlowDaemonKilled()
    {
        // The real daemon is live and healthy; kill -9 leaves daemon.pid naming a dead PID, which is
        // found and removed; claude-flow then starts a new daemon as on a clean workspace.
        REQUIRE_PROFILE("claude-flow");
        QTemporaryDir ws;

        const Daemon first = startClaudeFlow(ws.path());
        QVERIFY(first.pid > 0);
        QJsonObject snap = claudeFlow(ws.path(), 0);
        QCOMPARE(snap.value(QStringLiteral("family")).toString(), QStringLiteral("claude-flow"));
        QCOMPARE(snap.value(QStringLiteral("recognised")).toObject().value(QStringLiteral("tool")).toString(),
            QStringLiteral("claude-flow"));
        QCOMPARE(codes(snap), QStringList {});
        QJsonArray daemons = snap.value(QStringLiteral("brokers")).toArray();
        QCOMPARE(daemons.size(), 1);
        QCOMPARE(daemons.first().toObject().value(QStringLiteral("pid")).toInteger(), first.pid);
        QCOMPARE(daemons.first().toObject().value(QStringLiteral("liveness")).toString(), QStringLiteral("alive"));
        QVERIFY(daemons.first().toObject().value(QStringLiteral("identityVerified")).toBool());

        QCOMPARE(::kill(pid_t(first.pid), SIGKILL), 0);
        QTRY_VERIFY_WITH_TIMEOUT(!processAlive(first.pid), 30000);
        const QString pidFile = ws.filePath(QStringLiteral(".claude-flow/daemon.pid"));
        QVERIFY(QFileInfo::exists(pidFile));
        snap = claudeFlow(ws.path(), 1);
        QCOMPARE(codes(snap), QStringList { QStringLiteral("daemon-dead") });
        QCOMPARE(repairOutcomes(ws.path()), QStringList { QStringLiteral("applied") });
        QVERIFY(!QFileInfo::exists(pidFile));
        QCOMPARE(codes(claudeFlow(ws.path(), 0)), QStringList {});

        const Daemon next = startClaudeFlow(ws.path());
        QVERIFY(next.pid > 0);
        QVERIFY(next.pid != first.pid);
        stopClaudeFlow(ws.path(), next.pid);
    }

    void claudeFlowSecondDaemonIsAnOrphan()
    {
        // A second daemon for the workspace, named by no file, is an orphan once past the profile's
        // grace time, and terminate-orphan ends it after the identity checks. Its SIGTERM handler
        // then unlinks daemon.pid although that names the first daemon (claude-flow's foreground
        // cleanup does not look at whose PID it removes), so the first daemon is named by nothing
        // and is an orphan in turn; ending it too leaves a workspace claude-flow starts cleanly.
        REQUIRE_PROFILE("claude-flow");
        QTemporaryDir ws;

        const Daemon first = startClaudeFlow(ws.path());
        QVERIFY(first.pid > 0);
        Daemon second;
        second.pid = pidOf(
            driver("agents/claude-flow.mjs", { QStringLiteral("second"), ws.path() }), QStringLiteral("second"));
        QVERIFY(second.pid > 0);
        QTRY_VERIFY_WITH_TIMEOUT(orphans(claudeFlow(ws.path(), kAnyExit)) == QList<qint64> { second.pid }, 120000);
        QJsonObject snap = claudeFlow(ws.path(), 1);
        QCOMPARE(codes(snap), QStringList { QStringLiteral("daemon-orphan") });
        QVERIFY(plan(ws.path(), 0).isEmpty()); // terminate-orphan is planned only when asked for

        QCOMPARE(repairOutcomes(ws.path(), { QStringLiteral("terminate-orphan") }),
            QStringList { QStringLiteral("applied") });
        QTRY_VERIFY_WITH_TIMEOUT(!processAlive(second.pid), 30000);
        QVERIFY(processAlive(first.pid));
        QTRY_VERIFY_WITH_TIMEOUT(!QFileInfo::exists(ws.filePath(QStringLiteral(".claude-flow/daemon.pid"))), 30000);

        QTRY_VERIFY_WITH_TIMEOUT(orphans(claudeFlow(ws.path(), kAnyExit)) == QList<qint64> { first.pid }, 120000);
        QCOMPARE(repairOutcomes(ws.path(), { QStringLiteral("terminate-orphan") }),
            QStringList { QStringLiteral("applied") });
        QTRY_VERIFY_WITH_TIMEOUT(!processAlive(first.pid), 30000);
        QCOMPARE(codes(claudeFlow(ws.path(), 0)), QStringList {});

        const Daemon next = startClaudeFlow(ws.path());
        QVERIFY(next.pid > 0);
        stopClaudeFlow(ws.path(), next.pid);
    }

    void ohMyCodexDeadLockIsCleared()
    {
        // oh-my-codex's session pointer lock is a directory with an owner file (the owner-dir dialect,
        // docs/formats/oh-my-codex.md). Its holder killed, oh-my-codex calls it dead, writes no session
        // pointer past it, and cannot recover it without its downloaded runtime; Stateward agrees it is
        // stale, clears it, and the next session gets its pointer again.
        REQUIRE_PROFILE("oh-my-codex");
        QTemporaryDir ws;
        const QString omx = ws.filePath(QStringLiteral(".omx"));
        const QString lockDir = ws.filePath(QStringLiteral(".omx/state/session.json.lock"));

        ChildProcess codex; // stands in for the Codex process that owns the session
        QVERIFY(codex.start(QStringLiteral("/bin/sleep"), { QStringLiteral("600") }));
        QCOMPARE(driver("agents/omx.mjs",
                     { QStringLiteral("session"), ws.path(), QStringLiteral("019b0000-aaaa-7bbb-8ccc-000000000001"),
                         QString::number(codex.pid()) }),
            QStringLiteral("session 019b0000-aaaa-7bbb-8ccc-000000000001 %1").arg(codex.pid()));
        QJsonObject snap = snapshotOf(scan(ws.path(), 0), omx);
        QCOMPARE(snap.value(QStringLiteral("family")).toString(), QStringLiteral("oh-my-codex"));
        QCOMPARE(snap.value(QStringLiteral("recognised")).toObject().value(QStringLiteral("layout")).toString(),
            QStringLiteral("session pointer"));
        QCOMPARE(codes(snap), QStringList {});
        QVERIFY(!QFileInfo::exists(lockDir)); // released by the writer

        // A live holder, its owner published: held by both verdicts, nothing planned.
        QTemporaryDir ws2;
        const QString lock2 = ws2.filePath(QStringLiteral(".omx/state/session.json.lock"));
        ChildProcess holder;
        QVERIFY(holder.start(NodeTools::node(),
            { NodeTools::script("agents/omx.mjs"), QStringLiteral("hold"), ws2.path(),
                QStringLiteral("019b0000-aaaa-7bbb-8ccc-000000000002"), QStringLiteral("owner-json") }));
        QVERIFY(!holder.waitForLine("held", 120000).isEmpty());
        QCOMPARE(omxInspect(ws2.path()), QStringLiteral("live"));
        QString dialect;
        // The owner's start ticks and command-line hash are oh-my-codex's: held only if both match ours.
        QCOMPARE(omxLockState(ws2.path(), 0, &dialect), QStringLiteral("held"));
        QCOMPARE(dialect, QStringLiteral("owner-dir"));
        QVERIFY(plan(ws2.path(), 0).isEmpty());

        // kill -9: both call it dead/stale.
        QVERIFY(holder.signal(SIGKILL));
        QVERIFY(holder.reap() >= 0);
        QVERIFY(QFileInfo(lock2 + QLatin1String("/owner.json")).isFile());
        QCOMPARE(omxInspect(ws2.path()), QStringLiteral("dead"));
        snap = snapshotOf(scan(ws2.path(), 1), ws2.filePath(QStringLiteral(".omx")));
        QCOMPARE(snap.value(QStringLiteral("recognised")).toObject().value(QStringLiteral("layout")).toString(),
            QStringLiteral("session pointer lock, no pointer"));
        QStringList lockPaths;
        for (const QJsonValue& l : snap.value(QStringLiteral("locks")).toArray())
            lockPaths.append(l.toObject().value(QStringLiteral("path")).toString());
        QCOMPARE(lockPaths, QStringList { QFileInfo(lock2).canonicalFilePath() });
        QCOMPARE(codes(snap), QStringList { QStringLiteral("stale-lock") });
        QCOMPARE(omxLockState(ws2.path(), 1), QStringLiteral("stale"));
        const QJsonArray actions = plan(ws2.path(), 1);
        QCOMPARE(actions.size(), 1);
        QCOMPARE(
            actions.first().toObject().value(QStringLiteral("kind")).toString(), QStringLiteral("clear-stale-lock"));

        // Before: oh-my-codex past its own dead lock. The next session gets no pointer (the hook
        // swallows why; the function it calls says it), and its recovery refuses a directory on Linux
        // without the omx-runtime binary.
        QCOMPARE(driver("agents/omx.mjs",
                     { QStringLiteral("session"), ws2.path(), QStringLiteral("019b0000-aaaa-7bbb-8ccc-000000000003"),
                         QString::number(codex.pid()) }),
            QString());
        QVERIFY(!QFileInfo::exists(ws2.filePath(QStringLiteral(".omx/state/session.json"))));
        QCOMPARE(driver("agents/omx.mjs",
                     { QStringLiteral("start"), ws2.path(), QStringLiteral("019b0000-aaaa-7bbb-8ccc-000000000003"),
                         QString::number(codex.pid()) }),
            QStringLiteral("abort session_pointer_lock_recovery_required dead"));
        const QJsonObject recover = QJsonDocument::fromJson(
            driver("agents/omx.mjs", { QStringLiteral("lock"), ws2.path(), QStringLiteral("recover") }).toUtf8())
                                        .object();
        QCOMPARE(recover.value(QStringLiteral("status")).toString(), QStringLiteral("dead"));
        QCOMPARE(recover.value(QStringLiteral("recovered")).toBool(true), false);
        const QByteArray owner = TestFiles::readAll(lock2 + QLatin1String("/owner.json"));
        QVERIFY(!owner.isEmpty());

        // Stateward's repair clears it, the owner file's bytes kept in the quarantine.
        QCOMPARE(repairOutcomes(ws2.path()), QStringList { QStringLiteral("applied") });
        QVERIFY(!QFileInfo::exists(lock2));
        QCOMPARE(omxInspect(ws2.path()), QStringLiteral("absent"));
        const QDir quarantine(ws2.filePath(QStringLiteral(".omx/.stateward/quarantine")));
        const QStringList kept = quarantine.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        QCOMPARE(kept.size(), 1);
        const QJsonObject manifest = QJsonDocument::fromJson(
            TestFiles::readAll(quarantine.filePath(kept.first()) + QLatin1String("/manifest.json")))
                                         .object();
        const QJsonObject entry = manifest.value(QStringLiteral("entries")).toArray().first().toObject();
        QCOMPARE(entry.value(QStringLiteral("op")).toString(), QStringLiteral("cleared"));
        QCOMPARE(entry.value(QStringLiteral("path")).toString(), QStringLiteral("state/session.json.lock/owner.json"));
        QCOMPARE(TestFiles::readAll(quarantine.filePath(kept.first()) + QLatin1Char('/')
                     + entry.value(QStringLiteral("stored")).toString()),
            owner);
        QCOMPARE(QDir(quarantine.filePath(kept.first()) + QLatin1String("/files"))
                     .entryList(QDir::Dirs | QDir::NoDotAndDotDot),
            QStringList {}); // the directory was emptied and removed there

        // After: the real hook's next SessionStart writes the pointer again.
        QCOMPARE(driver("agents/omx.mjs",
                     { QStringLiteral("session"), ws2.path(), QStringLiteral("019b0000-aaaa-7bbb-8ccc-000000000004"),
                         QString::number(codex.pid()) }),
            QStringLiteral("session 019b0000-aaaa-7bbb-8ccc-000000000004 %1").arg(codex.pid()));
        QVERIFY(QFileInfo(ws2.filePath(QStringLiteral(".omx/state/session.json"))).isFile());
        QVERIFY(!QFileInfo::exists(lock2)); // released by the writer
        QCOMPARE(codes(snapshotOf(scan(ws2.path(), 0), ws2.filePath(QStringLiteral(".omx")))), QStringList {});

        // Killed while its owner was still owner.<token>.tmp: live, then stale, and cleared the same way.
        QTemporaryDir ws3;
        const QString lock3 = ws3.filePath(QStringLiteral(".omx/state/session.json.lock"));
        ChildProcess publishing;
        QVERIFY(publishing.start(NodeTools::node(),
            { NodeTools::script("agents/omx.mjs"), QStringLiteral("hold"), ws3.path(),
                QStringLiteral("019b0000-aaaa-7bbb-8ccc-000000000005"), QStringLiteral("owner-tmp") }));
        QVERIFY(!publishing.waitForLine("held", 120000).isEmpty());
        QCOMPARE(omxInspect(ws3.path()), QStringLiteral("live"));
        QCOMPARE(omxLockState(ws3.path(), 0), QStringLiteral("held"));
        QVERIFY(publishing.signal(SIGKILL));
        QVERIFY(publishing.reap() >= 0);
        const QStringList tmpOwner = QDir(lock3).entryList(QDir::Files);
        QCOMPARE(tmpOwner.size(), 1);
        QVERIFY2(
            tmpOwner.first().startsWith(QLatin1String("owner.")) && tmpOwner.first().endsWith(QLatin1String(".tmp")),
            qPrintable(tmpOwner.first()));
        QCOMPARE(omxInspect(ws3.path()), QStringLiteral("dead"));
        QCOMPARE(omxLockState(ws3.path(), 1), QStringLiteral("stale"));
        QCOMPARE(repairOutcomes(ws3.path()), QStringList { QStringLiteral("applied") });
        QVERIFY(!QFileInfo::exists(lock3));
        QCOMPARE(driver("agents/omx.mjs",
                     { QStringLiteral("session"), ws3.path(), QStringLiteral("019b0000-aaaa-7bbb-8ccc-000000000006"),
                         QString::number(codex.pid()) }),
            QStringLiteral("session 019b0000-aaaa-7bbb-8ccc-000000000006 %1").arg(codex.pid()));
    }
};

QTEST_GUILESS_MAIN(TestInteropAgents)
#include "tst_interop_agents.moc"
