// SPDX-License-Identifier: GPL-3.0-or-later
#include "repair.h"

#include "lock/atomicwrite.h"
#include "lock/lockfile.h"
#include "proc/openfiles.h"
#include "quarantine.h"
#include "recover/recover.h"
#include "sources/codexsource.h"
#include "sources/jsonfile.h"
#include "statedir.h"

#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>

namespace Stateward {

namespace {

    using namespace std::chrono_literals;

    const QStringList kIndexKinds { QStringLiteral("replace-corrupt-index"), QStringLiteral("reindex"),
        QStringLiteral("drop-dangling-entry"), QStringLiteral("fix-index-entry") };
    constexpr auto kLockTimeout = 10s;
    constexpr int kRewriteAttempts = 5; // compare-before-rename retries against lock-less writers

    // The record id a finding is about: "<file>#<id>", or the job whose record file it names.
    QString entryIdOf(const Finding& f, const Snapshot& s)
    {
        if (const qsizetype hash = f.subject.lastIndexOf(QLatin1Char('#')); hash > 0)
            return f.subject.mid(hash + 1);
        for (const Job& j : s.jobs) {
            if (j.recordFile == f.subject)
                return j.jobId;
        }
        return {};
    }

    QString indexFileOf(const Snapshot& s)
    {
        return QDir(s.stateDir)
            .filePath(s.family == Family::Codex ? QStringLiteral("state.json") : QStringLiteral("index.json"));
    }

    QString joinIds(const QSet<QString>& ids)
    {
        QStringList list(ids.cbegin(), ids.cend());
        list.sort();
        return list.join(QStringLiteral(", "));
    }

    RepairResult outcome(const RepairAction& a, RepairResult::Outcome o, const QString& detail)
    {
        RepairResult r;
        r.actionId = a.id;
        r.outcome = o;
        r.detail = detail;
        return r;
    }

    RepairResult changedEveryTime(const RepairAction& a)
    {
        return outcome(a, RepairResult::Outcome::Skipped,
            QStringLiteral("%1 changed under every one of %2 attempts; left alone")
                .arg(a.target)
                .arg(kRewriteAttempts));
    }

    // --- the kinds ---------------------------------------------------------------------------

    RepairResult rewriteIndex(const RepairAction& a, const StateDir& dir)
    {
        const std::optional<QString> relative = dir.relativePath(a.target);
        if (!relative)
            return outcome(
                a, RepairResult::Outcome::Failed, QStringLiteral("%1 is outside the state dir").arg(a.target));
        // The tools take no cross-process lock on these files: ours serialises Stateward
        // processes, compare-before-rename catches a tool that wrote meanwhile (then: again).
        LockFile lock(a.target);
        if (!lock.lock(kLockTimeout))
            return outcome(a, RepairResult::Outcome::Skipped,
                QStringLiteral("could not take %1: %2").arg(lock.lockPath(), lock.errorString()));
        IndexEdit edit { a.add, a.drop, a.fix, a.replaceCorrupt };
        for (int attempt = 1; attempt <= kRewriteAttempts; ++attempt) {
            const EditedIndex e = editIndex(a.family, a.stateDir, edit);
            if (!e.error.isEmpty())
                return outcome(a, RepairResult::Outcome::Skipped, e.error);
            if (e.document.isEmpty()) {
                RepairResult r = outcome(a, RepairResult::Outcome::Skipped, QStringLiteral("nothing left to change"));
                r.skipped = e.skipped;
                return r;
            }
            Quarantine q(dir, a.id, a.toJson());
            QString error;
            if (!q.isValid()
                || (e.currentExists && !q.keepReplaced(*relative, e.currentBytes, e.current, e.document, &error)))
                return outcome(a, RepairResult::Outcome::Failed,
                    QStringLiteral("cannot keep the previous version: %1").arg(q.isValid() ? error : q.error()));
            AtomicWriteOptions options;
            if (e.currentExists)
                options.expected = e.current;
            else
                options.expectAbsent = true;
            const AtomicWriteResult w = atomicWrite(a.target, e.document, options);
            if (w.changedMeanwhile) {
                q.discardCopies();
                continue; // a tool wrote it meanwhile: compute again from what it wrote
            }
            if (!w.ok) {
                q.discardCopies();
                return outcome(a, RepairResult::Outcome::Failed, w.error);
            }
            q.commit(&error);
            RepairResult r = outcome(a, RepairResult::Outcome::Applied,
                QStringLiteral("%1 rewritten: %2 changes").arg(a.target).arg(e.applied.size()));
            if (attempt > 1)
                r.detail += QStringLiteral(" (after %1 writes by others meanwhile)").arg(attempt - 1);
            r.applied = e.applied;
            r.skipped = e.skipped;
            r.applied.sort();
            r.skipped.sort();
            r.quarantineId = e.currentExists ? q.id() : QString();
            return r;
        }
        return changedEveryTime(a);
    }

