// SPDX-License-Identifier: GPL-3.0-or-later
#include "problemsmodel.h"

#include "models/statusglyphs.h"

namespace Stateward {

QString impactText(Impact impact)
{
    switch (impact) {
    case Impact::LosesData:
        return ProblemsModel::tr("Loses data");
    case Impact::Blocks:
        return ProblemsModel::tr("Blocks a tool");
    case Impact::WastesMemory:
        return ProblemsModel::tr("Wastes memory");
    case Impact::Litter:
        return ProblemsModel::tr("Litter");
    }
    return {};
}

Severity severityOf(Impact impact)
{
    switch (impact) {
    case Impact::LosesData:
        return Severity::Critical;
    case Impact::Blocks:
        return Severity::Error;
    case Impact::WastesMemory:
        return Severity::Warning;
    case Impact::Litter:
        return Severity::Info;
    }
    return Severity::Info;
}

QString firstSentence(const QString& text)
{
    const qsizetype end = text.indexOf(QLatin1String(". "));
    return end < 0 ? text : text.left(end + 1);
}

QString fixText(const Problem& p)
{
    if (!p.fixable())
        return ProblemsModel::tr("By hand: %1").arg(p.manualFix);
    switch (p.fixSafety()) {
    case RepairSafety::Safe:
        return p.fixLabel;
    case RepairSafety::SignalsProcess:
        return ProblemsModel::tr("%1 (stops a process)").arg(p.fixLabel);
    case RepairSafety::NeedsDecision:
        return ProblemsModel::tr("%1 (needs your decision)").arg(p.fixLabel);
    }
    return p.fixLabel;
}

ProblemsModel::ProblemsModel(QObject* parent)
    : KeyedRowModel(nullptr, nullptr,
        {
            { tr("Impact"), tr("What it does if nobody acts: loses data, blocks a tool, wastes memory, litter") },
            { tr("Problem"), {} },
            { tr("What happened"), {} },
            { tr("Fix"), tr("The one-click fix (previewed first), or what to do by hand") },
            { tr("Family"), tr("The tool that keeps this state directory") },
            { tr("Workspace"), {} },
        },
        -1, parent)
{ }

void ProblemsModel::apply(const QList<Snapshot>& snapshots)
{
    setNow(latestScan(snapshots));
    std::vector<Origin> origins;
    std::vector<QList<Problem>> lists;
    origins.reserve(size_t(snapshots.size())); // no reallocation: Incoming points into both
    lists.reserve(size_t(snapshots.size()));
    for (const Snapshot& s : snapshots) {
        origins.push_back(Origin { s.family, s.workspace, s.stateDir });
        lists.push_back(problemsOf(s));
    }
    std::vector<Incoming> next;
    for (size_t k = 0; k < lists.size(); ++k) {
        for (const Problem& p : lists[k])
            next.push_back(Incoming { &origins[k], &p });
    }
    applyRows(next);
}

void ProblemsModel::applyChanges(
    const QList<Snapshot>& snapshots, const QString& workspace, const WorkspaceChanges& changes)
{
    std::vector<std::pair<Origin, const Snapshot*>> changed;
    if (!changedSnapshots(snapshots, workspace, changes, changed))
        return apply(snapshots);
    std::vector<std::pair<Origin, QList<Problem>>> lists;
    lists.reserve(changed.size()); // no reallocation: the updates point into it
    for (const auto& [origin, s] : changed)
        lists.emplace_back(origin, problemsOf(*s));
    setNow(latestScan(snapshots));
    if (!replaceRowsOf(lists))
        apply(snapshots);
}

QList<Problem> ProblemsModel::problems() const
{
    QList<Problem> all;
    for (int r = 0; r < rowCount(); ++r)
        all.append(rowAt(r).item);
    return all;
}

QVariant ProblemsModel::rowData(const ProblemRow& row, int column, int role) const
{
    const Problem& p = row.item;
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case ImpactColumn:
            return impactText(p.impact);
        case TitleColumn:
            return p.title;
        case ExplanationColumn: // its first sentence: the rest is in the tooltip and Details
            return firstSentence(p.explanation);
        case FixColumn:
            return fixText(p);
        case FamilyColumn:
            return nameOf(row.origin.family);
        case WorkspaceColumn:
            return folderName(row.origin.workspace);
        }
        break;
    case SortRole:
        switch (column) {
        case ImpactColumn:
            return int(p.impact);
        case WorkspaceColumn:
            return row.origin.workspace;
        }
        break;
    case ImpactRole:
        return int(p.impact);
    case Qt::DecorationRole:
        if (column == ImpactColumn)
            return glyphIcon(glyphFor(severityOf(p.impact)));
        break;
    case Qt::ForegroundRole:
        if (column == ImpactColumn && p.impact >= Impact::Blocks)
            return glyphColor(Glyph::Error);
        break;
    case Qt::ToolTipRole:
        switch (column) {
        case FamilyColumn:
        case WorkspaceColumn:
            return originToolTip(row.origin);
        case FixColumn:
            return p.fixable() ? tr("%1: previewed first; nothing changes before you apply it").arg(p.fixLabel)
                               : p.manualFix;
        default:
            return tr("%1\n%2").arg(p.title, p.explanation);
        }
    default:
        break;
    }
    return {};
}

} // namespace Stateward
