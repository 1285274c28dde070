// SPDX-License-Identifier: GPL-3.0-or-later
// ScanScheduler alone, with no scan behind it (and its clock moved by hand where time matters):
// the first change after a quiet period is scanned at once, a burst after it is one trailing
// scan, debounced changes become one scan, maxDelay caps the quiet period, requests made while a scan runs merge into
// one pending scan, a request that parses supersedes the running scan (whose work moves into the next), one that only
// re-asks the adapters does not, paths seen together are one leading scan, a dropped scan's named paths reach the next
// one, and cancel stops everything.
#include "watch/scanscheduler.h"

#include <QTest>

#include <memory>

using namespace Stateward;

namespace {

constexpr int kTimeout = 20000;
constexpr int kHour = 3600 * 1000;
const QString kWorkspace = QStringLiteral("/s");

// Records the jobs the scheduler starts instead of running them.
struct Jobs
{
    QList<ScanJob> started;
    ScanScheduler::Start start()
    {
        return [this](const ScanJob& job) { started.append(job); };
    }
};

ScanSpec spec(const QString& reason, const QSet<QString>& dirty = {}, const QSet<QString>& force = {})
{
    ScanSpec s;
    s.reason = reason;
    s.dirty = dirty;
    s.force = force;
    return s;
}

ScanResult resultOf(const ScanJob& job, bool stoppedEarly = false)
{
    ScanResult r;
    r.generation = job.generation;
    r.superseded = stoppedEarly;
    return r;
}

QStringList sorted(const QSet<QString>& set)
{
    QStringList list(set.cbegin(), set.cend());
    list.sort();
    return list;
}

QStringList reasons(const ScanSpec& s)
{
    QStringList list = s.reason.split(QStringLiteral(", "));
    list.sort();
    return list;
}

} // namespace

class TestScanScheduler : public QObject
{
    Q_OBJECT

private slots:
    void theFirstChangeAfterAQuietPeriodIsScannedAtOnce()
    {
        Jobs jobs;
        qint64 now = 1000;
        ScanScheduler scheduler(kWorkspace, jobs.start(), 100, kHour);
        scheduler.setClock([&now] { return now; });
        scheduler.noteChange(QStringLiteral("/s/a"), QStringLiteral("/s/a/x"));
        QCOMPARE(jobs.started.size(), 1); // no quiet period to wait for
        QCOMPARE(scheduler.pendingChanges(), 0);
        const ScanJob first = jobs.started.first();
        QCOMPARE(first.spec.reason, QStringLiteral("files changed"));
        QCOMPARE(sorted(first.spec.dirty), QStringList { QStringLiteral("/s/a") });
        QCOMPARE(sorted(first.spec.changedPaths), QStringList { QStringLiteral("/s/a/x") });
        QVERIFY(scheduler.finish(resultOf(first)));
        scheduler.startPending();

        // Another state dir has a quiet period of its own, and so has an anchor.
        now += 10;
        scheduler.noteChange(QStringLiteral("/s/b"), QStringLiteral("/s/b/y"));
        QCOMPARE(jobs.started.size(), 2);
        QCOMPARE(sorted(jobs.started.at(1).spec.dirty), QStringList { QStringLiteral("/s/b") });
        QVERIFY(scheduler.finish(resultOf(jobs.started.at(1))));
        scheduler.noteChange({}, QStringLiteral("/anchor"));
        QCOMPARE(jobs.started.size(), 3);
        QCOMPARE(jobs.started.at(2).spec.reason, QStringLiteral("directories changed"));
        QVERIFY(!jobs.started.at(2).spec.needsParse());
        QVERIFY(scheduler.finish(resultOf(jobs.started.at(2))));

        // Within the debounce of its last change a directory is not quiet: the change waits.
        now += 89; // 99 ms after /s/a's change
        scheduler.noteChange(QStringLiteral("/s/a"), QStringLiteral("/s/a/z"));
        QCOMPARE(jobs.started.size(), 3);
        QCOMPARE(scheduler.pendingChanges(), 1);
        now += 100; // quiet since: the trailing scan takes it
        QTRY_COMPARE_WITH_TIMEOUT(jobs.started.size(), 4, kTimeout);
        QCOMPARE(sorted(jobs.started.at(3).spec.changedPaths), QStringList { QStringLiteral("/s/a/z") });
        QVERIFY(scheduler.finish(resultOf(jobs.started.at(3))));

        // Quiet for the debounce after that: a leading edge again.
        now += 100;
        scheduler.noteChange(QStringLiteral("/s/a"), QStringLiteral("/s/a/x"));
        QCOMPARE(jobs.started.size(), 5);
        QCOMPARE(scheduler.pendingChanges(), 0);
    }

