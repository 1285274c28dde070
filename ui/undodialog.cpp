// SPDX-License-Identifier: GPL-3.0-or-later
#include "undodialog.h"

#include "repairdialog.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace Stateward {

namespace {

    constexpr int kItemRole = Qt::UserRole + 1; // index into m_items
    constexpr int kShortHash = 12;

    QString localTime(const QDateTime& t)
    {
        return t.isValid() ? t.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")) : QString();
    }

    QString keyOf(const QString& stateDir, const QString& id)
    {
        return stateDir + QLatin1Char('\n') + id;
    }

} // namespace

UndoDialog::UndoDialog(const QStringList& stateDirs, QWidget* parent)
    : QDialog(parent)
    , m_stateDirs(stateDirs)
    , m_list(new QTreeWidget)
    , m_detailHeader(new QLabel)
    , m_entries(new QTreeWidget)
    , m_actionJson(new QPlainTextEdit)
    , m_message(new MessageLine)
{
    setWindowTitle(tr("Undo Repairs"));
    resize(1000, 640);
    setMinimumSize(680, 440);

    auto* intro = new QLabel(tr("Each applied repair kept what it moved or replaced in a quarantine. Undo puts it back "
                                "byte for byte, and never over a file that changed since the repair."));
    intro->setWordWrap(true);

    m_list->setObjectName(QStringLiteral("quarantineList"));
    m_list->setHeaderLabels({ tr("Time"), tr("Kind"), tr("Target"), tr("Entries"), tr("Status") });
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->setAlternatingRowColors(true);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_list->setTextElideMode(Qt::ElideMiddle);
    m_list->setContextMenuPolicy(Qt::CustomContextMenu);
    m_list->setColumnWidth(0, 150);
    m_list->setColumnWidth(1, 190);
    m_list->setColumnWidth(2, 340);
    m_list->setColumnWidth(3, 60);
    connect(m_list, &QTreeWidget::itemSelectionChanged, this, [this] {
        showDetails();
        updateButtons();
    });
    connect(m_list, &QWidget::customContextMenuRequested, this, &UndoDialog::showListMenu);

    m_detailHeader->setObjectName(QStringLiteral("detailHeader"));
    m_detailHeader->setWordWrap(true);
    m_detailHeader->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_entries->setObjectName(QStringLiteral("entries"));
    m_entries->setHeaderLabels({ tr("Op"), tr("Path"), tr("Size"), tr("SHA-256") });
    m_entries->setRootIsDecorated(false);
    m_entries->setUniformRowHeights(true);
    m_entries->setTextElideMode(Qt::ElideMiddle);
    m_entries->setColumnWidth(0, 80);
    m_entries->setColumnWidth(1, 260);
    m_entries->setColumnWidth(2, 70);
    m_actionJson->setObjectName(QStringLiteral("actionJson"));
    m_actionJson->setReadOnly(true);
    m_actionJson->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_actionJson->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_actionJson->setPlaceholderText(tr("The repair action as planned"));

    auto* details = new QWidget;
    auto* detailsLayout = new QVBoxLayout(details);
    detailsLayout->setContentsMargins(0, 0, 0, 0);
    auto* detailSplit = new QSplitter(Qt::Horizontal);
    detailSplit->addWidget(m_entries);
    detailSplit->addWidget(m_actionJson);
    detailSplit->setSizes({ 500, 460 });
    detailsLayout->addWidget(m_detailHeader);
    detailsLayout->addWidget(detailSplit, 1);

    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(m_list);
    split->addWidget(details);
    split->setSizes({ 260, 240 });
    split->setChildrenCollapsible(false);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    m_undoButton = buttons->addButton(tr("&Undo"), QDialogButtonBox::ActionRole);
    m_undoButton->setObjectName(QStringLiteral("undoButton"));
    m_undoButton->setShortcut(QKeySequence::Undo);
    m_undoButton->setToolTip(tr("Restore the selected quarantine (%1)")
                                 .arg(QKeySequence(QKeySequence::Undo).toString(QKeySequence::NativeText)));
    m_undoButton->setDefault(true);
    m_refreshButton = buttons->addButton(tr("&Refresh"), QDialogButtonBox::ActionRole);
    m_refreshButton->setShortcut(QKeySequence::Refresh);
    connect(m_undoButton, &QPushButton::clicked, this, &UndoDialog::undoSelected);
    connect(m_refreshButton, &QPushButton::clicked, this, &UndoDialog::refresh);
    connect(buttons, &QDialogButtonBox::rejected, this, &UndoDialog::reject);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(split, 1);
    layout->addWidget(m_message);
    layout->addWidget(buttons);

    updateButtons();
    refresh();
}

namespace {

