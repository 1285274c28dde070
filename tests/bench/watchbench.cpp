// SPDX-License-Identifier: GPL-3.0-or-later
// sw-watchbench: the cost of live watching, from a file changed on disk to the jobs table.
//   BENCH_WATCH_JOBS (10000) index-era trajectories are generated (content as
//   make-scan-workspace.mjs writes it, torn files, stale copies and index drift included) and
//   watched by a WatchHub feeding a JobsModel. Then BENCH_WATCH_EVENTS (1000) times one record
//   is rename-replaced (tmp file written beside it, renamed over) with a new title, and the time
//   from the rename to the model showing that title is taken, with the default settings and with
//   BENCH_WATCH_SMALL_DEBOUNCE ms (5) of debounce. BENCH_WATCH_INPLACE_EVENTS (200) times an
//   active record is written in place (open, truncate, write: as trail saves it), timed the same
//   way. BENCH_WATCH_BURSTS (5) bursts of 1000 writes (rename-replace, ten records) count the
//   scans each costs. The same events are then applied to the model alone (one row changed
//   among BENCH_WATCH_JOBS). BENCH_IDLE_SECONDS (30) of process CPU with nothing changing,
//   default timers. Last, in a child process of its own (a clean VmHWM), BENCH_WATCH_BIG
//   (100000) trajectories watched with the model filled: BENCH_WATCH_BIG_EVENTS (200)
//   rename-replace latencies with the default settings, peak RSS, and idle CPU; then
//   `stateward-cli scan --json` of those records, its peak RSS beside `stateward-cli --version`'s.
//   BENCH_WATCH_BIG=0 or BENCH_IDLE_SECONDS=0 skips that part; BENCH_KEEP=1 keeps the files;
//   BENCH_WATCH_LEADING=0 turns the leading-edge scan off (every change waits for the debounce,
//   as before it existed) to compare within one machine's load.
// Floors are measured in the same run, on the same files: a rename and an in-place write seen by
// a bare inotify fd and by a bare QFileSystemWatcher, one lstat walk of the state dir (every scan
// of a changed state dir takes one), index.json read and parsed; beside them a full parse, and a
// re-parse with every record reused from the TrajectoryRecordCache.
// Prints a table; nothing is asserted (machines are shared: compare within one run).
#include "benchprocess.h"
#include "models/jobsmodel.h"
#include "problem/problem.h"
#include "sources/jsonfile.h"
#include "sources/trajectoriessource.h"
#include "watch/watchhub.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

using namespace Stateward;
using BenchProcess::statusKiB;
using BenchProcess::threadCpuNs;

