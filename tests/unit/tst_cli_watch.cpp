// SPDX-License-Identifier: GPL-3.0-or-later
// `stateward-cli watch` run as a script runs it: the built binary on a trajectories workspace, a
// scripted sequence of changes (a stale lock of a dead PID, its dead writer's tmp file, a rewrite
// that changes nothing, each removed again, a record the index misses) and, after each, exactly
// the events it causes, compared by kind and id (never ages or times). A signal stops it with
// status 0; usage errors exit 2.
#include "childprocess.h"
#include "clirun.h"
#include "testfiles.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <csignal>
#include <cstdio>

using namespace TestFiles;

namespace {

// Generous: the machine may be loaded; nothing here asserts speed.
constexpr int kTimeout = 60000;

// An agent-trajectories 0.4.x record (active/<id>.json), as FileStorage writes it.
QByteArray trajectory(const QString& id)
{
    return QJsonDocument(QJsonObject {
                             { QStringLiteral("id"), id },
                             { QStringLiteral("version"), 1 },
                             { QStringLiteral("task"), QJsonObject { { QStringLiteral("title"), id } } },
                             { QStringLiteral("status"), QStringLiteral("active") },
                             { QStringLiteral("startedAt"), QStringLiteral("2026-11-02T09:00:00.000Z") },
                             { QStringLiteral("agents"), QJsonArray() },
                             { QStringLiteral("chapters"), QJsonArray() },
                         })
        .toJson();
}

// The 0.4.x index.json of stateDir listing these active trajectories.
QByteArray indexOf(const QString& stateDir, const QStringList& ids)
{
    QJsonObject entries;
    for (const QString& id : ids)
        entries.insert(id,
            QJsonObject { { QStringLiteral("title"), id }, { QStringLiteral("status"), QStringLiteral("active") },
                { QStringLiteral("startedAt"), QStringLiteral("2026-11-02T09:00:00.000Z") },
                { QStringLiteral("path"), QStringLiteral("%1/active/%2.json").arg(stateDir, id) } });
    return QJsonDocument(QJsonObject { { QStringLiteral("version"), 1 },
                             { QStringLiteral("lastUpdated"), QStringLiteral("2026-11-02T09:00:00.000Z") },
                             { QStringLiteral("trajectories"), entries } })
        .toJson();
}

// <ws>/.trajectories holding these active trajectories, each listed in its index.json.
void makeStateDir(const QString& dir, const QStringList& ids)
{
    QVERIFY(QDir().mkpath(dir + QLatin1String("/active")));
    for (const QString& id : ids)
        writeFile(dir + QStringLiteral("/active/%1.json").arg(id), trajectory(id));
    writeFile(dir + QLatin1String("/index.json"), indexOf(dir, ids));
}

// The file appears whole, with its mtime `ageSeconds` ago, as an atomic save makes it appear: a
// scan never sees it half written, so each step causes the same events however scans fall.
void place(const QString& staging, const QString& path, const QByteArray& content, int ageSeconds = 0)
{
    const QString tmp = staging + QLatin1String("/staged");
    writeFile(tmp, content);
    if (ageSeconds > 0)
        backdate(tmp, ageSeconds);
    QVERIFY2(::rename(QFile::encodeName(tmp).constData(), QFile::encodeName(path).constData()) == 0, qPrintable(path));
}

// One running `stateward-cli watch`, its stdout read line by line.
class Watch
{
public:
    explicit Watch(const QStringList& arguments)
    {
        m_process.setProcessChannelMode(QProcess::SeparateChannels);
        m_process.start(
            QStringLiteral(STATEWARD_BIN_DIR "/stateward-cli"), QStringList { QStringLiteral("watch") } + arguments);
    }
    ~Watch()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(kTimeout);
        }
    }

    // Every complete line so far (reading what arrived: QTRY_* spins the event loop).
    QStringList lines()
    {
        m_buffer += m_process.readAllStandardOutput();
        qsizetype nl;
        while ((nl = m_buffer.indexOf('\n')) >= 0) {
            m_lines.append(QString::fromUtf8(m_buffer.left(nl)));
            m_buffer.remove(0, nl + 1);
        }
        return m_lines;
    }
    QList<QJsonObject> events()
    {
        QList<QJsonObject> out;
        for (const QString& line : lines())
            out.append(QJsonDocument::fromJson(line.toUtf8()).object());
        return out;
    }
    // "event id" of each event from `from` on, sorted: what a step must cause, whatever the order.
    QStringList eventsFrom(qsizetype from)
    {
        QStringList out;
        const QList<QJsonObject> all = events();
        for (qsizetype i = from; i < all.size(); ++i) {
            const QJsonObject& e = all.at(i);
            const QString kind = e.value(QStringLiteral("event")).toString();
            QString id;
            for (const char* key : { "problem", "job", "broker", "lock", "tmp" }) {
                if (e.contains(QLatin1String(key)))
                    id = e.value(QLatin1String(key)).toObject().value(QStringLiteral("id")).toString();
            }
            out.append(id.isEmpty() ? kind : kind + QLatin1Char(' ') + id);
        }
        out.sort();
        return out;
    }
    bool ready() { return eventsFrom(0).contains(QStringLiteral("ready")); }
    QString stderrText() { return QString::fromUtf8(m_process.readAllStandardError()); }

    bool signal(int sig) { return ::kill(pid_t(m_process.processId()), sig) == 0; }
    // The exit status once it ends; -1 when it did not end in time or a signal killed it.
    int exitCode()
    {
        if (!m_process.waitForFinished(kTimeout) || m_process.exitStatus() != QProcess::NormalExit)
            return -1;
        return m_process.exitCode();
    }

