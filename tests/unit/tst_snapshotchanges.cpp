// SPDX-License-Identifier: GPL-3.0-or-later
// The job list's chunks (ChunkedList) and the diff that skips the chunks two snapshots share
// (diffItems over ChunkedList): the list reads as the QList it stands for after random edits, and
// its diff names exactly what the item-by-item diff of the same lists as QLists names, after random
// sequences of edits where some versions are never delivered (a superseded scan: the next diff is
// against an older one). Then the same through runScan: a trajectories state dir of several chunks,
// changed at random, scanned after events from the last delivered result (some results dropped,
// so the adapter's memo is newer than the snapshot diffed against): the changes a scan reports
// equal the item-by-item diff of the delivered snapshot and the new one.
#include "snapshot/chunkedlist.h"
#include "snapshot/snapshotchanges.h"
#include "testfiles.h"
#include "watch/watchscan.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cstdio>
#include <random>

using namespace Stateward;
using namespace TestFiles;

namespace {

class Random
{
public:
    explicit Random(quint32 seed)
        : m_engine(seed)
    { }
    int below(int n) { return n <= 0 ? 0 : std::uniform_int_distribution<int>(0, n - 1)(m_engine); }
    bool chance(int percent) { return below(100) < percent; }

private:
    std::mt19937 m_engine;
};

Job jobNamed(const QString& id, int serial)
{
    Job j;
    j.id = id;
    j.jobId = id;
    j.title = QStringLiteral("title %1").arg(serial);
    j.status = QStringLiteral("active");
    return j;
}

// A few random edits, as the adapters make them: mostly in id order, sometimes not.
void edit(ChunkedList<Job>& list, QList<Job>& mirror, Random& r, int& serial)
{
    for (int n = 1 + r.below(4); n > 0; --n) {
        const int op = r.below(100);
        const int size = int(mirror.size());
        if (op < 30 && size > 0) { // a job changed
            const int at = r.below(size);
            Job j = mirror.at(at);
            j.title = QStringLiteral("title %1").arg(++serial);
            list[at] = j;
            mirror[at] = j;
        } else if (op < 40 && size > 0) { // judged again, the same
            const int at = r.below(size);
            list[at] = mirror.at(at);
        } else if (op < 65) { // one added in its place by id
            const Job j = jobNamed(QStringLiteral("job-%1").arg(r.below(100000), 6, 10, QLatin1Char('0')), ++serial);
            const auto less = [](const Job& a, const QString& key) { return a.id < key; };
            const bool sorted = std::is_sorted(
                mirror.cbegin(), mirror.cend(), [](const Job& a, const Job& b) { return a.id < b.id; });
            const qsizetype at = sorted ? list.lowerBound(j.id, less) : r.below(size + 1);
            if (sorted) // where the adapters search: in lists they keep by id
                QCOMPARE(at, std::lower_bound(mirror.cbegin(), mirror.cend(), j.id, less) - mirror.cbegin());
            if (at < mirror.size() && mirror.at(at).id == j.id && !r.chance(5))
                continue; // a duplicate id, now and then
            list.insert(at, j);
            mirror.insert(at, j);
        } else if (op < 90 && size > 0) { // one gone
            const int at = r.below(size);
            list.removeAt(at);
            mirror.removeAt(at);
        } else if (op < 93) { // out of order
            ++serial;
            const Job j = jobNamed(QStringLiteral("out-%1").arg(serial), serial);
            const int at = r.below(size + 1);
            list.insert(at, j);
            mirror.insert(at, j);
        } else {
            ++serial;
            const Job j = jobNamed(QStringLiteral("zz-%1").arg(serial, 6, 10, QLatin1Char('0')), serial);
            list.append(j);
            mirror.append(j);
        }
    }
}

// Whether applying `changes` to `before` gives `now`, by id.
bool appliesTo(const QList<Job>& before, const QList<Job>& now, const ListChanges& changes)
{
    QMap<QString, Job> rows;
    for (const Job& j : before)
        rows.insert(j.id, j);
    for (const QString& id : changes.removed)
        rows.remove(id);
    for (qsizetype at : changes.upserted)
        rows.insert(now.at(at).id, now.at(at));
    QMap<QString, Job> expected;
    for (const Job& j : now)
        expected.insert(j.id, j);
    return rows == expected;
}

bool sameChunks(const ChunkedList<Job>& a, const ChunkedList<Job>& b)
{
    if (a.chunkCount() != b.chunkCount())
        return false;
    for (qsizetype c = 0; c < a.chunkCount(); ++c) {
        if (&a.chunk(c) != &b.chunk(c))
            return false;
    }
    return true;
}

const auto never = [] { return false; };

void settle()
{
    QTest::qSleep(int(TreeFingerprint::kRacyWindowNs / 1000000) + 50);
}

} // namespace

