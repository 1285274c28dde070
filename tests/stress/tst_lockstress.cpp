// SPDX-License-Identifier: GPL-3.0-or-later
// Many real processes contend for one lock through `stateward-cli lock`, while holders are
// killed with SIGKILL at random. No two may ever be inside at once, and no completed
// section's increment may be lost.
#include "childprocess.h"
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
    void contendedSectionsWithKills()
    {
        constexpr int lanes = 6;
        constexpr int perLane = 25;
        constexpr int maxKills = 25;
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString counter = dir.filePath(QStringLiteral("counter"));
        QFile::remove(counter);

        int started = 0, finished = 0, exitedZero = 0, killed = 0;
        QList<QProcess*> running;
        std::function<void(int, int)> launch = [&](int lane, int iteration) {
            if (iteration >= perLane)
                return;
            auto* p = new QProcess(this);
            p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
            connect(p, &QProcess::finished, this, [&, p, lane, iteration](int code, QProcess::ExitStatus status) {
                ++finished;
                if (status == QProcess::NormalExit && code == 0)
                    ++exitedZero;
                running.removeOne(p);
                p->deleteLater();
                launch(lane, iteration + 1);
            });
            p->start(ChildProcess::binary("stateward-cli"),
                { QStringLiteral("lock"), counter, QStringLiteral("--timeout"), QStringLiteral("60"),
                    QStringLiteral("--"), ChildProcess::binary("sw-testchild"), QStringLiteral("section"),
                    dir.path() });
            running.append(p);
            ++started;
        };
        for (int lane = 0; lane < lanes; ++lane)
            launch(lane, 0);

        // SIGKILL a random lock process now and then: a holder mid-section, or a waiter.
        QTimer killer;
        connect(&killer, &QTimer::timeout, this, [&] {
            if (killed >= maxKills || running.isEmpty())
                return;
            QProcess* victim = running.at(QRandomGenerator::global()->bounded(int(running.size())));
            if (victim->processId() > 0 && ::kill(pid_t(victim->processId()), SIGKILL) == 0)
                ++killed;
        });
        killer.start(40);

        QTRY_VERIFY_WITH_TIMEOUT(finished == lanes * perLane, 240000);
        killer.stop();
        // A killed wrapper's section goes on to its end on its own; wait for the last one.
        QTRY_VERIFY_WITH_TIMEOUT(!QFile::exists(dir.filePath(QStringLiteral("witness"))), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(!QFile::exists(counter + QLatin1String(".lock")) || exitedZero == 0, 5000);

        const QByteArray violations = TestFiles::readAll(dir.filePath(QStringLiteral("violations")));
        QVERIFY2(violations.isEmpty(), violations.constData());
        const QList<QByteArray> completed = TestFiles::readAll(dir.filePath(QStringLiteral("completed"))).split('\n');
        const int completedSections = int(completed.size()) - 1; // trailing newline
        const int value = TestFiles::readAll(counter).toInt();
        qInfo("%d sections launched, %d wrappers killed, %d exited 0, %d sections completed, counter %d", started,
            killed, exitedZero, completedSections, value);
        QCOMPARE(value, completedSections);
        QVERIFY(completedSections >= exitedZero);
        QVERIFY(killed > 0);
        QVERIFY(exitedZero > lanes * perLane / 2);
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