private:
    QProcess m_process;
    QByteArray m_buffer;
    QStringList m_lines;
};

QStringList sorted(QStringList list)
{
    list.sort();
    return list;
}

} // namespace

class TestCliWatch : public QObject
{
    Q_OBJECT

private slots:
    void jsonEventsFollowScriptedChanges()
    {
        QTemporaryDir ws;
        QVERIFY(ws.isValid());
        const QString dir = ws.path() + QLatin1String("/.trajectories");
        makeStateDir(dir, { QStringLiteral("traj_a"), QStringLiteral("traj_b") });
        const auto job
            = [&](const char* id) { return QStringLiteral("trajectories:%1:%2").arg(dir, QLatin1String(id)); };

        Watch watch({ QStringLiteral("--json"), ws.path() });
        // The first scan: every item added, then ready (nothing is wrong yet).
        QTRY_VERIFY_WITH_TIMEOUT(watch.ready(), kTimeout);
        QCOMPARE(watch.eventsFrom(0),
            sorted({ QStringLiteral("start"), QStringLiteral("job-added ") + job("traj_a"),
                QStringLiteral("job-added ") + job("traj_b"), QStringLiteral("ready") }));
        const QList<QJsonObject> first = watch.events();
        QCOMPARE(first.first().value(QStringLiteral("event")).toString(), QStringLiteral("start"));
        QCOMPARE(first.first().value(QStringLiteral("schema")).toString(), QStringLiteral("stateward-watch/1"));
        QCOMPARE(first.first().value(QStringLiteral("workspaces")).toArray(), QJsonArray { ws.path() });
        QCOMPARE(first.last().value(QStringLiteral("event")).toString(), QStringLiteral("ready"));
        QCOMPARE(first.last().value(QStringLiteral("health")).toObject().value(QStringLiteral("state")).toString(),
            QStringLiteral("ok"));
        const QJsonObject added = first.at(1);
        QCOMPARE(added.value(QStringLiteral("workspace")).toString(), ws.path());
        QCOMPARE(added.value(QStringLiteral("family")).toString(), QStringLiteral("trajectories"));
        QCOMPARE(added.value(QStringLiteral("stateDir")).toString(), dir);
        QCOMPARE(added.value(QStringLiteral("job")).toObject().value(QStringLiteral("status")).toString(),
            QStringLiteral("active"));
        qsizetype mark = watch.events().size();

        // A stale lock of a dead PID: the lock, and the problem it is.
        const qint64 dead = ChildProcess::deadPid();
        QVERIFY(dead > 0);
        const QString lock = dir + QLatin1String("/index.json.lock");
        const QString staleLock = QStringLiteral("trajectories:%1:stale-lock:%2").arg(dir, lock);
        place(ws.path(), lock, QByteArray::number(dead) + '\n' + QByteArray::number(dead) + "-0123456789abcdef\n", 120);
        QTRY_COMPARE_WITH_TIMEOUT(watch.eventsFrom(mark),
            sorted({ QStringLiteral("lock-added lock:") + lock, QStringLiteral("problem-appeared ") + staleLock }),
            kTimeout);
        // Items first, then problems: the problem is the last line.
        QCOMPARE(watch.events()
                     .last()
                     .value(QStringLiteral("problem"))
                     .toObject()
                     .value(QStringLiteral("impact"))
                     .toString(),
            QStringLiteral("blocks"));
        mark = watch.events().size();

        // Its dead writer's tmp file: the tmp file, and the same problem, now counting it. The
        // lock's age moved meanwhile: no lock-changed for that.
        const QString tmp = QStringLiteral("%1/index.json.%2.%3.tmp")
                                .arg(dir)
                                .arg(dead)
                                .arg(QUuid::createUuid().toString(QUuid::WithoutBraces));
        place(ws.path(), tmp, "{\"version\":1,\"trajec", 120);
        QTRY_COMPARE_WITH_TIMEOUT(watch.eventsFrom(mark),
            sorted({ QStringLiteral("tmp-added tmp:") + tmp, QStringLiteral("problem-changed ") + staleLock }),
            kTimeout);
        mark = watch.events().size();

        // A save that changes nothing prints nothing; then the tmp file goes (the events seen from
        // here on are exactly the removal's).
        place(ws.path(), dir + QLatin1String("/active/traj_a.json"), trajectory(QStringLiteral("traj_a")));
        QVERIFY(QFile::remove(tmp));
        QTRY_COMPARE_WITH_TIMEOUT(watch.eventsFrom(mark),
            sorted({ QStringLiteral("tmp-removed tmp:") + tmp, QStringLiteral("problem-changed ") + staleLock }),
            kTimeout);
        mark = watch.events().size();

        QVERIFY(QFile::remove(lock));
        QTRY_COMPARE_WITH_TIMEOUT(watch.eventsFrom(mark),
            sorted({ QStringLiteral("lock-removed lock:") + lock, QStringLiteral("problem-resolved ") + staleLock }),
            kTimeout);
        mark = watch.events().size();

        // A record the index does not list: the job, and the index problem.
        place(ws.path(), dir + QLatin1String("/active/traj_c.json"), trajectory(QStringLiteral("traj_c")));
        QTRY_COMPARE_WITH_TIMEOUT(watch.eventsFrom(mark),
            sorted({ QStringLiteral("job-added ") + job("traj_c"),
                QStringLiteral("problem-appeared trajectories:%1:index").arg(dir) }),
            kTimeout);
        mark = watch.events().size();

        // SIGINT: a clean stop, said on the last line.
        QVERIFY(watch.signal(SIGINT));
        QCOMPARE(watch.exitCode(), 0);
        QCOMPARE(watch.eventsFrom(mark), QStringList { QStringLiteral("stopped") });
        QCOMPARE(watch.events().last().value(QStringLiteral("signal")).toString(), QStringLiteral("SIGINT"));
        QVERIFY2(watch.stderrText().isEmpty(), "nothing on stderr");
    }

