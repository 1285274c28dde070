// SPDX-License-Identifier: GPL-3.0-or-later
// core/lock: the owner-dir dialect (docs/formats/locks.md, oh-my-codex's session.json.lock/): a lock
// directory whose holder is named by owner.json or owner.<token>.tmp inside it. Verdicts against real
// processes (dead, zombie, reused, live, another command line), every shape of owner file a crash or
// a hostile hand leaves (ambiguous, malformed, empty, symlink, huge, FIFO), and its removal: out of
// its path first, so a new holder that takes the path meanwhile is never hurt.
#include "childprocess.h"
#include "lock/lockfile.h"
#include "lock/lockjudge.h"
#include "proc/processinfo.h"
#include "testfiles.h"
#include "testprinters.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Stateward;
using namespace TestFiles;

namespace {

const QString kToken = QStringLiteral("d573a7e3-b920-474f-9d8e-d7cc305c8dc7");

// An owner record as oh-my-codex 0.21.6 writes one (hooks/session.js buildLockOwner): version 2 with
// the process identity when it could observe one, version 1 without.
QByteArray ownerRecord(qint64 pid, qint64 ticks, const QByteArray& hash, int version = 2,
    const QString& platform = QStringLiteral("linux"), const QString& token = kToken)
{
    QJsonObject o { { QStringLiteral("version"), version }, { QStringLiteral("token"), token },
        { QStringLiteral("pid"), pid }, { QStringLiteral("platform"), platform },
        { QStringLiteral("created_at"), QStringLiteral("2026-12-07T05:08:56.353Z") } };
    if (ticks >= 0)
        o.insert(QStringLiteral("pid_start_ticks"), ticks);
    if (!hash.isEmpty())
        o.insert(QStringLiteral("pid_cmdline_hash"), QString::fromLatin1(hash));
    if (version == 2) {
        QJsonObject identity { { QStringLiteral("platform"), platform },
            { QStringLiteral("birth"), QString::number(ticks) } };
        if (!hash.isEmpty())
            identity.insert(QStringLiteral("cmdline_hash"), QString::fromLatin1(hash));
        o.insert(QStringLiteral("process_identity"), identity);
    }
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// What a running process's owner record says about it: its start ticks and command-line hash.
std::pair<qint64, QByteArray> identityOf(qint64 pid)
{
    const ProcessInfo p = inspectProcess(pid);
    return { p.startTicks, ownerCmdlineHash(p.argv) };
}

} // namespace

class TestOwnerDirLock : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_n = 0;

    // A fresh lock directory X<n>.json.lock holding `owner` (a name) with `content`.
    QString lockWith(const QString& owner, const QByteArray& content)
    {
        const QString lock = m_dir.filePath(QStringLiteral("session%1.json.lock").arg(++m_n));
        if (!QDir().mkpath(lock))
            return {};
        if (!owner.isEmpty())
            writeFile(lock + QLatin1Char('/') + owner, content);
        return lock;
    }

    static LockVerdict judged(const QString& lock) { return LockJudge().judge(lock); }

private slots:
    void cmdlineHashIsOhMyCodexs()
    {
        // Known answers from oh-my-codex's own hashCmdline(normalizeCmdline(…)) over the same
        // /proc/<pid>/cmdline bytes, run in Node 20: runs of NUL and of JavaScript white space become
        // one space, then trimmed; U+0085 is no JavaScript white space, U+FEFF is.
        QCOMPARE(ownerCmdlineHash({ QStringLiteral("sleep"), QStringLiteral("600") }),
            QByteArray("d672adee5d4c7b2fa2f71aa2bb7e9a4b198598148652fd89d91f46f367345aa4"));
        QCOMPARE(ownerCmdlineHash(
                     { QStringLiteral("node"), QString(), QStringLiteral("/a b.js"), QStringLiteral("--x\t\ny") }),
            QByteArray("1cabeb7d1f160323c23ba718bce079047a4037c9833fafcd2d6b629f97dea9e2"));
        QCOMPARE(ownerCmdlineHash({ QString::fromUtf16(u"a\u00a0b\u0085c\ufeffd\u2028e") }),
            QByteArray("281f84dae8ef9985dabee13ae77d695bd91c37e4f9d477bc816e11975e01a804"));
        QCOMPARE(ownerCmdlineHash({ QString(), QStringLiteral(" \t") }), QByteArray());
        QCOMPARE(ownerCmdlineHash({}), QByteArray());
    }

