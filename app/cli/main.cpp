// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli.h"
#include "version.h"

#include <QCoreApplication>

#include <cstdio>
#include <cstring>

using namespace Stateward;

namespace {

void printUsage(FILE* out)
{
    std::fprintf(out,
        "Usage: stateward-cli COMMAND [options]\n"
        "\n"
        "See and safely repair the state directories of local developer and agent tools.\n"
        "\n"
        "Commands:\n");
    for (const Cli::Command& c : Cli::commands())
        std::fprintf(out, "  %-14s %s\n", c.name, c.summary);
    std::fprintf(out,
        "\n"
        "Every command takes --json for machine-readable output and --help for its options.\n"
        "Exit codes: 0 clean, 1 findings or skipped work (a process that is not running), 2 error.\n"
        "\n"
        "Options:\n"
        "  -h, --help     Show this help.\n"
        "  -v, --version  Show the version.\n");
}

} // namespace

int main(int argc, char* argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("stateward-cli"));
    QCoreApplication::setOrganizationName(QStringLiteral("Stateward"));
    QCoreApplication::setApplicationVersion(Stateward::version());

    const QStringList args = QCoreApplication::arguments();
    if (args.size() < 2) {
        printUsage(stderr);
        return Cli::ExitError;
    }
    const QString first = args.at(1);
    if (first == QLatin1String("-h") || first == QLatin1String("--help") || first == QLatin1String("help")) {
        printUsage(stdout);
        return Cli::ExitClean;
    }
    if (first == QLatin1String("-v") || first == QLatin1String("--version")) {
        std::printf("stateward-cli %s\n", qPrintable(Stateward::version()));
        return Cli::ExitClean;
    }
    for (const Cli::Command& c : Cli::commands()) {
        if (first == QLatin1String(c.name)) {
            QStringList rest = args.mid(2);
            rest.prepend(QStringLiteral("stateward-cli %1").arg(QLatin1String(c.name)));
            return c.run(rest);
        }
    }
    std::fprintf(stderr, "stateward-cli: unknown command '%s' (see stateward-cli --help)\n",
        qPrintable(Cli::terminalSafe(first)));
    return Cli::ExitError;
}
