// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <cstdio>

namespace Stateward::Cli {

const QList<Command>& commands()
{
    static const QList<Command> table {
        { "scan", "report jobs, brokers, locks, tmp files and findings in workspaces (reads only)", &runScan },
        { "watch", "watch workspaces and print one line per change until stopped (--json: NDJSON)", &runWatch },
        { "export-index", "rebuild a tool's index from its record files into a file outside the state dir",
            &runExportIndex },
        { "repair", "plan repairs from a scan and apply them under the tools' locks (--dry-run, --yes)", &runRepair },
        { "undo", "list the quarantines repairs left, or restore one byte-identically", &runUndo },
        { "locks", "list every lock under a state directory with its verdict and evidence", &runLocks },
        { "lock", "run a command while holding a file's lock (FILE -- CMD…), interoperable with codegraph", &runLock },
        { "proc", "show what Stateward sees about one process (liveness, start time, argv, uid)", &runProc },
        { "tools", "list every tool Stateward knows (adapters and profiles); --check FILE validates a profile",
            &runTools },
    };
    return table;
}

void printJson(const QJsonValue& value)
{
    const QByteArray out = value.isArray() ? QJsonDocument(value.toArray()).toJson(QJsonDocument::Indented)
                                           : QJsonDocument(value.toObject()).toJson(QJsonDocument::Indented);
    std::fwrite(out.constData(), 1, size_t(out.size()), stdout);
}

QString terminalSafe(const QString& text)
{
    QString out;
    out.reserve(text.size());
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        const bool control = (u < 0x20 && u != u'\n' && u != u'\t') || (u >= 0x7f && u <= 0x9f);
        const bool bidi
            = (u >= 0x202a && u <= 0x202e) || (u >= 0x2066 && u <= 0x2069) || u == 0x200e || u == 0x200f || u == 0x061c;
        if (control)
            out += QStringLiteral("\\x%1").arg(unsigned(u), 2, 16, QLatin1Char('0'));
        else if (bidi)
            out += QStringLiteral("\\u%1").arg(unsigned(u), 4, 16, QLatin1Char('0'));
        else
            out += c;
    }
    return out;
}

void printText(const QString& text)
{
    const QByteArray out = terminalSafe(text).toLocal8Bit();
    std::fwrite(out.constData(), 1, size_t(out.size()), stdout);
    if (!text.endsWith(QLatin1Char('\n')))
        std::fputc('\n', stdout);
}

int fail(const QString& command, const QString& message)
{
    std::fprintf(
        stderr, "stateward-cli %s: %s\n", qPrintable(terminalSafe(command)), qPrintable(terminalSafe(message)));
    return ExitError;
}

std::optional<int> parseArguments(QCommandLineParser& parser, const QStringList& arguments)
{
    // A PID of -1 or a count of -5 is a value the command judges, not an unknown option '1': such
    // words go after a "--" (unless the command line has its own, as `lock FILE -- CMD` does).
    QStringList words = arguments;
    if (!words.contains(QStringLiteral("--"))) {
        static const QRegularExpression negative(QStringLiteral("^-[0-9]+$"));
        QStringList numbers;
        for (qsizetype i = words.size() - 1; i >= 1; --i) {
            if (negative.match(words.at(i)).hasMatch())
                numbers.prepend(words.takeAt(i));
        }
        if (!numbers.isEmpty())
            words << QStringLiteral("--") << numbers;
    }
    const QString command = arguments.value(0).section(QLatin1Char(' '), 1);
    if (!parser.parse(words)) {
        fail(command, QStringLiteral("%1 (see --help)").arg(parser.errorText()));
        return ExitError;
    }
    if (parser.isSet(QStringLiteral("help")))
        parser.showHelp(ExitClean); // exits
    return std::nullopt;
}

std::optional<int> parseWorkspaceArguments(
    QCommandLineParser& parser, const QStringList& arguments, QStringList* workspaces)
{
    parser.addPositionalArgument(
        QStringLiteral("workspace"), QStringLiteral("Workspace folders."), QStringLiteral("WS [WS…]"));
    if (const std::optional<int> code = parseArguments(parser, arguments))
        return code;
    const QString command = arguments.value(0).section(QLatin1Char(' '), 1);
    *workspaces = parser.positionalArguments();
    if (workspaces->isEmpty())
        return fail(command, QStringLiteral("expected at least one workspace (see --help)"));
    for (const QString& ws : std::as_const(*workspaces)) {
        if (!QFileInfo(ws).isDir())
            return fail(command, QStringLiteral("%1: not a directory").arg(ws));
    }
    return std::nullopt;
}

} // namespace Stateward::Cli
