// SPDX-License-Identifier: GPL-3.0-or-later
#include "trajectoriessource.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

namespace Stateward {

namespace {

    bool isTrajectoryFileName(const QString& name)
    {
        return name.endsWith(QLatin1String(".json")) && name != QLatin1String("index.json")
            && !name.endsWith(QLatin1String(".trace.json")) && !name.endsWith(QLatin1String(".compaction.json"))
            && name != QLatin1String("compaction.json");
    }

    TrajectoryRecord readRecord(const QString& path, const QString& expectedId)
    {
        TrajectoryRecord r;
        r.path = path;
        r.id = expectedId;
        const QFileInfo info(path);
        if (info.size() > TrajectoriesSource::kMaxRecordBytes) {
            r.problem = QStringLiteral("%1 bytes, more than Stateward reads").arg(info.size());
            return r;
        }
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly)) {
            r.problem = f.errorString();
            return r;
        }
        const QByteArray data = f.readAll();
        if (data.isEmpty()) {
            r.problem = QStringLiteral("zero bytes");
            return r;
        }
        QJsonParseError error {};
        const QJsonObject o = QJsonDocument::fromJson(data, &error).object();
        if (error.error != QJsonParseError::NoError) {
            r.problem = QStringLiteral("JSON error at byte %1 of %2: %3")
                            .arg(error.offset)
                            .arg(data.size())
                            .arg(error.errorString());
            return r;
        }
        static const QRegularExpression idShape(QStringLiteral("^traj_[a-z0-9_]+$"));
        const QString id = o.value(QStringLiteral("id")).toString();
        r.title = o.value(QStringLiteral("task")).toObject().value(QStringLiteral("title")).toString();
        r.status = o.value(QStringLiteral("status")).toString();
        r.startedAt = QDateTime::fromString(o.value(QStringLiteral("startedAt")).toString(), Qt::ISODateWithMs);
        r.completedAt = QDateTime::fromString(o.value(QStringLiteral("completedAt")).toString(), Qt::ISODateWithMs);
        if (!idShape.match(id).hasMatch())
            r.problem = QStringLiteral("id '%1' is not a trajectory id").arg(id.left(80));
        else if (id != expectedId)
            r.problem = QStringLiteral("file is named for %1 but holds %2").arg(expectedId, id);
        else if (r.status != QLatin1String("active") && r.status != QLatin1String("completed")
            && r.status != QLatin1String("abandoned"))
            r.problem = QStringLiteral("status '%1' is not active, completed or abandoned").arg(r.status.left(40));
        else if (!r.startedAt.isValid())
            r.problem = QStringLiteral("no valid startedAt");
        return r;
    }

    QString relativeTo(const QString& dir, const QString& path)
    {
        return QDir(dir).relativeFilePath(path);
    }

} // namespace

QList<TrajectoryRecord> findTrajectoryRecords(const QString& dir)
{
    QList<TrajectoryRecord> out;
    const QDir root(dir);
    // active/: flat <id>.json (not recursive, as upstream) and 0.5.9's <id>/trajectory.json.
    const QDir active(root.filePath(QStringLiteral("active")));
    for (const QFileInfo& f :
        active.entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot | QDir::NoSymLinks, QDir::Name)) {
        if (f.isDir()) {
            const QString nested = f.filePath() + QLatin1String("/trajectory.json");
            if (QFileInfo(nested).isFile() && !QFileInfo(nested).isSymLink())
                out.append(readRecord(nested, f.fileName()));
        } else if (isTrajectoryFileName(f.fileName())) {
            out.append(readRecord(f.filePath(), f.completeBaseName()));
        }
    }
    // completed/: every depth.
    QDirIterator it(
        root.filePath(QStringLiteral("completed")), QDir::Files | QDir::NoSymLinks, QDirIterator::Subdirectories);
    QStringList completed;
    while (it.hasNext())
        completed.append(it.next());
    completed.sort();
    for (const QString& path : completed) {
        const QFileInfo f(path);
        if (f.fileName() == QLatin1String("trajectory.json"))
            out.append(readRecord(path, f.dir().dirName()));
        else if (isTrajectoryFileName(f.fileName()))
            out.append(readRecord(path, f.completeBaseName()));
    }
    return out;
}

