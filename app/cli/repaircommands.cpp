// SPDX-License-Identifier: GPL-3.0-or-later
// stateward-cli repair WS and undo WS [ID]: the plan from a fresh scan, applied only when asked,
// each change under the tool's lock and undoable from the quarantine it leaves.
#include "cli.h"
#include "repair/quarantine.h"
#include "repair/repair.h"
#include "sources/source.h"

#include <QCommandLineParser>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>

#include <cstdio>
#include <unistd.h>

namespace Stateward::Cli {

namespace {

    // --kind orphan-brokers: the one-click cleanup (orphanCleanupKinds()).
    const QString kOrphanBrokers = QStringLiteral("orphan-brokers");

    QString describe(const RepairPlan& plan)
    {
        QStringList out;
        out.append(plan.actions.isEmpty() ? QStringLiteral("nothing to repair")
                                          : QStringLiteral("%1 planned changes:").arg(plan.actions.size()));
        for (const RepairAction& a : plan.actions) {
            out.append(QStringLiteral("  [%1] %2").arg(nameOf(a.kind), a.summary));
            for (const QString& e : a.effects)
                out.append(QStringLiteral("        %1").arg(e));
        }
        for (const QString& n : plan.notes)
            out.append(QStringLiteral("  note: %1").arg(n));
        return out.join(QLatin1Char('\n'));
    }

    bool confirm(int count)
    {
        std::fprintf(stderr, "Apply these %d changes? Everything moved or rewritten can be undone. [y/N] ", count);
        std::fflush(stderr);
        char answer[16] = {};
        return std::fgets(answer, sizeof answer, stdin) && (answer[0] == 'y' || answer[0] == 'Y');
    }

} // namespace

int runRepair(const QStringList& arguments)
{
    const QString command = QStringLiteral("repair");
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Plan repairs from a fresh scan and, when confirmed, apply them: each under the tool's own "
                       "lock, each precondition checked again at the moment of acting. Nothing is deleted: moved and "
                       "replaced files go to <statedir>/.stateward/quarantine/ and `undo` restores them; every action "
                       "is logged in <statedir>/.stateward/audit.jsonl.\n"
                       "Without --yes the plan is printed and, on a terminal, confirmed; otherwise it is a dry run.\n"
                       "Kinds: %1.\n"
                       "Without --kind every kind is planned but terminate-orphan, which signals processes; "
                       "--kind orphan-brokers is the one-click cleanup: terminate-orphan and remove-session-dir.\n"
                       "Exit code 0 when nothing needed or everything was applied, 1 when changes are planned (dry "
                       "run) or some were skipped, 2 on error.")
            .arg(namesOf(repairKinds()).join(QStringLiteral(", "))));
    parser.addHelpOption();
    const QCommandLineOption dryRun(QStringLiteral("dry-run"), QStringLiteral("Print the plan; change nothing."));
    const QCommandLineOption kind(
        QStringLiteral("kind"), QStringLiteral("Only this kind of repair (repeatable)."), QStringLiteral("kind"));
    const QCommandLineOption yes(QStringLiteral("yes"), QStringLiteral("Apply without asking."));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print one JSON document."));
    parser.addOptions({ dryRun, kind, yes, json });
    QStringList workspaces;
    if (const std::optional<int> code = parseWorkspaceArguments(parser, arguments, &workspaces))
        return *code;
    QList<RepairKind> kinds;
    for (const QString& k : parser.values(kind)) {
        if (k == kOrphanBrokers)
            kinds += orphanCleanupKinds();
        else if (const std::optional<RepairKind> known = repairKindNamed(k))
            kinds.append(*known);
        else
            return fail(command,
                QStringLiteral("unknown kind '%1' (known: %2, %3)")
                    .arg(k, namesOf(repairKinds()).join(QStringLiteral(", ")), kOrphanBrokers));
    }

    ScanContext context;
    QList<Snapshot> snapshots;
    for (const QString& ws : workspaces)
        snapshots += scanWorkspace(ws, context);
    const RepairPlan plan = planRepairs(snapshots, kinds);

    const bool apply = !parser.isSet(dryRun) && !plan.actions.isEmpty()
        && (parser.isSet(yes) || (!parser.isSet(json) && ::isatty(STDIN_FILENO) && ::isatty(STDERR_FILENO)));
    if (!parser.isSet(json))
        printText(describe(plan));
    if (!apply) {
        if (parser.isSet(json))
            printJson(QJsonObject { { QStringLiteral("plan"), plan.toJson() }, { QStringLiteral("applied"), false } });
        else if (!plan.actions.isEmpty() && !parser.isSet(dryRun))
            printText(QStringLiteral("dry run: nothing changed (pass --yes to apply)"));
        return plan.actions.isEmpty() ? ExitClean : ExitFindings;
    }
    if (!parser.isSet(yes) && !confirm(int(plan.actions.size()))) {
        printText(QStringLiteral("nothing changed"));
        return ExitFindings;
    }

    const QList<RepairResult> results = applyPlan(plan, [&](int done, int total, const RepairResult& r) {
        if (parser.isSet(json))
            return;
        printText(QStringLiteral("[%1/%2] %3: %4").arg(done).arg(total).arg(nameOf(r.outcome), r.detail));
        constexpr qsizetype kShown = 12; // a reindex can list 100 000 entries; --json has them all
        for (qsizetype i = 0; i < qMin(kShown, r.applied.size()); ++i)
            printText(QStringLiteral("        %1").arg(r.applied.at(i)));
        if (r.applied.size() > kShown)
            printText(QStringLiteral("        … and %1 more (see --json)").arg(r.applied.size() - kShown));
        for (const QString& s : r.skipped)
            printText(QStringLiteral("        not done: %1").arg(s));
    });
    bool allApplied = true;
    QJsonArray list;
    for (const RepairResult& r : results) {
        allApplied &= r.outcome == RepairResult::Outcome::Applied;
        list.append(r.toJson());
    }
    if (parser.isSet(json))
        printJson(QJsonObject { { QStringLiteral("plan"), plan.toJson() }, { QStringLiteral("applied"), true },
            { QStringLiteral("results"), list } });
    else
        printText(
            QStringLiteral("undo with: stateward-cli undo %1 ID (IDs: stateward-cli undo %1)").arg(workspaces.first()));
    return allApplied ? ExitClean : ExitFindings;
}

