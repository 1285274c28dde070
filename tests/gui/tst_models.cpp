// SPDX-License-Identifier: GPL-3.0-or-later
// The snapshot table models, their filter proxy and the timeline, offscreen. Every model runs under
// QAbstractItemModelTester; each diff is checked signal by signal, and no model may ever reset.
#include "alerts.h"
#include "autostart.h"
#include "models/brokersmodel.h"
#include "models/filterproxy.h"
#include "models/findingsmodel.h"
#include "models/jobsmodel.h"
#include "models/locksmodel.h"
#include "models/tempfilesmodel.h"
#include "theme.h"
#include "timelinewidget.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPainter>
#include <QPersistentModelIndex>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStyleOptionViewItem>
#include <QTest>

#include <algorithm>
#include <functional>
#include <memory>
#include <utility>

using namespace Stateward;

namespace {

QDateTime t0()
{
    return QDateTime::fromMSecsSinceEpoch(1750000000000LL, Qt::UTC);
}

Job makeJob(const QString& stateDir, int i)
{
    Job j;
    j.jobId = QStringLiteral("job-%1").arg(i);
    j.id = QStringLiteral("codex:%1:%2").arg(stateDir, j.jobId);
    j.title = QStringLiteral("Task number %1").arg(i);
    j.kind = QStringLiteral("task");
    j.status = i % 3 == 0 ? QStringLiteral("completed") : QStringLiteral("running");
    j.pid = 1000 + i;
    j.liveness = i % 4 == 1 ? Liveness::Dead : Liveness::Alive;
    j.startedAt = t0().addSecs(-60 - i);
    j.updatedAt = t0().addSecs(-i);
    j.recordFile = stateDir + QStringLiteral("/jobs/%1.json").arg(j.jobId);
    j.inIndex = true;
    return j;
}

Broker makeBroker(const QString& stateDir, int i)
{
    Broker b;
    b.stateFile = stateDir + QStringLiteral("/broker-%1.json").arg(i);
    b.id = QStringLiteral("codex:") + b.stateFile;
    b.pid = 2000 + i;
    b.liveness = i % 3 == 2 ? Liveness::Dead : Liveness::Alive;
    b.identityVerified = i % 2 == 0 && b.liveness == Liveness::Alive;
    b.identityEvidence = QStringLiteral("argv node app-server-broker.mjs serve --endpoint unix:/tmp/cxc-%1").arg(i);
    b.endpoint = QStringLiteral("unix:/tmp/cxc-%1/broker.sock").arg(i);
    b.reachable = i % 3 == 0 ? std::nullopt : std::optional<bool>(i % 3 == 2);
    if (i % 5 != 4)
        b.referencedBy = { b.stateFile };
    return b;
}

LockHolder makeLock(const QString& stateDir, int i)
{
    LockHolder h;
    LockVerdict& v = h.verdict;
    v.path = stateDir + QStringLiteral("/lock-%1.lock").arg(i);
    h.id = QStringLiteral("lock:") + v.path;
    v.dialect = i % 2 ? LockDialect::PidOnly : LockDialect::PidNonce;
    v.state = i % 2 ? LockState::Stale : LockState::Held;
    v.removable = v.state == LockState::Stale;
    v.content.pid = 3000 + i;
    v.content.nonce = QStringLiteral("%1-00000000000000%2").arg(v.content.pid).arg(i % 10);
    v.liveness = i % 2 ? Liveness::Dead : Liveness::Alive;
    v.mtime = t0().addSecs(-5 * i);
    v.ageMs = 5000LL * i;
    v.reason = v.state == LockState::Stale ? QStringLiteral("holder PID %1 is dead").arg(v.content.pid)
                                           : QStringLiteral("held by live PID %1 (node)").arg(v.content.pid);
    return h;
}

TempFile makeTemp(const QString& stateDir, int i)
{
    TempFile t;
    t.path = stateDir + QStringLiteral("/index.json.%1.5f2a.tmp").arg(4000 + i);
    t.id = QStringLiteral("tmp:") + t.path;
    t.name.recognised = true;
    t.name.family = QStringLiteral("trajectories");
    t.name.pattern = QStringLiteral("index.json.<pid>.<uuid>.tmp");
    t.name.target = QStringLiteral("index.json");
    t.name.ownerPid = 4000 + i;
    t.size = 100LL * i;
    t.mtime = t0().addSecs(-7 * i);
    t.ownerLiveness = i % 2 ? Liveness::Dead : Liveness::Alive;
    t.orphan = i % 2;
    t.reason
        = t.orphan ? QStringLiteral("its writer is gone") : QStringLiteral("its writer PID %1 is alive").arg(4000 + i);
    return t;
}

Finding makeFinding(const QString& stateDir, int i)
{
    Finding f;
    f.code = QStringLiteral("stale-lock");
    f.severity = Severity(i % 4);
    f.subject = stateDir + QStringLiteral("/file-%1").arg(i);
    f.id = f.code + QLatin1Char(':') + f.subject;
    f.summary = QStringLiteral("stale pid-nonce lock %1").arg(i);
    f.evidence = QStringLiteral("Checked holder %1: gone").arg(i);
    f.repairs = { RepairKind::ClearStaleLock };
    return f;
}

Snapshot fixture(int n, Family family = Family::Codex, const QString& workspace = QStringLiteral("/ws/alpha"),
    const QString& stateDir = QStringLiteral("/ws/alpha/.state"), int firstIndex = 0)
{
    Snapshot s;
    s.family = family;
    s.workspace = workspace;
    s.stateDir = stateDir;
    s.scannedAt = t0();
    for (int i = firstIndex; i < firstIndex + n; ++i) {
        s.jobs << makeJob(stateDir, i);
        s.brokers << makeBroker(stateDir, i);
        s.locks << makeLock(stateDir, i);
        s.tempFiles << makeTemp(stateDir, i);
        s.findings << makeFinding(stateDir, i);
    }
    return s;
}

// Every signal a model can send, as short text, so a test states the exact sequence it expects.
class Recorder
{
public:
    explicit Recorder(QAbstractItemModel* model)
    {
        auto add = [this](const QString& e) { m_events << e; };
        QObject::connect(model, &QAbstractItemModel::rowsInserted, &m_context,
            [add](const QModelIndex&, int a, int b) { add(QStringLiteral("insert %1-%2").arg(a).arg(b)); });
        QObject::connect(model, &QAbstractItemModel::rowsRemoved, &m_context,
            [add](const QModelIndex&, int a, int b) { add(QStringLiteral("remove %1-%2").arg(a).arg(b)); });
        QObject::connect(
            model, &QAbstractItemModel::dataChanged, &m_context, [add](const QModelIndex& tl, const QModelIndex& br) {
                add(QStringLiteral("change %1-%2 col %3-%4")
                        .arg(tl.row())
                        .arg(br.row())
                        .arg(tl.column())
                        .arg(br.column()));
            });
        QObject::connect(model, &QAbstractItemModel::rowsMoved, &m_context, [add] { add(QStringLiteral("move")); });
        QObject::connect(
            model, &QAbstractItemModel::layoutChanged, &m_context, [add] { add(QStringLiteral("layout")); });
        QObject::connect(
            model, &QAbstractItemModel::modelAboutToBeReset, &m_context, [add] { add(QStringLiteral("reset")); });
        QObject::connect(
            model, &QAbstractItemModel::columnsInserted, &m_context, [add] { add(QStringLiteral("columns")); });
        QObject::connect(
            model, &QAbstractItemModel::columnsRemoved, &m_context, [add] { add(QStringLiteral("columns")); });
        QObject::connect(
            model, &QAbstractItemModel::headerDataChanged, &m_context, [add] { add(QStringLiteral("header")); });
    }
    QStringList take() { return std::exchange(m_events, {}); }
    const QStringList& events() const { return m_events; }

private:
    QObject m_context;
    QStringList m_events;
};

// One model kind, with the list of the snapshot it shows, so the diff tests run over all five.
struct Kind
{
    std::function<std::unique_ptr<KeyedModel>()> make;
    std::function<qsizetype(const Snapshot&)> count;
    std::function<QString(const Snapshot&, qsizetype)> idAt;
    std::function<QJsonObject(const Snapshot&, qsizetype)> json;
    std::function<void(Snapshot&, qsizetype)> removeAt;
    std::function<void(Snapshot&, qsizetype)> change; // a field some column shows
    std::function<void(Snapshot&, int)> add; // a new item built from index i
    std::function<void(Snapshot&)> reverse;
    std::function<void(Snapshot&, qsizetype, qsizetype)> swap;
};

// Through at() and operator[]: what a QList and the jobs' ChunkedList both have.
template <typename List> void swapAt(List& list, qsizetype a, qsizetype b)
{
    const auto first = list.at(a);
    list[a] = list.at(b);
    list[b] = first;
}

template <typename Model, typename Item>
Kind kindOf(typename SnapshotList<Item>::type Snapshot::*list, std::function<Item(const QString&, int)> make,
    std::function<void(Item&)> change)
{
    Kind k;
    k.make = [] { return std::make_unique<Model>(); };
    k.count = [list](const Snapshot& s) { return (s.*list).size(); };
    k.idAt = [list](const Snapshot& s, qsizetype i) { return (s.*list).at(i).id; };
    k.json = [list](const Snapshot& s, qsizetype i) { return (s.*list).at(i).toJson(); };
    k.removeAt = [list](Snapshot& s, qsizetype i) { (s.*list).removeAt(i); };
    k.change = [list, change](Snapshot& s, qsizetype i) { change((s.*list)[i]); };
    k.add = [list, make](Snapshot& s, int i) { (s.*list).append(make(s.stateDir, i)); };
    k.reverse = [list](Snapshot& s) {
        for (qsizetype i = 0, n = (s.*list).size(); i < n / 2; ++i)
            swapAt(s.*list, i, n - 1 - i);
    };
    k.swap = [list](Snapshot& s, qsizetype a, qsizetype b) { swapAt(s.*list, a, b); };
    return k;
}

const QList<Kind>& kinds()
{
    static const QList<Kind> all {
        kindOf<JobsModel, Job>(&Snapshot::jobs, makeJob, [](Job& j) { j.title += QStringLiteral(" (renamed)"); }),
        kindOf<BrokersModel, Broker>(
            &Snapshot::brokers, makeBroker, [](Broker& b) { b.reachable = b.reachable != true; }),
        kindOf<LocksModel, LockHolder>(
            &Snapshot::locks, makeLock, [](LockHolder& h) { h.verdict.reason += QStringLiteral("!"); }),
        kindOf<TempFilesModel, TempFile>(&Snapshot::tempFiles, makeTemp, [](TempFile& t) { t.size += 1; }),
        kindOf<FindingsModel, Finding>(
            &Snapshot::findings, makeFinding, [](Finding& f) { f.evidence += QStringLiteral("."); }),
    };
    return all;
}

const char* const kKindNames[] = { "jobs", "brokers", "locks", "tempfiles", "findings" };

QStringList modelIds(const QAbstractItemModel& model)
{
    QStringList ids;
    for (int r = 0; r < model.rowCount(); ++r)
        ids << model.index(r, 0).data(KeyedModel::IdRole).toString();
    return ids;
}

QStringList listIds(const Kind& kind, const QList<Snapshot>& snapshots)
{
    QStringList ids;
    for (const Snapshot& s : snapshots)
        for (qsizetype i = 0; i < kind.count(s); ++i)
            ids << kind.idAt(s, i);
    return ids;
}

QString changeEvent(int row, const QAbstractItemModel& model)
{
    return QStringLiteral("change %1-%1 col 0-%2").arg(row).arg(model.columnCount() - 1);
}

bool opaquePixels(const QImage& image)
{
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x)
            if (qAlpha(image.pixel(x, y)) > 0)
                return true;
    return false;
}

