// SPDX-License-Identifier: GPL-3.0-or-later
// What an attacker (or a crashed tool) can leave in a workspace, run through the real CLI: processes
// that only pretend to be a tool's daemon, and FIFOs or devices where state and lock files belong.
// Every CLI run has a deadline, so a regression fails the test instead of hanging it.
#include "childprocess.h"
#include "clirun.h"
#include "gstackdaemon.h"
#include "lock/lockfile.h"
#include "nodetools.h"
#include "proc/processinfo.h"
#include "repair/quarantine.h"
#include "sources/codexsource.h"
#include "sources/gstacksource.h"
#include "testfiles.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <cstring>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

using namespace Stateward;
using namespace TestFiles;

namespace {

constexpr int kCliDeadlineMs = 30000;

// The live children of pid (from /proc now).
QList<qint64> childrenOf(qint64 pid)
{
    QList<qint64> out;
    for (qint64 p : listPids()) {
        if (const auto st = statOf(p); st && st->ppid == pid && !st->isDead())
            out.append(p);
    }
    return out;
}

// Kills what a test left behind that no ChildProcess owns (grandchildren).
struct KillOnExit
{
    QList<qint64> pids;
    ~KillOnExit()
    {
        for (qint64 p : pids)
            ::kill(pid_t(p), SIGKILL);
    }
};

QString cliText(const CliRun& r)
{
    return QString::fromUtf8(r.out + r.err);
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true; // ASan maps terabytes of shadow: no address-space cap
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

// The CLI with a deadline, and (unsanitized) a 2 GiB address-space cap: a reader that slurps
// /dev/zero then fails fast instead of eating the machine's memory for the whole deadline.
CliRun runCapped(const QStringList& arguments, const QProcessEnvironment& environment)
{
    QProcess p;
    p.setProcessEnvironment(environment);
    if (!kSanitized) {
        p.setChildProcessModifier([] {
            const rlimit cap { rlim_t(2) << 30, rlim_t(2) << 30 };
            ::setrlimit(RLIMIT_AS, &cap);
        });
    }
    p.start(QStringLiteral(STATEWARD_BIN_DIR "/stateward-cli"), arguments);
    CliRun r;
    if (!p.waitForFinished(kCliDeadlineMs))
        return r; // ~QProcess kills it
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

// Asleep with an inotify fd open: a LockFile waiting for its lock's name to change.
bool waitsOnInotify(qint64 pid)
{
    const auto st = statOf(pid);
    if (!st || st->state != QLatin1Char('S'))
        return false;
    const QDir fds(QStringLiteral("/proc/%1/fd").arg(pid));
    for (const QString& fd : fds.entryList(QDir::AllEntries | QDir::System | QDir::NoDotAndDotDot)) {
        char target[64] = {};
        const ssize_t n = ::readlink(QFile::encodeName(fds.filePath(fd)).constData(), target, sizeof target - 1);
        if (n > 0 && QByteArrayView(target, n) == "anon_inode:inotify")
            return true;
    }
    return false;
}

enum class Special
{
    Fifo,
    CharDevice, // 1:5, i.e. /dev/zero: endless bytes
};

bool makeSpecial(const QString& path, Special kind)
{
    const QByteArray p = QFile::encodeName(path);
    return kind == Special::Fifo ? ::mkfifo(p.constData(), 0600) == 0
                                 : ::mknod(p.constData(), S_IFCHR | 0600, makedev(1, 5)) == 0;
}

} // namespace

class TestHostileInput : public QObject
{
    Q_OBJECT

    GstackDaemonTools m_gstack;

    bool startDaemon(ChildProcess& daemon, const QString& ws, const QByteArray& extraEnv = {})
    {
        return m_gstack.start(daemon, ws, extraEnv);
    }

    static CliRun repairOrphans(const QString& ws)
    {
        return runCli({ QStringLiteral("repair"), ws, QStringLiteral("--kind"), QStringLiteral("orphan-brokers"),
                          QStringLiteral("--yes") },
            QProcessEnvironment::systemEnvironment(), kCliDeadlineMs);
    }

    // A workspace with the state dirs of every family, in a sandbox of its own: HOME, TMPDIR and
    // CLAUDE_PLUGIN_DATA point inside it, so nothing of the machine's takes part.
    struct Sandbox
    {
        QTemporaryDir root;
        QString ws, home, tmp, pluginData, codexDir;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();

        Sandbox()
        {
            ws = root.filePath(QStringLiteral("ws"));
            home = root.filePath(QStringLiteral("home"));
            tmp = root.filePath(QStringLiteral("tmp"));
            pluginData = root.filePath(QStringLiteral("plugin"));
            for (const QString& d : { ws, home, tmp, ws + QStringLiteral("/.codegraph"),
                     ws + QStringLiteral("/.trajectories"), ws + QStringLiteral("/.gstack") })
                QDir().mkpath(d);
            codexDir = pluginData + QStringLiteral("/state/") + CodexSource::stateDirName(ws);
            QDir().mkpath(codexDir);
            env.insert(QStringLiteral("HOME"), home);
            env.insert(QStringLiteral("TMPDIR"), tmp);
            env.insert(QStringLiteral("CLAUDE_PLUGIN_DATA"), pluginData);
            env.remove(QStringLiteral("TRAJECTORIES_DATA_DIR"));
        }
        CliRun cli(const QStringList& arguments) const { return runCapped(arguments, env); }
        // gstack's browse.json.lock, naming a dead PID and 10 minutes old: what `repair` clears.
        QString staleGstackLock() const
        {
            const QString lock = ws + QStringLiteral("/.gstack/browse.json.lock");
            writeFile(lock, QByteArray::number(ChildProcess::deadPid()) + '\n');
            backdate(lock, 600);
            return lock;
        }
    };

private slots:
    void initTestCase()
    {
        const QString why = m_gstack.setUp();
        QVERIFY2(why.isEmpty(), qPrintable(why));
    }

    // D1: `BROWSE_STATE_FILE=$WS/.gstack/browse.json sleep 600`, and a `bash -c` with a child, are
    // not gstack daemons: no orphan finding, and `repair --kind orphan-brokers --yes` signals nothing.
    void environmentAloneIsNoDaemon()
    {
        QTemporaryDir ws;
        QVERIFY(QDir(ws.path()).mkdir(QStringLiteral(".gstack")));
        const QString stateFile = ws.filePath(QStringLiteral(".gstack/browse.json"));
        ChildProcess sleeper, shell;
        QVERIFY(sleeper.start(QStringLiteral("/bin/sh"),
            { QStringLiteral("-c"), QStringLiteral("BROWSE_STATE_FILE=\"$1\" exec sleep 600"), QStringLiteral("sh"),
                stateFile }));
        QVERIFY(shell.start(QStringLiteral("/bin/sh"),
            { QStringLiteral("-c"), QStringLiteral("BROWSE_STATE_FILE=\"$1\" exec bash -c 'sleep 600; exit 0'"),
                QStringLiteral("sh"), stateFile }));
        KillOnExit cleanup;
        QTRY_VERIFY_WITH_TIMEOUT(!childrenOf(shell.pid()).isEmpty(), 10000);
        cleanup.pids = childrenOf(shell.pid());
        QTRY_COMPARE_WITH_TIMEOUT(inspectProcess(sleeper.pid()).argv.value(0), QStringLiteral("sleep"), 10000);
        const QList<qint64> all = QList<qint64> { sleeper.pid(), shell.pid() } + cleanup.pids;
        for (qint64 pid : all)
            QCOMPARE(inspectProcess(pid).environmentValue(u"BROWSE_STATE_FILE"), stateFile);

        ScanContext context;
        const QList<Snapshot> snapshots = scanWorkspace(ws.path(), context);
        QCOMPARE(snapshots.size(), 1);
        QVERIFY2(snapshots.first().brokers.isEmpty(),
            qPrintable(findingCodes(snapshots.first()).join(u',') + QLatin1Char(' ')
                + QString::fromUtf8(QJsonDocument(snapshots.first().toJson()).toJson())));
        const CliRun r = repairOrphans(ws.path());
        QVERIFY2(r.exitCode >= 0, "the CLI did not finish");
        for (qint64 pid : all)
            QVERIFY2(inspectProcess(pid).isAlive(),
                qPrintable(QStringLiteral("PID %1 was killed: %2").arg(pid).arg(cliText(r))));
    }

    // D1: what a live daemon browse.json names starts with its environment (Playwright's Chromium)
    // is the daemon's: never an orphan, never signalled.
    void namedDaemonsBrowserIsNoOrphan()
    {
        QTemporaryDir ws;
        QVERIFY(QDir(ws.path()).mkdir(QStringLiteral(".gstack")));
        ChildProcess daemon;
        QVERIFY(startDaemon(daemon, ws.path(), "STANDIN_BROWSER_CHILD=1"));
        const QList<qint64> browser = childrenOf(daemon.pid());
        QCOMPARE(browser.size(), 1);
        KillOnExit cleanup { browser };
        QCOMPARE(inspectProcess(browser.first()).environmentValue(u"BROWSE_STATE_FILE"),
            ws.filePath(QStringLiteral(".gstack/browse.json")));

        ScanContext context;
        const QList<Snapshot> snapshots = scanWorkspace(ws.path(), context);
        QCOMPARE(snapshots.size(), 1);
        QVERIFY2(snapshots.first().findings.isEmpty(), qPrintable(findingCodes(snapshots.first()).join(u',')));
        QCOMPARE(snapshots.first().brokers.size(), 1);
        const CliRun r = repairOrphans(ws.path());
        QVERIFY2(r.exitCode >= 0, "the CLI did not finish");
        QVERIFY2(inspectProcess(browser.first()).isAlive(), qPrintable(cliText(r)));
        QVERIFY(inspectProcess(daemon.pid()).isAlive());
    }

    // D1: even a descendant with the daemon's argv and environment is the named daemon's own; the
    // same process with no daemon named is an orphan (the rule is not vacuous).
    void namedDaemonsDescendantsAreNeverOrphans()
    {
        QTemporaryDir ws;
        const QString stateFile = ws.filePath(QStringLiteral("browse.json"));
        ChildProcess child;
        QVERIFY(child.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        QVERIFY(!child.waitForLine("ready").isEmpty());
        ProcessInfo p = inspectProcess(child.pid());
        QCOMPARE(p.ppid, qint64(::getpid()));
        p.argv = { QStringLiteral("bun"), QStringLiteral("run"), QStringLiteral("/opt/gstack/browse/src/server.ts") };
        p.environReadable = true;
        p.environment = { QStringLiteral("BROWSE_STATE_FILE=") + stateFile };
        QCOMPARE(GstackSource::orphanDaemonMismatch(p, stateFile, -1), QString());
        const QString why = GstackSource::orphanDaemonMismatch(p, stateFile, ::getpid());
        QVERIFY2(why.contains(QLatin1String("started by the daemon")), qPrintable(why));
    }

    // D1: browse.json naming a process that only has BROWSE_STATE_FILE is not "verified".
    void namedProcessWithEnvironmentOnlyIsUnverified()
    {
        QTemporaryDir ws;
        QVERIFY(QDir(ws.path()).mkdir(QStringLiteral(".gstack")));
        const QString stateFile = ws.filePath(QStringLiteral(".gstack/browse.json"));
        ChildProcess sleeper;
        QVERIFY(sleeper.start(QStringLiteral("/bin/sh"),
            { QStringLiteral("-c"), QStringLiteral("BROWSE_STATE_FILE=\"$1\" exec sleep 600"), QStringLiteral("sh"),
                stateFile }));
        QTRY_COMPARE_WITH_TIMEOUT(inspectProcess(sleeper.pid()).argv.value(0), QStringLiteral("sleep"), 10000);
        const QByteArray after = QDateTime::currentDateTimeUtc().addSecs(5).toString(Qt::ISODateWithMs).toLatin1();
        writeFile(stateFile,
            "{\"pid\": " + QByteArray::number(sleeper.pid()) + ", \"port\": 1, \"startedAt\": \"" + after + "\"}");
        GstackSource source;
        ScanContext context;
        const Snapshot s = source.scan(ws.path(), source.stateDirs(ws.path()).value(0), context);
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("daemon-unverified") });
        QCOMPARE(s.brokers.size(), 1);
        QVERIFY(!s.brokers.first().identityVerified);
    }

    // D2: a FIFO or a device where a lock, journal or pid file belongs. Each command finishes, the
    // scan names the file, and the file is left as it was.
    void specialFilesNeverBlock_data()
    {
        QTest::addColumn<QString>("where"); // relative to the workspace; codex/ and tmp/ are mapped
        QTest::addColumn<int>("kind");
        const int fifo = int(Special::Fifo);
        QTest::newRow("changes.journal.lock FIFO") << QStringLiteral(".codegraph/changes.journal.lock") << fifo;
        QTest::newRow("index.json.lock FIFO") << QStringLiteral(".trajectories/index.json.lock") << fifo;
        QTest::newRow("state.json.lock FIFO") << QStringLiteral("codex/state.json.lock") << fifo;
        QTest::newRow("browse.json.lock FIFO") << QStringLiteral(".gstack/browse.json.lock") << fifo;
        QTest::newRow("changes.journal FIFO") << QStringLiteral(".codegraph/changes.journal") << fifo;
        QTest::newRow("cxc broker.pid FIFO") << QStringLiteral("tmp/cxc-Ab12Cd/broker.pid") << fifo;
        QTest::newRow("changes.journal /dev/zero")
            << QStringLiteral(".codegraph/changes.journal") << int(Special::CharDevice);
    }

    void specialFilesNeverBlock()
    {
        QFETCH(QString, where);
        QFETCH(int, kind);
        Sandbox box;
        QString path = box.ws + QLatin1Char('/') + where;
        if (where.startsWith(QLatin1String("codex/")))
            path = box.codexDir + where.mid(5);
        else if (where.startsWith(QLatin1String("tmp/")))
            path = box.tmp + where.mid(3);
        QVERIFY(QDir().mkpath(QFileInfo(path).path()));
        if (!makeSpecial(path, Special(kind)))
            QSKIP(qPrintable(
                QStringLiteral("cannot make %1 here: %2").arg(where, QString::fromLocal8Bit(strerror(errno)))));
        if (where.startsWith(QLatin1String("tmp/"))) { // past the session-dir start-up grace
            backdate(path, 600);
            backdate(QFileInfo(path).path(), 600);
        }
        const QString name = QFileInfo(path).fileName();
        const QString stateDir = where.startsWith(QLatin1String("codex/")) || where.startsWith(QLatin1String("tmp/"))
            ? box.codexDir
            : QFileInfo(path).path();

        const CliRun scan = box.cli({ QStringLiteral("scan"), box.ws });
        QVERIFY2(scan.exitCode >= 0, "scan did not finish");
        QVERIFY2(cliText(scan).contains(name), qPrintable(cliText(scan)));
        const CliRun locks = box.cli({ QStringLiteral("locks"), stateDir });
        QVERIFY2(locks.exitCode >= 0, "locks did not finish");
        if (name.endsWith(QLatin1String(".lock")))
            QVERIFY2(cliText(locks).contains(path), qPrintable(cliText(locks)));
        const CliRun repair = box.cli({ QStringLiteral("repair"), box.ws, QStringLiteral("--yes") });
        QVERIFY2(repair.exitCode >= 0, "repair did not finish");
        struct stat st
        {
        };
        if (where.startsWith(QLatin1String("tmp/"))) { // an unused session dir goes, naming what it held
            QVERIFY2(cliText(repair).contains(path + QLatin1String(" removed (a special file")),
                qPrintable(cliText(repair)));
            return;
        }
        QCOMPARE(::lstat(QFile::encodeName(path).constData(), &st), 0);
        QCOMPARE(st.st_mode & S_IFMT, Special(kind) == Special::Fifo ? mode_t(S_IFIFO) : mode_t(S_IFCHR));
    }

    // D2, D6: an audit log that is a FIFO (which would block the append), or a hard link to a file
    // elsewhere (which would take the lines): the repair and the undo refuse, naming it, and change nothing.
    void unusableAuditLogRefusesRepairAndUndo_data()
    {
        QTest::addColumn<QString>("shape");
        QTest::newRow("FIFO") << QStringLiteral("fifo");
        QTest::newRow("hard link") << QStringLiteral("link");
        QTest::newRow("symlink") << QStringLiteral("symlink");
    }

    void unusableAuditLogRefusesRepairAndUndo()
    {
        QFETCH(QString, shape);
        Sandbox box;
        // A first repair with a working audit log leaves a quarantine to undo.
        const QString lock = box.staleGstackLock();
        CliRun r = box.cli({ QStringLiteral("repair"), box.ws, QStringLiteral("--yes") });
        QVERIFY2(r.exitCode >= 0 && !QFile::exists(lock), qPrintable(cliText(r)));
        const QString audit = box.ws + QStringLiteral("/.gstack/.stateward/audit.jsonl");
        const QStringList ids = QDir(box.ws + QStringLiteral("/.gstack/.stateward/quarantine"))
                                    .entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        QCOMPARE(ids.size(), 1);

        QTemporaryDir elsewhere;
        const QString victim = elsewhere.filePath(QStringLiteral("victim"));
        writeFile(victim, "untouched\n");
        QVERIFY(QFile::remove(audit));
        if (shape == QLatin1String("fifo"))
            QVERIFY(makeSpecial(audit, Special::Fifo));
        else if (shape == QLatin1String("link"))
            QCOMPARE(::link(QFile::encodeName(victim).constData(), QFile::encodeName(audit).constData()), 0);
        else
            QVERIFY(QFile::link(victim, audit));

        box.staleGstackLock();
        r = box.cli({ QStringLiteral("repair"), box.ws, QStringLiteral("--yes") });
        QVERIFY2(r.exitCode > 0, qPrintable(cliText(r)));
        QVERIFY2(cliText(r).contains(audit), qPrintable(cliText(r)));
        QVERIFY2(QFile::exists(lock), "repaired without its audit line");
        r = box.cli({ QStringLiteral("undo"), box.ws, ids.first() });
        QVERIFY2(r.exitCode > 0, qPrintable(cliText(r)));
        QVERIFY2(cliText(r).contains(audit), qPrintable(cliText(r)));
        QFile v(victim);
        QVERIFY(v.open(QIODevice::ReadOnly));
        QCOMPARE(v.readAll(), QByteArray("untouched\n"));
    }

    // D6: a manifest with a second name elsewhere is refused, and undo says why.
    void hardLinkedManifestIsRefused()
    {
        Sandbox box;
        const QString lock = box.staleGstackLock();
        CliRun r = box.cli({ QStringLiteral("repair"), box.ws, QStringLiteral("--yes") });
        QVERIFY2(r.exitCode >= 0 && !QFile::exists(lock), qPrintable(cliText(r)));
        const QList<QuarantineInfo> kept = listQuarantines(box.ws + QStringLiteral("/.gstack"));
        QCOMPARE(kept.size(), 1);
        const QString manifest = kept.first().path + QStringLiteral("/manifest.json");
        QVERIFY(::link(QFile::encodeName(manifest).constData(),
                    QFile::encodeName(box.root.filePath(QStringLiteral("elsewhere.json"))).constData())
            == 0);
        r = box.cli({ QStringLiteral("undo"), box.ws, kept.first().id });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(
            cliText(r).contains(manifest) && cliText(r).contains(QLatin1String("hard links")), qPrintable(cliText(r)));
    }

    // D7: a stale lock is cleared only with every byte of it kept.
    void clearedLockIsKeptWhole()
    {
        Sandbox box;
        const QString lock = box.ws + QStringLiteral("/.codegraph/changes.journal.lock");
        const QByteArray pid = QByteArray::number(ChildProcess::deadPid());
        QByteArray content = pid + '\n' + pid + "-0123456789abcdef\n";
        for (int i = 0; content.size() < 134701; ++i)
            content += "x" + QByteArray::number(i) + "=" + QByteArray(60, 'y') + '\n';
        content.truncate(134701);
        writeFile(lock, content);
        backdate(lock, 600);
        const CliRun r = box.cli({ QStringLiteral("repair"), box.ws, QStringLiteral("--yes") });
        QVERIFY2(r.exitCode >= 0 && !QFile::exists(lock), qPrintable(cliText(r)));
        const QList<QuarantineInfo> kept = listQuarantines(box.ws + QStringLiteral("/.codegraph"));
        QCOMPARE(kept.size(), 1);
        QCOMPARE(kept.first().entries.size(), 1);
        const QuarantineEntry& e = kept.first().entries.first();
        QCOMPARE(e.size, qint64(content.size()));
        QFile copy(kept.first().path + QLatin1Char('/') + e.stored);
        QVERIFY(copy.open(QIODevice::ReadOnly));
        QCOMPARE(copy.readAll(), content);
        QCOMPARE(e.sha256, sha256Hex(content));
    }

    // D11: a socket, or a directory with entries, where an action's lock belongs is nobody's lock:
    // the action says so at once instead of waiting out its timeout (the reason, not the time, is
    // what is checked).
    void neverReleasedLockIsNotWaitedFor_data()
    {
        QTest::addColumn<QString>("shape");
        QTest::newRow("socket") << QStringLiteral("socket");
        QTest::newRow("directory with entries") << QStringLiteral("dir");
    }

    void neverReleasedLockIsNotWaitedFor()
    {
        QFETCH(QString, shape);
        Sandbox box;
        const QString stateFile = box.ws + QStringLiteral("/.gstack/browse.json");
        writeFile(stateFile, "{\"pid\": " + QByteArray::number(ChildProcess::deadPid()) + ", \"port\": 1}");
        const QString lock = stateFile + QStringLiteral(".lock");
        const int sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        QVERIFY(sock >= 0);
        const auto closeSocket = qScopeGuard([sock] { ::close(sock); });
        if (shape == QLatin1String("socket")) {
            sockaddr_un address {};
            address.sun_family = AF_UNIX;
            const QByteArray name = QFile::encodeName(lock);
            QVERIFY(size_t(name.size()) < sizeof address.sun_path);
            std::memcpy(address.sun_path, name.constData(), size_t(name.size()));
            QCOMPARE(::bind(sock, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
        } else {
            QVERIFY(QDir().mkpath(lock + QStringLiteral("/inside")));
        }
        const CliRun r = box.cli({ QStringLiteral("repair"), box.ws, QStringLiteral("--yes") });
        QVERIFY2(r.exitCode > 0, qPrintable(cliText(r)));
        QVERIFY2(cliText(r).contains(QLatin1String("not waited for")), qPrintable(cliText(r)));
        QVERIFY(QFile::exists(stateFile));
    }

    // D12: a timeout beyond an int64 of milliseconds waits as long as it takes (the lock is free, so
    // the command runs); NaN is refused; "-1" is a PID to judge; a bad option exits 2, as documented.
    void argumentEdges()
    {
        Sandbox box;
        const QString file = box.root.filePath(QStringLiteral("f"));
        for (const QString& t : { QStringLiteral("1e18"), QStringLiteral("inf") }) {
            const CliRun r = box.cli({ QStringLiteral("lock"), QStringLiteral("--timeout"), t, file,
                QStringLiteral("--"), QStringLiteral("true") });
            QVERIFY2(r.exitCode == 0, qPrintable(t + QLatin1String(": ") + cliText(r)));
            // Held by us: the CLI waits (asleep on its inotify watch) until we let go, then runs.
            LockFile held(file);
            QCOMPARE(held.tryLock(), LockFile::Status::Acquired);
            QProcess cli;
            cli.setProcessEnvironment(box.env);
            cli.start(QStringLiteral(STATEWARD_BIN_DIR "/stateward-cli"),
                { QStringLiteral("lock"), QStringLiteral("--timeout"), t, file, QStringLiteral("--"),
                    QStringLiteral("true") });
            QVERIFY(cli.waitForStarted());
            bool waited = false; // sticky: the CLI wakes to re-check its lock every 250 ms
            QTRY_VERIFY_WITH_TIMEOUT(
                (waited = waited || waitsOnInotify(cli.processId())) || cli.state() == QProcess::NotRunning,
                kCliDeadlineMs);
            QVERIFY2(cli.state() == QProcess::Running, cli.readAllStandardError().constData());
            QVERIFY(held.unlock());
            QVERIFY(cli.waitForFinished(kCliDeadlineMs));
            QCOMPARE(cli.exitCode(), 0);
        }
        CliRun r = box.cli({ QStringLiteral("lock"), QStringLiteral("--timeout"), QStringLiteral("nan"), file,
            QStringLiteral("--"), QStringLiteral("true") });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(cliText(r).contains(QLatin1String("takes a number of seconds")), qPrintable(cliText(r)));
        r = box.cli({ QStringLiteral("proc"), QStringLiteral("-1") });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(cliText(r).contains(QLatin1String("PID -1 is not a process")), qPrintable(cliText(r)));
        for (const QString& command : { QStringLiteral("scan"), QStringLiteral("repair"), QStringLiteral("locks"),
                 QStringLiteral("undo"), QStringLiteral("proc"), QStringLiteral("export-index") }) {
            r = box.cli({ command, QStringLiteral("--bogus"), box.ws });
            QVERIFY2(r.exitCode == 2, qPrintable(command + QLatin1String(": ") + cliText(r)));
            QVERIFY2(cliText(r).contains(QLatin1String("bogus")), qPrintable(cliText(r)));
        }
    }

    // D13: an index key and title carrying terminal controls (erase line, carriage return) are shown
    // escaped in the scan and in the plan a user confirms, never as the controls themselves.
    void controlSequencesFromFilesAreEscaped()
    {
        Sandbox box;
        const QString root = box.ws + QStringLiteral("/.trajectories");
        const QByteArray evil = R"(traj_x\u001b[2K\rall clear\u202e)"; // JSON escapes: ESC, CR, RLO
        writeFile(root + QStringLiteral("/index.json"),
            "{\"version\":1,\"lastUpdated\":\"2026-10-01T10:00:00.000Z\",\"trajectories\":{\"" + evil
                + "\":{\"title\":\"" + evil + "\",\"status\":\"active\",\"startedAt\":\"2026-10-01T10:00:00.000Z\","
                + "\"path\":\"" + QFile::encodeName(root) + "/active/gone.json\"}}}");
        for (const QStringList& args :
            { QStringList { QStringLiteral("scan"), box.ws }, QStringList { QStringLiteral("repair"), box.ws } }) {
            const CliRun r = box.cli(args);
            QVERIFY2(r.exitCode >= 0, "did not finish");
            const QByteArray all = r.out + r.err;
            QVERIFY2(!all.contains('\x1b') && !all.contains('\r') && !all.contains("\xe2\x80\xae"), all.constData());
            QVERIFY2(all.contains("traj_x\\x1b[2K\\x0dall clear\\u202e"), all.constData());
        }
    }
};

QTEST_GUILESS_MAIN(TestHostileInput)
#include "tst_hostileinput.moc"
