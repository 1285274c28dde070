// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "models/keyedmodel.h"

namespace Stateward {

// What the scans found wrong, with severity, evidence and the repairs that would fix it.
class FindingsModel : public KeyedRowModel<Finding>
{
    Q_OBJECT
public:
    enum Column
    {
        SeverityColumn,
        CodeColumn,
        SubjectColumn,
        SummaryColumn,
        EvidenceColumn,
        RepairsColumn,
        FamilyColumn,
        WorkspaceColumn,
        ColumnCount
    };

    explicit FindingsModel(QObject* parent = nullptr);

protected:
    QVariant rowData(const FindingRow& row, int column, int role) const override;
};

} // namespace Stateward
