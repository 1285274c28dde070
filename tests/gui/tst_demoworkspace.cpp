// SPDX-License-Identifier: GPL-3.0-or-later
// `stateward --demo`: the demo workspace scans with every family's planted problem, its stand-ins
// are verified like the real daemons, every planned repair stays inside the demo's own folders, and
// nothing (process or folder) outlives it. The stand-ins are the built `stateward` binary.
#include "childprocess.h"
#include "demostandin.h"
#include "demoworkspace.h"
#include "proc/processinfo.h"
#include "repair/repair.h"
#include "sources/codexsource.h"
#include "sources/source.h"
#include "testfiles.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace Stateward;

namespace {

bool aliveAt(qint64 pid)
{
    return livenessOf(pid) == Liveness::Alive;
}

// Polls until pid is no longer a live process (a zombie counts as gone); false after timeoutMs.
bool goneWithin(qint64 pid, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (aliveAt(pid)) {
        if (deadline.hasExpired())
            return false;
        QThread::msleep(10);
    }
    return true;
}

QStringList list(std::initializer_list<const char*> items)
{
    QStringList out;
    for (const char* item : items)
        out.append(QLatin1String(item));
    return out;
}

const Snapshot* snapshotOf(const QList<Snapshot>& snapshots, Family family)
{
    const Snapshot* found = nullptr;
    for (const Snapshot& s : snapshots) {
        if (s.family == family) {
            if (found)
                return nullptr; // one state dir per family in the demo
            found = &s;
        }
    }
    return found;
}

const Broker* brokerWithPid(const Snapshot& s, qint64 pid)
{
    for (const Broker& b : s.brokers) {
        if (b.pid == pid)
            return &b;
    }
    return nullptr;
}

// One JSON-RPC exchange with a codex broker, as codex-companion's client opens a session.
QByteArray askBroker(const QString& socketPath, const QByteArray& request)
{
    const QByteArray path = QFile::encodeName(socketPath);
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.constData(), size_t(path.size()));
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        if (fd >= 0)
            ::close(fd);
        return {};
    }
    timeval timeout { 5, 0 };
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    QByteArray answer;
    if (::send(fd, request.constData(), size_t(request.size()), MSG_NOSIGNAL) == request.size()) {
        char buffer[1024];
        while (!answer.contains('\n')) {
            const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n <= 0)
                break;
            answer.append(buffer, n);
        }
    }
    ::close(fd);
    return answer;
}

} // namespace

class TestDemoWorkspace : public QObject
{
    Q_OBJECT

    QTemporaryDir m_tmp; // $TMPDIR for the demo: its cxc-* and codex-companion dirs are counted here

    QString program() const { return ChildProcess::binary("stateward"); }