    void aBurstIsTheLeadingScanAndOneTrailingScan()
    {
        Jobs jobs;
        qint64 now = 1000;
        ScanScheduler scheduler(kWorkspace, jobs.start(), 100, kHour);
        scheduler.setClock([&now] { return now; });
        // 1000 writes to ten records, 1 ms apart: the directory is never quiet during the burst.
        for (int i = 0; i < 1000; ++i, ++now)
            scheduler.noteChange(QStringLiteral("/s/a"), QStringLiteral("/s/a/r%1").arg(i % 10));
        QCOMPARE(jobs.started.size(), 1); // the first write's, at once
        QCOMPARE(sorted(jobs.started.first().spec.changedPaths), QStringList { QStringLiteral("/s/a/r0") });
        QCOMPARE(scheduler.pendingChanges(), 1);
        // The leading scan ends while the burst's tail waits for quiet, however long one waits.
        QVERIFY(scheduler.finish(resultOf(jobs.started.first())));
        scheduler.startPending();
        now += 98; // the last write was 99 ms ago
        QTest::qWait(50);
        QCOMPARE(jobs.started.size(), 1);
        now += 1;
        QTRY_COMPARE_WITH_TIMEOUT(jobs.started.size(), 2, kTimeout);
        QStringList ten;
        for (int i = 0; i < 10; ++i)
            ten.append(QStringLiteral("/s/a/r%1").arg(i));
        QCOMPARE(sorted(jobs.started.at(1).spec.changedPaths), ten);
        QVERIFY(scheduler.finish(resultOf(jobs.started.at(1))));
        scheduler.startPending();
        QCOMPARE(jobs.started.size(), 2); // two scans for the burst
        QCOMPARE(scheduler.pendingChanges(), 0);
    }

    void aLeadingScanStillRunningDeliversBeforeTheTrailingOne()
    {
        Jobs jobs;
        qint64 now = 1000;
        ScanScheduler scheduler(kWorkspace, jobs.start(), 100, kHour);
        scheduler.setClock([&now] { return now; });
        scheduler.noteChange(QStringLiteral("/s/a"), QStringLiteral("/s/a/x"));
        now += 1;
        scheduler.noteChange(QStringLiteral("/s/a"), QStringLiteral("/s/a/y"));
        const ScanJob leading = jobs.started.first();
        QCOMPARE(sorted(leading.spec.changedPaths), QStringList { QStringLiteral("/s/a/x") });
        now += 100;
        // The trailing scan is asked for once quiet; the leading one (after events, incremental)
        // is not stopped for it: it delivers, then the trailing one starts.
        QTRY_COMPARE_WITH_TIMEOUT(scheduler.requestedGeneration(), quint64(2), kTimeout);
        QVERIFY(!leading.superseded());
        QCOMPARE(jobs.started.size(), 1);
        QVERIFY(scheduler.finish(resultOf(leading)));
        QCOMPARE(scheduler.deliveredGeneration(), leading.generation);
        scheduler.startPending();
        QCOMPARE(jobs.started.size(), 2);
        QCOMPARE(sorted(jobs.started.at(1).spec.changedPaths), QStringList { QStringLiteral("/s/a/y") });
        QVERIFY(scheduler.finish(resultOf(jobs.started.at(1))));
        QCOMPARE(scheduler.deliveredGeneration(), quint64(2));
    }

