// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QJsonValue>
#include <QStringList>

// The CLI's shared plumbing: exit codes, output, and the command table.
namespace Stateward::Cli {

enum ExitCode
{
    ExitClean = 0, // nothing wrong
    ExitFindings = 1, // findings, skipped repairs, or a process that is not running
    ExitError = 2, // bad arguments or an error that stopped the command
};

struct Command
{
    const char* name;
    const char* summary;
    int (*run)(const QStringList& arguments); // arguments[0] is "stateward-cli <name>"
};

const QList<Command>& commands();

void printJson(const QJsonValue& value);
void printText(const QString& text);
int fail(const QString& command, const QString& message); // prints to stderr, returns ExitError

int runProc(const QStringList& arguments);
int runLocks(const QStringList& arguments);
int runLock(const QStringList& arguments);
int runScan(const QStringList& arguments);
int runExportIndex(const QStringList& arguments);
int runRepair(const QStringList& arguments);
int runUndo(const QStringList& arguments);

} // namespace Stateward::Cli
