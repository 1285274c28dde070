// SPDX-License-Identifier: GPL-3.0-or-later
// stateward-cli watch WS…: the GUI's WatchHub, headless, printing one line per change (problems
// appeared, changed or resolved; jobs, brokers, locks and tmp files added, changed or removed;
// the watch's health) until a signal stops it. Schema of the --json lines: docs/watch-schema.md.
#include "cli.h"
#include "common/terminationsignals.h"
#include "problem/problem.h"
#include "proc/paths.h"
#include "watch/watchhub.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QThreadPool>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

namespace Stateward::Cli {

namespace {

    const QString kSchema = QStringLiteral("stateward-watch/1");

    // An item of a snapshot with the state dir it came from: the models' Origin, without the UI.
    template <typename T> struct Located
    {
        Family family {};
        QString stateDir;
        T item;
    };

    // What a rescan with nothing changed reproduces exactly. Ages, and the one-line reasons and
    // explanations that word them ("refreshed 42 s ago"), move with the clock: they are printed,
    // never compared. A lock turning stale, or a tmp file turning orphan, changes a field kept here.
    const Job& stable(const Job& j)
    {
        return j;
    }
    const Broker& stable(const Broker& b)
    {
        return b;
    }
    LockHolder stable(LockHolder l)
    {
        l.verdict.ageMs = 0;
        l.verdict.reason.clear();
        return l;
    }
    TempFile stable(TempFile t)
    {
        t.reason.clear();
        return t;
    }
    Problem stable(Problem p)
    {
        p.explanation.clear(); // it quotes the findings' evidence, ages included; the title has the figures
        return p;
    }

    template <typename T> const QString& idOf(const Located<T>& x)
    {
        return x.item.id;
    }
    const QString& idOf(const Problem& p)
    {
        return p.id;
    }
    template <typename T> bool sameStable(const Located<T>& a, const Located<T>& b)
    {
        return a.family == b.family && a.stateDir == b.stateDir && stable(a.item) == stable(b.item);
    }
    bool sameStable(const Problem& a, const Problem& b)
    {
        return stable(a) == stable(b);
    }

    enum class Change
    {
        Added,
        Changed,
        Removed,
    };

    // The one differ: entries keyed by id, compared by their stable part. Removals first (in the
    // old order), then additions and changes (in the new order).
    template <typename T, typename Report> void diffById(const QList<T>& before, const QList<T>& now, Report report)
    {
        QHash<QString, qsizetype> was;
        for (qsizetype i = 0; i < before.size(); ++i)
            was.insert(idOf(before.at(i)), i);
        QSet<QString> still;
        for (const T& x : now)
            still.insert(idOf(x));
        for (const T& x : before) {
            if (!still.contains(idOf(x)))
                report(Change::Removed, x);
        }
        for (const T& x : now) {
            const auto it = was.constFind(idOf(x));
            if (it == was.cend())
                report(Change::Added, x);
            else if (!sameStable(before.at(*it), x))
                report(Change::Changed, x);
        }
    }

    // What one workspace shows, as last printed.
    struct View
    {
        QList<Located<Job>> jobs;
        QList<Located<Broker>> brokers;
        QList<Located<LockHolder>> locks;
        QList<Located<TempFile>> tempFiles;
        QList<Problem> problems;
        int stateDirs = 0;
    };

    template <typename List>
    QList<Located<typename List::value_type>> flatten(const QList<Snapshot>& snapshots, List Snapshot::*list)
    {
        using T = typename List::value_type;
        QList<Located<T>> out;
        for (const Snapshot& s : snapshots) {
            for (const T& item : s.*list)
                out.append(Located<T> { s.family, s.stateDir, item });
        }
        return out;
    }

    View viewOf(const QList<Snapshot>& snapshots)
    {
        return View { flatten(snapshots, &Snapshot::jobs), flatten(snapshots, &Snapshot::brokers),
            flatten(snapshots, &Snapshot::locks), flatten(snapshots, &Snapshot::tempFiles), problemsOf(snapshots),
            int(snapshots.size()) };
    }

