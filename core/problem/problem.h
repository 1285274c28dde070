// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "repair/repairkind.h"
#include "snapshot/snapshot.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>

// What is wrong, for a person: the findings of one snapshot grouped by cause, ranked by the harm
// they do and worded with their figures (docs/problems.md). The CLI prints them first and the
// window opens on them; findings stay the detail. Each tool's adapter words its own findings
// (SourceAdapter::groupProblems), the shared ones are worded in core/sources/source.cpp.
namespace Stateward {

// Ascending harm: what a problem does to the user's tools and data if nobody acts.
enum class Impact
{
    Litter, // files (or entries) nobody uses; nothing breaks
    WastesMemory, // a process runs for nothing
    Blocks, // a tool waits, fails or ignores its own state; or Stateward cannot check it
    LosesData, // data is lost, or the tool will delete or overwrite it on its next run
};
QString nameOf(Impact impact); // "litter", "wastes-memory", "blocks", "loses-data"

struct Problem
{
    QString id; // stable across scans for the same cause: "<family>:<stateDir>:<cause>"
    Family family {};
    QString workspace;
    QString stateDir;
    Impact impact = Impact::Litter;
    QString title; // plain language with figures
    QString explanation; // what happened and why it matters, figures included
    QStringList findingIds; // the findings grouped here (Finding::id)
    QStringList itemIds; // the snapshot items concerned (Job, Broker, LockHolder, TempFile ids)
    QList<RepairKind> repairs; // the fix, in apply order; empty: no automatic fix
    RepairSafety fixSafety() const; // the worst safety of the repairs (Safe when there are none)
    bool fixable() const { return !repairs.isEmpty(); }
    QString fixLabel; // the button text: "Rewrite index", "Clear stale lock"; empty when not fixable
    QString manualFix; // when !fixable(): the exact thing to do by hand
    QJsonObject toJson() const;
    friend bool operator==(const Problem&, const Problem&) = default;
};

// Worst first: impact, then title, then id.
bool worseFirst(const Problem& a, const Problem& b);

// Problems of one snapshot, worst first. A pure function of the snapshot: the adapter of its family
// groups and words them.
QList<Problem> problemsOf(const Snapshot& snapshot);
// Of several (a workspace, or all): concatenated and sorted worst first.
QList<Problem> problemsOf(const QList<Snapshot>& snapshots);

// Builds the problems of one snapshot. An adapter takes the findings of the codes it knows, groups
// them into problems and adds them; whatever it leaves is grouped by the shared rules.
class ProblemBuilder
{
public:
    explicit ProblemBuilder(const Snapshot& snapshot);
    const Snapshot& snapshot() const { return m_snapshot; }

    // The findings of these codes that no problem holds yet, in scan order; from now on they are
    // the caller's to put in a problem.
    QList<Finding> take(const QStringList& codes);
    QList<Finding> take(const QString& code) { return take(QStringList { code }); }
    // Takes the findings `pick` accepts among those of `code` still free.
    QList<Finding> takeIf(const QString& code, const std::function<bool(const Finding&)>& pick);
    // The findings no problem holds yet, in scan order.
    QList<Finding> remaining() const;

    // A problem of this snapshot about `findings`, its id "<family>:<stateDir>:<cause>"; the
    // findings' ids, their items and the union of their repairs (in apply order) filled in. The
    // caller words it and adds it.
    Problem start(const QString& cause, Impact impact, const QList<Finding>& findings) const;
    // Adds p; a fixable problem without a fixLabel gets one from its repairs.
    void add(Problem p);
    // Everything added, worst first.
    QList<Problem> problems() const;

private:
    const Snapshot& m_snapshot;
    QList<bool> m_taken; // by index into m_snapshot.findings
    QList<Problem> m_problems;
};

// The button text for a fix made of these repairs ("Clear stale lock", "Rewrite index", …).
QString fixLabelOf(const QList<RepairKind>& repairs);
// "1 file", "3 files": English plurals for the counts in titles.
QString counted(qsizetype n, const QString& singular, const QString& plural = {});
// "512 bytes", "3.1 KiB".
QString bytesText(qint64 bytes);

} // namespace Stateward
