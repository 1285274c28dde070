// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "models/keyedmodel.h"

namespace Stateward {

// Brokers and daemons: the ones state files name and the orphans found by scanning processes.
class BrokersModel : public KeyedRowModel<Broker>
{
    Q_OBJECT
public:
    enum Column
    {
        FamilyColumn,
        BrokerColumn,
        PidColumn,
        AliveColumn,
        IdentityColumn,
        EndpointColumn,
        ReachableColumn,
        ReferencedByColumn,
        WorkspaceColumn,
        ColumnCount
    };

    explicit BrokersModel(QObject* parent = nullptr);

protected:
    QVariant rowData(const BrokerRow& row, int column, int role) const override;
};

} // namespace Stateward