QSet<QRgb> colours(const QImage& image)
{
    QSet<QRgb> set;
    for (int y = 0; y < image.height(); y += 3)
        for (int x = 0; x < image.width(); x += 3)
            set.insert(image.pixel(x, y));
    return set;
}

} // namespace

class TestModels : public QObject
{
    Q_OBJECT

    void addKinds()
    {
        QTest::addColumn<int>("kind");
        for (int i = 0; i < int(std::size(kKindNames)); ++i)
            QTest::newRow(kKindNames[i]) << i;
    }

private slots:
    void firstApply_data() { addKinds(); }
    void firstApply()
    {
        QFETCH(int, kind);
        const Kind& k = kinds().at(kind);
        auto model = k.make();
        QAbstractItemModelTester tester(model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        Recorder rec(model.get());
        const Snapshot s = fixture(10);
        model->apply({ s });
        QCOMPARE(rec.take(), QStringList { QStringLiteral("insert 0-9") });
        QCOMPARE(modelIds(*model), listIds(k, { s }));
        for (int r = 0; r < 10; ++r)
            QCOMPARE(model->rowOf(k.idAt(s, r)), r);
        QCOMPARE(model->rowOf(QStringLiteral("no such id")), -1);
        QVERIFY(!model->indexOf(QStringLiteral("no such id")).isValid());
    }

    void identicalApplyEmitsNothing_data() { addKinds(); }
    void identicalApplyEmitsNothing()
    {
        QFETCH(int, kind);
        auto model = kinds().at(kind).make();
        QAbstractItemModelTester tester(model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        model->apply({ fixture(10) });
        Recorder rec(model.get());
        model->apply({ fixture(10) }); // equal values, built afresh: no shared data to shortcut on
        model->apply({ fixture(10) });
        QCOMPARE(rec.events(), QStringList {});
    }

    void oneRowChange_data() { addKinds(); }
    void oneRowChange()
    {
        QFETCH(int, kind);
        const Kind& k = kinds().at(kind);
        auto model = k.make();
        QAbstractItemModelTester tester(model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        Snapshot s = fixture(10);
        model->apply({ s });
        Recorder rec(model.get());
        k.change(s, 4);
        model->apply({ s });
        QCOMPARE(rec.take(), QStringList { changeEvent(4, *model) });
        QCOMPARE(QJsonDocument::fromJson(model->index(4, 0).data(KeyedModel::JsonRole).toString().toUtf8()).object(),
            k.json(s, 4));
    }

    void removeRanges_data() { addKinds(); }
    void removeRanges()
    {
        QFETCH(int, kind);
        const Kind& k = kinds().at(kind);
        auto model = k.make();
        QAbstractItemModelTester tester(model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        Snapshot s = fixture(10);
        model->apply({ s });
        Recorder rec(model.get());
        for (qsizetype i : { 9, 5, 4, 1, 0 }) // both ends and a run in the middle
            k.removeAt(s, i);
        model->apply({ s });
        QCOMPARE(rec.take(),
            (QStringList { QStringLiteral("remove 0-1"), QStringLiteral("remove 2-3"), QStringLiteral("remove 5-5") }));
        QCOMPARE(modelIds(*model), listIds(k, { s }));
        for (int r = 0; r < model->rowCount(); ++r)
            QCOMPARE(model->rowOf(k.idAt(s, r)), r);

        k.removeAt(s, 0);
        k.removeAt(s, 0);
        k.removeAt(s, 0);
        k.removeAt(s, 0);
        k.removeAt(s, 0);
        model->apply({ s });
        QCOMPARE(rec.take(), QStringList { QStringLiteral("remove 0-4") });
        QCOMPARE(model->rowCount(), 0);
    }

    void insertRows_data() { addKinds(); }
    void insertRows()
    {
        QFETCH(int, kind);
        const Kind& k = kinds().at(kind);
        auto model = k.make();
        QAbstractItemModelTester tester(model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        Snapshot s = fixture(5);
        model->apply({ s });
        Recorder rec(model.get());
        k.add(s, 100);
        k.add(s, 101);
        k.add(s, 102);
        k.swap(s, 0, 6); // new rows are appended whatever their place in the input
        model->apply({ s });
        QCOMPARE(rec.take(), QStringList { QStringLiteral("insert 5-7") });
        QCOMPARE(model->rowOf(k.idAt(s, 0)), 5); // item 101, the first new one in input order
        QCOMPARE(model->rowOf(k.idAt(s, 5)), 6); // item 100
        QCOMPARE(model->rowOf(k.idAt(s, 6)), 0); // an old row stays where it was
    }

    void changeRemoveInsertTogether_data() { addKinds(); }
    void changeRemoveInsertTogether()
    {
        QFETCH(int, kind);
        const Kind& k = kinds().at(kind);
        auto model = k.make();
        QAbstractItemModelTester tester(model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        Snapshot s = fixture(8);
        model->apply({ s });
        Recorder rec(model.get());
        k.change(s, 6); // lands on row 5 once row 2 is gone
        k.change(s, 7);
        k.removeAt(s, 2);
        k.add(s, 50);
        model->apply({ s });
        QCOMPARE(rec.take(),
            (QStringList { QStringLiteral("remove 2-2"),
                QStringLiteral("change 5-6 col 0-%1").arg(model->columnCount() - 1), QStringLiteral("insert 7-7") }));
        QCOMPARE(modelIds(*model), listIds(k, { s }));
    }

    void twoWorkspaces_data() { addKinds(); }
    void twoWorkspaces()
    {
        QFETCH(int, kind);
        const Kind& k = kinds().at(kind);
        auto model = k.make();
        QAbstractItemModelTester tester(model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        const Snapshot a = fixture(4, Family::Codex, QStringLiteral("/ws/alpha"), QStringLiteral("/ws/alpha/.codex"));
        const Snapshot b
            = fixture(3, Family::Codegraph, QStringLiteral("/ws/beta"), QStringLiteral("/ws/beta/.codegraph"));
        Recorder rec(model.get());
        model->apply({ a, b });
        QCOMPARE(rec.take(), QStringList { QStringLiteral("insert 0-6") });
        QCOMPARE(model->index(0, 0).data(KeyedModel::FamilyRole).toInt(), int(Family::Codex));
        QCOMPARE(model->index(6, 0).data(KeyedModel::FamilyRole).toInt(), int(Family::Codegraph));
        const int wsColumn = model->columnCount() - 1; // every model ends with the workspace
        QCOMPARE(model->headerData(wsColumn, Qt::Horizontal).toString(), QStringLiteral("Workspace"));
        QCOMPARE(model->index(0, wsColumn).data().toString(), QStringLiteral("alpha"));
        QCOMPARE(model->index(6, wsColumn).data().toString(), QStringLiteral("beta"));
        QVERIFY(
            model->index(6, wsColumn).data(Qt::ToolTipRole).toString().contains(QStringLiteral("/ws/beta/.codegraph")));

        model->apply({ b }); // workspace alpha closed
        QCOMPARE(rec.take(), QStringList { QStringLiteral("remove 0-3") });
        QCOMPARE(modelIds(*model), listIds(k, { b }));
        model->apply({ b, a });
        QCOMPARE(rec.take(), QStringList { QStringLiteral("insert 3-6") });
    }

    void reorderKeepsRows_data() { addKinds(); }
    void reorderKeepsRows()
    {
        QFETCH(int, kind);
        const Kind& k = kinds().at(kind);
        auto model = k.make();
        QAbstractItemModelTester tester(model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        Snapshot s = fixture(10);
        model->apply({ s });
        QList<QPersistentModelIndex> persistent;
        for (int r = 0; r < 10; ++r)
            persistent << QPersistentModelIndex(model->index(r, 1));
        const QStringList before = modelIds(*model);
        Recorder rec(model.get());
        k.reverse(s);
        model->apply({ s });
        QCOMPARE(rec.events(), QStringList {});
        QCOMPARE(modelIds(*model), before);
        k.change(s, 0); // the item that used to be last
        k.removeAt(s, 9); // the one that used to be first
        model->apply({ s });
        QCOMPARE(rec.take(), (QStringList { QStringLiteral("remove 0-0"), changeEvent(8, *model) }));
        QVERIFY(!persistent.at(0).isValid());
        for (int r = 1; r < 10; ++r) {
            QVERIFY(persistent.at(r).isValid());
            QCOMPARE(persistent.at(r).data(KeyedModel::IdRole).toString(), before.at(r));
        }
    }

    void duplicateIdsFirstWins()
    {
        JobsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        Snapshot s = fixture(3);
        Job twin = s.jobs.at(1);
        twin.title = QStringLiteral("the second copy");
        s.jobs << twin;
        Job fresh = makeJob(s.stateDir, 9);
        s.jobs << fresh << fresh;
        model.apply({ s });
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.index(1, JobsModel::TitleColumn).data().toString(), QStringLiteral("Task number 1"));
        model.apply({ s });
        QCOMPARE(model.rowCount(), 4);
    }

    void randomised_data() { addKinds(); }
    void randomised()
    {
        // Lesson from merge-style models: the bugs hide in unusual mixes of removals at the ends,
        // inserts and changes. Random rounds, each checked against the list that was applied.
        QFETCH(int, kind);
        const Kind& k = kinds().at(kind);
        auto model = k.make();
        QAbstractItemModelTester tester(model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy resets(model.get(), &QAbstractItemModel::modelAboutToBeReset);
        QRandomGenerator rng(20240611 + kind);
        Snapshot s = fixture(0);
        int nextIndex = 0;
        for (int round = 0; round < 150; ++round) {
            const int removals = int(rng.bounded(qMax<qsizetype>(1, k.count(s) / 3 + 1)));
            for (int i = 0; i < removals && k.count(s) > 0; ++i)
                k.removeAt(s, qsizetype(rng.bounded(int(k.count(s)))));
            for (int i = 0, n = int(rng.bounded(4)); i < n && k.count(s) > 0; ++i)
                k.change(s, qsizetype(rng.bounded(int(k.count(s)))));
            for (int i = 0, n = int(rng.bounded(6)); i < n; ++i)
                k.add(s, nextIndex++);
            if (rng.bounded(5) == 0)
                k.reverse(s);
            model->apply({ s });
            QCOMPARE(model->rowCount(), int(k.count(s)));
            for (qsizetype i = 0; i < k.count(s); ++i) {
                const int row = model->rowOf(k.idAt(s, i));
                QVERIFY(row >= 0);
                QCOMPARE(model->index(row, 0).data(KeyedModel::IdRole).toString(), k.idAt(s, i));
                QCOMPARE(QJsonDocument::fromJson(model->index(row, 0).data(KeyedModel::JsonRole).toString().toUtf8())
                             .object(),
                    k.json(s, i));
            }
        }
        QCOMPARE(resets.count(), 0);
    }

    void tenThousandRowsOneChange_data() { addKinds(); }
    void tenThousandRowsOneChange()
    {
        QFETCH(int, kind);
        const Kind& k = kinds().at(kind);
        auto model = k.make();
        QAbstractItemModelTester tester(model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy resets(model.get(), &QAbstractItemModel::modelAboutToBeReset);
        Snapshot s = fixture(10000);
        model->apply({ s });
        QCOMPARE(model->rowCount(), 10000);
        Recorder rec(model.get());
        k.change(s, 7321);
        model->apply({ s });
        QCOMPARE(rec.take(), QStringList { changeEvent(7321, *model) });
        k.removeAt(s, 5000);
        k.change(s, 9000); // row 9001 before the removal
        model->apply({ s });
        QCOMPARE(rec.take(), (QStringList { QStringLiteral("remove 5000-5000"), changeEvent(9000, *model) }));
        QCOMPARE(resets.count(), 0);
    }

    void comparisonsSeeEveryField()
    {
        // Each field some view or the detail pane shows, changed alone, must count as a change.
        const Snapshot s = fixture(1);
        auto check = [](const auto& base, const QList<std::function<void(std::decay_t<decltype(base)>&)>>& edits) {
            QCOMPARE(compareItems(base, base), RowChange::None);
            for (qsizetype i = 0; i < edits.size(); ++i) {
                auto edited = base;
                edits.at(i)(edited);
                QVERIFY2(compareItems(base, edited) == RowChange::Visible, qPrintable(QString::number(i)));
            }
        };
        check(s.jobs.at(0),
            { [](Job& j) { j.id += u'x'; }, [](Job& j) { j.jobId += u'x'; }, [](Job& j) { j.title += u'x'; },
                [](Job& j) { j.kind += u'x'; }, [](Job& j) { j.status += u'x'; }, [](Job& j) { ++j.pid; },
                [](Job& j) { j.liveness = Liveness::Zombie; }, [](Job& j) { j.startedAt = j.startedAt.addMSecs(1); },
                [](Job& j) { j.updatedAt = j.updatedAt.addMSecs(1); }, [](Job& j) { j.recordFile += u'x'; },
                [](Job& j) { j.logFile += u'x'; }, [](Job& j) { j.inIndex = !j.inIndex; } });
        check(s.brokers.at(0),
            { [](Broker& b) { b.id += u'x'; }, [](Broker& b) { ++b.pid; }, [](Broker& b) { ++b.startTicks; },
                [](Broker& b) { b.liveness = Liveness::Zombie; },
                [](Broker& b) { b.identityVerified = !b.identityVerified; },
                [](Broker& b) { b.identityEvidence += u'x'; }, [](Broker& b) { b.endpoint += u'x'; },
                [](Broker& b) { b.reachable = true; }, [](Broker& b) { b.stateFile += u'x'; },
                [](Broker& b) { b.sessionDir += u'x'; }, [](Broker& b) { b.referencedBy << QStringLiteral("x"); } });
        using H = LockHolder;
        check(s.locks.at(0),
            { [](H& h) { h.id += u'x'; }, [](H& h) { h.verdict.path += u'x'; },
                [](H& h) { h.verdict.dialect = LockDialect::Git; }, [](H& h) { h.verdict.state = LockState::Suspect; },
                [](H& h) { h.verdict.removable = !h.verdict.removable; }, [](H& h) { ++h.verdict.content.pid; },
                [](H& h) { h.verdict.content.nonce += u'x'; }, [](H& h) { h.verdict.content.appName += u'x'; },
                [](H& h) { h.verdict.content.host += u'x'; }, [](H& h) { h.verdict.content.bootId += u'x'; },
                [](H& h) { ++h.verdict.content.startTicks; }, [](H& h) { h.verdict.content.tool += u'x'; },
                [](H& h) { h.verdict.content.extra.insert(QStringLiteral("k"), QStringLiteral("v")); },
                [](H& h) { h.verdict.content.ownerFile += u'x'; }, [](H& h) { h.verdict.content.token += u'x'; },
                [](H& h) { h.verdict.content.platform += u'x'; }, [](H& h) { h.verdict.content.cmdlineHash += u'x'; },
                [](H& h) { ++h.verdict.content.ownerVersion; },
                [](H& h) { h.verdict.content.birthNotTicks = !h.verdict.content.birthNotTicks; },
                [](H& h) { h.verdict.content.empty = !h.verdict.content.empty; },
                [](H& h) { ++h.verdict.stamp.key.inode; }, [](H& h) { ++h.verdict.stamp.size; },
                [](H& h) { ++h.verdict.ownerStamp.key.inode; }, [](H& h) { ++h.verdict.ownerStamp.size; },
                [](H& h) { h.verdict.mtime = h.verdict.mtime.addMSecs(1); },
                [](H& h) { h.verdict.liveness = Liveness::Zombie; },
                [](H& h) { h.verdict.holderStart = QDateTime::currentDateTimeUtc(); },
                [](H& h) { h.verdict.writer.verdict = WriterVerdict::Reused; },
                [](H& h) { h.verdict.writer.reason += u'x'; }, [](H& h) { ++h.verdict.writer.startedAfterMs; },
                [](H& h) { h.verdict.foreignHost = !h.verdict.foreignHost; },
                [](H& h) { h.verdict.otherBoot = !h.verdict.otherBoot; },
                [](H& h) { h.verdict.openFilesChecked = !h.verdict.openFilesChecked; },
                [](H& h) { h.verdict.openHolders << 1; }, [](H& h) { h.verdict.kernelHolders << 1; },
                [](H& h) { h.verdict.reason += u'x'; } });
        check(s.tempFiles.at(0),
            { [](TempFile& t) { t.id += u'x'; }, [](TempFile& t) { t.path += u'x'; },
                [](TempFile& t) { t.name.recognised = !t.name.recognised; }, [](TempFile& t) { t.name.family += u'x'; },
                [](TempFile& t) { t.name.pattern += u'x'; }, [](TempFile& t) { t.name.target += u'x'; },
                [](TempFile& t) { ++t.name.ownerPid; }, [](TempFile& t) { ++t.name.idleLimitMs; },
                [](TempFile& t) { ++t.size; }, [](TempFile& t) { t.mtime = t.mtime.addMSecs(1); },
                [](TempFile& t) { t.ownerLiveness = Liveness::Zombie; }, [](TempFile& t) { t.openBy << 1; },
                [](TempFile& t) { t.orphan = !t.orphan; }, [](TempFile& t) { t.reason += u'x'; } });
        check(s.findings.at(0),
            { [](Finding& f) { f.id += u'x'; }, [](Finding& f) { f.code += u'x'; },
                [](Finding& f) { f.severity = Severity::Critical; }, [](Finding& f) { f.subject += u'x'; },
                [](Finding& f) { f.target.path += u'x'; }, [](Finding& f) { f.target.entryId += u'x'; },
                [](Finding& f) { f.target.pid = 7; }, [](Finding& f) { f.target.itemId += u'x'; },
                [](Finding& f) { f.summary += u'x'; }, [](Finding& f) { f.evidence += u'x'; },
                [](Finding& f) { f.repairs << RepairKind::SweepTmp; } });

        // The comparisons name the fields one by one; when a core type grows, its size changes.
        // Then add the new field to compareItems() in ui/models/rows.cpp, above, and here.
#if defined(Q_PROCESSOR_X86_64) && defined(Q_OS_LINUX)
        QCOMPARE(sizeof(Job), size_t(208));
        QCOMPARE(sizeof(Broker), size_t(176));
        QCOMPARE(sizeof(LockVerdict), size_t(520));
        QCOMPARE(sizeof(LockContent), size_t(248));
        QCOMPARE(sizeof(FileStamp), size_t(40));
        QCOMPARE(sizeof(WriterJudgement), size_t(40));
        QCOMPARE(sizeof(TempFile), size_t(224));
        QCOMPARE(sizeof(TmpFileName), size_t(96));
        QCOMPARE(sizeof(Finding), size_t(232));
#endif
    }

    void ageColumnRefresh()
    {
        JobsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        Snapshot s = fixture(10);
        model.apply({ s });
        QCOMPARE(model.now(), t0());
        QCOMPARE(model.index(0, JobsModel::AgeColumn).data().toString(), QStringLiteral("60 s"));
        QCOMPARE(model.index(0, JobsModel::AgeColumn).data(KeyedModel::SortRole).toLongLong(), 60000);
        Recorder rec(&model);
        s.scannedAt = t0().addSecs(600); // a later scan with no other change
        model.apply({ s });
        const QString ageOnly = QStringLiteral("change 0-9 col %1-%1").arg(JobsModel::AgeColumn);
        QCOMPARE(rec.take(), QStringList { ageOnly });
        QCOMPARE(model.index(0, JobsModel::AgeColumn).data().toString(), QStringLiteral("11 min"));
        model.setNow(t0().addSecs(600));
        QCOMPARE(rec.take(), QStringList {});
        model.setNow(t0().addSecs(3 * 3600));
        QCOMPARE(rec.take(), QStringList { ageOnly });
        QCOMPARE(model.index(0, JobsModel::AgeColumn).data().toString(), QStringLiteral("3 h"));
    }

    void lockAgeAloneIsQuiet()
    {
        // A lock's ageMs moves with every scan; the age column derives from mtime instead, so that
        // alone must not mark the row changed (but the detail pane still gets the new value).
        LocksModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        Snapshot s = fixture(5);
        model.apply({ s });
        Recorder rec(&model);
        s.locks[2].verdict.ageMs += 1500;
        model.apply({ s });
        QCOMPARE(rec.events(), QStringList {});
        QCOMPARE(qvariant_cast<LockRow>(model.index(2, 0).data(KeyedModel::RowRole)).item.verdict.ageMs,
            s.locks.at(2).verdict.ageMs);
    }

    void jobsRoles()
    {
        JobsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const Snapshot s = fixture(6);
        model.apply({ s });
        QCOMPARE(model.columnCount(), int(JobsModel::ColumnCount));
        // Row 1: 'running' with a dead PID.
        const QModelIndex alive = model.index(1, JobsModel::AliveColumn);
        QCOMPARE(alive.data().toString(), QStringLiteral("dead"));
        QVERIFY(!qvariant_cast<QIcon>(alive.data(Qt::DecorationRole)).isNull());
        QCOMPARE(model.index(0, JobsModel::AliveColumn).data().toString(), QStringLiteral("alive"));
        const QModelIndex status = model.index(1, JobsModel::StatusColumn);
        QVERIFY(!qvariant_cast<QIcon>(status.data(Qt::DecorationRole)).isNull());
        QVERIFY(status.data(Qt::ToolTipRole).toString().contains(QStringLiteral("never finish")));
        QVERIFY(!model.index(2, JobsModel::StatusColumn).data(Qt::DecorationRole).isValid());
        const QVariant pid = model.index(1, JobsModel::PidColumn).data(KeyedModel::SortRole);
        QCOMPARE(pid.typeId(), QMetaType::LongLong);
        QCOMPARE(pid.toLongLong(), 1001);
        QCOMPARE(model.index(1, JobsModel::PidColumn).data().toString(), QStringLiteral("1001"));
        QCOMPARE(model.index(1, JobsModel::PidColumn).data(Qt::TextAlignmentRole).toInt() & Qt::AlignRight,
            int(Qt::AlignRight));
        QCOMPARE(model.index(1, JobsModel::AgeColumn).data(KeyedModel::SortRole).typeId(), QMetaType::LongLong);
        QCOMPARE(model.index(1, 0).data(KeyedModel::IdRole).toString(), s.jobs.at(1).id);
        const JobRow row = qvariant_cast<JobRow>(model.index(1, 0).data(KeyedModel::RowRole));
        QCOMPARE(row.item.id, s.jobs.at(1).id);
        QCOMPARE(row.origin.stateDir, s.stateDir);
        const QJsonObject json
            = QJsonDocument::fromJson(model.index(1, 0).data(KeyedModel::JsonRole).toString().toUtf8()).object();
        QCOMPARE(json.value(QStringLiteral("pid")).toInteger(), 1001);
        QVERIFY(model.index(1, 0).data(KeyedModel::JsonRole).toString().contains(QLatin1Char('\n'))); // indented
        QCOMPARE(model.index(1, JobsModel::FamilyColumn).data().toString(), QStringLiteral("codex"));
        QVERIFY(!model.index(1, 0).data(KeyedModel::SeverityRole).isValid());

        Snapshot noPid = s;
        noPid.jobs[0].pid = -1;
        model.apply({ noPid });
        QCOMPARE(model.index(0, JobsModel::AliveColumn).data().toString(), QStringLiteral("no PID"));
        QCOMPARE(model.index(0, JobsModel::PidColumn).data().toString(), QStringLiteral("\u2014"));
    }

    void brokersRoles()
    {
        BrokersModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.apply({ fixture(5) });
        QCOMPARE(model.index(0, BrokersModel::IdentityColumn).data().toString(), QStringLiteral("verified"));
        QCOMPARE(model.index(1, BrokersModel::IdentityColumn).data().toString(), QStringLiteral("not verified"));
        QCOMPARE(model.index(2, BrokersModel::IdentityColumn).data().toString(), QStringLiteral("not checked"));
        QVERIFY(model.index(1, BrokersModel::IdentityColumn)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("app-server-broker")));
        QCOMPARE(model.index(0, BrokersModel::ReachableColumn).data().toString(), QStringLiteral("not probed"));
        QCOMPARE(model.index(1, BrokersModel::ReachableColumn).data().toString(), QStringLiteral("no"));
        QCOMPARE(model.index(2, BrokersModel::ReachableColumn).data().toString(), QStringLiteral("yes"));
        QCOMPARE(model.index(2, BrokersModel::AliveColumn).data().toString(), QStringLiteral("dead"));
        QCOMPARE(
            model.index(4, BrokersModel::ReferencedByColumn).data().toString(), QStringLiteral("nothing (orphan)"));
        QCOMPARE(model.index(3, BrokersModel::ReferencedByColumn).data().toString(), QStringLiteral("broker-3.json"));
        for (int c :
            { int(BrokersModel::AliveColumn), int(BrokersModel::IdentityColumn), int(BrokersModel::ReachableColumn) })
            QVERIFY(!qvariant_cast<QIcon>(model.index(1, c).data(Qt::DecorationRole)).isNull());
        QCOMPARE(model.index(3, BrokersModel::PidColumn).data(KeyedModel::SortRole).toLongLong(), 2003);
    }

    void locksRoles()
    {
        LocksModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        Snapshot s = fixture(4, Family::Codegraph, QStringLiteral("/ws/alpha"), QStringLiteral("/ws/alpha/.codegraph"));
        model.apply({ s });
        QCOMPARE(model.index(1, LocksModel::FileColumn).data().toString(), QStringLiteral(".codegraph/lock-1.lock"));
        QCOMPARE(model.index(1, LocksModel::DialectColumn).data().toString(), QStringLiteral("pid-only"));
        QCOMPARE(model.index(1, LocksModel::HolderColumn).data().toString(), QStringLiteral("PID 3001 (dead)"));
        QCOMPARE(model.index(1, LocksModel::VerdictColumn).data().toString(), QStringLiteral("stale, removable"));
        QCOMPARE(model.index(0, LocksModel::VerdictColumn).data().toString(), QStringLiteral("held"));
        QCOMPARE(model.index(1, LocksModel::ReasonColumn).data().toString(), QStringLiteral("holder PID 3001 is dead"));
        QCOMPARE(model.index(1, LocksModel::VerdictColumn).data(Qt::ToolTipRole).toString(),
            QStringLiteral("holder PID 3001 is dead"));
        QVERIFY(!qvariant_cast<QIcon>(model.index(1, LocksModel::VerdictColumn).data(Qt::DecorationRole)).isNull());
        QVERIFY(!qvariant_cast<QIcon>(model.index(1, LocksModel::HolderColumn).data(Qt::DecorationRole)).isNull());
        QCOMPARE(model.index(2, LocksModel::AgeColumn).data().toString(), QStringLiteral("10 s"));
        QCOMPARE(model.index(1, LocksModel::HolderColumn).data(KeyedModel::SortRole).toLongLong(), 3001);
        // Sorting by verdict puts held before stale.
        QVERIFY(model.index(0, LocksModel::VerdictColumn).data(KeyedModel::SortRole).toInt()
            < model.index(1, LocksModel::VerdictColumn).data(KeyedModel::SortRole).toInt());
    }

    void tempFilesRoles()
    {
        TempFilesModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        Snapshot s = fixture(3);
        s.tempFiles[2].openBy = { 777 };
        s.tempFiles[2].ownerLiveness = Liveness::Invalid; // the adapter does not look at the writer then
        model.apply({ s });
        QCOMPARE(model.index(1, TempFilesModel::StateColumn).data().toString(), QStringLiteral("orphan"));
        QCOMPARE(model.index(0, TempFilesModel::StateColumn).data().toString(), QStringLiteral("writer alive"));
        QCOMPARE(model.index(2, TempFilesModel::StateColumn).data().toString(), QStringLiteral("being written"));
        QCOMPARE(model.index(2, TempFilesModel::WriterColumn).data().toString(), QStringLiteral("not checked"));
        QCOMPARE(model.index(2, TempFilesModel::OpenByColumn).data().toString(), QStringLiteral("777"));
        QCOMPARE(model.index(1, TempFilesModel::WriterColumn).data().toString(), QStringLiteral("dead"));
        QVERIFY(!qvariant_cast<QIcon>(model.index(1, TempFilesModel::StateColumn).data(Qt::DecorationRole)).isNull());
        QVERIFY(!qvariant_cast<QIcon>(model.index(1, TempFilesModel::WriterColumn).data(Qt::DecorationRole)).isNull());
        QCOMPARE(model.index(1, TempFilesModel::SizeColumn).data(KeyedModel::SortRole).toLongLong(), 100);
        QCOMPARE(model.index(1, TempFilesModel::WriterPidColumn).data(KeyedModel::SortRole).toLongLong(), 4001);
        QCOMPARE(model.index(1, TempFilesModel::AgeColumn).data(KeyedModel::SortRole).toLongLong(), 7000);
        QCOMPARE(model.index(1, TempFilesModel::FileColumn)
                     .data(Qt::ToolTipRole)
                     .toString()
                     .contains(QStringLiteral("<pid>")),
            true);
    }

    void findingsRoles()
    {
        FindingsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.apply({ fixture(4) });
        const QStringList names { QStringLiteral("info"), QStringLiteral("warning"), QStringLiteral("error"),
            QStringLiteral("critical") };
        QSet<QByteArray> icons;
        for (int r = 0; r < 4; ++r) {
            const QModelIndex sev = model.index(r, FindingsModel::SeverityColumn);
            QCOMPARE(sev.data().toString(), names.at(r));
            QCOMPARE(sev.data(KeyedModel::SortRole).toInt(), r);
            QCOMPARE(sev.data(KeyedModel::SeverityRole).toInt(), r);
            const QIcon icon = qvariant_cast<QIcon>(sev.data(Qt::DecorationRole));
            QVERIFY(!icon.isNull());
            const QImage image = icon.pixmap(16, 16).toImage();
            icons.insert(QByteArray(reinterpret_cast<const char*>(image.constBits()), image.sizeInBytes()));
            QCOMPARE(sev.data(Qt::ForegroundRole).isValid(), r >= int(Severity::Error));
            QVERIFY(model.index(r, FindingsModel::SummaryColumn)
                        .data(Qt::ToolTipRole)
                        .toString()
                        .contains(QStringLiteral("Checked holder %1").arg(r)));
        }
        QCOMPARE(icons.size(), 4); // a different picture for every severity
        QCOMPARE(model.index(0, FindingsModel::SubjectColumn).data().toString(), QStringLiteral(".state/file-0"));
        QCOMPARE(model.index(0, FindingsModel::RepairsColumn).data().toString(), QStringLiteral("clear-stale-lock"));
    }

    void glyphsDifferInShape()
    {
        QSet<QByteArray> pictures;
        const QList<Glyph> all { Glyph::Alive, Glyph::Zombie, Glyph::Dead, Glyph::NoProcess, Glyph::Info,
            Glyph::Warning, Glyph::Error, Glyph::Critical, Glyph::Suspect, Glyph::Unknown };
        for (Glyph g : all) {
            const QImage image = glyphIcon(g).pixmap(16, 16).toImage();
            QVERIFY(!image.isNull());
            QVERIFY(opaquePixels(image));
            // Shape only: the alpha channel, so two glyphs never differ by colour alone.
            QByteArray alpha;
            for (int y = 0; y < image.height(); ++y)
                for (int x = 0; x < image.width(); ++x)
                    alpha.append(char(qAlpha(image.pixel(x, y)) > 127));
            QVERIFY2(!pictures.contains(alpha), qPrintable(QStringLiteral("glyph %1 repeats a shape").arg(int(g))));
            pictures.insert(alpha);
        }
        QCOMPARE(pictures.size(), all.size());
        const QPixmap big = glyphIcon(Glyph::Warning).pixmap(QSize(32, 32), 2.0);
        QCOMPARE(big.deviceIndependentSize().toSize(), QSize(32, 32));
    }

    void proxyFiltersAndSorts()
    {
        FindingsModel model;
        FilterProxy proxy;
        proxy.setSourceModel(&model);
        QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.apply(
            { fixture(8), fixture(4, Family::Gstack, QStringLiteral("/ws/beta"), QStringLiteral("/ws/beta/.gstack")) });
        QCOMPARE(proxy.rowCount(), 12);

        proxy.setFilterText(QStringLiteral("cHeCkEd HOLDER 3"));
        QCOMPARE(proxy.rowCount(), 2); // evidence column, in both workspaces
        proxy.setFilterText(QStringLiteral("beta"));
        QCOMPARE(proxy.rowCount(), 4); // the workspace column
        proxy.setFilterText({});

        proxy.setMinimumSeverity(Severity::Error);
        QCOMPARE(proxy.rowCount(), 6); // error and critical of 8, then of 4
        for (int r = 0; r < proxy.rowCount(); ++r)
            QVERIFY(proxy.index(r, 0).data(KeyedModel::SeverityRole).toInt() >= int(Severity::Error));
        proxy.setFamilies({ Family::Gstack });
        QCOMPARE(proxy.rowCount(), 2);
        proxy.setMinimumSeverity(std::nullopt);
        QCOMPARE(proxy.rowCount(), 4);
        proxy.setFamilies({});
        QCOMPARE(proxy.rowCount(), 12);

        proxy.sort(FindingsModel::SeverityColumn, Qt::DescendingOrder);
        QCOMPARE(proxy.index(0, FindingsModel::SeverityColumn).data().toString(), QStringLiteral("critical"));
        QCOMPARE(proxy.index(11, FindingsModel::SeverityColumn).data().toString(), QStringLiteral("info"));

        // Live updates go through the proxy as diffs too.
        QSignalSpy resets(&proxy, &QAbstractItemModel::modelAboutToBeReset);
        Snapshot changed = fixture(8);
        changed.findings[0].severity = Severity::Critical;
        changed.findings.removeAt(5);
        model.apply(
            { changed, fixture(4, Family::Gstack, QStringLiteral("/ws/beta"), QStringLiteral("/ws/beta/.gstack")) });
        QCOMPARE(proxy.rowCount(), 11);
        QCOMPARE(resets.count(), 0);
    }

    void proxySortsNumbersAsNumbers()
    {
        JobsModel model;
        FilterProxy proxy;
        proxy.setSourceModel(&model);
        QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        Snapshot s = fixture(3);
        s.jobs[0].pid = 100;
        s.jobs[1].pid = 9;
        s.jobs[2].pid = 10;
        model.apply({ s });
        proxy.sort(JobsModel::PidColumn, Qt::AscendingOrder);
        QStringList order;
        for (int r = 0; r < proxy.rowCount(); ++r)
            order << proxy.index(r, JobsModel::PidColumn).data().toString();
        QCOMPARE(order, (QStringList { QStringLiteral("9"), QStringLiteral("10"), QStringLiteral("100") }));
        proxy.setFilterText(QStringLiteral("DEAD")); // liveness text, any case
        QCOMPARE(proxy.rowCount(), 1);
        QCOMPARE(proxy.index(0, JobsModel::JobColumn).data().toString(), QStringLiteral("job-1"));
        proxy.setMinimumSeverity(Severity::Critical); // jobs carry no severity: nothing hidden by it
        QCOMPARE(proxy.rowCount(), 1);
    }

    void timelineHistory()
    {
        TimelineWidget timeline;
        timeline.resize(900, 320);
        timeline.setNow(t0().addSecs(120));

        Snapshot s = fixture(0, Family::Codex, QStringLiteral("/ws/alpha"), QStringLiteral("/ws/alpha/.state"));
        Job job = makeJob(s.stateDir, 2); // running, PID 1002 alive
        job.startedAt = t0().addSecs(-60);
        LockHolder lock = makeLock(s.stateDir, 0); // held by PID 3000
        s.jobs = { job };
        s.locks = { lock };
        for (int i = 0; i <= 3; ++i) { // scans every 10 s, the lock held through 30 s
            s.scannedAt = t0().addSecs(10 * i);
            timeline.apply({ s });
        }
        job.status = QStringLiteral("completed");
        job.updatedAt = t0().addSecs(50);
        s.jobs = { job };
        s.locks.clear();
        s.scannedAt = t0().addSecs(60);
        timeline.apply({ s });

        const QList<TimelineWidget::Track> tracks = timeline.tracks();
        QCOMPARE(tracks.size(), 2);
        QCOMPARE(tracks.at(0).id, job.id);
        QCOMPARE(tracks.at(0).spans.size(), 1);
        QCOMPARE(tracks.at(0).spans.at(0).start, t0().addSecs(-60));
        QCOMPARE(tracks.at(0).spans.at(0).end, t0().addSecs(50));
        QVERIFY(!tracks.at(0).spans.at(0).open);
        QCOMPARE(tracks.at(1).id, lock.id);
        QCOMPARE(tracks.at(1).spans.size(), 1);
        QCOMPARE(tracks.at(1).spans.at(0).start, t0());
        QCOMPARE(tracks.at(1).spans.at(0).end, t0().addSecs(30));
        QVERIFY(!tracks.at(1).spans.at(0).open);

        const QImage image = timeline.grab().toImage();
        QVERIFY(!image.isNull());
        QVERIFY(colours(image).size() > 5);

        const QRect jobBar = timeline.barRect(job.id);
        QVERIFY(jobBar.isValid());
        QCOMPARE(timeline.idAt(jobBar.center()), job.id);
        const QString jobTip = timeline.toolTipAt(jobBar.center());
        QVERIFY2(jobTip.startsWith(QStringLiteral("Task number 2\ncodex")), qPrintable(jobTip));
        QVERIFY2(jobTip.contains(QStringLiteral("completed:")), qPrintable(jobTip));
        QVERIFY2(jobTip.contains(QStringLiteral("(110 s)")), qPrintable(jobTip));
        // The bar's own pixels carry the status colour.
        QCOMPARE(image.pixelColor(jobBar.topLeft() + QPoint(2, 1)).rgb(), glyphColor(Glyph::Alive).rgb());

        const QRect lockBar = timeline.barRect(lock.id);
        QVERIFY(lockBar.isValid());
        QVERIFY(lockBar.left() > jobBar.left()); // the hold began after the job
        QVERIFY(lockBar.top() > jobBar.top()); // locks below jobs
        const QString lockTip = timeline.toolTipAt(lockBar.center());
        QVERIFY2(lockTip.contains(QStringLiteral("held by PID 3000")), qPrintable(lockTip));
        QVERIFY2(lockTip.contains(QStringLiteral("(30 s)")), qPrintable(lockTip));
        QCOMPARE(timeline.idAt(QPoint(2, timeline.height() - 2)), QString()); // the axis

        QSignalSpy clicked(&timeline, &TimelineWidget::itemClicked);
        QTest::mouseClick(&timeline, Qt::LeftButton, {}, lockBar.center());
        QCOMPARE(clicked.count(), 1);
        QCOMPARE(clicked.at(0).at(0).toString(), lock.id);

        // A new holder of the same lock starts a second span on the same row.
        LockHolder next = lock;
        next.verdict.content.pid = 3333;
        next.verdict.content.nonce = QStringLiteral("3333-0000000000000001");
        s.locks = { next };
        s.scannedAt = t0().addSecs(70);
        timeline.apply({ s });
        s.scannedAt = t0().addSecs(80);
        timeline.apply({ s });
        const TimelineWidget::Track lockTrack = timeline.tracks().at(1);
        QCOMPARE(lockTrack.spans.size(), 2);
        QCOMPARE(lockTrack.spans.at(1).pid, 3333);
        QVERIFY(lockTrack.spans.at(1).open);
        QVERIFY(timeline.toolTipAt(timeline.barRect(lock.id).center()).contains(QStringLiteral("PID 3333")));

        // Outside the window everything finished is dropped; what is still held stays.
        timeline.setNow(t0().addSecs(80 + 11 * 60));
        QCOMPARE(timeline.tracks().size(), 1);
        QCOMPARE(timeline.tracks().at(0).id, lock.id);
        timeline.apply({});
        timeline.setNow(t0().addSecs(80 + 22 * 60));
        QCOMPARE(timeline.tracks().size(), 0);
        QVERIFY(colours(timeline.grab().toImage()).size() > 1); // axis and the empty-state note
    }

    void timelineCapsRows()
    {
        TimelineWidget timeline;
        timeline.setNow(t0().addSecs(10));
        timeline.resize(700, timeline.minimumSizeHint().height() + 40);
        Snapshot s = fixture(60);
        timeline.apply({ s });
        const int total = int(timeline.tracks().size());
        QCOMPARE(total, 120); // 60 jobs + 60 locks
        const QStringList drawn = timeline.drawnIds();
        QVERIFY(drawn.size() >= 2);
        QVERIFY(timeline.hiddenCount() > 0);
        QCOMPARE(int(drawn.size()) + timeline.hiddenCount(), total);
        QVERIFY(std::any_of(
            drawn.cbegin(), drawn.cend(), [](const QString& id) { return id.startsWith(QStringLiteral("lock:")); }));
        const QImage image = timeline.grab().toImage();
        QVERIFY(colours(image).size() > 5);

        timeline.setWindowMinutes(1); // finished jobs older than a minute drop out
        QVERIFY(timeline.tracks().size() < total);
        QCOMPARE(timeline.windowMinutes(), 1);

        QVERIFY(timeline.sizeHint().height() > timeline.minimumSizeHint().height());
        QVERIFY(timeline.sizeHint().width() > timeline.minimumSizeHint().width());
    }

    void timelineFollowsPalette()
    {
        TimelineWidget timeline;
        timeline.resize(600, 200);
        timeline.setNow(t0().addSecs(10));
        timeline.apply({ fixture(3) });
        QPalette dark;
        dark.setColor(QPalette::Base, QColor(0x20, 0x20, 0x20));
        dark.setColor(QPalette::Text, QColor(0xee, 0xee, 0xee));
        timeline.setPalette(dark);
        const QImage darkImage = timeline.grab().toImage();
        QCOMPARE(darkImage.pixelColor(1, 1), QColor(0x20, 0x20, 0x20));
        QVERIFY(colours(darkImage).size() > 5);
        QPalette light;
        light.setColor(QPalette::Base, Qt::white);
        light.setColor(QPalette::Text, Qt::black);
        timeline.setPalette(light);
        const QImage lightImage = timeline.grab().toImage();
        QCOMPARE(lightImage.pixelColor(1, 1), QColor(Qt::white));
        QVERIFY(colours(lightImage).size() > 5);
    }

    // The herald's rules, on its own: news only while unseen, once per id, one notification per
    // interval carrying what waited, nothing for a problem gone before its turn.
    void heraldSpeaksOncePerProblem()
    {
        struct Recorder : Notifier
        {
            QList<Notification> sent;
            void notify(const Notification& n) override { sent.append(n); }
        } rec;
        QDateTime now = QDateTime::fromSecsSinceEpoch(1800000000, Qt::UTC);
        Herald herald(&rec, [&now] { return now; });
        const Alert a { QStringLiteral("a"), 1, QStringLiteral("A") },
            b { QStringLiteral("b"), 3, QStringLiteral("B") }, c { QStringLiteral("c"), 2, QStringLiteral("C") };
        herald.update({ a }, false); // seen on screen: no news later
        herald.update({ a }, true);
        QCOMPARE(rec.sent.size(), 0);
        herald.update({ a, b }, true);
        QCOMPARE(rec.sent.size(), 1);
        QCOMPARE(rec.sent.first().ids, QStringList { QStringLiteral("b") });
        QCOMPARE(rec.sent.first().rank, 3);
        herald.update({ a, b, c }, true); // within the interval: waits
        QCOMPARE(rec.sent.size(), 1);
        QVERIFY(herald.hasPending());
        QVERIFY(herald.flush() > 0);
        now = now.addMSecs(Herald::kIntervalMs);
        QCOMPARE(herald.flush(), 0);
        QCOMPARE(rec.sent.size(), 2);
        QCOMPARE(rec.sent.at(1).ids, QStringList { QStringLiteral("c") });
        herald.update({ a }, true); // b and c gone and back: announced already
        herald.update({ a, b, c }, true);
        QCOMPARE(rec.sent.size(), 2);
        const Alert d { QStringLiteral("d"), 1, QStringLiteral("D") };
        herald.update({ a, d }, true); // waits for the interval...
        herald.update({ a }, true); // ...and is gone before it passes
        now = now.addMSecs(Herald::kIntervalMs);
        herald.flush();
        QCOMPARE(rec.sent.size(), 2);
        QVERIFY(!herald.hasPending());
        QCOMPARE(titleWithCount(QStringLiteral("Stateward"), 0), QStringLiteral("Stateward"));
        QCOMPARE(titleWithCount(QStringLiteral("Stateward"), 1), QStringLiteral("1 problem — Stateward"));
        QCOMPARE(titleWithCount(QStringLiteral("Stateward"), 4), QStringLiteral("4 problems — Stateward"));
    }

    // Start at login is one .desktop entry in the XDG autostart folder, starting the program hidden.
    void startAtLoginWritesTheAutostartEntry()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(setStartAtLogin(false, QStringLiteral("/opt/x/stateward")));
        QVERIFY(!startsAtLogin());
        QVERIFY(autostartFile().endsWith(QLatin1String("/autostart/io.github.stateward.Stateward.desktop")));
        QVERIFY(setStartAtLogin(true, QStringLiteral("/opt/my apps/stateward")));
        QVERIFY(startsAtLogin());
        QFile f(autostartFile());
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray text = f.readAll();
        QVERIFY2(text.startsWith("[Desktop Entry]\n"), text.constData());
        QVERIFY2(text.contains("\nExec=\"/opt/my apps/stateward\" --hidden\n"), text.constData());
        QVERIFY(setStartAtLogin(false, QStringLiteral("/opt/my apps/stateward")));
        QVERIFY(!QFile::exists(autostartFile()));
    }

    // In the dark scheme an unchecked box in a table (the repair preview's rows) must still be
    // drawn: Fusion outlined it in a colour three steps from the dark base, so it vanished.
    void darkSchemeDrawsUncheckedBoxes()
    {
        QVERIFY(applyColorScheme(QStringLiteral("dark")));
        const QPalette palette = QApplication::palette();
        const QColor base = palette.color(QPalette::Base);
        for (auto element : { QStyle::PE_IndicatorItemViewItemCheck, QStyle::PE_IndicatorCheckBox }) {
            QImage image(24, 24, QImage::Format_RGB32);
            image.fill(base);
            QStyleOptionViewItem option;
            option.rect = QRect(4, 4, 16, 16);
            option.palette = palette;
            option.state = QStyle::State_Enabled | QStyle::State_Off;
            QPainter painter(&image);
            QApplication::style()->drawPrimitive(element, &option, &painter, nullptr);
            painter.end();
            int visible = 0; // pixels that stand out from the base as a box edge does
            for (int y = 0; y < image.height(); ++y) {
                for (int x = 0; x < image.width(); ++x) {
                    const QColor c = image.pixelColor(x, y);
                    visible += qAbs(c.lightness() - base.lightness()) >= 40;
                }
            }
            QVERIFY2(visible >= 40, qPrintable(QStringLiteral("element %1: %2 pixels").arg(int(element)).arg(visible)));
        }
        QVERIFY(applyColorScheme(QStringLiteral("system")));
    }
};

QTEST_MAIN(TestModels)
#include "tst_models.moc"