    // Whatever is in our $TMPDIR, which the demo must leave as it found it.
    QStringList tmpEntries() const
    {
        return QDir(m_tmp.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        qputenv("TMPDIR", QFile::encodeName(m_tmp.path()));
        QCOMPARE(QDir::tempPath(), m_tmp.path());
        QVERIFY2(QFileInfo(program()).isExecutable(), qPrintable(program()));
    }

    void cleanup() { QCOMPARE(tmpEntries(), QStringList()); }

    void scanShowsEveryFamilysProblems()
    {
        DemoWorkspace demo;
        demo.setStandInProgram(program());
        QString error;
        QVERIFY2(demo.create(&error), qPrintable(error));
        QVERIFY(!demo.create(&error)); // once only
        QVERIFY(error.contains(demo.path()));
        QVERIFY(QFileInfo(demo.path()).fileName().startsWith(QLatin1String("stateward-demo-")));
        QCOMPARE(QFileInfo(demo.path()).canonicalFilePath(), demo.path());

        // Four live stand-ins, each detached into its own session like the real daemons.
        const QList<qint64> pids { demo.brokerPid(), demo.orphanBrokerPid(), demo.daemonPid(), demo.nxDaemonPid() };
        const QList<qint64> running = demo.processes();
        QCOMPARE(QSet<qint64>(running.cbegin(), running.cend()), QSet<qint64>(pids.cbegin(), pids.cend()));
        for (qint64 pid : pids) {
            const ProcessInfo p = inspectProcess(pid);
            QVERIFY2(p.isAlive(), qPrintable(QString::number(pid)));
            QCOMPARE(p.sid, pid);
            QCOMPARE(p.pgid, pid);
            QCOMPARE(p.ppid, qint64(::getpid()));
        }
        // Each runs under the name of the daemon it stands for: a repair reporting "PID n
        // (stateward) terminated" would read as the app killing itself.
        QCOMPARE(inspectProcess(demo.brokerPid()).comm, QStringLiteral("node"));
        QCOMPARE(inspectProcess(demo.orphanBrokerPid()).comm, QStringLiteral("node"));
        QCOMPARE(inspectProcess(demo.daemonPid()).comm, QStringLiteral("bun"));

        ScanContext context;
        // As of past the brokers' start-up grace: the demo's orphan broker was started a moment ago.
        context.setNow(QDateTime::currentDateTimeUtc().addSecs(CodexSource::kBrokerGraceSecs + 60));
        const QList<Snapshot> snapshots = scanWorkspace(demo.path(), context);
        QCOMPARE(snapshots.size(), 5);

        const Snapshot* trajectories = snapshotOf(snapshots, Family::Trajectories);
        QVERIFY(trajectories);
        QCOMPARE(trajectories->stateDir, demo.path() + QLatin1String("/.trajectories"));
        QCOMPARE(TestFiles::findingCodes(*trajectories),
            list({ "index-dangling", "index-missing-record", "index-missing-record", "index-stale", "orphan-tmp",
                "record-invalid" }));
        QCOMPARE(trajectories->jobs.size(), 5);

        const Snapshot* codex = snapshotOf(snapshots, Family::Codex);
        QVERIFY(codex);
        QCOMPARE(codex->stateDir, demo.codexStateDir());
        QCOMPARE(TestFiles::findingCodes(*codex),
            list({ "broker-orphan", "job-dead-running", "job-file-unindexed", "session-dir-orphan" }));
        for (const Finding& f : codex->findings) {
            if (f.code == QLatin1String("session-dir-orphan"))
                QCOMPARE(f.subject, demo.sessionDirs().at(2));
        }
        const Broker* named = brokerWithPid(*codex, demo.brokerPid());
        QVERIFY(named);
        QCOMPARE(named->stateFile, demo.codexStateDir() + QLatin1String("/broker.json"));
        QCOMPARE(named->liveness, Liveness::Alive);
        QVERIFY2(named->identityVerified, qPrintable(named->identityEvidence));
        QCOMPARE(named->reachable, std::optional<bool>(true));
        QCOMPARE(named->sessionDir, demo.sessionDirs().at(1));
        const Broker* orphan = brokerWithPid(*codex, demo.orphanBrokerPid());
        QVERIFY(orphan);
        QVERIFY(orphan->identityVerified);
        QCOMPARE(orphan->sessionDir, demo.sessionDirs().at(0));
        int deadRunning = 0;
        for (const Job& j : codex->jobs) {
            if (j.status == QLatin1String("running")) {
                ++deadRunning;
                QCOMPARE(livenessOf(j.pid), Liveness::Dead);
            }
        }
        QCOMPARE(deadRunning, 1);

        const Snapshot* codegraph = snapshotOf(snapshots, Family::Codegraph);
        QVERIFY(codegraph);
        QCOMPARE(TestFiles::findingCodes(*codegraph), list({ "orphan-tmp", "orphan-tmp", "stale-lock" }));
        QCOMPARE(codegraph->locks.size(), 1);
        QCOMPARE(codegraph->locks.first().verdict.liveness, Liveness::Dead);

        const Snapshot* gstack = snapshotOf(snapshots, Family::Gstack);
        QVERIFY(gstack);
        QCOMPARE(TestFiles::findingCodes(*gstack), list({ "orphan-tmp" }));
        QCOMPARE(gstack->brokers.size(), 1);
        const Broker& daemon = gstack->brokers.first();
        QCOMPARE(daemon.pid, demo.daemonPid());
        QCOMPARE(daemon.liveness, Liveness::Alive);
        // Verified both ways gstacksource checks: `bun run …/server.ts` and BROWSE_STATE_FILE.
        QVERIFY2(daemon.identityVerified, qPrintable(daemon.identityEvidence));
        QVERIFY2(daemon.identityEvidence.contains(QLatin1String("matches bun run"))
                && daemon.identityEvidence.contains(QLatin1String("names this file")),
            qPrintable(daemon.identityEvidence));
        QCOMPARE(daemon.reachable, std::optional<bool>(true));

        // The Nx daemon, a profile tool (core/sources/profiles/nx.json): live, verified, healthy.
        const Snapshot* nx = snapshotOf(snapshots, *familyNamed(u"nx"));
        QVERIFY(nx);
        QCOMPARE(nx->stateDir, demo.path() + QLatin1String("/.nx/workspace-data"));
        QCOMPARE(nx->recognised.tool, QStringLiteral("Nx"));
        QCOMPARE(TestFiles::findingCodes(*nx), QStringList());
        QCOMPARE(nx->brokers.size(), 1);
        QCOMPARE(nx->brokers.first().pid, demo.nxDaemonPid());
        QVERIFY2(nx->brokers.first().identityVerified, qPrintable(nx->brokers.first().identityEvidence));
        QCOMPARE(nx->brokers.first().reachable, std::optional<bool>(true));

        // Every finding, and every repair a plan would make, stays in the demo's own folders.
        const QStringList own { demo.path() + QLatin1Char('/'), demo.codexStateDir() + QLatin1Char('/'),
            demo.sessionDirs().at(0), demo.sessionDirs().at(1), demo.sessionDirs().at(2) };
        const auto isOwn = [&own](const QString& path) {
            return std::any_of(
                own.cbegin(), own.cend(), [&path](const QString& root) { return path.startsWith(root); });
        };
        for (const Snapshot& s : snapshots) {
            for (const Finding& f : s.findings)
                QVERIFY2(isOwn(f.subject), qPrintable(f.subject));
        }
        const RepairPlan plan = planRepairs(snapshots, repairKinds());
        QSet<QString> planned;
        for (const RepairAction& a : plan.actions) {
            planned.insert(nameOf(a.kind));
            for (const QString& kind : namesOf(a.kinds)) // one index rewrite carries several kinds
                planned.insert(kind);
            QVERIFY2(isOwn(a.target), qPrintable(a.target));
        }
        for (const char* kind :
            { "clear-stale-lock", "sweep-tmp", "reindex", "drop-dangling-entry", "fix-index-entry", "mark-failed" })
            QVERIFY2(planned.contains(QLatin1String(kind)), kind);

        // The named broker speaks codex-companion's protocol on its endpoint.
        const QByteArray answer = askBroker(demo.sessionDirs().at(1) + QLatin1String("/broker.sock"),
            "{\"id\":1,\"method\":\"initialize\",\"params\":{}}\n");
        QCOMPARE(answer, QByteArray("{\"id\":1,\"result\":{\"userAgent\":\"codex-companion-broker\"}}\n"));
    }

    void shutdownStopsEverything()
    {
        QList<qint64> pids;
        QStringList sessions;
        QString path, codexStateDir;
        {
            DemoWorkspace demo;
            demo.setStandInProgram(program());
            QString error;
            QVERIFY2(demo.create(&error), qPrintable(error));
            pids = demo.processes();
            QCOMPARE(pids.size(), 4);
            sessions = demo.sessionDirs();
            path = demo.path();
            codexStateDir = demo.codexStateDir();

            demo.shutdown();
            QVERIFY(demo.processes().isEmpty());
            for (qint64 pid : std::as_const(pids))
                QCOMPARE(livenessOf(pid), Liveness::Dead); // exited and reaped
            for (const QString& dir : std::as_const(sessions))
                QVERIFY2(!QFileInfo::exists(dir), qPrintable(dir));
            QVERIFY(QFileInfo(path).isDir()); // removed with the object, not before
            demo.shutdown(); // again: nothing left to do
        }
        QVERIFY(!QFileInfo::exists(path));
        QVERIFY(!QFileInfo::exists(codexStateDir));
    }

    void destructorAloneCleansUp()
    {
        QList<qint64> pids;
        QStringList sessions;
        QString path;
        {
            DemoWorkspace demo;
            demo.setStandInProgram(program());
            QString error;
            QVERIFY2(demo.create(&error), qPrintable(error));
            pids = demo.processes();
            sessions = demo.sessionDirs();
            path = demo.path();
        }
        QCOMPARE(pids.size(), 4);
        for (qint64 pid : std::as_const(pids))
            QCOMPARE(livenessOf(pid), Liveness::Dead);
        for (const QString& dir : std::as_const(sessions))
            QVERIFY2(!QFileInfo::exists(dir), qPrintable(dir));
        QVERIFY(!QFileInfo::exists(path));
    }

    void standInsExitOnSigterm()
    {
        DemoWorkspace demo;
        demo.setStandInProgram(program());
        QString error;
        QVERIFY2(demo.create(&error), qPrintable(error));
        const QString session = demo.sessionDirs().at(1);
        const QString browseJson = demo.path() + QLatin1String("/.gstack/browse.json");
        QVERIFY(QFileInfo::exists(session + QLatin1String("/broker.pid")));
        QVERIFY(QFileInfo::exists(browseJson));

        QVERIFY(::kill(pid_t(demo.brokerPid()), SIGTERM) == 0);
        QVERIFY(::kill(pid_t(demo.daemonPid()), SIGTERM) == 0);
        QVERIFY2(goneWithin(demo.brokerPid(), 2000), "the broker stand-in outlived SIGTERM by 2 s");
        QVERIFY2(goneWithin(demo.daemonPid(), 2000), "the gstack stand-in outlived SIGTERM by 2 s");
        // Each cleaned up as its upstream does: the broker its socket and pid file (not its log,
        // not its dir), the daemon its state file.
        QVERIFY(!QFileInfo::exists(session + QLatin1String("/broker.sock")));
        QVERIFY(!QFileInfo::exists(session + QLatin1String("/broker.pid")));
        QVERIFY(QFileInfo::exists(session + QLatin1String("/broker.log")));
        QVERIFY(!QFileInfo::exists(browseJson));
        QVERIFY(aliveAt(demo.orphanBrokerPid()));
        demo.shutdown(); // copes with stand-ins that are already gone
        QVERIFY(demo.processes().isEmpty());
        QCOMPARE(livenessOf(demo.orphanBrokerPid()), Liveness::Dead);
    }

    void keepLeavesTheFilesNotTheProcesses()
    {
        QString path, codexStateDir;
        QList<qint64> pids;
        {
            DemoWorkspace demo;
            demo.setStandInProgram(program());
            demo.setKeep(true);
            QString error;
            QVERIFY2(demo.create(&error), qPrintable(error));
            path = demo.path();
            codexStateDir = demo.codexStateDir();
            pids = demo.processes();
        }
        for (qint64 pid : std::as_const(pids))
            QCOMPARE(livenessOf(pid), Liveness::Dead);
        QVERIFY(QFileInfo::exists(path + QLatin1String("/.trajectories/index.json")));
        QVERIFY(QFileInfo::exists(codexStateDir + QLatin1String("/state.json")));
        QVERIFY(QDir(path).removeRecursively());
        QVERIFY(QDir(QDir::tempPath() + QLatin1String("/codex-companion")).removeRecursively());
    }

    void failureLeavesNothing()
    {
        DemoWorkspace demo;
        demo.setStandInProgram(m_tmp.filePath(QStringLiteral("no-such-program")));
        QString error;
        QVERIFY(!demo.create(&error));
        QVERIFY2(error.contains(QLatin1String("no-such-program")), qPrintable(error));
        QVERIFY(demo.path().isEmpty());

        // A stand-in that exits at once (an unknown kind's exit 2 stands in for a broken binary):
        // create() reports it and undoes everything it made.
        DemoWorkspace broken;
        broken.setStandInProgram(QStringLiteral("/bin/false"));
        QVERIFY(!broken.create(&error));
        QVERIFY2(error.contains(QLatin1String("broker")), qPrintable(error));
        QVERIFY(broken.path().isEmpty());
        QVERIFY(broken.processes().isEmpty());

        // A $TMPDIR too deep for a unix socket path: the broker's own complaint reaches the caller.
        const QString deep = m_tmp.filePath(QString(100, QLatin1Char('d')));
        QVERIFY(QDir().mkpath(deep));
        qputenv("TMPDIR", QFile::encodeName(deep));
        {
            DemoWorkspace tooDeep;
            tooDeep.setStandInProgram(program());
            const bool created = tooDeep.create(&error);
            qputenv("TMPDIR", QFile::encodeName(m_tmp.path()));
            QVERIFY(!created);
            QVERIFY2(error.contains(QLatin1String("socket path too long")), qPrintable(error));
            QCOMPARE(QDir(deep).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), QStringList());
        }
        QVERIFY(QDir(deep).removeRecursively());
    }

    void unknownStandInKindIsRefused()
    {
        char name[] = "stateward";
        char* argv[] = { name, nullptr };
        QCOMPARE(DemoStandIn::run("no-such-kind", 1, argv), 2);
    }
};

QTEST_MAIN(TestDemoWorkspace)
#include "tst_demoworkspace.moc"
