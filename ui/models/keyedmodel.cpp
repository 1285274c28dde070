// SPDX-License-Identifier: GPL-3.0-or-later
#include "keyedmodel.h"

namespace Stateward {

KeyedModel::KeyedModel(QList<Column> columns, int ageColumn, QObject* parent)
    : QAbstractTableModel(parent)
    , m_columns(std::move(columns))
    , m_ageColumn(ageColumn)
{ }

int KeyedModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_columns.size());
}

QVariant KeyedModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= m_columns.size())
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (role) {
    case Qt::DisplayRole:
        return m_columns.at(section).title;
    case Qt::ToolTipRole:
        return m_columns.at(section).description;
    case Qt::TextAlignmentRole:
        return int(Qt::AlignVCenter | (m_columns.at(section).numeric ? Qt::AlignRight : Qt::AlignLeft));
    default:
        return {};
    }
}

Qt::ItemFlags KeyedModel::flags(const QModelIndex& index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    return Qt::ItemIsSelectable | Qt::ItemIsEnabled | Qt::ItemNeverHasChildren;
}

QHash<int, QByteArray> KeyedModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractTableModel::roleNames();
    names.insert(IdRole, "id");
    names.insert(RowRole, "row");
    names.insert(JsonRole, "json");
    names.insert(SortRole, "sort");
    names.insert(FamilyRole, "family");
    names.insert(SeverityRole, "severity");
    return names;
}

QModelIndex KeyedModel::indexOf(const QString& id, int column) const
{
    const int row = rowOf(id);
    return row < 0 ? QModelIndex() : index(row, column);
}

void KeyedModel::setNow(const QDateTime& now)
{
    if (!now.isValid() || now == m_now)
        return;
    m_now = now;
    const int rows = rowCount();
    if (m_ageColumn >= 0 && rows > 0)
        Q_EMIT dataChanged(index(0, m_ageColumn), index(rows - 1, m_ageColumn));
}

qint64 KeyedModel::ageMs(const QDateTime& since) const
{
    if (!since.isValid() || !m_now.isValid())
        return -1;
    return qMax<qint64>(0, since.msecsTo(m_now));
}

QVariant KeyedModel::ageSortValue(const QDateTime& since) const
{
    const qint64 ms = ageMs(since);
    return ms < 0 ? QVariant() : QVariant(ms);
}

bool KeyedModel::isNumericColumn(int column) const
{
    return column >= 0 && column < m_columns.size() && m_columns.at(column).numeric;
}

QDateTime KeyedModel::latestScan(const QList<Snapshot>& snapshots)
{
    QDateTime latest;
    for (const Snapshot& s : snapshots) {
        if (s.scannedAt.isValid() && (!latest.isValid() || s.scannedAt > latest))
            latest = s.scannedAt;
    }
    return latest;
}

} // namespace Stateward
