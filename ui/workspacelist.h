// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QAbstractListModel>
#include <QStringList>

namespace Stateward {

// The workspaces the user opened, in the order they were added, persisted with QSettings.
// Rows are inserted and removed one at a time so selection survives changes.
class WorkspaceListModel : public QAbstractListModel
{
    Q_OBJECT
public:
    enum Role
    {
        PathRole = Qt::UserRole + 1
    };

    explicit WorkspaceListModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

    // Returns the row of path, adding it (canonical, absolute) when new; -1 when it is not a directory.
    int addWorkspace(const QString& path);
    bool removeWorkspace(int row);
    QStringList workspaces() const { return m_paths; }

    void load(const QStringList& paths);

private:
    QStringList m_paths;
};

} // namespace Stateward