namespace {

int intEnv(const char* name, int dflt, int min)
{
    const QByteArray v = qgetenv(name);
    if (v.isEmpty())
        return dflt;
    bool ok = false;
    const int n = v.toInt(&ok);
    if (!ok || n < min) {
        std::fprintf(stderr, "sw-watchbench: %s must be an integer >= %d\n", name, min);
        std::exit(2);
    }
    return n;
}

// One run of another program, its stdout thrown away: wall time, and its own peak RSS as GNU time
// (installed by scripts/deps) reports it. Not wait4(2)'s: a child spawned from this process starts
// its high-water mark at this process's RSS.
struct ChildRun
{
    int exitCode = -1;
    qint64 ms = 0;
    qint64 peakKiB = -1;
};

ChildRun runMeasured(const QString& scratch, const QString& program, const QStringList& args)
{
    const QString rssFile = scratch + QLatin1String("/peak-rss");
    QProcess p;
    p.setStandardOutputFile(QProcess::nullDevice());
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    ChildRun run;
    QElapsedTimer t;
    t.start();
    p.start(QStringLiteral("/usr/bin/time"),
        QStringList { QStringLiteral("-f"), QStringLiteral("%M"), QStringLiteral("-o"), rssFile, program } + args);
    if (p.waitForFinished(-1) && p.exitStatus() == QProcess::NormalExit)
        run.exitCode = p.exitCode();
    run.ms = t.elapsed();
    QFile f(rssFile);
    if (f.open(QIODevice::ReadOnly)) {
        bool ok = false;
        const qint64 kib = f.readAll().trimmed().split('\n').constLast().toLongLong(&ok);
        if (ok)
            run.peakKiB = kib;
    }
    return run;
}

// User + system time of every thread of the process: scans run on the pool, not on this thread.
qint64 processCpuNs()
{
    rusage ru {};
    ::getrusage(RUSAGE_SELF, &ru);
    return (qint64(ru.ru_utime.tv_sec) + ru.ru_stime.tv_sec) * 1000000000
        + (qint64(ru.ru_utime.tv_usec) + ru.ru_stime.tv_usec) * 1000;
}

double quantileMs(std::vector<qint64> ns, double q)
{
    if (ns.empty())
        return -1;
    std::sort(ns.begin(), ns.end());
    return double(ns[std::min(ns.size() - 1, size_t(q * double(ns.size())))]) / 1e6;
}

double maxMs(const std::vector<qint64>& ns)
{
    return ns.empty() ? -1 : double(*std::max_element(ns.begin(), ns.end())) / 1e6;
}

// Runs the event loop until done() holds (checked every few ms) or timeoutMs passes. Not for
// timed waits: the polling timer would wake the loop on its own.
template <typename F> bool waitUntil(F done, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (!done()) {
        if (t.elapsed() > timeoutMs)
            return false;
        QEventLoop loop;
        QTimer::singleShot(2, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return true;
}

void sleepInLoop(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

// ---- the workspace --------------------------------------------------------------------------

// xorshift32, as make-scan-workspace.mjs: deterministic, fast; quality is irrelevant here.
struct Rng
{
    quint32 s;
    double next()
    {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        return double(s) / 4294967296.0;
    }
    int below(int n) { return int(next() * n); }
};

const QStringList& words()
{
    static const QStringList w = QStringLiteral(
        "parser lock index cache journal broker socket retry backoff storage reader writer schema migration config "
        "token session worker queue timeout upload client pagination helper test flaky build release daemon signal "
        "process tmp file rename fsync atomic compaction trace")
                                     .split(QLatin1Char(' '));
    return w;
}

struct Generated
{
    QString ws; // canonical
    QString stateDir;
    int files = 0;
    qint64 bytes = 0;
    int expectedJobs = 0; // one per valid trajectory id
    int findings = 0; // torn files, stale copies, index drift: what the scan must report
    QStringList editable; // records whose title the job shows (no second copy of the id)
    qint64 ms = 0;
};

// ROOT/ws/.trajectories in the 0.4.x index era (docs/formats/trajectories.md): index.json, active/<id>.json
// for ~1 % of the records, completed/YYYY-MM/<id>.json for the rest; 1-3 KB each. As the scan
// benchmark: N/10000 torn files and stale active/ copies, 1 in 50 missing from the index, 1 in
// 200 stale there, N/1000 index entries naming no file.
Generated generate(const QString& root, int n, quint32 seed)
{
    QElapsedTimer timer;
    timer.start();
    Generated g;
    QDir().mkpath(root + QLatin1String("/ws/.trajectories/active"));
    QDir().mkpath(root + QLatin1String("/ws/.trajectories/completed"));
    g.ws = QDir(root + QLatin1String("/ws")).canonicalPath();
    g.stateDir = g.ws + QLatin1String("/.trajectories");
    Rng rng { seed };
    const auto pick = [&](const QStringList& xs) { return xs.at(rng.below(int(xs.size()))); };
    const auto someWords = [&](int k) {
        QStringList out;
        for (int i = 0; i < k; ++i)
            out.append(pick(words()));
        return out.join(QLatin1Char(' '));
    };
    const auto token = [&](int k, int base) {
        QString out;
        for (int i = 0; i < k; ++i)
            out.append(QString::number(rng.below(base), base));
        return out;
    };
    const auto iso = [](qint64 ms) { return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs); };
    static const QStringList verbs { QStringLiteral("Fix"), QStringLiteral("Add"), QStringLiteral("Refactor"),
        QStringLiteral("Investigate"), QStringLiteral("Document"), QStringLiteral("Speed up"), QStringLiteral("Harden"),
        QStringLiteral("Remove"), QStringLiteral("Split"), QStringLiteral("Port") };
    static const QStringList agents { QStringLiteral("alice"), QStringLiteral("bob"), QStringLiteral("carol"),
        QStringLiteral("dave"), QStringLiteral("default"), QStringLiteral("orchestrator") };
    static const QStringList sources { QStringLiteral("github"), QStringLiteral("linear"), QStringLiteral("jira"),
        QStringLiteral("plain") };
    // JSON.stringify's order for a FileStorage record, so the files read like the real ones.
    static const QStringList keyOrder = QStringLiteral(
        "id version task title source system url status startedAt agents name role joinedAt chapters agentName "
        "endedAt events ts type content raw question chosen alternatives option reason reasoning significance "
        "commits filesChanged projectId tags _trace startRef endRef traceId completedAt retrospective summary "
        "approach confidence")
                                            .split(QLatin1Char(' '));

    QSet<QString> ids;
    const auto newId = [&] {
        for (;;) {
            const QString id = QStringLiteral("traj_") + token(12, 36);
            if (!ids.contains(id)) {
                ids.insert(id);
                return id;
            }
        }
    };
    const auto write = [&](const QString& rel, const QByteArray& bytes) {
        QFile f(g.stateDir + QLatin1Char('/') + rel);
        if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size()) {
            std::fprintf(stderr, "sw-watchbench: cannot write %s\n", qPrintable(f.fileName()));
            std::exit(1);
        }
        ++g.files;
        g.bytes += bytes.size();
    };
    QSet<QString> months;
    const auto place = [&](const QString& id, qint64 completedMs, bool active) {
        if (active)
            return QStringLiteral("active/%1.json").arg(id);
        const QString m = QDateTime::fromMSecsSinceEpoch(completedMs, Qt::UTC).toString(QStringLiteral("yyyy-MM"));
        if (!months.contains(m)) {
            months.insert(m);
            QDir().mkpath(g.stateDir + QLatin1String("/completed/") + m);
        }
        return QStringLiteral("completed/%1/%2.json").arg(m, id);
    };

    const int nInvalid = n / 10000;
    const int nDup = n / 10000;
    const int nUnique = n - nInvalid - nDup;
    const int every = std::max(1, nUnique / (std::max(nDup, nInvalid) + 1));
    int dups = 0;
    int torn = 0;
    const qint64 baseMs
        = QDateTime::fromString(QStringLiteral("2026-11-01T09:00:00.000Z"), Qt::ISODateWithMs).toMSecsSinceEpoch();
    const qint64 span = 730LL * 86400000;
    QJsonObject entries;
    for (int i = 0; i < nUnique; ++i) {
        const qint64 startedMs = baseMs - qint64(double(i) / nUnique * double(span)) - rng.below(600000);
        const QString status = i % 100 == 0 ? QStringLiteral("active")
            : i % 10 == 3                   ? QStringLiteral("abandoned")
                                            : QStringLiteral("completed");
        const QString agent = pick(agents);
        const QString title = pick(verbs) + QLatin1Char(' ') + someWords(2 + rng.below(5));
        QJsonObject task { { QStringLiteral("title"), title } };
        if (rng.next() < 0.3) {
            const QString system = pick(sources);
            const QString num = QString::number(1 + rng.below(5000));
            QJsonObject src { { QStringLiteral("system"), system }, { QStringLiteral("id"), num } };
            if (system == QLatin1String("github"))
                src.insert(QStringLiteral("url"), QStringLiteral("https://github.com/stateward/bench/issues/") + num);
            task.insert(QStringLiteral("source"), src);
        }
        const qint64 completedMs = startedMs + 60000 + rng.below(7200000);
        QJsonArray events;
        const int decisions = 1 + rng.below(3);
        for (int k = 0; k < decisions; ++k) {
            const QString chosen = pick(verbs).toLower() + QStringLiteral(" the ") + someWords(2);
            QJsonArray alternatives;
            for (int a = rng.below(3); a > 0; --a)
                alternatives.append(QJsonObject {
                    { QStringLiteral("option"), someWords(2) }, { QStringLiteral("reason"), someWords(5) } });
            events.append(QJsonObject {
                { QStringLiteral("ts"), double(startedMs + 30000 * (k + 1)) },
                { QStringLiteral("type"), QStringLiteral("decision") },
                { QStringLiteral("content"), chosen + QStringLiteral(": ") + someWords(6) },
                { QStringLiteral("raw"),
                    QJsonObject {
                        { QStringLiteral("question"), QStringLiteral("How to handle the %1?").arg(someWords(3)) },
                        { QStringLiteral("chosen"), chosen }, { QStringLiteral("alternatives"), alternatives },
                        { QStringLiteral("reasoning"), someWords(8 + rng.below(10)) + QLatin1Char('.') } } },
                { QStringLiteral("significance"), QStringLiteral("high") },
            });
        }
        if (status == QLatin1String("abandoned"))
            events.append(QJsonObject { { QStringLiteral("ts"), double(completedMs) },
                { QStringLiteral("type"), QStringLiteral("note") },
                { QStringLiteral("content"), QStringLiteral("Abandoned: ") + someWords(5) },
                { QStringLiteral("significance"), QStringLiteral("high") } });
        QJsonObject chapter { { QStringLiteral("id"), QStringLiteral("chap_") + token(12, 36) },
            { QStringLiteral("title"),
                agent == QLatin1String("default") ? QStringLiteral("Work") : QStringLiteral("Initial work") },
            { QStringLiteral("agentName"), agent }, { QStringLiteral("startedAt"), iso(startedMs) },
            { QStringLiteral("events"), events } };
        if (status != QLatin1String("active"))
            chapter.insert(QStringLiteral("endedAt"), iso(completedMs));
        QJsonArray commits;
        QJsonArray filesChanged;
        if (status == QLatin1String("completed")) {
            for (int c = 1 + rng.below(3); c > 0; --c)
                commits.append(token(7, 16));
            for (qsizetype f = 0; f <= commits.size(); ++f)
                filesChanged.append(QStringLiteral("src/%1/%2.ts").arg(pick(words()), pick(words())));
        }
        const QString id = newId();
        QJsonObject rec { { QStringLiteral("id"), id }, { QStringLiteral("version"), 1 },
            { QStringLiteral("task"), task }, { QStringLiteral("status"), status },
            { QStringLiteral("startedAt"), iso(startedMs) },
            { QStringLiteral("agents"),
                QJsonArray {
                    QJsonObject { { QStringLiteral("name"), agent }, { QStringLiteral("role"), QStringLiteral("lead") },
                        { QStringLiteral("joinedAt"), iso(startedMs) } } } },
            { QStringLiteral("chapters"), QJsonArray { chapter } }, { QStringLiteral("commits"), commits },
            { QStringLiteral("filesChanged"), filesChanged },
            { QStringLiteral("projectId"), QStringLiteral("stateward/bench") },
            { QStringLiteral("tags"), rng.next() < 0.2 ? QJsonArray { pick(words()) } : QJsonArray {} } };
        QJsonObject trace { { QStringLiteral("startRef"), token(40, 16) } };
        if (status == QLatin1String("completed")) {
            trace.insert(QStringLiteral("endRef"), token(40, 16));
            trace.insert(QStringLiteral("traceId"), QStringLiteral("trace_") + token(12, 36));
        }
        rec.insert(QStringLiteral("_trace"), trace);
        if (status != QLatin1String("active"))
            rec.insert(QStringLiteral("completedAt"), iso(completedMs));
        if (status == QLatin1String("completed"))
            rec.insert(QStringLiteral("retrospective"),
                QJsonObject {
                    { QStringLiteral("summary"), title + QStringLiteral(": ") + someWords(10) + QLatin1Char('.') },
                    { QStringLiteral("approach"), someWords(12) + QLatin1Char('.') },
                    { QStringLiteral("confidence"), double(rng.below(100)) / 100 } });
        const QString rel = place(id, completedMs, status == QLatin1String("active"));
        write(rel, toJsonText(rec, keyOrder));
        ++g.expectedJobs;
        bool editable = true;
        if (i % 50 != 7) { // else lost from the index by a racing save
            const bool stale = status != QLatin1String("active") && i % 200 == 11; // reconciled while active
            QJsonObject e { { QStringLiteral("title"), title },
                { QStringLiteral("status"), stale ? QStringLiteral("active") : status },
                { QStringLiteral("startedAt"), iso(startedMs) },
                { QStringLiteral("path"),
                    g.stateDir + QLatin1Char('/') + (stale ? QStringLiteral("active/%1.json").arg(id) : rel) } };
            if (rec.contains(QStringLiteral("completedAt")) && !stale)
                e.insert(QStringLiteral("completedAt"), iso(completedMs));
            entries.insert(id, e);
            g.findings += stale ? 1 : 0;
        } else {
            ++g.findings;
        }
        if (status == QLatin1String("completed") && dups < nDup && i >= every * (dups + 1)) {
            // A stale active/ copy, written before the crash that skipped the unlink.
            QJsonObject earlier = rec;
            earlier.insert(QStringLiteral("status"), QStringLiteral("active"));
            earlier.remove(QStringLiteral("completedAt"));
            earlier.remove(QStringLiteral("retrospective"));
            write(place(id, 0, true), toJsonText(earlier, keyOrder));
            ++dups;
            ++g.findings;
            editable = false; // which copy shows is the scan's rule, not this benchmark's business
        }
        if (status != QLatin1String("active") && torn < nInvalid && i >= every * (torn + 1) + 1) {
            // A torn file: the first half of a record, as a non-atomic writeFile leaves it.
            const QString tornId = newId();
            QJsonObject copy = rec;
            copy.insert(QStringLiteral("id"), tornId);
            const QByteArray text = toJsonText(copy, keyOrder);
            write(place(tornId, completedMs, false), text.left(text.size() / 2));
            ++torn;
            ++g.findings;
        }
        if (editable)
            g.editable.append(g.stateDir + QLatin1Char('/') + rel);
    }
    for (int k = 0; k < n / 1000; ++k) { // index entries that name files that do not exist
        const QString id = newId();
        const qint64 startedMs = baseMs - qint64(rng.next() * double(span));
        entries.insert(id,
            QJsonObject { { QStringLiteral("title"), pick(verbs) + QLatin1Char(' ') + someWords(3) },
                { QStringLiteral("status"), QStringLiteral("completed") },
                { QStringLiteral("startedAt"), iso(startedMs) },
                { QStringLiteral("completedAt"), iso(startedMs + 600000) },
                { QStringLiteral("path"), g.stateDir + QStringLiteral("/completed/2020-01/%1.json").arg(id) } });
        ++g.findings;
    }
    write(QStringLiteral("index.json"),
        toJsonText(QJsonObject { { QStringLiteral("version"), 1 }, { QStringLiteral("lastUpdated"), iso(baseMs) },
                       { QStringLiteral("trajectories"), entries } },
            TrajectoriesSource::indexKeyOrder()));
    g.ms = timer.elapsed();
    return g;
}

QString jobIdOf(const Generated& g, const QString& recordPath)
{
    return QStringLiteral("trajectories:%1:%2").arg(g.stateDir, QFileInfo(recordPath).completeBaseName());
}

// The record with a new title, as trail writes it: the tmp file is written here (untimed).
QByteArray retitled(const QString& path, const QString& title)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QJsonObject rec = QJsonDocument::fromJson(f.readAll()).object();
    QJsonObject task = rec.value(QStringLiteral("task")).toObject();
    task.insert(QStringLiteral("title"), title);
    rec.insert(QStringLiteral("task"), task);
    return toJsonText(rec);
}

bool writeTmp(const QString& tmp, const QByteArray& bytes)
{
    QFile f(tmp);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

// ---- floors ---------------------------------------------------------------------------------

// A rename seen by a bare inotify fd: the kernel's part of every event, and nothing else.
std::vector<qint64> inotifyFloor(const QString& dir, int iterations)
{
    std::vector<qint64> ns;
    const int fd = ::inotify_init1(IN_CLOEXEC);
    if (fd < 0 || ::inotify_add_watch(fd, QFile::encodeName(dir).constData(), IN_MOVED_TO | IN_CREATE) < 0)
        return ns;
    const QByteArray target = QFile::encodeName(dir + QLatin1String("/record.json"));
    const QByteArray tmp = QFile::encodeName(dir + QLatin1String("/record.json.tmp"));
    alignas(inotify_event) char buf[4096];
    for (int i = 0; i < iterations; ++i) {
        writeTmp(QFile::decodeName(tmp), QByteArray::number(i));
        while (::read(fd, buf, sizeof buf) <= 0) { } // the tmp file's IN_CREATE
        QElapsedTimer t;
        t.start();
        ::rename(tmp.constData(), target.constData());
        if (::read(fd, buf, sizeof buf) > 0) // blocks until IN_MOVED_TO
            ns.push_back(t.nsecsElapsed());
    }
    ::close(fd);
    return ns;
}

// A rename seen through QFileSystemWatcher and this thread's event loop: what the hub starts from.
std::vector<qint64> qtWatcherFloor(const QString& dir, int iterations)
{
    std::vector<qint64> ns;
    QFileSystemWatcher watcher({ dir });
    const QString target = dir + QLatin1String("/record.json");
    const QString tmp = dir + QLatin1String("/record.json.tmp");
    const auto renamedOrCreated = [&watcher](auto&& act) {
        QEventLoop loop;
        QObject::connect(&watcher, &QFileSystemWatcher::directoryChanged, &loop, &QEventLoop::quit);
        QTimer::singleShot(2000, &loop, &QEventLoop::quit);
        QElapsedTimer t;
        t.start();
        act();
        loop.exec();
        return t.nsecsElapsed();
    };
    for (int i = 0; i < iterations; ++i) {
        renamedOrCreated([&] { writeTmp(tmp, QByteArray::number(i)); }); // its event, drained
        ns.push_back(renamedOrCreated(
            [&] { ::rename(QFile::encodeName(tmp).constData(), QFile::encodeName(target).constData()); }));
    }
    return ns;
}

// An in-place write seen through a file watch of a bare QFileSystemWatcher and this thread's
// event loop: the floor of an in-place write to an active record.
std::vector<qint64> qtWatcherInPlaceFloor(const QString& dir, int iterations)
{
    std::vector<qint64> ns;
    const QString target = dir + QLatin1String("/inplace.json");
    writeTmp(target, "0");
    QFileSystemWatcher watcher({ target });
    for (int i = 0; i < iterations; ++i) {
        QEventLoop loop;
        QObject::connect(&watcher, &QFileSystemWatcher::fileChanged, &loop, &QEventLoop::quit);
        QTimer::singleShot(2000, &loop, &QEventLoop::quit);
        QElapsedTimer t;
        t.start();
        writeTmp(target, QByteArray::number(i));
        loop.exec();
        ns.push_back(t.nsecsElapsed());
        sleepInLoop(1); // the write's later events (close), drained
    }
    return ns;
}

// ---- the hub --------------------------------------------------------------------------------

// Counts what the hub does, so the benchmark knows when it is quiet.
struct HubProbe
{
    quint64 started = 0;
    quint64 reported = 0;
    std::vector<qint64> deliveredScanMs; // worker time of each delivered scan job
    QStringList reasons;
    void attach(WatchHub& hub, QObject* context)
    {
        QObject::connect(&hub, &WatchHub::scanStarted, context, [this] { ++started; });
        QObject::connect(&hub, &WatchHub::scanReported, context, [this](const ScanReport& r) {
            ++reported;
            if (!r.superseded) {
                deliveredScanMs.push_back(r.elapsedMs * 1000000);
                reasons.append(r.reason);
            }
        });
    }
    bool busy() const { return started != reported; }
    // No scan in flight and none started for quietMs.
    void settle(int quietMs)
    {
        for (;;) {
            const quint64 before = started;
            sleepInLoop(quietMs);
            waitUntil([this] { return !busy(); }, 600000);
            if (started == before && !busy())
                return;
        }
    }
};

struct LatencyRun
{
    int debounceMs = 0;
    std::vector<qint64> ns;
    std::vector<qint64> scanMs;
    int missed = 0;
    double scansPerEvent = 0;
    double parsesPerEvent = 0;
    double cpuMsPerEvent = 0;
};

enum class Write
{
    RenameReplace, // tmp file beside it, renamed over (timed from the rename)
    InPlace, // open, truncate, write (timed from the open)
};

LatencyRun measureLatency(WatchHub& hub, HubProbe& probe, JobsModel& model, const Generated& g, int events,
    int debounceMs, int offset, Write how = Write::RenameReplace, const QStringList& only = {})
{
    const QStringList& paths = only.isEmpty() ? g.editable : only;
    LatencyRun run;
    run.debounceMs = debounceMs;
    hub.setDebounce(debounceMs);
    probe.settle(debounceMs + 20);
    const quint64 scans0 = probe.reported;
    const quint64 parses0 = hub.parsesRun();
    probe.deliveredScanMs.clear();
    const qint64 cpu0 = processCpuNs();
    for (int i = 0; i < events; ++i) {
        const QString& path = paths.at((qsizetype(offset + i) * 7919) % paths.size());
        const QString title
            = QStringLiteral("Edited %1 at event %2 (debounce %3)").arg(offset + i).arg(i).arg(debounceMs);
        const QString tmp = path + QLatin1String(".tmp");
        const QByteArray bytes = retitled(path, title);
        if (how == Write::RenameReplace && !writeTmp(tmp, bytes)) {
            ++run.missed;
            continue;
        }
        const int row = model.rowOf(jobIdOf(g, path));
        bool seen = false;
        qint64 elapsed = 0;
        QElapsedTimer timer;
        QEventLoop loop;
        QObject::connect(
            &model, &QAbstractItemModel::dataChanged, &loop, [&](const QModelIndex& from, const QModelIndex& to) {
                if (seen || row < from.row() || row > to.row()
                    || model.data(model.index(row, JobsModel::TitleColumn)).toString() != title)
                    return;
                elapsed = timer.nsecsElapsed();
                seen = true;
                loop.quit();
            });
        QTimer::singleShot(60000, &loop, &QEventLoop::quit);
        timer.start();
        if (how == Write::RenameReplace)
            ::rename(QFile::encodeName(tmp).constData(), QFile::encodeName(path).constData());
        else
            writeTmp(path, bytes);
        loop.exec();
        if (seen)
            run.ns.push_back(elapsed);
        else
            ++run.missed;
        probe.settle(debounceMs + 10); // the next event starts on a quiet hub
    }
    const double n = std::max(1, events);
    run.cpuMsPerEvent = double(processCpuNs() - cpu0) / 1e6 / n;
    run.scansPerEvent = double(probe.reported - scans0) / n;
    run.parsesPerEvent = double(hub.parsesRun() - parses0) / n;
    run.scanMs = probe.deliveredScanMs;
    return run;
}

// Bursts of `writes` rename-replace saves cycling over ten records, as fast as they go: the scans
// each burst starts, counted once the hub is quiet again.
std::vector<qint64> measureBursts(WatchHub& hub, HubProbe& probe, const Generated& g, int bursts, int writes)
{
    std::vector<qint64> scans;
    for (int b = 0; b < bursts; ++b) {
        probe.settle(hub.debounce() + 20);
        const quint64 started0 = probe.started;
        for (int i = 0; i < writes; ++i) {
            const QString& path = g.editable.at((qsizetype(b * 10 + i % 10) * 104729) % g.editable.size());
            const QString tmp = path + QLatin1String(".tmp");
            writeTmp(tmp, retitled(path, QStringLiteral("Burst %1 write %2").arg(b).arg(i)));
            ::rename(QFile::encodeName(tmp).constData(), QFile::encodeName(path).constData());
        }
        probe.settle(hub.debounce() + 50);
        scans.push_back(qint64(probe.started - started0));
    }
    return scans;
}

// Active records: the ones trail still writes in place.
QStringList activeRecords(const Generated& g)
{
    QStringList out;
    const QString prefix = g.stateDir + QLatin1String("/active/");
    for (const QString& p : g.editable) {
        if (p.startsWith(prefix))
            out.append(p);
    }
    return out;
}

struct IdleRun
{
    double seconds = 0;
    double cpuMs = 0;
    int scans = 0;
    QStringList reasons;
    double scanMsTotal = 0;
    double percent() const { return seconds > 0 ? cpuMs / (seconds * 1000) * 100 : -1; }
};

IdleRun measureIdle(HubProbe& probe, int seconds)
{
    IdleRun idle;
    probe.deliveredScanMs.clear();
    probe.reasons.clear();
    const quint64 scans0 = probe.reported;
    const qint64 cpu0 = processCpuNs();
    QElapsedTimer wall;
    wall.start();
    sleepInLoop(seconds * 1000);
    idle.cpuMs = double(processCpuNs() - cpu0) / 1e6;
    idle.seconds = double(wall.nsecsElapsed()) / 1e9;
    idle.scans = int(probe.reported - scans0);
    idle.reasons = probe.reasons;
    idle.reasons.removeDuplicates();
    for (qint64 ns : probe.deliveredScanMs)
        idle.scanMsTotal += double(ns) / 1e6;
    return idle;
}

// Watches a fresh workspace of `jobs` trajectories until its first delivery is in the model.
bool watchAndFill(WatchHub& hub, HubProbe& probe, JobsModel& model, const Generated& g, qint64* firstMs)
{
    QObject::connect(&hub, &WatchHub::snapshotsChanged, &model,
        [&model](const QString& ws, const QList<Snapshot>& snapshots, const WorkspaceChanges& changes) {
            model.applyChanges(snapshots, ws, changes);
        });
    probe.attach(hub, &model);
    QElapsedTimer t;
    t.start();
    hub.addWorkspace(g.ws);
    const bool ok = waitUntil([&] { return hub.deliveredGeneration(g.ws) > 0; }, 1800000);
    *firstMs = t.elapsed();
    return ok && model.rowCount() == g.expectedJobs;
}

// One job changed per apply among all of them, applied to `model` (filled with `snapshots` first)
// by its changes, as the hub delivers them (diffSnapshots on the scan's worker, applyChanges on
// the hub's thread), and for comparison another job changed and the whole list applied.
struct OneRowApplies
{
    std::vector<qint64> diffNs;
    std::vector<qint64> changesNs;
    std::vector<qint64> changesCpuNs;
    std::vector<qint64> wholeNs;
    std::vector<qint64> wholeCpuNs;
};

OneRowApplies timeOneRowApplies(JobsModel& model, QList<Snapshot> snapshots, int events)
{
    OneRowApplies out;
    model.apply(snapshots);
    qsizetype k = 0;
    for (qsizetype i = 0; i < snapshots.size(); ++i) {
        if (snapshots.at(i).jobs.size() > snapshots.at(k).jobs.size())
            k = i;
    }
    const qsizetype n = snapshots.value(k).jobs.size();
    if (n == 0)
        return out;
    const QString ws = snapshots.at(k).workspace;
    for (int i = 0; i < events; ++i) {
        const Snapshot before = snapshots.at(k);
        snapshots[k].jobs[(qsizetype(i) * 7919) % n].title += QStringLiteral(" (applied %1)").arg(i);
        QElapsedTimer t;
        t.start();
        WorkspaceChanges changes;
        changes.whole = false;
        changes.snapshots.insert(before.stateDir, diffSnapshots(before, snapshots.at(k)));
        out.diffNs.push_back(t.nsecsElapsed());
        qint64 cpu = threadCpuNs();
        t.restart();
        model.applyChanges(snapshots, ws, changes);
        out.changesNs.push_back(t.nsecsElapsed());
        out.changesCpuNs.push_back(threadCpuNs() - cpu);

        snapshots[k].jobs[(qsizetype(i) * 7919 + n / 2) % n].title += QStringLiteral(" (whole %1)").arg(i);
        cpu = threadCpuNs();
        t.restart();
        model.apply(snapshots);
        out.wholeNs.push_back(t.nsecsElapsed());
        out.wholeCpuNs.push_back(threadCpuNs() - cpu);
    }
    return out;
}

// ---- the 100 000-job child --------------------------------------------------------------------

// Watches a workspace the parent generated (so the generator's heap is not in this VmHWM).
int bigChild(const QString& ws, int expectedJobs, int idleSeconds, int bigEvents)
{
    Generated g;
    g.ws = ws;
    g.stateDir = ws + QLatin1String("/.trajectories");
    g.expectedJobs = expectedJobs;
    const qint64 hwmBefore = statusKiB("VmHWM");
    const qint64 rssBefore = statusKiB("VmRSS");
    qint64 firstMs = 0;
    {
        WatchHub hub;
        JobsModel model;
        HubProbe probe;
        hub.setLeadingEdge(qgetenv("BENCH_WATCH_LEADING") != "0");
        const bool ok = watchAndFill(hub, probe, model, g, &firstMs);
        probe.settle(hub.debounce() + 50);
        std::printf("ok=%d\nrows=%d\nfirst_ms=%lld\n", ok ? 1 : 0, model.rowCount(), static_cast<long long>(firstMs));
        if (ok && bigEvents > 0) {
            // Records whose job shows their file (a stale second copy would not), sorted: the same
            // ones every run.
            QHash<QString, int> copies;
            for (const Snapshot& s : hub.snapshots(g.ws)) {
                for (const Job& j : s.jobs)
                    ++copies[j.jobId];
            }
            for (const Snapshot& s : hub.snapshots(g.ws)) {
                for (const Job& j : s.jobs) {
                    if (copies.value(j.jobId) == 1 && !j.recordFile.isEmpty()
                        && QFileInfo(j.recordFile).completeBaseName() == j.jobId)
                        g.editable.append(j.recordFile);
                }
            }
            g.editable.sort();
            const LatencyRun r = measureLatency(hub, probe, model, g, bigEvents, hub.debounce(), 0);
            std::printf("big_p50_ms=%.3f\nbig_p99_ms=%.3f\nbig_max_ms=%.3f\nbig_missed=%d\nbig_scan_p50_ms=%.3f\n"
                        "big_scan_p99_ms=%.3f\nbig_scans_per_event=%.2f\nbig_cpu_ms_per_event=%.2f\n",
                quantileMs(r.ns, 0.5), quantileMs(r.ns, 0.99), maxMs(r.ns), r.missed, quantileMs(r.scanMs, 0.5),
                quantileMs(r.scanMs, 0.99), r.scansPerEvent, r.cpuMsPerEvent);
            probe.settle(hub.debounce() + 50);
        }
        std::printf("hwm_before_kib=%lld\nrss_before_kib=%lld\n", static_cast<long long>(hwmBefore),
            static_cast<long long>(rssBefore));
        std::printf("hwm_kib=%lld\nrss_kib=%lld\n", static_cast<long long>(statusKiB("VmHWM")),
            static_cast<long long>(statusKiB("VmRSS")));
        std::printf("watched=%d\nhealth=%s\n", hub.watchedPathCount(), qPrintable(hub.health().summary()));
        std::fflush(stdout);
        if (idleSeconds > 0) {
            const IdleRun idle = measureIdle(probe, idleSeconds);
            std::printf("idle_percent=%.3f\nidle_cpu_ms=%.1f\nidle_scans=%d\nidle_scan_ms=%.1f\nidle_reasons=%s\n",
                idle.percent(), idle.cpuMs, idle.scans, idle.scanMsTotal,
                qPrintable(idle.reasons.join(QStringLiteral("; "))));
        }
        if (ok && bigEvents > 0) { // after the peak RSS is taken: the changed copy holds a list of its own
            const OneRowApplies a = timeOneRowApplies(model, hub.snapshots(g.ws), bigEvents);
            std::printf("big_apply_whole_p50_ms=%.3f\nbig_apply_whole_p99_ms=%.3f\nbig_apply_changes_p50_ms=%.3f\n"
                        "big_apply_changes_p99_ms=%.3f\nbig_diff_p50_ms=%.3f\nbig_diff_p99_ms=%.3f\n",
                quantileMs(a.wholeNs, 0.5), quantileMs(a.wholeNs, 0.99), quantileMs(a.changesNs, 0.5),
                quantileMs(a.changesNs, 0.99), quantileMs(a.diffNs, 0.5), quantileMs(a.diffNs, 0.99));
            // What the GUI derives again for the changed state dir on each delivery (ProblemsModel):
            // its problems, from every finding of that snapshot.
            const QList<Snapshot> snapshots = hub.snapshots(g.ws);
            qsizetype findings = 0;
            for (const Snapshot& s : snapshots)
                findings += s.findings.size();
            std::vector<qint64> problemNs;
            qsizetype problems = 0;
            for (int i = 0; i < 11; ++i) {
                QElapsedTimer t;
                t.start();
                problems = problemsOf(snapshots).size();
                problemNs.push_back(t.nsecsElapsed());
            }
            std::printf("big_problems_p50_ms=%.3f\nbig_problems_max_ms=%.3f\nbig_findings=%lld\nbig_problems=%lld\n",
                quantileMs(problemNs, 0.5), maxMs(problemNs), static_cast<long long>(findings),
                static_cast<long long>(problems));
        }
        std::printf("hwm_end_kib=%lld\n", static_cast<long long>(statusKiB("VmHWM")));
    }
    return 0;
}

// ---- the table ------------------------------------------------------------------------------

void row(const char* measure, const QString& value, const char* target, const QString& ratio, const QString& floor)
{
    std::printf(
        "%-44s %-22s %-10s %-8s %s\n", measure, qPrintable(value), target, qPrintable(ratio), qPrintable(floor));
}

QString ms(double v)
{
    return v < 0 ? QStringLiteral("-") : QString::number(v, 'f', v < 10 ? 2 : 1) + QStringLiteral(" ms");
}

QString ratio(double value, double target)
{
    return value < 0 ? QStringLiteral("-") : QString::number(value / target, 'f', 2) + QLatin1Char('x');
}

} // namespace

int main(int argc, char* argv[])
{
    QCoreApplication app(argc, argv); // the hub and the models need no GUI: headless
    const int idleSeconds = intEnv("BENCH_IDLE_SECONDS", 30, 0);
    if (argc == 4 && qstrcmp(argv[1], "--big") == 0)
        return bigChild(
            QString::fromLocal8Bit(argv[2]), std::atoi(argv[3]), idleSeconds, intEnv("BENCH_WATCH_BIG_EVENTS", 200, 0));
    const int jobs = intEnv("BENCH_WATCH_JOBS", 10000, 100);
    const int events = intEnv("BENCH_WATCH_EVENTS", 1000, 1);
    const int bigJobs = intEnv("BENCH_WATCH_BIG", 100000, 0);
    const int smallDebounce = intEnv("BENCH_WATCH_SMALL_DEBOUNCE", 5, 0);
    const int inPlaceEvents = intEnv("BENCH_WATCH_INPLACE_EVENTS", 200, 0);
    const int bursts = intEnv("BENCH_WATCH_BURSTS", 5, 0);
    const bool leading = qgetenv("BENCH_WATCH_LEADING") != "0";

    QTemporaryDir tmp(QDir::tempPath() + QLatin1String("/sw-watchbench-XXXXXX"));
    tmp.setAutoRemove(qgetenv("BENCH_KEEP") != "1");
    const Generated g = generate(tmp.path(), jobs, 1);
    std::printf("sw-watchbench: %d files (%.1f MB, %d jobs, %d findings expected) generated in %lld ms "
                "under %s\n",
        g.files, double(g.bytes) / 1e6, g.expectedJobs, g.findings, static_cast<long long>(g.ms), qPrintable(g.ws));
    std::fflush(stdout);

    // Floors: a scratch directory beside the workspace (same filesystem, watched by nobody else).
    const QString scratch = tmp.path() + QLatin1String("/floor");
    QDir().mkpath(scratch);
    const int floorIterations = std::min(events, 1000);
    const std::vector<qint64> inotifyNs = inotifyFloor(scratch, floorIterations);
    const std::vector<qint64> qtNs = qtWatcherFloor(scratch, std::min(floorIterations, 200));
    const std::vector<qint64> qtInPlaceNs = qtWatcherInPlaceFloor(scratch, std::min(floorIterations, 200));
    std::vector<qint64> walkNs;
    for (int i = 0; i < 11; ++i) {
        QElapsedTimer t;
        t.start();
        const TreeFingerprint tree = TreeFingerprint::of(g.stateDir);
        walkNs.push_back(t.nsecsElapsed());
        Q_UNUSED(tree);
    }
    std::vector<qint64> parseNs;
    int parsedJobs = 0;
    for (int i = 0; i < 3; ++i) {
        ScanContext context;
        QElapsedTimer t;
        t.start();
        const Snapshot s = TrajectoriesSource().scan(g.ws, g.stateDir, context);
        parseNs.push_back(t.nsecsElapsed());
        parsedJobs = int(s.jobs.size());
    }

    std::vector<qint64> indexNs;
    for (int i = 0; i < 5; ++i) {
        QElapsedTimer t;
        t.start();
        const JsonFile index
            = readJsonFile(g.stateDir + QLatin1String("/index.json"), TrajectoriesSource::kMaxRecordBytes);
        indexNs.push_back(t.nsecsElapsed());
        Q_UNUSED(index);
    }
    // What a re-parse costs when every record is reused: listing, stat, index, findings, locks.
    std::vector<qint64> warmNs;
    {
        AdapterCaches caches;
        for (int i = 0; i < 6; ++i) {
            ScanContext context;
            context.setCaches(&caches);
            QElapsedTimer t;
            t.start();
            const Snapshot s = TrajectoriesSource().scan(g.ws, g.stateDir, context);
            if (i > 0) // the first one fills the cache
                warmNs.push_back(t.nsecsElapsed());
        }
    }

    // The hub and the model, as the window wires them (one workspace: its list is the model's).
    WatchHub hub;
    hub.setLeadingEdge(leading);
    JobsModel model;
    HubProbe probe;
    qint64 firstMs = 0;
    if (!watchAndFill(hub, probe, model, g, &firstMs) || parsedJobs != g.expectedJobs) {
        std::fprintf(stderr,
            "sw-watchbench: the scan saw %d jobs (model %d), expected %d: a benchmark of a broken "
            "scan is void\n",
            parsedJobs, model.rowCount(), g.expectedJobs);
        return 1;
    }
    std::printf("first delivery: %lld ms; %d paths watched; health: %s\n", static_cast<long long>(firstMs),
        hub.watchedPathCount(), qPrintable(hub.health().summary()));
    std::fflush(stdout);
    const int defaultDebounce = hub.debounce();
    const LatencyRun small = measureLatency(hub, probe, model, g, events, smallDebounce, 0);
    const LatencyRun dflt = measureLatency(hub, probe, model, g, events, defaultDebounce, events);
    hub.setDebounce(defaultDebounce);
    const QStringList active = activeRecords(g);
    // Its directory's watch names it when written in place (files have no watch of their own).
    const bool activeWatched
        = !active.isEmpty() && hub.watchedPaths().contains(QFileInfo(active.first()).absolutePath());
    const LatencyRun inPlace = inPlaceEvents > 0 && !active.isEmpty()
        ? measureLatency(hub, probe, model, g, inPlaceEvents, defaultDebounce, 0, Write::InPlace, active)
        : LatencyRun {};
    std::vector<qint64> burstScans = measureBursts(hub, probe, g, bursts, 1000);

    // One row changed among all of them, applied to the model alone (the same list the hub delivers).
    std::vector<qint64> identicalNs;
    OneRowApplies applies;
    {
        JobsModel alone;
        const QList<Snapshot> snapshots = hub.snapshots(g.ws);
        applies = timeOneRowApplies(alone, snapshots, events);
        alone.apply(snapshots);
        for (int i = 0; i < std::min(events, 200); ++i) {
            QElapsedTimer t;
            t.start();
            alone.apply(snapshots);
            identicalNs.push_back(t.nsecsElapsed());
        }
    }
    const std::vector<qint64>& applyNs = applies.wholeNs;
    const std::vector<qint64>& applyCpuNs = applies.wholeCpuNs;

    probe.settle(defaultDebounce + 50);
    IdleRun idle;
    if (idleSeconds > 0)
        idle = measureIdle(probe, idleSeconds);

    // The big workspace in a process of its own: VmHWM is a high-water mark for the whole process.
    QHash<QString, QString> big;
    ChildRun cliFloor;
    ChildRun cliScan;
    if (bigJobs > 0) {
        const Generated b = generate(tmp.path() + QLatin1String("/big"), bigJobs, 2);
        std::printf("%d files (%.1f MB) generated in %lld ms; watching them in a child process…\n", b.files,
            double(b.bytes) / 1e6, static_cast<long long>(b.ms));
        std::fflush(stdout);
        QProcess child;
        child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        child.start(QCoreApplication::applicationFilePath(),
            { QStringLiteral("--big"), b.ws, QString::number(b.expectedJobs) });
        child.waitForFinished(-1);
        for (const QByteArray& line : child.readAllStandardOutput().split('\n')) {
            const qsizetype eq = line.indexOf('=');
            if (eq > 0)
                big.insert(QString::fromUtf8(line.left(eq)), QString::fromUtf8(line.mid(eq + 1)));
        }
        if (child.exitCode() != 0 || big.value(QStringLiteral("ok")) != QLatin1String("1"))
            std::fprintf(stderr, "sw-watchbench: the %d-job child failed (exit %d, rows %s)\n", bigJobs,
                child.exitCode(), qPrintable(big.value(QStringLiteral("rows"))));
        // The one-shot scan of the same records, as a script would run it: peak RSS beside the CLI's
        // own start-up (--version reads nothing).
        const QString cli = QCoreApplication::applicationDirPath() + QLatin1String("/stateward-cli");
        cliFloor = runMeasured(scratch, cli, { QStringLiteral("--version") });
        cliScan = runMeasured(scratch, cli, { QStringLiteral("scan"), QStringLiteral("--json"), b.ws });
    }

    const auto latencyRows = [&](const LatencyRun& r, const QString& label) {
        std::printf("\n");
        const QString head = QStringLiteral("rename -> model, debounce %1 ms").arg(r.debounceMs);
        row(qPrintable(head + QStringLiteral(", p50")), ms(quantileMs(r.ns, 0.5)), "", QString(), QString());
        row(qPrintable(head + QStringLiteral(", p99")), ms(quantileMs(r.ns, 0.99)), "<= 50 ms",
            ratio(quantileMs(r.ns, 0.99), 50), QStringLiteral("%1 + debounce %2 ms").arg(label).arg(r.debounceMs));
        row("  max / missed", QStringLiteral("%1 / %2").arg(ms(maxMs(r.ns))).arg(r.missed), "", QString(), QString());
        row("  scan job on the pool, p50 / p99",
            ms(quantileMs(r.scanMs, 0.5)) + QStringLiteral(" / ") + ms(quantileMs(r.scanMs, 0.99)), "", QString(),
            QStringLiteral("ms resolution"));
        row("  scans / parses / CPU per event",
            QStringLiteral("%1 / %2 / %3")
                .arg(r.scansPerEvent, 0, 'f', 2)
                .arg(r.parsesPerEvent, 0, 'f', 2)
                .arg(ms(r.cpuMsPerEvent)),
            "", QString(), QStringLiteral("all threads"));
    };

    std::printf("\nWatching %d trajectories (%d jobs in view), %d rename-replace events per debounce setting\n", jobs,
        g.expectedJobs, events);
    std::printf("%-44s %-22s %-10s %-8s %s\n", "measure", "value", "target", "ratio", "floor (same run)");
    const QString floorText = QStringLiteral("inotify p99 %1, Qt watcher p99 %2")
                                  .arg(ms(quantileMs(inotifyNs, 0.99)), ms(quantileMs(qtNs, 0.99)));
    row("floor: rename -> bare inotify read, p50/p99",
        ms(quantileMs(inotifyNs, 0.5)) + QStringLiteral(" / ") + ms(quantileMs(inotifyNs, 0.99)), "", QString(),
        QStringLiteral("%1 renames").arg(inotifyNs.size()));
    row("floor: rename -> QFileSystemWatcher, p50/p99",
        ms(quantileMs(qtNs, 0.5)) + QStringLiteral(" / ") + ms(quantileMs(qtNs, 0.99)), "", QString(),
        QStringLiteral("%1 renames, through the event loop").arg(qtNs.size()));
    row("floor: lstat walk of the state dir, p50", ms(quantileMs(walkNs, 0.5)), "", QString(),
        QStringLiteral("TreeFingerprint::of, %1 entries").arg(TreeFingerprint::of(g.stateDir).entries.size()));
    row("full parse of the state dir, p50", ms(quantileMs(parseNs, 0.5)), "", QString(),
        QStringLiteral("TrajectoriesSource::scan, fresh adapter"));
    row("floor: index.json read + parse, p50", ms(quantileMs(indexNs, 0.5)), "", QString(),
        QStringLiteral("every trail 0.4.x save rewrites it"));
    row("re-parse, every record reused, p50", ms(quantileMs(warmNs, 0.5)), "", QString(),
        QStringLiteral("TrajectoriesSource::scan, warm TrajectoryRecordCache"));
    row("first delivery (hub + model)", ms(double(firstMs)), "", QString(), QString());
    latencyRows(small, floorText);
    latencyRows(dflt, floorText);
    row("  default settings, p99", ms(quantileMs(dflt.ns, 0.99)), "<= 30 ms", ratio(quantileMs(dflt.ns, 0.99), 30),
        QStringLiteral("%1x the Qt watcher floor (leading edge %2)")
            .arg(quantileMs(dflt.ns, 0.99) / std::max(1e-3, quantileMs(qtNs, 0.99)), 0, 'f', 0)
            .arg(leading ? QStringLiteral("on") : QStringLiteral("off")));

    std::printf("\n");
    if (inPlaceEvents > 0 && !active.isEmpty()) {
        row("in-place write to an active record, p50", ms(quantileMs(inPlace.ns, 0.5)), "", QString(),
            QStringLiteral("%1 active records; watched: %2")
                .arg(active.size())
                .arg(activeWatched ? QStringLiteral("yes") : QStringLiteral("no")));
        row("in-place write to an active record, p99", ms(quantileMs(inPlace.ns, 0.99)), "<= 30 ms",
            ratio(quantileMs(inPlace.ns, 0.99), 30),
            QStringLiteral("Qt file watch floor p50/p99 %1 / %2")
                .arg(ms(quantileMs(qtInPlaceNs, 0.5)), ms(quantileMs(qtInPlaceNs, 0.99))));
        row("  max / missed", QStringLiteral("%1 / %2").arg(ms(maxMs(inPlace.ns))).arg(inPlace.missed), "", QString(),
            QString());
    }
    if (!burstScans.empty()) {
        std::vector<qint64> sortedScans = burstScans;
        std::sort(sortedScans.begin(), sortedScans.end());
        QStringList each;
        for (qint64 n : burstScans)
            each.append(QString::number(n));
        row("scans per 1000-write burst, median / max",
            QStringLiteral("%1 / %2").arg(sortedScans[sortedScans.size() / 2]).arg(sortedScans.back()), "<= 3",
            ratio(double(sortedScans.back()), 3),
            QStringLiteral("floor 1; bursts: %1").arg(each.join(QLatin1Char(' '))));
    }

    std::printf("\n");
    row("one-row apply (JobsModel), p50", ms(quantileMs(applyNs, 0.5)), "", QString(), QString());
    row("one-row apply (JobsModel), p99", ms(quantileMs(applyNs, 0.99)), "<= 5 ms", ratio(quantileMs(applyNs, 0.99), 5),
        QStringLiteral("identical list p50 %1 (compare only)").arg(ms(quantileMs(identicalNs, 0.5))));
    row("  thread CPU p50 / p99",
        ms(quantileMs(applyCpuNs, 0.5)) + QStringLiteral(" / ") + ms(quantileMs(applyCpuNs, 0.99)), "", QString(),
        QString());
    row("one-row apply by its changes, p50 / p99",
        ms(quantileMs(applies.changesNs, 0.5)) + QStringLiteral(" / ") + ms(quantileMs(applies.changesNs, 0.99)),
        "<= 5 ms", ratio(quantileMs(applies.changesNs, 0.99), 5),
        QStringLiteral("the diff on the scan's worker p50/p99 %1 / %2")
            .arg(ms(quantileMs(applies.diffNs, 0.5)), ms(quantileMs(applies.diffNs, 0.99))));

    if (idleSeconds > 0) {
        std::printf("\n");
        row(qPrintable(QStringLiteral("idle CPU, %1 jobs, %2 s").arg(g.expectedJobs).arg(idleSeconds)),
            QStringLiteral("%1 %").arg(idle.percent(), 0, 'f', 3), "<= 0.5 %", ratio(idle.percent(), 0.5),
            QStringLiteral("%1 ms CPU; %2 scans (%3) took %4")
                .arg(idle.cpuMs, 0, 'f', 1)
                .arg(idle.scans)
                .arg(idle.reasons.isEmpty() ? QStringLiteral("none") : idle.reasons.join(QStringLiteral(", ")))
                .arg(ms(idle.scanMsTotal)));
        row("  the rest: liveness ticks, event loop", ms(idle.cpuMs - idle.scanMsTotal), "", QString(),
            QStringLiteral("~%1 per 1 s tick (scan time is wall time: approximate)")
                .arg(ms((idle.cpuMs - idle.scanMsTotal) / std::max(1.0, idle.seconds))));
    }
    if (!big.isEmpty()) {
        const double hwm = big.value(QStringLiteral("hwm_kib")).toDouble() / 1024;
        const double before = big.value(QStringLiteral("hwm_before_kib")).toDouble() / 1024;
        std::printf("\n");
        row(qPrintable(QStringLiteral("peak RSS, %1 jobs watched + model").arg(big.value(QStringLiteral("rows")))),
            QStringLiteral("%1 MiB").arg(hwm, 0, 'f', 1), "<= 400 MB", ratio(hwm * 1.048576, 400),
            QStringLiteral("%1 MiB before watching (Qt alone)").arg(before, 0, 'f', 1));
        if (big.contains(QStringLiteral("big_p99_ms"))) {
            const double p99 = big.value(QStringLiteral("big_p99_ms")).toDouble();
            row(qPrintable(
                    QStringLiteral("rename -> model, %1 jobs, default, p50").arg(big.value(QStringLiteral("rows")))),
                ms(big.value(QStringLiteral("big_p50_ms")).toDouble()), "", QString(),
                QStringLiteral("scan job p50 / p99 %1 / %2; %3 scans, %4 CPU per event")
                    .arg(ms(big.value(QStringLiteral("big_scan_p50_ms")).toDouble()),
                        ms(big.value(QStringLiteral("big_scan_p99_ms")).toDouble()),
                        big.value(QStringLiteral("big_scans_per_event")),
                        ms(big.value(QStringLiteral("big_cpu_ms_per_event")).toDouble())));
            row(qPrintable(
                    QStringLiteral("rename -> model, %1 jobs, default, p99").arg(big.value(QStringLiteral("rows")))),
                ms(p99), "<= 60 ms", ratio(p99, 60),
                QStringLiteral("%1x the Qt watcher floor; max %2, missed %3")
                    .arg(p99 / std::max(1e-3, quantileMs(qtNs, 0.99)), 0, 'f', 0)
                    .arg(ms(big.value(QStringLiteral("big_max_ms")).toDouble()),
                        big.value(QStringLiteral("big_missed"))));
        }
        if (big.contains(QStringLiteral("big_apply_changes_p50_ms"))) {
            const auto pair = [&big](const char* p50, const char* p99) {
                return ms(big.value(QLatin1String(p50)).toDouble()) + QStringLiteral(" / ")
                    + ms(big.value(QLatin1String(p99)).toDouble());
            };
            row(qPrintable(
                    QStringLiteral("one-row apply whole, %1 jobs, p50 / p99").arg(big.value(QStringLiteral("rows")))),
                pair("big_apply_whole_p50_ms", "big_apply_whole_p99_ms"), "", QString(), QString());
            row(qPrintable(QStringLiteral("one-row apply by its changes, %1 jobs, p50 / p99")
                               .arg(big.value(QStringLiteral("rows")))),
                pair("big_apply_changes_p50_ms", "big_apply_changes_p99_ms"), "", QString(),
                QStringLiteral("the diff on the scan's worker p50/p99 %1")
                    .arg(pair("big_diff_p50_ms", "big_diff_p99_ms")));
        }
        if (big.contains(QStringLiteral("big_problems_p50_ms"))) {
            row(qPrintable(QStringLiteral("problems derived again, %1 jobs, p50 / max")
                               .arg(big.value(QStringLiteral("rows")))),
                ms(big.value(QStringLiteral("big_problems_p50_ms")).toDouble()) + QStringLiteral(" / ")
                    + ms(big.value(QStringLiteral("big_problems_max_ms")).toDouble()),
                "", QString(),
                QStringLiteral("GUI thread, per delivery: %1 problems from %2 findings")
                    .arg(big.value(QStringLiteral("big_problems")), big.value(QStringLiteral("big_findings"))));
        }
        if (cliScan.peakKiB > 0) {
            row(qPrintable(QStringLiteral("scan --json, %1 jobs, peak RSS").arg(big.value(QStringLiteral("rows")))),
                QStringLiteral("%1 MiB").arg(double(cliScan.peakKiB) / 1024, 0, 'f', 1), "<= 250 MB",
                ratio(double(cliScan.peakKiB) * 1.024 / 1000, 250),
                QStringLiteral("%1 ms wall, exit %2; stateward-cli --version %3 MiB")
                    .arg(cliScan.ms)
                    .arg(cliScan.exitCode)
                    .arg(double(cliFloor.peakKiB) / 1024, 0, 'f', 1));
        }
        row("  first delivery", ms(big.value(QStringLiteral("first_ms")).toDouble()), "", QString(),
            QStringLiteral("%1 paths watched; %2")
                .arg(big.value(QStringLiteral("watched")), big.value(QStringLiteral("health"))));
        if (big.contains(QStringLiteral("idle_percent"))) {
            const double pct = big.value(QStringLiteral("idle_percent")).toDouble();
            row(qPrintable(
                    QStringLiteral("idle CPU, %1 jobs, %2 s").arg(big.value(QStringLiteral("rows"))).arg(idleSeconds)),
                QStringLiteral("%1 %").arg(pct, 0, 'f', 3), "<= 0.5 %", ratio(pct, 0.5),
                QStringLiteral("%1 ms CPU; %2 scans (%3) took %4 ms")
                    .arg(big.value(QStringLiteral("idle_cpu_ms")), big.value(QStringLiteral("idle_scans")),
                        big.value(QStringLiteral("idle_reasons")), big.value(QStringLiteral("idle_scan_ms"))));
            const double rest = big.value(QStringLiteral("idle_cpu_ms")).toDouble()
                - big.value(QStringLiteral("idle_scan_ms")).toDouble();
            row("  the rest: liveness ticks, event loop", ms(rest), "", QString(),
                QStringLiteral("~%1 per 1 s tick").arg(ms(rest / std::max(1, idleSeconds))));
            row("  peak RSS after the idle period",
                QStringLiteral("%1 MiB").arg(big.value(QStringLiteral("hwm_end_kib")).toDouble() / 1024, 0, 'f', 1), "",
                QString(), QString());
        }
    }
    std::printf(
        "\nThe first change after %d ms of quiet is scanned at once (leading edge %s); the changes that follow "
        "within %d ms are merged into one trailing scan once quiet (capped by maxDelay %d ms however busy), so "
        "a burst of writes costs the leading scan and one more. The %d ms run shows the watch path with a short "
        "quiet period.\n",
        defaultDebounce, leading ? "on" : "off", defaultDebounce, hub.maxDelay(), smallDebounce);
    std::printf("Timers in the idle period: liveness poll every %d ms (PIDs in view: none for trajectories), backstop "
                "walk every %d ms.\n",
        hub.livenessInterval(), hub.backstopInterval());
    return 0;
}