class TestSnapshotChanges : public QObject
{
    Q_OBJECT

private slots:
    void chunkedListReadsAsItsList()
    {
        for (quint32 seed = 1; seed <= 8; ++seed) {
            Random r(seed);
            int serial = 0;
            ChunkedList<Job> list;
            QList<Job> mirror;
            for (int i = 0; i < 1500; ++i) { // several chunks, appended in order
                const Job j = jobNamed(QStringLiteral("job-%1").arg(i * 50, 6, 10, QLatin1Char('0')), ++serial);
                list.append(j);
                mirror.append(j);
            }
            for (int step = 0; step < 200; ++step) {
                const ChunkedList<Job> kept = list; // a copy shares; edits to the list leave it alone
                const QList<Job> keptMirror = mirror;
                edit(list, mirror, r, serial);
                QCOMPARE(kept.toList(), keptMirror);
            }
            QCOMPARE(list.size(), mirror.size());
            QCOMPARE(list.toList(), mirror);
            qsizetype i = 0;
            for (const Job& j : list)
                QCOMPARE(j, mirror.at(i++));
            QCOMPARE(i, mirror.size());
            for (qsizetype at = 0; at < mirror.size(); at += 37)
                QCOMPARE(list.at(at), mirror.at(at));
            QVERIFY(list == ChunkedList<Job>(mirror));
        }
    }

    void chunkDiffEqualsItemDiff()
    {
        qsizetype skipped = 0; // diffs that found chunks in common: the case this is for
        for (quint32 seed = 1; seed <= 16; ++seed) {
            Random r(seed);
            int serial = 0;
            ChunkedList<Job> now;
            QList<Job> mirror;
            for (int i = 0; i < 2000; ++i) {
                const Job j = jobNamed(QStringLiteral("job-%1").arg(i * 40, 6, 10, QLatin1Char('0')), ++serial);
                now.append(j);
                mirror.append(j);
            }
            ChunkedList<Job> delivered = now;
            for (int step = 0; step < 60; ++step) {
                edit(now, mirror, r, serial);
                const ListChanges chunked = diffItems(delivered, now);
                const ListChanges items = diffItems(delivered.toList(), now.toList());
                // Nothing changed (every chunk shared) answers nothing, as a QList shared whole does.
                QCOMPARE(chunked, sameChunks(delivered, now) ? ListChanges {} : items);
                if (!items.all)
                    QVERIFY(appliesTo(delivered.toList(), mirror, items));
                for (qsizetype c = 0; c < now.chunkCount() && c < delivered.chunkCount(); ++c)
                    skipped += &now.chunk(c) == &delivered.chunk(c) ? 1 : 0;
                if (!r.chance(30)) // else superseded: the next diff is against the older delivery
                    delivered = now;
            }
        }
        QVERIFY(skipped > 0);
    }