    void debouncedChangesBecomeOneScan()
    {
        Jobs jobs;
        ScanScheduler scheduler(kWorkspace, jobs.start(), kHour, kHour);
        scheduler.setLeadingEdge(false); // every change waits for the quiet period
        scheduler.noteChange(QStringLiteral("/s/a"), QStringLiteral("/s/a/x"));
        scheduler.noteChange(QStringLiteral("/s/a"), QStringLiteral("/s/a/y"));
        scheduler.noteChange(QStringLiteral("/s/b"), QStringLiteral("/s/b/z"));
        scheduler.noteChange({}, QStringLiteral("/anchor")); // an anchor: ask the adapters again
        QCOMPARE(scheduler.pendingChanges(), 3);
        QTest::qWait(50); // far from quiet for an hour
        QCOMPARE(jobs.started.size(), 0);
        scheduler.setDebounce(0); // every change is due now: one scan takes them all
        QTRY_COMPARE_WITH_TIMEOUT(jobs.started.size(), 1, kTimeout);
        QCOMPARE(scheduler.pendingChanges(), 0);
        const ScanJob job = jobs.started.first();
        QCOMPARE(job.generation, quint64(1));
        QCOMPARE(scheduler.requestedGeneration(), quint64(1));
        QCOMPARE(sorted(job.spec.dirty), (QStringList { QStringLiteral("/s/a"), QStringLiteral("/s/b") }));
        QCOMPARE(sorted(job.spec.changedPaths),
            (QStringList { QStringLiteral("/s/a/x"), QStringLiteral("/s/a/y"), QStringLiteral("/s/b/z") }));
        QCOMPARE(reasons(job.spec),
            (QStringList { QStringLiteral("directories changed"), QStringLiteral("files changed") }));
        QVERIFY(!job.spec.parseAll);
        QVERIFY(scheduler.isRunning());
        QVERIFY(scheduler.finish(resultOf(job)));
        QCOMPARE(scheduler.deliveredGeneration(), quint64(1));
    }

    void maxDelayCapsTheQuietPeriod()
    {
        // An hour of debounce, no delay allowed: the change is scanned at once all the same.
        Jobs jobs;
        ScanScheduler scheduler(kWorkspace, jobs.start(), kHour, 0);
        scheduler.noteChange(QStringLiteral("/s/a"), QStringLiteral("/s/a/x"));
        QTRY_COMPARE_WITH_TIMEOUT(jobs.started.size(), 1, kTimeout);
        QCOMPARE(sorted(jobs.started.first().spec.dirty), QStringList { QStringLiteral("/s/a") });
    }

    void requestsWhileAScanRunsMergeIntoOnePendingScan()
    {
        Jobs jobs;
        ScanScheduler scheduler(kWorkspace, jobs.start(), 0, 0); // maxDelay 0: nothing may supersede
        scheduler.request(spec(QStringLiteral("one"), { QStringLiteral("/s/a") }));
        QCOMPARE(jobs.started.size(), 1);
        QCOMPARE(jobs.started.first().generation, quint64(1));
        scheduler.request(spec(QStringLiteral("two"), { QStringLiteral("/s/b") }));
        scheduler.request(spec(QStringLiteral("three"), {}, { QStringLiteral("/s/c") }));
        QCOMPARE(jobs.started.size(), 1); // one scan at a time
        QCOMPARE(scheduler.requestedGeneration(), quint64(3));
        QVERIFY(!jobs.started.first().superseded());

        QVERIFY(scheduler.finish(resultOf(jobs.started.first())));
        QCOMPARE(scheduler.deliveredGeneration(), quint64(1));
        QCOMPARE(jobs.started.size(), 1); // the caller takes the result first
        scheduler.startPending();
        QCOMPARE(jobs.started.size(), 2);
        const ScanJob next = jobs.started.at(1);
        QCOMPARE(next.generation, quint64(3));
        QCOMPARE(next.spec.reason, QStringLiteral("two, three"));
        QCOMPARE(sorted(next.spec.dirty), QStringList { QStringLiteral("/s/b") });
        QCOMPARE(sorted(next.spec.force), QStringList { QStringLiteral("/s/c") });

        QVERIFY(scheduler.finish(resultOf(next)));
        scheduler.startPending();
        QCOMPARE(jobs.started.size(), 2); // nothing pending
        QVERIFY(!scheduler.isRunning());
        QCOMPARE(scheduler.deliveredGeneration(), quint64(3));
    }

