// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>

namespace Stateward::Cli {

const QList<Command>& commands()
{
    static const QList<Command> table {
        { "scan", "report jobs, brokers, locks, tmp files and findings in workspaces (reads only)", &runScan },
        { "export-index", "rebuild a tool's index from its record files into a file outside the state dir",
            &runExportIndex },
        { "repair", "plan repairs from a scan and apply them under the tools' locks (--dry-run, --yes)", &runRepair },
        { "undo", "list the quarantines repairs left, or restore one byte-identically", &runUndo },
        { "locks", "list every lock under a state directory with its verdict and evidence", &runLocks },
        { "lock", "run a command while holding a file's lock (FILE -- CMD…), interoperable with codegraph", &runLock },
        { "proc", "show what Stateward sees about one process (liveness, start time, argv, uid)", &runProc },
    };
    return table;
}

void printJson(const QJsonValue& value)
{
    const QByteArray out = value.isArray() ? QJsonDocument(value.toArray()).toJson(QJsonDocument::Indented)
                                           : QJsonDocument(value.toObject()).toJson(QJsonDocument::Indented);
    std::fwrite(out.constData(), 1, size_t(out.size()), stdout);
}

void printText(const QString& text)
{
    const QByteArray out = text.toLocal8Bit();
    std::fwrite(out.constData(), 1, size_t(out.size()), stdout);
    if (!text.endsWith(QLatin1Char('\n')))
        std::fputc('\n', stdout);
}

int fail(const QString& command, const QString& message)
{
    std::fprintf(stderr, "stateward-cli %s: %s\n", qPrintable(command), qPrintable(message));
    return ExitError;
}

} // namespace Stateward::Cli
