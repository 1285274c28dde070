// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "models/keyedmodel.h"

namespace Stateward {

// What is wrong, for a person: the problems of every snapshot (problemsOf), one row per cause,
// keyed by the problem's id and updated by diff like the other tables. Sorted worst first by the
// view's proxy (the impact column's SortRole is the impact's rank).
class ProblemsModel : public KeyedRowModel<Problem>
{
    Q_OBJECT
public:
    enum Column
    {
        ImpactColumn,
        TitleColumn,
        ExplanationColumn,
        FixColumn,
        FamilyColumn,
        WorkspaceColumn,
        ColumnCount
    };
    enum
    {
        ImpactRole = SeverityRole + 1, // int(Impact)
    };

    explicit ProblemsModel(QObject* parent = nullptr);
    void apply(const QList<Snapshot>& snapshots) override;
    // Derives the problems again of the changed snapshots only.
    void applyChanges(
        const QList<Snapshot>& snapshots, const QString& workspace, const WorkspaceChanges& changes) override;
    // Every problem shown, in model order.
    QList<Problem> problems() const;

protected:
    QVariant rowData(const ProblemRow& row, int column, int role) const override;
};

// "Loses data", "Blocks a tool", "Wastes memory", "Litter".
QString impactText(Impact impact);
// The mark for an impact: the severity glyphs, by rank.
Severity severityOf(Impact impact);
// Up to the first ". ": what the overview's row shows of an explanation.
QString firstSentence(const QString& text);
// What the Fix column says: the fix's label and what it does to a process, or "By hand: …".
QString fixText(const Problem& problem);

} // namespace Stateward
