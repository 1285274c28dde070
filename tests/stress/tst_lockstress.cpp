// SPDX-License-Identifier: GPL-3.0-or-later
// Many real processes contend for one lock through `stateward-cli lock`, while lock holders and
// waiters are killed with SIGKILL at random. No two may ever be inside at once, and no completed
// section's increment may be lost. Two sizes: "short" (ctest label stress, in every run) and
// "long", 10 000 sections (label long, `ctest --preset stress` or `scripts/test --stress`).
#include "childprocess.h"
#include "lock/lockcontent.h"
#include "lock/tmpfiles.h"
#include "proc/processinfo.h"
#include "testfiles.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <csignal>

class TestLockStress : public QObject
{
    Q_OBJECT

private slots:
    void contendedSectionsWithKills_data()
    {
        QTest::addColumn<int>("sections"); // at least this many complete
        QTest::addColumn<int>("timeoutSeconds"); // a hang's bound, never a speed expectation
        QTest::newRow("short") << 300 << 240;
        QTest::newRow("long") << 10000 << 3000;
    }

    void contendedSectionsWithKills()
    {
        QFETCH(int, sections);
        QFETCH(int, timeoutSeconds);
        constexpr int lanes = 6;
        // Kills are paced by progress, not by time: by the time k sections have completed, about
        // k / killEvery holders and as many waiters have been killed.
        constexpr int killEvery = 20;
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString counter = dir.filePath(QStringLiteral("counter"));
        const QString lockPath = counter + QLatin1String(".lock");
        const QString completedPath = dir.filePath(QStringLiteral("completed"));
        QFile::remove(counter);
        const auto completedSoFar = [&] { return int(TestFiles::readAll(completedPath).count('\n')); };

        QElapsedTimer clock;
        clock.start();
        int started = 0, finished = 0, exitedZero = 0, holdersKilled = 0, waitersKilled = 0, lanesDone = 0;
        // Lanes relaunch until enough sections completed and both kinds of kill happened; no kills
        // after that, so the last holder unlocks.
        bool launching = true;
        QHash<qint64, QProcess*> running; // by PID
        std::function<void()> launch = [&] {
            if (launching && completedSoFar() >= sections && holdersKilled > 0 && waitersKilled > 0)
                launching = false;
            if (!launching) {
                ++lanesDone;
                return;
            }
            auto* p = new QProcess(this);
            p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
            connect(p, &QProcess::finished, this, [&, p](int code, QProcess::ExitStatus status) {
                ++finished;
                if (status == QProcess::NormalExit && code == 0)
                    ++exitedZero;
                running.remove(running.key(p));
                p->deleteLater();
                launch();
            });
            p->start(ChildProcess::binary("stateward-cli"),
                { QStringLiteral("lock"), counter, QStringLiteral("--timeout"), QStringLiteral("600"),
                    QStringLiteral("--"), ChildProcess::binary("sw-testchild"), QStringLiteral("section"),
                    dir.path() });
            QVERIFY2(p->waitForStarted(), qPrintable(p->errorString()));
            running.insert(p->processId(), p);
            ++started;
        };
        for (int lane = 0; lane < lanes; ++lane)
            launch();

        // Now and then SIGKILL the lock's holder (the stateward-cli whose PID the lock file names;
        // its section runs on to its end and keeps the lock open meanwhile), and a random other
        // lock process: a waiter, or one in the middle of a steal.
        QTimer killer;
        connect(&killer, &QTimer::timeout, this, [&] {
            if (!launching || running.isEmpty())
                return;
            const int due = (completedSoFar() + killEvery) / killEvery;
            if (holdersKilled < due) {
                const qint64 holder
                    = Stateward::parseLockContent(Stateward::LockDialect::PidNonce, TestFiles::readAll(lockPath)).pid;
                if (running.contains(holder) && ::kill(pid_t(holder), SIGKILL) == 0)
                    ++holdersKilled;
            }
            if (waitersKilled < due) {
                const QList<qint64> pids = running.keys();
                const qint64 victim = pids.at(QRandomGenerator::global()->bounded(int(pids.size())));
                if (::kill(pid_t(victim), SIGKILL) == 0)
                    ++waitersKilled;
            }
        });
        killer.start(20);

        QTRY_VERIFY_WITH_TIMEOUT(lanesDone == lanes && running.isEmpty(), timeoutSeconds * 1000);
        killer.stop();
        // A killed wrapper's section goes on to its end on its own; wait for the last one.
        QTRY_VERIFY_WITH_TIMEOUT(!QFile::exists(dir.filePath(QStringLiteral("witness"))), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(!QFile::exists(lockPath) || exitedZero == 0, 5000);

        const QByteArray violations = TestFiles::readAll(dir.filePath(QStringLiteral("violations")));
        const int doubleHolders = int(violations.count('\n'));
        const int completedSections = completedSoFar();
        const int value = TestFiles::readAll(counter).toInt();
        qInfo("%d sections completed of %d launched; %d holders and %d other lock processes killed with "
              "SIGKILL; %d exited 0; counter %d (%d increments lost); %d double holders; %.1f s",
            completedSections, started, holdersKilled, waitersKilled, exitedZero, value, completedSections - value,
            doubleHolders, double(clock.elapsed()) / 1000);
        QVERIFY2(violations.isEmpty(), violations.constData());
        QCOMPARE(value, completedSections);
        QVERIFY(completedSections >= sections);
        QVERIFY(completedSections >= exitedZero);
        QCOMPARE(finished, started);
        QVERIFY(holdersKilled > 0);
        QVERIFY(waitersKilled > 0);
        QVERIFY(exitedZero > started / 2);
        // A locker killed between writing its tmp and linking it leaves that tmp: it must be
        // recognisable as such, with a dead owner (the contended path sweeps them as it goes).
        for (const QString& name :
            QDir(dir.path()).entryList({ QStringLiteral("*.tmp") }, QDir::Files | QDir::Hidden)) {
            const Stateward::TmpFileName tmp = Stateward::recogniseTmpName(name);
            QVERIFY2(tmp.recognised && tmp.target == QLatin1String("counter.lock"), qPrintable(name));
            QVERIFY2(Stateward::livenessOf(tmp.ownerPid) != Stateward::Liveness::Alive, qPrintable(name));
        }
    }
};

QTEST_GUILESS_MAIN(TestLockStress)
#include "tst_lockstress.moc"