QStringList TrajectoriesSource::stateDirs(const QString& workspace) const
{
    QStringList dirs;
    const QDir ws(workspace);
    for (const QString& candidate :
        { ws.filePath(QStringLiteral(".trajectories")), ws.filePath(QStringLiteral(".agentworkforce/trajectories")),
            qEnvironmentVariable("TRAJECTORIES_DATA_DIR") }) {
        if (!candidate.isEmpty() && isStateDirCandidate(candidate)
            && !dirs.contains(QFileInfo(candidate).absoluteFilePath()))
            dirs.append(QFileInfo(candidate).absoluteFilePath());
    }
    return dirs;
}

Snapshot TrajectoriesSource::scan(const QString& workspace, const QString& stateDir, ScanContext& context) const
{
    Snapshot s;
    if (!beginSnapshot(s, Family::Trajectories, workspace, stateDir))
        return s;
    const QDir dir(stateDir);
    const QString indexPath = dir.filePath(QStringLiteral("index.json"));
    const bool newLayout = stateDir.endsWith(QLatin1String(".agentworkforce/trajectories"));
    const QList<TrajectoryRecord> records = findTrajectoryRecords(stateDir);

    // One record per id: the newest copy wins (0.5.9's list() rule, and the recovery rule).
    QHash<QString, QList<const TrajectoryRecord*>> byId;
    for (const TrajectoryRecord& r : records) {
        if (!r.problem.isEmpty()) {
            s.addFinding(QStringLiteral("record-invalid"), Severity::Warning, r.path,
                QStringLiteral("a trajectory file trail cannot read"), r.problem,
                { QStringLiteral("quarantine-invalid") });
            continue;
        }
        byId[r.id].append(&r);
    }

    // Index era: the index must list every record, at its real place and status.
    QJsonObject entries;
    bool indexUsable = false;
    if (newLayout) {
        if (QFileInfo::exists(indexPath))
            s.addFinding(QStringLiteral("index-in-new-layout"), Severity::Info, indexPath,
                QStringLiteral("an index.json in a 0.5.9+ directory"),
                QStringLiteral("trail 0.5.9+ keeps no index and deletes this file on its next run"));
    } else if (QFileInfo(indexPath).isSymLink()) {
        s.addFinding(QStringLiteral("index-symlink"), Severity::Error, indexPath,
            QStringLiteral("index.json is a symlink; not followed"), QFileInfo(indexPath).symLinkTarget());
    } else if (!QFileInfo::exists(indexPath)) {
        if (!byId.isEmpty())
            s.addFinding(QStringLiteral("index-missing"), Severity::Warning, indexPath,
                QStringLiteral("no index.json: trail list shows none of %1 trajectories").arg(byId.size()),
                QStringLiteral("%1 valid trajectory files on disk").arg(byId.size()), { QStringLiteral("reindex") });
    } else {
        QFile f(indexPath);
        QJsonParseError error {};
        const QByteArray data = f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        const QJsonDocument doc = QJsonDocument::fromJson(data, &error);
        if (data.isEmpty()) {
            s.addFinding(QStringLiteral("index-empty"), Severity::Warning, indexPath,
                QStringLiteral("zero-byte index.json: trail reads it as an empty index"),
                QStringLiteral("%1 trajectory files are hidden from trail list").arg(byId.size()),
                { QStringLiteral("replace-corrupt-index") });
        } else if (error.error != QJsonParseError::NoError
            || !doc.object().value(QStringLiteral("trajectories")).isObject()) {
            s.addFinding(QStringLiteral("index-malformed"), Severity::Error, indexPath,
                QStringLiteral("index.json is not a valid index: trail falls back to an empty one"),
                QStringLiteral("%1; the next save writes an index holding only its own entry, hiding %2 trajectories")
                    .arg(error.error != QJsonParseError::NoError ? QStringLiteral("JSON error at byte %1 of %2: %3")
                                                                       .arg(error.offset)
                                                                       .arg(data.size())
                                                                       .arg(error.errorString())
                                                                 : QStringLiteral("no \"trajectories\" object"))
                    .arg(byId.size()),
                { QStringLiteral("replace-corrupt-index") });
        } else {
            indexUsable = true;
            entries = doc.object().value(QStringLiteral("trajectories")).toObject();
        }
    }

    for (auto it = byId.cbegin(); it != byId.cend(); ++it) {
        QList<const TrajectoryRecord*> copies = it.value();
        std::sort(copies.begin(), copies.end(),
            [](const TrajectoryRecord* a, const TrajectoryRecord* b) { return a->newest() > b->newest(); });
        const TrajectoryRecord& r = *copies.first();
        if (copies.size() > 1) {
            QStringList paths;
            for (const TrajectoryRecord* c : copies)
                paths.append(relativeTo(stateDir, c->path));
            s.addFinding(QStringLiteral("duplicate-record"), Severity::Warning, r.path,
                QStringLiteral("trajectory %1 exists in %2 places").arg(r.id).arg(copies.size()),
                QStringLiteral("%1; the newest (%2) wins")
                    .arg(paths.join(QStringLiteral(", ")), relativeTo(stateDir, r.path)));
        }
        Job j;
        j.id = QStringLiteral("trajectories:%1:%2").arg(stateDir, r.id);
        j.jobId = r.id;
        j.title = r.title;
        j.kind = QStringLiteral("trajectory");
        j.status = r.status;
        j.startedAt = r.startedAt;
        j.updatedAt = r.completedAt;
        j.recordFile = r.path;
        j.inIndex = newLayout || entries.contains(r.id);
        if (indexUsable || (!newLayout && !QFileInfo::exists(indexPath))) {
            if (!entries.contains(r.id)) {
                if (indexUsable)
                    s.addFinding(QStringLiteral("index-missing-record"), Severity::Warning, r.path,
                        QStringLiteral("trajectory %1 is missing from index.json").arg(r.id),
                        QStringLiteral("'%1' (%2), a valid file that trail list does not show")
                            .arg(r.title.left(80), r.status),
                        { QStringLiteral("reindex") });
            } else {
                const QJsonObject e = entries.value(r.id).toObject();
                const QString entryPath = e.value(QStringLiteral("path")).toString();
                const QString resolved
                    = QDir::isAbsolutePath(entryPath) ? entryPath : QDir(workspace).filePath(entryPath);
                if (e.value(QStringLiteral("status")).toString() != r.status
                    || QFileInfo(resolved).absoluteFilePath() != QFileInfo(r.path).absoluteFilePath())
                    s.addFinding(QStringLiteral("index-stale"), Severity::Warning, indexPath + QLatin1Char('#') + r.id,
                        QStringLiteral("index entry for %1 is out of date").arg(r.id),
                        QStringLiteral("index says '%1' at %2; the file says '%3' at %4")
                            .arg(e.value(QStringLiteral("status")).toString(), entryPath, r.status, r.path),
                        { QStringLiteral("fix-index-entry") });
            }
        }
        s.jobs.append(j);
    }
    if (indexUsable) {
        for (auto it = entries.constBegin(); it != entries.constEnd(); ++it) {
            if (byId.contains(it.key()))
                continue;
            s.addFinding(QStringLiteral("index-dangling"), Severity::Warning, indexPath + QLatin1Char('#') + it.key(),
                QStringLiteral("index entry %1 names no trajectory file").arg(it.key()),
                QStringLiteral("path %1 does not hold a valid trajectory")
                    .arg(it.value().toObject().value(QStringLiteral("path")).toString()),
                { QStringLiteral("drop-dangling-entry") });
        }
    }
    if (!newLayout && QFileInfo(QDir(workspace).filePath(QStringLiteral(".agentworkforce/trajectories"))).isDir()
        && stateDir == QDir(workspace).filePath(QStringLiteral(".trajectories"))) {
        s.addFinding(QStringLiteral("both-layouts"), Severity::Warning, stateDir,
            QStringLiteral("both the legacy and the 0.5.9+ trajectories directories exist"),
            QStringLiteral(
                "trail 0.5.9+ reads only .agentworkforce/trajectories: the %1 trajectories here are invisible to it")
                .arg(byId.size()));
    }
    scanLocksAndTempFiles(s, context);
    return s;
}

} // namespace Stateward
