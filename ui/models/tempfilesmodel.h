// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "models/keyedmodel.h"

namespace Stateward {

// Recognised tmp files (atomic-write leftovers, steal files) and whether anyone will finish them.
class TempFilesModel : public KeyedRowModel<TempFile>
{
    Q_OBJECT
public:
    enum Column
    {
        FamilyColumn,
        FileColumn,
        TargetColumn,
        WriterPidColumn,
        WriterColumn,
        OpenByColumn,
        SizeColumn,
        AgeColumn,
        StateColumn,
        WorkspaceColumn,
        ColumnCount
    };

    explicit TempFilesModel(QObject* parent = nullptr);

protected:
    QVariant rowData(const TempFileRow& row, int column, int role) const override;
};

} // namespace Stateward
