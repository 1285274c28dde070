// SPDX-License-Identifier: GPL-3.0-or-later
#include "demoworkspace.h"

#include "demostandin.h"
#include "proc/probe.h"
#include "proc/procfs.h"
#include "proc/uniquefd.h"
#include "sources/codexsource.h"
#include "sources/jsonfile.h"
#include "sources/trajectoriessource.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QUuid>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace Stateward {

namespace {

    // Starting a Qt binary on a loaded two-core machine can take a while; the demo waits for it.
    constexpr int kReadyTimeoutMs = 15000;
    constexpr int kGraceMs = 2000;
    constexpr int kKillWaitMs = 3000;

    constexpr qint64 kMinute = 60 * 1000;
    constexpr qint64 kHour = 60 * kMinute;

    const char kBase36[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    const char kTrailAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789"; // trail's src/core/id.ts

    QString randomText(int length, const char* alphabet)
    {
        const int size = int(std::strlen(alphabet));
        QString out;
        for (int i = 0; i < length; ++i)
            out.append(QLatin1Char(alphabet[QRandomGenerator::global()->bounded(size)]));
        return out;
    }

    QString hexText(int length)
    {
        return randomText(length, "0123456789abcdef");
    }

    QString isoUtc(qint64 ms)
    {
        return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
    }

    // trail's generateTrajectoryId / generateChapterId: prefix + 12 of [a-z0-9].
    QString trailId(const char* prefix)
    {
        return QLatin1String(prefix) + randomText(12, kTrailAlphabet);
    }

    // codex-companion's generateJobId: `${prefix}-${Date.now().toString(36)}-${random base36 ≤6}`.
    QString codexJobId(const char* prefix, qint64 ms)
    {
        return QStringLiteral("%1-%2-%3").arg(QLatin1String(prefix), QString::number(ms, 36), randomText(6, kBase36));
    }

    // Codex thread and turn ids are UUIDv7 (time-ordered).
    QString uuid7(qint64 ms)
    {
        const QString t = QStringLiteral("%1").arg(ms, 12, 16, QLatin1Char('0'));
        return QStringLiteral("%1-%2-7%3-%4%5-%6")
            .arg(t.left(8), t.mid(8, 4), hexText(3),
                QString(QLatin1Char("89ab"[QRandomGenerator::global()->bounded(4)])), hexText(3), hexText(12));
    }

    // JSON.stringify(value, null, 2), without the final newline toJsonText adds (trail and gstack
    // write none; codex-companion writes one).
    QByteArray stringify(const QJsonValue& value, const QStringList& keyOrder)
    {
        QByteArray text = toJsonText(value, keyOrder);
        text.chop(1);
        return text;
    }

    // One order that fits every object in a trajectory file, as trail's object literals and spreads
    // lay them out (trajectory, task, agents, chapters, events, retrospective).
    const QStringList& trajectoryKeyOrder()
    {
        static const QStringList order { QStringLiteral("id"), QStringLiteral("version"), QStringLiteral("task"),
            QStringLiteral("title"), QStringLiteral("description"), QStringLiteral("agentName"), QStringLiteral("name"),
            QStringLiteral("role"), QStringLiteral("joinedAt"), QStringLiteral("ts"), QStringLiteral("type"),
            QStringLiteral("content"), QStringLiteral("raw"), QStringLiteral("question"), QStringLiteral("chosen"),
            QStringLiteral("alternatives"), QStringLiteral("reasoning"), QStringLiteral("significance"),
            QStringLiteral("status"), QStringLiteral("startedAt"), QStringLiteral("events"), QStringLiteral("endedAt"),
            QStringLiteral("agents"), QStringLiteral("chapters"), QStringLiteral("commits"),
            QStringLiteral("filesChanged"), QStringLiteral("projectId"), QStringLiteral("tags"),
            QStringLiteral("completedAt"), QStringLiteral("retrospective"), QStringLiteral("summary"),
            QStringLiteral("approach"), QStringLiteral("confidence") };
        return order;
    }

    // Makes files and directories, keeping the first failure: the builders below read as a plain
    // list of what the demo contains, and the caller checks ok() once.
    class Tree
    {
    public:
        bool ok() const { return m_error.isEmpty(); }
        QString error() const { return m_error; }

        void dir(const QString& path, mode_t mode = 0755)
        {
            if (!ok() || QFileInfo(path).isDir())
                return;
            QDir().mkpath(QFileInfo(path).absolutePath());
            if (::mkdir(QFile::encodeName(path).constData(), mode) != 0)
                fail(QStringLiteral("cannot create the folder %1").arg(path));
        }

        void file(const QString& path, const QByteArray& data, mode_t mode = 0644)
        {
            if (!ok())
                return;
            dir(QFileInfo(path).absolutePath());
            UniqueFd fd(::open(
                QFile::encodeName(path).constData(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode));
            if (!fd.isValid() || ::write(fd.get(), data.constData(), size_t(data.size())) != data.size())
                fail(QStringLiteral("cannot write %1").arg(path));
        }

        void symlink(const QString& target, const QString& path)
        {
            if (!ok())
                return;
            dir(QFileInfo(path).absolutePath());
            if (::symlink(QFile::encodeName(target).constData(), QFile::encodeName(path).constData()) != 0)
                fail(QStringLiteral("cannot create the symlink %1").arg(path));
        }

        // A unix socket file nobody listens on, as a broker killed with SIGKILL leaves it.
        void deadSocket(const QString& path)
        {
            if (!ok())
                return;
            const QByteArray name = QFile::encodeName(path);
            sockaddr_un address {};
            if (name.size() >= qsizetype(sizeof address.sun_path))
                return fail(QStringLiteral("socket path too long: %1").arg(path));
            address.sun_family = AF_UNIX;
            std::memcpy(address.sun_path, name.constData(), size_t(name.size()));
            const UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
            if (!fd.isValid() || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
                fail(QStringLiteral("cannot create the socket %1").arg(path));
        }

        // Sets the path's own times (never a symlink's target) to `ms` ago.
        void age(const QString& path, qint64 ms)
        {
            if (!ok())
                return;
            const qint64 when = QDateTime::currentMSecsSinceEpoch() - ms;
            timespec times[2];
            times[0].tv_sec = time_t(when / 1000);
            times[0].tv_nsec = long(when % 1000) * 1000000;
            times[1] = times[0];
            if (::utimensat(AT_FDCWD, QFile::encodeName(path).constData(), times, AT_SYMLINK_NOFOLLOW) != 0)
                fail(QStringLiteral("cannot set the times of %1").arg(path));
        }

    private:
        void fail(const QString& what) { m_error = QStringLiteral("%1: %2").arg(what, ProcFs::errorText(errno)); }

        QString m_error;
    };

    // PIDs of children forked here and reaped at once: certainly dead, and the most recently freed
    // PIDs, so no long-running process can hold one of them.
    QList<qint64> reapedPids(int count, QString* error)
    {
        QList<qint64> pids;
        for (int i = 0; i < count; ++i) {
            const pid_t pid = ::fork();
            if (pid < 0) {
                *error = QStringLiteral("fork: %1").arg(ProcFs::errorText(errno));
                return {};
            }
            if (pid == 0)
                ::_exit(0);
            while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) { }
            pids.append(pid);
        }
        return pids;
    }

    // ---- trajectories ---------------------------------------------------------------------------

    struct Trajectory
    {
        QString id;
        QString title;
        QString status; // active, completed, abandoned
        qint64 startedMs = 0;
        qint64 completedMs = 0; // 0: not completed
        QString note;
        QString decision;
        QString path; // where the file is (or, for a dangling entry, was)
    };

    // The file trail 0.4.x writes (FileStorage.save: JSON.stringify(trajectory, null, 2)), with the
    // key order its object spreads produce.
    QByteArray trajectoryFile(const Trajectory& t, const QString& projectId)
    {
        const bool done = t.completedMs > 0;
        QJsonObject chapter { { QStringLiteral("id"), trailId("chap_") },
            { QStringLiteral("title"), QStringLiteral("Work") },
            { QStringLiteral("agentName"), QStringLiteral("claude") },
            { QStringLiteral("startedAt"), isoUtc(t.startedMs) },
            { QStringLiteral("events"),
                QJsonArray {
                    QJsonObject { { QStringLiteral("ts"), t.startedMs + 2 * kMinute },
                        { QStringLiteral("type"), QStringLiteral("note") }, { QStringLiteral("content"), t.note } },
                    QJsonObject { { QStringLiteral("ts"), t.startedMs + 9 * kMinute },
                        { QStringLiteral("type"), QStringLiteral("decision") },
                        { QStringLiteral("content"), t.decision },
                        { QStringLiteral("raw"),
                            QJsonObject { { QStringLiteral("question"), QStringLiteral("How to proceed?") },
                                { QStringLiteral("chosen"), t.decision },
                                { QStringLiteral("alternatives"), QJsonArray {} },
                                { QStringLiteral("reasoning"), QStringLiteral("Smallest change that fixes it.") } } },
                        { QStringLiteral("significance"), QStringLiteral("medium") } } } } };
        if (done)
            chapter.insert(QStringLiteral("endedAt"), isoUtc(t.completedMs));
        QJsonObject o { { QStringLiteral("id"), t.id }, { QStringLiteral("version"), 1 },
            { QStringLiteral("task"), QJsonObject { { QStringLiteral("title"), t.title } } },
            { QStringLiteral("status"), t.status }, { QStringLiteral("startedAt"), isoUtc(t.startedMs) },
            { QStringLiteral("agents"),
                QJsonArray { QJsonObject { { QStringLiteral("name"), QStringLiteral("claude") },
                    { QStringLiteral("role"), QStringLiteral("lead") },
                    { QStringLiteral("joinedAt"), isoUtc(t.startedMs) } } } },
            { QStringLiteral("chapters"), QJsonArray { chapter } }, { QStringLiteral("commits"), QJsonArray {} },
            { QStringLiteral("filesChanged"), QJsonArray { QStringLiteral("src/app.ts") } },
            { QStringLiteral("projectId"), projectId }, { QStringLiteral("tags"), QJsonArray {} } };
        if (done) {
            o.insert(QStringLiteral("completedAt"), isoUtc(t.completedMs));
            o.insert(QStringLiteral("retrospective"),
                QJsonObject { { QStringLiteral("summary"), t.decision },
                    { QStringLiteral("approach"), QStringLiteral("Reproduce, fix, add a regression test.") },
                    { QStringLiteral("confidence"), 0.8 } });
        }
        return stringify(o, trajectoryKeyOrder());
    }

    QJsonObject indexEntry(const Trajectory& t, const QString& status, const QString& path)
    {
        QJsonObject e { { QStringLiteral("title"), t.title }, { QStringLiteral("status"), status },
            { QStringLiteral("startedAt"), isoUtc(t.startedMs) }, { QStringLiteral("path"), path } };
        if (status != QLatin1String("active"))
            e.insert(QStringLiteral("completedAt"), isoUtc(t.completedMs));
        return e;
    }

    // <ws>/.trajectories in the index era: an index that lost two saves to racing writers, an entry
    // whose file is gone, an entry left at "active" after its trajectory completed, a stray trace
    // record where trail looks for trajectories, and the tmp file of a writer that died mid-save.
    void writeTrajectories(Tree& tree, const QString& ws, qint64 now, qint64 deadWriter)
    {
        const QString root = ws + QLatin1String("/.trajectories");
        const auto completedPath = [&](const Trajectory& t) {
            // FileStorage.save buckets by local time (getFullYear/getMonth).
            return QStringLiteral("%1/completed/%2/%3.json")
                .arg(root, QDateTime::fromMSecsSinceEpoch(t.completedMs).toString(QStringLiteral("yyyy-MM")), t.id);
        };
        const auto activePath
            = [&](const Trajectory& t) { return QStringLiteral("%1/active/%2.json").arg(root, t.id); };

        QList<Trajectory> all {
            { trailId("traj_"), QStringLiteral("Add retry with backoff to the upload client"),
                QStringLiteral("completed"), now - 74 * kHour, now - 73 * kHour,
                QStringLiteral("Uploads fail on the first 503"), QStringLiteral("Exponential backoff, 5 tries"), {} },
            { trailId("traj_"), QStringLiteral("Fix the off-by-one in the pagination helper"),
                QStringLiteral("completed"), now - 5 * kHour, now - 4 * kHour,
                QStringLiteral("Last page is dropped when total % size == 0"), QStringLiteral("Use ceil division"),
                {} },
            { trailId("traj_"), QStringLiteral("Investigate why the integration tests are flaky on CI"),
                QStringLiteral("active"), now - 25 * kMinute, 0, QStringLiteral("Fails 1 run in 8, only on CI"),
                QStringLiteral("Record timings first"), {} },
            { trailId("traj_"), QStringLiteral("Document the lock ordering in the storage layer"),
                QStringLiteral("active"), now - 2 * kHour, 0, QStringLiteral("Three locks, no written order"),
                QStringLiteral("Order: index, then records"), {} },
            { trailId("traj_"), QStringLiteral("Migrate the config loader to zod"), QStringLiteral("completed"),
                now - 30 * kHour, now - 28 * kHour, QStringLiteral("Hand-written checks miss nested keys"),
                QStringLiteral("One schema per file"), {} },
            { trailId("traj_"), QStringLiteral("Spike: replace the job queue with SQLite"), QStringLiteral("abandoned"),
                now - 50 * kHour, now - 49 * kHour, QStringLiteral("Queue loses jobs"),
                QStringLiteral("Not worth it yet"), {} },
        };
        for (Trajectory& t : all)
            t.path = t.completedMs > 0 ? completedPath(t) : activePath(t);
        const Trajectory& kept = all[0];
        const Trajectory& lostCompleted = all[1]; // file present, entry lost to a racing save
        const Trajectory& lostActive = all[2]; // likewise
        const Trajectory& active = all[3];
        const Trajectory& staleEntry = all[4]; // completed, but the index still says active
        const Trajectory& dangling = all[5]; // entry only: its file was deleted by hand

        for (const Trajectory* t : { &kept, &lostCompleted, &lostActive, &active, &staleEntry })
            tree.file(t->path, trajectoryFile(*t, ws));

        QJsonObject entries;
        for (const Trajectory* t : { &kept, &active, &dangling })
            entries.insert(t->id, indexEntry(*t, t->status, t->path));
        entries.insert(staleEntry.id, indexEntry(staleEntry, QStringLiteral("active"), activePath(staleEntry)));
        const QJsonObject index { { QStringLiteral("version"), 1 },
            { QStringLiteral("lastUpdated"), isoUtc(now - 20 * kMinute) },
            { QStringLiteral("trajectories"), entries } };
        tree.file(root + QLatin1String("/index.json"), stringify(index, TrajectoriesSource::indexKeyOrder()));

        // The save that would have added lostCompleted: written, never renamed into place.
        QJsonObject pending = entries;
        pending.insert(lostCompleted.id, indexEntry(lostCompleted, lostCompleted.status, lostCompleted.path));
        const QString tmp = QStringLiteral("%1/index.json.%2.%3.tmp")
                                .arg(root)
                                .arg(deadWriter)
                                .arg(QUuid::createUuid().toString(QUuid::WithoutBraces));
        tree.file(tmp,
            stringify(QJsonObject { { QStringLiteral("version"), 1 },
                          { QStringLiteral("lastUpdated"), isoUtc(now - 4 * kHour) },
                          { QStringLiteral("trajectories"), pending } },
                TrajectoriesSource::indexKeyOrder()));
        tree.age(tmp, 4 * kHour);

        // An Agent Trace record in active/ (seen in agent-trajectories' own repository): trail's
        // reconcile reads it as an invalid trajectory.
        const QString traceId = QLatin1String("trace_") + randomText(12, kTrailAlphabet);
        const QJsonObject trace { { QStringLiteral("version"), 1 }, { QStringLiteral("id"), traceId },
            { QStringLiteral("timestamp"), isoUtc(now - 3 * kHour) }, { QStringLiteral("trajectory"), kept.id },
            { QStringLiteral("files"),
                QJsonArray { QJsonObject { { QStringLiteral("path"), QStringLiteral("src/app.ts") },
                    { QStringLiteral("conversations"),
                        QJsonArray {
                            QJsonObject { { QStringLiteral("contributor"),
                                              QJsonObject { { QStringLiteral("type"), QStringLiteral("agent") } } },
                                { QStringLiteral("ranges"),
                                    QJsonArray { QJsonObject { { QStringLiteral("start_line"), 1 },
                                        { QStringLiteral("end_line"), 12 } } } } } } } } } } };
        tree.file(QStringLiteral("%1/active/%2.json").arg(root, traceId),
            stringify(trace,
                { QStringLiteral("version"), QStringLiteral("id"), QStringLiteral("timestamp"),
                    QStringLiteral("trajectory"), QStringLiteral("files"), QStringLiteral("path"),
                    QStringLiteral("conversations"), QStringLiteral("contributor"), QStringLiteral("type"),
                    QStringLiteral("ranges"), QStringLiteral("start_line"), QStringLiteral("end_line") }));
        // As old as its timestamp: a record written seconds ago may be half-written, and the repair
        // leaves it alone (a first Fix All Safe would have left this one in place).
        tree.age(QStringLiteral("%1/active/%2.json").arg(root, traceId), 3 * kHour);
    }

    // ---- codex companion ------------------------------------------------------------------------

    struct CodexJob
    {
        QString id;
        QJsonObject entry; // in state.json
        QJsonObject file; // jobs/<id>.json: the same without updatedAt, plus the result
        QByteArray log;
        qint64 updatedMs = 0;
    };

    // One job as codex-companion's upsertJob patches build it (docs/formats/codex.md).
    CodexJob codexJob(const QString& stateDir, const QString& ws, bool task, const QString& status,
        const QString& prompt, qint64 createdMs, qint64 pid)
    {
        CodexJob j;
        j.id = codexJobId(task ? "task" : "review", createdMs);
        const QString title = task ? QStringLiteral("Codex Task") : QStringLiteral("Codex Review");
        const QString logFile = QStringLiteral("%1/jobs/%2.log").arg(stateDir, j.id);
        QJsonObject o { { QStringLiteral("id"), j.id },
            { QStringLiteral("kind"), task ? QStringLiteral("task") : QStringLiteral("review") },
            { QStringLiteral("kindLabel"), task ? QStringLiteral("rescue") : QStringLiteral("review") },
            { QStringLiteral("title"), title }, { QStringLiteral("workspaceRoot"), ws },
            { QStringLiteral("jobClass"), task ? QStringLiteral("task") : QStringLiteral("review") },
            { QStringLiteral("summary"), task ? prompt : QStringLiteral("Review working tree diff") },
            { QStringLiteral("createdAt"), isoUtc(createdMs) }, { QStringLiteral("status"), status },
            { QStringLiteral("logFile"), logFile } };
        if (task) {
            o.insert(QStringLiteral("write"), true);
            o.insert(QStringLiteral("request"),
                QJsonObject { { QStringLiteral("cwd"), ws }, { QStringLiteral("model"), QJsonValue::Null },
                    { QStringLiteral("effort"), QJsonValue::Null }, { QStringLiteral("prompt"), prompt },
                    { QStringLiteral("write"), true }, { QStringLiteral("resumeLast"), false },
                    { QStringLiteral("jobId"), j.id } });
        }
        const qint64 startedMs = createdMs + 420;
        const QString threadId = uuid7(startedMs + 400);
        const QString turnId = uuid7(startedMs + 900);
        o.insert(QStringLiteral("startedAt"), isoUtc(startedMs));
        o.insert(QStringLiteral("threadId"), threadId);
        o.insert(QStringLiteral("turnId"), turnId);
        QStringList log { QStringLiteral("[%1] Starting %2.").arg(isoUtc(createdMs), title) };
        if (task)
            log.append(QStringLiteral("[%1] Queued for background execution.").arg(isoUtc(createdMs + 30)));
        log.append(QStringLiteral("[%1] Thread ready (%2).").arg(isoUtc(startedMs + 400), threadId));
        log.append(QStringLiteral("[%1] Turn started (%2).").arg(isoUtc(startedMs + 900), turnId));

        if (status == QLatin1String("running")) {
            j.updatedMs = startedMs + 6 * kMinute;
            o.insert(QStringLiteral("phase"), task ? QStringLiteral("investigating") : QStringLiteral("reviewing"));
            o.insert(QStringLiteral("pid"), pid);
            log.append(QStringLiteral("[%1] Running command: npm test -- --runInBand").arg(isoUtc(j.updatedMs)));
        } else {
            const qint64 completedMs = startedMs + 4 * kMinute;
            j.updatedMs = completedMs;
            o.insert(QStringLiteral("pid"), QJsonValue::Null);
            o.insert(QStringLiteral("completedAt"), isoUtc(completedMs));
            if (status == QLatin1String("failed")) {
                const QString error = QStringLiteral("codex app-server exited unexpectedly (code 1).");
                o.insert(QStringLiteral("phase"), QStringLiteral("failed"));
                o.insert(QStringLiteral("errorMessage"), error);
                log.append(QStringLiteral("[%1] %2").arg(isoUtc(completedMs), error));
            } else {
                o.insert(QStringLiteral("phase"), QStringLiteral("done"));
                const QString rendered = task ? QStringLiteral("Done. %1: changes applied and tests pass.").arg(prompt)
                                              : QStringLiteral("# Codex Review\n\nNo blocking issues found.");
                j.file.insert(QStringLiteral("result"),
                    QJsonObject { { QStringLiteral("status"), 0 }, { QStringLiteral("finalMessage"), rendered } });
                j.file.insert(QStringLiteral("rendered"), rendered);
                log.append(QString());
                log.append(QStringLiteral("[%1] Final output").arg(isoUtc(completedMs)));
                log.append(rendered);
            }
        }
        for (auto it = o.constBegin(); it != o.constEnd(); ++it)
            j.file.insert(it.key(), it.value());
        j.entry = o;
        j.entry.insert(QStringLiteral("updatedAt"), isoUtc(j.updatedMs));
        j.log = (log.join(QLatin1Char('\n')) + QLatin1Char('\n')).toUtf8();
        return j;
    }

    // The codex state dir: a `running` job whose worker died, two finished ones, a job whose entry
    // a racing save dropped (its files survive), and broker.json naming the live broker.
    void writeCodex(Tree& tree, const QString& stateDir, const QString& ws, qint64 now, qint64 deadWorker,
        const QString& session, qint64 brokerPid)
    {
        const CodexJob dead = codexJob(stateDir, ws, true, QStringLiteral("running"),
            QStringLiteral("Investigate why the integration test suite is flaky on CI"), now - 22 * kMinute,
            deadWorker);
        const CodexJob review
            = codexJob(stateDir, ws, false, QStringLiteral("completed"), QString(), now - 3 * kHour, -1);
        const CodexJob failed = codexJob(stateDir, ws, true, QStringLiteral("failed"),
            QStringLiteral("Add retry with backoff to the upload client"), now - 26 * kHour, -1);
        const CodexJob unindexed = codexJob(stateDir, ws, true, QStringLiteral("completed"),
            QStringLiteral("Fix the off-by-one in the pagination helper"), now - 70 * kMinute, -1);
        for (const CodexJob* j : { &dead, &review, &failed, &unindexed }) {
            tree.file(
                QStringLiteral("%1/jobs/%2.json").arg(stateDir, j->id), toJsonText(j->file, CodexSource::keyOrder()));
            tree.file(QStringLiteral("%1/jobs/%2.log").arg(stateDir, j->id), j->log);
        }
        // saveState keeps jobs newest first by updatedAt.
        QJsonArray jobs;
        for (const CodexJob* j : { &dead, &review, &failed })
            jobs.append(j->entry);
        const QJsonObject state { { QStringLiteral("version"), 1 },
            { QStringLiteral("config"), QJsonObject { { QStringLiteral("stopReviewGate"), false } } },
            { QStringLiteral("jobs"), jobs } };
        tree.file(stateDir + QLatin1String("/state.json"), toJsonText(state, CodexSource::keyOrder()));

        const QJsonObject broker { { QStringLiteral("endpoint"), QStringLiteral("unix:%1/broker.sock").arg(session) },
            { QStringLiteral("pidFile"), session + QLatin1String("/broker.pid") },
            { QStringLiteral("logFile"), session + QLatin1String("/broker.log") },
            { QStringLiteral("sessionDir"), session }, { QStringLiteral("pid"), brokerPid } };
        tree.file(stateDir + QLatin1String("/broker.json"),
            toJsonText(broker,
                { QStringLiteral("endpoint"), QStringLiteral("pidFile"), QStringLiteral("logFile"),
                    QStringLiteral("sessionDir"), QStringLiteral("pid") }));
    }

    // A session dir whose broker was killed hours ago: only teardownBrokerSession removes one, and
    // it never runs for a broker that died.
    void writeLeftoverSession(Tree& tree, const QString& session, qint64 deadBroker)
    {
        tree.file(session + QLatin1String("/broker.pid"), QByteArray::number(deadBroker) + '\n');
        tree.file(session + QLatin1String("/broker.log"), QByteArray());
        tree.deadSocket(session + QLatin1String("/broker.sock"));
        for (const char* name : { "/broker.pid", "/broker.log", "/broker.sock", "" })
            tree.age(session + QLatin1String(name), 3 * kHour);
    }

    // ---- codegraph ------------------------------------------------------------------------------

    // <ws>/.codegraph: a journal lock whose holder died mid-build, the steal tmp file of another
    // process that died mid-steal, and a snapshot tmp file never renamed into place.
    void writeCodegraph(
        Tree& tree, const QString& ws, qint64 now, qint64 deadHolder, qint64 deadStealer, qint64 deadSnapshotter)
    {
        const QString root = ws + QLatin1String("/.codegraph");
        tree.file(root + QLatin1String("/graph.db"), QByteArray()); // an empty file is an empty SQLite database
        tree.file(root + QLatin1String("/changes.journal"),
            "# codegraph-journal v1 " + QByteArray::number(now - 12 * kMinute)
                + "\nsrc/app.ts\nsrc/lib/retry.ts\nDELETED src/lib/legacy-retry.ts\n");
        QByteArray events;
        const QList<QPair<const char*, const char*>> changes { { "src/app.ts", "change" },
            { "src/lib/retry.ts", "add" }, { "src/lib/legacy-retry.ts", "unlink" } };
        for (qsizetype i = 0; i < changes.size(); ++i) {
            events += "{\"ts\":\"" + isoUtc(now - (14 - i) * kMinute).toLatin1() + "\",\"file\":\"" + changes[i].first
                + "\",\"event\":\"" + changes[i].second + "\",\"symbols\":[],\"counts\":{\"nodes\":{\"before\":"
                + QByteArray::number(12 + i) + ",\"after\":" + QByteArray::number(14 + i)
                + "},\"edges\":{\"added\":" + QByteArray::number(3 * i) + "}}}\n";
        }
        tree.file(root + QLatin1String("/change-events.ndjson"), events);

        const QByteArray holderNonce = QByteArray::number(deadHolder) + '-' + hexText(16).toLatin1();
        const QString lock = root + QLatin1String("/changes.journal.lock");
        tree.file(lock, QByteArray::number(deadHolder) + '\n' + holderNonce + '\n');
        tree.age(lock, 7 * kMinute);

        const QByteArray stealNonce = QByteArray::number(deadStealer) + '-' + hexText(16).toLatin1();
        const QString steal
            = QStringLiteral("%1/changes.journal.lock.%2.tmp").arg(root, QString::fromLatin1(stealNonce));
        tree.file(steal, QByteArray::number(deadStealer) + '\n' + stealNonce + '\n');
        tree.age(steal, 6 * kMinute);

        const qint64 snapshotMs = now - 40 * kMinute;
        const QString snapshot = QStringLiteral("%1/snapshots/.before-retry.db.tmp-%2-%3-%4")
                                     .arg(root)
                                     .arg(deadSnapshotter)
                                     .arg(snapshotMs)
                                     .arg(hexText(12));
        QByteArray partial("SQLite format 3", 16); // the header of a VACUUM INTO cut short
        partial.append(4096 - partial.size(), '\0');
        tree.file(snapshot, partial);
        tree.age(snapshot, 40 * kMinute);
    }

    // ---- gstack ---------------------------------------------------------------------------------

    // <ws>/.gstack besides the live daemon's browse.json: the tmp file of a daemon that died between
    // write and rename (the concurrent-start case of gstack PR #1310).
    void writeGstackLeftovers(Tree& tree, const QString& ws, qint64 now, qint64 deadDaemon)
    {
        const QString root = ws + QLatin1String("/.gstack");
        const QJsonObject state { { QStringLiteral("pid"), deadDaemon },
            { QStringLiteral("port"), 10000 + QRandomGenerator::global()->bounded(39152) },
            { QStringLiteral("token"), QUuid::createUuid().toString(QUuid::WithoutBraces) },
            { QStringLiteral("startedAt"), isoUtc(now - 9 * kMinute) },
            { QStringLiteral("serverPath"), ws + QLatin1String("/.demo/gstack/browse/src/server.ts") },
            { QStringLiteral("mode"), QStringLiteral("launched") } };
        const QString tmp = QStringLiteral("%1/browse.json.tmp.%2.%3").arg(root).arg(deadDaemon).arg(hexText(8));
        tree.file(tmp,
            stringify(state,
                { QStringLiteral("pid"), QStringLiteral("port"), QStringLiteral("token"), QStringLiteral("startedAt"),
                    QStringLiteral("serverPath"), QStringLiteral("mode") }),
            0600);
        tree.age(tmp, 9 * kMinute);
    }

    // ---- the workspace itself -------------------------------------------------------------------

    const char kReadme[] = R"(# Stateward demo workspace

Made by `stateward --demo` and removed when Stateward exits. Everything here, the codex state in
$TMPDIR/codex-companion/ and the $TMPDIR/cxc-* session dirs belong to the demo: try any repair.

What is planted:

- `.trajectories/` (agent-trajectories, index era): two trajectories missing from `index.json`,
  an entry whose file is gone, an entry still "active" after its trajectory completed, a stray
  trace record in `active/`, and the tmp file of a save that never finished.
- codex companion: a `running` job whose process is dead, a job `state.json` lost (its files
  survive), and `broker.json` naming a live broker; a second broker for this workspace that nothing names (an
  orphan), and a session dir left behind by a broker that was killed.
- `.codegraph/`: a journal lock held by a dead process and two orphaned tmp files.
- `.gstack/`: `browse.json` naming a live, healthy daemon, and an orphaned tmp file.
- `.nx/workspace-data/`: Nx's daemon state naming a live, healthy daemon (an Nx profile tool).

The brokers and the daemons are stand-ins: the stateward program itself, run through the symlinks
`.demo/bin/node` and `.demo/bin/bun` with the command line and environment of the real tools.
)";

    // Where the argv of the stand-ins points, shaped like the real installs. Nothing runs them.
    const char kBrokerScript[]
        = "// Stateward demo: the codex broker stand-ins carry this path as argv[1], as codex-companion\n"
          "// spawns `node <plugin>/scripts/app-server-broker.mjs serve …`. It is never executed.\n";
    const char kServerScript[] = "// Stateward demo: the gstack daemon stand-in carries this path, as gstack spawns\n"
                                 "// `bun run <gstack>/browse/src/server.ts`. It is never executed.\n";
    const char kNxServerScript[]
        = "// Stateward demo: the Nx daemon stand-in carries this path, as Nx spawns\n"
          "// `node --conditions development <nx>/dist/src/daemon/server/start.js`. It is never "
          "executed.\n";

    void writeProject(Tree& tree, const QString& ws)
    {
        // A git repository of its own, so codex-companion's `git rev-parse --show-toplevel` (and
        // Stateward's stand-in for it) names this folder, whatever $TMPDIR sits in.
        tree.file(ws + QLatin1String("/.git/HEAD"), "ref: refs/heads/main\n");
        tree.file(ws + QLatin1String("/.git/config"),
            "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n");
        for (const char* dir : { "/.git/objects/info", "/.git/objects/pack", "/.git/refs/heads", "/.git/refs/tags" })
            tree.dir(ws + QLatin1String(dir));
        tree.file(ws + QLatin1String("/.gitignore"), ".codegraph/\n.gstack/\n.nx/\n.demo/\n");
        tree.file(ws + QLatin1String("/README.md"), kReadme);
        tree.file(ws + QLatin1String("/src/app.ts"),
            "import { withRetry } from './lib/retry';\n\nexport const upload = withRetry(async (body: string) => "
            "body.length);\n");
        tree.file(ws + QLatin1String("/src/lib/retry.ts"),
            "export const withRetry = <T extends unknown[], R>(f: (...a: T) => Promise<R>) => f;\n");
        tree.file(ws + QLatin1String("/.demo/plugins/codex/scripts/app-server-broker.mjs"), kBrokerScript);
        tree.file(ws + QLatin1String("/.demo/gstack/browse/src/server.ts"), kServerScript);
        tree.dir(ws + QLatin1String("/.gstack"), 0700); // gstack's ensureStateDir
        tree.file(ws + QLatin1String("/.gstack/.gitignore"), "*\n");
        tree.file(ws + QLatin1String("/nx.json"), "{}\n");
        tree.file(ws + QLatin1String("/.demo/nx/node_modules/nx/dist/src/daemon/server/start.js"), kNxServerScript);
        tree.dir(ws + QLatin1String("/.demo/nx/sockets"), 0700);
        tree.file(ws + QLatin1String("/.nx/workspace-data/nx_files.lock"), ""); // Nx's flock target, idle
        tree.dir(ws + QLatin1String("/.nx/workspace-data/d"));
    }

    bool makeSessionDir(QString* path, QString* error)
    {
        QByteArray name = QFile::encodeName(QDir::tempPath() + QLatin1String("/cxc-XXXXXX"));
        if (!::mkdtemp(name.data())) {
            *error = QStringLiteral("cannot create a session dir in %1: %2")
                         .arg(QDir::tempPath(), ProcFs::errorText(errno));
            return false;
        }
        *path = QFile::decodeName(name);
        return true;
    }

    // The end of a stand-in's log, for an error message (the file goes when the demo is undone).
    QString tailOf(const QString& path)
    {
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            return QStringLiteral("no %1").arg(QFileInfo(path).fileName());
        const QString text = QString::fromUtf8(f.readAll()).trimmed();
        return text.isEmpty() ? QStringLiteral("%1 is empty").arg(QFileInfo(path).fileName()) : text.right(300);
    }

    void signalGroup(const QProcess& p, int sig)
    {
        // Only while QProcess has not reaped it: until then the PID (and the group it leads) can
        // name no other process.
        const qint64 pid = p.processId();
        if (pid <= 0 || p.state() == QProcess::NotRunning)
            return;
        if (::kill(-pid_t(pid), sig) != 0 && errno == ESRCH)
            ::kill(pid_t(pid), sig);
    }

} // namespace

DemoWorkspace::DemoWorkspace()
    : m_standInProgram(QCoreApplication::instance() ? QCoreApplication::applicationFilePath() : QString())
{ }

DemoWorkspace::~DemoWorkspace()
{
    shutdown();
    if (m_keep) {
        if (m_dir)
            m_dir->setAutoRemove(false);
    } else {
        removeOwnDirs();
    }
}

bool DemoWorkspace::isStandInInvocation()
{
    return qEnvironmentVariableIsSet(kStandInVariable);
}

int DemoWorkspace::runStandIn(int argc, char** argv)
{
    return DemoStandIn::run(qgetenv(kStandInVariable), argc, argv);
}

QList<qint64> DemoWorkspace::processes() const
{
    QList<qint64> pids;
    for (const auto& p : m_processes) {
        if (p->state() != QProcess::NotRunning)
            pids.append(p->processId());
    }
    return pids;
}

bool DemoWorkspace::create(QString* error)
{
    QString why;
    if (m_created)
        why = QStringLiteral("the demo workspace was already created at %1").arg(m_path);
    else if (m_standInProgram.isEmpty() || !QFileInfo(m_standInProgram).isExecutable())
        why = QStringLiteral("no stand-in program to run ('%1' is not executable)").arg(m_standInProgram);
    else if (build(&why))
        return true;
    if (!m_created) { // undo whatever was made
        shutdown();
        removeOwnDirs();
        m_dir.reset();
        m_path.clear();
        m_sessionDirs.clear();
        m_brokerPid = m_orphanBrokerPid = m_daemonPid = m_nxDaemonPid = -1;
    }
    if (error)
        *error = why;
    return false;
}

bool DemoWorkspace::build(QString* error)
{
    m_dir = std::make_unique<QTemporaryDir>(QDir::tempPath() + QLatin1String("/stateward-demo-XXXXXX"));
    if (!m_dir->isValid()) {
        *error = QStringLiteral("cannot create a folder in %1: %2").arg(QDir::tempPath(), m_dir->errorString());
        return false;
    }
    m_path = QFileInfo(m_dir->path()).canonicalFilePath();
    Tree tree;
    writeProject(tree, m_path);
    // The stand-ins run as the programs they stand in for ("node", "bun": their process names, which
    // a repair reports): a terminated broker must not read "PID n (stateward) terminated".
    for (const char* name : { "bun", "node" })
        tree.symlink(QFileInfo(m_standInProgram).absoluteFilePath(),
            m_path + QLatin1String("/.demo/bin/") + QLatin1String(name));
    if (!tree.ok()) {
        *error = tree.error();
        return false;
    }

    // codex-companion's tmp layout (no $CLAUDE_PLUGIN_DATA): found for this workspace by every scan.
    const QString codexRoot = QDir::tempPath() + QLatin1String("/codex-companion");
    m_madeCodexRoot = !QFileInfo(codexRoot).isDir();
    m_codexStateDir = codexRoot + QLatin1Char('/') + CodexSource::stateDirName(m_path);
    tree.dir(codexRoot);
    tree.dir(m_codexStateDir + QLatin1String("/jobs"));
    if (!tree.ok()) {
        *error = tree.error();
        return false;
    }

    QString named, orphan, leftover;
    if (!makeSessionDir(&orphan, error))
        return false;
    m_sessionDirs.append(orphan);
    if (!makeSessionDir(&named, error))
        return false;
    m_sessionDirs.append(named);
    if (!makeSessionDir(&leftover, error))
        return false;
    m_sessionDirs.append(leftover);
    // Two brokers started for this workspace at once (upstream's unlocked check-then-spawn): the
    // later broker.json write names one, the other keeps running unnamed.
    if (!startBroker(orphan, &m_orphanBrokerPid, error) || !startBroker(named, &m_brokerPid, error)
        || !startDaemon(error) || !startNxDaemon(error))
        return false;

    // Dead PIDs last: freed after the stand-ins took theirs.
    const QList<qint64> dead = reapedPids(7, error);
    if (dead.isEmpty())
        return false;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    writeTrajectories(tree, m_path, now, dead[0]);
    writeCodex(tree, m_codexStateDir, m_path, now, dead[1], named, m_brokerPid);
    writeLeftoverSession(tree, leftover, dead[2]);
    writeCodegraph(tree, m_path, now, dead[3], dead[4], dead[5]);
    writeGstackLeftovers(tree, m_path, now, dead[6]);
    if (!tree.ok()) {
        *error = tree.error();
        return false;
    }
    m_created = true;
    return true;
}

bool DemoWorkspace::startBroker(const QString& sessionDir, qint64* pid, QString* error)
{
    const QString socket = sessionDir + QLatin1String("/broker.sock");
    const QStringList arguments { m_path + QLatin1String("/.demo/plugins/codex/scripts/app-server-broker.mjs"),
        QStringLiteral("serve"), QStringLiteral("--endpoint"), QLatin1String("unix:") + socket, QStringLiteral("--cwd"),
        m_path, QStringLiteral("--pid-file"), sessionDir + QLatin1String("/broker.pid") };
    // argv[0] "node" through a symlink to the stand-in program: codex-companion's `node …broker.mjs serve`.
    if (!startStandIn(QLatin1String(DemoStandIn::kCodexBroker), m_path + QLatin1String("/.demo/bin/node"), arguments,
            {}, sessionDir + QLatin1String("/broker.log"), pid, error))
        return false;
    QProcess& p = *m_processes.back();
    const QDeadlineTimer deadline(kReadyTimeoutMs);
    while (!probeUnixSocket(socket, 100).connected) {
        if (p.state() == QProcess::NotRunning || p.waitForFinished(25) || deadline.hasExpired()) {
            *error = QStringLiteral("the codex broker stand-in did not start listening on %1: %2")
                         .arg(socket, tailOf(sessionDir + QLatin1String("/broker.log")));
            return false;
        }
    }
    return true;
}

bool DemoWorkspace::startDaemon(QString* error)
{
    const QString stateFile = m_path + QLatin1String("/.gstack/browse.json");
    const QStringList arguments { QStringLiteral("run"), m_path + QLatin1String("/.demo/gstack/browse/src/server.ts") };
    const QStringList environment { QStringLiteral("BROWSE_STATE_FILE=") + stateFile,
        QStringLiteral("BROWSE_PARENT_PID=%1").arg(qint64(::getpid())) };
    // argv[0] "bun" through a symlink to the stand-in program: gstack's `bun run …/server.ts`.
    if (!startStandIn(QLatin1String(DemoStandIn::kGstackDaemon), m_path + QLatin1String("/.demo/bin/bun"), arguments,
            environment, QString(), &m_daemonPid, error))
        return false;
    QProcess& p = *m_processes.back();
    const QDeadlineTimer deadline(kReadyTimeoutMs);
    for (;;) {
        const JsonFile state = readJsonFile(stateFile, 64 * 1024);
        const int port = state.object.value(QStringLiteral("port")).toInt();
        if (state.ok() && state.object.value(QStringLiteral("pid")).toInteger() == m_daemonPid && port > 0
            && probeHttpLoopback(quint16(port), "/health", 500).httpStatus == 200)
            return true;
        if (p.state() == QProcess::NotRunning || p.waitForFinished(25) || deadline.hasExpired()) {
            *error = QStringLiteral("the gstack daemon stand-in did not come up (no healthy %1): %2")
                         .arg(stateFile, tailOf(m_path + QLatin1String("/.gstack/browse-startup-error.log")));
            return false;
        }
    }
}

bool DemoWorkspace::startNxDaemon(QString* error)
{
    const QString stateFile = m_path + QLatin1String("/.nx/workspace-data/d/server-process.json");
    const QString socketDir = m_path + QLatin1String("/.demo/nx/sockets");
    const QStringList arguments { QStringLiteral("--conditions"), QStringLiteral("development"),
        m_path + QLatin1String("/.demo/nx/node_modules/nx/dist/src/daemon/server/start.js") };
    // argv[0] "node" through a symlink to the stand-in program; stdout is daemon.log, as Nx sets it.
    if (!startStandIn(QLatin1String(DemoStandIn::kNxDaemon), m_path + QLatin1String("/.demo/bin/node"), arguments,
            { QStringLiteral("NX_SOCKET_DIR=") + socketDir },
            m_path + QLatin1String("/.nx/workspace-data/d/daemon.log"), &m_nxDaemonPid, error))
        return false;
    QProcess& p = *m_processes.back();
    const QDeadlineTimer deadline(kReadyTimeoutMs);
    for (;;) {
        const JsonFile state = readJsonFile(stateFile, 64 * 1024);
        if (state.ok() && state.object.value(QStringLiteral("processId")).toInteger() == m_nxDaemonPid
            && probeUnixSocket(socketDir + QLatin1String("/d.sock"), 100).connected)
            return true;
        if (p.state() == QProcess::NotRunning || p.waitForFinished(25) || deadline.hasExpired()) {
            *error = QStringLiteral("the Nx daemon stand-in did not come up (no %1 naming it): %2")
                         .arg(stateFile, tailOf(m_path + QLatin1String("/.nx/workspace-data/d/daemon.log")));
            return false;
        }
    }
}

bool DemoWorkspace::startStandIn(const QString& kind, const QString& program, const QStringList& arguments,
    const QStringList& environment, const QString& logFile, qint64* pid, QString* error)
{
    auto p = std::make_unique<QProcess>();
    p->setProgram(program);
    p->setArguments(arguments);
    p->setWorkingDirectory(m_path);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QLatin1String(kStandInVariable), kind);
    env.insert(QLatin1String(DemoStandIn::kParentVariable), QString::number(qint64(::getpid())));
    if (kind == QLatin1String(DemoStandIn::kCodexBroker)) {
        // A companion without $CLAUDE_PLUGIN_DATA, in the demo's $TMPDIR: the environment that maps a
        // broker to the codex-companion root the demo's state dir lies in.
        env.remove(QStringLiteral("CLAUDE_PLUGIN_DATA"));
        env.insert(QStringLiteral("TMPDIR"), QDir::tempPath());
    }
    for (const QString& entry : environment) {
        const qsizetype eq = entry.indexOf(QLatin1Char('='));
        env.insert(entry.left(eq), entry.mid(eq + 1));
    }
    p->setProcessEnvironment(env);
    p->setStandardInputFile(QProcess::nullDevice());
    // codex-companion opens broker.log with "a" before the spawn and hands it over as stdout/stderr.
    p->setStandardOutputFile(logFile.isEmpty() ? QProcess::nullDevice() : logFile, QIODevice::Append);
    p->setStandardErrorFile(logFile.isEmpty() ? QProcess::nullDevice() : logFile, QIODevice::Append);
    const pid_t parent = ::getpid();
    p->setChildProcessModifier([parent] {
        // Detached like the real daemons (its own session and process group), yet gone with us.
        ::setsid();
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent)
            ::_exit(1);
    });
    p->start();
    if (!p->waitForStarted(kReadyTimeoutMs)) {
        *error = QStringLiteral("cannot start the %1 stand-in (%2): %3").arg(kind, program, p->errorString());
        return false;
    }
    *pid = p->processId();
    m_processes.push_back(std::move(p));
    return true;
}

void DemoWorkspace::shutdown()
{
    for (const auto& p : m_processes)
        signalGroup(*p, SIGTERM);
    const QDeadlineTimer grace(kGraceMs);
    for (const auto& p : m_processes) {
        if (p->state() == QProcess::NotRunning || p->waitForFinished(int(qMax<qint64>(1, grace.remainingTime()))))
            continue;
        signalGroup(*p, SIGKILL);
        p->waitForFinished(kKillWaitMs);
    }
    m_processes.clear();
    // Only the dirs made here, each a fresh mkdtemp: nothing else can be in them.
    for (const QString& dir : std::as_const(m_sessionDirs))
        QDir(dir).removeRecursively();
}

void DemoWorkspace::removeOwnDirs()
{
    if (m_codexStateDir.isEmpty())
        return;
    QDir(m_codexStateDir).removeRecursively();
    if (m_madeCodexRoot) // only if empty: a real codex-companion may have made state there meanwhile
        QDir().rmdir(QFileInfo(m_codexStateDir).absolutePath());
    m_codexStateDir.clear();
    m_madeCodexRoot = false;
}

} // namespace Stateward
