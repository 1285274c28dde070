// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace Stateward {

// What a tmp-looking file name says about itself: which tool wrote it, for which file, and
// (where the name encodes it) which process. Names only: whether it is orphaned is judged
// elsewhere, from the owner's liveness and open-fd evidence.
struct TmpFileName
{
    bool recognised = false;
    QString family; // "trajectories", "codegraph", "gstack", "stateward"
    QString pattern; // the naming convention, e.g. "index.json.<pid>.<uuid>.tmp"
    QString target; // file name the tmp would have become (same directory)
    qint64 ownerPid = -1; // -1 when the name carries no PID
    friend bool operator==(const TmpFileName&, const TmpFileName&) = default;
};

TmpFileName recogniseTmpName(const QString& fileName);

} // namespace Stateward
