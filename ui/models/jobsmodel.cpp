// SPDX-License-Identifier: GPL-3.0-or-later
#include "jobsmodel.h"

#include "models/statusglyphs.h"

namespace Stateward {

JobsModel::JobsModel(QObject* parent)
    : KeyedRowModel(&Snapshot::jobs, &SnapshotChanges::jobs,
        {
            { tr("Family"), tr("The tool that keeps this state directory") },
            { tr("Job"), tr("The job's id as the tool writes it") },
            { tr("Title"), {} },
            { tr("Status"), tr("As the tool records it; marked when an active job's process is gone") },
            { tr("PID"), tr("The process the record names"), true },
            { tr("Alive"), tr("Whether that process is running now") },
            { tr("Age"), tr("Time since the job started"), true },
            { tr("Workspace"), {} },
        },
        AgeColumn, parent)
{ }

QVariant JobsModel::rowData(const JobRow& row, int column, int role) const
{
    const Job& j = row.item;
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case FamilyColumn:
            return nameOf(row.origin.family);
        case JobColumn:
            return j.jobId;
        case TitleColumn:
            return j.title;
        case StatusColumn:
            return j.status;
        case PidColumn:
            return pidText(j.pid);
        case AliveColumn:
            return livenessText(j.pid, j.liveness);
        case AgeColumn:
            return ageText(ageMs(j.startedAt));
        case WorkspaceColumn:
            return folderName(row.origin.workspace);
        }
        break;
    case SortRole:
        switch (column) {
        case PidColumn:
            return j.pid;
        case AliveColumn:
            return livenessRank(j.pid, j.liveness);
        case AgeColumn:
            return ageSortValue(j.startedAt);
        case WorkspaceColumn:
            return row.origin.workspace;
        }
        break;
    case Qt::DecorationRole:
        if (column == AliveColumn)
            return glyphIcon(glyphFor(j.pid, j.liveness));
        if (column == StatusColumn && jobProcessGone(j))
            return glyphIcon(Glyph::Warning);
        break;
    case Qt::ToolTipRole:
        switch (column) {
        case TitleColumn: {
            QStringList lines { j.title };
            if (!j.kind.isEmpty())
                lines << tr("kind: %1").arg(j.kind);
            if (!j.recordFile.isEmpty())
                lines << tr("record: %1").arg(j.recordFile);
            if (!j.logFile.isEmpty())
                lines << tr("log: %1").arg(j.logFile);
            if (!j.inIndex)
                lines << tr("not listed in the index");
            return lines.join(QLatin1Char('\n'));
        }
        case StatusColumn:
            if (jobProcessGone(j))
                return tr("'%1', but PID %2 is %3: it will never finish by itself")
                    .arg(j.status)
                    .arg(j.pid)
                    .arg(nameOf(j.liveness));
            return tr("'%1', updated %2").arg(j.status, timeText(j.updatedAt));
        case PidColumn:
        case AliveColumn:
            return j.pid > 0 ? tr("PID %1 is %2").arg(j.pid).arg(nameOf(j.liveness))
                             : tr("the record names no process");
        case AgeColumn:
            return tr("started %1\nupdated %2").arg(timeText(j.startedAt), timeText(j.updatedAt));
        case FamilyColumn:
        case WorkspaceColumn:
            return originToolTip(row.origin);
        default:
            return j.id;
        }
    default:
        break;
    }
    return {};
}

} // namespace Stateward
