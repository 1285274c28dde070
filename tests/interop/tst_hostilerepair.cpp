// SPDX-License-Identifier: GPL-3.0-or-later
// Repairs under hostile conditions (issue 17, part 4): a huge quarantined file (D3), a repair killed
// half-way or run on a full disk (D5), through the built stateward-cli as a user runs it.
#include "childprocess.h"
#include "clirun.h"
#include "lock/lockfile.h"
#include "proc/processinfo.h"
#include "repair/quarantine.h"
#include "testfiles.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <ftw.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace Stateward;
using namespace TestFiles;

namespace {

constexpr int kDeadlineMs = 120000; // a hung CLI fails the test instead of hanging it

QString cliBinary()
{
    return QStringLiteral(STATEWARD_BIN_DIR "/stateward-cli");
}

QString text(const CliRun& r)
{
    return QString::fromUtf8(r.out + r.err);
}

// A CLI run as a child of this process alone (fork, exec, wait4), for the kernel's account of its
// peak resident set: QProcess reaps its children itself and keeps their rusage.
struct MeasuredRun
{
    int exitCode = -1; // -1: killed by a signal, or still running at the deadline
    qint64 maxRssBytes = 0;
    QByteArray output;
};

// Arguments as bytes: QProcess encodes QStrings lossily, and some tests pass bytes that are not UTF-8.
MeasuredRun runMeasured(const QList<QByteArray>& arguments, const QString& outputFile)
{
    QList<QByteArray> args { QFile::encodeName(cliBinary()) };
    args += arguments;
    QList<char*> argv;
    for (QByteArray& a : args)
        argv.append(a.data());
    argv.append(nullptr);
    const QByteArray out = QFile::encodeName(outputFile);
    MeasuredRun r;
    const pid_t pid = ::fork();
    if (pid == 0) { // only async-signal-safe calls until exec
        const int fd = ::open(out.constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || ::dup2(fd, STDOUT_FILENO) < 0 || ::dup2(fd, STDERR_FILENO) < 0)
            ::_exit(127);
        ::execv(argv.first(), argv.data());
        ::_exit(127);
    }
    if (pid < 0)
        return r;
    int status = 0;
    rusage usage {};
    for (int waited = 0;; waited += 50) {
        const pid_t done = ::wait4(pid, &status, WNOHANG, &usage);
        if (done == pid)
            break;
        if (done < 0 || waited >= kDeadlineMs) {
            ::kill(pid, SIGKILL);
            ::wait4(pid, &status, 0, &usage);
            status = -1;
            break;
        }
        QTest::qSleep(50);
    }
    r.exitCode = status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.maxRssBytes = qint64(usage.ru_maxrss) * 1024; // Linux reports KiB
    r.output = readAll(outputFile);
    return r;
}

// A .trajectories state dir: one good record, indexed or not, and the invalid/active/ an earlier
// `trail doctor --quarantine` left (a move aside makes it; undo leaves it).
QString trajectoriesIn(const QString& ws, bool indexed)
{
    const QString root = ws + QStringLiteral("/.trajectories");
    QDir().mkpath(root + QStringLiteral("/active"));
    QDir().mkpath(root + QStringLiteral("/invalid/active"));
    writeFile(root + QStringLiteral("/active/traj_a1.json"),
        R"({"id":"traj_a1","version":1,"task":{"title":"one"},"status":"active","startedAt":"2026-11-01T10:00:00.000Z"})");
    writeFile(root + QStringLiteral("/index.json"),
        indexed
            ? R"({"version":1,"trajectories":{"traj_a1":{"title":"one","status":"active","startedAt":"2026-11-01T10:00:00.000Z","path":"active/traj_a1.json"}}})"
            : R"({"version":1,"trajectories":{}})");
    return root;
}

// What a repair may change in a state dir and undo must bring back: everything but our own area,
// and index.json.lock: a CLI killed while it rewrote index.json leaves its lock behind, as any
// killed holder does (a stale lock, which the next repair clears).
QMap<QString, QByteArray> stateOf(const QString& stateDir)
{
    QMap<QString, QByteArray> tree = treeContents(stateDir);
    tree.removeIf([](const auto& it) {
        return it.key().startsWith(QLatin1String(".stateward")) || it.key() == QLatin1String("index.json.lock");
    });
    return tree;
}

QList<QByteArray> bytesOf(const QStringList& arguments)
{
    QList<QByteArray> out;
    for (const QString& a : arguments)
        out.append(QFile::encodeName(a));
    return out;
}

// A small tmpfs at `path`, unmounted when it goes: a disk the test can fill or make read-only.
// Needs CAP_SYS_ADMIN (root): `error` says why not.
struct SmallDisk
{
    QByteArray path;
    bool mounted = false;
    QString error;
    explicit SmallDisk(const QString& where)
        : path(QFile::encodeName(where))
    {
        QDir().mkpath(where);
        mounted
            = ::mount("stateward-test", path.constData(), "tmpfs", MS_NOSUID | MS_NODEV, "size=256k,mode=0755") == 0;
        if (!mounted)
            error = QStringLiteral("cannot mount a small tmpfs (%1; needs root)")
                        .arg(QString::fromLocal8Bit(std::strerror(errno)));
    }
    bool makeReadOnly()
    {
        return ::mount(nullptr, path.constData(), nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) == 0;
    }
    ~SmallDisk()
    {
        if (mounted)
            ::umount2(path.constData(), MNT_DETACH);
    }
};

// Removes path and all below it by bytes: QTemporaryDir cannot, where a name is not UTF-8.
void removeTree(const QByteArray& path)
{
    ::nftw(
        path.constData(), [](const char* p, const struct stat*, int, FTW*) { return ::remove(p); }, 16,
        FTW_DEPTH | FTW_PHYS);
}

// Every finding with this code in `scan --json` output.
QList<QJsonObject> findingsCoded(const QByteArray& json, const QString& code)
{
    QList<QJsonObject> out;
    const auto walk = [&](const auto& self, const QJsonValue& v) -> void {
        if (v.isArray()) {
            for (const QJsonValue& item : v.toArray())
                self(self, item);
        } else if (v.isObject()) {
            const QJsonObject o = v.toObject();
            if (o.value(QStringLiteral("code")).toString() == code)
                out.append(o);
            for (const QJsonValue& item : o)
                self(self, item);
        }
    };
    const QJsonDocument doc = QJsonDocument::fromJson(json);
    walk(walk, doc.isArray() ? QJsonValue(doc.array()) : QJsonValue(doc.object()));
    return out;
}

bool stoppedBySignal(qint64 pid)
{
    const auto st = statOf(pid);
    return st && st->state == QLatin1Char('T');
}

} // namespace

