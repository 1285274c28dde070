// SPDX-License-Identifier: GPL-3.0-or-later
// stateward-cli export-index WS --family F: the index rebuilt from the record files, written
// atomically to a file outside the state directory. Changes nothing in the state directory.
#include "cli.h"
#include "recover/recover.h"
#include "sources/source.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QJsonObject>

namespace Stateward::Cli {

namespace {

    QString describe(const RecoveredIndex& r, const QString& output)
    {
        QStringList out;
        out.append(QStringLiteral("recovered %1 for %2").arg(QFileInfo(r.indexPath).fileName(), r.stateDir));
        out.append(QStringLiteral("  %1 entries: %2 added, %3 kept from the current index; %4 dropped, %5 left out")
                       .arg(r.ids.size())
                       .arg(r.addedIds.size())
                       .arg(r.keptFromIndex)
                       .arg(r.droppedIds.size())
                       .arg(r.leftOutIds.size()));
        if (!r.addedIds.isEmpty())
            out.append(QStringLiteral("  added: %1").arg(r.addedIds.join(QStringLiteral(", "))));
        for (const RecoveredIndex::Skipped& s : r.skipped)
            out.append(QStringLiteral("  skipped %1: %2").arg(s.path, s.problem));
        for (const QString& note : r.notes)
            out.append(QStringLiteral("  note: %1").arg(note));
        out.append(QStringLiteral("written to %1").arg(output));
        out.append(QStringLiteral("to use it, stop the tool and copy it over %1").arg(r.indexPath));
        return out.join(QLatin1Char('\n'));
    }

} // namespace

int runExportIndex(const QStringList& arguments)
{
    const QString command = QStringLiteral("export-index");
    QCommandLineParser parser;
    QStringList indexed; // the families that keep an index: "trajectories", "codex"
    QString rules; // each one's rule, from its adapter
    for (const SourceAdapter* a : sourceAdapters()) {
        if (a->index()) {
            indexed.append(a->name());
            rules += QStringLiteral("%1: %2\n").arg(a->name(), a->index()->rule());
        }
    }
    parser.setApplicationDescription(
        QStringLiteral("Rebuild a tool's index from its record files and write it atomically to a file outside the "
                       "state directory (by default under ~/.local/share/stateward/recovered/). Changes nothing in "
                       "the state directory.\n")
        + rules
        + QStringLiteral(
            "Exit code 0 when every record made it in, 1 when some were skipped, dropped or left out, 2 on "
            "error."));
    parser.addHelpOption();
    const QCommandLineOption family(QStringLiteral("family"),
        QStringLiteral("%1 (required).").arg(indexed.join(QStringLiteral(" or "))), QStringLiteral("name"));
    const QCommandLineOption output(QStringList { QStringLiteral("o"), QStringLiteral("output") },
        QStringLiteral("Write here instead of the default location."), QStringLiteral("file"));
    const QCommandLineOption stateDir(QStringLiteral("state-dir"),
        QStringLiteral("The state directory, when the workspace has more than one."), QStringLiteral("dir"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print a JSON summary."));
    parser.addOptions({ family, output, stateDir, json });
    parser.addPositionalArgument(
        QStringLiteral("workspace"), QStringLiteral("The workspace folder."), QStringLiteral("WS"));
    if (const std::optional<int> code = parseArguments(parser, arguments))
        return *code;

    if (parser.positionalArguments().size() != 1)
        return fail(command, QStringLiteral("expected exactly one workspace (see --help)"));
    const QString ws = QFileInfo(parser.positionalArguments().first()).absoluteFilePath();
    if (!QFileInfo(ws).isDir())
        return fail(command, QStringLiteral("%1: not a directory").arg(ws));
    const std::optional<Family> named = familyNamed(parser.value(family));
    const SourceAdapter* adapter = named ? &adapterFor(*named) : nullptr;
    if (!adapter || !adapter->index())
        return fail(command,
            parser.isSet(family) ? QStringLiteral("--family must be %1, not '%2'")
                                       .arg(indexed.join(QStringLiteral(" or ")), parser.value(family))
                                 : QStringLiteral("--family %1 is required").arg(indexed.join(QLatin1Char('|'))));

    QStringList dirs = adapter->stateDirs(ws);
    // A directory whose files say it keeps no index (trajectories 0.5.9+, wherever it is) is
    // refused with the reason the recovery gives, which names its layout.
    QStringList indexFree;
    for (const QString& d : std::as_const(dirs)) {
        if (!adapter->index()->keptIn(d))
            indexFree.append(d);
    }
    dirs.removeIf([&indexFree](const QString& d) { return indexFree.contains(d); });
    const auto refuse = [&](const QString& dir) { return fail(command, recoverIndex(adapter->family(), dir).error); };
    if (parser.isSet(stateDir)) {
        const QString wanted = QFileInfo(parser.value(stateDir)).absoluteFilePath();
        if (indexFree.contains(wanted))
            return refuse(wanted);
        if (!dirs.contains(wanted))
            return fail(command,
                QStringLiteral("%1 is not a %2 state directory of %3 (found: %4)")
                    .arg(wanted, nameOf(adapter->family()), ws,
                        dirs.isEmpty() ? QStringLiteral("none") : dirs.join(QStringLiteral(", "))));
        dirs = { wanted };
    }
    if (dirs.isEmpty() && indexFree.size() == 1)
        return refuse(indexFree.first());
    if (dirs.isEmpty())
        return fail(
            command, QStringLiteral("no %1 state directory with an index for %2").arg(nameOf(adapter->family()), ws));
    if (dirs.size() > 1)
        return fail(command,
            QStringLiteral("%1 has %2 %3 state directories; choose one with --state-dir: %4")
                .arg(ws)
                .arg(dirs.size())
                .arg(nameOf(adapter->family()), dirs.join(QStringLiteral(", "))));

    const RecoveredIndex r = recoverIndex(adapter->family(), dirs.first());
    if (!r.ok())
        return fail(command, r.error);
    const QString path
        = parser.isSet(output) ? QFileInfo(parser.value(output)).absoluteFilePath() : defaultExportPath(r, ws);
    if (const QString error = exportRecoveredIndex(r, path); !error.isEmpty())
        return fail(command, error);

    if (parser.isSet(json)) {
        QJsonObject o = r.toJson();
        o.insert(QStringLiteral("output"), path);
        printJson(o);
    } else {
        printText(describe(r, path));
    }
    const bool incomplete = !r.skipped.isEmpty() || !r.droppedIds.isEmpty() || !r.leftOutIds.isEmpty();
    return incomplete ? ExitFindings : ExitClean;
}

} // namespace Stateward::Cli
