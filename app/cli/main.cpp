// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli.h"
#include "proc/paths.h"
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

    // Not QCoreApplication::arguments(): it decodes lossily, and a workspace path with a byte that
    // is not UTF-8 would then name no directory (core/proc/paths.h).
    QStringList args;
    for (int i = 0; i < argc; ++i) {
        bool viaDescriptor = false;
        args.append(i == 0 ? QCoreApplication::arguments().value(0) : pathFromBytes(argv[i], &viaDescriptor));
        if (viaDescriptor)
            std::fprintf(stderr, "stateward-cli: %s is not valid UTF-8; it is read as %s\n",
                qPrintable(Cli::terminalSafe(escapedBytes(argv[i]))), qPrintable(args.last()));
    }
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