class TestHostileRepair : public QObject
{
    Q_OBJECT

    // `repair WS --yes --kind KIND`, stopped at `point` (core/testhook.h) and killed there with
    // SIGKILL: what a crash, an OOM kill or `kill -9` leaves behind at that step.
    static bool repairKilledAt(const QString& ws, const QString& kind, const char* point)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("STATEWARD_TEST_STOP_AT"), QString::fromLatin1(point));
        p.setProcessEnvironment(env);
        p.start(cliBinary(), { QStringLiteral("repair"), ws, QStringLiteral("--kind"), kind, QStringLiteral("--yes") });
        if (!p.waitForStarted(kDeadlineMs))
            return false;
        const qint64 pid = p.processId();
        if (!QTest::qWaitFor([&] { return stoppedBySignal(pid) || p.state() == QProcess::NotRunning; }, kDeadlineMs))
            return false;
        if (!stoppedBySignal(pid)) {
            qWarning("the CLI ended without reaching %s: %s", point,
                (p.readAllStandardOutput() + p.readAllStandardError()).constData());
            return false;
        }
        ::kill(pid_t(pid), SIGKILL);
        return p.waitForFinished(kDeadlineMs) && p.exitStatus() == QProcess::CrashExit;
    }

    static QString onlyQuarantineOf(const QString& ws, const QString& stateDir)
    {
        const CliRun list = runCli({ QStringLiteral("undo"), ws });
        const QList<QuarantineInfo> kept = listQuarantines(stateDir);
        if (kept.size() != 1)
            return {};
        // The listing names what the quarantine was for and that it was cut short; never a blank line.
        const QuarantineInfo& q = kept.first();
        if (!text(list).contains(q.id + QStringLiteral("  ") + q.action.value(QStringLiteral("kind")).toString())
            || !text(list).contains(QLatin1String("interrupted"))) {
            qWarning("undo lists: %s", list.out.constData());
            return {};
        }
        return q.id;
    }