    // Words for a person; SIGTERM stops it as cleanly.
    void textLinesAndSigterm()
    {
        QTemporaryDir ws;
        QVERIFY(ws.isValid());
        const QString dir = ws.path() + QLatin1String("/.trajectories");
        makeStateDir(dir, { QStringLiteral("traj_a") });

        Watch watch({ ws.path() });
        const QString name = QDir(ws.path()).dirName();
        QTRY_VERIFY_WITH_TIMEOUT(
            !watch.lines().isEmpty() && watch.lines().last().startsWith(QLatin1String("ready: ")), kTimeout);
        QCOMPARE(watch.lines().first(),
            QStringLiteral("%1: scanned: 1 state dir, 1 job, 0 brokers, 0 locks, 0 tmp files; 0 problems").arg(name));
        const qsizetype mark = watch.lines().size();

        const qint64 dead = ChildProcess::deadPid();
        QVERIFY(dead > 0);
        place(ws.path(), dir + QLatin1String("/index.json.lock"), QByteArray::number(dead) + '\n', 120);
        QTRY_COMPARE_WITH_TIMEOUT(watch.lines().size(), mark + 2, kTimeout);
        const QStringList changes = watch.lines().mid(mark);
        QVERIFY2(changes.at(0).startsWith(QStringLiteral("%1: lock added: %2/index.json.lock stale: ").arg(name, dir)),
            qPrintable(changes.at(0)));
        QVERIFY2(changes.at(1).startsWith(QStringLiteral("%1: problem appeared: ").arg(name))
                && changes.at(1).endsWith(QStringLiteral("is stale: holder PID %1 died").arg(dead)),
            qPrintable(changes.at(1)));

        QVERIFY(watch.signal(SIGTERM));
        QCOMPARE(watch.exitCode(), 0);
        QCOMPARE(watch.lines().last(), QStringLiteral("stopped by SIGTERM"));
    }

