// SPDX-License-Identifier: GPL-3.0-or-later
// codegraph's changes.journal (and its pid-nonce lock, when the input has a second part), written
// into a private .codegraph/ and scanned by the real adapter: reading the file included.
#include "fuzzsupport.h"
#include "sources/codegraphsource.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace Stateward;
    const QList<QByteArray> parts = FuzzSupport::splitInput(data, size, 2);
    const QString ws = FuzzSupport::dir(QStringLiteral("ws"));
    const QString stateDir = FuzzSupport::dir(QStringLiteral("ws/.codegraph"));
    FuzzSupport::put(stateDir + QStringLiteral("/changes.journal"), parts.at(0));
    FuzzSupport::put(stateDir + QStringLiteral("/changes.journal.lock"), FuzzSupport::part(parts, 1));
    static ScanContext context; // /proc tables read once: the scan's verdicts on them are not the target
    CodegraphSource().scan(ws, stateDir, context);
    return 0;
}
