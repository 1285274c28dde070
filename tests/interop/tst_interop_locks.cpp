// SPDX-License-Identifier: GPL-3.0-or-later
// Our lock core against the real tools: @optave/codegraph 3.11.2's journal lock and
// proper-lockfile 4.1.2, run by Node from tests/interop/node_modules.
#include "childprocess.h"
#include "lock/lockfile.h"
#include "lock/lockjudge.h"
#include "nodetools.h"
#include "testfiles.h"
#include "testprinters.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

using namespace Stateward;

class TestInteropLocks : public QObject
{
    Q_OBJECT

    QString m_node;

    static QString script(const char* name) { return NodeTools::script(name); }
    QProcess* node(const char* name, const QStringList& args)
    {
        auto* p = new QProcess(this);
        p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        p->start(m_node, QStringList { script(name) } + args);
        return p;
    }

private slots:
    void initTestCase()
    {
        const QString missing = NodeTools::missing();
        QVERIFY2(missing.isEmpty(), qPrintable(missing));
        m_node = NodeTools::node();
    }

    // 1. Real codegraph appenders and our `stateward-cli lock` appenders on one journal.
    void concurrentAppendsLoseNothing()
    {
        QTemporaryDir root;
        const QString cg = root.filePath(QStringLiteral(".codegraph"));
        QVERIFY(QDir().mkpath(cg));
        const QString journal = cg + QLatin1String("/changes.journal");
        constexpr int lanes = 3, perLane = 40;
        QList<QProcess*> procs;
        for (int i = 0; i < lanes; ++i)
            procs.append(
                node("cg-append.mjs", { root.path(), QStringLiteral("cg%1").arg(i), QString::number(perLane) }));
        // Ours: the same lock, the codegraph journal conventions (header on create, one line each).
        const QString appendOne = QStringLiteral(
            "J=\"$1\"; for i in $(seq 1 %1); do \"$2\" lock \"$J\" --timeout 60 -- sh -c "
            "'[ -s \"$0\" ] || printf \"# codegraph-journal v1 0\\n\" > \"$0\"; printf \"%s\\n\" \"$1\" >> \"$0\"' "
            "\"$J\" \"sw$3-$i\" || exit 1; done")
                                      .arg(perLane);
        for (int i = 0; i < lanes; ++i) {
            auto* p = new QProcess(this);
            p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
            p->start(QStringLiteral("sh"),
                { QStringLiteral("-c"), appendOne, QStringLiteral("sh"), journal, ChildProcess::binary("stateward-cli"),
                    QString::number(i) });
            procs.append(p);
        }
        for (QProcess* p : procs) {
            QVERIFY(p->waitForFinished(180000));
            QCOMPARE(p->exitCode(), 0);
        }

        const QList<QByteArray> lines = TestFiles::readAll(journal).split('\n');
        QVERIFY2(lines.first().startsWith("# codegraph-journal v1 "), lines.first().constData());
        QCOMPARE(lines.last(), QByteArray()); // ends with a newline: no torn last line
        QSet<QByteArray> seen;
        for (qsizetype i = 1; i + 1 < lines.size(); ++i) {
            QVERIFY2(!seen.contains(lines[i]), lines[i].constData());
            seen.insert(lines[i]);
        }
        for (int lane = 0; lane < lanes; ++lane) {
            for (int i = 0; i < perLane; ++i) {
                QVERIFY(seen.contains(QStringLiteral("cg%1-%2").arg(lane).arg(i).toLatin1()));
                QVERIFY(seen.contains(QStringLiteral("sw%1-%2").arg(lane).arg(i + 1).toLatin1()));
            }
        }
        QCOMPARE(seen.size(), 2 * lanes * perLane);
        QVERIFY(!QFile::exists(journal + QLatin1String(".lock")));
    }