    QString verb(Change c)
    {
        switch (c) {
        case Change::Added:
            return QStringLiteral("added");
        case Change::Changed:
            return QStringLiteral("changed");
        case Change::Removed:
            return QStringLiteral("removed");
        }
        return {};
    }

    QString problemVerb(Change c)
    {
        switch (c) {
        case Change::Added:
            return QStringLiteral("appeared");
        case Change::Changed:
            return QStringLiteral("changed");
        case Change::Removed:
            return QStringLiteral("resolved");
        }
        return {};
    }

    // The item in a few words, for the plain-text lines.
    QString words(const Job& j)
    {
        QString s = QStringLiteral("%1 \"%2\" %3").arg(j.jobId, j.title, j.status);
        if (j.pid > 0)
            s += QStringLiteral(", PID %1 %2").arg(j.pid).arg(nameOf(j.liveness));
        return s;
    }
    QString words(const Broker& b)
    {
        return QStringLiteral("PID %1 %2%3")
            .arg(b.pid)
            .arg(nameOf(b.liveness), b.endpoint.isEmpty() ? QString() : QStringLiteral(" at ") + b.endpoint);
    }
    QString words(const LockHolder& l)
    {
        return QStringLiteral("%1 %2: %3").arg(l.verdict.path, nameOf(l.verdict.state), l.verdict.reason);
    }
    QString words(const TempFile& t)
    {
        return QStringLiteral("%1 %2: %3")
            .arg(t.path, t.orphan ? QStringLiteral("orphan") : QStringLiteral("live"), t.reason);
    }

    QJsonObject toJson(const WatchHealth& h)
    {
        return QJsonObject {
            { QStringLiteral("state"), h.isDegraded() ? QStringLiteral("degraded-polling") : QStringLiteral("ok") },
            { QStringLiteral("summary"), h.summary() },
            { QStringLiteral("reason"), h.reason },
            { QStringLiteral("polledPaths"), QJsonArray::fromStringList(h.polledPaths) },
            { QStringLiteral("refused"), QJsonArray::fromStringList(h.refused) },
            { QStringLiteral("overBudget"), h.overBudget },
            { QStringLiteral("unwatchedFiles"), h.unwatchedFiles },
        };
    }

    QString healthWords(const WatchHealth& h)
    {
        return h.reason.isEmpty() ? h.summary() : QStringLiteral("%1: %2").arg(h.summary(), h.reason);
    }

    QString signalName(int sig)
    {
        switch (sig) {
        case SIGINT:
            return QStringLiteral("SIGINT");
        case SIGTERM:
            return QStringLiteral("SIGTERM");
        case SIGHUP:
            return QStringLiteral("SIGHUP");
        }
        return QString::number(sig);
    }

    // Prints the hub's deliveries as lines, one per change, flushed at once (a pipe to jq or ssh
    // sees each line when it happens).
    class Printer
    {
    public:
        Printer(WatchHub& hub, bool json)
            : m_hub(hub)
            , m_json(json)
        { }

        bool failed() const { return m_failed; }

        void start()
        {
            if (m_json)
                line(QJsonObject { { QStringLiteral("event"), QStringLiteral("start") },
                    { QStringLiteral("schema"), kSchema },
                    { QStringLiteral("workspaces"), QJsonArray::fromStringList(m_hub.workspaces()) } });
        }

        void delivered(const QString& workspace, const QList<Snapshot>& snapshots)
        {
            const bool first = !m_views.contains(workspace);
            const View before = m_views.value(workspace);
            const View now = viewOf(snapshots);
            m_views.insert(workspace, now);
            if (first && !m_json) {
                summarise(workspace, now); // a person wants the gist, not every record of the first scan
                return;
            }
            report(workspace, QStringLiteral("job"), before.jobs, now.jobs);
            report(workspace, QStringLiteral("broker"), before.brokers, now.brokers);
            report(workspace, QStringLiteral("lock"), before.locks, now.locks);
            report(workspace, QStringLiteral("tmp"), before.tempFiles, now.tempFiles);
            diffById(before.problems, now.problems, [&](Change c, const Problem& p) {
                if (m_json)
                    line(QJsonObject { { QStringLiteral("event"), QStringLiteral("problem-") + problemVerb(c) },
                        { QStringLiteral("workspace"), workspace }, { QStringLiteral("problem"), p.toJson() } });
                else
                    text(workspace, QStringLiteral("problem %1: %2").arg(problemVerb(c), p.title));
            });
        }