    // Through runScan and the trajectories adapter's memo, which is of the last scan run, delivered or not.
    void scanChangesEqualItemDiff()
    {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QString ws = tmp.path();
        const QString dir = ws + QStringLiteral("/.trajectories");
        const auto record
            = [&dir](const QString& id) { return dir + QStringLiteral("/completed/2026-05/%1.json").arg(id); };
        QVERIFY(QDir().mkpath(dir + QStringLiteral("/completed/2026-05")));
        QStringList ids;
        for (int i = 0; i < 700; ++i) { // three chunks and more
            const QString id = QStringLiteral("traj_%1").arg(i * 10, 5, 10, QLatin1Char('0'));
            writeFile(record(id), trajectoryRecord(id, QStringLiteral("Done %1").arg(i), QStringLiteral("completed")));
            ids.append(id);
        }
        settle();
        const auto caches = std::make_shared<AdapterCaches>();
        ScanRequest first;
        first.workspace = ws;
        first.spec.parseAll = true;
        first.caches = caches;
        ScanResult delivered = runScan(first, never);
        QCOMPARE(delivered.sources.size(), qsizetype(1));
        QCOMPARE(delivered.sources.first().snapshot.jobs.size(), qsizetype(700));

        Random r(7);
        int serial = 0;
        int rejudged = 0;
        int dropped = 0;
        QSet<QString> touched; // since the delivered scan: a dropped scan's events go into the next
        for (int step = 0; step < 24; ++step) {
            for (int n = 1 + r.below(3); n > 0; --n) {
                const int op = r.below(4);
                if (op == 0 || ids.isEmpty()) { // a record added
                    const QString id = QStringLiteral("traj_%1x").arg(r.below(7000), 5, 10, QLatin1Char('0'));
                    if (ids.contains(id))
                        continue;
                    writeFile(record(id), trajectoryRecord(id, QStringLiteral("New %1").arg(++serial)));
                    ids.append(id);
                    touched.insert(record(id));
                } else if (op == 1) { // rename-replaced with a new title
                    const QString id = ids.at(r.below(int(ids.size())));
                    const QString saving = record(id) + QStringLiteral(".saving");
                    writeFile(saving, trajectoryRecord(id, QStringLiteral("Renamed %1").arg(++serial)));
                    QCOMPARE(
                        std::rename(QFile::encodeName(saving).constData(), QFile::encodeName(record(id)).constData()),
                        0);
                    touched.insert(saving);
                    touched.insert(record(id));
                } else if (op == 2) { // removed
                    const QString id = ids.takeAt(r.below(int(ids.size())));
                    QVERIFY(QFile::remove(record(id)));
                    touched.insert(record(id));
                } else { // rewritten as it was: judged again, the same job
                    const QString id = ids.at(r.below(int(ids.size())));
                    writeFile(record(id), readAll(record(id)));
                    touched.insert(record(id));
                }
            }
            touched.insert(dir + QStringLiteral("/completed/2026-05"));
            settle();
            ScanRequest request;
            request.workspace = ws;
            request.spec.reason = QStringLiteral("files changed");
            request.spec.dirty.insert(dir);
            request.spec.changedPaths = touched;
            request.known = delivered.sources;
            request.caches = caches;
            const ScanResult result = runScan(request, never);
            QVERIFY(result.parsed.contains(dir));
            rejudged += result.rejudged.contains(dir) ? 1 : 0;
            const Snapshot& before = delivered.sources.first().snapshot;
            const Snapshot& after = result.sources.first().snapshot;
            const SnapshotChanges reported = result.changes.value(dir);
            QCOMPARE(reported.jobs, diffItems(before.jobs.toList(), after.jobs.toList()));
            QCOMPARE(reported.findings, diffItems(before.findings, after.findings));
            QVERIFY(appliesTo(before.jobs.toList(), after.jobs.toList(), reported.jobs));
            if (r.chance(30)) {
                ++dropped; // superseded: never delivered, its events wait for the next scan
                continue;
            }
            delivered = result;
            touched.clear();
        }
        QVERIFY(rejudged > 0);
        QVERIFY(dropped > 0);
    }
};

QTEST_GUILESS_MAIN(TestSnapshotChanges)
#include "tst_snapshotchanges.moc"
