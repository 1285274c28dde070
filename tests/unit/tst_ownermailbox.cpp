// SPDX-License-Identifier: GPL-3.0-or-later
// OwnerMailbox: what a worker posts runs on the owner's thread, in order, and nothing posted
// runs once the owner is gone, whether posted before its death, after it, or while it dies.
#include "ownermailbox.h"

#include <QCoreApplication>
#include <QMutex>
#include <QSemaphore>
#include <QTest>
#include <QThread>
#include <QThreadPool>

#include <atomic>
#include <memory>

using namespace Stateward;

namespace {

constexpr int kTimeout = 20000;

// An owner as the real ones are: the mailbox is a member built with `this`.
class Owner : public QObject
{
public:
    OwnerMailbox mailbox { this };
};

} // namespace

class TestOwnerMailbox : public QObject
{
    Q_OBJECT

private slots:
    void deliveredOnTheOwnersThreadInOrder()
    {
        QThread ownerThread;
        ownerThread.start();
        auto* owner = new Owner;
        owner->moveToThread(&ownerThread);
        const OwnerMailbox::Sender toOwner = owner->mailbox.sender();

        QMutex mutex;
        QList<int> order;
        QList<QThread*> threads;
        constexpr int kPosts = 200;
        std::atomic<int> refused { 0 };
        QThreadPool::globalInstance()->start([toOwner, &mutex, &order, &threads, &refused] {
            for (int i = 0; i < kPosts; ++i) {
                const bool posted = toOwner.post([i, &mutex, &order, &threads] {
                    QMutexLocker lock(&mutex);
                    order.append(i);
                    threads.append(QThread::currentThread());
                });
                refused += posted ? 0 : 1;
            }
        });
        QTRY_COMPARE_WITH_TIMEOUT(
            [&] {
                QMutexLocker lock(&mutex);
                return order.size();
            }(),
            kPosts, kTimeout);
        QVERIFY(QThreadPool::globalInstance()->waitForDone(kTimeout));
        QCOMPARE(refused.load(), 0);
        QList<int> expected;
        for (int i = 0; i < kPosts; ++i)
            expected.append(i);
        QCOMPARE(order, expected);
        for (QThread* t : std::as_const(threads))
            QCOMPARE(t, &ownerThread);

        QVERIFY(QMetaObject::invokeMethod(
            owner, [owner] { delete owner; }, Qt::BlockingQueuedConnection));
        QVERIFY(!toOwner.isOpen());
        QVERIFY(!toOwner.post([] { QFAIL("ran after its owner was deleted"); }));
        ownerThread.quit();
        QVERIFY(ownerThread.wait(kTimeout));
    }

    void postAfterTheOwnerIsGoneIsDropped()
    {
        auto owner = std::make_unique<Owner>();
        const OwnerMailbox::Sender toOwner = owner->mailbox.sender();
        QVERIFY(toOwner.isOpen());
        owner.reset();
        QVERIFY(!toOwner.isOpen());
        auto ran = std::make_shared<std::atomic<int>>(0);
        QVERIFY(!toOwner.post([ran] { ++*ran; }));
        // From a worker too.
        std::atomic<bool> postedFromWorker { true };
        QThreadPool::globalInstance()->start(
            [toOwner, ran, &postedFromWorker] { postedFromWorker = toOwner.post([ran] { ++*ran; }); });
        QVERIFY(QThreadPool::globalInstance()->waitForDone(kTimeout));
        QVERIFY(!postedFromWorker);
        QCoreApplication::sendPostedEvents();
        QCoreApplication::processEvents();
        QCOMPARE(ran->load(), 0);
        // A default Sender has no owner at all.
        QVERIFY(!OwnerMailbox::Sender().post([ran] { ++*ran; }));
        QVERIFY(!OwnerMailbox::Sender().isOpen());
    }

    void postedBeforeTheOwnerDiesNeverRuns()
    {
        auto owner = std::make_unique<Owner>();
        const OwnerMailbox::Sender toOwner = owner->mailbox.sender();
        auto ran = std::make_shared<std::atomic<int>>(0);
        for (int i = 0; i < 10; ++i)
            QVERIFY(toOwner.post([ran] { ++*ran; })); // queued: this thread has not returned to its loop
        owner.reset();
        QCoreApplication::sendPostedEvents();
        QCoreApplication::processEvents();
        QCOMPARE(ran->load(), 0);
    }

    void closeStopsNewPostsOnly()
    {
        Owner owner;
        const OwnerMailbox::Sender toOwner = owner.mailbox.sender();
        int ran = 0;
        QVERIFY(toOwner.post([&ran] { ++ran; }));
        owner.mailbox.close();
        QVERIFY(!toOwner.isOpen());
        QVERIFY(!toOwner.post([&ran] { ran += 100; }));
        QCoreApplication::sendPostedEvents();
        QCOMPARE(ran, 1); // queued before the close, and the owner still lives
    }

    void ownerDestroyedWhileWorkersPost()
    {
        auto owner = std::make_unique<Owner>();
        const OwnerMailbox::Sender toOwner = owner->mailbox.sender();
        auto ran = std::make_shared<std::atomic<int>>(0);
        auto ranAfterDeath = std::make_shared<std::atomic<int>>(0);
        auto ownerGone = std::make_shared<std::atomic<bool>>(false);
        constexpr int kWorkers = 4;
        QSemaphore finished;
        for (int w = 0; w < kWorkers; ++w) {
            QThreadPool::globalInstance()->start([toOwner, ran, ranAfterDeath, ownerGone, &finished] {
                for (int i = 0; i < 100000; ++i) {
                    const bool posted = toOwner.post([ran, ranAfterDeath, ownerGone] {
                        ++*ran;
                        if (*ownerGone)
                            ++*ranAfterDeath;
                    });
                    if (!posted)
                        break;
                    if (i % 64 == 0)
                        QThread::yieldCurrentThread();
                }
                finished.release();
            });
        }
        QTRY_VERIFY_WITH_TIMEOUT(ran->load() > 0, kTimeout); // some delivered while it lives
        owner.reset();
        *ownerGone = true;
        QVERIFY(finished.tryAcquire(kWorkers, kTimeout));
        QCoreApplication::sendPostedEvents();
        QCoreApplication::processEvents();
        QCOMPARE(ranAfterDeath->load(), 0);
    }
};

QTEST_GUILESS_MAIN(TestOwnerMailbox)
#include "tst_ownermailbox.moc"
