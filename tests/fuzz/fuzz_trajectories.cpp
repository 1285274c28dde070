// SPDX-License-Identifier: GPL-3.0-or-later
// agent-trajectories' index.json and records, written into a private .trajectories/ (index era:
// index.json, active/<id>.json, completed/YYYY-MM/<id>.json) and scanned by the real adapter.
// Input parts: index.json, then an active record, then a completed one.
#include "fuzzsupport.h"
#include "sources/trajectoriessource.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace Stateward;
    QList<QByteArray> parts = FuzzSupport::splitInput(data, size, 3);
    const QString ws = FuzzSupport::dir(QStringLiteral("ws"));
    const QString stateDir = FuzzSupport::dir(QStringLiteral("ws/.trajectories"));
    FuzzSupport::expand(parts, { { "@WS@", ws } });
    FuzzSupport::dir(QStringLiteral("ws/.trajectories/active"));
    FuzzSupport::dir(QStringLiteral("ws/.trajectories/completed/2026-01"));
    FuzzSupport::put(stateDir + QStringLiteral("/index.json"), parts.at(0));
    FuzzSupport::put(stateDir + QStringLiteral("/active/traj_fuzzactive01.json"), FuzzSupport::part(parts, 1));
    FuzzSupport::put(stateDir + QStringLiteral("/completed/2026-01/traj_fuzzdone01.json"), FuzzSupport::part(parts, 2));
    static ScanContext context;
    TrajectoriesSource().scan(ws, stateDir, context);
    return 0;
}
