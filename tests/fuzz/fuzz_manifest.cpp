// SPDX-License-Identifier: GPL-3.0-or-later
// The undo manifest: a quarantine's manifest.json (and one kept file, when the input has a second
// part) written into a private state dir, listed and then undone by the real code. Undo only ever
// writes inside the state dir, or a $TMPDIR/cxc-* session dir: both are in the scratch dir.
#include "fuzzsupport.h"
#include "repair/quarantine.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace Stateward;
    QList<QByteArray> parts = FuzzSupport::splitInput(data, size, 2);
    const QString stateDir = FuzzSupport::freshDir(QStringLiteral("state"));
    FuzzSupport::expand(parts, { { "@WS@", FuzzSupport::scratchDir() }, { "@STATE@", stateDir } });
    const QString id = QStringLiteral("20260101T000000Z-0001-fuzz");
    const QString quarantine = stateDir + QStringLiteral("/.stateward/quarantine/") + id;
    QDir().mkpath(quarantine + QStringLiteral("/files"));
    FuzzSupport::put(quarantine + QStringLiteral("/manifest.json"), parts.at(0));
    FuzzSupport::put(quarantine + QStringLiteral("/files/0-kept"), FuzzSupport::part(parts, 1));
    for (const QuarantineInfo& info : listQuarantines(stateDir))
        info.toJson();
    undoQuarantine(stateDir, id).toJson();
    return 0;
}
