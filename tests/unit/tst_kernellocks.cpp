// SPDX-License-Identifier: GPL-3.0-or-later
// The /proc/locks parser on the shapes the kernel prints (fs/locks.c lock_get_status), including
// blocked waiters, OFD locks, leases and lines it must skip rather than misread.
#include "proc/kernellocks.h"

#include <QTest>

using namespace Stateward;

class TestKernelLocks : public QObject
{
    Q_OBJECT
private slots:
    void parsesEveryShape()
    {
        const QByteArray text = "1: POSIX  ADVISORY  WRITE 4242 fd:01:1311812 0 EOF\n"
                                "1: -> POSIX  ADVISORY  WRITE 4343 fd:01:1311812 0 EOF\n"
                                "2: FLOCK  ADVISORY  READ  77 00:2a:91 0 EOF\n"
                                "3: OFDLCK ADVISORY  WRITE -1 08:10:555 100 199\n"
                                "4: LEASE  ACTIVE    READ  901 103:02:7 0 EOF\n"
                                "5: DELEG  ACTIVE    READ  902 00:2a:92 0 EOF\n"
                                "garbage line\n"
                                "6: POSIX  ADVISORY  WRITE notapid fd:01:1 0 EOF\n"
                                "7: POSIX  ADVISORY  WRITE 5 fd:01 0 EOF\n"
                                "\n";
        const KernelLockTable table = KernelLockTable::parse(text);
        QCOMPARE(table.all().size(), 6);
        QCOMPARE(table.malformedLines(), 3);

        const FileKey journal = FileKey::fromMajorMinor(0xfd, 0x01, 1311812);
        const QList<KernelLock> held = table.locksOn(journal);
        QCOMPARE(held.size(), 1); // the "->" waiter is not a holder
        QCOMPARE(held.first().pid, qint64(4242));
        QCOMPARE(held.first().kind, KernelLock::Kind::Posix);
        QVERIFY(held.first().write);
        QCOMPARE(table.holderPids(journal), QList<qint64> { 4242 });
        QVERIFY(table.all().at(1).waiting);
        QCOMPARE(table.all().at(1).pid, qint64(4343));

        const FileKey shared = FileKey::fromMajorMinor(0x00, 0x2a, 91);
        QCOMPARE(table.locksOn(shared).first().kind, KernelLock::Kind::Flock);
        QVERIFY(!table.locksOn(shared).first().write);

        const FileKey ofd = FileKey::fromMajorMinor(0x08, 0x10, 555);
        QCOMPARE(table.locksOn(ofd).first().kind, KernelLock::Kind::Ofd);
        QCOMPARE(table.locksOn(ofd).first().start, qint64(100));
        QCOMPARE(table.locksOn(ofd).first().end, qint64(199));
        QVERIFY(table.holderPids(ofd).isEmpty()); // OFD locks have no owning PID

        // Minor numbers wider than two hex digits (e.g. NVMe partitions) keep their value.
        QCOMPARE(table.locksOn(FileKey::fromMajorMinor(0x103, 0x02, 7)).first().kind, KernelLock::Kind::Lease);
        QCOMPARE(table.all().at(5).kindText(), QStringLiteral("lease"));
        QCOMPARE(journal.toString(), QStringLiteral("fd:01:1311812"));
    }

    void emptyInputIsEmpty()
    {
        const KernelLockTable table = KernelLockTable::parse(QByteArrayView());
        QVERIFY(table.all().isEmpty());
        QCOMPARE(table.malformedLines(), 0);
    }
};

QTEST_GUILESS_MAIN(TestKernelLocks)
#include "tst_kernellocks.moc"
