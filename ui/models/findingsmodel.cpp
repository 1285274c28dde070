// SPDX-License-Identifier: GPL-3.0-or-later
#include "findingsmodel.h"

#include "models/statusglyphs.h"

namespace Stateward {

FindingsModel::FindingsModel(QObject* parent)
    : KeyedRowModel(&Snapshot::findings, &SnapshotChanges::findings,
        {
            { tr("Severity"), {} },
            { tr("Code"), tr("What kind of problem") },
            { tr("Subject"), tr("The file or record it is about, relative to its workspace") },
            { tr("Summary"), {} },
            { tr("Evidence"), tr("What was checked, with figures") },
            { tr("Repairs"), tr("Repairs that would fix it") },
            { tr("Family"), tr("The tool that keeps this state directory") },
            { tr("Workspace"), {} },
        },
        -1, parent)
{ }

QVariant FindingsModel::rowData(const FindingRow& row, int column, int role) const
{
    const Finding& f = row.item;
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case SeverityColumn:
            return nameOf(f.severity);
        case CodeColumn:
            return f.code;
        case SubjectColumn:
            return workspacePath(f.subject, row.origin);
        case SummaryColumn:
            return f.summary;
        case EvidenceColumn:
            return f.evidence;
        case RepairsColumn:
            return namesOf(f.repairs).join(QStringLiteral(", "));
        case FamilyColumn:
            return nameOf(row.origin.family);
        case WorkspaceColumn:
            return folderName(row.origin.workspace);
        }
        break;
    case SortRole:
        switch (column) {
        case SeverityColumn:
            return int(f.severity);
        case SubjectColumn:
            return f.subject;
        case RepairsColumn:
            return int(f.repairs.size());
        case WorkspaceColumn:
            return row.origin.workspace;
        }
        break;
    case SeverityRole:
        return int(f.severity);
    case Qt::DecorationRole:
        if (column == SeverityColumn)
            return glyphIcon(glyphFor(f.severity));
        break;
    case Qt::ForegroundRole:
        // Only the two severities that need action stand out; the rest keeps the palette's text.
        if (column == SeverityColumn && f.severity >= Severity::Error)
            return glyphColor(Glyph::Error); // one red, readable on light and dark bases
        break;
    case Qt::ToolTipRole:
        switch (column) {
        case FamilyColumn:
        case WorkspaceColumn:
            return originToolTip(row.origin);
        case SubjectColumn:
            return f.subject;
        default:
            return tr("%1\n%2").arg(f.summary, f.evidence);
        }
    default:
        break;
    }
    return {};
}

} // namespace Stateward
