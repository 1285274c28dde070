// SPDX-License-Identifier: GPL-3.0-or-later
#include "problem.h"

#include "sources/source.h"

#include <QJsonArray>
#include <QLocale>
#include <QSet>

#include <algorithm>

namespace Stateward {

QString nameOf(Impact impact)
{
    switch (impact) {
    case Impact::Litter:
        return QStringLiteral("litter");
    case Impact::WastesMemory:
        return QStringLiteral("wastes-memory");
    case Impact::Blocks:
        return QStringLiteral("blocks");
    case Impact::LosesData:
        return QStringLiteral("loses-data");
    }
    return {};
}

RepairSafety Problem::fixSafety() const
{
    RepairSafety worst = RepairSafety::Safe;
    for (RepairKind kind : repairs)
        worst = std::max(worst, safetyOf(kind));
    return worst;
}

QJsonObject Problem::toJson() const
{
    return QJsonObject {
        { QStringLiteral("id"), id },
        { QStringLiteral("family"), nameOf(family) },
        { QStringLiteral("workspace"), workspace },
        { QStringLiteral("stateDir"), stateDir },
        { QStringLiteral("impact"), nameOf(impact) },
        { QStringLiteral("title"), title },
        { QStringLiteral("explanation"), explanation },
        { QStringLiteral("findingIds"), QJsonArray::fromStringList(findingIds) },
        { QStringLiteral("itemIds"), QJsonArray::fromStringList(itemIds) },
        { QStringLiteral("repairs"), QJsonArray::fromStringList(namesOf(repairs)) },
        { QStringLiteral("fixable"), fixable() },
        { QStringLiteral("fixSafety"), fixable() ? QJsonValue(nameOf(fixSafety())) : QJsonValue() },
        { QStringLiteral("fixLabel"), fixLabel },
        { QStringLiteral("manualFix"), manualFix },
    };
}

bool worseFirst(const Problem& a, const Problem& b)
{
    if (a.impact != b.impact)
        return a.impact > b.impact;
    if (a.title != b.title)
        return a.title < b.title;
    return a.id < b.id;
}

QList<Problem> problemsOf(const Snapshot& snapshot)
{
    return adapterFor(snapshot.family).problems(snapshot);
}

QList<Problem> problemsOf(const QList<Snapshot>& snapshots)
{
    QList<Problem> all;
    for (const Snapshot& s : snapshots)
        all += problemsOf(s);
    std::stable_sort(all.begin(), all.end(), worseFirst);
    return all;
}

ProblemBuilder::ProblemBuilder(const Snapshot& snapshot)
    : m_snapshot(snapshot)
    , m_taken(snapshot.findings.size(), false)
{ }

QList<Finding> ProblemBuilder::take(const QStringList& codes)
{
    QList<Finding> out;
    for (qsizetype i = 0; i < m_snapshot.findings.size(); ++i) {
        if (!m_taken[i] && codes.contains(m_snapshot.findings[i].code)) {
            m_taken[i] = true;
            out.append(m_snapshot.findings[i]);
        }
    }
    return out;
}

QList<Finding> ProblemBuilder::takeIf(const QString& code, const std::function<bool(const Finding&)>& pick)
{
    QList<Finding> out;
    for (qsizetype i = 0; i < m_snapshot.findings.size(); ++i) {
        const Finding& f = m_snapshot.findings[i];
        if (!m_taken[i] && f.code == code && pick(f)) {
            m_taken[i] = true;
            out.append(f);
        }
    }
    return out;
}

QList<Finding> ProblemBuilder::remaining() const
{
    QList<Finding> out;
    for (qsizetype i = 0; i < m_snapshot.findings.size(); ++i) {
        if (!m_taken[i])
            out.append(m_snapshot.findings[i]);
    }
    return out;
}

Problem ProblemBuilder::start(const QString& cause, Impact impact, const QList<Finding>& findings) const
{
    Problem p;
    p.id = QStringLiteral("%1:%2:%3").arg(nameOf(m_snapshot.family), m_snapshot.stateDir, cause);
    p.family = m_snapshot.family;
    p.workspace = m_snapshot.workspace;
    p.stateDir = m_snapshot.stateDir;
    p.impact = impact;
    p.findingIds.reserve(findings.size());
    // A set beside the list: one problem may group 100 000 findings (a stale index), and a list
    // lookup per finding made that quadratic (minutes on the GUI thread).
    QSet<QString> items;
    for (const Finding& f : findings) {
        p.findingIds.append(f.id);
        if (!f.target.itemId.isEmpty() && !items.contains(f.target.itemId)) {
            items.insert(f.target.itemId);
            p.itemIds.append(f.target.itemId);
        }
        for (RepairKind kind : f.repairs) {
            if (!p.repairs.contains(kind))
                p.repairs.append(kind);
        }
    }
    std::sort(p.repairs.begin(), p.repairs.end()); // the enumerators are in apply order
    return p;
}

void ProblemBuilder::add(Problem p)
{
    if (p.fixable() && p.fixLabel.isEmpty())
        p.fixLabel = fixLabelOf(p.repairs);
    m_problems.append(std::move(p));
}

QList<Problem> ProblemBuilder::problems() const
{
    QList<Problem> out = m_problems;
    std::stable_sort(out.begin(), out.end(), worseFirst);
    return out;
}

QString fixLabelOf(const QList<RepairKind>& repairs)
{
    if (repairs.isEmpty())
        return {};
    if (std::all_of(repairs.begin(), repairs.end(), rewritesIndex))
        return QStringLiteral("Rewrite index");
    // The first kind in apply order names the fix: the rest follow from it.
    switch (repairs.first()) {
    case RepairKind::ClearStaleLock:
        return QStringLiteral("Clear stale lock");
    case RepairKind::SweepTmp:
        return QStringLiteral("Sweep tmp files");
    case RepairKind::QuarantineInvalid:
        return QStringLiteral("Move unreadable files aside");
    case RepairKind::ReplaceCorruptIndex:
    case RepairKind::Reindex:
    case RepairKind::DropDanglingEntry:
    case RepairKind::FixIndexEntry:
        return QStringLiteral("Rewrite index");
    case RepairKind::MarkFailed:
        return QStringLiteral("Mark failed");
    case RepairKind::RemoveStateFile:
        return QStringLiteral("Remove stale state file");
    case RepairKind::TerminateOrphan:
        return QStringLiteral("Stop orphan process");
    case RepairKind::RemoveSessionDir:
        return QStringLiteral("Remove unused session dirs");
    }
    return {};
}

QString counted(qsizetype n, const QString& singular, const QString& plural)
{
    return QStringLiteral("%1 %2").arg(n).arg(n == 1 ? singular
            : plural.isEmpty()                       ? singular + QLatin1Char('s')
                                                     : plural);
}

QString bytesText(qint64 bytes)
{
    if (bytes < 1024) // formattedDataSize says "1 bytes"
        return counted(bytes, QStringLiteral("byte"));
    return QLocale::c().formattedDataSize(bytes, 1, QLocale::DataSizeIecFormat);
}

} // namespace Stateward
