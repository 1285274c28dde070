// SPDX-License-Identifier: GPL-3.0-or-later
#include "repairdialog.h"

#include "sources/source.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QStackedWidget>
#include <QStyle>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace Stateward {

namespace {

    constexpr int kActionRole = Qt::UserRole + 1; // index into the plan (preview) or m_running (results)
    // A reindex can list 100 000 entries; the rows stop here, the count says the rest.
    constexpr qsizetype kMaxChildRows = 200;
    constexpr int kExpandUpTo = 8; // children: results with at most this many are shown expanded

    // A detail row under an action: its label in the first column, its text in the widest (last) one.
    QTreeWidgetItem* addChild(QTreeWidgetItem* parent, const QString& label, const QString& text)
    {
        auto* child = new QTreeWidgetItem(parent);
        const int column = parent->treeWidget()->columnCount() - 1;
        child->setText(0, label);
        child->setText(column, text);
        child->setToolTip(column, text);
        child->setFlags(Qt::ItemIsEnabled);
        return child;
    }

    void addChildren(QTreeWidgetItem* parent, const QString& label, const QStringList& lines)
    {
        for (qsizetype i = 0; i < qMin(kMaxChildRows, lines.size()); ++i)
            addChild(parent, i == 0 ? label : QString(), lines.at(i));
        if (lines.size() > kMaxChildRows)
            addChild(parent, QString(), RepairDialog::tr("… and %n more", nullptr, int(lines.size() - kMaxChildRows)));
    }

    QTreeWidget* makeTree(const QStringList& headers)
    {
        auto* tree = new QTreeWidget;
        tree->setHeaderLabels(headers);
        tree->setColumnCount(int(headers.size()));
        tree->setUniformRowHeights(true);
        tree->setTextElideMode(Qt::ElideMiddle); // paths: keep the file name and where it lives
        tree->setAlternatingRowColors(true);
        tree->setSelectionMode(QAbstractItemView::SingleSelection);
        tree->header()->setStretchLastSection(true);
        return tree;
    }

} // namespace

QString RepairDialog::outcomeLabel(RepairResult::Outcome outcome)
{
    switch (outcome) {
    case RepairResult::Outcome::Applied:
        return tr("Applied");
    case RepairResult::Outcome::Skipped:
        return tr("Skipped");
    case RepairResult::Outcome::Failed:
        break;
    }
    return tr("Failed");
}

QString repairKindLabel(RepairKind kind, const QList<RepairKind>& kinds)
{
    if (kinds.size() > 1)
        return RepairDialog::tr("Rewrite index");
    switch (kind) {
    case RepairKind::ClearStaleLock:
        return RepairDialog::tr("Clear stale lock");
    case RepairKind::SweepTmp:
        return RepairDialog::tr("Sweep orphan temp file");
    case RepairKind::QuarantineInvalid:
        return RepairDialog::tr("Set aside invalid record");
    case RepairKind::ReplaceCorruptIndex:
        return RepairDialog::tr("Replace unreadable index");
    case RepairKind::Reindex:
        return RepairDialog::tr("Re-index records");
    case RepairKind::DropDanglingEntry:
        return RepairDialog::tr("Drop dangling index entries");
    case RepairKind::FixIndexEntry:
        return RepairDialog::tr("Correct index entries");
    case RepairKind::MarkFailed:
        return RepairDialog::tr("Mark dead job failed");
    case RepairKind::RemoveStateFile:
        return RepairDialog::tr("Remove stale state file");
    case RepairKind::TerminateOrphan:
        return RepairDialog::tr("Terminate orphan process");
    case RepairKind::RemoveSessionDir:
        return RepairDialog::tr("Remove unused session dir");
    }
    return nameOf(kind);
}

