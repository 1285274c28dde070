// SPDX-License-Identifier: GPL-3.0-or-later
#include "recover.h"

#include "lock/atomicwrite.h"
#include "sources/codexsource.h"
#include "sources/jsonfile.h"
#include "sources/trajectoriessource.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QStandardPaths>

#include <algorithm>

namespace Stateward {

namespace {

    QString nowIso()
    {
        return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
    }

    QString relative(const QString& dir, const QString& path)
    {
        return QDir(dir).relativeFilePath(path);
    }

    constexpr qint64 kMaxIndexBytes = 256 * 1024 * 1024;

    // index.json or state.json, read once: the file as read (stamp and bytes, for the
    // compare-before-rename of a rewrite) and whatever of it is usable.
    struct CurrentIndex
    {
        JsonFile file;
        QJsonObject root; // empty unless the file is an index of the right shape
        QString problem;
    };

    CurrentIndex readCurrent(Family family, const QString& stateDir)
    {
        const bool trajectories = family == Family::Trajectories;
        CurrentIndex c;
        c.file = readJsonFile(
            QDir(stateDir).filePath(trajectories ? QStringLiteral("index.json") : QStringLiteral("state.json")),
            trajectories ? kMaxIndexBytes : CodexSource::kMaxStateBytes);
        const QJsonValue list
            = c.file.object.value(trajectories ? QStringLiteral("trajectories") : QStringLiteral("jobs"));
        if (!c.file.exists())
            c.problem = QStringLiteral("does not exist");
        else if (!c.file.ok())
            c.problem = c.file.problem;
        else if (trajectories ? !list.isObject() : !list.isArray())
            c.problem
                = trajectories ? QStringLiteral("no \"trajectories\" object") : QStringLiteral("no \"jobs\" array");
        else
            c.root = c.file.object;
        return c;
    }

