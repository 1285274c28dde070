// SPDX-License-Identifier: GPL-3.0-or-later
// A delivery applied by its change set (KeyedModel::applyChanges, as WatchHub::snapshotsChanged
// hands it over) leaves every table as a fresh model fed the same snapshots whole: random sequences
// of changes, every model under QAbstractItemModelTester.
#include "models/brokersmodel.h"
#include "models/findingsmodel.h"
#include "models/jobsmodel.h"
#include "models/locksmodel.h"
#include "models/problemsmodel.h"
#include "models/tempfilesmodel.h"
#include "snapshot/snapshotchanges.h"

#include <QAbstractItemModelTester>
#include <QMap>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace Stateward;

namespace {

QDateTime t0()
{
    return QDateTime::fromMSecsSinceEpoch(1750000000000LL, Qt::UTC);
}

// Random snapshots and random changes to them, reproducible from the seed.
class Changer
{
public:
    explicit Changer(quint32 seed)
        : m_random(seed)
    { }

    int below(int n) { return int(m_random.bounded(quint32(n))); }
    bool chance(int percent) { return below(100) < percent; }

    Snapshot fresh(Family family, const QString& workspace, const QString& stateDir)
    {
        Snapshot s;
        s.family = family;
        s.workspace = workspace;
        s.stateDir = stateDir;
        s.scannedAt = t0();
        for (int i = below(30); i > 0; --i)
            addJob(s);
        for (int i = below(6); i > 0; --i)
            addFinding(s);
        return s;
    }

    // Every list of `s` may change: items changed, added (mostly new ids, now and then one already
    // there), removed; the order sorted by id (as the trajectories scan keeps it) or shuffled.
    void change(Snapshot& s)
    {
        s.scannedAt = s.scannedAt.addSecs(1);
        if (chance(70)) {
            for (int n = below(4); n > 0 && !s.jobs.isEmpty(); --n) {
                Job& j = s.jobs[below(int(s.jobs.size()))];
                if (chance(50))
                    j.title = QStringLiteral("Retitled %1").arg(++m_serial);
                else
                    j.status
                        = j.status == QLatin1String("running") ? QStringLiteral("done") : QStringLiteral("running");
            }
            for (int n = below(3); n > 0 && !s.jobs.isEmpty(); --n)
                s.jobs.removeAt(below(int(s.jobs.size())));
            for (int n = below(3); n > 0; --n)
                addJob(s);
            if (chance(3) && !s.jobs.isEmpty()) { // a duplicate id: the first copy shows
                Job copy = s.jobs.at(below(int(s.jobs.size())));
                copy.title += QStringLiteral(" (copy)");
                s.jobs.insert(below(int(s.jobs.size())), copy);
            }
            reorder(s.jobs);
        }
        if (chance(40)) {
            for (int n = below(3); n > 0 && !s.findings.isEmpty(); --n)
                s.findings.removeAt(below(int(s.findings.size())));
            for (int n = below(3); n > 0; --n)
                addFinding(s);
            if (!s.findings.isEmpty() && chance(50))
                s.findings[below(int(s.findings.size()))].summary = QStringLiteral("now %1").arg(++m_serial);
            reorder(s.findings);
        }
        if (chance(30))
            changeList(s.locks, [this, &s](LockHolder& l, bool fresh) {
                if (fresh)
                    l.id = QStringLiteral("%1/lock-%2").arg(s.stateDir).arg(++m_serial);
                l.verdict.path = l.id;
                l.verdict.content.pid = below(5000);
            });
        if (chance(30))
            changeList(s.tempFiles, [this, &s](TempFile& t, bool fresh) {
                if (fresh)
                    t.id = t.path = QStringLiteral("%1/file.tmp.%2").arg(s.stateDir).arg(++m_serial);
                t.size = below(100000);
            });
        if (chance(20))
            changeList(s.brokers, [this, &s](Broker& b, bool fresh) {
                if (fresh)
                    b.id = QStringLiteral("%1:broker-%2").arg(s.stateDir).arg(++m_serial);
                b.pid = below(5000);
                b.liveness = chance(50) ? Liveness::Alive : Liveness::Dead;
            });
    }

private:
    void addJob(Snapshot& s)
    {
        Job j;
        // Mostly new ids; now and then one that was removed before comes back.
        const int n = chance(10) && m_serial > 0 ? below(m_serial) : ++m_serial;
        j.jobId = QStringLiteral("job-%1").arg(n, 5, 10, QLatin1Char('0'));
        j.id = QStringLiteral("%1:%2:%3").arg(nameOf(s.family), s.stateDir, j.jobId);
        for (const Job& other : std::as_const(s.jobs)) {
            if (other.id == j.id)
                return;
        }
        j.title = QStringLiteral("Task %1").arg(n);
        j.status = chance(50) ? QStringLiteral("running") : QStringLiteral("completed");
        j.pid = 1000 + below(100);
        j.liveness = chance(50) ? Liveness::Alive : Liveness::Dead;
        j.startedAt = t0().addSecs(-below(3600));
        s.jobs.insert(below(int(s.jobs.size()) + 1), j);
    }

