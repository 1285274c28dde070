// SPDX-License-Identifier: GPL-3.0-or-later
// gstack's .gstack/browse.json (and its pid-only lock, when the input has a second part), written
// into a private workspace and scanned by the real adapter.
#include "fuzzsupport.h"
#include "sources/gstacksource.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace Stateward;
    QList<QByteArray> parts = FuzzSupport::splitInput(data, size, 2);
    const QString ws = FuzzSupport::dir(QStringLiteral("ws"));
    const QString stateDir = FuzzSupport::dir(QStringLiteral("ws/.gstack"));
    FuzzSupport::expand(parts, { { "@WS@", ws } });
    FuzzSupport::put(stateDir + QStringLiteral("/browse.json"), parts.at(0));
    FuzzSupport::put(stateDir + QStringLiteral("/browse.json.lock"), FuzzSupport::part(parts, 1));
    static ScanContext context;
    GstackSource().scan(ws, stateDir, context);
    return 0;
}