private slots:
    // D3: a quarantined file is hashed as it is read, in chunks: the CLI's peak memory stays far
    // below the size of a 1 GiB (sparse) record it moves aside. The CLI alone takes a few tens of MiB.
    void hugeRecordIsHashedInChunks()
    {
        QTemporaryDir root;
        const QString ws = root.filePath(QStringLiteral("ws"));
        const QString stateDir = trajectoriesIn(ws, true);
        const QString record = stateDir + QStringLiteral("/active/traj_big.json");
        constexpr qint64 kRecordBytes = qint64(1) << 30;
        {
            QFile f(record);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("{\"id\":\"traj_big\",");
            QVERIFY(f.resize(kRecordBytes)); // sparse: the machine's disk is not filled
        }
        backdate(record, 3600);
        const MeasuredRun r = runMeasured(bytesOf({ QStringLiteral("repair"), ws, QStringLiteral("--kind"),
                                              QStringLiteral("quarantine-invalid"), QStringLiteral("--yes") }),
            root.filePath(QStringLiteral("out.txt")));
        QVERIFY2(r.exitCode == 0, r.output.constData());
        const QFileInfo moved(stateDir + QStringLiteral("/invalid/active/traj_big.json"));
        QVERIFY2(moved.exists() && moved.size() == kRecordBytes && !QFileInfo::exists(record), r.output.constData());
        const QList<QuarantineInfo> kept = listQuarantines(stateDir);
        QCOMPARE(kept.size(), 1);
        QCOMPARE(kept.first().entries.size(), 1);
        QCOMPARE(kept.first().entries.first().size, kRecordBytes);
        QCOMPARE(kept.first().entries.first().sha256.size(), 64); // it was hashed, whole
        qInfo("peak RSS of the CLI: %lld MiB", r.maxRssBytes >> 20);
        QVERIFY2(r.maxRssBytes < kRecordBytes / 4,
            qPrintable(QStringLiteral("peak RSS %1 MiB for a %2 MiB record")
                           .arg(r.maxRssBytes >> 20)
                           .arg(kRecordBytes >> 20)));
    }

    // D5: a repair killed between its steps leaves a quarantine that says what it was for and is
    // marked interrupted; undo brings every byte back, whether the change had happened or not.
    void killedRepairIsUndone_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("point");
        QTest::addColumn<bool>("changed");
        // quarantine-invalid moves a record aside; reindex rewrites index.json (its old bytes kept).
        QTest::newRow("move, killed before it") << "quarantine-invalid"
                                                << "quarantine-before-change" << false;
        QTest::newRow("move, killed after it") << "quarantine-invalid"
                                               << "quarantine-before-commit" << true;
        QTest::newRow("rewrite, killed before it") << "reindex"
                                                   << "quarantine-before-change" << false;
        QTest::newRow("rewrite, killed after it") << "reindex"
                                                  << "quarantine-before-commit" << true;
    }

    void killedRepairIsUndone()
    {
        QFETCH(QString, kind);
        QFETCH(QString, point);
        QFETCH(bool, changed);
#ifndef STATEWARD_TEST_HOOKS
        QSKIP("built without STATEWARD_TEST_HOOKS (a release build): its stop points are compiled out");
#endif
        QTemporaryDir root;
        const QString ws = root.filePath(QStringLiteral("ws"));
        const QString stateDir = trajectoriesIn(ws, kind != QLatin1String("reindex"));
        if (kind == QLatin1String("quarantine-invalid")) {
            writeFile(stateDir + QStringLiteral("/active/traj_bad.json"), "{\"id\":\"traj_bad\",\"version\":1,\"ta");
            backdate(stateDir + QStringLiteral("/active/traj_bad.json"), 600);
        }
        const QMap<QString, QByteArray> before = stateOf(stateDir);

        QVERIFY(repairKilledAt(ws, kind, point.toLatin1().constData()));
        QCOMPARE(stateOf(stateDir) != before, changed);
        const QString id = onlyQuarantineOf(ws, stateDir);
        QVERIFY(!id.isEmpty());

        const CliRun undo = runCli({ QStringLiteral("undo"), ws, id });
        QVERIFY2(undo.exitCode == 0, qPrintable(text(undo)));
        QCOMPARE(stateOf(stateDir), before);
        QVERIFY2(text(undo).contains(changed ? QLatin1String("restored ") : QLatin1String("unchanged ")),
            qPrintable(text(undo)));
        // Undone once: the quarantine says so, and a second undo is refused.
        QCOMPARE(runCli({ QStringLiteral("undo"), ws, id }).exitCode, 2);
    }

    // D5: on a full disk the manifest cannot be written, so nothing is moved: the repair says
    // "failed", names the manifest's full path, and leaves no quarantine behind. With room again
    // the same repair applies, and undo restores every byte.
    void fullDiskMovesNothing()
    {
        QTemporaryDir root;
        const QString disk = root.filePath(QStringLiteral("disk"));
        SmallDisk small(disk);
        if (!small.mounted)
            QSKIP(qPrintable(small.error));
        const QString ws = disk + QStringLiteral("/ws");
        const QString stateDir = trajectoriesIn(ws, true);
        const QString bad = stateDir + QStringLiteral("/active/traj_bad.json");
        writeFile(bad, "{\"id\":\"traj_bad\",\"version\":1,\"ta");
        backdate(bad, 600);
        const QMap<QString, QByteArray> before = stateOf(stateDir);
        const QString filler = disk + QStringLiteral("/filler");
        {
            QFile f(filler);
            QVERIFY(f.open(QIODevice::WriteOnly));
            const QByteArray block(4096, 'f');
            while (f.write(block) == block.size() && f.flush()) { }
        }

        CliRun r = runCli({ QStringLiteral("repair"), ws, QStringLiteral("--kind"),
            QStringLiteral("quarantine-invalid"), QStringLiteral("--yes") });
        QVERIFY2(r.exitCode == 1 && text(r).contains(QLatin1String("failed")), qPrintable(text(r)));
        QVERIFY2(text(r).contains(stateDir + QStringLiteral("/.stateward/quarantine/"))
                && text(r).contains(QLatin1String("manifest.json")) && text(r).contains(QLatin1String("nothing moved")),
            qPrintable(text(r)));
        QCOMPARE(stateOf(stateDir), before);
        QVERIFY(listQuarantines(stateDir).isEmpty());

        QVERIFY(QFile::remove(filler));
        r = runCli({ QStringLiteral("repair"), ws, QStringLiteral("--kind"), QStringLiteral("quarantine-invalid"),
            QStringLiteral("--yes") });
        QVERIFY2(r.exitCode == 0 && !QFile::exists(bad), qPrintable(text(r)));
        const QList<QuarantineInfo> kept = listQuarantines(stateDir);
        QCOMPARE(kept.size(), 1);
        r = runCli({ QStringLiteral("undo"), ws, kept.first().id });
        QVERIFY2(r.exitCode == 0, qPrintable(text(r)));
        QCOMPARE(stateOf(stateDir), before);
    }

    // A stale lock that cannot be removed says why: on a read-only filesystem, EROFS, not "it
    // changed or was taken while being cleared".
    void readOnlyLockNamesTheCause()
    {
        QTemporaryDir root;
        SmallDisk small(root.filePath(QStringLiteral("disk")));
        if (!small.mounted)
            QSKIP(qPrintable(small.error));
        const QString lock = QFile::decodeName(small.path) + QStringLiteral("/ws/.gstack/browse.json.lock");
        QVERIFY(QDir().mkpath(QFileInfo(lock).path()));
        writeFile(lock, QByteArray::number(ChildProcess::deadPid()) + '\n');
        backdate(lock, 600);
        QVERIFY(small.makeReadOnly());
        const ClearResult r = clearStaleLock(lock);
        QVERIFY2(r.verdict.state == LockState::Stale, qPrintable(r.message));
        QVERIFY(!r.cleared);
        QVERIFY2(r.message.contains(QString::fromLocal8Bit(std::strerror(EROFS))), qPrintable(r.message));
        QVERIFY(QFileInfo::exists(lock));
    }

    // A workspace whose path is not valid UTF-8 is scanned and repaired, not "not a directory".
    void nonUtf8WorkspaceIsScanned()
    {
        QTemporaryDir root;
        const QByteArray ws = QFile::encodeName(root.path()) + "/ws-\xff\xfe";
        QVERIFY(::mkdir(ws.constData(), 0755) == 0 && ::mkdir(ws + "/.gstack", 0755) == 0);
        const auto cleanUp = qScopeGuard([&] { removeTree(ws); });
        const QByteArray lock = ws + "/.gstack/browse.json.lock";
        {
            const int fd = ::open(lock.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            QVERIFY(fd >= 0);
            const QByteArray pid = QByteArray::number(ChildProcess::deadPid()) + '\n';
            QCOMPARE(::write(fd, pid.constData(), size_t(pid.size())), ssize_t(pid.size()));
            const timespec old[2] = { { ::time(nullptr) - 600, 0 }, { ::time(nullptr) - 600, 0 } };
            QVERIFY(::futimens(fd, old) == 0);
            ::close(fd);
        }
        const QString out = root.filePath(QStringLiteral("out.txt"));
        MeasuredRun r = runMeasured({ "scan", ws, "--json" }, out);
        QVERIFY2(r.exitCode == 1, r.output.constData()); // findings
        QVERIFY2(r.output.contains("not valid UTF-8"), r.output.constData()); // and says how it reads it
        QCOMPARE(findingsCoded(r.output.mid(r.output.indexOf('{')), QStringLiteral("stale-lock")).size(), 1);
        r = runMeasured({ "repair", ws, "--yes" }, out);
        QVERIFY2(r.exitCode == 0, r.output.constData());
        struct stat st
        {
        };
        QVERIFY2(::lstat(lock.constData(), &st) != 0 && errno == ENOENT, r.output.constData());
    }

    // An entry whose name is not valid UTF-8 is reported (its directory, its bytes escaped), and no
    // repair touches it.
    void undecodableNamesAreReportedNotTouched()
    {
        QTemporaryDir root;
        const QString ws = root.filePath(QStringLiteral("ws"));
        const QString stateDir = trajectoriesIn(ws, true);
        const QByteArray record = QFile::encodeName(stateDir) + "/active/traj_\xff.json";
        const QByteArray tmp = QFile::encodeName(stateDir) + "/index.json.\xfe.tmp";
        const QByteArray torn = "{\"id\":\"traj_";
        const auto cleanUp = qScopeGuard([&] { removeTree(QFile::encodeName(ws)); });
        for (const QByteArray& path : { record, tmp }) {
            const int fd = ::open(path.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            QVERIFY(fd >= 0);
            QCOMPARE(::write(fd, torn.constData(), size_t(torn.size())), ssize_t(torn.size()));
            const timespec old[2] = { { ::time(nullptr) - 3600, 0 }, { ::time(nullptr) - 3600, 0 } };
            QVERIFY(::futimens(fd, old) == 0);
            ::close(fd);
        }
        const CliRun scan = runCli({ QStringLiteral("scan"), ws, QStringLiteral("--json") });
        const QList<QJsonObject> found = findingsCoded(scan.out, QStringLiteral("undecodable-name"));
        QStringList evidence;
        for (const QJsonObject& f : found)
            evidence.append(f.value(QStringLiteral("evidence")).toString());
        evidence.sort();
        QCOMPARE(evidence.size(), 2);
        QVERIFY2(evidence.at(0).startsWith(stateDir + QStringLiteral("/active/traj_\\xff.json")),
            qPrintable(evidence.at(0)));
        QVERIFY2(
            evidence.at(1).startsWith(stateDir + QStringLiteral("/index.json.\\xfe.tmp")), qPrintable(evidence.at(1)));

        const CliRun repair = runCli({ QStringLiteral("repair"), ws, QStringLiteral("--yes") });
        QVERIFY2(repair.exitCode >= 0, qPrintable(text(repair)));
        for (const QByteArray& path : { record, tmp }) {
            const int fd = ::open(path.constData(), O_RDONLY | O_CLOEXEC);
            QVERIFY2(fd >= 0, path.constData());
            char buffer[64] = {};
            QCOMPARE(::read(fd, buffer, sizeof buffer), ssize_t(torn.size()));
            ::close(fd);
            QCOMPARE(QByteArray(buffer, torn.size()), torn);
        }
    }
};

QTEST_GUILESS_MAIN(TestHostileRepair)
#include "tst_hostilerepair.moc"
