// SPDX-License-Identifier: GPL-3.0-or-later
// The main window offscreen: workspace list model invariants, persistence, the demo workspace
// watched live (views fill, repairs previewed and applied, the views follow without a reset, undo
// and export), and the headless screenshot path that scripts/run uses.
#include "childprocess.h"
#include "demoworkspace.h"
#include "exportdialog.h"
#include "livedemo.h"
#include "mainwindow.h"
#include "models/filterproxy.h"
#include "models/keyedmodel.h"
#include "models/problemsmodel.h"
#include "models/rows.h"
#include "proc/processinfo.h"
#include "repairdialog.h"
#include "sources/codexsource.h"
#include "testfiles.h"
#include "undodialog.h"
#include "watch/watchhub.h"
#include "workspacelist.h"

#include <QAbstractButton>
#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QFile>
#include <QGuiApplication>
#include <QHeaderView>
#include <QImage>
#include <QListView>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabBar>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QTreeWidget>

using namespace Stateward;

namespace {

QStringList codesShown(MainWindow& window)
{
    QStringList codes;
    KeyedModel* m = window.model(MainWindow::View::Findings);
    for (int r = 0; r < m->rowCount(); ++r)
        codes.append(m->index(r, 0).data(KeyedModel::IdRole).toString().section(QLatin1Char(':'), 0, 0));
    codes.sort();
    return codes;
}

// Opens a repair preview through its toolbar action and applies everything it lists.
QList<RepairResult> repairThroughDialog(MainWindow& window, const char* action, QStringList* kinds)
{
    RepairDialog* dialog = nullptr;
    const auto c = QObject::connect(
        &window, &MainWindow::repairDialogOpened, &window, [&dialog](RepairDialog* d) { dialog = d; });
    window.action(QLatin1String(action))->trigger();
    QObject::disconnect(c);
    if (!dialog)
        return {};
    for (const RepairAction& a : dialog->checkedActions()) {
        kinds->append(nameOf(a.kind));
        qInfo("%s plans %s: %s", action, qPrintable(nameOf(a.kind)), qPrintable(a.target)); // names a surprise
    }
    dialog->apply();
    if (!QTest::qWaitFor([dialog] { return dialog->isFinished(); }, 60000))
        return {};
    const QList<RepairResult> results = dialog->results();
    dialog->accept();
    return results;
}

// Every notification the window sends, kept for the test to read.
struct RecordingNotifier : Notifier
{
    QList<Notification> sent;
    void notify(const Notification& n) override { sent.append(n); }
};

// A trajectory record trail wrote but index.json does not list: one finding, one problem.
void writeUnindexedRecord(const QDir& root, const char* id)
{
    TestFiles::writeFile(root.filePath(QStringLiteral("active/%1.json").arg(QLatin1String(id))),
        QStringLiteral(R"({"id":"%1","version":1,"task":{"title":"t"},"status":"active",
            "startedAt":"2026-11-01T10:00:00.000Z","agents":[],"chapters":[],"commits":[],"filesChanged":[],
            "tags":[]})")
            .arg(QLatin1String(id))
            .toUtf8());
}

} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QApplication::setOrganizationName(QStringLiteral("StatewardTest"));
        QSettings().clear();
    }

    void workspaceModel()
    {
        WorkspaceListModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTemporaryDir a, b;
        QCOMPARE(model.addWorkspace(a.path()), 0);
        QCOMPARE(model.addWorkspace(b.path()), 1);
        QCOMPARE(model.addWorkspace(a.path() + QLatin1String("/.")), 0); // same folder, canonicalised
        QCOMPARE(model.addWorkspace(a.filePath(QStringLiteral("missing"))), -1);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.index(1).data(WorkspaceListModel::PathRole).toString(), QDir(b.path()).canonicalPath());
        QVERIFY(model.removeWorkspace(0));
        QVERIFY(!model.removeWorkspace(5));
        QCOMPARE(model.rowCount(), 1);
    }

    void workspacesPersist()
    {
        QTemporaryDir ws;
        {
            MainWindow window;
            QAbstractItemModelTester tester(
                window.workspaces(), QAbstractItemModelTester::FailureReportingMode::QtTest);
            QVERIFY(window.openWorkspace(ws.path()));
            QVERIFY(!window.openWorkspace(ws.filePath(QStringLiteral("nope"))));
            window.show();
            window.close();
        }
        MainWindow reopened;
        QCOMPARE(reopened.workspaces()->workspaces(), QStringList { QDir(ws.path()).canonicalPath() });
    }

    // Keyboard only: Tab leaves a table in one press instead of walking it cell by cell.
    void tabLeavesATable()
    {
        // Two trajectories the index does not list: rows in Jobs and Findings to walk.
        QTemporaryDir ws;
        const QDir root(ws.filePath(QStringLiteral(".trajectories")));
        QVERIFY(root.mkpath(QStringLiteral("active")));
        for (const char* id : { "traj_t1", "traj_t2" })
            TestFiles::writeFile(root.filePath(QStringLiteral("active/%1.json").arg(QLatin1String(id))),
                QStringLiteral(R"({"id":"%1","version":1,"task":{"title":"t"},"status":"active",
                    "startedAt":"2026-11-01T10:00:00.000Z","agents":[],"chapters":[],"commits":[],"filesChanged":[],
                    "tags":[]})")
                    .arg(QLatin1String(id))
                    .toUtf8());
        TestFiles::writeFile(root.filePath(QStringLiteral("index.json")), R"({"version":1,"trajectories":{}})");
        MainWindow window(nullptr, false);
        QVERIFY(window.openWorkspace(ws.path(), false));
        window.show();
        QApplication::setActiveWindow(&window);
        QVERIFY(QTest::qWaitForWindowActive(&window));
        for (auto v : { MainWindow::View::Jobs, MainWindow::View::Findings }) {
            QTRY_VERIFY_WITH_TIMEOUT(window.model(v)->rowCount() >= 2, 20000);
            window.showView(v);
            QTableView* table = window.tableView(v);
            table->selectRow(0);
            table->setFocus();
            QTRY_VERIFY(table->hasFocus());
            QTest::keyClick(table, Qt::Key_Tab);
            QVERIFY2(!table->hasFocus(), qPrintable(QApplication::focusWidget()->objectName()));
        }
    }

    // The window opens on the overview: the demo's problems grouped by cause (one index problem for
    // every record the index lost), worst first, each with its Fix button or what to do by hand;
    // one Fix previews only its problem's findings; Fix All Safe leaves no safely fixable problem.
    void overviewFixesTheDemo()
    {
        LiveDemo live;
        QVERIFY2(live.start(), qPrintable(live.error));
        DemoWorkspace& demo = live.demo;
        MainWindow window(nullptr, false);
        QAbstractItemModelTester modelTester(
            window.model(MainWindow::View::Problems), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester proxyTester(
            window.proxy(MainWindow::View::Problems), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy resets(window.model(MainWindow::View::Problems), &QAbstractItemModel::modelReset);
        QVERIFY(window.openWorkspace(demo.path(), false));
        window.show();
        auto* tabs = window.tableView(MainWindow::View::Jobs)->parentWidget()->parentWidget();
        QCOMPARE(qobject_cast<QTabWidget*>(tabs)->currentIndex(), int(MainWindow::View::Problems));
        const auto findingsOf = [](const Problem& p, const char* code) {
            return int(std::count_if(p.findingIds.cbegin(), p.findingIds.cend(),
                [code](const QString& id) { return id.startsWith(QLatin1String(code) + QLatin1Char(':')); }));
        };
        const auto lostRecords = [&window, &findingsOf]() -> std::optional<Problem> {
            for (const Problem& p : window.problems()) {
                if (findingsOf(p, "index-missing-record") > 0)
                    return p;
            }
            return std::nullopt;
        };
        QTRY_VERIFY_WITH_TIMEOUT(lostRecords() && window.problems().size() >= 5, 30000);
        for (const Problem& p : window.problems())
            qInfo("%s | %s | %s | %s", qPrintable(nameOf(p.impact)), qPrintable(p.title),
                qPrintable(p.fixable() ? p.fixLabel : QLatin1String("by hand: ") + p.manualFix),
                qPrintable(p.findingIds.join(u' ')));
        QCOMPARE(findingsOf(*lostRecords(), "index-missing-record"), 2); // the two lost saves: one problem
        QCOMPARE(lostRecords()->impact, Impact::LosesData);

        // Worst first, and every row either has its Fix button or says what to do by hand.
        QTableView* table = window.tableView(MainWindow::View::Problems);
        QAbstractItemModel* shown = table->model();
        for (int r = 0; r < shown->rowCount(); ++r) {
            const Problem p = shown->index(r, 0).data(KeyedModel::RowRole).value<ProblemRow>().item;
            QVERIFY(!p.title.isEmpty() && !p.explanation.isEmpty());
            if (r > 0)
                QVERIFY(shown->index(r - 1, 0).data(KeyedModel::RowRole).value<ProblemRow>().item.impact >= p.impact);
            const QModelIndex fix = shown->index(r, ProblemsModel::FixColumn);
            auto* button = qobject_cast<QPushButton*>(table->indexWidget(fix));
            if (p.fixable()) {
                QVERIFY2(button && button->property("problemId").toString() == p.id, qPrintable(p.title));
            } else {
                QVERIFY(!button);
                QVERIFY2(!p.manualFix.isEmpty() && fix.data().toString().startsWith(QLatin1String("By hand")),
                    qPrintable(p.title));
            }
        }

        // Details: the selected problem in words above its record.
        window.selectFirstRow(MainWindow::View::Problems);
        const Problem first = shown->index(0, 0).data(KeyedModel::RowRole).value<ProblemRow>().item;
        QVERIFY(window.detailPane()->toPlainText().startsWith(first.title));
        QVERIFY(window.detailPane()->toPlainText().contains(QStringLiteral("── record ──")));
        // The event log names what is wrong in words, not a count of findings.
        QVERIFY2(window.eventLog()->toPlainText().contains(lostRecords()->title),
            qPrintable(window.eventLog()->toPlainText()));

        // One problem's Fix previews its findings only.
        RepairDialog* dialog = nullptr;
        connect(&window, &MainWindow::repairDialogOpened, this, [&dialog](RepairDialog* d) { dialog = d; });
        const Problem lost = *lostRecords();
        const QModelIndex lostRow = window.proxy(MainWindow::View::Problems)
                                        ->mapFromSource(window.model(MainWindow::View::Problems)->indexOf(lost.id));
        qobject_cast<QPushButton*>(table->indexWidget(lostRow.siblingAtColumn(ProblemsModel::FixColumn)))->click();
        QVERIFY(dialog);
        QVERIFY(!dialog->checkedActions().isEmpty());
        for (const RepairAction& a : dialog->checkedActions()) {
            for (const QString& id : a.findingIds)
                QVERIFY2(lost.findingIds.contains(id), qPrintable(id));
        }
        dialog->reject();
        dialog = nullptr;

        // Fix All Safe, from the overview's button.
        auto* fixAll = window.findChild<QPushButton*>(QStringLiteral("fixAllSafe"));
        QVERIFY(fixAll && fixAll->isEnabled());
        fixAll->click();
        QVERIFY(dialog);
        // STATEWARD_SCREENSHOTS=DIR (under Xvfb, QT_QPA_PLATFORM=xcb): the screen with the fix in progress, for the
        // README.
        const QString shots = qEnvironmentVariable("STATEWARD_SCREENSHOTS");
        const auto shoot = [&shots](const char* name) {
            if (shots.isEmpty())
                return;
            QTest::qWait(300); // let the window manager-less X server draw what was just mapped
            QGuiApplication::primaryScreen()->grabWindow(0).save(shots + QLatin1Char('/') + QLatin1String(name));
        };
        shoot("fix-preview.png");
        dialog->apply();
        shoot("fix-in-progress.png");
        QVERIFY(QTest::qWaitFor([dialog] { return dialog->isFinished(); }, 60000));
        for (const RepairResult& r : dialog->results())
            QVERIFY2(
                r.outcome != RepairResult::Outcome::Failed, qPrintable(r.actionId + QLatin1String(": ") + r.detail));
        dialog->accept();
        const auto safelyFixable = [&window] {
            QStringList left;
            for (const Problem& p : window.problems()) {
                if (p.fixable() && p.fixSafety() == RepairSafety::Safe)
                    left.append(p.title);
            }
            return left;
        };
        QTRY_VERIFY2_WITH_TIMEOUT(safelyFixable().isEmpty(), qPrintable(safelyFixable().join(u'|')), 20000);
        QVERIFY(!lostRecords());
        QVERIFY(!fixAll->isEnabled());
        QVERIFY(window.eventLog()->toPlainText().contains(QLatin1String("resolved: ") + lost.title));
        for (const Problem& p : window.problems())
            qInfo("left: %s | %s", qPrintable(p.title), qPrintable(p.fixable() ? p.fixLabel : p.manualFix));
        QCOMPARE(resets.count(), 0);
        window.close();
    }

    // It speaks up: a problem that appears while the window is hidden raises exactly one
    // notification, through the Notifier the test gives; the same problem changing or scanned again
    // raises none, nor does one that appears while the window is shown. The title counts problems.
    // (The rate limit, with its injected clock, is tst_models' heraldSpeaksOncePerProblem.)
    void newProblemWhileHiddenNotifiesOnce()
    {
        QTemporaryDir ws;
        const QDir root(ws.filePath(QStringLiteral(".trajectories")));
        QVERIFY(root.mkpath(QStringLiteral("active")));
        TestFiles::writeFile(root.filePath(QStringLiteral("index.json")), R"({"version":1,"trajectories":{}})");
        MainWindow window(nullptr, false);
        RecordingNotifier notifier;
        QDateTime now = QDateTime::currentDateTimeUtc();
        window.setNotifier(&notifier, [&now] { return now; });
        window.hub()->setBackstopInterval(0);
        QVERIFY(window.openWorkspace(ws.path(), false));
        const QString canonical = QDir(ws.path()).canonicalPath();
        window.show();
        QTRY_VERIFY_WITH_TIMEOUT(window.hub()->deliveredGeneration(canonical) > 0, 20000);
        QCOMPARE(window.windowTitle(), QStringLiteral("Stateward"));
        const auto scannedAgain = [&window, &canonical] {
            const quint64 before = window.hub()->deliveredGeneration(canonical);
            window.rescan();
            return QTest::qWaitFor([&] { return window.hub()->deliveredGeneration(canonical) > before; }, 20000);
        };

        // Shown: the news is on screen (the title, the overview), not in a notification.
        writeUnindexedRecord(root, "traj_n1");
        QTRY_VERIFY_WITH_TIMEOUT(window.windowTitle().startsWith(QLatin1String("1 problem")), 20000);
        QCOMPARE(notifier.sent.size(), 0);

        // Hidden: a record trail cannot read is a new problem: one notification, naming it.
        window.hide();
        TestFiles::writeFile(root.filePath(QStringLiteral("active/traj_bad.json")), "{\"id\": ");
        QTRY_COMPARE_WITH_TIMEOUT(notifier.sent.size(), 1, 20000);
        QTRY_VERIFY2(window.windowTitle().startsWith(QLatin1String("2 problems")), qPrintable(window.windowTitle()));
        QCOMPARE(notifier.sent.first().ids.size(), 1);
        QString title;
        for (const Problem& p : window.problems()) {
            if (p.id == notifier.sent.first().ids.first())
                title = p.title;
        }
        QVERIFY2(
            !title.isEmpty() && notifier.sent.first().body.contains(title), qPrintable(notifier.sent.first().body));

        // The first problem grows (another lost record): the same problem, no news; nor a rescan.
        writeUnindexedRecord(root, "traj_n2");
        QVERIFY(scannedAgain());
        QVERIFY(scannedAgain());
        now = now.addMSecs(Herald::kIntervalMs + 1);
        QVERIFY(scannedAgain());
        QCOMPARE(notifier.sent.size(), 1);
        QVERIFY(!window.herald().hasPending());
    }

    // The header's column chooser hides a column; it and the sort order survive a restart (the
    // window destroyed and made again with the same settings), and the order is applied, not only drawn.
    void columnsAndSortSurviveARestart()
    {
        const auto view = MainWindow::View::Locks;
        {
            MainWindow window(nullptr, false);
            QHeaderView* header = window.tableView(view)->horizontalHeader();
            QCOMPARE(header->contextMenuPolicy(), Qt::CustomContextMenu);
            QVERIFY(!header->isSectionHidden(2));
            QMenu menu;
            window.fillColumnMenu(view, &menu);
            QAction* column = menu.findChild<QAction*>(QStringLiteral("column2"));
            QVERIFY(column && column->isChecked());
            QCOMPARE(column->text(), window.proxy(view)->headerData(2, Qt::Horizontal).toString());
            column->trigger();
            QVERIFY(header->isSectionHidden(2));
            window.tableView(view)->sortByColumn(1, Qt::DescendingOrder);
        } // never closed: what was chosen is saved when chosen
        MainWindow again(nullptr, false);
        QHeaderView* header = again.tableView(view)->horizontalHeader();
        QVERIFY(header->isSectionHidden(2));
        QCOMPARE(header->sortIndicatorSection(), 1);
        QCOMPARE(header->sortIndicatorOrder(), Qt::DescendingOrder);
        QCOMPARE(again.proxy(view)->sortColumn(), 1);
        QCOMPARE(again.proxy(view)->sortOrder(), Qt::DescendingOrder);
        // The last column shown cannot be hidden.
        for (int c = 0; c < header->count(); ++c)
            header->setSectionHidden(c, c != 0);
        QMenu menu;
        again.fillColumnMenu(view, &menu);
        QVERIFY(!menu.findChild<QAction*>(QStringLiteral("column0"))->isEnabled());
        QSettings().remove(QStringLiteral("tables"));
    }

    // At 1024×640 every tab is in sight: no scroll arrows, no tab outside the bar (the first tab
    // once hid behind the arrow).
    void everyTabInSightAt1024x640()
    {
        LiveDemo live;
        QVERIFY2(live.start(), qPrintable(live.error));
        DemoWorkspace& demo = live.demo;
        QSettings().remove(QStringLiteral("window")); // the first run's dock sizes
        MainWindow window(nullptr, false);
        QVERIFY(window.openWorkspace(demo.path(), false));
        window.resize(1024, 640);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        // The demo's counts in every tab label, as a first-time user sees them.
        QTRY_VERIFY_WITH_TIMEOUT(window.model(MainWindow::View::Findings)->rowCount() >= 10, 30000);
        QTRY_VERIFY(window.model(MainWindow::View::TempFiles)->rowCount() >= 3);
        QTabBar* bar = window.tableView(MainWindow::View::Jobs)->parentWidget()->parentWidget()->findChild<QTabBar*>();
        QVERIFY(bar);
        QTRY_VERIFY(bar->isVisible() && bar->width() > 0);
        for (int i = 0; i < bar->count(); ++i)
            QVERIFY2(bar->rect().contains(bar->tabRect(i)),
                qPrintable(QStringLiteral("tab %1 at %2+%3 in a bar %4 wide")
                               .arg(i)
                               .arg(bar->tabRect(i).x())
                               .arg(bar->tabRect(i).width())
                               .arg(bar->width())));
        for (QToolButton* arrow : bar->findChildren<QToolButton*>())
            QVERIFY(!arrow->isVisible());
        window.close();
    }

    // Del (Remove Workspace) asks first; Cancel keeps the workspace, Stop Watching removes it, and
    // nothing in the folder is touched either way.
    void removingAWorkspaceAsksFirst()
    {
        QTemporaryDir ws;
        const QString marker = ws.filePath(QStringLiteral("keep.txt"));
        QVERIFY(QFile(marker).open(QIODevice::WriteOnly));
        MainWindow window(nullptr, false);
        QVERIFY(window.openWorkspace(ws.path(), false));
        window.show();
        auto* list = window.findChild<QListView*>();
        QVERIFY(list);
        const QString canonical = QDir(ws.path()).canonicalPath();
        const auto answer = [&window, &canonical](QMessageBox::ButtonRole role) {
            window.action(QStringLiteral("removeWorkspace"))->trigger();
            QMessageBox* ask = nullptr;
            QTRY_VERIFY(
                (ask = window.findChild<QMessageBox*>(QStringLiteral("confirmRemoveWorkspace"))) && ask->isVisible());
            QVERIFY2(ask->text().contains(canonical), qPrintable(ask->text()));
            for (QAbstractButton* b : ask->buttons()) {
                if (ask->buttonRole(b) == role) {
                    b->click();
                    return;
                }
            }
            QFAIL("no button with that role");
        };
        list->setCurrentIndex(window.workspaces()->index(0));
        answer(QMessageBox::RejectRole);
        QCOMPARE(window.workspaces()->rowCount(), 1);
        list->setCurrentIndex(window.workspaces()->index(0));
        answer(QMessageBox::AcceptRole);
        QCOMPARE(window.workspaces()->rowCount(), 0);
        QVERIFY(window.eventLog()->toPlainText().contains(QLatin1String("stopped watching")));
        QVERIFY(QFile::exists(marker));
    }

    // What a first-time user does with `stateward --demo`: every view fills; Repair All Safe
    // previews and applies; the views follow (by diff: no model is ever reset); the orphan broker
    // cleanup terminates only the orphan; undo brings a file back; export writes a file.
    void demoWorkspaceEndToEnd()
    {
        QTemporaryDir tmp; // the demo's $TMPDIR: its cxc-* dirs and codex state are the test's alone
        qputenv("TMPDIR", tmp.path().toLocal8Bit());
        DemoWorkspace demo;
        demo.setStandInProgram(ChildProcess::binary("stateward"));
        QString error;
        QVERIFY2(demo.create(&error), qPrintable(error));

        MainWindow window(nullptr, false);
        QList<std::shared_ptr<QAbstractItemModelTester>> testers;
        QList<std::shared_ptr<QSignalSpy>> resets;
        for (auto v : { MainWindow::View::Jobs, MainWindow::View::Brokers, MainWindow::View::Locks,
                 MainWindow::View::TempFiles, MainWindow::View::Findings }) {
            testers.append(std::make_shared<QAbstractItemModelTester>(
                window.model(v), QAbstractItemModelTester::FailureReportingMode::QtTest));
            testers.append(std::make_shared<QAbstractItemModelTester>(
                window.proxy(v), QAbstractItemModelTester::FailureReportingMode::QtTest));
            resets.append(std::make_shared<QSignalSpy>(window.model(v), &QAbstractItemModel::modelReset));
        }
        window.hub()->setBackstopInterval(0);
        // The orphan broker is one only past its start-up grace (it might still be starting before):
        // the window opens once it is, as a user who opens the demo a little later sees it.
        QTRY_VERIFY_WITH_TIMEOUT(
            inspectProcess(demo.orphanBrokerPid()).startTime.secsTo(QDateTime::currentDateTimeUtc())
                > CodexSource::kBrokerGraceSecs,
            60000);
        QVERIFY(window.openWorkspace(demo.path(), false));
        window.show();
        QTRY_VERIFY_WITH_TIMEOUT(codesShown(window).contains(QStringLiteral("broker-orphan")), 30000);
        QVERIFY(window.model(MainWindow::View::Jobs)->rowCount() >= 5);
        QVERIFY(window.model(MainWindow::View::Brokers)->rowCount() >= 3);
        QVERIFY(window.model(MainWindow::View::Locks)->rowCount() >= 1);
        QVERIFY(window.model(MainWindow::View::TempFiles)->rowCount() >= 3);
        for (const QString& code : { QStringLiteral("index-missing-record"), QStringLiteral("stale-lock"),
                 QStringLiteral("orphan-tmp"), QStringLiteral("job-dead-running") })
            QVERIFY2(codesShown(window).contains(code), qPrintable(codesShown(window).join(u' ')));
        window.selectFirstRow(MainWindow::View::Findings);
        QVERIFY(window.detailPane()->toPlainText().contains(QLatin1String("\"code\"")));

        // The tools list says what each state dir was recognised as, from its files.
        QStringList recognised;
        for (auto* tree : window.findChildren<QTreeWidget*>()) {
            if (tree->headerItem()->text(0) != QLatin1String("Tool"))
                continue;
            for (int i = 0; i < tree->topLevelItemCount(); ++i)
                recognised.append(tree->topLevelItem(i)->toolTip(0).section(u'\n', 0, 0));
        }
        QVERIFY2(recognised.size() >= 4, qPrintable(recognised.join(u'|')));
        QVERIFY2(std::none_of(recognised.cbegin(), recognised.cend(),
                     [](const QString& t) { return t == QLatin1String("recognised as unknown"); }),
            qPrintable(recognised.join(u'|')));
        QVERIFY2(std::any_of(recognised.cbegin(), recognised.cend(),
                     [](const QString& t) { return t.startsWith(QLatin1String("recognised as agent-trajectories")); }),
            qPrintable(recognised.join(u'|')));

        // Repair Selected is offered only for a row something can repair: not the healthy broker.
        window.showView(MainWindow::View::Brokers);
        QAbstractItemModel* brokers = window.tableView(MainWindow::View::Brokers)->model();
        int healthy = -1;
        for (int r = 0; r < brokers->rowCount(); ++r) {
            if (brokers->index(r, 0).data(KeyedModel::RowRole).value<BrokerRow>().item.pid == demo.brokerPid())
                healthy = r;
        }
        QVERIFY(healthy >= 0);
        window.tableView(MainWindow::View::Brokers)->selectRow(healthy);
        QVERIFY(!window.action(QStringLiteral("repairSelected"))->isEnabled());
        window.selectFirstRow(MainWindow::View::Findings);
        QCOMPARE(
            window.action(QStringLiteral("repairSelected"))->isEnabled(), !window.planSelected().actions.isEmpty());

        // Repair All Safe: everything but signalling a process.
        QStringList kinds;
        QList<RepairResult> results = repairThroughDialog(window, "repairAll", &kinds);
        QVERIFY(!results.isEmpty());
        QVERIFY(!kinds.contains(QStringLiteral("terminate-orphan")));
        for (const QString& kind : { QStringLiteral("clear-stale-lock"), QStringLiteral("sweep-tmp"),
                 QStringLiteral("reindex"), QStringLiteral("mark-failed") })
            QVERIFY2(kinds.contains(kind), qPrintable(kinds.join(u' ')));
        for (const RepairResult& r : results)
            QVERIFY2(
                r.outcome != RepairResult::Outcome::Failed, qPrintable(r.actionId + QLatin1String(": ") + r.detail));
        // The window rescans and the findings those repairs fixed leave the views.
        for (const QString& code :
            { QStringLiteral("index-missing-record"), QStringLiteral("stale-lock"), QStringLiteral("orphan-tmp"),
                QStringLiteral("job-dead-running"), QStringLiteral("session-dir-orphan") })
            QTRY_VERIFY2_WITH_TIMEOUT(
                !codesShown(window).contains(code), qPrintable(codesShown(window).join(u' ')), 20000);
        QVERIFY(window.eventLog()->toPlainText().contains(QLatin1String("Repair All Safe")));

        // The one-click orphan cleanup: the orphan goes, the named broker and the daemon stay.
        kinds.clear();
        results = repairThroughDialog(window, "cleanUpOrphans", &kinds);
        QCOMPARE(kinds, QStringList { QStringLiteral("terminate-orphan") });
        QVERIFY2(results.first().outcome == RepairResult::Outcome::Applied, qPrintable(results.first().detail));
        QTRY_VERIFY_WITH_TIMEOUT(!codesShown(window).contains(QStringLiteral("broker-orphan")), 20000);
        QVERIFY(!inspectProcess(demo.orphanBrokerPid()).isAlive());
        QVERIFY(inspectProcess(demo.brokerPid()).isAlive());
        QVERIFY(inspectProcess(demo.daemonPid()).isAlive());

        // Undo the index rewrite: the entries it added are missing again, and the views say so.
        window.action(QStringLiteral("undo"))->trigger();
        auto* undo = window.findChild<UndoDialog*>();
        QVERIFY(undo);
        QTRY_VERIFY_WITH_TIMEOUT(!undo->isBusy() && !undo->items().isEmpty(), 10000);
        QString reindexId;
        for (const UndoDialog::Item& item : undo->items()) {
            if (item.info.action.value(QStringLiteral("kind")).toString() == QLatin1String("reindex"))
                reindexId = item.info.id;
        }
        QVERIFY(!reindexId.isEmpty());
        QVERIFY(undo->selectQuarantine(reindexId));
        undo->undoSelected();
        QTRY_VERIFY_WITH_TIMEOUT(undo->lastResult().has_value(), 10000);
        QVERIFY2(undo->lastResult()->ok, qPrintable(undo->message()));
        undo->accept();
        QTRY_VERIFY_WITH_TIMEOUT(codesShown(window).contains(QStringLiteral("index-missing-record")), 20000);

        // Export the recovered trajectories index next to the test, never into the state dir.
        window.action(QStringLiteral("exportIndex"))->trigger();
        auto* exporter = window.findChild<ExportDialog*>();
        QVERIFY(exporter);
        QVERIFY(exporter->selectStateDir(demo.path() + QLatin1String("/.trajectories")));
        QTemporaryDir out;
        const QString target = out.filePath(QStringLiteral("index.json"));
        QTRY_VERIFY_WITH_TIMEOUT(!exporter->isBusy() && exporter->recovered().has_value(), 10000);
        exporter->setOutputPath(target);
        exporter->exportIndex();
        QTRY_VERIFY_WITH_TIMEOUT(!exporter->isBusy() && exporter->lastExportSucceeded(), 10000);
        QVERIFY(QFile::exists(target));
        exporter->accept();

        for (const auto& spy : std::as_const(resets))
            QCOMPARE(spy->count(), 0);
        window.close();
        demo.shutdown();
        qunsetenv("TMPDIR");
    }

    // The first window fits the screen at any scale factor: QT_SCALE_FACTOR=1.5 on a 1440×900
    // screen once opened a 1920×1200 window (details, log and status bar off screen).
    void firstWindowFitsTheScreenAtScale15()
    {
        QTemporaryDir out;
        const QString config = out.filePath(QStringLiteral("screen.json"));
        TestFiles::writeFile(config, R"({"screens":[{"name":"S","x":0,"y":0,"width":1440,"height":900,
            "logicalDpi":96,"logicalBaseDpi":96,"dpr":1}]})");
        const QString png = out.filePath(QStringLiteral("window.png"));
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen:configfile=") + config);
        env.insert(QStringLiteral("QT_SCALE_FACTOR"), QStringLiteral("1.5"));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), out.path()); // no saved geometry
        p.setProcessEnvironment(env);
        p.start(ChildProcess::binary("stateward"), { QStringLiteral("--screenshot"), png });
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 0);
        const QImage image(png);
        QVERIFY(!image.isNull());
        QVERIFY2(image.width() <= 1440 && image.height() <= 900,
            qPrintable(QStringLiteral("%1x%2").arg(image.width()).arg(image.height())));
        QVERIFY(image.width() >= 900 && image.height() >= 500); // still a usable window
    }

    void screenshotFromCommandLine()
    {
        QTemporaryDir out;
        const QString png = out.filePath(QStringLiteral("window.png"));
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), out.path()); // keep the user's settings out of it
        env.insert(QStringLiteral("TMPDIR"), out.path()); // the demo's files and session dirs
        p.setProcessEnvironment(env);
        p.start(ChildProcess::binary("stateward"), { QStringLiteral("--demo"), QStringLiteral("--screenshot"), png });
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 0);
        // The demo cleaned up after itself: its workspace, codex state and session dirs are gone.
        const QStringList left = QDir(out.path())
                                     .entryList({ QStringLiteral("stateward-demo-*"), QStringLiteral("cxc-*"),
                                                    QStringLiteral("codex-companion") },
                                         QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden);
        QVERIFY2(left.isEmpty(), qPrintable(left.join(u' ')));
        const QImage image(png);
        QVERIFY(!image.isNull());
        QVERIFY(image.width() >= 400 && image.height() >= 300);
        // Not a blank canvas: the window draws menus, a dock and text.
        QSet<QRgb> colours;
        for (int y = 0; y < image.height(); y += 7)
            for (int x = 0; x < image.width(); x += 7)
                colours.insert(image.pixel(x, y));
        QVERIFY(colours.size() > 4);
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