    void deadHolderIsStale()
    {
        const qint64 dead = ChildProcess::deadPid();
        QVERIFY(dead > 0);
        const QString lock = lockWith(QStringLiteral("owner.json"), ownerRecord(dead, 12345, QByteArray(64, 'a')));
        const LockVerdict v = judged(lock); // classified by what the directory holds, not told
        QCOMPARE(v.dialect, LockDialect::OwnerDir);
        QCOMPARE(v.state, LockState::Stale);
        QVERIFY(v.removable);
        QCOMPARE(v.content.pid, dead);
        QCOMPARE(v.content.ownerFile, QStringLiteral("owner.json"));
        QCOMPARE(v.content.token, kToken);
        QCOMPARE(v.content.startTicks, 12345);
        QVERIFY2(v.reason.contains(QStringLiteral("PID %1 is dead").arg(dead)), qPrintable(v.reason));
        QCOMPARE(v.toJson().value(QStringLiteral("dialect")).toString(), QStringLiteral("owner-dir"));
        QCOMPARE(v.toJson().value(QStringLiteral("owner")).toString(), QStringLiteral("owner.json"));

        // Version 1 without identity: a dead PID is still dead.
        const QString v1 = lockWith(QStringLiteral("owner.json"), ownerRecord(dead, -1, {}, 1));
        QCOMPARE(judged(v1).state, LockState::Stale);
    }

