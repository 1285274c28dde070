// SPDX-License-Identifier: GPL-3.0-or-later
#include "scandocument.h"

#include <QJsonArray>

namespace Stateward {

JsonMembers scanDocument(
    const QStringList& workspaces, const QList<Problem>& problems, const QList<Snapshot>& snapshots)
{
    return JsonMembers {
        { QStringLiteral("schema"), QStringLiteral("stateward-scan/2"), {} },
        { QStringLiteral("workspaces"), QJsonArray::fromStringList(workspaces), {} },
        { QStringLiteral("problems"), {},
            [&problems](JsonArraySink& sink) {
                for (const Problem& p : problems)
                    sink.append(p.toJson());
            } },
        { QStringLiteral("snapshots"), {},
            [&snapshots](JsonArraySink& sink) {
                for (const Snapshot& s : snapshots)
                    sink.appendObject(s.jsonMembers());
            } },
    };
}

} // namespace Stateward
