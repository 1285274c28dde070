// SPDX-License-Identifier: GPL-3.0-or-later
// stateward-cli proc PID: what core/proc sees about one process.
#include "cli.h"
#include "proc/processinfo.h"
#include "proc/procfs.h"

#include <QCommandLineParser>
#include <QJsonObject>

namespace Stateward::Cli {

namespace {

    QString describe(const ProcessInfo& p)
    {
        QStringList lines;
        auto row = [&lines](const char* label, const QString& value) {
            lines.append(QStringLiteral("%1 %2").arg(QLatin1String(label), -10).arg(value));
        };
        row("pid", QString::number(p.pid));
        row("liveness",
            nameOf(p.liveness) + (p.isThread() ? QStringLiteral(" (a thread of process %1)").arg(p.tgid) : QString()));
        if (p.liveness == Liveness::Dead)
            return lines.join(QLatin1Char('\n'));
        row("state", p.state.isNull() ? QStringLiteral("?") : QString(p.state));
        row("started", p.startTime.isValid() ? p.startTime.toString(Qt::ISODateWithMs) : QStringLiteral("unknown"));
        row("uid",
            p.uid < 0 ? QStringLiteral("unknown")
                      : QStringLiteral("%1 (effective %2)%3")
                            .arg(p.uid)
                            .arg(p.euid)
                            .arg(p.sameUser() ? QStringLiteral(", ours") : QString()));
        row("ppid", QString::number(p.ppid));
        row("pgid/sid", QStringLiteral("%1/%2").arg(p.pgid).arg(p.sid));
        row("comm", p.comm);
        row("exe", p.exe.isEmpty() ? QStringLiteral("(not readable)") : p.exe);
        row("argv", p.argv.isEmpty() ? QStringLiteral("(empty)") : p.argv.join(QLatin1Char(' ')));
        row("environ",
            p.environReadable ? QStringLiteral("%1 variables").arg(p.environment.size())
                              : QStringLiteral("(not readable: %1)").arg(p.environError));
        for (const QString& problem : p.problems)
            row("note", problem);
        return lines.join(QLatin1Char('\n'));
    }

} // namespace

int runProc(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Show what Stateward sees about one process: liveness (kill(pid,0) and zombie state), start time, "
        "uid, parents, argv, exe and, for your own processes, the environment.\n"
        "Exit code 0 when the process is alive, 1 when it is dead or a zombie, 2 on bad input."));
    parser.addHelpOption();
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
    parser.addOption(json);
    parser.addPositionalArgument(QStringLiteral("pid"), QStringLiteral("Process ID."));
    if (const std::optional<int> code = parseArguments(parser, arguments))
        return *code;

    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 1)
        return fail(QStringLiteral("proc"), QStringLiteral("expected exactly one PID (see --help)"));
    QString error;
    const auto pid = parsePid(positional.first(), &error);
    if (!pid)
        return fail(QStringLiteral("proc"), error);

    const ProcessInfo info = inspectProcess(*pid);
    if (parser.isSet(json)) {
        QJsonObject o = info.toJson();
        o.insert(QStringLiteral("host"), ProcFs::hostName());
        o.insert(QStringLiteral("bootId"), ProcFs::bootId());
        printJson(o);
    } else {
        printText(describe(info));
    }
    return info.isAlive() ? ExitClean : ExitFindings;
}

} // namespace Stateward::Cli