        // Once every workspace had its first scan and the watches follow it.
        void scanFinished(const QString& workspace)
        {
            m_scanned.insert(workspace);
            if (m_ready || m_scanned.size() < m_hub.workspaces().size())
                return;
            m_ready = true;
            m_health = m_hub.health();
            if (m_json)
                line(QJsonObject { { QStringLiteral("event"), QStringLiteral("ready") },
                    { QStringLiteral("workspaces"), QJsonArray::fromStringList(m_hub.workspaces()) },
                    { QStringLiteral("health"), toJson(m_health) },
                    { QStringLiteral("watchBudget"), m_hub.watchBudget() } });
            else
                text({},
                    QStringLiteral("ready: watching %1 (health %2; watch budget %3 paths); Ctrl-C stops")
                        .arg(m_hub.workspaces().join(QStringLiteral(", ")), healthWords(m_health),
                            QString::number(m_hub.watchBudget()))); // one arg(): a path may hold "%1"
        }

        void healthChanged(const WatchHealth& health)
        {
            if (!m_ready || health == m_health) // before ready, the ready line carries it
                return;
            m_health = health;
            if (m_json)
                line(QJsonObject { { QStringLiteral("event"), QStringLiteral("health") },
                    { QStringLiteral("health"), toJson(health) } });
            else
                text({}, QStringLiteral("health: %1").arg(healthWords(health)));
        }

        void stopped(int sig)
        {
            if (m_json)
                line(QJsonObject { { QStringLiteral("event"), QStringLiteral("stopped") },
                    { QStringLiteral("signal"), sig ? QJsonValue(signalName(sig)) : QJsonValue() } });
            else
                text({}, sig ? QStringLiteral("stopped by %1").arg(signalName(sig)) : QStringLiteral("stopped"));
        }

    private:
        template <typename T>
        void report(const QString& workspace, const QString& kind, const QList<Located<T>>& before,
            const QList<Located<T>>& now)
        {
            diffById(before, now, [&](Change c, const Located<T>& x) {
                if (m_json)
                    line(QJsonObject { { QStringLiteral("event"), kind + QLatin1Char('-') + verb(c) },
                        { QStringLiteral("workspace"), workspace }, { QStringLiteral("family"), nameOf(x.family) },
                        { QStringLiteral("stateDir"), x.stateDir }, { kind, x.item.toJson() } });
                else
                    text(workspace, QStringLiteral("%1 %2: %3").arg(kind, verb(c), words(x.item)));
            });
        }

        void summarise(const QString& workspace, const View& v)
        {
            const QStringList counts { counted(v.stateDirs, QStringLiteral("state dir")),
                counted(v.jobs.size(), QStringLiteral("job")), counted(v.brokers.size(), QStringLiteral("broker")),
                counted(v.locks.size(), QStringLiteral("lock")),
                counted(v.tempFiles.size(), QStringLiteral("tmp file")) };
            text(workspace,
                QStringLiteral("scanned: %1; %2")
                    .arg(counts.join(QStringLiteral(", ")), counted(v.problems.size(), QStringLiteral("problem"))));
            for (const Problem& p : v.problems)
                text(workspace,
                    QStringLiteral("problem: %1 (%2)")
                        .arg(p.title, nameOf(p.impact).replace(QLatin1Char('-'), QLatin1Char(' '))));
        }

        void text(const QString& workspace, const QString& message)
        {
            // Folder names, as the window's event log words them; the ready line names the paths.
            // Escaped for a terminal: the text comes from files others wrote (JSON escapes itself).
            const QString line
                = workspace.isEmpty() ? message : QStringLiteral("%1: %2").arg(QDir(workspace).dirName(), message);
            write(terminalSafe(line).toLocal8Bit() + '\n');
        }

