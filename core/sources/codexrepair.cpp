// SPDX-License-Identifier: GPL-3.0-or-later
// What codex-companion's repairs change in its own files (docs/formats/codex.md): a dead job
// ended in state.json and its job file, and the $TMPDIR/cxc-XXXXXX session dirs its brokers leave.
// The generic half (locks, quarantine, compare-before-rename, emptying a dir) is in
// core/repair/repair.cpp.
#include "codexsource.h"
#include "jsonfile.h"
#include "proc/processinfo.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>

namespace Stateward {

namespace {

    class CodexSessionDirs : public SessionDirs
    {
    public:
        QString noun() const override { return QStringLiteral("codex session dir"); }
        QString shape() const override { return QStringLiteral("$TMPDIR/cxc-XXXXXX session dir"); }
        bool isSessionDir(const QString& path) const override { return CodexSource::isSessionDirPath(path); }
        QStringList namedElsewhere(const QString& path, const QString& stateDir) const override
        {
            return CodexSource::sessionDirNamedElsewhere(path, stateDir);
        }
        qint64 usedBy(const QString& path) const override
        {
            ScanContext context;
            for (const ProcessInfo& p : context.processes()) {
                if (looksLikeCodexBroker(p) && p.isAlive()
                    && QFileInfo(argumentAfter(p.argv, u"--pid-file")).absolutePath() == path)
                    return p.pid;
            }
            return -1;
        }
        // A session dir holds broker.pid, broker.log and a socket; anything bigger is not one.
        int maxEntries() const override { return 64; }
        qint64 maxFileBytes() const override { return 64 * 1024 * 1024; }
    };

} // namespace

const SessionDirs* CodexSource::sessionDirs() const
{
    static const CodexSessionDirs dirs;
    return &dirs;
}

// A queued/running job whose process is gone becomes failed, in state.json and its job file, with
// a message saying why (as upstream PR #225 proposes).
JobEnding CodexSource::endDeadJob(const QString& stateDir, const QString& index, const QString& jobId, qint64 pid) const
{
    JobEnding e;
    const JsonFile state = readJsonFile(index, kMaxStateBytes);
    if (!state.ok()) {
        e.refusal = QStringLiteral("%1: %2").arg(index, state.problem);
        return e;
    }
    QJsonArray jobs = state.object.value(QStringLiteral("jobs")).toArray();
    qsizetype at = -1;
    for (qsizetype i = 0; i < jobs.size(); ++i) {
        if (jobs.at(i).toObject().value(QStringLiteral("id")).toString() == jobId)
            at = i;
    }
    if (at < 0) {
        e.refusal = QStringLiteral("job %1 is no longer in state.json").arg(jobId);
        return e;
    }
    QJsonObject job = jobs.at(at).toObject();
    const QString status = job.value(QStringLiteral("status")).toString();
    if ((status != QLatin1String("queued") && status != QLatin1String("running"))
        || job.value(QStringLiteral("pid")).toInteger(-1) != pid) {
        e.refusal = QStringLiteral("job %1 is now '%2' with PID %3")
                        .arg(jobId, status)
                        .arg(job.value(QStringLiteral("pid")).toInteger(-1));
        return e;
    }
    const QDateTime started = QDateTime::fromString(
        job.value(QStringLiteral("startedAt")).toString(job.value(QStringLiteral("createdAt")).toString()),
        Qt::ISODateWithMs);
    const WriterJudgement w = judgeWriter(inspectProcess(pid), started);
    if (w.verdict != WriterVerdict::Dead && w.verdict != WriterVerdict::Reused) {
        e.refusal = QStringLiteral("job %1's process: %2").arg(jobId, w.reason);
        return e;
    }

    const QString now = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
    const QString jobRelative = QStringLiteral("jobs/%1.json").arg(jobId);
    const JsonFile jobFile = readJsonFile(QDir(stateDir).filePath(jobRelative), kMaxStateBytes);
    const QString fileStatus = jobFile.object.value(QStringLiteral("status")).toString();
    // The worker may have finished and written its job file, then died (or lost the state.json
    // race, upstream #286) before state.json heard of it: the job file's end is the truth, and
    // state.json is brought in line instead of calling the job failed.
    const bool settled = jobFile.ok() && !fileStatus.isEmpty() && fileStatus != QLatin1String("queued")
        && fileStatus != QLatin1String("running");
    const QString message = settled
        ? QStringLiteral("jobs/%1.json already says '%2' (its process %3 ended after writing it); "
                         "state.json now says so too")
              .arg(jobId, fileStatus)
              .arg(pid)
        : QStringLiteral("Codex job ended unexpectedly (process %1 is not running: %2); marked "
                         "failed by Stateward.")
              .arg(pid)
              .arg(w.reason);
    const auto failed = [&](QJsonObject o) {
        o.insert(QStringLiteral("status"), QStringLiteral("failed"));
        o.insert(QStringLiteral("phase"), QStringLiteral("failed"));
        o.insert(QStringLiteral("pid"), QJsonValue::Null);
        o.insert(QStringLiteral("completedAt"), now);
        o.insert(QStringLiteral("errorMessage"), message);
        return o;
    };
    if (settled) {
        // The fields upstream's upsertJob gives a finished job (not result/rendered: those live in
        // the job file only).
        for (const char* key :
            { "status", "phase", "threadId", "turnId", "pid", "completedAt", "errorMessage", "cancelledAt" }) {
            const QString k = QLatin1String(key);
            if (jobFile.object.contains(k))
                job.insert(k, jobFile.object.value(k));
        }
    } else {
        job = failed(job);
    }
    job.insert(QStringLiteral("updatedAt"), now);
    jobs.replace(at, job);
    QJsonObject next = state.object;
    next.insert(QStringLiteral("jobs"), jobs);
    e.files.append(FileRewrite { index, QStringLiteral("state.json"), state.bytes, state.stamp, toJsonText(next) });
    if (jobFile.ok() && !settled)
        e.files.append(FileRewrite { QDir(stateDir).filePath(jobRelative), jobRelative, jobFile.bytes, jobFile.stamp,
            toJsonText(failed(jobFile.object)) });
    e.done = settled ? QStringLiteral("job %1 is '%2' in state.json, as its job file says").arg(jobId, fileStatus)
                     : QStringLiteral("job %1 marked failed in state.json").arg(jobId);
    e.applied = { message };
    return e;
}

} // namespace Stateward