    void zombieHolderIsStale()
    {
        // Killed, not yet reaped: it can never release the lock (oh-my-codex's kill(pid, 0) still sees
        // it; Stateward counts a zombie as gone everywhere).
        ChildProcess child;
        QVERIFY(child.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        QVERIFY(!child.waitForLine("ready").isEmpty());
        const auto [ticks, hash] = identityOf(child.pid());
        QVERIFY(child.signal(SIGKILL));
        QTRY_COMPARE(livenessOf(child.pid()), Liveness::Zombie);
        const QString lock = lockWith(QStringLiteral("owner.json"), ownerRecord(child.pid(), ticks, hash));
        const LockVerdict v = judged(lock);
        QCOMPARE(v.state, LockState::Stale);
        QCOMPARE(v.liveness, Liveness::Zombie);
    }

    void reusedPidIsStaleLiveHolderIsHeld()
    {
        ChildProcess child;
        QVERIFY(child.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        QVERIFY(!child.waitForLine("ready").isEmpty());
        const auto [ticks, hash] = identityOf(child.pid());
        QVERIFY(ticks > 0);
        QCOMPARE(hash.size(), 64);

        // The recorded start is another process's: the PID was reused.
        const QString reused = lockWith(QStringLiteral("owner.json"), ownerRecord(child.pid(), ticks - 1, hash));
        LockVerdict v = judged(reused);
        QCOMPARE(v.state, LockState::Stale);
        QVERIFY(v.removable);
        QCOMPARE(v.writer.verdict, WriterVerdict::Reused);
        QVERIFY2(v.reason.contains(QStringLiteral("reused")), qPrintable(v.reason));

        // Same start, same command line: live, however old (no age rule).
        const QString live = lockWith(QStringLiteral("owner.json"), ownerRecord(child.pid(), ticks, hash));
        backdate(live, 3600);
        backdate(live + QStringLiteral("/owner.json"), 3600);
        v = judged(live);
        QCOMPARE(v.state, LockState::Held);
        QVERIFY(!v.removable);
        QVERIFY2(v.reason.contains(QStringLiteral("same command line")), qPrintable(v.reason));
        QVERIFY(!clearStaleLock(live).cleared);
        QVERIFY(QFile::exists(live + QStringLiteral("/owner.json")));

        // Version 1 with start ticks and no hash: the start alone proves it, as oh-my-codex takes it.
        QCOMPARE(judged(lockWith(QStringLiteral("owner.json"), ownerRecord(child.pid(), ticks, {}, 1))).state,
            LockState::Held);
    }

    void unprovableIdentityIsNeverStale()
    {
        ChildProcess child;
        QVERIFY(child.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        QVERIFY(!child.waitForLine("ready").isEmpty());
        const auto [ticks, hash] = identityOf(child.pid());
        const QByteArray otherHash(64, 'b');
        // The right start but another command line; no start recorded at all; another platform's
        // identity (even for a dead PID, as oh-my-codex leaves it); a birth that is no tick count.
        const qint64 dead = ChildProcess::deadPid();
        QByteArray notTicks = ownerRecord(dead, 1, {});
        notTicks.replace("\"birth\":\"1\"", "\"birth\":\"1.5\"");
        const QList<std::pair<QString, QByteArray>> cases {
            { QStringLiteral("another command line"), ownerRecord(child.pid(), ticks, otherHash) },
            { QStringLiteral("no start time"), ownerRecord(child.pid(), -1, hash, 1) },
            { QStringLiteral("darwin"), ownerRecord(dead, 5, {}, 2, QStringLiteral("darwin")) },
            { QStringLiteral("no clock-tick count"), notTicks },
        };
        for (const auto& [why, record] : cases) {
            const QString lock = lockWith(QStringLiteral("owner.json"), record);
            const LockVerdict v = judged(lock);
            QCOMPARE(v.dialect, LockDialect::OwnerDir);
            QVERIFY2(v.state == LockState::Unknown, qPrintable(why + QStringLiteral(": ") + v.reason));
            QVERIFY2(v.reason.contains(why), qPrintable(v.reason));
            QVERIFY(!v.removable);
            QVERIFY(!clearStaleLock(lock).cleared);
            QVERIFY(QFile::exists(lock + QStringLiteral("/owner.json")));
        }
        Q_UNUSED(hash);
    }

    void ownerTmpWhilePublishing()
    {
        const qint64 dead = ChildProcess::deadPid();
        const QString tmpName = QStringLiteral("owner.%1.tmp").arg(kToken);
        const LockVerdict v = judged(lockWith(tmpName, ownerRecord(dead, 7, {})));
        QCOMPARE(v.dialect, LockDialect::OwnerDir);
        QCOMPARE(v.state, LockState::Stale);
        QCOMPARE(v.content.ownerFile, tmpName);
        // A tmp owner whose record carries another token is malformed (oh-my-codex: the same).
        const LockVerdict other = judged(lockWith(
            tmpName, ownerRecord(dead, 7, {}, 2, QStringLiteral("linux"), QStringLiteral("another-token-0123456"))));
        QCOMPARE(other.state, LockState::Unknown);
        QVERIFY2(other.reason.contains(QStringLiteral("malformed")), qPrintable(other.reason));
    }

    void anythingElseIsLeftAlone_data()
    {
        QTest::addColumn<QStringList>("names"); // files made in the lock dir, the first with content
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("reason");
        const QByteArray good = ownerRecord(ChildProcess::deadPid(), 7, {});
        const QString tmp = QStringLiteral("owner.%1.tmp").arg(kToken);
        QTest::newRow("owner and tmp") << QStringList { QStringLiteral("owner.json"), tmp } << good
                                       << QStringLiteral("ambiguous");
        QTest::newRow("owner and a stray file")
            << QStringList { QStringLiteral("owner.json"), QStringLiteral(".omx-recovery-probe-from") } << good
            << QStringLiteral("ambiguous");
        QTest::newRow("two tmp owners") << QStringList { tmp, QStringLiteral("owner.0123456789abcdefXYZ.tmp") } << good
                                        << QStringLiteral("ambiguous");
        QTest::newRow("not JSON") << QStringList { QStringLiteral("owner.json") } << QByteArray("{\"pid\": 12")
                                  << QStringLiteral("not JSON");
        QTest::newRow("zero bytes") << QStringList { QStringLiteral("owner.json") } << QByteArray()
                                    << QStringLiteral("empty");
        QTest::newRow("no token") << QStringList { QStringLiteral("owner.json") }
                                  << QByteArray(R"({"version":1,"pid":5,"platform":"linux","created_at":"x"})")
                                  << QStringLiteral("no token");
        QTest::newRow("pid as a string")
            << QStringList { QStringLiteral("owner.json") }
            << QByteArray(R"({"version":1,"token":"0123456789abcdef","pid":"5","platform":"linux","created_at":"x"})")
            << QStringLiteral("no positive integer pid");
        QTest::newRow("version 3") << QStringList { QStringLiteral("owner.json") }
                                   << QByteArray(good).replace("\"version\":2", "\"version\":3")
                                   << QStringLiteral("neither 1 nor 2");
        QTest::newRow("an array") << QStringList { QStringLiteral("owner.json") } << QByteArray("[1,2]")
                                  << QStringLiteral("not a JSON object");
    }

    void anythingElseIsLeftAlone()
    {
        QFETCH(QStringList, names);
        QFETCH(QByteArray, content);
        QFETCH(QString, reason);
        const QString lock = lockWith(names.first(), content);
        for (const QString& name : names.mid(1))
            writeFile(lock + QLatin1Char('/') + name, content);
        const LockVerdict v = judged(lock);
        QCOMPARE(v.dialect, LockDialect::OwnerDir);
        QCOMPARE(v.state, LockState::Unknown);
        QVERIFY(!v.removable);
        QVERIFY2(v.reason.contains(reason), qPrintable(v.reason));
        QVERIFY(!clearStaleLock(lock).cleared);
        QCOMPARE(QDir(lock).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot).size(), names.size());
    }

    void emptyDirectoryIsNoOwnerDirUnlessNamed()
    {
        // Empty: proper-lockfile's mkdir lock by shape; named owner-dir (a profile), a lock whose
        // holder has not published its owner yet, or died before it did: never stale.
        const QString lock = lockWith(QString(), {});
        QCOMPARE(judged(lock).dialect, LockDialect::Mkdir);
        const LockVerdict v = LockJudge().judge(lock, LockDialect::OwnerDir);
        QCOMPARE(v.state, LockState::Unknown);
        QVERIFY2(v.reason.contains(QStringLiteral("no owner file")), qPrintable(v.reason));
        // A regular file named as an owner-dir lock is none.
        const QString file = m_dir.filePath(QStringLiteral("plain.json.lock"));
        writeFile(file, "1\n");
        QCOMPARE(LockJudge().judge(file, LockDialect::OwnerDir).state, LockState::Unknown);
    }

    void hostileOwnerFilesAreNeverOpened()
    {
        const QByteArray good = ownerRecord(ChildProcess::deadPid(), 7, {});
        // A symlink to a valid owner record elsewhere: not followed.
        const QString elsewhere = m_dir.filePath(QStringLiteral("elsewhere.json"));
        writeFile(elsewhere, good);
        const QString linked = lockWith(QString(), {});
        QVERIFY(QFile::link(elsewhere, linked + QStringLiteral("/owner.json")));
        LockVerdict v = judged(linked);
        QCOMPARE(v.dialect, LockDialect::OwnerDir);
        QCOMPARE(v.state, LockState::Unknown);
        QVERIFY2(v.reason.contains(QStringLiteral("symlink")), qPrintable(v.reason));
        QVERIFY(!clearStaleLock(linked).cleared);
        QVERIFY(QFileInfo(linked + QStringLiteral("/owner.json")).isSymLink());
        QVERIFY(QFile::exists(elsewhere));

        // Huge: refused at its size, never slurped.
        const QString huge = lockWith(QStringLiteral("owner.json"), good + QByteArray(2 * 1024 * 1024, ' '));
        v = judged(huge);
        QCOMPARE(v.state, LockState::Unknown);
        QVERIFY2(v.reason.contains(QStringLiteral("more than")), qPrintable(v.reason));

        // A FIFO: never opened for reading (it would block until a writer came).
        const QString fifo = lockWith(QString(), {});
        QCOMPARE(::mkfifo(QFile::encodeName(fifo + QStringLiteral("/owner.json")).constData(), 0600), 0);
        v = judged(fifo);
        QCOMPARE(v.state, LockState::Unknown);
        QVERIFY2(v.reason.contains(QStringLiteral("FIFO")), qPrintable(v.reason));
        QVERIFY(!clearStaleLock(fifo).cleared);

        // The lock directory itself a symlink to a real owner-dir lock: not followed.
        const QString target = lockWith(QStringLiteral("owner.json"), good);
        const QString linkDir = m_dir.filePath(QStringLiteral("linked-dir.json.lock"));
        QVERIFY(QFile::link(target, linkDir));
        QCOMPARE(judged(linkDir).state, LockState::Unknown);
        QVERIFY(!clearStaleLock(linkDir).cleared);
        QVERIFY(QFile::exists(target + QStringLiteral("/owner.json")));
    }

    void ownerFileOpenByALiveProcessIsHeld()
    {
        // Its record names a dead PID, but a live process has the owner file open (writing it): held.
        const QString lock = lockWith(QStringLiteral("owner.json"), ownerRecord(ChildProcess::deadPid(), 7, {}));
        ChildProcess holder;
        QVERIFY(holder.start(
            ChildProcess::binary("sw-testchild"), { QStringLiteral("open"), lock + QStringLiteral("/owner.json") }));
        QVERIFY(!holder.waitForLine("ready").isEmpty());
        const LockVerdict v = judged(lock);
        QCOMPARE(v.state, LockState::Held);
        QVERIFY(v.openHolders.contains(qint64(holder.pid())));
        QVERIFY(!clearStaleLock(lock).cleared);
        QVERIFY(QFile::exists(lock + QStringLiteral("/owner.json")));
    }

    void clearMovesItOutOfItsPathThenEmptiesIt()
    {
        const QByteArray record = ownerRecord(ChildProcess::deadPid(), 7, {});
        const QString lock = lockWith(QStringLiteral("owner.json"), record);
        QTemporaryDir park;
        const int parkFd = ::open(QFile::encodeName(park.path()).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        QVERIFY(parkFd >= 0);
        ClearOptions options;
        options.parkDirFd = parkFd;
        options.parkName = "parked";
        QByteArray kept;
        options.keepOwner = [&](const QString& owner, const QByteArray& bytes, QString*) {
            // Kept before anything changes: the lock is still at its path.
            kept = owner.toUtf8() + ':' + bytes;
            return QFile::exists(lock + QStringLiteral("/owner.json"));
        };
        const ClearResult r = clearStaleLock(lock, options);
        ::close(parkFd);
        QVERIFY2(r.cleared, qPrintable(r.message));
        QVERIFY(r.leftAt.isEmpty());
        QCOMPARE(kept, "owner.json:" + record);
        QVERIFY(!QFileInfo::exists(lock));
        QVERIFY(QDir(park.path()).isEmpty());

        // Without a parking place: beside it, and nothing left there.
        const QString beside = lockWith(QStringLiteral("owner.%1.tmp").arg(kToken), record);
        QVERIFY(clearStaleLock(beside).cleared);
        QVERIFY(!QFileInfo::exists(beside));
        QCOMPARE(QDir(m_dir.path()).entryList({ QStringLiteral("*.stateward-*") }, QDir::AllEntries).size(), 0);

        // A keeper that cannot keep the bytes stops the clear before anything changes.
        const QString unkept = lockWith(QStringLiteral("owner.json"), record);
        ClearOptions refuse;
        refuse.keepOwner = [](const QString&, const QByteArray&, QString* error) {
            *error = QStringLiteral("disk full");
            return false;
        };
        const ClearResult no = clearStaleLock(unkept, refuse);
        QVERIFY(!no.cleared);
        QVERIFY2(no.message.contains(QStringLiteral("disk full")), qPrintable(no.message));
        QVERIFY(QFile::exists(unkept + QStringLiteral("/owner.json")));
    }

    void newHolderMeanwhileIsNeverHurt()
    {
        // Between the last check and the move, someone else clears the dead lock and a new holder
        // makes the directory anew with its own owner: the move catches the new directory, sees it is
        // not the one judged, and puts it straight back, whole.
        const QByteArray record = ownerRecord(ChildProcess::deadPid(), 7, {});
        const QString lock = lockWith(QStringLiteral("owner.json"), record);
        const QByteArray fresh = ownerRecord(::getpid(), 1, {}, 1);
        ClearOptions options;
        options.keepOwner = [&](const QString&, const QByteArray&, QString*) {
            QDir(lock).removeRecursively();
            QDir().mkdir(lock);
            writeFile(lock + QStringLiteral("/owner.json"), fresh);
            return true;
        };
        ClearResult r = clearStaleLock(lock, options);
        QVERIFY(!r.cleared);
        QVERIFY(r.leftAt.isEmpty());
        QVERIFY2(r.message.contains(QStringLiteral("put back")), qPrintable(r.message));
        QCOMPARE(readAll(lock + QStringLiteral("/owner.json")), fresh);
        QCOMPARE(QDir(m_dir.path()).entryList({ QStringLiteral("*.stateward-*") }, QDir::AllEntries).size(), 0);

        // The same directory, but something appeared in it meanwhile: put back, never emptied.
        const QString grown = lockWith(QStringLiteral("owner.json"), record);
        options.keepOwner = [&](const QString&, const QByteArray&, QString*) {
            writeFile(grown + QStringLiteral("/owner.1111222233334444.tmp"), record);
            return true;
        };
        r = clearStaleLock(grown, options);
        QVERIFY(!r.cleared);
        QVERIFY2(r.message.contains(QStringLiteral("put back")), qPrintable(r.message));
        QCOMPARE(QDir(grown).entryList(QDir::Files).size(), 2);
    }
};

QTEST_GUILESS_MAIN(TestOwnerDirLock)
#include "tst_ownerdirlock.moc"