        void line(const QJsonObject& o) { write(QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n'); }

        void write(const QByteArray& out)
        {
            if (m_failed)
                return;
            if (std::fwrite(out.constData(), 1, size_t(out.size()), stdout) != size_t(out.size())
                || std::fflush(stdout) != 0) {
                // The reader went away (a closed pipe, a dropped ssh): nobody is left to tell.
                m_failed = true;
                std::fprintf(
                    stderr, "stateward-cli watch: cannot write to standard output: %s\n", std::strerror(errno));
                QCoreApplication::exit(ExitError);
            }
        }

        WatchHub& m_hub;
        const bool m_json;
        QHash<QString, View> m_views;
        QSet<QString> m_scanned;
        bool m_ready = false;
        bool m_failed = false;
        WatchHealth m_health;
    };

} // namespace

int runWatch(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Watch workspaces as the window does (inotify, PIDs in view polled every second, a backstop "
                       "walk) and print one line per change: problems appeared, changed or resolved; jobs, brokers, "
                       "locks and tmp files added, changed or removed; the watch's health. The first scan is "
                       "summarised (with --json: every item added and every problem appeared), then a ready line. "
                       "Runs until SIGINT, SIGTERM or SIGHUP. Reads only; changes nothing.\n"
                       "Exit code 0 when stopped by a signal, 2 on bad arguments or when standard output is "
                       "closed."));
    parser.addHelpOption();
    const QCommandLineOption json(QStringLiteral("json"),
        QStringLiteral("Print one JSON object per line (docs/watch-schema.md, schema stateward-watch/1)."));
    const QCommandLineOption budget(QStringLiteral("watch-budget"),
        QStringLiteral("The most directories asked of inotify (default a quarter of fs.inotify.max_user_watches); "
                       "the directories beyond it are polled. 0 polls everything (a network file system that sends "
                       "no events)."),
        QStringLiteral("paths"));
    parser.addOption(json);
    parser.addOption(budget);
    QStringList workspaces;
    if (const std::optional<int> code = parseWorkspaceArguments(parser, arguments, &workspaces))
        return *code;
    bool budgetOk = true;
    const int budgetPaths = parser.isSet(budget) ? parser.value(budget).toInt(&budgetOk) : -1;
    if (!budgetOk || (parser.isSet(budget) && budgetPaths < 0))
        return fail(QStringLiteral("watch"),
            QStringLiteral("--watch-budget: '%1' is not a number of paths").arg(parser.value(budget)));
    if (!quitOnTerminationSignals())
        return fail(QStringLiteral("watch"),
            QStringLiteral("cannot set up signal handling: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
    // A closed pipe is an error write() reports, not a signal that kills before the line says why.
    std::signal(SIGPIPE, SIG_IGN);

    int code = ExitClean;
    {
        WatchHub hub;
        Printer printer(hub, parser.isSet(json));
        QObject::connect(&hub, &WatchHub::snapshotsChanged, &hub,
            [&printer](const QString& ws, const QList<Snapshot>& snapshots) { printer.delivered(ws, snapshots); });
        // After a delivered scan the hub has synced its watches: a change made once "ready" is out is seen.
        QObject::connect(
            &hub, &WatchHub::scanFinished, &hub, [&printer](const QString& ws, qint64) { printer.scanFinished(ws); });
        QObject::connect(&hub, &WatchHub::healthChanged, &hub,
            [&printer](const WatchHealth& health) { printer.healthChanged(health); });
        if (budgetPaths >= 0)
            hub.setWatchBudget(budgetPaths);
        for (const QString& ws : workspaces)
            hub.addWorkspace(ws);
        printer.start();
        code = printer.failed() ? ExitError : QCoreApplication::exec();
        if (!printer.failed())
            printer.stopped(terminationSignal());
    } // the hub tells its running scans to stop
    QThreadPool::globalInstance()->waitForDone();
    return code;
}

} // namespace Stateward::Cli
