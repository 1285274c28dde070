// SPDX-License-Identifier: GPL-3.0-or-later
// sw-modelbench [ROWS] [APPLIES] [BIG_ROWS]: the cost of a live update in the jobs table.
//   ROWS jobs (default 10000) in one snapshot; APPLIES times (default 1000) one job changes and
//   the whole snapshot list is applied again. Median and p99 per apply, for the model alone, with
//   the scan time moving (one extra dataChanged over the age column), and with a FilterProxy
//   sorted by age on top. Then BIG_ROWS jobs (default 100000): peak RSS and apply times.
// Prints a small table; nothing is asserted. Wall time and this thread's CPU time are both shown:
// on a shared machine the CPU time says what the code costs, the wall time what a user waits.
#include "benchprocess.h"
#include "models/filterproxy.h"
#include "models/jobsmodel.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

using namespace Stateward;
using BenchProcess::statusKiB;
using BenchProcess::threadCpuNs;

namespace {

QDateTime t0()
{
    return QDateTime::fromMSecsSinceEpoch(1750000000000LL, Qt::UTC);
}

Snapshot jobsSnapshot(int rows)
{
    Snapshot s;
    s.family = Family::Codex;
    s.workspace = QStringLiteral("/home/dev/workspace");
    s.stateDir = QStringLiteral("/home/dev/.claude/plugins/data/state/workspace-0123456789abcdef");
    s.scannedAt = t0();
    s.jobs.reserve(rows);
    for (int i = 0; i < rows; ++i) {
        Job j;
        j.jobId = QStringLiteral("task-%1-%2").arg(i, 6, 10, QLatin1Char('0')).arg(qHash(i), 8, 16, QLatin1Char('0'));
        j.id = QStringLiteral("codex:%1:%2").arg(s.stateDir, j.jobId);
        j.title = QStringLiteral("Review the change set number %1").arg(i);
        j.kind = QStringLiteral("task");
        j.status = i % 10 ? QStringLiteral("completed") : QStringLiteral("running");
        j.pid = 10000 + i;
        j.liveness = i % 7 ? Liveness::Dead : Liveness::Alive;
        j.startedAt = t0().addSecs(-3600 - i);
        j.updatedAt = t0().addSecs(-i);
        j.recordFile = QStringLiteral("%1/jobs/%2.json").arg(s.stateDir, j.jobId);
        j.logFile = QStringLiteral("%1/jobs/%2.log").arg(s.stateDir, j.jobId);
        j.inIndex = true;
        s.jobs.append(j);
    }
    return s;
}

struct Samples
{
    std::vector<qint64> wallNs;
    std::vector<qint64> cpuNs;
    template <typename F> void time(F&& f)
    {
        const qint64 cpu = threadCpuNs();
        QElapsedTimer t;
        t.start();
        f();
        wallNs.push_back(t.nsecsElapsed());
        cpuNs.push_back(threadCpuNs() - cpu);
    }
};

double quantileUs(std::vector<qint64> ns, double q)
{
    std::sort(ns.begin(), ns.end());
    return double(ns[std::min(ns.size() - 1, size_t(q * double(ns.size())))]) / 1000.0;
}

// One job changes per apply (a different one each time); the clock moves when advanceScan is set.
Samples timeOneRowChanges(KeyedModel& model, Snapshot snapshot, int applies, bool advanceScan)
{
    model.apply({ snapshot });
    Samples samples;
    const qsizetype rows = snapshot.jobs.size();
    for (int i = 0; i < applies; ++i) {
        Job& j = snapshot.jobs[(qsizetype(i) * 7919) % rows];
        j.status = j.status == QLatin1String("running") ? QStringLiteral("completed") : QStringLiteral("running");
        if (advanceScan)
            snapshot.scannedAt = snapshot.scannedAt.addMSecs(500);
        const QList<Snapshot> all { snapshot };
        samples.time([&] { model.apply(all); });
    }
    return samples;
}

void printRow(const char* what, const Samples& s)
{
    std::printf("  %-42s %9.1f %9.1f %11.1f %9.1f\n", what, quantileUs(s.wallNs, 0.5), quantileUs(s.wallNs, 0.99),
        quantileUs(s.cpuNs, 0.5), quantileUs(s.cpuNs, 0.99));
}

} // namespace

int main(int argc, char* argv[])
{
    QCoreApplication app(argc, argv); // the models need no GUI; keep the benchmark headless
    const int rows = argc > 1 ? std::atoi(argv[1]) : 10000;
    const int applies = argc > 2 ? std::atoi(argv[2]) : 1000;
    const int bigRows = argc > 3 ? std::atoi(argv[3]) : 100000;
    if (rows < 1 || applies < 1 || bigRows < 1) {
        std::fprintf(stderr, "usage: sw-modelbench [ROWS] [APPLIES] [BIG_ROWS]\n");
        return 2;
    }

    const Snapshot snapshot = jobsSnapshot(rows);
    std::printf("JobsModel, one job changed per apply, %d jobs, %d applies\n", rows, applies);
    std::printf("  %-42s %9s %9s %11s %9s\n", "microseconds per apply", "median", "p99", "cpu median", "cpu p99");
    {
        JobsModel model;
        printRow("model alone", timeOneRowChanges(model, snapshot, applies, false));
    }
    {
        JobsModel model;
        printRow("model, scan time moving (age column too)", timeOneRowChanges(model, snapshot, applies, true));
    }
    {
        JobsModel model;
        FilterProxy proxy;
        proxy.setSourceModel(&model);
        proxy.sort(JobsModel::AgeColumn, Qt::AscendingOrder);
        printRow("+ FilterProxy sorted by age", timeOneRowChanges(model, snapshot, applies, true));
    }
    {
        JobsModel model;
        model.apply({ snapshot });
        const QList<Snapshot> all { snapshot };
        Samples samples;
        for (int i = 0; i < applies; ++i)
            samples.time([&] { model.apply(all); });
        printRow("identical snapshot (no signal at all)", samples);
    }

    std::printf("\nJobsModel with %d jobs\n", bigRows);
    const qint64 hwmBefore = statusKiB("VmHWM");
    QElapsedTimer t;
    t.start();
    Snapshot big = jobsSnapshot(bigRows);
    const qint64 buildMs = t.elapsed();
    const qint64 rssSnapshot = statusKiB("VmRSS");
    JobsModel model;
    t.restart();
    model.apply({ big });
    const qint64 firstMs = t.elapsed();
    big.jobs[bigRows / 2].title += QStringLiteral(" (edited)");
    t.restart();
    model.apply({ big });
    const qint64 changeUs = t.nsecsElapsed() / 1000;
    const qint64 hwmAfter = statusKiB("VmHWM");
    std::printf("  build the snapshot                            %9lld ms\n", static_cast<long long>(buildMs));
    std::printf("  first apply (%d inserted rows)            %9lld ms\n", bigRows, static_cast<long long>(firstMs));
    std::printf("  one row changed                               %9lld us\n", static_cast<long long>(changeUs));
    std::printf("  RSS with the snapshot alone                   %9.1f MiB\n", double(rssSnapshot) / 1024.0);
    std::printf("  peak RSS (VmHWM) before / after the 100k phase %6.1f / %.1f MiB\n", double(hwmBefore) / 1024.0,
        double(hwmAfter) / 1024.0);
    return model.rowCount() == bigRows ? 0 : 1;
}