RepairDialog::RepairDialog(const RepairPlan& plan, const QString& title, QWidget* parent)
    : QDialog(parent)
    , m_plan(plan)
    , m_pages(new QStackedWidget)
    , m_buttons(new QDialogButtonBox)
{
    setWindowTitle(title);
    if (m_plan.actions.isEmpty()) {
        resize(640, m_plan.notes.isEmpty() ? 160 : 320);
    } else {
        resize(1100, 620);
        setMinimumSize(640, 400);
    }

    m_pages->addWidget(buildPreviewPage());
    m_pages->addWidget(buildResultsPage());

    if (m_plan.actions.isEmpty()) {
        m_closeButton = m_buttons->addButton(QDialogButtonBox::Close);
    } else {
        m_applyButton = m_buttons->addButton(tr("&Apply"), QDialogButtonBox::ApplyRole);
        m_applyButton->setDefault(true);
        m_cancelButton = m_buttons->addButton(QDialogButtonBox::Cancel);
        connect(m_applyButton, &QPushButton::clicked, this, &RepairDialog::apply);
    }
    connect(m_buttons, &QDialogButtonBox::rejected, this, &RepairDialog::reject);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_pages);
    layout->addWidget(m_buttons);
    // Explicit: Qt 6.4's QDialogButtonBox leaves Apply out of the forward Tab order after the notes.
    if (m_applyButton) {
        QWidget::setTabOrder(m_previewTree, m_notes);
        QWidget::setTabOrder(m_notes, m_applyButton);
        QWidget::setTabOrder(m_applyButton, m_cancelButton);
    }
    updatePreviewHeader();
}

QWidget* RepairDialog::buildPreviewPage()
{
    auto* page = new QWidget;
    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 0, 0, 0);

    m_previewHeader = new QLabel;
    m_previewHeader->setObjectName(QStringLiteral("previewHeader"));
    m_previewHeader->setWordWrap(true);
    layout->addWidget(m_previewHeader);

    m_previewTree = makeTree({ tr("Change"), tr("What changes") });
    m_previewTree->setObjectName(QStringLiteral("previewTree"));
    m_previewTree->setColumnWidth(0, 230);
    m_previewTree->setContextMenuPolicy(Qt::CustomContextMenu);
    for (int i = 0; i < m_plan.actions.size(); ++i) {
        const RepairAction& a = m_plan.actions.at(i);
        auto* item = new QTreeWidgetItem(m_previewTree, { repairKindLabel(a.kind, a.kinds), a.summary });
        item->setData(0, kActionRole, i);
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsUserCheckable);
        item->setCheckState(0, Qt::Checked);
        const QString tip
            = tr("Action %1\nKinds: %2\n%3")
                  .arg(a.id, namesOf(a.kinds).join(QStringLiteral(", ")),
                      undoable(a.kind) ? tr("Undo can restore what it changes") : tr("Undo cannot restore it"));
        item->setToolTip(0, tip);
        item->setToolTip(1, a.summary + QLatin1Char('\n') + tip);
        addChildren(item, tr("Effect"), a.effects);
        if (a.kind == RepairKind::TerminateOrphan) {
            addChild(item, tr("Signals"),
                tr("PID %1: SIGTERM to its process group, SIGKILL if it is still there after 3 s").arg(a.pid));
            addChild(item, tr("Verified first"),
                tr("start time %1 ticks, a %2 command line%3; on any mismatch nothing is signalled")
                    .arg(a.startTicks)
                    .arg(adapterFor(a.family).daemonNoun())
                    .arg(a.endpoint.isEmpty() ? QString() : tr(", endpoint %1").arg(a.endpoint)));
            if (!a.sessionDir.isEmpty())
                addChild(
                    item, tr("Session dir"), tr("%1 (removed; its files kept in the quarantine)").arg(a.sessionDir));
        } else if (a.kind == RepairKind::RemoveSessionDir) {
            addChild(item, tr("Session dir"), a.sessionDir);
        } else {
            if (a.kind == RepairKind::MarkFailed)
                addChild(item, tr("Job"), tr("%1 (its process %2 is gone)").arg(a.jobId).arg(a.pid));
            addChild(item, tr("Target"), a.target);
        }
        addChild(item, tr("State dir"), a.stateDir);
    }
    m_previewTree->expandAll();
    connect(m_previewTree, &QTreeWidget::itemChanged, this, [this](QTreeWidgetItem* item, int column) {
        if (!item->parent() && column == 0)
            updatePreviewHeader();
    });
    connect(m_previewTree, &QWidget::customContextMenuRequested, this, &RepairDialog::showPreviewMenu);
    layout->addWidget(m_previewTree, 1);

    auto* checkAll = new QAction(tr("Check &All"), this);
    checkAll->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_A));
    connect(checkAll, &QAction::triggered, this, [this] { setCheckedAll(true); });
    auto* checkNone = new QAction(tr("Check &None"), this);
    checkNone->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A));
    connect(checkNone, &QAction::triggered, this, [this] { setCheckedAll(false); });
    addActions({ checkAll, checkNone });

    m_notesLabel
        = new QLabel(m_plan.notes.size() == 1 ? tr("Not repaired here (1 note):")
                                              : tr("Not repaired here (%n notes):", nullptr, int(m_plan.notes.size())));
    m_notes = new QPlainTextEdit(m_plan.notes.join(QLatin1Char('\n')));
    m_notes->setObjectName(QStringLiteral("notes"));
    m_notes->setReadOnly(true);
    m_notes->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    m_notes->setMaximumHeight(fontMetrics().lineSpacing() * 5 + 12);
    m_notesLabel->setVisible(!m_plan.notes.isEmpty());
    m_notes->setVisible(!m_plan.notes.isEmpty());
    layout->addWidget(m_notesLabel);
    layout->addWidget(m_notes);
    if (m_plan.actions.isEmpty()) {
        m_previewTree->hide();
        if (m_plan.notes.isEmpty())
            layout->addStretch(1);
        else
            m_notes->setMaximumHeight(QWIDGETSIZE_MAX); // the notes are all there is to read
    }
    return page;
}

