// SPDX-License-Identifier: GPL-3.0-or-later
// The repair, undo and export dialogs offscreen, on real fixtures: the preview lists exactly the
// plan, only checked actions are applied (on a worker thread, while the GUI thread keeps running),
// undo restores byte-identically once, export writes where asked and never into the state dir.
// Each dialog is also rendered to <build>/screenshots/dialogs-*.png for a human to look at.
#include "childprocess.h"
#include "exportdialog.h"
#include "lock/lockfile.h"
#include "repair/quarantine.h"
#include "repair/repair.h"
#include "repairdialog.h"
#include "sources/registry.h"
#include "sources/source.h"
#include "testfiles.h"
#include "undodialog.h"

#include <QApplication>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>
#include <QTimer>
#include <QTreeWidget>

#include <csignal>

using namespace Stateward;
using namespace TestFiles;

namespace {

QStringList idsOf(const QList<RepairAction>& actions)
{
    QStringList ids;
    for (const RepairAction& a : actions)
        ids.append(a.id);
    return ids;
}

// Every text of a tree, one line per item, cells joined by " | " up to the last non-empty one;
// children indented as "  > ".
QStringList treeTexts(const QTreeWidget* tree)
{
    QStringList lines;
    for (int i = 0; i < tree->topLevelItemCount(); ++i) {
        const QTreeWidgetItem* top = tree->topLevelItem(i);
        QStringList cells;
        for (int c = 0; c < tree->columnCount(); ++c)
            cells.append(top->text(c));
        while (!cells.isEmpty() && cells.last().isEmpty())
            cells.removeLast();
        lines.append(cells.join(QStringLiteral(" | ")));
        for (int k = 0; k < top->childCount(); ++k) {
            QStringList child;
            for (int c = 0; c < tree->columnCount(); ++c)
                child.append(top->child(k)->text(c));
            while (!child.isEmpty() && child.last().isEmpty())
                child.removeLast();
            lines.append(QStringLiteral("  > ") + child.join(QStringLiteral(" | ")));
        }
    }
    return lines;
}

void saveShot(QWidget* w, const QString& name)
{
    QVERIFY(QTest::qWaitForWindowExposed(w));
    QApplication::processEvents();
    const QString dir = QCoreApplication::applicationDirPath() + QLatin1String("/../screenshots");
    QVERIFY(QDir().mkpath(dir));
    const QString path = dir + QLatin1String("/dialogs-") + name + QLatin1String(".png");
    QVERIFY2(w->grab().save(path), qPrintable(path));
}

} // namespace

class TestDialogs : public QObject
{
    Q_OBJECT

    // <ws>/.trajectories: traj_a1 missing from index.json, and a dead writer's index tmp file:
    // a plan of sweep-tmp then reindex.
    struct Fixture
    {
        QTemporaryDir ws;
        QString root;
        QString index;
        QString tmp;
        QByteArray originalIndex;
        QByteArray tmpBytes = "{\"version\":1,\"trajec";
        RepairPlan plan;
        QList<Snapshot> snapshots;
    };

