// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace Stateward {

// Every repair Stateward knows, in the order a plan applies them: locks first (a stale lock would
// block the rest), then litter, index rewrites, jobs, state files, processes. Its name, safety
// and apply function are in one table (repair.cpp); the name is used only where JSON or the
// command line spells a kind.
enum class RepairKind
{
    ClearStaleLock,
    SweepTmp,
    QuarantineInvalid,
    ReplaceCorruptIndex, // the index kinds: every one for a state dir is done in one rewrite
    Reindex,
    DropDanglingEntry,
    FixIndexEntry,
    MarkFailed,
    RemoveStateFile,
    TerminateOrphan,
    RemoveSessionDir,
};

enum class RepairSafety
{
    Safe, // changes files only, each kept in the quarantine or re-checked first
    SignalsProcess, // signals a live process: planned only when someone asks for it
    NeedsDecision, // a choice only a human can make: planned only when someone asks for it
};

// Every kind, in apply order.
const QList<RepairKind>& repairKinds();
// The kind's name in JSON and on the command line ("clear-stale-lock", …).
QString nameOf(RepairKind kind);
QStringList namesOf(const QList<RepairKind>& kinds);
std::optional<RepairKind> repairKindNamed(QStringView name);
RepairSafety safetyOf(RepairKind kind);
// "safe", "signals-process", "needs-decision": as JSON spells a safety.
QString nameOf(RepairSafety safety);
// Whether Undo can put back what the repair changed (a cleared lock is kept as evidence only; a
// signalled process cannot be restarted).
bool undoable(RepairKind kind);
// The kinds that rewrite a tool's index; a plan combines them into one rewrite per index file.
bool rewritesIndex(RepairKind kind);

} // namespace Stateward
