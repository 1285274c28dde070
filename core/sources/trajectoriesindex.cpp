// SPDX-License-Identifier: GPL-3.0-or-later
// index.json of trail's index era (≤0.5.8): how Stateward rebuilds it from the trajectory files
// and edits its entries (docs/formats/trajectories.md). The generic half is in core/recover/recover.cpp.
#include "jsonfile.h"
#include "recover/recover.h"
#include "trajectoriessource.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QJsonDocument>

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

    // Every valid record under the state dir, one entry per id (the newest copy; completed over
    // active on a tie), `compactedInto` kept from the current index, `path` absolute as
    // FileStorage joins it. A 0.5.9+ directory keeps no index: an error.
    class TrajectoriesIndex : public ToolIndex
    {
    public:
        QString fileName() const override { return QStringLiteral("index.json"); }
        QString rule() const override
        {
            return QStringLiteral("index.json of the index era (≤0.5.6, told by the files; an index-free 0.5.9+ "
                                  "directory is refused), every valid trajectory file, the newest copy of a duplicated "
                                  "id, compactedInto kept.");
        }
        qint64 maxBytes() const override { return kMaxIndexBytes; }
        bool keptIn(const QString& stateDir) const override
        {
            return TrajectoriesSource::recogniseLayout(stateDir, findTrajectoryRecords(stateDir)).era
                == TrajectoriesSource::Era::Index;
        }
        QString shapeProblem(const QJsonObject& root) const override
        {
            return root.value(QStringLiteral("trajectories")).isObject() ? QString()
                                                                         : QStringLiteral("no \"trajectories\" object");
        }
        QJsonObject empty() const override
        {
            return QJsonObject { { QStringLiteral("version"), 1 }, { QStringLiteral("trajectories"), QJsonObject() } };
        }
        void recover(RecoveredIndex& r, const QJsonObject& current, const QString& problem) const override;
        void edit(EditedIndex& out, const QString& stateDir, const QJsonObject& current,
            const RecoveredIndex& recovered, const IndexEdit& edit) const override;
    };

} // namespace

const ToolIndex* TrajectoriesSource::index() const
{
    static const TrajectoriesIndex index;
    return &index;
}

void TrajectoriesIndex::recover(RecoveredIndex& r, const QJsonObject& current, const QString& problem) const
{
    const QString& stateDir = r.stateDir;
    const QList<TrajectoryRecord> records = findTrajectoryRecords(stateDir);
    const TrajectoriesSource::Layout layout = TrajectoriesSource::recogniseLayout(stateDir, records);
    if (layout.era != TrajectoriesSource::Era::Index) {
        r.error = layout.era == TrajectoriesSource::Era::Unknown
            ? QStringLiteral("%1 is not an agent-trajectories directory (%2): no index to recover")
                  .arg(stateDir, layout.recognition.evidence)
            : QStringLiteral("%1 is %2 (%3): trail 0.5.9+ keeps no index.json and deletes one on its next start, "
                             "so there is none to recover; trail reads the files")
                  .arg(stateDir, layout.recognition.describe(), layout.recognition.evidence);
        return;
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
    const QJsonObject entries = current.value(QStringLiteral("trajectories")).toObject();
    if (!problem.isEmpty())
        r.notes.append(QStringLiteral("index.json %1: rebuilt from the trajectory files alone").arg(problem));

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
    // An entry whose file the walk could not see (a symlink it does not follow, a directory it
    // cannot list) is kept as it is: trail may still read it. The workspace is the state dir's
    // parent for the default place, where a relative path would be resolved.
    const QDir base(QFileInfo(QDir::cleanPath(stateDir)).path());
    for (auto it = entries.begin(); it != entries.end(); ++it) {
        if (recovered.contains(it.key()))
            continue;
        const QString path = it.value().toObject().value(QStringLiteral("path")).toString();
        const QString unseen = path.isEmpty()
            ? QString()
            : TrajectoriesSource::unseenReason(stateDir, QDir::cleanPath(base.absoluteFilePath(path)));
        if (unseen.isEmpty()) {
            r.droppedIds.append(it.key());
            continue;
        }
        recovered.insert(it.key(), it.value());
        ++r.keptFromIndex;
        r.notes.append(QStringLiteral("%1 kept as it was: its file cannot be checked (%2)").arg(it.key(), unseen));
    }
    if (!r.droppedIds.isEmpty())
        r.notes.append(QStringLiteral("%1 index entries name no valid trajectory file and are left out: %2")
                           .arg(r.droppedIds.size())
                           .arg(r.droppedIds.join(QStringLiteral(", "))));
    if (!r.skipped.isEmpty())
        r.notes.append(QStringLiteral("%1 files are not valid trajectories and are left out").arg(r.skipped.size()));
    r.addedIds.sort();
    r.ids = recovered.keys();
    r.document = toJsonText(QJsonObject { { QStringLiteral("version"), 1 }, { QStringLiteral("lastUpdated"), nowIso() },
                                { QStringLiteral("trajectories"), recovered } },
        TrajectoriesSource::indexKeyOrder());
}

void TrajectoriesIndex::edit(EditedIndex& out, const QString&, const QJsonObject& current,
    const RecoveredIndex& recovered, const IndexEdit& edit) const
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
        current.value(QStringLiteral("version")).isDouble() ? current.value(QStringLiteral("version")) : QJsonValue(1));
    index.insert(QStringLiteral("lastUpdated"), nowIso());
    index.insert(QStringLiteral("trajectories"), entries);
    out.document = toJsonText(index, TrajectoriesSource::indexKeyOrder());
}

} // namespace Stateward
