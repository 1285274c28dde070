// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "background.h"
#include "repair/repair.h"

#include <QDialog>
#include <QList>

class QDialogButtonBox;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QTreeWidget;
class QTreeWidgetItem;

namespace Stateward {

// A repair kind as a person reads it ("Sweep orphan temp file" for sweep-tmp). `kinds`: those an
// index rewrite combines (RepairAction::kinds); several read "Rewrite index".
QString repairKindLabel(RepairKind kind, const QList<RepairKind>& kinds = {});

// Preview, then apply, then the result of each item (docs/architecture.md, Findings and repairs).
// Page 1 lists every action of the plan with its effects and target, each checkable; Apply runs
// applyPlan for the checked ones on a worker thread (it may wait for locks and for a process to
// exit) while a progress bar names the current item; page 2 shows each action's outcome. The dialog
// cannot be closed while applying.
class RepairDialog : public QDialog
{
    Q_OBJECT
public:
    RepairDialog(const RepairPlan& plan, const QString& title, QWidget* parent = nullptr);

    const RepairPlan& plan() const { return m_plan; }
    // The actions that Apply would run, in plan order.
    QList<RepairAction> checkedActions() const;
    // False when the plan has no such action, or once applying has started.
    bool setActionChecked(const QString& actionId, bool checked);
    bool isApplying() const { return m_applying; }
    bool isFinished() const { return m_finished; } // the results are all in
    const QList<RepairResult>& results() const { return m_results; }
    QString headline() const; // the sentence above the current page's list
    static QString outcomeLabel(RepairResult::Outcome outcome); // "Applied", "Skipped", "Failed", translated

public slots:
    // Starts applying the checked actions; does nothing when none is checked or it already started.
    void apply();
    void reject() override; // refused while applying: an action is never left halfway

signals:
    // Once every checked action has its result (in plan order): time to rescan and log.
    void applied(const QList<RepairResult>& results);

private:
    QWidget* buildPreviewPage();
    QWidget* buildResultsPage();
    void updatePreviewHeader();
    void setCheckedAll(bool checked);
    void showPreviewMenu(const QPoint& pos);
    void onProgress(int done, int total, const RepairResult& result);
    void onFinished(const QList<RepairResult>& results);
    void showResult(QTreeWidgetItem* item, const RepairResult& result);
    void markCurrent(int index);
    void explainCloseRefused();

    RepairPlan m_plan;
    QList<RepairAction> m_running; // the checked actions being applied, one results row each
    QList<RepairResult> m_results;
    bool m_applying = false;
    bool m_finished = false;
    bool m_closeRefused = false; // someone tried to close while applying: keep saying why not

    QStackedWidget* m_pages;
    QLabel* m_previewHeader;
    QTreeWidget* m_previewTree;
    QLabel* m_notesLabel;
    QPlainTextEdit* m_notes;
    QLabel* m_resultsHeader;
    QProgressBar* m_progress;
    QLabel* m_current;
    QTreeWidget* m_resultsTree;
    QLabel* m_summary;
    QDialogButtonBox* m_buttons;
    QPushButton* m_applyButton = nullptr;
    QPushButton* m_cancelButton = nullptr;
    QPushButton* m_closeButton = nullptr;
    BackgroundRunner m_background;
    OwnerMailbox m_mailbox { this }; // progress from the worker applying the plan
};

} // namespace Stateward