    static void makeFixture(Fixture& f)
    {
        QVERIFY(f.ws.isValid());
        const QDir root(f.ws.filePath(QStringLiteral(".trajectories")));
        QVERIFY(root.mkpath(QStringLiteral("active")));
        f.root = root.path();
        const QString record = root.filePath(QStringLiteral("active/traj_a1.json"));
        writeFile(record,
            R"({"id":"traj_a1","version":1,"task":{"title":"one"},"status":"active","startedAt":"2026-11-01T10:00:00.000Z",
            "agents":[],"chapters":[],"commits":[],"filesChanged":[],"tags":[]})");
        backdate(record, 60);
        f.index = root.filePath(QStringLiteral("index.json"));
        f.originalIndex = R"({"version":1,"trajectories":{}})";
        writeFile(f.index, f.originalIndex);
        const qint64 dead = ChildProcess::deadPid();
        QVERIFY(dead > 0);
        f.tmp = root.filePath(QStringLiteral("index.json.%1.0b7c1f5e-94a4-4d59-8d7c-3e0f2f1e9a11.tmp").arg(dead));
        writeFile(f.tmp, f.tmpBytes);
        backdate(f.tmp, 120);
        ScanContext context;
        f.snapshots = scanWorkspace(f.ws.path(), context);
        f.plan = planRepairs(f.snapshots);
        QStringList kinds;
        for (const RepairAction& a : f.plan.actions)
            kinds.append(nameOf(a.kind));
        QCOMPARE(kinds, QStringList({ QStringLiteral("sweep-tmp"), QStringLiteral("reindex") }));
    }

    static QStringList indexIds(const QString& index)
    {
        return QJsonDocument::fromJson(readAll(index)).object().value(QStringLiteral("trajectories")).toObject().keys();
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // default export paths stay out of the user's data
    }

    void previewListsExactlyThePlan()
    {
        Fixture f;
        makeFixture(f);
        if (QTest::currentTestFailed())
            return;
        f.plan.notes.append(QStringLiteral("/somewhere/x.lock: 'steal-lock' is not done by this repair yet"));
        RepairDialog dialog(f.plan, QStringLiteral("Repair all safe"));
        dialog.show();
        auto* tree = dialog.findChild<QTreeWidget*>(QStringLiteral("previewTree"));
        QVERIFY(tree);
        QCOMPARE(tree->topLevelItemCount(), f.plan.actions.size());
        for (int i = 0; i < f.plan.actions.size(); ++i) {
            const RepairAction& a = f.plan.actions.at(i);
            const QTreeWidgetItem* item = tree->topLevelItem(i);
            QCOMPARE(item->text(0), repairKindLabel(a.kind));
            QCOMPARE(item->text(1), a.summary);
            QCOMPARE(item->checkState(0), Qt::Checked);
            QVERIFY2(item->toolTip(0).contains(a.id), qPrintable(item->toolTip(0)));
            QStringList children;
            for (int k = 0; k < item->childCount(); ++k)
                children.append(item->child(k)->text(1));
            QVERIFY2(children.contains(a.target), qPrintable(children.join(u'\n')));
            for (const QString& effect : a.effects)
                QVERIFY2(children.contains(effect), qPrintable(effect));
        }
        QCOMPARE(idsOf(dialog.checkedActions()), idsOf(f.plan.actions));
        QVERIFY2(dialog.headline().startsWith(QLatin1String("2 changes will be made.")), qPrintable(dialog.headline()));
        QVERIFY(dialog.headline().contains(QLatin1String("Nothing is deleted")));
        auto* notes = dialog.findChild<QPlainTextEdit*>(QStringLiteral("notes"));
        QVERIFY(notes && notes->isVisible());
        QCOMPARE(notes->toPlainText(), f.plan.notes.join(u'\n'));
        // Apply (the default, with the count) and Cancel, nothing else.
        auto* buttons = dialog.findChild<QDialogButtonBox*>();
        QCOMPARE(buttons->buttons().size(), 2);
        QVERIFY(buttons->button(QDialogButtonBox::Cancel));
        QPushButton* apply = nullptr;
        for (QAbstractButton* b : buttons->buttons()) {
            if (buttons->buttonRole(b) == QDialogButtonBox::ApplyRole)
                apply = qobject_cast<QPushButton*>(b);
        }
        QVERIFY(apply && apply->isDefault());
        QCOMPARE(apply->text(), QStringLiteral("&Apply 2 Changes"));
        saveShot(&dialog, QStringLiteral("repair-preview"));

        // Unchecking updates the count; an unknown id is refused.
        QVERIFY(dialog.setActionChecked(f.plan.actions.first().id, false));
        QVERIFY(!dialog.setActionChecked(QStringLiteral("no-such-action"), false));
        QVERIFY2(dialog.headline().startsWith(QLatin1String("1 of 2 changes")), qPrintable(dialog.headline()));
        QCOMPARE(apply->text(), QStringLiteral("&Apply 1 Change"));
        QVERIFY(dialog.setActionChecked(f.plan.actions.last().id, false));
        QVERIFY(!apply->isEnabled()); // nothing checked: nothing to apply
        QVERIFY(dialog.setActionChecked(f.plan.actions.first().id, true));
        // Keyboard: Ctrl+A checks every action, Ctrl+Shift+A none.
        QApplication::setActiveWindow(&dialog);
        QVERIFY(QTest::qWaitForWindowActive(&dialog));
        QTest::keyClick(&dialog, Qt::Key_A, Qt::ControlModifier);
        QCOMPARE(idsOf(dialog.checkedActions()), idsOf(f.plan.actions));
        QTest::keyClick(&dialog, Qt::Key_A, Qt::ControlModifier | Qt::ShiftModifier);
        QVERIFY(dialog.checkedActions().isEmpty());
        QVERIFY(!dialog.isApplying());
        QVERIFY(QFile::exists(f.tmp)); // a preview changes nothing
        QCOMPARE(readAll(f.index), f.originalIndex);
    }

    // Keyboard only: from the preview list, Tab reaches Apply (and Cancel) and does not stay in the list.
    void tabReachesApply()
    {
        Fixture f;
        makeFixture(f);
        if (QTest::currentTestFailed())
            return;
        f.plan.notes.append(QStringLiteral("a note, so the notes box takes part in the tab order"));
        RepairDialog dialog(f.plan, QStringLiteral("Repair all safe"));
        dialog.show();
        QApplication::setActiveWindow(&dialog);
        QVERIFY(QTest::qWaitForWindowActive(&dialog));
        auto* tree = dialog.findChild<QTreeWidget*>(QStringLiteral("previewTree"));
        tree->setFocus();
        QTRY_VERIFY(tree->hasFocus());
        QPushButton* apply = nullptr;
        for (QAbstractButton* b : dialog.findChild<QDialogButtonBox*>()->buttons()) {
            if (dialog.findChild<QDialogButtonBox*>()->buttonRole(b) == QDialogButtonBox::ApplyRole)
                apply = qobject_cast<QPushButton*>(b);
        }
        QVERIFY(apply);
        QStringList visited;
        for (int i = 0; i < 8 && QApplication::focusWidget() != apply; ++i) {
            QTest::keyClick(QApplication::focusWidget(), Qt::Key_Tab);
            QWidget* w = QApplication::focusWidget();
            const auto* b = qobject_cast<QAbstractButton*>(w);
            visited.append(!w ? QStringLiteral("-")
                    : b       ? b->text()
                              : QString::fromLatin1(w->metaObject()->className()) + u':' + w->objectName());
        }
        QVERIFY2(QApplication::focusWidget() == apply, qPrintable(visited.join(u", ")));
    }

    void previewNamesTheSignalledPid()
    {
        RepairAction a;
        a.id = QStringLiteral("terminate-orphan:/ws/state#pid=4242");
        a.kind = RepairKind::TerminateOrphan;
        a.kinds = { a.kind };
        a.family = Family::Codex;
        a.stateDir = QStringLiteral("/home/u/.claude/plugins/data/codex/state/ws-0123456789abcdef");
        a.target = a.stateDir + QLatin1String("#pid=4242");
        a.pid = 4242;
        a.startTicks = 987654;
        a.endpoint = QStringLiteral("unix:/tmp/cxc-Ab12Cd/broker.sock");
        a.sessionDir = QStringLiteral("/tmp/cxc-Ab12Cd");
        a.summary = QStringLiteral("terminate orphan codex broker PID 4242 (SIGTERM to its process group, SIGKILL "
                                   "after 3 s) and remove its session dir /tmp/cxc-Ab12Cd");
        a.effects = { QStringLiteral("broker PID 4242 serves this workspace but broker.json names PID 4100") };
        RepairDialog dialog(RepairPlan { { a }, {} }, QStringLiteral("Clean up orphan brokers"));
        dialog.show();
        auto* tree = dialog.findChild<QTreeWidget*>(QStringLiteral("previewTree"));
        const QString text = treeTexts(tree).join(u'\n');
        QVERIFY2(text.contains(QLatin1String("Signals | PID 4242: SIGTERM to its process group")), qPrintable(text));
        QVERIFY2(text.contains(
                     QLatin1String("Verified first | start time 987654 ticks, a codex broker command line, endpoint "
                                   "unix:/tmp/cxc-Ab12Cd/broker.sock")),
            qPrintable(text));
        QVERIFY2(text.contains(QLatin1String("on any mismatch nothing is signalled")), qPrintable(text));
        QVERIFY2(text.contains(QLatin1String("Session dir | /tmp/cxc-Ab12Cd")), qPrintable(text));
        QVERIFY2(dialog.headline().contains(QLatin1String("verified again")), qPrintable(dialog.headline()));
        saveShot(&dialog, QStringLiteral("repair-orphan-brokers"));
    }

    void emptyPlanOnlyCloses()
    {
        RepairDialog dialog(
            RepairPlan { {}, { QStringLiteral("/ws/.codegraph/graph.db.lock: held by PID 17, alive") } },
            QStringLiteral("Repair all safe"));
        dialog.show();
        QCOMPARE(dialog.headline(), QStringLiteral("Nothing to repair."));
        auto* buttons = dialog.findChild<QDialogButtonBox*>();
        QCOMPARE(buttons->buttons().size(), 1);
        QCOMPARE(buttons->standardButton(buttons->buttons().first()), QDialogButtonBox::Close);
        QVERIFY(!dialog.findChild<QTreeWidget*>(QStringLiteral("previewTree"))->isVisible());
        dialog.apply(); // nothing to apply: stays on the preview
        QVERIFY(!dialog.isApplying() && !dialog.isFinished());
        saveShot(&dialog, QStringLiteral("repair-empty"));
        dialog.reject();
        QVERIFY(!dialog.isVisible());
    }

    void uncheckedActionIsNotApplied()
    {
        Fixture f;
        makeFixture(f);
        if (QTest::currentTestFailed())
            return;
        RepairDialog dialog(f.plan, QStringLiteral("Repair all safe"));
        QSignalSpy applied(&dialog, &RepairDialog::applied);
        dialog.show();
        const RepairAction& sweep = f.plan.actions.at(0);
        const RepairAction& reindex = f.plan.actions.at(1);
        QVERIFY(dialog.setActionChecked(sweep.id, false));
        QCOMPARE(idsOf(dialog.checkedActions()), QStringList { reindex.id });
        dialog.apply();
        QTRY_VERIFY_WITH_TIMEOUT(dialog.isFinished(), 20000);
        QVERIFY(!dialog.isApplying());
        QCOMPARE(applied.size(), 1);
        const QList<RepairResult> results = dialog.results();
        QCOMPARE(results.size(), 1);
        QCOMPARE(results.first().actionId, reindex.id);
        QCOMPARE(results.first().outcome, RepairResult::Outcome::Applied);
        // On disk: the index lists traj_a1; the unchecked tmp file is untouched.
        QCOMPARE(indexIds(f.index), QStringList { QStringLiteral("traj_a1") });
        QCOMPARE(readAll(f.tmp), f.tmpBytes);
        QCOMPARE(listQuarantines(f.root).size(), 1);

        auto* tree = dialog.findChild<QTreeWidget*>(QStringLiteral("resultsTree"));
        QVERIFY(tree->isVisible());
        const QStringList lines = treeTexts(tree);
        QVERIFY2(lines.first().startsWith(QStringLiteral("Re-index records | Applied | ")), qPrintable(lines.first()));
        QVERIFY2(lines.contains(QStringLiteral("  > Done |  | added traj_a1")), qPrintable(lines.join(u'\n')));
        QVERIFY2(lines.contains(QStringLiteral("  > Quarantine |  | ") + results.first().quarantineId),
            qPrintable(lines.join(u'\n')));
        QVERIFY2(dialog.headline().startsWith(QLatin1String("Done: 1 applied, 0 skipped, 0 failed")),
            qPrintable(dialog.headline()));
        auto* summary = dialog.findChild<QLabel*>(QStringLiteral("summary"));
        QVERIFY(summary);
        QVERIFY2(summary->text().contains(QLatin1String("Undo restores it")), qPrintable(summary->text()));
        auto* buttons = dialog.findChild<QDialogButtonBox*>();
        QPushButton* close = buttons->button(QDialogButtonBox::Close);
        QVERIFY(close && close->isVisible() && close->isEnabled());
        saveShot(&dialog, QStringLiteral("repair-results"));
        close->click();
        QVERIFY(!dialog.isVisible());
    }

    // A cleared lock's copy is evidence: the result must not promise that Undo puts it back, as the
    // preview already says it never does.
    void clearedLockIsNotPromisedBack()
    {
        Fixture f;
        makeFixture(f);
        if (QTest::currentTestFailed())
            return;
        const qint64 dead = ChildProcess::deadPid();
        QVERIFY(dead > 0);
        const QString lock = QDir(f.root).filePath(QStringLiteral("index.json.lock"));
        writeFile(lock, QByteArray::number(dead) + '\n' + QByteArray::number(dead) + "-0123456789abcdef\n");
        backdate(lock, 120);
        ScanContext context;
        const RepairPlan plan = planRepairs(scanWorkspace(f.ws.path(), context));
        QString clearId;
        for (const RepairAction& a : plan.actions) {
            if (a.kind == RepairKind::ClearStaleLock)
                clearId = a.id;
        }
        QVERIFY2(!clearId.isEmpty(), "no clear-stale-lock planned");
        RepairDialog dialog(plan, QStringLiteral("Repair all safe"));
        dialog.show();
        QVERIFY(dialog.headline().contains(QLatin1String("never put back")));
        for (const RepairAction& a : plan.actions)
            QVERIFY(dialog.setActionChecked(a.id, a.id == clearId));
        dialog.apply();
        QTRY_VERIFY_WITH_TIMEOUT(dialog.isFinished(), 20000);
        QCOMPARE(dialog.results().size(), 1);
        QCOMPARE(dialog.results().first().outcome, RepairResult::Outcome::Applied);
        QVERIFY(!dialog.results().first().quarantineId.isEmpty());
        auto* summary = dialog.findChild<QLabel*>(QStringLiteral("summary"));
        QVERIFY(summary);
        QVERIFY2(!summary->text().contains(QLatin1String("Undo restores")), qPrintable(summary->text()));
        QVERIFY2(summary->text().contains(QLatin1String("evidence only")), qPrintable(summary->text()));
    }

    // The index's lock is held by this (the GUI) thread and released from it only once the dialog
    // shows the reindex waiting: the reindex gets the lock, and is Applied rather than skipped after
    // its 10 s wait, only if applyPlan runs on another thread. A 10 ms timer meanwhile shows the
    // GUI thread kept running.
    void applyRunsOffTheGuiThread()
    {
        Fixture f;
        makeFixture(f);
        if (QTest::currentTestFailed())
            return;
        LockFile held(f.index);
        QCOMPARE(held.tryLock(), LockFile::Status::Acquired);

        RepairDialog dialog(f.plan, QStringLiteral("Repair all safe"));
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QElapsedTimer clock;
        qint64 lastTick = 0, longestGap = 0;
        QTimer ticker;
        connect(&ticker, &QTimer::timeout, this, [&] {
            longestGap = qMax(longestGap, clock.elapsed() - lastTick);
            lastTick = clock.elapsed();
        });
        ticker.start(10);
        clock.start();

        dialog.apply();
        QVERIFY(dialog.isApplying());
        auto* buttons = dialog.findChild<QDialogButtonBox*>();
        QVERIFY(!buttons->button(QDialogButtonBox::Cancel)->isEnabled());
        dialog.reject(); // Escape, the close button: refused while applying
        QVERIFY(dialog.isVisible());
        QVERIFY2(dialog.findChild<QLabel*>(QStringLiteral("summary"))
                     ->text()
                     .contains(QLatin1String("finishing the current item")),
            qPrintable(dialog.findChild<QLabel*>(QStringLiteral("summary"))->text()));

        // The sweep finishes; the reindex then waits for our lock.
        auto* tree = dialog.findChild<QTreeWidget*>(QStringLiteral("resultsTree"));
        QTRY_COMPARE(tree->topLevelItem(0)->text(1), QStringLiteral("Applied"));
        QCOMPARE(tree->topLevelItem(1)->text(1), QStringLiteral("Applying…"));
        QCOMPARE(dialog.findChild<QProgressBar*>(QStringLiteral("progress"))->value(), 1);
        QVERIFY(dialog.findChild<QLabel*>(QStringLiteral("current"))
                    ->text()
                    .startsWith(QLatin1String("Applying 2 of 2: rewrite ")));
        auto* summary = dialog.findChild<QLabel*>(QStringLiteral("summary"));
        QVERIFY2(summary->text().contains(QLatin1String("(2 of 2)")), qPrintable(summary->text()));
        QTest::qWait(600);
        QVERIFY(dialog.isApplying());
        // An apply on this thread would have held it for the lock's 10 s timeout; scheduling
        // noise on a loaded machine stays far below the bound.
        QVERIFY2(longestGap < 2000, qPrintable(QString::number(longestGap)));
        ticker.stop();
        saveShot(&dialog, QStringLiteral("repair-applying"));
        QVERIFY(held.unlock());

        QTRY_VERIFY_WITH_TIMEOUT(dialog.isFinished(), 20000);
        QCOMPARE(dialog.results().size(), 2);
        for (const RepairResult& r : dialog.results())
            QVERIFY2(r.outcome == RepairResult::Outcome::Applied, qPrintable(r.actionId + u' ' + r.detail));
        QVERIFY(clock.elapsed() >= 600);
        QVERIFY(!QFile::exists(f.tmp));
        QCOMPARE(indexIds(f.index), QStringList { QStringLiteral("traj_a1") });
    }

    // The window going away mid-apply (quitting) drops the dialog, not the repair: the action
    // running on the worker still completes, and nothing touches the dead dialog.
    void dialogDestroyedWhileApplying()
    {
        Fixture f;
        makeFixture(f);
        if (QTest::currentTestFailed())
            return;
        LockFile held(f.index);
        QCOMPARE(held.tryLock(), LockFile::Status::Acquired);
        auto* dialog = new RepairDialog(f.plan, QStringLiteral("Repair all safe"));
        QSignalSpy applied(dialog, &RepairDialog::applied);
        dialog->apply();
        auto* tree = dialog->findChild<QTreeWidget*>(QStringLiteral("resultsTree"));
        QTRY_COMPARE(tree->topLevelItem(1)->text(1), QStringLiteral("Applying…"));
        delete dialog;
        QVERIFY(held.unlock());
        QVERIFY(QThreadPool::globalInstance()->waitForDone(20000));
        QCoreApplication::processEvents(); // any result posted to the dead dialog is dropped
        QCOMPARE(applied.size(), 0);
        QCOMPARE(indexIds(f.index), QStringList { QStringLiteral("traj_a1") });
        QVERIFY(!QFile::exists(f.tmp));
    }

    void undoRestoresOnce()
    {
        Fixture f;
        makeFixture(f);
        if (QTest::currentTestFailed())
            return;
        const QMap<QString, QByteArray> before = treeContents(f.root);
        RepairDialog repair(f.plan, QStringLiteral("Repair all safe"));
        repair.apply();
        QTRY_VERIFY_WITH_TIMEOUT(repair.isFinished(), 20000);
        QCOMPARE(repair.results().size(), 2);
        const QString sweepQuarantine = repair.results().at(0).quarantineId;
        const QString indexQuarantine = repair.results().at(1).quarantineId;
        QVERIFY(!sweepQuarantine.isEmpty() && !indexQuarantine.isEmpty());
        QVERIFY(!QFile::exists(f.tmp));

        UndoDialog dialog({ f.root });
        QSignalSpy undone(&dialog, &UndoDialog::undone);
        dialog.show();
        QTRY_VERIFY(!dialog.isBusy() && dialog.items().size() == 2);
        // Newest first: the reindex ran after the sweep.
        QCOMPARE(dialog.items().at(0).info.id, indexQuarantine);
        QCOMPARE(dialog.items().at(1).info.id, sweepQuarantine);
        auto* list = dialog.findChild<QTreeWidget*>(QStringLiteral("quarantineList"));
        QCOMPARE(list->topLevelItemCount(), 2);
        QCOMPARE(list->topLevelItem(0)->text(1), QStringLiteral("Re-index records"));
        QCOMPARE(list->topLevelItem(0)->text(2), f.index);
        QCOMPARE(list->topLevelItem(0)->text(3), QStringLiteral("1"));
        QCOMPARE(list->topLevelItem(0)->text(4), QStringLiteral("can be undone"));

        QVERIFY(dialog.selectQuarantine(indexQuarantine));
        QVERIFY(dialog.canUndoSelected());
        auto* entries = dialog.findChild<QTreeWidget*>(QStringLiteral("entries"));
        QCOMPARE(entries->topLevelItemCount(), 1);
        QCOMPARE(entries->topLevelItem(0)->text(0), QStringLiteral("replaced"));
        QCOMPARE(entries->topLevelItem(0)->text(1), QStringLiteral("index.json"));
        QCOMPARE(entries->topLevelItem(0)->text(3), QString::fromLatin1(sha256Hex(f.originalIndex).left(12)));
        const QJsonObject action = QJsonDocument::fromJson(
            dialog.findChild<QPlainTextEdit*>(QStringLiteral("actionJson"))->toPlainText().toUtf8())
                                       .object();
        QCOMPARE(action.value(QStringLiteral("kind")).toString(), QStringLiteral("reindex"));
        saveShot(&dialog, QStringLiteral("undo-list"));

        dialog.findChild<QPushButton*>(QStringLiteral("undoButton"))->click();
        QTRY_COMPARE(undone.size(), 1);
        QTRY_VERIFY(!dialog.isBusy());
        QVERIFY(dialog.lastResult().has_value());
        const UndoResult r = *dialog.lastResult();
        QVERIFY2(r.ok, qPrintable(r.refused.join(u'\n') + r.error));
        QCOMPARE(r.restored, QStringList { QStringLiteral("index.json") });
        QCOMPARE(readAll(f.index), f.originalIndex);
        QVERIFY2(dialog.message().contains(QLatin1String("Restored: index.json")), qPrintable(dialog.message()));
        // Still selected after the refresh, greyed, and not undoable again.
        QCOMPARE(dialog.selectedId(), indexQuarantine);
        QVERIFY(!dialog.canUndoSelected());
        QVERIFY(!dialog.findChild<QPushButton*>(QStringLiteral("undoButton"))->isEnabled());
        QVERIFY2(list->topLevelItem(0)->text(4).startsWith(QLatin1String("undone at ")),
            qPrintable(list->topLevelItem(0)->text(4)));
        QCOMPARE(
            list->topLevelItem(0)->foreground(4).color(), dialog.palette().color(QPalette::Disabled, QPalette::Text));
        dialog.undoSelected(); // a second try does nothing
        QTest::qWait(100);
        QCOMPARE(undone.size(), 1);
        QVERIFY(undoQuarantine(f.root, indexQuarantine).error.contains(QLatin1String("already undone")));
        saveShot(&dialog, QStringLiteral("undo-done"));

        // The swept tmp file comes back byte for byte too: the state dir is as before the repair.
        QVERIFY(dialog.selectQuarantine(sweepQuarantine));
        QVERIFY(dialog.canUndoSelected());
        dialog.undoSelected();
        QTRY_COMPARE(undone.size(), 2);
        QTRY_VERIFY(!dialog.isBusy());
        QCOMPARE(readAll(f.tmp), f.tmpBytes);
        QMap<QString, QByteArray> after = treeContents(f.root);
        after.removeIf(
            [](QMap<QString, QByteArray>::iterator it) { return it.key().startsWith(QLatin1String(".stateward")); });
        QCOMPARE(after, before);
    }

    void exportWritesOutsideTheStateDirOnly()
    {
        Fixture f;
        makeFixture(f);
        if (QTest::currentTestFailed())
            return;
        QTemporaryDir out;
        ExportDialog dialog(f.snapshots);
        QSignalSpy exported(&dialog, &ExportDialog::exported);
        dialog.show();
        QCOMPARE(dialog.sources().size(), 1);
        QCOMPARE(dialog.currentStateDir(), f.root);
        QTRY_VERIFY(dialog.recovered().has_value() && !dialog.isBusy());
        const RecoveredIndex& r = *dialog.recovered();
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(r.addedIds, QStringList { QStringLiteral("traj_a1") });
        const QString summary = dialog.findChild<QLabel*>(QStringLiteral("summary"))->text();
        QVERIFY2(summary.startsWith(QLatin1String("index.json with 1 entry: 1 added")), qPrintable(summary));
        const QString details = treeTexts(dialog.findChild<QTreeWidget*>(QStringLiteral("details"))).join(u'\n');
        QVERIFY2(details.contains(QLatin1String("Added (1)\n  > traj_a1")), qPrintable(details));
        // Prefilled outside every state dir, named after the family and the index file.
        QVERIFY2(dialog.outputPath().endsWith(QLatin1String("-index.json")), qPrintable(dialog.outputPath()));
        QVERIFY(dialog.outputPath().contains(QLatin1String("stateward/recovered/trajectories-")));
        QVERIFY(!dialog.outputPath().startsWith(f.ws.path()));
        saveShot(&dialog, QStringLiteral("export-preview"));

        const QMap<QString, QByteArray> stateBefore = treeContents(f.root);
        const QString target = out.filePath(QStringLiteral("exports/index.json"));
        dialog.setOutputPath(target);
        dialog.findChild<QPushButton*>(QStringLiteral("exportButton"))->click();
        QTRY_VERIFY(!dialog.isBusy());
        QVERIFY2(dialog.lastExportSucceeded(), qPrintable(dialog.message()));
        QCOMPARE(exported.size(), 1);
        QCOMPARE(exported.first().first().toString(), target);
        QCOMPARE(readAll(target), r.document);
        QVERIFY(QJsonDocument::fromJson(readAll(target))
                    .object()
                    .value(QStringLiteral("trajectories"))
                    .toObject()
                    .contains(QStringLiteral("traj_a1")));
        QVERIFY(dialog.message().startsWith(QStringLiteral("Written to ") + target));
        // A new preview (another family's, or this one recomputed) does not keep the old success line.
        dialog.findChild<QPushButton*>(QStringLiteral("recomputeButton"))->click();
        QVERIFY2(dialog.message().isEmpty(), qPrintable(dialog.message()));
        QVERIFY(!dialog.lastExportSucceeded());
        QTRY_VERIFY(dialog.recovered().has_value() && !dialog.isBusy());

        const QString inside = QDir(f.root).filePath(QStringLiteral("index.recovered.json"));
        dialog.setOutputPath(inside);
        dialog.findChild<QPushButton*>(QStringLiteral("exportButton"))->click();
        QTRY_VERIFY(!dialog.isBusy());
        QVERIFY(!dialog.lastExportSucceeded());
        QCOMPARE(exported.size(), 1);
        auto* message = dialog.findChild<QLabel*>(QStringLiteral("message"));
        QVERIFY(message->isVisible());
        QVERIFY2(message->text().contains(QLatin1String("is inside the state directory")), qPrintable(message->text()));
        QVERIFY(!QFile::exists(inside));
        QCOMPARE(treeContents(f.root), stateBefore);
        saveShot(&dialog, QStringLiteral("export-refused"));

        // A relative path is not guessed at.
        dialog.setOutputPath(QStringLiteral("index.json"));
        dialog.exportIndex();
        QVERIFY(!dialog.isBusy());
        QVERIFY2(dialog.message().contains(QLatin1String("full path")), qPrintable(dialog.message()));
    }

    void exportWithoutAnIndexedStateDir()
    {
        Snapshot codegraph;
        codegraph.family = Family::Codegraph;
        codegraph.stateDir = QStringLiteral("/ws/.codegraph");
        Snapshot newEra;
        newEra.family = Family::Trajectories;
        newEra.stateDir = QStringLiteral("/ws/.agentworkforce/trajectories");
        ExportDialog dialog({ codegraph, newEra });
        dialog.show();
        QVERIFY(dialog.sources().isEmpty());
        QVERIFY(!dialog.recovered());
        QVERIFY(!dialog.findChild<QPushButton*>(QStringLiteral("exportButton"))->isEnabled());
        const QString summary = dialog.findChild<QLabel*>(QStringLiteral("summary"))->text();
        QVERIFY2(summary.startsWith(QLatin1String("Nothing to export")), qPrintable(summary));
        // Which tools keep an index comes from their adapters: each is named with its index file.
        for (const SourceAdapter* a : sourceAdapters()) {
            if (a->index()) {
                const QString named = QStringLiteral("%1 (%2)").arg(a->name(), a->index()->fileName());
                QVERIFY2(summary.contains(named), qPrintable(summary));
                QVERIFY(dialog.findChild<QComboBox*>(QStringLiteral("stateDirCombo"))->currentText().contains(named));
            }
        }
    }
};

QTEST_MAIN(TestDialogs)
#include "tst_dialogs.moc"
