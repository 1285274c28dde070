// SPDX-License-Identifier: GPL-3.0-or-later
#include "tempfilesmodel.h"

#include "models/statusglyphs.h"

namespace Stateward {

namespace {

    enum class TmpState
    {
        Orphan,
        Open, // some process has it open: being written
        WriterAlive,
        Recent, // names no writer and is too young to call orphaned
    };

    TmpState stateOf(const TempFile& t)
    {
        if (t.orphan)
            return TmpState::Orphan;
        if (!t.openBy.isEmpty())
            return TmpState::Open;
        return t.name.ownerPid > 0 ? TmpState::WriterAlive : TmpState::Recent;
    }

    QString stateText(TmpState state)
    {
        switch (state) {
        case TmpState::Orphan:
            return TempFilesModel::tr("orphan");
        case TmpState::Open:
            return TempFilesModel::tr("being written");
        case TmpState::WriterAlive:
            return TempFilesModel::tr("writer alive");
        case TmpState::Recent:
            break;
        }
        return TempFilesModel::tr("recent");
    }

    Glyph stateGlyph(TmpState state)
    {
        switch (state) {
        case TmpState::Orphan:
            return Glyph::Warning;
        case TmpState::Open:
        case TmpState::WriterAlive:
            return Glyph::Alive;
        case TmpState::Recent:
            break;
        }
        return Glyph::NoProcess;
    }

    // The adapter looks at the writer only when nobody has the file open.
    bool writerChecked(const TempFile& t)
    {
        return t.name.ownerPid > 0 && t.openBy.isEmpty();
    }

    QString writerText(const TempFile& t)
    {
        if (t.name.ownerPid > 0 && !writerChecked(t))
            return TempFilesModel::tr("not checked");
        return livenessText(t.name.ownerPid, t.ownerLiveness);
    }

} // namespace

TempFilesModel::TempFilesModel(QObject* parent)
    : KeyedRowModel(&Snapshot::tempFiles, &SnapshotChanges::tempFiles,
        {
            { tr("Family"), tr("The tool that keeps this state directory") },
            { tr("File"), tr("The tmp file, relative to its workspace") },
            { tr("Target"), tr("The file it would have been renamed to") },
            { tr("Writer PID"), tr("The process its name says wrote it"), true },
            { tr("Writer"), tr("Whether that process is running now") },
            { tr("Open by"), tr("Processes that have the file open") },
            { tr("Size"), {}, true },
            { tr("Age"), tr("Time since the file was last modified"), true },
            { tr("State"), tr("orphan: nobody will rename it into place any more") },
            { tr("Workspace"), {} },
        },
        AgeColumn, parent)
{ }

QVariant TempFilesModel::rowData(const TempFileRow& row, int column, int role) const
{
    const TempFile& t = row.item;
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case FamilyColumn:
            return nameOf(row.origin.family);
        case FileColumn:
            return workspacePath(t.path, row.origin);
        case TargetColumn:
            return t.name.target;
        case WriterPidColumn:
            return pidText(t.name.ownerPid);
        case WriterColumn:
            return writerText(t);
        case OpenByColumn:
            return pidList(t.openBy);
        case SizeColumn:
            return sizeText(t.size);
        case AgeColumn:
            return ageText(ageMs(t.mtime));
        case StateColumn:
            return stateText(stateOf(t));
        case WorkspaceColumn:
            return folderName(row.origin.workspace);
        }
        break;
    case SortRole:
        switch (column) {
        case FileColumn:
            return t.path;
        case WriterPidColumn:
            return t.name.ownerPid;
        case WriterColumn:
            return writerChecked(t) ? livenessRank(t.name.ownerPid, t.ownerLiveness) : 5;
        case OpenByColumn:
            return t.openBy.isEmpty() ? qint64(-1) : t.openBy.first();
        case SizeColumn:
            return t.size;
        case AgeColumn:
            return ageSortValue(t.mtime);
        case StateColumn:
            return int(stateOf(t));
        case WorkspaceColumn:
            return row.origin.workspace;
        }
        break;
    case Qt::DecorationRole:
        if (column == WriterColumn && writerChecked(t))
            return glyphIcon(glyphFor(t.name.ownerPid, t.ownerLiveness));
        if (column == StateColumn)
            return glyphIcon(stateGlyph(stateOf(t)));
        break;
    case Qt::ToolTipRole:
        switch (column) {
        case FileColumn:
            return tr("%1\nnamed like %2 (%3)").arg(t.path, t.name.pattern, t.name.family);
        case SizeColumn:
            return tr("%1 bytes").arg(t.size);
        case AgeColumn:
            return tr("modified %1").arg(timeText(t.mtime));
        case FamilyColumn:
        case WorkspaceColumn:
            return originToolTip(row.origin);
        default:
            return t.reason;
        }
    default:
        break;
    }
    return {};
}

} // namespace Stateward