    // codex: a queued/running job whose process is gone becomes failed, in state.json and its job
    // file, with a message saying why (as PR #225 proposes upstream).
    RepairResult markFailed(const RepairAction& a, const StateDir& dir)
    {
        LockFile lock(a.target);
        if (!lock.lock(kLockTimeout))
            return outcome(a, RepairResult::Outcome::Skipped,
                QStringLiteral("could not take %1: %2").arg(lock.lockPath(), lock.errorString()));
        const QString jobPath = QDir(a.stateDir).filePath(QStringLiteral("jobs/%1.json").arg(a.jobId));
        for (int attempt = 1; attempt <= kRewriteAttempts; ++attempt) {
            const JsonFile state = readJsonFile(a.target, CodexSource::kMaxStateBytes);
            if (!state.ok())
                return outcome(
                    a, RepairResult::Outcome::Skipped, QStringLiteral("%1: %2").arg(a.target, state.problem));
            QJsonArray jobs = state.object.value(QStringLiteral("jobs")).toArray();
            qsizetype index = -1;
            for (qsizetype i = 0; i < jobs.size(); ++i) {
                if (jobs.at(i).toObject().value(QStringLiteral("id")).toString() == a.jobId)
                    index = i;
            }
            if (index < 0)
                return outcome(a, RepairResult::Outcome::Skipped,
                    QStringLiteral("job %1 is no longer in state.json").arg(a.jobId));
            QJsonObject job = jobs.at(index).toObject();
            const QString status = job.value(QStringLiteral("status")).toString();
            if ((status != QLatin1String("queued") && status != QLatin1String("running"))
                || job.value(QStringLiteral("pid")).toInteger(-1) != a.pid)
                return outcome(a, RepairResult::Outcome::Skipped,
                    QStringLiteral("job %1 is now '%2' with PID %3")
                        .arg(a.jobId, status)
                        .arg(job.value(QStringLiteral("pid")).toInteger(-1)));
            const QDateTime started = QDateTime::fromString(
                job.value(QStringLiteral("startedAt")).toString(job.value(QStringLiteral("createdAt")).toString()),
                Qt::ISODateWithMs);
            const WriterJudgement w = judgeWriter(inspectProcess(a.pid), started);
            if (w.verdict != WriterVerdict::Dead && w.verdict != WriterVerdict::Reused)
                return outcome(
                    a, RepairResult::Outcome::Skipped, QStringLiteral("job %1's process: %2").arg(a.jobId, w.reason));

            const QString now = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
            const QString message
                = QStringLiteral("Codex job ended unexpectedly (process %1 is not running: %2); marked "
                                 "failed by Stateward.")
                      .arg(a.pid)
                      .arg(w.reason);
            const auto failed = [&](QJsonObject o) {
                o.insert(QStringLiteral("status"), QStringLiteral("failed"));
                o.insert(QStringLiteral("phase"), QStringLiteral("failed"));
                o.insert(QStringLiteral("pid"), QJsonValue::Null);
                o.insert(QStringLiteral("completedAt"), now);
                o.insert(QStringLiteral("errorMessage"), message);
                return o;
            };
            job = failed(job);
            job.insert(QStringLiteral("updatedAt"), now);
            jobs.replace(index, job);
            QJsonObject next = state.object;
            next.insert(QStringLiteral("jobs"), jobs);
            const QByteArray stateBytes = toJsonText(next);
            const JsonFile jobFile = readJsonFile(jobPath, CodexSource::kMaxStateBytes);
            const QByteArray jobBytes = jobFile.ok() ? toJsonText(failed(jobFile.object)) : QByteArray();

            Quarantine q(dir, a.id, a.toJson());
            QString error;
            const QString jobRelative = QStringLiteral("jobs/%1.json").arg(a.jobId);
            if (!q.keepReplaced(QStringLiteral("state.json"), state.bytes, state.stamp, stateBytes, &error)
                || (jobFile.ok() && !q.keepReplaced(jobRelative, jobFile.bytes, jobFile.stamp, jobBytes, &error)))
                return outcome(a, RepairResult::Outcome::Failed,
                    QStringLiteral("cannot keep the previous version: %1").arg(error));
            AtomicWriteOptions options;
            options.expected = state.stamp;
            const AtomicWriteResult ws = atomicWrite(a.target, stateBytes, options);
            if (ws.changedMeanwhile) {
                q.discardCopies();
                continue;
            }
            if (!ws.ok) {
                q.discardCopies();
                return outcome(a, RepairResult::Outcome::Failed, ws.error);
            }
            RepairResult r = outcome(
                a, RepairResult::Outcome::Applied, QStringLiteral("job %1 marked failed in state.json").arg(a.jobId));
            if (jobFile.ok()) {
                options.expected = jobFile.stamp;
                const AtomicWriteResult wj = atomicWrite(jobPath, jobBytes, options);
                r.detail += wj.ok ? QStringLiteral(" and %1").arg(jobRelative)
                                  : QStringLiteral("; %1 left as it is: %2").arg(jobRelative, wj.error);
            }
            q.commit(&error);
            r.quarantineId = q.id();
            r.applied = { message };
            return r;
        }
        return changedEveryTime(a);
    }