    void addFinding(Snapshot& s)
    {
        static const char* const codes[] = { "stale-lock", "orphan-tmp", "record-invalid", "index-dangling" };
        const QString path = QStringLiteral("%1/f%2.json").arg(s.stateDir).arg(below(12));
        s.addFinding(QLatin1String(codes[below(4)]), chance(50) ? Severity::Warning : Severity::Error, path,
            QStringLiteral("summary %1").arg(++m_serial), QStringLiteral("evidence"));
    }

    template <typename Item> void reorder(QList<Item>& list)
    {
        if (chance(60))
            std::sort(list.begin(), list.end(), [](const Item& a, const Item& b) { return a.id < b.id; });
        else if (chance(50))
            std::shuffle(list.begin(), list.end(), m_random);
    }
    template <typename Item> void reorder(ChunkedList<Item>& list)
    {
        QList<Item> items = list.toList();
        reorder(items);
        if (items != list.toList()) // else its chunks stay shared with the snapshot before
            list = items;
    }

    template <typename Item, typename Set> void changeList(QList<Item>& list, Set set)
    {
        if (!list.isEmpty() && chance(30))
            list.removeAt(below(int(list.size())));
        if (!list.isEmpty() && chance(50))
            set(list[below(int(list.size()))], false);
        if (chance(50)) {
            Item item;
            set(item, true);
            list.append(item);
        }
        reorder(list);
    }

    QRandomGenerator m_random;
    int m_serial = 0;
};

// Every row of a model by id, with its origin.
template <typename Item> QMap<QString, Row<Item>> rowsOf(const KeyedRowModel<Item>& model)
{
    QMap<QString, Row<Item>> rows;
    for (int r = 0; r < model.rowCount(); ++r)
        rows.insert(model.rowAt(r).id(), model.rowAt(r));
    return rows;
}

template <typename Item> bool sameRows(const KeyedRowModel<Item>& a, const KeyedRowModel<Item>& b)
{
    const QMap<QString, Row<Item>> x = rowsOf(a);
    const QMap<QString, Row<Item>> y = rowsOf(b);
    if (a.rowCount() != b.rowCount() || x.keys() != y.keys())
        return false;
    for (auto it = x.cbegin(); it != x.cend(); ++it) {
        const Row<Item>& other = y.value(it.key());
        if (!(it->origin == other.origin) || !(it->item == other.item))
            return false;
    }
    return true;
}

// One of each table.
struct Tables
{
    JobsModel jobs;
    FindingsModel findings;
    LocksModel locks;
    TempFilesModel tempFiles;
    BrokersModel brokers;
    ProblemsModel problems;
    QList<KeyedModel*> all() { return { &jobs, &findings, &locks, &tempFiles, &brokers, &problems }; }
};

} // namespace

class TestModelChanges : public QObject
{
    Q_OBJECT

private slots:
    void randomChangesEqualWholeApply_data()
    {
        QTest::addColumn<quint32>("seed");
        for (quint32 seed : { 1u, 2u, 3u, 17u, 4242u })
            QTest::addRow("seed %u", seed) << seed;
    }

