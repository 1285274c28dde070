// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "models/keyedmodel.h"

namespace Stateward {

// Every lock file in every state directory, with the judge's verdict and why.
class LocksModel : public KeyedRowModel<LockHolder>
{
    Q_OBJECT
public:
    enum Column
    {
        FamilyColumn,
        FileColumn,
        DialectColumn,
        HolderColumn,
        VerdictColumn,
        ReasonColumn,
        AgeColumn,
        WorkspaceColumn,
        ColumnCount
    };

    explicit LocksModel(QObject* parent = nullptr);

protected:
    QVariant rowData(const LockRow& row, int column, int role) const override;
};

} // namespace Stateward