    // 2. codegraph SIGKILLed inside its lock: stale by our verdict, stolen by us, and codegraph
    //    appends again afterwards.
    void killedCodegraphHolderIsStolen()
    {
        QTemporaryDir root;
        const QString lockPath = root.filePath(QStringLiteral(".codegraph/changes.journal.lock"));
        ChildProcess holder;
        QVERIFY(holder.start(m_node, { script("cg-hold.mjs"), root.path() }));
        const QByteArray inside = holder.waitForLine("inside", 20000);
        QVERIFY2(!inside.isEmpty(), "codegraph did not enter its lock");

        LockVerdict v = LockJudge().judge(lockPath);
        QCOMPARE(v.dialect, LockDialect::PidNonce);
        QCOMPARE(v.state, LockState::Held);
        QCOMPARE(v.content.pid, qint64(holder.pid()));
        QVERIFY(v.openHolders.contains(holder.pid())); // codegraph keeps its lock fd open

        const qint64 holderPid = holder.pid();
        QVERIFY(holder.signal(SIGKILL));
        QVERIFY(holder.reap() >= 0);
        v = LockJudge().judge(lockPath);
        QCOMPARE(v.state, LockState::Stale);
        QVERIFY(v.removable);
        QCOMPARE(v.liveness, Liveness::Dead);
        QVERIFY(v.openHolders.isEmpty());
        QVERIFY2(v.reason.contains(QStringLiteral("holder PID %1 is dead").arg(holderPid)), qPrintable(v.reason));

        {
            LockFile ours(root.filePath(QStringLiteral(".codegraph/changes.journal")));
            QVERIFY2(ours.lock(std::chrono::seconds(5)), qPrintable(ours.errorString()));
            QVERIFY(ours.stole());
        }
        QProcess* after = node("cg-append-timed.mjs", { root.path(), QStringLiteral("after-steal") });
        QVERIFY(after->waitForFinished(30000));
        QCOMPARE(after->exitCode(), 0);
        QVERIFY(
            TestFiles::readAll(root.filePath(QStringLiteral(".codegraph/changes.journal"))).contains("after-steal\n"));
    }

    // 3. While we hold the lock, codegraph waits, then appends once we release.
    void codegraphWaitsForUs()
    {
        QTemporaryDir root;
        QVERIFY(QDir().mkpath(root.filePath(QStringLiteral(".codegraph"))));
        LockFile ours(root.filePath(QStringLiteral(".codegraph/changes.journal")));
        QCOMPARE(ours.tryLock(), LockFile::Status::Acquired);
        ChildProcess waiter;
        QVERIFY(waiter.start(m_node, { script("cg-append-timed.mjs"), root.path(), QStringLiteral("waited-line") }));
        QVERIFY(!waiter.waitForLine("calling", 30000).isEmpty()); // Node is up and asking for the lock
        QThread::msleep(800);
        QVERIFY(waiter.waitForLine("waited_ms", 10).isEmpty()); // still waiting on ours
        QVERIFY(ours.unlock());
        const QByteArray waited = waiter.waitForLine("waited_ms", 10000);
        QVERIFY2(waited.mid(10).toInt() >= 700, waited.constData());
        QVERIFY(!waiter.waitForLine("done", 10000).isEmpty());
        QCOMPARE(WEXITSTATUS(waiter.reap()), 0);
        QVERIFY(
            TestFiles::readAll(root.filePath(QStringLiteral(".codegraph/changes.journal"))).contains("waited-line\n"));
    }

