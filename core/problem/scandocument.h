// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "problem/problem.h"
#include "snapshot/jsonstream.h"

#include <QList>
#include <QStringList>

namespace Stateward {

// The document `stateward-cli scan --json` prints, schema stateward-scan/2 (docs/scan-schema.md).
// Its lists are made as they are written: the arguments must outlive the members.
JsonMembers scanDocument(
    const QStringList& workspaces, const QList<Problem>& problems, const QList<Snapshot>& snapshots);

} // namespace Stateward
