// SPDX-License-Identifier: GPL-3.0-or-later
// core/lock: our dialect's acquire/steal/release/wait, and verdicts for every dialect, against
// real processes (dead, alive, reused PIDs; files held open) and Qt's own QLockFile.
#include "childprocess.h"
#include "lock/lockfile.h"
#include "lock/lockjudge.h"
#include "proc/procfs.h"
#include "testfiles.h"
#include "testprinters.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLockFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Stateward;
using namespace TestFiles;

class TestLockFile : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    QString path(const char* name) const { return m_dir.filePath(QLatin1String(name)); }

private slots:
    void acquireWritesCompatibleContentAndReleases()
    {
        const QString target = path("changes.journal");
        LockFile lock(target);
        QCOMPARE(lock.tryLock(), LockFile::Status::Acquired);
        QVERIFY(lock.isLocked());
        QVERIFY(!lock.stole());
        QFile f(target + QLatin1String(".lock"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = f.readAll().split('\n');
        // codegraph reads line 1 as the PID and tests "content includes nonce".
        QCOMPARE(lines.value(0), QByteArray::number(qint64(::getpid())));
        QVERIFY(QRegularExpression(QStringLiteral("^\\d+-[0-9a-f]{16}$"))
                    .match(QString::fromLatin1(lines.value(1)))
                    .hasMatch());
        QCOMPARE(QString::fromLatin1(lines.value(1)), lock.nonce());
        QVERIFY(lines.contains("host=" + ProcFs::hostName().toUtf8()));
        QVERIFY(lines.contains("boot=" + ProcFs::bootId().toLatin1()));
        QVERIFY(lines.contains("tool=stateward"));
        // No tmp left beside it.
        QCOMPARE(QDir(m_dir.path()).entryList({ QStringLiteral("*.tmp") }, QDir::Files | QDir::Hidden).size(), 0);

        // Held by us: judged held, with our open fd as evidence; a second locker is busy.
        const LockVerdict v = LockJudge().judge(lock.lockPath());
        QCOMPARE(v.dialect, LockDialect::PidNonce);
        QCOMPARE(v.state, LockState::Held);
        QCOMPARE(v.content.tool, QStringLiteral("stateward"));
        QVERIFY(v.openHolders.contains(qint64(::getpid())));
        LockFile other(target);
        QCOMPARE(other.tryLock(), LockFile::Status::Busy);
        QCOMPARE(other.lastVerdict().state, LockState::Held);

        QVERIFY(lock.unlock());
        QVERIFY(!QFile::exists(lock.lockPath()));
        QCOMPARE(other.tryLock(), LockFile::Status::Acquired);
    }

    void stealsFromDeadHolder()
    {
        const QString target = path("dead.journal");
        const qint64 pid = ChildProcess::deadPid();
        QVERIFY(pid > 0);
        writeFile(target + QLatin1String(".lock"),
            QByteArray::number(pid) + '\n' + QByteArray::number(pid) + "-0123456789abcdef\n");
        const LockVerdict before = LockJudge().judge(target + QLatin1String(".lock"));
        QCOMPARE(before.state, LockState::Stale);
        QVERIFY(before.removable);
        QCOMPARE(before.liveness, Liveness::Dead);
        QVERIFY(before.reason.contains(QStringLiteral("PID %1 is dead").arg(pid)));

        LockFile lock(target);
        QCOMPARE(lock.tryLock(), LockFile::Status::Acquired);
        QVERIFY(lock.stole());
        QFile f(lock.lockPath());
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(f.readAll().contains(lock.nonce().toLatin1()));
        QVERIFY(lock.unlock());
    }

    void neverStealsAFileSomeoneHoldsOpen()
    {
        // Its PID line names a dead process, but a live process has it open (as codegraph keeps
        // its lock fd open): held, whatever the PID says.
        const QString target = path("open.journal");
        const QString lockPath = target + QLatin1String(".lock");
        const qint64 pid = ChildProcess::deadPid();
        writeFile(lockPath, QByteArray::number(pid) + '\n' + QByteArray::number(pid) + "-0123456789abcdef\n");
        ChildProcess holder;
        QVERIFY(holder.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("open"), lockPath }));
        QVERIFY(!holder.waitForLine("ready").isEmpty());

        const LockVerdict v = LockJudge().judge(lockPath);
        QCOMPARE(v.state, LockState::Held);
        QVERIFY(!v.removable);
        QVERIFY(v.openHolders.contains(holder.pid()));
        QVERIFY(v.reason.contains(QStringLiteral("has the lock file open")));
        LockFile lock(target);
        QCOMPARE(lock.tryLock(), LockFile::Status::Busy);
        QVERIFY(!clearStaleLock(lockPath).cleared);
        QVERIFY(QFile::exists(lockPath));

        QVERIFY(holder.send("close"));
        QVERIFY(!holder.waitForLine("closed").isEmpty());
        QCOMPARE(lock.tryLock(), LockFile::Status::Acquired);
    }

    void reusedPidIsStale()
    {
        // The lock names a live PID, but that process started after the lock was written.
        const QString target = path("reused.journal");
        const QString lockPath = target + QLatin1String(".lock");
        ChildProcess child;
        QVERIFY(child.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        QVERIFY(!child.waitForLine("ready").isEmpty());
        const QByteArray pid = QByteArray::number(child.pid());
        writeFile(lockPath, pid + '\n' + pid + "-0123456789abcdef\n");
        backdate(lockPath, 20); // written 20 s ago, before the child existed; younger than the 30 s age rule

        const LockVerdict v = LockJudge().judge(lockPath);
        QCOMPARE(v.liveness, Liveness::Alive);
        QCOMPARE(v.writer.verdict, WriterVerdict::Reused);
        QCOMPARE(v.state, LockState::Stale);
        QVERIFY2(v.reason.contains(QStringLiteral("reused")), qPrintable(v.reason));
        LockFile lock(target);
        QCOMPARE(lock.tryLock(), LockFile::Status::Acquired);
        QVERIFY(lock.stole());
    }

    void ageRuleAppliesToPidNonceOnly()
    {
        ChildProcess child;
        QVERIFY(child.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        QVERIFY(!child.waitForLine("ready").isEmpty());
        QThread::msleep(50);
        const QByteArray pid = QByteArray::number(child.pid());
        const QString journalLock = path("changes.journal.lock");
        const QString gstackLock = path("browse.json.lock");
        writeFile(journalLock, pid + '\n' + pid + "-0123456789abcdef\n");
        writeFile(gstackLock, pid + '\n');

        QCOMPARE(LockJudge().judge(journalLock).state, LockState::Held);
        QCOMPARE(LockJudge().judge(gstackLock).state, LockState::Held);
        // Dated 40 s back, both locks predate the child that holds their PID now: reused, stale.
        backdate(journalLock, 40);
        backdate(gstackLock, 40);
        LockVerdict j = LockJudge().judge(journalLock);
        LockVerdict g = LockJudge().judge(gstackLock);
        QCOMPARE(j.dialect, LockDialect::PidNonce);
        QCOMPARE(g.dialect, LockDialect::PidOnly);
        QCOMPARE(j.state, LockState::Stale);
        QCOMPARE(g.state, LockState::Stale);

        // A live holder that started before the lock and kept it 40 s: codegraph's age rule.
        QFile::remove(journalLock);
        QFile::remove(gstackLock);
        writeFile(journalLock, "1\n1-0123456789abcdef\n"); // PID 1 started long before
        writeFile(gstackLock, "1\n");
        backdate(journalLock, 40);
        backdate(gstackLock, 40);
        j = LockJudge().judge(journalLock);
        g = LockJudge().judge(gstackLock);
        QCOMPARE(j.state, LockState::Stale);
        QVERIFY2(j.reason.contains(QStringLiteral("limit 30.0 s")), qPrintable(j.reason));
        QCOMPARE(g.state, LockState::Held); // gstack: stale only when the holder is dead
    }

    void emptyLockGraceThenStale()
    {
        const QString lockPath = path("empty.journal.lock");
        writeFile(lockPath, QByteArray());
        LockVerdict v = LockJudge().judge(lockPath, LockDialect::PidNonce);
        QCOMPARE(v.state, LockState::Held); // codegraph between its O_EXCL create and its write
        backdate(lockPath, 10);
        v = LockJudge().judge(lockPath, LockDialect::PidNonce);
        QCOMPARE(v.state, LockState::Stale);
        QVERIFY(v.reason.contains(QStringLiteral("empty")));
    }

    void foreignHostIsNotJudgedByPid()
    {
        const QString lockPath = path("foreign.journal.lock");
        writeFile(lockPath, "1\n1-0123456789abcdef\nhost=some-other-host\n");
        LockVerdict v = LockJudge().judge(lockPath);
        QCOMPARE(v.state, LockState::Unknown);
        QVERIFY(v.foreignHost);
        LockFile lock(path("foreign.journal"));
        QCOMPARE(lock.tryLock(), LockFile::Status::Busy);
        backdate(lockPath, 60);
        QCOMPARE(LockJudge().judge(lockPath).state, LockState::Stale);
    }

    void otherBootIsStale()
    {
        const QString lockPath = path("boot.journal.lock");
        writeFile(lockPath,
            "1\n1-0123456789abcdef\nhost=" + ProcFs::hostName().toUtf8()
                + "\nboot=00000000-0000-0000-0000-000000000000\n");
        const LockVerdict v = LockJudge().judge(lockPath);
        QVERIFY(v.otherBoot);
        QCOMPARE(v.state, LockState::Stale);
    }

    void releaseOnlyWhileOurs()
    {
        const QString target = path("release.journal");
        LockFile lock(target);
        QCOMPARE(lock.tryLock(), LockFile::Status::Acquired);
        // Someone replaced it (a codegraph steal after judging us stale): not ours to remove.
        const QString tmp = lock.lockPath() + QLatin1String(".x.tmp");
        writeFile(tmp, "4242\n4242-fedcba9876543210\n");
        QVERIFY(::rename(QFile::encodeName(tmp).constData(), QFile::encodeName(lock.lockPath()).constData()) == 0);
        QVERIFY(!lock.refresh());
        QVERIFY(!lock.unlock());
        QVERIFY(lock.errorString().contains(QStringLiteral("no longer carries our nonce")));
        QFile f(lock.lockPath());
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(f.readAll().contains("4242-fedcba9876543210"));
    }

    void refreshBumpsMtime()
    {
        LockFile lock(path("beat.journal"));
        QCOMPARE(lock.tryLock(), LockFile::Status::Acquired);
        backdate(lock.lockPath(), 25);
        QVERIFY(LockJudge().judge(lock.lockPath()).ageMs > 20000);
        QVERIFY(lock.refresh());
        QVERIFY(LockJudge().judge(lock.lockPath()).ageMs < 5000);
    }

    void waitsForReleaseAndTimesOut()
    {
        const QString target = path("wait.journal");
        QProcess holder;
        holder.start(ChildProcess::binary("stateward-cli"),
            { QStringLiteral("lock"), target, QStringLiteral("--"), QStringLiteral("sh"), QStringLiteral("-c"),
                QStringLiteral("echo held; sleep 0.4") });
        QVERIFY(holder.waitForReadyRead(10000));
        QCOMPARE(holder.readLine().trimmed(), QByteArray("held"));

        LockFile impatient(target);
        QVERIFY(!impatient.lock(std::chrono::milliseconds(50)));
        QVERIFY2(impatient.errorString().contains(QStringLiteral("timed out after 50 ms")),
            qPrintable(impatient.errorString()));
        QVERIFY(impatient.errorString().contains(QStringLiteral("held by live PID %1").arg(holder.processId())));

        QElapsedTimer t;
        t.start();
        LockFile patient(target);
        QVERIFY2(patient.lock(std::chrono::seconds(10)), qPrintable(patient.errorString()));
        QVERIFY(t.elapsed() < 5000);
        QVERIFY(holder.waitForFinished(10000));
        QCOMPARE(holder.exitCode(), 0);
    }

    void mkdirLocks()
    {
        const QString fresh = path("fresh.json.lock");
        const QString old = path("old.json.lock");
        QVERIFY(QDir().mkpath(fresh));
        QVERIFY(QDir().mkpath(old));
        backdate(old, 30);
        LockVerdict v = LockJudge().judge(fresh);
        QCOMPARE(v.dialect, LockDialect::Mkdir);
        QCOMPARE(v.state, LockState::Held);
        QVERIFY(!clearStaleLock(fresh).cleared); // never a fresh one
        QVERIFY(QFileInfo(fresh).isDir());
        v = LockJudge().judge(old);
        QCOMPARE(v.state, LockState::Stale);
        const ClearResult cleared = clearStaleLock(old);
        QVERIFY2(cleared.cleared, qPrintable(cleared.message));
        QVERIFY(!QFileInfo::exists(old));
    }

    void qtLockFile()
    {
        const QString lockPath = path("qt.lock");
        {
            QLockFile qt(lockPath);
            QVERIFY(qt.tryLock());
            const LockVerdict v = LockJudge().judge(lockPath);
            QCOMPARE(v.dialect, LockDialect::QLockFile);
            QCOMPARE(v.state, LockState::Held);
            QCOMPARE(v.content.pid, qint64(::getpid()));
            QVERIFY(v.kernelHolders.contains(qint64(::getpid()))); // Qt flock()s its lock file
            QVERIFY(!clearStaleLock(lockPath).cleared);
        }
        // Same format, dead holder: stale, and removable the way Qt removes it.
        const qint64 pid = ChildProcess::deadPid();
        writeFile(lockPath,
            QByteArray::number(pid) + "\nsw-testchild\n" + ProcFs::hostName().toUtf8() + "\n\n"
                + ProcFs::bootId().toLatin1() + '\n');
        QCOMPARE(LockJudge().judge(lockPath).state, LockState::Stale);
        QVERIFY(clearStaleLock(lockPath).cleared);
        QVERIFY(!QFile::exists(lockPath));
    }

    void gitLocksAreNeverRemoved()
    {
        const QString gitDir = path("repo/.git");
        QVERIFY(QDir().mkpath(gitDir));
        const QString lockPath = gitDir + QLatin1String("/index.lock");
        writeFile(lockPath, "DIRC partial index bytes");
        backdate(lockPath, 3600);
        const LockVerdict v = LockJudge().judge(lockPath);
        QCOMPARE(v.dialect, LockDialect::Git);
        QCOMPARE(v.state, LockState::Suspect);
        QVERIFY(!v.removable);
        QVERIFY(!clearStaleLock(lockPath).cleared);
        QVERIFY(QFile::exists(lockPath));
    }

    void symlinkIsLeftAlone()
    {
        const QString victim = path("victim.txt");
        writeFile(victim, "precious");
        const QString link = path("link.journal.lock");
        QVERIFY(QFile::link(victim, link));
        const LockVerdict v = LockJudge().judge(link);
        QCOMPARE(v.state, LockState::Unknown);
        QVERIFY(v.reason.contains(QStringLiteral("symlink")));
        LockFile lock(path("link.journal"));
        QCOMPARE(lock.tryLock(), LockFile::Status::Busy);
        QVERIFY(!clearStaleLock(link).cleared);
        QFile f(victim);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), QByteArray("precious"));
    }

    void findLocksWalksWithoutSymlinks()
    {
        QTemporaryDir dir;
        QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral(".codegraph"))));
        QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("state.json.lock"))));
        writeFile(dir.filePath(QStringLiteral(".codegraph/changes.journal.lock")), "1\n1-0123456789abcdef\n");
        writeFile(dir.filePath(QStringLiteral("state.json.lock/inside.lock")), "x");
        QTemporaryDir outside;
        writeFile(outside.filePath(QStringLiteral("elsewhere.lock")), "1\n");
        QVERIFY(QFile::link(outside.path(), dir.filePath(QStringLiteral("escape"))));
        const QStringList found = LockJudge::findLocks(dir.path());
        QCOMPARE(found,
            QStringList({ dir.filePath(QStringLiteral(".codegraph/changes.journal.lock")),
                dir.filePath(QStringLiteral("state.json.lock")) }));
    }
};

QTEST_GUILESS_MAIN(TestLockFile)
#include "tst_lockfile.moc"