int runUndo(const QStringList& arguments)
{
    const QString command = QStringLiteral("undo");
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("List the quarantines repairs left in a workspace's state directories, or restore one by its "
                       "ID byte-identically. A file that is newer than what the repair left is never overwritten; "
                       "undo says so instead.\nExit code 0 restored (or listed), 1 something was refused, 2 error."));
    parser.addHelpOption();
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print one JSON document."));
    parser.addOption(json);
    parser.addPositionalArgument(
        QStringLiteral("workspace"), QStringLiteral("The workspace folder."), QStringLiteral("WS"));
    parser.addPositionalArgument(
        QStringLiteral("id"), QStringLiteral("The quarantine to restore."), QStringLiteral("[ID]"));
    if (const std::optional<int> code = parseArguments(parser, arguments))
        return *code;
    const QStringList args = parser.positionalArguments();
    if (args.isEmpty() || args.size() > 2)
        return fail(command, QStringLiteral("expected a workspace and optionally a quarantine ID (see --help)"));
    if (!QFileInfo(args.first()).isDir())
        return fail(command, QStringLiteral("%1: not a directory").arg(args.first()));

    QStringList stateDirs;
    for (const SourceAdapter* a : sourceAdapters())
        stateDirs += a->stateDirs(QFileInfo(args.first()).absoluteFilePath());
    if (args.size() == 1) {
        QJsonArray list;
        QStringList lines;
        for (const QString& dir : std::as_const(stateDirs)) {
            for (const QuarantineInfo& q : listQuarantines(dir)) {
                QJsonObject o = q.toJson();
                o.insert(QStringLiteral("stateDir"), dir);
                list.append(o);
                if (!q.problem.isEmpty()) {
                    lines.append(QStringLiteral("%1  (unusable: %2)").arg(q.id, q.problem));
                    continue;
                }
                lines.append(QStringLiteral("%1  %2  %3%4%5")
                                 .arg(q.id, q.action.value(QStringLiteral("kind")).toString(),
                                     q.action.value(QStringLiteral("target")).toString(),
                                     q.interrupted ? QStringLiteral("  (interrupted: undo restores what it changed)")
                                                   : QString(),
                                     q.restoredAt.isValid() ? QStringLiteral("  (undone)") : QString()));
            }
        }
        if (parser.isSet(json))
            printJson(QJsonObject { { QStringLiteral("quarantines"), list } });
        else
            printText(lines.isEmpty() ? QStringLiteral("no quarantines in %1").arg(args.first())
                                      : lines.join(QLatin1Char('\n')));
        return ExitClean;
    }
    for (const QString& dir : std::as_const(stateDirs)) {
        for (const QuarantineInfo& q : listQuarantines(dir)) {
            if (q.id != args.at(1))
                continue;
            const UndoResult r = undoQuarantine(dir, q.id);
            if (!r.error.isEmpty())
                return fail(command, r.error);
            if (parser.isSet(json)) {
                printJson(r.toJson());
            } else {
                QStringList out;
                for (const QString& p : r.restored)
                    out.append(QStringLiteral("restored %1").arg(p));
                for (const QString& p : r.refused)
                    out.append(QStringLiteral("refused  %1").arg(p));
                for (const QString& p : r.notRestorable)
                    out.append(QStringLiteral("kept     %1").arg(p));
                for (const QString& p : r.unchanged)
                    out.append(QStringLiteral("unchanged %1").arg(p));
                printText(out.join(QLatin1Char('\n')));
            }
            return r.ok ? ExitClean : ExitFindings;
        }
    }
    return fail(
        command, QStringLiteral("no quarantine '%1' in the state directories of %2").arg(args.at(1), args.first()));
}

} // namespace Stateward::Cli
