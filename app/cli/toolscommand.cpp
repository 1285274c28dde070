// SPDX-License-Identifier: GPL-3.0-or-later
// stateward-cli tools [--check FILE]: every tool Stateward knows, and validating a profile
// (docs/profiles.md).
#include "cli.h"
#include "sources/profile.h"
#include "sources/registry.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonObject>

namespace Stateward::Cli {

namespace {

    QJsonObject toJson(const ToolListing& t)
    {
        QJsonObject o { { QStringLiteral("name"), t.name },
            { QStringLiteral("kind"), t.isProfile ? QStringLiteral("profile") : QStringLiteral("adapter") },
            { QStringLiteral("source"), t.origin }, { QStringLiteral("tool"), t.tool },
            { QStringLiteral("loaded"), t.errors.isEmpty() } };
        if (!t.package.isEmpty())
            o.insert(QStringLiteral("package"), t.package);
        if (!t.verified.isEmpty())
            o.insert(QStringLiteral("verified"), t.verified);
        if (!t.stateDirs.isEmpty())
            o.insert(QStringLiteral("stateDirs"), QJsonArray::fromStringList(t.stateDirs));
        if (!t.errors.isEmpty())
            o.insert(QStringLiteral("errors"), QJsonArray::fromStringList(t.errors));
        if (!t.note.isEmpty())
            o.insert(QStringLiteral("note"), t.note);
        return o;
    }

    int check(const QString& file, bool json)
    {
        const ProfileLoad load = loadProfileFile(file);
        if (json) {
            QJsonArray errors;
            for (const ProfileError& e : load.errors)
                errors.append(QJsonObject { { QStringLiteral("file"), e.file }, { QStringLiteral("line"), e.line },
                    { QStringLiteral("column"), e.column }, { QStringLiteral("field"), e.field },
                    { QStringLiteral("message"), e.message } });
            QJsonObject o { { QStringLiteral("file"), file }, { QStringLiteral("valid"), bool(load.profile) },
                { QStringLiteral("errors"), errors } };
            if (load.profile)
                o.insert(QStringLiteral("name"), load.profile->name);
            printJson(o);
        } else if (load.profile) {
            printText(QStringLiteral("%1: valid profile \"%2\" (%3, format version %4)\n")
                          .arg(file, load.profile->name, load.profile->tool)
                          .arg(load.profile->version));
        } else {
            for (const ProfileError& e : load.errors)
                std::fprintf(stderr, "%s\n", qPrintable(terminalSafe(e.toString())));
        }
        return load.profile ? ExitClean : ExitFindings;
    }

} // namespace

int runTools(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "List every tool Stateward knows: the built-in adapters, the built-in profiles and the user profiles in "
        "%1 (docs/profiles.md), with where each comes from. A profile that does not load is listed with its "
        "errors and skipped.\n"
        "With --check FILE, validate one profile; every error names the file, line, column and field.\n"
        "Exit code 0 when every profile loads (or FILE is valid), 1 when one does not, 2 on bad input.")
                                         .arg(userProfileDir()));
    parser.addHelpOption();
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
    const QCommandLineOption checkFile(QStringLiteral("check"),
        QStringLiteral("Validate the profile FILE instead of listing."), QStringLiteral("FILE"));
    parser.addOptions({ json, checkFile });
    if (const std::optional<int> code = parseArguments(parser, arguments))
        return *code;
    if (!parser.positionalArguments().isEmpty())
        return fail(QStringLiteral("tools"), QStringLiteral("takes no arguments (see --help)"));
    if (parser.isSet(checkFile))
        return check(parser.value(checkFile), parser.isSet(json));

    bool allLoaded = true;
    QJsonArray list;
    QStringList lines;
    for (const ToolListing& t : knownTools()) {
        allLoaded &= t.errors.isEmpty();
        list.append(toJson(t));
        QString line = QStringLiteral("%1 %2 %3")
                           .arg(t.name, -14)
                           .arg(t.isProfile ? QStringLiteral("profile") : QStringLiteral("adapter"), -8)
                           .arg(t.origin);
        if (!t.tool.isEmpty())
            line += QStringLiteral("\n    tool: %1%2")
                        .arg(t.tool, t.package.isEmpty() ? QString() : QStringLiteral(" (npm %1)").arg(t.package));
        if (!t.verified.isEmpty())
            line += QStringLiteral("\n    verified: %1").arg(t.verified);
        for (const QString& dir : t.stateDirs)
            line += QStringLiteral("\n    state dir: %1").arg(dir);
        if (!t.note.isEmpty())
            line += QStringLiteral("\n    note: %1").arg(t.note);
        for (const QString& e : t.errors)
            line += QStringLiteral("\n    NOT LOADED: %1").arg(e);
        lines.append(line);
    }
    if (parser.isSet(json))
        printJson(
            QJsonObject { { QStringLiteral("userProfiles"), userProfileDir() }, { QStringLiteral("tools"), list } });
    else
        printText(lines.join(QLatin1Char('\n')) + QLatin1Char('\n'));
    return allLoaded ? ExitClean : ExitFindings;
}

} // namespace Stateward::Cli