    // The action's kind as the repair dialog names it; a kind this version does not know, as written.
    QString kindLabel(const QJsonObject& action)
    {
        const QString name = action.value(QStringLiteral("kind")).toString();
        const std::optional<RepairKind> kind = repairKindNamed(name);
        if (!kind)
            return name;
        QList<RepairKind> kinds;
        for (const QJsonValue& v : action.value(QStringLiteral("kinds")).toArray()) {
            if (const std::optional<RepairKind> k = repairKindNamed(v.toString()))
                kinds.append(*k);
        }
        return repairKindLabel(*kind, kinds);
    }

} // namespace

QString UndoDialog::whyNotUndoable(const QuarantineInfo& info)
{
    if (!info.problem.isEmpty())
        return tr("cannot be read: %1").arg(info.problem);
    if (info.restoredAt.isValid())
        return tr("undone at %1").arg(localTime(info.restoredAt));
    if (hasRestorable(info))
        return {};
    const std::optional<RepairKind> kind = repairKindNamed(info.action.value(QStringLiteral("kind")).toString());
    if (kind && !undoable(*kind))
        return tr("cannot be undone: a terminated process cannot be restarted; its files are kept as evidence only");
    return tr("nothing to restore: a cleared lock is kept as evidence only");
}

void UndoDialog::refresh()
{
    if (!m_list->selectedItems().isEmpty() && m_reselect.isEmpty()) {
        const Item* item = selectedItem();
        m_reselect = keyOf(item->stateDir, item->info.id);
    }
    const QStringList dirs = m_stateDirs;
    m_background.run(
        [dirs] {
            QList<Item> items;
            for (const QString& dir : dirs) {
                for (const QuarantineInfo& q : listQuarantines(dir))
                    items.append({ dir, q });
            }
            // Ids start with the UTC time: they order the unreadable ones, whose time is unknown.
            std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
                if (a.info.createdAt != b.info.createdAt)
                    return a.info.createdAt > b.info.createdAt;
                return a.info.id > b.info.id;
            });
            return items;
        },
        [this](const QList<Item>& items) {
            if (m_background.pending() > 0)
                return; // a newer listing (after an undo or another refresh) is on its way
            populate(items);
            emit refreshed();
        });
    updateButtons();
}

void UndoDialog::populate(const QList<Item>& items)
{
    m_items = items;
    QSignalBlocker blocker(m_list);
    m_list->clear();
    const QBrush grey = palette().brush(QPalette::Disabled, QPalette::Text);
    QTreeWidgetItem* reselect = nullptr;
    for (int i = 0; i < m_items.size(); ++i) {
        const QuarantineInfo& q = m_items.at(i).info;
        const QString kind = q.action.value(QStringLiteral("kind")).toString();
        const QString target = q.action.value(QStringLiteral("target")).toString();
        const QString why = whyNotUndoable(q);
        auto* row = new QTreeWidgetItem(m_list,
            { localTime(q.createdAt), kindLabel(q.action), target, QString::number(q.entries.size()),
                why.isEmpty() ? tr("can be undone") : why });
        row->setData(0, kItemRole, i);
        row->setTextAlignment(3, Qt::AlignRight | Qt::AlignVCenter);
        row->setToolTip(0, tr("Quarantine %1\n%2").arg(q.id, q.path));
        row->setToolTip(1, kind);
        row->setToolTip(2, target);
        row->setToolTip(4, why);
        if (!why.isEmpty()) {
            for (int c = 0; c < m_list->columnCount(); ++c)
                row->setForeground(c, grey);
        }
        if (keyOf(m_items.at(i).stateDir, q.id) == m_reselect)
            reselect = row;
    }
    m_reselect.clear();
    if (!reselect && m_list->topLevelItemCount() > 0)
        reselect = m_list->topLevelItem(0);
    if (reselect)
        m_list->setCurrentItem(reselect);
    blocker.unblock();
    showDetails();
    updateButtons();
    if (m_items.isEmpty() && !m_lastResult)
        setMessage(tr("No quarantines in %1: no repair has changed anything there yet.")
                       .arg(m_stateDirs.isEmpty() ? tr("any state directory") : m_stateDirs.join(QStringLiteral(", "))),
            QStyle::SP_MessageBoxInformation);
}

const UndoDialog::Item* UndoDialog::selectedItem() const
{
    const QList<QTreeWidgetItem*> selected = m_list->selectedItems();
    if (selected.isEmpty())
        return nullptr;
    const int i = selected.first()->data(0, kItemRole).toInt();
    return i >= 0 && i < m_items.size() ? &m_items.at(i) : nullptr;
}

bool UndoDialog::selectQuarantine(const QString& id)
{
    for (int i = 0; i < m_list->topLevelItemCount(); ++i) {
        QTreeWidgetItem* row = m_list->topLevelItem(i);
        if (m_items.at(row->data(0, kItemRole).toInt()).info.id == id) {
            m_list->setCurrentItem(row);
            return true;
        }
    }
    return false;
}

