// SPDX-License-Identifier: GPL-3.0-or-later
// core/proc against real processes: liveness, zombies, start time and PID reuse, open-file
// holders and kernel locks.
#include "childprocess.h"
#include "proc/filekey.h"
#include "proc/kernellocks.h"
#include "proc/openfiles.h"
#include "proc/processinfo.h"
#include "proc/procfs.h"
#include "testprinters.h"

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <unistd.h>

using namespace Stateward;

class TestProc : public QObject
{
    Q_OBJECT

private:
    static bool waitForLiveness(qint64 pid, Liveness wanted, int timeoutMs = 5000)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < timeoutMs) {
            if (livenessOf(pid) == wanted)
                return true;
            QThread::msleep(2);
        }
        return false;
    }

private slots:
    void aliveKilledReaped()
    {
        ChildProcess child;
        QVERIFY(child.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        QVERIFY(!child.waitForLine("ready").isEmpty());
        const qint64 pid = child.pid();

        const ProcessInfo alive = inspectProcess(pid);
        QCOMPARE(alive.liveness, Liveness::Alive);
        QVERIFY(alive.signalPermitted);
        QCOMPARE(alive.ppid, qint64(::getpid()));
        QCOMPARE(alive.uid, qint64(::getuid()));
        QVERIFY(alive.sameUser());
        QCOMPARE(alive.argv.value(1), QStringLiteral("sleep"));
        QVERIFY(alive.argv.value(0).endsWith(QLatin1String("sw-testchild")));
        QVERIFY(alive.exe.endsWith(QLatin1String("sw-testchild")));
        QVERIFY(alive.environReadable);
        QVERIFY(!alive.environmentValue(u"PATH").isEmpty() || alive.environment.isEmpty());
        QVERIFY(alive.startTime.isValid());
        QCOMPARE(alive.startTime.timeSpec(), Qt::UTC);

        QVERIFY(child.signal(SIGKILL));
        // Killed but not yet reaped: a zombie, which counts as dead for every judgement.
        QVERIFY(waitForLiveness(pid, Liveness::Zombie));
        const ProcessInfo zombie = inspectProcess(pid);
        QCOMPARE(zombie.liveness, Liveness::Zombie);
        QCOMPARE(zombie.state, QLatin1Char('Z'));
        QVERIFY(!zombie.isAlive());
        QCOMPARE(judgeWriter(zombie, QDateTime::currentDateTimeUtc()).verdict, WriterVerdict::Dead);

        QVERIFY(child.reap() >= 0);
        QCOMPARE(livenessOf(pid), Liveness::Dead);
        const ProcessInfo gone = inspectProcess(pid);
        QCOMPARE(gone.liveness, Liveness::Dead);
        QVERIFY(gone.argv.isEmpty());
    }

    void startTimeAfterRecordMeansReused()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString record = dir.filePath(QStringLiteral("record.lock"));
        {
            QFile f(record);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray::number(qint64(::getpid())) + '\n');
        }
        const QDateTime written = QFileInfo(record).lastModified().toUTC();
        // Beyond the tick and coarse-clock slack, so the ordering is unambiguous.
        QThread::msleep(120);

        ChildProcess child;
        QVERIFY(child.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        QVERIFY(!child.waitForLine("ready").isEmpty());
        const ProcessInfo info = inspectProcess(child.pid());
        QVERIFY(info.isAlive());
        QVERIFY2(info.startTime > written,
            qPrintable(info.startTime.toString(Qt::ISODateWithMs) + QLatin1String(" <= ")
                + written.toString(Qt::ISODateWithMs)));
        // Started no earlier than roughly the wall clock at spawn time.
        QVERIFY(qAbs(info.startTime.msecsTo(QDateTime::currentDateTimeUtc())) < 5000);

        const WriterJudgement reused = judgeWriter(info, written);
        QCOMPARE(reused.verdict, WriterVerdict::Reused);
        QVERIFY(reused.startedAfterMs >= 100);
        QVERIFY(reused.reason.contains(QLatin1String("reused")));

        // Our own process started before the record: it may be the writer.
        const WriterJudgement self = judgeWriter(inspectProcess(::getpid()), written);
        QCOMPARE(self.verdict, WriterVerdict::Plausible);
        // A record time with a coarse precision widens the allowance accordingly.
        QCOMPARE(judgeWriter(info, written, std::chrono::seconds(5)).verdict, WriterVerdict::Plausible);
        QCOMPARE(judgeWriter(info, QDateTime()).verdict, WriterVerdict::Unknown);
    }

    void bootTimeMatchesProcStat()
    {
        const qint64 btime = ProcFs::bootTimeSecondsFromStat();
        QVERIFY(btime > 0);
        // Same instant, ours with sub-second precision.
        QVERIFY(qAbs(ProcFs::bootTimeMsecs() / 1000 - btime) <= 1);
        QVERIFY(!ProcFs::bootId().isEmpty());
        QCOMPARE(ProcFs::bootId().size(), 36);
        QVERIFY(!ProcFs::hostName().isEmpty());
    }

    void openFileHolder()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("held.lock"));
        ChildProcess child;
        QVERIFY(child.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("open"), path }));
        QVERIFY(!child.waitForLine("ready").isEmpty());
        const auto key = FileKey::ofPath(path);
        QVERIFY(key);

        const OpenFileTable table = OpenFileTable::scan();
        QVERIFY(table.holders(*key).contains(child.pid()));
        QVERIFY(!table.holders(*key).contains(qint64(::getpid())));
        QVERIFY(table.processesScanned() > 2);
        QVERIFY(table.descriptorsSeen() > 0);

        // Restricting to the file's device still finds it; another device's filter does not.
        OpenFileTable::Options onDevice;
        onDevice.devices.insert(key->device);
        QVERIFY(OpenFileTable::scan(onDevice).holders(*key).contains(child.pid()));
        OpenFileTable::Options elsewhere;
        elsewhere.devices.insert(key->device + 1);
        QVERIFY(!OpenFileTable::scan(elsewhere).isOpen(*key));

        QVERIFY(child.send("close"));
        QVERIFY(!child.waitForLine("closed").isEmpty());
        QVERIFY(!OpenFileTable::scan().holders(*key).contains(child.pid()));
    }

    void openFileHolderSurvivesUnlink()
    {
        // A file renamed or unlinked while open is still found by its (device, inode).
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("gone.tmp"));
        ChildProcess child;
        QVERIFY(child.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("open"), path }));
        QVERIFY(!child.waitForLine("ready").isEmpty());
        const auto key = FileKey::ofPath(path);
        QVERIFY(key);
        QVERIFY(QFile::rename(path, path + QLatin1String(".moved")));
        QVERIFY(OpenFileTable::scan().holders(*key).contains(child.pid()));
    }

    void kernelLocks_data()
    {
        QTest::addColumn<QString>("mode");
        QTest::addColumn<int>("kind");
        QTest::addColumn<bool>("byPid");
        QTest::newRow("flock") << QStringLiteral("flock") << int(KernelLock::Kind::Flock) << true;
        QTest::newRow("posix fcntl") << QStringLiteral("fcntl") << int(KernelLock::Kind::Posix) << true;
        QTest::newRow("ofd fcntl") << QStringLiteral("ofd") << int(KernelLock::Kind::Ofd) << false;
    }

    void kernelLocks()
    {
        QFETCH(QString, mode);
        QFETCH(int, kind);
        QFETCH(bool, byPid);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("locked"));
        ChildProcess child;
        QVERIFY(child.start(ChildProcess::binary("sw-testchild"), { mode, path }));
        QVERIFY(!child.waitForLine("ready").isEmpty());
        const auto key = FileKey::ofPath(path);
        QVERIFY(key);

        const KernelLockTable table = KernelLockTable::read();
        QVERIFY(table.available());
        const QList<KernelLock> locks = table.locksOn(*key);
        // Every lock on the key, said when there is not exactly the child's one (seen once, 3 locks,
        // in a minbase chroot while SQLite ran beside it: the detail tells whose they were).
        QStringList seen;
        for (const KernelLock& l : locks)
            seen.append(QStringLiteral("pid %1 kind %2 %3-%4").arg(l.pid).arg(int(l.kind)).arg(l.start).arg(l.end));
        QVERIFY2(locks.size() == 1,
            qPrintable(QStringLiteral("child %1; locks: %2").arg(child.pid()).arg(seen.join(QStringLiteral("; ")))));
        QCOMPARE(int(locks.first().kind), kind);
        QVERIFY(locks.first().write);
        QCOMPARE(locks.first().end, qint64(-1));
        if (byPid)
            QCOMPARE(table.holderPids(*key), QList<qint64> { child.pid() });
        else // OFD locks belong to the open file description; the fd table names the process
            QVERIFY(OpenFileTable::scan().holders(*key).contains(child.pid()));

        QVERIFY(child.send("close"));
        QVERIFY(!child.waitForLine("closed").isEmpty());
        QVERIFY(KernelLockTable::read().locksOn(*key).isEmpty());
    }

    void pidOneIsAlive()
    {
        const ProcessInfo init = inspectProcess(1);
        QCOMPARE(init.liveness, Liveness::Alive);
        QCOMPARE(livenessOf(1), Liveness::Alive);
        QVERIFY(init.startTime.isValid());
        // Whether or not it is ours (root in a container, or another user), it is not a thread.
        QVERIFY(!init.isThread());
    }

    void neverExistedIsDead()
    {
        // pid_max itself is never handed out (PIDs run 1..pid_max-1).
        const qint64 pid = ProcFs::pidMax();
        QCOMPARE(livenessOf(pid), Liveness::Dead);
        const ProcessInfo info = inspectProcess(pid);
        QCOMPARE(info.liveness, Liveness::Dead);
        QVERIFY(!info.isAlive());
        QCOMPARE(judgeWriter(info, QDateTime::currentDateTimeUtc()).verdict, WriterVerdict::Dead);
    }

    void garbageRejected_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("zero") << QStringLiteral("0");
        QTest::newRow("negative") << QStringLiteral("-1");
        QTest::newRow("group") << QStringLiteral("-4242");
        QTest::newRow("huge") << QStringLiteral("99999999999");
        QTest::newRow("overflow") << QStringLiteral("999999999999999999999999");
        QTest::newRow("above pid_max") << QString::number(ProcFs::pidMax() + 1);
        QTest::newRow("letters") << QStringLiteral("12abc");
        QTest::newRow("empty") << QString();
    }

    void garbageRejected()
    {
        QFETCH(QString, text);
        QString error;
        QVERIFY(!parsePid(text, &error));
        QVERIFY(!error.isEmpty());
        bool ok = false;
        const qint64 n = text.toLongLong(&ok);
        if (ok) {
            QCOMPARE(livenessOf(n), Liveness::Invalid);
            const ProcessInfo info = inspectProcess(n);
            QCOMPARE(info.liveness, Liveness::Invalid);
            QVERIFY(!info.problems.isEmpty());
        }
    }

    void threadIdIsMarked()
    {
        // A thread id answers kill(2) and has a /proc entry, but it is not a process.
        std::atomic<qint64> tid { 0 };
        std::atomic<bool> stop { false };
        QThread* thread = QThread::create([&] {
            tid = ::gettid();
            while (!stop)
                QThread::msleep(1);
        });
        thread->start();
        QTRY_VERIFY(tid != 0);
        const ProcessInfo info = inspectProcess(tid);
        QVERIFY(info.isAlive());
        QVERIFY(info.isThread());
        QCOMPARE(info.tgid, qint64(::getpid()));
        stop = true;
        thread->wait();
        delete thread;
    }
};

QTEST_GUILESS_MAIN(TestProc)
#include "tst_proc.moc"