    // 4. proper-lockfile: held while its holder refreshes; stale only once killed and aged past
    //    its stale time; a fresh one is never removed.
    void properLockfileHolder()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("state.json"));
        QVERIFY(QFile(file).open(QIODevice::WriteOnly));
        const QString lockDir = file + QLatin1String(".lock");
        LockRules rules;
        rules.mkdirStale = std::chrono::milliseconds(2000); // the holder's own `stale` setting
        ChildProcess holder;
        QVERIFY(holder.start(m_node, { script("plf-hold.mjs"), file, QStringLiteral("2000") }));
        QVERIFY(!holder.waitForLine("locked", 20000).isEmpty());

        // Over three stale periods the live holder keeps it fresh.
        for (int i = 0; i < 6; ++i) {
            const LockVerdict v = LockJudge(rules).judge(lockDir);
            QCOMPARE(v.dialect, LockDialect::Mkdir);
            QVERIFY2(v.state == LockState::Held, qPrintable(v.reason));
            QVERIFY(!clearStaleLock(lockDir, rules).cleared);
            QThread::msleep(1000);
        }
        QVERIFY(holder.signal(SIGKILL));
        QVERIFY(holder.reap() >= 0);
        QVERIFY(QFileInfo(lockDir).isDir()); // SIGKILL: its exit handler never ran
        QCOMPARE(LockJudge(rules).judge(lockDir).state, LockState::Held); // not aged yet
        QVERIFY(!clearStaleLock(lockDir, rules).cleared);
        QTRY_COMPARE_WITH_TIMEOUT(LockJudge(rules).judge(lockDir).state, LockState::Stale, 10000);
        const ClearResult cleared = clearStaleLock(lockDir, rules);
        QVERIFY2(cleared.cleared, qPrintable(cleared.message));
        QVERIFY(!QFileInfo::exists(lockDir));

        // The tool itself can take it again.
        ChildProcess again;
        QVERIFY(again.start(m_node, { script("plf-hold.mjs"), file, QStringLiteral("2000") }));
        QVERIFY(!again.waitForLine("locked", 20000).isEmpty());
        again.closeStdin();
        QVERIFY(!again.waitForLine("released", 20000).isEmpty());
    }

    // 5. PID reuse: the lock names a live process that started after the lock was written.
    //    codegraph would wait on it for 30 s; we judge it stale and say why.
    void reusedPidIsStale()
    {
        QTemporaryDir root;
        QTemporaryDir elsewhere;
        const QString lockPath = root.filePath(QStringLiteral(".codegraph/changes.journal.lock"));
        QVERIFY(QDir().mkpath(root.filePath(QStringLiteral(".codegraph"))));
        {
            QFile f(lockPath);
            QVERIFY(f.open(QIODevice::WriteOnly));
        }
        struct timespec times[2];
        ::clock_gettime(CLOCK_REALTIME, &times[0]);
        times[0].tv_sec -= 10;
        times[1] = times[0];
        // A live process started now: a real codegraph holding a lock in another workspace.
        ChildProcess live;
        QVERIFY(live.start(m_node, { script("cg-hold.mjs"), elsewhere.path() }));
        QVERIFY(!live.waitForLine("inside", 20000).isEmpty());
        const QByteArray pid = QByteArray::number(live.pid());
        {
            QFile f(lockPath);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(pid + '\n' + pid + "-0123456789abcdef\n");
        }
        QVERIFY(::utimensat(AT_FDCWD, QFile::encodeName(lockPath).constData(), times, 0) == 0);

        const LockVerdict v = LockJudge().judge(lockPath);
        QCOMPARE(v.liveness, Liveness::Alive);
        QCOMPARE(v.writer.verdict, WriterVerdict::Reused);
        QCOMPARE(v.state, LockState::Stale);
        QVERIFY2(v.reason.contains(QStringLiteral("the PID was reused")), qPrintable(v.reason));
        QVERIFY(v.writer.startedAfterMs >= 9000);

        LockFile ours(root.filePath(QStringLiteral(".codegraph/changes.journal")));
        QCOMPARE(ours.tryLock(), LockFile::Status::Acquired);
        QVERIFY(ours.stole());
        QVERIFY(ours.unlock());
        QProcess* after = node("cg-append-timed.mjs", { root.path(), QStringLiteral("after-reuse") });
        QVERIFY(after->waitForFinished(30000));
        QCOMPARE(after->exitCode(), 0);
    }
};

QTEST_GUILESS_MAIN(TestInteropLocks)
#include "tst_interop_locks.moc"
