// SPDX-License-Identifier: GPL-3.0-or-later
#include "recover.h"

#include "lock/atomicwrite.h"
#include "sources/jsonfile.h"
#include "sources/source.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QStandardPaths>

namespace Stateward {

namespace {

    // The index file, read once: the file as read (stamp and bytes, for the compare-before-rename
    // of a rewrite) and whatever of it is usable.
    struct CurrentIndex
    {
        JsonFile file;
        QJsonObject root; // empty unless the file is an index of the right shape
        QString problem;
    };

    CurrentIndex readCurrent(const ToolIndex& index, const QString& stateDir)
    {
        CurrentIndex c;
        c.file = readJsonFile(QDir(stateDir).filePath(index.fileName()), index.maxBytes());
        if (!c.file.exists())
            c.problem = QStringLiteral("does not exist");
        else if (!c.file.ok())
            c.problem = c.file.problem;
        else if (const QString shape = index.shapeProblem(c.file.object); !shape.isEmpty())
            c.problem = shape;
        else
            c.root = c.file.object;
        return c;
    }

    // The result's frame, then the tool's recovery; only the frame when stateDir is not a real
    // directory (the error says so).
    RecoveredIndex recoverFrom(const SourceAdapter& adapter, const QString& stateDir, const CurrentIndex& current)
    {
        RecoveredIndex r;
        r.family = adapter.family();
        r.stateDir = stateDir;
        r.indexPath = QDir(stateDir).filePath(adapter.index()->fileName());
        if (!QFileInfo(stateDir).isDir() || QFileInfo(stateDir).isSymLink()) {
            r.error = QStringLiteral("%1: not a directory (a symlink is never followed)").arg(stateDir);
            return r;
        }
        adapter.index()->recover(r, current.root, current.problem);
        return r;
    }

} // namespace

QJsonObject RecoveredIndex::toJson() const
{
    QJsonArray skippedJson;
    for (const Skipped& s : skipped)
        skippedJson.append(
            QJsonObject { { QStringLiteral("path"), s.path }, { QStringLiteral("problem"), s.problem } });
    QJsonObject o { { QStringLiteral("family"), nameOf(family) }, { QStringLiteral("stateDir"), stateDir },
        { QStringLiteral("indexPath"), indexPath }, { QStringLiteral("entries"), ids.size() },
        { QStringLiteral("added"), QJsonArray::fromStringList(addedIds) },
        { QStringLiteral("keptFromIndex"), keptFromIndex },
        { QStringLiteral("dropped"), QJsonArray::fromStringList(droppedIds) },
        { QStringLiteral("leftOut"), QJsonArray::fromStringList(leftOutIds) },
        { QStringLiteral("skipped"), skippedJson }, { QStringLiteral("notes"), QJsonArray::fromStringList(notes) } };
    if (!error.isEmpty())
        o.insert(QStringLiteral("error"), error);
    return o;
}

RecoveredIndex recoverIndex(Family family, const QString& stateDir)
{
    const SourceAdapter& adapter = adapterFor(family);
    if (adapter.index())
        return recoverFrom(adapter, stateDir, readCurrent(*adapter.index(), stateDir));
    RecoveredIndex r;
    r.family = family;
    r.stateDir = stateDir;
    r.error = QStringLiteral("%1 keeps no index to recover").arg(nameOf(family));
    return r;
}

QString defaultExportPath(const RecoveredIndex& index, const QString& workspace)
{
    const QString data = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    return QDir(data).filePath(QStringLiteral("stateward/recovered/%1-%2-%3-%4")
                                   .arg(nameOf(index.family), QFileInfo(QDir::cleanPath(workspace)).fileName(),
                                       QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmss")),
                                       QFileInfo(index.indexPath).fileName()));
}

QString exportRecoveredIndex(const RecoveredIndex& index, const QString& path)
{
    if (!index.ok())
        return index.error;
    const QFileInfo target(path);
    const QString stateDir = QFileInfo(index.stateDir).canonicalFilePath();
    QDir parent = target.absoluteDir();
    const auto inside = [&stateDir](const QString& dir) {
        return !stateDir.isEmpty() && (dir == stateDir || dir.startsWith(stateDir + QLatin1Char('/')));
    };
    const QString refusal = QStringLiteral("%1 is inside the state directory %2: an export never writes there (the "
                                           "tool could read it as its own); choose a file outside it")
                                .arg(path, index.stateDir);
    // Checked before any folder is made: the nearest existing ancestor, resolved, plus the rest.
    QString missing;
    QString existing = parent.absolutePath();
    while (!QFileInfo(existing).exists() && existing != QLatin1String("/")) {
        missing = QFileInfo(existing).fileName() + (missing.isEmpty() ? QString() : QLatin1Char('/') + missing);
        existing = QFileInfo(existing).path();
    }
    const QString wouldBe = QDir::cleanPath(
        QFileInfo(existing).canonicalFilePath() + (missing.isEmpty() ? QString() : QLatin1Char('/') + missing));
    if (inside(wouldBe))
        return refusal;
    if (!parent.exists() && !parent.mkpath(QStringLiteral(".")))
        return QStringLiteral("%1: cannot create the folder %2").arg(path, parent.path());
    if (inside(parent.canonicalPath()))
        return refusal;
    const AtomicWriteResult w = atomicWrite(target.absoluteFilePath(), index.document);
    return w.ok ? QString() : w.error;
}

EditedIndex editIndex(Family family, const QString& stateDir, const IndexEdit& edit)
{
    EditedIndex out;
    const SourceAdapter& adapter = adapterFor(family);
    const ToolIndex* tool = adapter.index();
    if (!tool) {
        out.error = QStringLiteral("%1 keeps no index to edit").arg(nameOf(family));
        return out;
    }
    // One read of the index serves the recovery and the edit, so the stamp compared before the
    // rename is that of exactly the bytes both were computed from.
    const CurrentIndex index = readCurrent(*tool, stateDir);
    const RecoveredIndex recovered = recoverFrom(adapter, stateDir, index);
    out.indexPath = recovered.indexPath;
    if (!recovered.ok()) {
        out.error = recovered.error;
        return out;
    }
    const JsonFile& current = index.file;
    out.currentExists = current.exists();
    out.current = current.stamp;
    out.currentBytes = current.bytes;
    const bool usable = index.problem.isEmpty();
    if (!usable && current.exists() && !current.stamp.isValid()) {
        out.error = QStringLiteral("%1: %2").arg(out.indexPath, current.problem);
        return out;
    }
    if (!usable && current.exists()) {
        if (!edit.replaceCorrupt) {
            out.error = QStringLiteral("%1 cannot be read (%2); only %3 changes it")
                            .arg(out.indexPath, index.problem, nameOf(RepairKind::ReplaceCorruptIndex));
            return out;
        }
        out.document = recovered.document;
        out.applied.append(QStringLiteral("replaced the unreadable %1 by the recovered one (%2 entries)")
                               .arg(QFileInfo(out.indexPath).fileName())
                               .arg(recovered.ids.size()));
        return out;
    }
    // A missing index is an empty one, as the tools read it.
    tool->edit(out, stateDir, usable ? index.root : tool->empty(), recovered, edit);
    return out;
}

} // namespace Stateward