    void randomChangesEqualWholeApply()
    {
        QFETCH(quint32, seed);
        Changer changer(seed);
        // Two workspaces; the second shares a codex state dir with the first (as two workspaces
        // share ~/.codex), so the same ids show in two snapshots.
        const QString w1 = QStringLiteral("/ws/one");
        const QString w2 = QStringLiteral("/ws/two");
        const QString shared = QStringLiteral("/home/dev/.codex/jobs");
        QMap<QString, QList<Snapshot>> delivered;
        delivered[w1] = { changer.fresh(Family::Trajectories, w1, w1 + QStringLiteral("/.trajectories")),
            changer.fresh(Family::Codex, w1, shared) };
        delivered[w2] = { changer.fresh(Family::Trajectories, w2, w2 + QStringLiteral("/.trajectories")),
            changer.fresh(Family::Codex, w2, shared) };
        const auto everything = [&delivered] {
            QList<Snapshot> all;
            for (const QList<Snapshot>& list : std::as_const(delivered))
                all += list;
            return all;
        };

        Tables live;
        std::vector<std::unique_ptr<QAbstractItemModelTester>> testers;
        for (KeyedModel* m : live.all())
            testers.push_back(
                std::make_unique<QAbstractItemModelTester>(m, QAbstractItemModelTester::FailureReportingMode::QtTest));
        std::vector<std::unique_ptr<QSignalSpy>> resets;
        for (KeyedModel* m : live.all())
            resets.push_back(std::make_unique<QSignalSpy>(m, &QAbstractItemModel::modelReset));
        for (KeyedModel* m : live.all())
            m->applyChanges(everything(), w1, WorkspaceChanges::everything());

        int partial = 0;
        for (int step = 0; step < 400; ++step) {
            const QString ws = changer.chance(70) ? w1 : w2;
            const QList<Snapshot> before = delivered.value(ws);
            QList<Snapshot> now = before;
            for (Snapshot& s : now) {
                if (changer.chance(70))
                    changer.change(s);
            }
            if (changer.chance(3)) { // a state dir appears or goes
                if (now.size() == 1)
                    now.append(changer.fresh(Family::Codex, ws, shared));
                else
                    now.removeLast();
            }
            // As the hub tells them (WatchHub::onScanResult, runScan).
            WorkspaceChanges changes;
            QStringList dirsBefore;
            QStringList dirsNow;
            for (const Snapshot& s : before)
                dirsBefore.append(s.stateDir);
            for (const Snapshot& s : now)
                dirsNow.append(s.stateDir);
            changes.whole = dirsBefore != dirsNow;
            for (qsizetype i = 0; !changes.whole && i < now.size(); ++i) {
                const SnapshotChanges c = diffSnapshots(before.at(i), now.at(i));
                if (!c.isEmpty())
                    changes.snapshots.insert(now.at(i).stateDir, c);
            }
            partial += !changes.whole;
            delivered[ws] = now;

            const QList<Snapshot> all = everything();
            for (KeyedModel* m : live.all())
                m->applyChanges(all, ws, changes);
            Tables whole;
            for (KeyedModel* m : whole.all())
                m->apply(all);
            QVERIFY2(sameRows(live.jobs, whole.jobs), qPrintable(QStringLiteral("jobs, step %1").arg(step)));
            QVERIFY2(
                sameRows(live.findings, whole.findings), qPrintable(QStringLiteral("findings, step %1").arg(step)));
            QVERIFY2(sameRows(live.locks, whole.locks), qPrintable(QStringLiteral("locks, step %1").arg(step)));
            QVERIFY2(
                sameRows(live.tempFiles, whole.tempFiles), qPrintable(QStringLiteral("tmp files, step %1").arg(step)));
            QVERIFY2(sameRows(live.brokers, whole.brokers), qPrintable(QStringLiteral("brokers, step %1").arg(step)));
            QVERIFY2(
                sameRows(live.problems, whole.problems), qPrintable(QStringLiteral("problems, step %1").arg(step)));
            for (qsizetype r = 0; r < live.all().size(); ++r)
                QCOMPARE(live.all().at(r)->rowOf(QStringLiteral("no such id")), -1);
        }
        QVERIFY(partial > 300); // most deliveries went by their changes, not whole
        for (const auto& spy : resets)
            QCOMPARE(spy->count(), 0);
    }

    // The changes of one job signal that row alone, and dataChanged only.
    void oneJobChangedSignalsItsRow()
    {
        Changer changer(7);
        const QString ws = QStringLiteral("/ws");
        Snapshot s = changer.fresh(Family::Trajectories, ws, ws + QStringLiteral("/.trajectories"));
        while (s.jobs.size() < 10)
            s = changer.fresh(Family::Trajectories, ws, ws + QStringLiteral("/.trajectories"));
        QList<Job> sorted = s.jobs.toList();
        std::sort(sorted.begin(), sorted.end(), [](const Job& a, const Job& b) { return a.id < b.id; });
        s.jobs = sorted;
        JobsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.apply({ s });
        Snapshot next = s;
        next.jobs[4].title = QStringLiteral("Renamed");
        const WorkspaceChanges changes { false, { { s.stateDir, diffSnapshots(s, next) } } };
        QCOMPARE(changes.snapshots.value(s.stateDir).jobs.upserted, QList<qsizetype> { 4 });
        // A change the change set does not name stays unseen: only the rows named are looked at.
        next.jobs[6].title = QStringLiteral("Not named");
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        model.applyChanges({ next }, ws, changes);
        const int row = model.rowOf(next.jobs.at(4).id);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.at(0).at(0).toModelIndex().row(), row);
        QCOMPARE(changed.at(0).at(1).toModelIndex().row(), row);
        QCOMPARE(inserted.count(), 0);
        QCOMPARE(removed.count(), 0);
        QCOMPARE(model.data(model.index(row, JobsModel::TitleColumn)).toString(), QStringLiteral("Renamed"));
        QCOMPARE(model.data(model.indexOf(s.jobs.at(6).id, JobsModel::TitleColumn)).toString(), s.jobs.at(6).title);
    }
};

QTEST_MAIN(TestModelChanges)
#include "tst_modelchanges.moc"
