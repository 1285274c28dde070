// SPDX-License-Identifier: GPL-3.0-or-later
#include "filterproxy.h"

#include "models/keyedmodel.h"

namespace Stateward {

FilterProxy::FilterProxy(QObject* parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(KeyedModel::SortRole);
    setSortCaseSensitivity(Qt::CaseInsensitive);
    setFilterCaseSensitivity(Qt::CaseInsensitive);
    setFilterKeyColumn(-1);
    setFilterRole(Qt::DisplayRole);
}

void FilterProxy::setFilterText(const QString& text)
{
    if (text == m_text)
        return;
    m_text = text;
    setFilterFixedString(text); // the base class matches it against every column's display text
}

void FilterProxy::setMinimumSeverity(std::optional<Severity> severity)
{
    if (severity == m_minimumSeverity)
        return;
    m_minimumSeverity = severity;
    invalidateRowsFilter();
}

void FilterProxy::setFamilies(const QSet<Family>& families)
{
    if (families == m_families)
        return;
    m_families = families;
    invalidateRowsFilter();
}

bool FilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const
{
    const QAbstractItemModel* source = sourceModel();
    const QModelIndex first = source->index(sourceRow, 0, sourceParent);
    if (!m_families.isEmpty()) {
        const QVariant family = source->data(first, KeyedModel::FamilyRole);
        if (family.isValid() && !m_families.contains(Family(family.toInt())))
            return false;
    }
    if (m_minimumSeverity) {
        const QVariant severity = source->data(first, KeyedModel::SeverityRole);
        if (severity.isValid() && severity.toInt() < int(*m_minimumSeverity))
            return false;
    }
    return QSortFilterProxyModel::filterAcceptsRow(sourceRow, sourceParent);
}

} // namespace Stateward