QString UndoDialog::selectedId() const
{
    const Item* item = selectedItem();
    return item ? item->info.id : QString();
}

bool UndoDialog::canUndoSelected() const
{
    const Item* item = selectedItem();
    return item && !isBusy() && whyNotUndoable(item->info).isEmpty();
}

QString UndoDialog::message() const
{
    return m_message->text();
}

void UndoDialog::updateButtons()
{
    m_undoButton->setEnabled(canUndoSelected());
    m_refreshButton->setEnabled(!isBusy());
}

void UndoDialog::showDetails()
{
    m_entries->clear();
    m_actionJson->clear();
    const Item* item = selectedItem();
    if (!item) {
        m_detailHeader->setText(m_items.isEmpty() ? QString() : tr("Select a quarantine to see what it keeps."));
        return;
    }
    const QuarantineInfo& q = item->info;
    QStringList header { tr("Quarantine %1 in %2").arg(q.id, q.path) };
    if (const QString why = whyNotUndoable(q); !why.isEmpty())
        header.append(tr("Undo is not available: %1.").arg(why));
    m_detailHeader->setText(header.join(QLatin1Char('\n')));
    for (const QuarantineEntry& e : q.entries) {
        const QString op = e.toJson().value(QStringLiteral("op")).toString();
        const QString size = e.directory ? tr("folder") : QLocale().formattedDataSize(e.size);
        auto* row
            = new QTreeWidgetItem(m_entries, { op, e.path, size, QString::fromLatin1(e.sha256.left(kShortHash)) });
        row->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
        row->setToolTip(1,
            e.aside ? tr("%1\nset aside in the state dir as %2 (the tool's own convention)").arg(e.path, e.stored)
                    : tr("%1\nkept as %2").arg(e.path, e.stored));
        row->setToolTip(3, QString::fromLatin1(e.sha256));
    }
    m_actionJson->setPlainText(QString::fromUtf8(QJsonDocument(q.action).toJson(QJsonDocument::Indented)));
}

void UndoDialog::setMessage(const QString& text, QStyle::StandardPixmap icon)
{
    m_message->setMessage(text, icon);
}

void UndoDialog::undoSelected()
{
    if (!canUndoSelected())
        return;
    const Item* item = selectedItem();
    const QString dir = item->stateDir;
    const QString id = item->info.id;
    m_reselect = keyOf(dir, id);
    setMessage(tr("Restoring %1…").arg(id), QStyle::SP_BrowserReload);
    m_background.run([dir, id] { return undoQuarantine(dir, id); },
        [this](const UndoResult& r) {
            m_lastResult = r;
            QStringList lines;
            QStyle::StandardPixmap icon = QStyle::SP_MessageBoxInformation;
            if (!r.error.isEmpty()) {
                lines.append(tr("Undo of %1 failed: %2").arg(r.id, r.error));
                icon = QStyle::SP_MessageBoxCritical;
            } else {
                lines.append(r.ok ? tr("Undo of %1: everything restorable is back.").arg(r.id)
                                  : tr("Undo of %1 was only partly done: some files were refused.").arg(r.id));
                if (!r.ok)
                    icon = QStyle::SP_MessageBoxWarning;
                for (const QString& p : r.restored)
                    lines.append(tr("Restored: %1").arg(p));
                for (const QString& p : r.refused)
                    lines.append(tr("Refused: %1").arg(p));
                for (const QString& p : r.notRestorable)
                    lines.append(tr("Not restorable: %1").arg(p));
                for (const QString& p : r.unchanged) // an interrupted repair had not changed it yet
                    lines.append(tr("Unchanged: %1").arg(p));
            }
            setMessage(lines.join(QLatin1Char('\n')), icon);
            emit undone(r);
            refresh();
        });
    updateButtons();
}

void UndoDialog::showListMenu(const QPoint& pos)
{
    QTreeWidgetItem* row = m_list->itemAt(pos);
    if (!row)
        return;
    m_list->setCurrentItem(row);
    const Item* item = selectedItem();
    if (!item)
        return;
    QMenu menu(this);
    QAction* undo = menu.addAction(tr("&Undo"), this, &UndoDialog::undoSelected);
    undo->setShortcut(QKeySequence::Undo);
    undo->setEnabled(canUndoSelected());
    menu.addSeparator();
    const QString id = item->info.id;
    const QString path = item->info.path;
    menu.addAction(tr("Copy Quarantine &ID"), this, [id] { QApplication::clipboard()->setText(id); });
    menu.addAction(tr("Copy Quarantine &Folder"), this, [path] { QApplication::clipboard()->setText(path); });
    menu.exec(m_list->viewport()->mapToGlobal(pos));
}

} // namespace Stateward
