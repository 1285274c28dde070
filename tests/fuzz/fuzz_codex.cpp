// SPDX-License-Identifier: GPL-3.0-or-later
// The Codex plugin's state.json, a job file and broker.json, written into a private state dir and
// scanned by the real adapter. Input parts: state.json, jobs/<id>.json, broker.json.
#include "fuzzsupport.h"
#include "sources/codexsource.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace Stateward;
    QList<QByteArray> parts = FuzzSupport::splitInput(data, size, 3);
    const QString ws = FuzzSupport::dir(QStringLiteral("ws"));
    const QString stateDir = FuzzSupport::dir(QStringLiteral("state/ws-0123456789abcdef"));
    FuzzSupport::dir(QStringLiteral("state/ws-0123456789abcdef/jobs"));
    FuzzSupport::expand(parts, { { "@WS@", ws }, { "@STATE@", stateDir }, { "@TMP@", QDir::tempPath() } });
    FuzzSupport::put(stateDir + QStringLiteral("/state.json"), parts.at(0));
    FuzzSupport::put(stateDir + QStringLiteral("/jobs/task-mfuzz01-abc123.json"), FuzzSupport::part(parts, 1));
    FuzzSupport::put(stateDir + QStringLiteral("/broker.json"), FuzzSupport::part(parts, 2));
    static ScanContext context;
    CodexSource().scan(ws, stateDir, context);
    return 0;
}