    RepairResult clearLock(const RepairAction& a, const StateDir& dir)
    {
        const std::optional<QString> relative = dir.relativePath(a.target);
        if (!relative || !a.expected || dir.stamp(*relative) != a.expected)
            return outcome(a, RepairResult::Outcome::Skipped,
                QStringLiteral("%1 changed or went away since it was judged").arg(a.target));
        const QByteArray content = [&] { // closed again before judging: an open fd means "held"
            QFile f(a.target);
            return f.open(QIODevice::ReadOnly) ? f.read(64 * 1024) : QByteArray();
        }();
        const ClearResult c = clearStaleLock(a.target); // judges again, with full evidence
        if (!c.cleared)
            return outcome(a, RepairResult::Outcome::Skipped, c.message);
        Quarantine q(dir, a.id, a.toJson());
        QString error;
        if (q.isValid() && q.keepCleared(*relative, content, &error))
            q.commit(&error);
        RepairResult r = outcome(a, RepairResult::Outcome::Applied, c.message);
        r.quarantineId = q.id();
        return r;
    }

    RepairResult moveToQuarantine(const RepairAction& a, const StateDir& dir, const OpenFileTable* openFiles)
    {
        const std::optional<QString> relative = dir.relativePath(a.target);
        if (!relative || !a.expected)
            return outcome(
                a, RepairResult::Outcome::Failed, QStringLiteral("%1 is outside the state dir").arg(a.target));
        if (openFiles) {
            if (const QList<qint64> holders = openFiles->holders(a.expected->key); !holders.isEmpty())
                return outcome(a, RepairResult::Outcome::Skipped,
                    QStringLiteral("%1 is open by PID %2 now").arg(a.target).arg(holders.first()));
        }
        Quarantine q(dir, a.id, a.toJson());
        QString error;
        if (!q.isValid())
            return outcome(a, RepairResult::Outcome::Failed, q.error());
        if (!q.moveIn(*relative, *a.expected, &error)) {
            q.commit(&error);
            return outcome(a, RepairResult::Outcome::Skipped, error);
        }
        if (!q.commit(&error))
            return outcome(a, RepairResult::Outcome::Failed, error);
        RepairResult r
            = outcome(a, RepairResult::Outcome::Applied, QStringLiteral("%1 moved to %2").arg(a.target, q.path()));
        r.quarantineId = q.id();
        return r;
    }

