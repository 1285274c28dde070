// SPDX-License-Identifier: GPL-3.0-or-later
#include "locksmodel.h"

#include "models/statusglyphs.h"

namespace Stateward {

namespace {

    QString holderText(const LockVerdict& v)
    {
        QString text;
        if (v.content.pid > 0) {
            text = v.foreignHost ? LocksModel::tr("PID %1 on %2").arg(v.content.pid).arg(v.content.host)
                                 : LocksModel::tr("PID %1 (%2)").arg(v.content.pid).arg(nameOf(v.liveness));
        } else if (v.content.empty) {
            text = LocksModel::tr("empty file");
        } else {
            text = LocksModel::tr("no PID");
        }
        if (!v.openHolders.isEmpty())
            text += LocksModel::tr(", open by %1").arg(pidList(v.openHolders));
        return text;
    }

    Glyph holderGlyph(const LockVerdict& v)
    {
        if (v.foreignHost)
            return Glyph::Unknown; // another host's PID says nothing here
        if (v.content.pid <= 0 && !v.openHolders.isEmpty())
            return Glyph::Alive;
        return glyphFor(v.content.pid, v.liveness);
    }

    int verdictRank(LockState state)
    {
        switch (state) {
        case LockState::Held:
            return 0;
        case LockState::Suspect:
            return 1;
        case LockState::Stale:
            return 2;
        case LockState::Unknown:
            break;
        }
        return 3;
    }

    QString verdictText(const LockVerdict& v)
    {
        return v.removable ? LocksModel::tr("%1, removable").arg(nameOf(v.state)) : nameOf(v.state);
    }

} // namespace

LocksModel::LocksModel(QObject* parent)
    : KeyedRowModel(&Snapshot::locks, &SnapshotChanges::locks,
        {
            { tr("Family"), tr("The tool that keeps this state directory") },
            { tr("File"), tr("The lock file, relative to its workspace") },
            { tr("Dialect"), tr("The locking convention, judged and released by its own rules") },
            { tr("Holder"), tr("The process the lock names, and processes that have it open") },
            { tr("Verdict"), tr("held, stale (its holder is gone), suspect (a human decides) or unknown") },
            { tr("Reason"), tr("What was checked, with figures") },
            { tr("Age"), tr("Time since the lock file was last modified"), true },
            { tr("Workspace"), {} },
        },
        AgeColumn, parent)
{ }

QVariant LocksModel::rowData(const LockRow& row, int column, int role) const
{
    const LockVerdict& v = row.item.verdict;
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case FamilyColumn:
            return nameOf(row.origin.family);
        case FileColumn:
            return workspacePath(v.path, row.origin);
        case DialectColumn:
            return nameOf(v.dialect);
        case HolderColumn:
            return holderText(v);
        case VerdictColumn:
            return verdictText(v);
        case ReasonColumn:
            return v.reason;
        case AgeColumn:
            return ageText(ageMs(v.mtime));
        case WorkspaceColumn:
            return folderName(row.origin.workspace);
        }
        break;
    case SortRole:
        switch (column) {
        case FileColumn:
            return v.path;
        case HolderColumn:
            return v.content.pid;
        case VerdictColumn:
            return verdictRank(v.state);
        case AgeColumn:
            return ageSortValue(v.mtime);
        case WorkspaceColumn:
            return row.origin.workspace;
        }
        break;
    case Qt::DecorationRole:
        if (column == HolderColumn)
            return glyphIcon(holderGlyph(v));
        if (column == VerdictColumn)
            return glyphIcon(glyphFor(v.state));
        break;
    case Qt::ToolTipRole:
        switch (column) {
        case FileColumn:
            return tr("%1\nfile %2").arg(v.path, v.stamp.key.toString());
        case HolderColumn: {
            QStringList lines { holderText(v) };
            if (v.holderStart.isValid())
                lines << tr("holder started %1").arg(timeText(v.holderStart));
            if (!v.writer.reason.isEmpty())
                lines << v.writer.reason;
            if (!v.kernelHolders.isEmpty())
                lines << tr("kernel lock held by %1").arg(pidList(v.kernelHolders));
            if (!v.content.nonce.isEmpty())
                lines << tr("nonce %1").arg(v.content.nonce);
            return lines.join(QLatin1Char('\n'));
        }
        case AgeColumn:
            return tr("modified %1").arg(timeText(v.mtime));
        case FamilyColumn:
        case WorkspaceColumn:
            return originToolTip(row.origin);
        default:
            return v.reason;
        }
    default:
        break;
    }
    return {};
}

} // namespace Stateward