    // The result's frame; false (with the error set) when stateDir is not a real directory.
    bool begin(RecoveredIndex& r, Family family, const QString& stateDir, const char* indexName)
    {
        r.family = family;
        r.stateDir = stateDir;
        r.indexPath = QDir(stateDir).filePath(QLatin1String(indexName));
        if (QFileInfo(stateDir).isDir() && !QFileInfo(stateDir).isSymLink())
            return true;
        r.error = QStringLiteral("%1: not a directory (a symlink is never followed)").arg(stateDir);
        return false;
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

namespace {

    RecoveredIndex recoverTrajectories(const QString& stateDir, const CurrentIndex& current)
    {
        RecoveredIndex r;
        if (!begin(r, Family::Trajectories, stateDir, "index.json"))
            return r;
        const QList<TrajectoryRecord> records = findTrajectoryRecords(stateDir);
        if (TrajectoriesSource::keepsNoIndex(stateDir, records)) {
            r.error = QStringLiteral("%1 is a trail 0.5.9+ directory: it keeps no index, trail reads the files")
                          .arg(stateDir);
            return r;
        }

        // The newest copy of each id wins; on a tie the settled one (a crash between writing the
        // completed copy and unlinking the active one leaves both with the same times).
        QHash<QString, QList<TrajectoryRecord>> byId;
        for (const TrajectoryRecord& t : records) {
            if (!t.problem.isEmpty())
                r.skipped.append({ t.path, t.problem });
            else
                byId[t.id].append(t);
        }
        const QJsonObject entries = current.root.value(QStringLiteral("trajectories")).toObject();
        if (!current.problem.isEmpty())
            r.notes.append(
                QStringLiteral("index.json %1: rebuilt from the trajectory files alone").arg(current.problem));

        QJsonObject recovered;
        for (auto it = byId.begin(); it != byId.end(); ++it) {
            QList<TrajectoryRecord>& copies = it.value();
            std::sort(copies.begin(), copies.end(), isPreferredCopy);
            const TrajectoryRecord& t = copies.first();
            if (copies.size() > 1) {
                QStringList paths;
                for (const TrajectoryRecord& c : std::as_const(copies))
                    paths.append(relative(stateDir, c.path));
                r.notes.append(QStringLiteral("%1 has %2 copies (%3): the newest, %4, is indexed")
                                   .arg(t.id)
                                   .arg(copies.size())
                                   .arg(paths.join(QStringLiteral(", ")), relative(stateDir, t.path)));
            }
            // Copy the fields as the file spells them (times keep their exact text).
            const JsonFile f = readJsonFile(t.path, TrajectoriesSource::kMaxRecordBytes);
            if (!f.ok() || f.object.value(QStringLiteral("id")).toString() != t.id) {
                r.skipped.append({ t.path, f.ok() ? QStringLiteral("changed while it was read") : f.problem });
                continue;
            }
            QJsonObject e { { QStringLiteral("title"),
                                f.object.value(QStringLiteral("task")).toObject().value(QStringLiteral("title")) },
                { QStringLiteral("status"), f.object.value(QStringLiteral("status")) },
                { QStringLiteral("startedAt"), f.object.value(QStringLiteral("startedAt")) },
                { QStringLiteral("path"), QFileInfo(t.path).absoluteFilePath() } };
            if (f.object.value(QStringLiteral("completedAt")).isString())
                e.insert(QStringLiteral("completedAt"), f.object.value(QStringLiteral("completedAt")));
            if (entries.contains(t.id)) {
                ++r.keptFromIndex;
                const QJsonValue compacted = entries.value(t.id).toObject().value(QStringLiteral("compactedInto"));
                if (compacted.isString())
                    e.insert(QStringLiteral("compactedInto"), compacted);
            } else {
                r.addedIds.append(t.id);
            }
            recovered.insert(t.id, e);
        }
        for (auto it = entries.begin(); it != entries.end(); ++it) {
            if (!recovered.contains(it.key()))
                r.droppedIds.append(it.key());
        }
        if (!r.droppedIds.isEmpty())
            r.notes.append(QStringLiteral("%1 index entries name no valid trajectory file and are left out: %2")
                               .arg(r.droppedIds.size())
                               .arg(r.droppedIds.join(QStringLiteral(", "))));
        if (!r.skipped.isEmpty())
            r.notes.append(
                QStringLiteral("%1 files are not valid trajectories and are left out").arg(r.skipped.size()));
        r.addedIds.sort();
        r.ids = recovered.keys();
        r.document
            = toJsonText(QJsonObject { { QStringLiteral("version"), 1 }, { QStringLiteral("lastUpdated"), nowIso() },
                             { QStringLiteral("trajectories"), recovered } },
                TrajectoriesSource::indexKeyOrder());
        return r;
    }

    RecoveredIndex recoverCodex(const QString& stateDir, const CurrentIndex& current)
    {
        RecoveredIndex r;
        if (!begin(r, Family::Codex, stateDir, "state.json"))
            return r;
        if (!current.problem.isEmpty())
            r.notes.append(QStringLiteral("state.json %1: rebuilt from the job files alone").arg(current.problem));
        QHash<QString, QJsonObject> jobs;
        QSet<QString> indexed;
        for (const QJsonValue& v : current.root.value(QStringLiteral("jobs")).toArray()) {
            const QJsonObject o = v.toObject();
            const QString id = o.value(QStringLiteral("id")).toString();
            if (!CodexSource::isSafeJobId(id)) {
                r.droppedIds.append(id);
                r.notes.append(
                    QStringLiteral("state.json entry with id '%1' is left out: not a plain job id").arg(id.left(120)));
                continue;
            }
            jobs.insert(id, o);
            indexed.insert(id);
        }

        const QDir jobsDir(QDir(stateDir).filePath(QStringLiteral("jobs")));
        int stamped = 0;
        for (const QString& name :
            jobsDir.entryList({ QStringLiteral("*.json") }, QDir::Files | QDir::Hidden | QDir::System)) {
            const QString path = jobsDir.filePath(name);
            const QString id = name.chopped(5);
            if (!CodexSource::isSafeJobId(id)) {
                r.skipped.append({ path, QStringLiteral("not a plain job id") });
                continue;
            }
            const JsonFile f = readJsonFile(path, CodexSource::kMaxStateBytes);
            if (!f.ok()) {
                r.skipped.append({ path, f.problem });
                continue;
            }
            if (f.object.value(QStringLiteral("id")).toString() != id) {
                r.skipped.append({ path,
                    QStringLiteral("holds job '%1', not %2")
                        .arg(f.object.value(QStringLiteral("id")).toString().left(120), id) });
                continue;
            }
            // The job file carries the result payload; state.json entries never do.
            QJsonObject merged = f.object;
            merged.remove(QStringLiteral("result"));
            merged.remove(QStringLiteral("rendered"));
            if (const auto it = jobs.constFind(id); it != jobs.constEnd()) {
                for (auto field = it->begin(); field != it->end(); ++field)
                    merged.insert(field.key(), field.value());
            } else {
                r.addedIds.append(id);
            }
            if (!merged.value(QStringLiteral("updatedAt")).isString()) {
                // Upstream orders and prunes by updatedAt; a job file's last write is its last update.
                merged.insert(QStringLiteral("updatedAt"),
                    QDateTime::fromMSecsSinceEpoch(f.stamp.mtimeMs(), Qt::UTC).toString(Qt::ISODateWithMs));
                ++stamped;
            }
            jobs.insert(id, merged);
        }
        if (stamped > 0)
            r.notes.append(
                QStringLiteral("%1 job files carry no updatedAt: their modification time is used").arg(stamped));
        int withoutFile = 0;
        for (const QString& id : std::as_const(indexed))
            withoutFile += !jobsDir.exists(id + QLatin1String(".json"));
        if (withoutFile > 0)
            r.notes.append(
                QStringLiteral("%1 state.json entries have no job file; kept as upstream keeps them").arg(withoutFile));

        QList<QJsonObject> ordered = jobs.values();
        // pruneJobs: updatedAt descending, as strings (ISO times compare as text); the id breaks ties.
        std::sort(ordered.begin(), ordered.end(), [](const QJsonObject& a, const QJsonObject& b) {
            const QString ua = a.value(QStringLiteral("updatedAt")).toString();
            const QString ub = b.value(QStringLiteral("updatedAt")).toString();
            return ua != ub ? ua > ub
                            : a.value(QStringLiteral("id")).toString() < b.value(QStringLiteral("id")).toString();
        });
        QJsonArray kept;
        for (const QJsonObject& o : std::as_const(ordered)) {
            const QString id = o.value(QStringLiteral("id")).toString();
            if (kept.size() < CodexSource::kUpstreamJobLimit) {
                kept.append(o);
                r.ids.append(id);
                if (indexed.contains(id))
                    ++r.keptFromIndex;
            } else {
                r.leftOutIds.append(id);
                r.addedIds.removeOne(id);
            }
        }
        if (!r.leftOutIds.isEmpty())
            r.notes.append(
                QStringLiteral("upstream keeps %1 jobs: the %2 oldest are left out (their files stay, unlisted): %3")
                    .arg(CodexSource::kUpstreamJobLimit)
                    .arg(r.leftOutIds.size())
                    .arg(r.leftOutIds.join(QStringLiteral(", "))));
        if (!r.skipped.isEmpty())
            r.notes.append(QStringLiteral("%1 job files cannot be used and are left out").arg(r.skipped.size()));
        r.addedIds.sort();
        QJsonValue config = current.root.value(QStringLiteral("config"));
        if (!config.isObject())
            config = QJsonObject { { QStringLiteral("stopReviewGate"), false } };
        const QJsonValue version = current.root.value(QStringLiteral("version"));
        // Upstream's field order (B.2); a request object shares the list, its keys sit where they sort right.
        r.document
            = toJsonText(QJsonObject { { QStringLiteral("version"), version.isDouble() ? version : QJsonValue(1) },
                             { QStringLiteral("config"), config }, { QStringLiteral("jobs"), kept } },
                CodexSource::keyOrder());
        return r;
    }

    RecoveredIndex recoverFrom(Family family, const QString& stateDir, const CurrentIndex& current)
    {
        return family == Family::Trajectories ? recoverTrajectories(stateDir, current)
                                              : recoverCodex(stateDir, current);
    }

} // namespace

RecoveredIndex recoverTrajectoriesIndex(const QString& stateDir)
{
    return recoverTrajectories(stateDir, readCurrent(Family::Trajectories, stateDir));
}

RecoveredIndex recoverCodexState(const QString& stateDir)
{
    return recoverCodex(stateDir, readCurrent(Family::Codex, stateDir));
}

RecoveredIndex recoverIndex(Family family, const QString& stateDir)
{
    switch (family) {
    case Family::Trajectories:
    case Family::Codex:
        return recoverFrom(family, stateDir, readCurrent(family, stateDir));
    case Family::Codegraph:
    case Family::Gstack:
        break;
    }
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

namespace {

    void editTrajectories(
        EditedIndex& out, const QJsonObject& current, const RecoveredIndex& recovered, const IndexEdit& edit)
    {
        const QJsonObject from
            = QJsonDocument::fromJson(recovered.document).object().value(QStringLiteral("trajectories")).toObject();
        QJsonObject entries = current.value(QStringLiteral("trajectories")).toObject();
        for (const QString& id : edit.add) {
            if (entries.contains(id))
                out.skipped.append(QStringLiteral("%1: already in the index").arg(id));
            else if (!from.contains(id))
                out.skipped.append(QStringLiteral("%1: no valid trajectory file any more").arg(id));
            else {
                entries.insert(id, from.value(id));
                out.applied.append(QStringLiteral("added %1").arg(id));
            }
        }
        for (const QString& id : edit.drop) {
            if (!entries.contains(id))
                out.skipped.append(QStringLiteral("%1: no longer in the index").arg(id));
            else if (from.contains(id))
                out.skipped.append(QStringLiteral("%1: its trajectory file is back").arg(id));
            else {
                entries.remove(id);
                out.applied.append(QStringLiteral("dropped %1").arg(id));
            }
        }
        for (const QString& id : edit.fix) {
            if (!entries.contains(id) || !from.contains(id))
                out.skipped.append(QStringLiteral("%1: not both in the index and on disk any more").arg(id));
            else if (entries.value(id) == from.value(id))
                out.skipped.append(QStringLiteral("%1: already up to date").arg(id));
            else {
                entries.insert(id, from.value(id)); // the recovery kept its compactedInto
                out.applied.append(QStringLiteral("corrected %1").arg(id));
            }
        }
        if (out.applied.isEmpty())
            return;
        QJsonObject index = current;
        index.insert(QStringLiteral("version"),
            current.value(QStringLiteral("version")).isDouble() ? current.value(QStringLiteral("version"))
                                                                : QJsonValue(1));
        index.insert(QStringLiteral("lastUpdated"), nowIso());
        index.insert(QStringLiteral("trajectories"), entries);
        out.document = toJsonText(index, TrajectoriesSource::indexKeyOrder());
    }

    void editCodex(EditedIndex& out, const QString& stateDir, const QJsonObject& current,
        const RecoveredIndex& recovered, const IndexEdit& edit)
    {
        QHash<QString, QJsonObject> from;
        for (const QJsonValue& v :
            QJsonDocument::fromJson(recovered.document).object().value(QStringLiteral("jobs")).toArray())
            from.insert(v.toObject().value(QStringLiteral("id")).toString(), v.toObject());
        QList<QJsonObject> jobs;
        QSet<QString> present;
        for (const QJsonValue& v : current.value(QStringLiteral("jobs")).toArray()) {
            jobs.append(v.toObject());
            present.insert(v.toObject().value(QStringLiteral("id")).toString());
        }
        const QDir jobsDir(QDir(stateDir).filePath(QStringLiteral("jobs")));
        for (const QString& id : edit.drop) {
            if (!present.contains(id))
                out.skipped.append(QStringLiteral("%1: no longer in state.json").arg(id));
            else if (CodexSource::isSafeJobId(id) && QFileInfo::exists(jobsDir.filePath(id + QLatin1String(".json"))))
                out.skipped.append(QStringLiteral("%1: its job file is back").arg(id));
            else {
                jobs.removeIf([&](const QJsonObject& o) { return o.value(QStringLiteral("id")).toString() == id; });
                present.remove(id);
                out.applied.append(QStringLiteral("dropped %1").arg(id));
            }
        }
        // Newest first, so that what does not fit under upstream's limit is the oldest.
        QList<QJsonObject> additions;
        for (const QString& id : edit.add) {
            if (present.contains(id))
                out.skipped.append(QStringLiteral("%1: already in state.json").arg(id));
            else if (recovered.leftOutIds.contains(id) || !from.contains(id))
                out.skipped.append(QStringLiteral("%1: not among the %2 newest jobs upstream keeps")
                                       .arg(id)
                                       .arg(CodexSource::kUpstreamJobLimit));
            else
                additions.append(from.value(id));
        }
        const auto newer = [](const QJsonObject& a, const QJsonObject& b) {
            return a.value(QStringLiteral("updatedAt")).toString() > b.value(QStringLiteral("updatedAt")).toString();
        };
        std::sort(additions.begin(), additions.end(), newer);
        for (const QJsonObject& o : std::as_const(additions)) {
            const QString id = o.value(QStringLiteral("id")).toString();
            if (jobs.size() >= CodexSource::kUpstreamJobLimit) {
                out.skipped.append(
                    QStringLiteral("%1: state.json already holds %2 jobs; upstream's next save would prune "
                                   "one and delete its files")
                        .arg(id)
                        .arg(jobs.size()));
                continue;
            }
            jobs.append(o);
            out.applied.append(QStringLiteral("added %1").arg(id));
        }
        if (out.applied.isEmpty())
            return;
        std::stable_sort(jobs.begin(), jobs.end(), newer);
        QJsonArray array;
        for (const QJsonObject& o : std::as_const(jobs))
            array.append(o);
        QJsonObject state = current;
        state.insert(QStringLiteral("jobs"), array);
        out.document = toJsonText(state, CodexSource::keyOrder());
    }

} // namespace

EditedIndex editIndex(Family family, const QString& stateDir, const IndexEdit& edit)
{
    EditedIndex out;
    if (family != Family::Trajectories && family != Family::Codex) {
        out.error = QStringLiteral("%1 keeps no index to edit").arg(nameOf(family));
        return out;
    }
    // One read of the index serves the recovery and the edit, so the stamp compared before the
    // rename is that of exactly the bytes both were computed from.
    const CurrentIndex index = readCurrent(family, stateDir);
    const RecoveredIndex recovered = recoverFrom(family, stateDir, index);
    out.indexPath = recovered.indexPath;
    if (!recovered.ok()) {
        out.error = recovered.error;
        return out;
    }
    const bool trajectories = family == Family::Trajectories;
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
            out.error = QStringLiteral("%1 cannot be read (%2); only replace-corrupt-index changes it")
                            .arg(out.indexPath, index.problem);
            return out;
        }
        out.document = recovered.document;
        out.applied.append(QStringLiteral("replaced the unreadable %1 by the recovered one (%2 entries)")
                               .arg(QFileInfo(out.indexPath).fileName())
                               .arg(recovered.ids.size()));
        return out;
    }
    // A missing index is an empty one, as the tools read it.
    const QJsonObject base = usable ? index.root
        : trajectories
        ? QJsonObject { { QStringLiteral("version"), 1 }, { QStringLiteral("trajectories"), QJsonObject() } }
        : QJsonObject { { QStringLiteral("version"), 1 },
              { QStringLiteral("config"), QJsonObject { { QStringLiteral("stopReviewGate"), false } } },
              { QStringLiteral("jobs"), QJsonArray() } };
    if (trajectories)
        editTrajectories(out, base, recovered, edit);
    else
        editCodex(out, stateDir, base, recovered, edit);
    return out;
}

} // namespace Stateward
