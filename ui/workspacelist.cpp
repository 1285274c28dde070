// SPDX-License-Identifier: GPL-3.0-or-later
#include "workspacelist.h"

#include <QDir>
#include <QFileInfo>

namespace Stateward {

WorkspaceListModel::WorkspaceListModel(QObject* parent)
    : QAbstractListModel(parent)
{ }

int WorkspaceListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_paths.size();
}

QVariant WorkspaceListModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const QString& path = m_paths.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return QFileInfo(path).fileName().isEmpty() ? path : QFileInfo(path).fileName();
    case Qt::ToolTipRole:
    case PathRole:
        return path;
    default:
        return {};
    }
}

int WorkspaceListModel::addWorkspace(const QString& path)
{
    const QFileInfo info(path);
    if (!info.isDir())
        return -1;
    const QString canonical = info.canonicalFilePath();
    if (const qsizetype existing = m_paths.indexOf(canonical); existing >= 0)
        return int(existing);
    const int row = int(m_paths.size());
    beginInsertRows({}, row, row);
    m_paths.append(canonical);
    endInsertRows();
    return row;
}

bool WorkspaceListModel::removeWorkspace(int row)
{
    if (row < 0 || row >= m_paths.size())
        return false;
    beginRemoveRows({}, row, row);
    m_paths.removeAt(row);
    endRemoveRows();
    return true;
}

void WorkspaceListModel::load(const QStringList& paths)
{
    for (const QString& path : paths)
        addWorkspace(path);
}

} // namespace Stateward
