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
    // How long a file whose name carries no PID may sit unopened before it is litter; 0: the
    // default for a tmp file that a writer renames within milliseconds.
    qint64 idleLimitMs = 0;
    friend bool operator==(const TmpFileName&, const TmpFileName&) = default;
};

TmpFileName recogniseTmpName(const QString& fileName);

// A file in a tool's own tmp directory, whose name is a tmp name only there: gstack's
// `.gstack/tmp/` (its TMP_ROOT when neither TMPDIR nor TMP is set) and the codex skill's mktemp
// scratch files in it, `codex-{err,prompt,resp}-XXXXXX` (docs/formats/gstack.md).
TmpFileName recogniseGstackScratchName(const QString& fileName);

} // namespace Stateward