    // Beyond the watch budget directories are polled: ready says degraded, and a directory that
    // appears later is one more polled path, a health event (and no other: nothing else changed).
    void healthBeyondTheWatchBudget()
    {
        QTemporaryDir ws;
        QVERIFY(ws.isValid());
        const QString dir = ws.path() + QLatin1String("/.trajectories");
        makeStateDir(dir, { QStringLiteral("traj_a") });

        Watch watch({ QStringLiteral("--json"), QStringLiteral("--watch-budget"), QStringLiteral("1"), ws.path() });
        QTRY_VERIFY_WITH_TIMEOUT(watch.ready(), kTimeout);
        const QJsonObject ready = watch.events().last();
        QCOMPARE(ready.value(QStringLiteral("watchBudget")).toInt(), 1);
        const QJsonObject degraded = ready.value(QStringLiteral("health")).toObject();
        QCOMPARE(degraded.value(QStringLiteral("state")).toString(), QStringLiteral("degraded-polling"));
        QVERIFY(degraded.value(QStringLiteral("polledPaths")).toArray().contains(dir + QLatin1String("/active")));
        const qsizetype mark = watch.events().size();

        const QString completed = dir + QLatin1String("/completed");
        QVERIFY(QDir().mkdir(completed));
        QTRY_COMPARE_WITH_TIMEOUT(watch.eventsFrom(mark), QStringList { QStringLiteral("health") }, kTimeout);
        const QJsonObject health = watch.events().last().value(QStringLiteral("health")).toObject();
        QCOMPARE(health.value(QStringLiteral("state")).toString(), QStringLiteral("degraded-polling"));
        QVERIFY(health.value(QStringLiteral("polledPaths")).toArray().contains(completed));
        QCOMPARE(health.value(QStringLiteral("overBudget")).toInt(),
            degraded.value(QStringLiteral("overBudget")).toInt() + 1);

        QVERIFY(watch.signal(SIGINT));
        QCOMPARE(watch.exitCode(), 0);
    }

    void usageErrorsExit2()
    {
        QTemporaryDir ws;
        QVERIFY(ws.isValid());
        const CliRun none = runCli({ QStringLiteral("watch") });
        QCOMPARE(none.exitCode, 2);
        QVERIFY2(none.err.contains("expected at least one workspace"), none.err.constData());
        const CliRun bad = runCli({ QStringLiteral("watch"), QStringLiteral("--bogus"), ws.path() });
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains("bogus"), bad.err.constData());
        const CliRun missing = runCli({ QStringLiteral("watch"), ws.filePath(QStringLiteral("nope")) });
        QCOMPARE(missing.exitCode, 2);
        QVERIFY2(missing.err.contains("not a directory"), missing.err.constData());
        const CliRun budget = runCli({ QStringLiteral("watch"), QStringLiteral("--watch-budget=-3"), ws.path() });
        QCOMPARE(budget.exitCode, 2);
        QVERIFY2(budget.err.contains("not a number of paths"), budget.err.constData());
        QVERIFY(none.out.isEmpty() && bad.out.isEmpty() && missing.out.isEmpty() && budget.out.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestCliWatch)
#include "tst_cli_watch.moc"