    void aParseRequestSupersedesTheRunningScan()
    {
        Jobs jobs;
        ScanScheduler scheduler(kWorkspace, jobs.start(), 0, kHour);
        ScanSpec whole = spec(QStringLiteral("first"), { QStringLiteral("/s/a") });
        whole.parseAll = true; // a whole scan (F5): long, and worth stopping for newer changes
        scheduler.request(whole);
        const ScanJob first = jobs.started.first();
        QVERIFY(!first.superseded());
        scheduler.request(spec(QStringLiteral("second"), { QStringLiteral("/s/b") }));
        QVERIFY(first.superseded()); // the running scan stops at its next state dir
        QCOMPARE(jobs.started.size(), 1);

        // Its result is dropped and what it was asked to look at goes into the next scan.
        QVERIFY(!scheduler.finish(resultOf(first)));
        QCOMPARE(scheduler.deliveredGeneration(), quint64(0));
        QCOMPARE(jobs.started.size(), 2);
        const ScanJob second = jobs.started.at(1);
        QCOMPARE(second.generation, quint64(2));
        QCOMPARE(sorted(second.spec.dirty), (QStringList { QStringLiteral("/s/a"), QStringLiteral("/s/b") }));
        QCOMPARE(second.spec.reason, QStringLiteral("second, first"));
        QVERIFY(!second.superseded());

        // A scan that stopped early on its own account is dropped the same way.
        QVERIFY(!scheduler.finish(resultOf(second, true)));
        QCOMPARE(jobs.started.size(), 3);
        QCOMPARE(jobs.started.at(2).generation, quint64(2));
        QVERIFY(scheduler.finish(resultOf(jobs.started.at(2))));
        QCOMPARE(scheduler.deliveredGeneration(), quint64(2));
    }

    void changesAreNamedOnlyIfEachWas()
    {
        Jobs jobs;
        qint64 now = 1000;
        ScanScheduler scheduler(kWorkspace, jobs.start(), 100, kHour);
        scheduler.setClock([&now] { return now; });
        scheduler.noteChange(QStringLiteral("/s/a"), QStringLiteral("/s/a/x"), true);
        QVERIFY(jobs.started.first().spec.everyChangeNamed); // the leading edge
        QVERIFY(scheduler.finish(resultOf(jobs.started.first())));
        scheduler.startPending();

        // Trailing: one of the two merged changes came from a poll.
        now += 10;
        scheduler.noteChange(QStringLiteral("/s/a"), QStringLiteral("/s/a/y"), true);
        scheduler.noteChange(QStringLiteral("/s/a"), QStringLiteral("/s/a"), false);
        now += 100;
        QTRY_COMPARE_WITH_TIMEOUT(jobs.started.size(), 2, kTimeout);
        QVERIFY(!jobs.started.at(1).spec.everyChangeNamed);
        QCOMPARE(sorted(jobs.started.at(1).spec.changedPaths),
            (QStringList { QStringLiteral("/s/a"), QStringLiteral("/s/a/y") }));
        QVERIFY(scheduler.finish(resultOf(jobs.started.at(1))));
        scheduler.startPending();

        // Named changes merged into one trailing scan, whose spec starts from a default one (not
        // named, but neutral in the merge).
        now += 1000;
        scheduler.noteChange(QStringLiteral("/s/a"), QStringLiteral("/s/a/z"), true);
        QVERIFY(jobs.started.at(2).spec.everyChangeNamed);
        QVERIFY(scheduler.finish(resultOf(jobs.started.at(2))));
        scheduler.startPending();
        now += 10;
        scheduler.noteChange(QStringLiteral("/s/a"), QStringLiteral("/s/a/w"), true);
        scheduler.noteChange(QStringLiteral("/s/a"), QStringLiteral("/s/a/v"), true);
        now += 100;
        QTRY_COMPARE_WITH_TIMEOUT(jobs.started.size(), 4, kTimeout);
        QVERIFY(jobs.started.at(3).spec.everyChangeNamed);
        QCOMPARE(sorted(jobs.started.at(3).spec.changedPaths),
            (QStringList { QStringLiteral("/s/a/v"), QStringLiteral("/s/a/w") }));
    }

    void pathsSeenTogetherAreOneLeadingScan()
    {
        // A rename-replace read at once: the tmp file's events, then the rename's. The leading
        // scan must see the record, not only the tmp file (a named scan looks at nothing else).
        Jobs jobs;
        ScanScheduler scheduler(kWorkspace, jobs.start(), 100, kHour);
        scheduler.noteChanges(
            QStringLiteral("/s/a"), { QStringLiteral("/s/a/r.json.tmp"), QStringLiteral("/s/a/r.json") }, true);
        QCOMPARE(jobs.started.size(), 1);
        QCOMPARE(sorted(jobs.started.first().spec.changedPaths),
            (QStringList { QStringLiteral("/s/a/r.json"), QStringLiteral("/s/a/r.json.tmp") }));
        QVERIFY(jobs.started.first().spec.everyChangeNamed);
        QCOMPARE(scheduler.pendingChanges(), 0);
        scheduler.noteChanges(QStringLiteral("/s/b"), {}, true); // nothing to note
        QCOMPARE(jobs.started.size(), 1);
        QCOMPARE(scheduler.pendingChanges(), 0);
    }

