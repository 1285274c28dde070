// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QCommandLineParser>
#include <QJsonValue>
#include <QStringList>

#include <optional>

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
// Text for a terminal: control characters (ESC, CR, BEL, …, C1) and bidi overrides are printed
// escaped (\x1b, \u202e), since much of the text comes from files a tool or attacker wrote and could
// otherwise rewrite the lines a user reads before confirming. Newlines and tabs stay.
void printText(const QString& text);
QString terminalSafe(const QString& text);
int fail(const QString& command, const QString& message); // prints to stderr, returns ExitError
// QCommandLineParser::process(), but a bad option exits with ExitError (2), as documented, not 1;
// and a negative number ("-1") is an argument, not an option. Returns the exit code to return
// now, or nullopt to go on.
std::optional<int> parseArguments(QCommandLineParser& parser, const QStringList& arguments);
// parseArguments() for a command run on workspace folders (WS [WS…]): adds that positional
// argument, parses, and checks there is at least one and each is a directory. Returns the exit
// code to return now, or nullopt with *workspaces filled in.
std::optional<int> parseWorkspaceArguments(
    QCommandLineParser& parser, const QStringList& arguments, QStringList* workspaces);

int runProc(const QStringList& arguments);
int runLocks(const QStringList& arguments);
int runLock(const QStringList& arguments);
int runScan(const QStringList& arguments);
int runExportIndex(const QStringList& arguments);
int runRepair(const QStringList& arguments);
int runUndo(const QStringList& arguments);
int runTools(const QStringList& arguments);
int runWatch(const QStringList& arguments);

} // namespace Stateward::Cli
