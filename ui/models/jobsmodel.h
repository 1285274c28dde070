// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "models/keyedmodel.h"

namespace Stateward {

// Jobs of every family (trajectories, codex jobs, …) in every snapshot.
class JobsModel : public KeyedRowModel<Job>
{
    Q_OBJECT
public:
    enum Column
    {
        FamilyColumn,
        JobColumn,
        TitleColumn,
        StatusColumn,
        PidColumn,
        AliveColumn,
        AgeColumn,
        WorkspaceColumn,
        ColumnCount
    };

    explicit JobsModel(QObject* parent = nullptr);

protected:
    QVariant rowData(const JobRow& row, int column, int role) const override;
};

} // namespace Stateward
