// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "snapshot/snapshot.h"

#include <QSet>
#include <QSortFilterProxyModel>

#include <optional>

namespace Stateward {

// Sorts a KeyedModel by its SortRole and filters it by: text (case-insensitive, any column),
// family, and minimum severity (rows of models without a SeverityRole pass that test).
class FilterProxy : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit FilterProxy(QObject* parent = nullptr);

    QString filterText() const { return m_text; }
    void setFilterText(const QString& text);

    std::optional<Severity> minimumSeverity() const { return m_minimumSeverity; }
    void setMinimumSeverity(std::optional<Severity> severity);

    // Empty: every family.
    QSet<Family> families() const { return m_families; }
    void setFamilies(const QSet<Family>& families);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    QString m_text;
    std::optional<Severity> m_minimumSeverity;
    QSet<Family> m_families;
};

} // namespace Stateward