    // A daemon's state file goes only while the finding that condemned it still holds: the
    // family's adapter scans the state dir again, under the file's lock.
    RepairResult removeStateFile(const RepairAction& a, const StateDir& dir)
    {
        LockFile lock(a.target); // gstack's browse.json.lock reads our PID line as its holder
        if (!lock.lock(kLockTimeout))
            return outcome(a, RepairResult::Outcome::Skipped,
                QStringLiteral("could not take %1: %2").arg(lock.lockPath(), lock.errorString()));
        const SourceAdapter* adapter = nullptr;
        for (const SourceAdapter* s : sourceAdapters()) {
            if (s->family() == a.family)
                adapter = s;
        }
        ScanContext context;
        const Snapshot now = adapter->scan(a.workspace, a.stateDir, context);
        bool stillWrong = false;
        for (const Finding& f : now.findings)
            stillWrong |= a.findingIds.contains(f.id);
        if (!stillWrong)
            return outcome(a, RepairResult::Outcome::Skipped,
                QStringLiteral("%1: the daemon it names is fine again; kept").arg(a.target));
        return moveToQuarantine(a, dir, nullptr);
    }

} // namespace

QJsonObject RepairAction::toJson() const
{
    QJsonObject o { { QStringLiteral("id"), id }, { QStringLiteral("kind"), kind },
        { QStringLiteral("kinds"), QJsonArray::fromStringList(kinds) }, { QStringLiteral("family"), nameOf(family) },
        { QStringLiteral("workspace"), workspace }, { QStringLiteral("stateDir"), stateDir },
        { QStringLiteral("target"), target }, { QStringLiteral("summary"), summary },
        { QStringLiteral("effects"), QJsonArray::fromStringList(effects) },
        { QStringLiteral("findings"), QJsonArray::fromStringList(findingIds) } };
    if (expected)
        o.insert(QStringLiteral("expected"),
            QJsonObject { { QStringLiteral("file"), expected->key.toString() },
                { QStringLiteral("size"), expected->size },
                { QStringLiteral("mtimeNs"), QString::number(expected->mtimeNs) } });
    if (!jobId.isEmpty())
        o.insert(QStringLiteral("jobId"), jobId);
    if (pid > 0)
        o.insert(QStringLiteral("pid"), pid);
    return o;
}

QJsonObject RepairPlan::toJson() const
{
    QJsonArray list;
    for (const RepairAction& a : actions)
        list.append(a.toJson());
    return QJsonObject { { QStringLiteral("schema"), QStringLiteral("stateward-repair-plan/1") },
        { QStringLiteral("actions"), list }, { QStringLiteral("notes"), QJsonArray::fromStringList(notes) } };
}

QString nameOf(RepairResult::Outcome outcome)
{
    switch (outcome) {
    case RepairResult::Outcome::Applied:
        return QStringLiteral("applied");
    case RepairResult::Outcome::Skipped:
        return QStringLiteral("skipped");
    case RepairResult::Outcome::Failed:
        return QStringLiteral("failed");
    }
    return {};
}

QJsonObject RepairResult::toJson() const
{
    QJsonObject o { { QStringLiteral("action"), actionId }, { QStringLiteral("outcome"), nameOf(outcome) },
        { QStringLiteral("detail"), detail }, { QStringLiteral("applied"), QJsonArray::fromStringList(applied) },
        { QStringLiteral("skipped"), QJsonArray::fromStringList(skipped) } };
    if (!quarantineId.isEmpty())
        o.insert(QStringLiteral("quarantine"), quarantineId);
    return o;
}

const QStringList& repairKinds()
{
    static const QStringList kinds { QStringLiteral("clear-stale-lock"), QStringLiteral("sweep-tmp"),
        QStringLiteral("replace-corrupt-index"), QStringLiteral("reindex"), QStringLiteral("drop-dangling-entry"),
        QStringLiteral("fix-index-entry"), QStringLiteral("mark-failed"), QStringLiteral("remove-state-file") };
    return kinds;
}

RepairPlan planRepairs(const QList<Snapshot>& snapshots, const QStringList& kinds)
{
    RepairPlan plan;
    const auto wanted = [&](const QString& kind) { return kinds.isEmpty() || kinds.contains(kind); };
    for (const Snapshot& s : snapshots) {
        const StateDir dir(s.stateDir);
        RepairAction index; // every index kind for this state dir, in one rewrite
        index.family = s.family;
        index.workspace = s.workspace;
        index.stateDir = s.stateDir;
        index.target = indexFileOf(s);
        for (const Finding& f : s.findings) {
            for (const QString& kind : f.repairs) {
                if (!wanted(kind))
                    continue;
                if (!repairKinds().contains(kind)) {
                    plan.notes.append(QStringLiteral("%1: '%2' is not done by this repair yet").arg(f.subject, kind));
                    continue;
                }
                if (kIndexKinds.contains(kind)) {
                    const QString id = entryIdOf(f, s);
                    if (kind == QLatin1String("replace-corrupt-index"))
                        index.replaceCorrupt = true;
                    else if (f.code == QLatin1String("index-missing")) {
                        for (const Job& j : s.jobs) {
                            if (!j.inIndex)
                                index.add.insert(j.jobId);
                        }
                    } else if (id.isEmpty())
                        continue;
                    else if (kind == QLatin1String("reindex"))
                        index.add.insert(id);
                    else if (kind == QLatin1String("drop-dangling-entry"))
                        index.drop.insert(id);
                    else
                        index.fix.insert(id);
                    if (!index.kinds.contains(kind))
                        index.kinds.append(kind);
                    index.findingIds.append(f.id);
                    continue;
                }
                RepairAction a;
                a.kind = kind;
                a.kinds = { kind };
                a.family = s.family;
                a.workspace = s.workspace;
                a.stateDir = s.stateDir;
                a.findingIds = { f.id };
                QString why;
                if (kind == QLatin1String("mark-failed")) {
                    a.jobId = entryIdOf(f, s);
                    for (const Job& j : s.jobs) {
                        if (j.jobId == a.jobId)
                            a.pid = j.pid;
                    }
                    a.target = indexFileOf(s);
                    a.summary = QStringLiteral("mark job %1 failed (its process %2 is gone)").arg(a.jobId).arg(a.pid);
                } else {
                    a.target = f.subject;
                    const std::optional<QString> relative = dir.relativePath(a.target, &why);
                    if (!relative) {
                        plan.notes.append(QStringLiteral("%1: never touched: %2").arg(f.subject, why));
                        continue;
                    }
                    a.expected = dir.stamp(*relative);
                    if (!a.expected) {
                        plan.notes.append(QStringLiteral("%1: gone since the scan").arg(f.subject));
                        continue;
                    }
                    a.summary = kind == QLatin1String("clear-stale-lock")
                        ? QStringLiteral("clear the stale lock %1").arg(a.target)
                        : QStringLiteral("move %1 to the quarantine").arg(a.target);
                }
                a.effects = { f.summary };
                a.id
                    = kind + QLatin1Char(':') + a.target + (a.jobId.isEmpty() ? QString() : QLatin1Char('#') + a.jobId);
                plan.actions.append(a);
            }
        }
        if (!index.kinds.isEmpty()) {
            for (const QString& kind : kIndexKinds) {
                if (index.kinds.contains(kind)) {
                    index.kind = kind; // the weightiest names the action
                    break;
                }
            }
            index.id = QStringLiteral("%1:%2").arg(index.kind, index.target);
            if (index.replaceCorrupt)
                index.effects.append(QStringLiteral("replace the unreadable index by one recovered from the records"));
            if (!index.add.isEmpty())
                index.effects.append(
                    QStringLiteral("add %1 entries: %2").arg(index.add.size()).arg(joinIds(index.add)));
            if (!index.drop.isEmpty())
                index.effects.append(
                    QStringLiteral("drop %1 entries: %2").arg(index.drop.size()).arg(joinIds(index.drop)));
            if (!index.fix.isEmpty())
                index.effects.append(
                    QStringLiteral("correct %1 entries: %2").arg(index.fix.size()).arg(joinIds(index.fix)));
            index.summary = QStringLiteral("rewrite %1").arg(index.target);
            plan.actions.append(index);
        }
    }
    // Locks first (a stale lock would block the rest), then litter, indexes, jobs, state files.
    std::stable_sort(plan.actions.begin(), plan.actions.end(), [](const RepairAction& a, const RepairAction& b) {
        return repairKinds().indexOf(a.kind) < repairKinds().indexOf(b.kind);
    });
    return plan;
}

QList<RepairResult> applyPlan(
    const RepairPlan& plan, const std::function<void(int done, int total, const RepairResult&)>& progress)
{
    QList<RepairResult> results;
    QHash<QString, OpenFileTable> openFiles; // one /proc scan per state dir's tmp sweep
    for (const RepairAction& a : plan.actions) {
        const StateDir dir(a.stateDir);
        RepairResult r;
        if (!dir.isOpen()) {
            r = outcome(a, RepairResult::Outcome::Failed, dir.error());
        } else if (kIndexKinds.contains(a.kind)) {
            r = rewriteIndex(a, dir);
        } else if (a.kind == QLatin1String("mark-failed")) {
            r = markFailed(a, dir);
        } else if (a.kind == QLatin1String("clear-stale-lock")) {
            r = clearLock(a, dir);
        } else if (a.kind == QLatin1String("sweep-tmp")) {
            if (!openFiles.contains(a.stateDir))
                openFiles.insert(a.stateDir, OpenFileTable::scan());
            r = moveToQuarantine(a, dir, &openFiles[a.stateDir]);
        } else if (a.kind == QLatin1String("remove-state-file")) {
            r = removeStateFile(a, dir);
        } else {
            r = outcome(
                a, RepairResult::Outcome::Skipped, QStringLiteral("'%1' is not a known repair kind").arg(a.kind));
        }
        QJsonObject audit = r.toJson();
        audit.insert(QStringLiteral("op"), QStringLiteral("repair"));
        audit.insert(QStringLiteral("kind"), a.kind);
        audit.insert(QStringLiteral("target"), a.target);
        if (dir.isOpen())
            appendAudit(dir, audit);
        results.append(r);
        if (progress)
            progress(int(results.size()), int(plan.actions.size()), r);
    }
    return results;
}

} // namespace Stateward
