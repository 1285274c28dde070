// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "background.h"
#include "messageline.h"
#include "repair/quarantine.h"

#include <QDialog>
#include <QList>
#include <QStringList>
#include <QStyle>

#include <optional>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTreeWidget;

namespace Stateward {

// Every quarantine the repairs left in some state directories, newest first, with what each kept;
// Undo restores the selected one byte-identically (undoQuarantine) and says what it restored,
// refused or cannot restore. Listing and restoring run on a worker thread.
class UndoDialog : public QDialog
{
    Q_OBJECT
public:
    struct Item
    {
        QString stateDir;
        QuarantineInfo info;
    };

    explicit UndoDialog(const QStringList& stateDirs, QWidget* parent = nullptr);

    const QStringList& stateDirs() const { return m_stateDirs; }
    const QList<Item>& items() const { return m_items; } // newest first, as listed
    bool isBusy() const { return m_background.pending() > 0; } // listing or restoring
    // Selects the quarantine with this id (the first, should two state dirs share one); false if none.
    bool selectQuarantine(const QString& id);
    QString selectedId() const;
    bool canUndoSelected() const;
    QString message() const; // what the last undo did, or why it could not
    const std::optional<UndoResult>& lastResult() const { return m_lastResult; }

    // Why Undo is unavailable for this quarantine, or "" when it can be undone.
    static QString whyNotUndoable(const QuarantineInfo& info);

public slots:
    void refresh();
    void undoSelected();

signals:
    void undone(const UndoResult& result);
    void refreshed(); // the list shows the state dirs as they are now

private:
    void populate(const QList<Item>& items);
    void showDetails();
    void updateButtons();
    void setMessage(const QString& text, QStyle::StandardPixmap icon);
    void showListMenu(const QPoint& pos);
    const Item* selectedItem() const;

    QStringList m_stateDirs;
    QList<Item> m_items;
    std::optional<UndoResult> m_lastResult;
    QString m_reselect; // "<state dir>\n<id>" to select again after a refresh

    QTreeWidget* m_list;
    QLabel* m_detailHeader;
    QTreeWidget* m_entries;
    QPlainTextEdit* m_actionJson;
    MessageLine* m_message;
    QPushButton* m_undoButton;
    QPushButton* m_refreshButton;
    BackgroundRunner m_background;
};

} // namespace Stateward