    void aDroppedScansNamedPathsReachTheNextScan()
    {
        // With named changes a scan looks only at the paths named: one lost is a change missed.
        Jobs jobs;
        ScanScheduler scheduler(kWorkspace, jobs.start(), 0, kHour);
        ScanSpec whole = spec(QStringLiteral("requested"));
        whole.parseAll = true;
        scheduler.request(whole);
        scheduler.noteChange(QStringLiteral("/s/a"), QStringLiteral("/s/a/x"), true); // supersedes it
        QVERIFY(jobs.started.first().superseded());
        QVERIFY(!scheduler.finish(resultOf(jobs.started.first())));
        QCOMPARE(jobs.started.size(), 2);
        const ScanJob next = jobs.started.at(1);
        QVERIFY(next.spec.parseAll);
        QCOMPARE(sorted(next.spec.changedPaths), QStringList { QStringLiteral("/s/a/x") });

        // An event scan dropped (stopped early) hands its named paths, still named, to the next.
        QVERIFY(scheduler.finish(resultOf(next)));
        scheduler.noteChange(QStringLiteral("/s/b"), QStringLiteral("/s/b/y"), true);
        const ScanJob events = jobs.started.at(2);
        QVERIFY(events.spec.everyChangeNamed);
        QVERIFY(!scheduler.finish(resultOf(events, true)));
        QCOMPARE(jobs.started.size(), 4);
        const ScanJob again = jobs.started.at(3);
        QCOMPARE(again.generation, events.generation);
        QCOMPARE(sorted(again.spec.changedPaths), QStringList { QStringLiteral("/s/b/y") });
        QCOMPARE(sorted(again.spec.dirty), QStringList { QStringLiteral("/s/b") });
        QVERIFY(again.spec.everyChangeNamed);
        QVERIFY(scheduler.finish(resultOf(again)));
        QCOMPARE(scheduler.deliveredGeneration(), events.generation);
    }

    void aRequestThatParsesNothingWaitsItsTurn()
    {
        Jobs jobs;
        ScanScheduler scheduler(kWorkspace, jobs.start(), 0, kHour);
        scheduler.request(spec(QStringLiteral("files changed"), { QStringLiteral("/s/a") }));
        scheduler.request(spec(QStringLiteral("directories changed"))); // only asks which state dirs exist
        QVERIFY(!jobs.started.first().superseded());
        QVERIFY(scheduler.isRunning());
        QVERIFY(scheduler.finish(resultOf(jobs.started.first())));
        scheduler.startPending();
        QCOMPARE(jobs.started.size(), 2);
        QCOMPARE(jobs.started.at(1).spec.reason, QStringLiteral("directories changed"));
        QVERIFY(!jobs.started.at(1).spec.needsParse());
    }

    void cancelStopsEverything()
    {
        Jobs jobs;
        auto scheduler = std::make_unique<ScanScheduler>(kWorkspace, jobs.start(), 0, kHour);
        scheduler->request(spec(QStringLiteral("first"), { QStringLiteral("/s/a") }));
        const ScanJob first = jobs.started.first();
        scheduler->noteChange(QStringLiteral("/s/a"), QStringLiteral("/s/a/x"));
        scheduler->cancel();
        QVERIFY(first.superseded());
        QCOMPARE(scheduler->pendingChanges(), 0);
        scheduler->request(spec(QStringLiteral("second"), { QStringLiteral("/s/b") }));
        scheduler->noteChange(QStringLiteral("/s/b"), QStringLiteral("/s/b/y"));
        QVERIFY(!scheduler->finish(resultOf(first)));
        QTest::qWait(50); // a debounce of 0 would have fired by now
        QCOMPARE(jobs.started.size(), 1);

        // Destroying a scheduler stops its running scan too.
        Jobs more;
        scheduler = std::make_unique<ScanScheduler>(kWorkspace, more.start(), 0, kHour);
        scheduler->request(spec(QStringLiteral("running"), { QStringLiteral("/s/a") }));
        const ScanJob running = more.started.first();
        QVERIFY(!running.superseded());
        scheduler.reset();
        QVERIFY(running.superseded());
    }
};

QTEST_GUILESS_MAIN(TestScanScheduler)
#include "tst_scanscheduler.moc"