QWidget* RepairDialog::buildResultsPage()
{
    auto* page = new QWidget;
    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 0, 0, 0);
    m_resultsHeader = new QLabel;
    m_resultsHeader->setObjectName(QStringLiteral("resultsHeader"));
    m_resultsHeader->setWordWrap(true);
    m_progress = new QProgressBar;
    m_progress->setObjectName(QStringLiteral("progress"));
    m_current = new QLabel;
    m_current->setObjectName(QStringLiteral("current"));
    m_current->setWordWrap(true);
    m_current->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_resultsTree = makeTree({ tr("Change"), tr("Outcome"), tr("Detail") });
    m_resultsTree->setObjectName(QStringLiteral("resultsTree"));
    m_resultsTree->setColumnWidth(0, 230);
    m_resultsTree->setColumnWidth(1, 120);
    m_summary = new QLabel;
    m_summary->setObjectName(QStringLiteral("summary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_resultsHeader);
    layout->addWidget(m_progress);
    layout->addWidget(m_current);
    layout->addWidget(m_resultsTree, 1);
    layout->addWidget(m_summary);
    return page;
}

QList<RepairAction> RepairDialog::checkedActions() const
{
    QList<RepairAction> out;
    for (int i = 0; i < m_previewTree->topLevelItemCount(); ++i) {
        const QTreeWidgetItem* item = m_previewTree->topLevelItem(i);
        if (item->checkState(0) == Qt::Checked)
            out.append(m_plan.actions.at(item->data(0, kActionRole).toInt()));
    }
    return out;
}

bool RepairDialog::setActionChecked(const QString& actionId, bool checked)
{
    if (m_applying || m_finished)
        return false;
    for (int i = 0; i < m_previewTree->topLevelItemCount(); ++i) {
        QTreeWidgetItem* item = m_previewTree->topLevelItem(i);
        if (m_plan.actions.at(item->data(0, kActionRole).toInt()).id == actionId) {
            item->setCheckState(0, checked ? Qt::Checked : Qt::Unchecked);
            return true;
        }
    }
    return false;
}

void RepairDialog::setCheckedAll(bool checked)
{
    if (m_applying || m_finished)
        return;
    for (int i = 0; i < m_previewTree->topLevelItemCount(); ++i)
        m_previewTree->topLevelItem(i)->setCheckState(0, checked ? Qt::Checked : Qt::Unchecked);
}

QString RepairDialog::headline() const
{
    return m_pages->currentIndex() == 0 ? m_previewHeader->text() : m_resultsHeader->text();
}

void RepairDialog::updatePreviewHeader()
{
    if (m_plan.actions.isEmpty()) {
        m_previewHeader->setText(tr("Nothing to repair."));
        return;
    }
    const QList<RepairAction> checked = checkedActions();
    const int n = int(checked.size());
    const int total = int(m_plan.actions.size());
    QStringList text;
    // No translation is loaded, so tr("%n change(s)") would show "(s)": each singular is its own string.
    text.append(n == total
            ? (n == 1 ? tr("1 change will be made.") : tr("%n changes will be made.", nullptr, n))
            : tr("%1 of %2 changes will be made (unchecked ones are left as they are).").arg(n).arg(total));
    text.append(tr("Nothing is deleted: previous versions go to the quarantine and can be undone."));
    const auto has = [&checked](auto matches) { return std::any_of(checked.cbegin(), checked.cend(), matches); };
    if (has([](const RepairAction& a) { return safetyOf(a.kind) == RepairSafety::SignalsProcess; }))
        text.append(tr("A terminated process cannot be brought back: each one's identity is verified again right "
                       "before it is signalled."));
    if (has([](const RepairAction& a) { return a.kind == RepairKind::ClearStaleLock; }))
        text.append(tr("A cleared lock is kept as evidence but never put back."));
    text.append(tr("Each change checks its preconditions again when it is applied and is skipped if they no longer "
                   "hold."));
    m_previewHeader->setText(text.join(QLatin1Char(' ')));
    if (m_applyButton) {
        m_applyButton->setText(n == 1 ? tr("&Apply 1 Change") : tr("&Apply %n Changes", nullptr, n));
        m_applyButton->setEnabled(n > 0);
    }
}

void RepairDialog::showPreviewMenu(const QPoint& pos)
{
    QTreeWidgetItem* item = m_previewTree->itemAt(pos);
    QMenu menu(this);
    if (item) {
        QTreeWidgetItem* top = item->parent() ? item->parent() : item;
        const RepairAction& a = m_plan.actions.at(top->data(0, kActionRole).toInt());
        menu.addAction(top->checkState(0) == Qt::Checked ? tr("&Uncheck") : tr("&Check"), this,
            [top] { top->setCheckState(0, top->checkState(0) == Qt::Checked ? Qt::Unchecked : Qt::Checked); });
        menu.addAction(tr("Copy &Target Path"), this, [a] { QApplication::clipboard()->setText(a.target); });
        menu.addAction(tr("Copy Action &ID"), this, [a] { QApplication::clipboard()->setText(a.id); });
        menu.addSeparator();
    }
    menu.addActions(actions());
    menu.setEnabled(!m_applying && !m_finished);
    menu.exec(m_previewTree->viewport()->mapToGlobal(pos));
}

void RepairDialog::apply()
{
    if (m_applying || m_finished)
        return;
    m_running = checkedActions();
    if (m_running.isEmpty())
        return;
    m_applying = true;

    m_resultsTree->clear();
    for (int i = 0; i < m_running.size(); ++i) {
        const RepairAction& a = m_running.at(i);
        auto* item = new QTreeWidgetItem(m_resultsTree, { repairKindLabel(a.kind, a.kinds), tr("Pending"), a.summary });
        item->setData(0, kActionRole, i);
        item->setToolTip(0, tr("Action %1").arg(a.id));
        item->setToolTip(2, a.summary);
        item->setForeground(1, palette().brush(QPalette::Disabled, QPalette::Text));
    }
    m_progress->setRange(0, int(m_running.size()));
    m_progress->setValue(0);
    m_progress->setFormat(tr("%v of %m"));
    m_resultsHeader->setText(
        m_running.size() == 1 ? tr("Applying 1 change…") : tr("Applying %n changes…", nullptr, int(m_running.size())));
    markCurrent(0);
    m_pages->setCurrentIndex(1);
    // Removed, not hidden: QDialogButtonBox shows its buttons again when one is added.
    m_buttons->removeButton(m_applyButton);
    m_applyButton->deleteLater();
    m_applyButton = nullptr;
    m_cancelButton->setEnabled(false);
    m_cancelButton->setToolTip(tr("Every change runs to its end; the dialog can be closed once all are done."));

    const RepairPlan plan { m_running, m_plan.notes };
    m_background.run(
        [plan, toDialog = m_mailbox.sender(), this] {
            // On the worker: `this` is only used inside what toDialog runs on the GUI thread.
            return applyPlan(plan, [toDialog, this](int done, int total, const RepairResult& r) {
                toDialog.post([this, done, total, r] { onProgress(done, total, r); });
            });
        },
        [this](const QList<RepairResult>& results) { onFinished(results); });
}

void RepairDialog::markCurrent(int index)
{
    if (index >= m_running.size()) {
        m_current->clear();
        return;
    }
    QTreeWidgetItem* item = m_resultsTree->topLevelItem(index);
    item->setText(1, tr("Applying…"));
    item->setIcon(1, style()->standardIcon(QStyle::SP_BrowserReload));
    item->setForeground(1, palette().brush(QPalette::Active, QPalette::Text));
    m_resultsTree->scrollToItem(item);
    m_current->setText(
        tr("Applying %1 of %2: %3").arg(index + 1).arg(m_running.size()).arg(m_running.at(index).summary));
    if (m_closeRefused)
        explainCloseRefused(); // it names the current item
}

void RepairDialog::onProgress(int done, int total, const RepairResult& result)
{
    m_progress->setMaximum(total);
    m_progress->setValue(done);
    if (QTreeWidgetItem* item = m_resultsTree->topLevelItem(done - 1))
        showResult(item, result);
    markCurrent(done);
}

void RepairDialog::showResult(QTreeWidgetItem* item, const RepairResult& r)
{
    qDeleteAll(item->takeChildren());
    item->setText(1, outcomeLabel(r.outcome));
    item->setIcon(1,
        style()->standardIcon(r.outcome == RepairResult::Outcome::Applied ? QStyle::SP_DialogApplyButton
                : r.outcome == RepairResult::Outcome::Skipped             ? QStyle::SP_MessageBoxWarning
                                                                          : QStyle::SP_MessageBoxCritical));
    item->setForeground(1, palette().brush(QPalette::Active, QPalette::Text));
    item->setText(2, r.detail);
    item->setToolTip(2, r.detail);
    addChildren(item, tr("Done"), r.applied);
    addChildren(item, tr("Not done"), r.skipped);
    if (!r.quarantineId.isEmpty())
        addChild(item, tr("Quarantine"), r.quarantineId);
    item->setExpanded(item->childCount() <= kExpandUpTo);
}

void RepairDialog::onFinished(const QList<RepairResult>& results)
{
    m_results = results;
    m_applying = false;
    m_finished = true;
    QHash<QString, RepairKind> kindOf;
    for (const RepairAction& a : m_plan.actions)
        kindOf.insert(a.id, a.kind);
    // A quarantine counts as restorable only for a kind Undo puts back: a cleared lock's copy is
    // evidence, never restored (the preview says so too).
    int done = 0, skipped = 0, failed = 0, kept = 0, evidence = 0;
    for (int i = 0; i < results.size(); ++i) {
        const RepairResult& r = results.at(i);
        if (QTreeWidgetItem* item = m_resultsTree->topLevelItem(i); item && item->text(1) != outcomeLabel(r.outcome))
            showResult(item, r); // progress normally filled it already
        done += r.outcome == RepairResult::Outcome::Applied;
        skipped += r.outcome == RepairResult::Outcome::Skipped;
        failed += r.outcome == RepairResult::Outcome::Failed;
        if (!r.quarantineId.isEmpty()) {
            const auto kind = kindOf.constFind(r.actionId);
            (kind != kindOf.cend() && !undoable(*kind) ? evidence : kept) += 1;
        }
    }
    m_progress->setValue(m_progress->maximum());
    m_current->clear();
    m_current->hide();
    m_resultsHeader->setText(tr("Done: %1 applied, %2 skipped, %3 failed.").arg(done).arg(skipped).arg(failed));
    QStringList summary;
    if (kept > 0)
        summary.append(kept == 1
                ? tr("1 quarantine keeps what was moved or replaced: Undo restores it.")
                : tr("%n quarantines keep what was moved or replaced: Undo restores them.", nullptr, kept));
    if (evidence > 0)
        summary.append(evidence == 1
                ? tr("1 quarantine keeps a copy as evidence only: Undo does not put it back.")
                : tr("%n quarantines keep copies as evidence only: Undo does not put them back.", nullptr, evidence));
    if (skipped > 0)
        summary.append(tr("A skipped change found its precondition no longer true and changed nothing."));
    if (failed > 0)
        summary.append(tr("See each failure's detail; the next scan shows what is still wrong."));
    m_summary->setText(summary.join(QLatin1Char(' ')));

    m_buttons->removeButton(m_cancelButton);
    m_cancelButton->deleteLater();
    m_cancelButton = nullptr;
    m_closeButton = m_buttons->addButton(QDialogButtonBox::Close);
    m_closeButton->setDefault(true);
    m_closeButton->setFocus();
    emit applied(results);
}

void RepairDialog::explainCloseRefused()
{
    m_summary->setText(tr("Cannot close yet: finishing the current item (%1 of %2). A change is never left halfway; "
                          "the dialog can be closed once all are done.")
                           .arg(qMin(m_progress->value() + 1, int(m_running.size())))
                           .arg(m_running.size()));
}

void RepairDialog::reject()
{
    if (m_applying) {
        m_closeRefused = true;
        explainCloseRefused();
        return;
    }
    QDialog::reject();
}

} // namespace Stateward
