// SPDX-License-Identifier: GPL-3.0-or-later
// codex-companion's state.json: how Stateward rebuilds it from jobs/*.json and edits its entries
// (docs/formats/codex.md). The generic half is in core/recover/recover.cpp.
#include "codexsource.h"
#include "jsonfile.h"
#include "recover/recover.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <algorithm>

namespace Stateward {

namespace {

    // Every job in jobs/*.json plus the current entries, merged (the state.json entry's fields
    // win; a job file fills what it lacks), newest first, cut at upstream's 50 jobs. `config` is
    // kept from the current state.json when it is readable.
    class CodexIndex : public ToolIndex
    {
    public:
        QString fileName() const override { return QStringLiteral("state.json"); }
        QString rule() const override
        {
            return QStringLiteral("state.json from jobs/*.json and the current entries, newest first, at most %1 jobs.")
                .arg(CodexSource::kUpstreamJobLimit);
        }
        qint64 maxBytes() const override { return CodexSource::kMaxStateBytes; }
        bool keptIn(const QString&) const override { return true; }
        QString shapeProblem(const QJsonObject& root) const override
        {
            return root.value(QStringLiteral("jobs")).isArray() ? QString() : QStringLiteral("no \"jobs\" array");
        }
        QJsonObject empty() const override
        {
            return QJsonObject { { QStringLiteral("version"), 1 },
                { QStringLiteral("config"), QJsonObject { { QStringLiteral("stopReviewGate"), false } } },
                { QStringLiteral("jobs"), QJsonArray() } };
        }
        void recover(RecoveredIndex& r, const QJsonObject& current, const QString& problem) const override;
        void edit(EditedIndex& out, const QString& stateDir, const QJsonObject& current,
            const RecoveredIndex& recovered, const IndexEdit& edit) const override;
    };

} // namespace

const ToolIndex* CodexSource::index() const
{
    static const CodexIndex index;
    return &index;
}

void CodexIndex::recover(RecoveredIndex& r, const QJsonObject& current, const QString& problem) const
{
    const QString& stateDir = r.stateDir;
    // An index rebuilt from what cannot be read would list nothing: "jobs": [] copied over
    // state.json makes the companion delete every job's files.
    if (const QString why = CodexSource::unreadable(stateDir); !why.isEmpty()) {
        r.error = QStringLiteral("%1: nothing is recovered from what cannot be read").arg(why);
        return;
    }
    if (!problem.isEmpty())
        r.notes.append(QStringLiteral("state.json %1: rebuilt from the job files alone").arg(problem));
    QHash<QString, QJsonObject> jobs;
    QSet<QString> indexed;
    for (const QJsonValue& v : current.value(QStringLiteral("jobs")).toArray()) {
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
        r.notes.append(QStringLiteral("%1 job files carry no updatedAt: their modification time is used").arg(stamped));
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
        return ua != ub ? ua > ub : a.value(QStringLiteral("id")).toString() < b.value(QStringLiteral("id")).toString();
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
    QJsonValue config = current.value(QStringLiteral("config"));
    if (!config.isObject())
        config = QJsonObject { { QStringLiteral("stopReviewGate"), false } };
    const QJsonValue version = current.value(QStringLiteral("version"));
    // Upstream's field order (B.2); a request object shares the list, its keys sit where they sort right.
    r.document = toJsonText(QJsonObject { { QStringLiteral("version"), version.isDouble() ? version : QJsonValue(1) },
                                { QStringLiteral("config"), config }, { QStringLiteral("jobs"), kept } },
        CodexSource::keyOrder());
}

void CodexIndex::edit(EditedIndex& out, const QString& stateDir, const QJsonObject& current,
    const RecoveredIndex& recovered, const IndexEdit& edit) const
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
            out.skipped.append(QStringLiteral("%1: state.json already holds %2 jobs; upstream's next save would prune "
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

} // namespace Stateward
