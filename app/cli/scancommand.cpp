// SPDX-License-Identifier: GPL-3.0-or-later
// stateward-cli scan WS…: what is wrong in the workspaces (problems, worst first), then every state
// directory of every known tool with its jobs, brokers, locks, tmp files and findings.
#include "cli.h"
#include "problem/problem.h"
#include "problem/scandocument.h"
#include "sources/source.h"

#include <QCommandLineParser>
#include <QFileInfo>

#include <cstdio>

namespace Stateward::Cli {

namespace {

    QString describe(const Snapshot& s)
    {
        QStringList out;
        out.append(QStringLiteral("%1  %2").arg(nameOf(s.family), s.stateDir));
        if (s.recognised.known() || !s.recognised.evidence.isEmpty())
            out.append(QStringLiteral("  recognised: %1").arg(s.recognised.describe()));
        out.append(QStringLiteral("  %1 jobs, %2 brokers, %3 locks, %4 tmp files, %5 findings")
                       .arg(s.jobs.size())
                       .arg(s.brokers.size())
                       .arg(s.locks.size())
                       .arg(s.tempFiles.size())
                       .arg(s.findings.size()));
        for (const Broker& b : s.brokers)
            out.append(QStringLiteral("  daemon PID %1 %2, identity %3, %4%5%6")
                           .arg(b.pid)
                           .arg(nameOf(b.liveness),
                               b.identityVerified ? QStringLiteral("verified") : QStringLiteral("not verified"),
                               b.endpoint.isEmpty() ? QStringLiteral("no endpoint") : b.endpoint,
                               !b.reachable       ? QString()
                                   : *b.reachable ? QStringLiteral(" (reachable)")
                                                  : QStringLiteral(" (unreachable)"),
                               // which file named it: CodeGraph's writer.pid names no daemon
                               b.stateFile.isEmpty() ? QString() : QStringLiteral(", named by %1").arg(b.stateFile)));
        for (const LockHolder& l : s.locks)
            out.append(QStringLiteral("  lock  %1 %2 [%3]: %4")
                           .arg(nameOf(l.verdict.state).toUpper(), l.verdict.path, nameOf(l.verdict.dialect),
                               l.verdict.reason));
        for (const TempFile& t : s.tempFiles)
            out.append(QStringLiteral("  tmp   %1 %2: %3")
                           .arg(t.orphan ? QStringLiteral("ORPHAN") : QStringLiteral("live"), t.path, t.reason));
        for (const Finding& f : s.findings) {
            out.append(QStringLiteral("  %1 %2: %3").arg(nameOf(f.severity).toUpper(), f.subject, f.summary));
            out.append(QStringLiteral("      evidence: %1").arg(f.evidence));
            if (!f.repairs.isEmpty())
                out.append(QStringLiteral("      repair: %1").arg(namesOf(f.repairs).join(QStringLiteral(", "))));
        }
        return out.join(QLatin1Char('\n'));
    }

    // The problems, worst first: impact, title, where, and the fix or what to do by hand.
    QString describe(const QList<Problem>& problems)
    {
        if (problems.isEmpty())
            return QStringLiteral("No problems.");
        QStringList out { problems.size() == 1 ? QStringLiteral("1 problem, worst first:")
                                               : QStringLiteral("%1 problems, worst first:").arg(problems.size()) };
        for (const Problem& p : problems) {
            out.append(QStringLiteral("  %1  %2")
                           .arg(nameOf(p.impact).toUpper().replace(QLatin1Char('-'), QLatin1Char(' ')), p.title));
            out.append(QStringLiteral("      %1  %2").arg(nameOf(p.family), p.stateDir));
            out.append(QStringLiteral("      %1").arg(p.explanation));
            if (p.fixable())
                out.append(QStringLiteral("      fix: %1 (%2: %3)")
                               .arg(p.fixLabel, nameOf(p.fixSafety()), namesOf(p.repairs).join(QStringLiteral(", "))));
            else
                out.append(QStringLiteral("      by hand: %1").arg(p.manualFix));
        }
        return out.join(QLatin1Char('\n'));
    }

} // namespace

int runScan(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Scan workspaces for the state directories of known tools and report what is wrong: the "
                       "problems first (findings grouped by cause, worst first, each with its fix or what to do by "
                       "hand), then each state directory's jobs, brokers, locks, tmp files and findings with "
                       "evidence. Reads only; changes nothing.\n"
                       "Exit code 0 when nothing needs attention, 1 when a finding of warning severity or "
                       "worse exists, 2 on error."));
    parser.addHelpOption();
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print one JSON document."));
    const QCommandLineOption family(
        QStringLiteral("family"), QStringLiteral("Only this tool family (repeatable)."), QStringLiteral("name"));
    parser.addOption(json);
    parser.addOption(family);
    parser.addPositionalArgument(
        QStringLiteral("workspace"), QStringLiteral("Workspace folders."), QStringLiteral("WS [WS…]"));
    if (const std::optional<int> code = parseArguments(parser, arguments))
        return *code;
    const QStringList workspaces = parser.positionalArguments();
    if (workspaces.isEmpty())
        return fail(QStringLiteral("scan"), QStringLiteral("expected at least one workspace (see --help)"));
    const QStringList families = parser.values(family);
    QStringList known;
    for (const SourceAdapter* a : sourceAdapters())
        known.append(nameOf(a->family()));
    for (const QString& f : families) {
        if (!known.contains(f))
            return fail(QStringLiteral("scan"),
                QStringLiteral("unknown family '%1' (known: %2)").arg(f, known.join(QStringLiteral(", "))));
    }
    for (const QString& ws : workspaces) {
        if (!QFileInfo(ws).isDir())
            return fail(QStringLiteral("scan"), QStringLiteral("%1: not a directory").arg(ws));
    }

    ScanContext context;
    QList<Snapshot> snapshots;
    for (const QString& ws : workspaces)
        snapshots += scanWorkspace(ws, context, families);
    bool attention = false;
    for (const Snapshot& s : snapshots)
        attention |= !s.findings.isEmpty() && s.worst() >= Severity::Warning;

    const QList<Problem> problems = problemsOf(snapshots);
    if (parser.isSet(json)) {
        // Written as it is made: the whole document at once would hold every item twice more.
        JsonStream([](QByteArrayView bytes) {
            std::fwrite(bytes.data(), 1, size_t(bytes.size()), stdout);
        }).writeDocument(scanDocument(workspaces, problems, snapshots));
    } else if (snapshots.isEmpty()) {
        printText(QStringLiteral("no known tool state found in %1").arg(workspaces.join(QStringLiteral(", "))));
    } else {
        printText(describe(problems) + QLatin1Char('\n'));
        for (const Snapshot& s : snapshots)
            printText(describe(s));
    }
    return attention ? ExitFindings : ExitClean;
}

} // namespace Stateward::Cli
