// SPDX-License-Identifier: GPL-3.0-or-later
#include "watchscan.h"

#include "proc/paths.h"
#include "proc/processinfo.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Stateward {

namespace {

    QString sourceKey(Family family, const QString& stateDir)
    {
        return nameOf(family) + QLatin1Char('\n') + stateDir;
    }

} // namespace

QHash<qint64, PidView> pidsInView(const Snapshot& snapshot)
{
    QHash<qint64, PidView> pids;
    const auto add = [&pids](qint64 pid, Liveness liveness) {
        if (pid <= 0 || liveness == Liveness::Invalid)
            return; // not a PID, or one the scan never looked at
        PidView& view = pids[pid];
        view.alive = view.alive || liveness == Liveness::Alive;
    };
    for (const Job& j : snapshot.jobs)
        add(j.pid, j.liveness);
    for (const Broker& b : snapshot.brokers)
        add(b.pid, b.liveness);
    for (const LockHolder& l : snapshot.locks) {
        add(l.verdict.content.pid, l.verdict.liveness);
        for (qint64 pid : l.verdict.openHolders)
            add(pid, Liveness::Alive);
        for (qint64 pid : l.verdict.kernelHolders)
            add(pid, Liveness::Alive);
    }
    for (const TempFile& t : snapshot.tempFiles) {
        add(t.name.ownerPid, t.ownerLiveness);
        for (qint64 pid : t.openBy)
            add(pid, Liveness::Alive);
    }
    for (auto it = pids.begin(); it != pids.end(); ++it) {
        if (it->alive)
            it->startTicks = startTicksOf(it.key());
    }
    return pids;
}

QStringList candidateStateDirs(const QString& workspace)
{
    QStringList dirs;
    for (const SourceAdapter* adapter : sourceAdapters()) {
        for (const QString& dir : adapter->candidateStateDirs(workspace))
            dirs.append(cleanAbsolute(dir));
    }
    dirs.removeDuplicates();
    return dirs;
}

QList<TreeEntry> anchorsFor(const QString& workspace, const QStringList& stateDirs)
{
    QList<TreeEntry> anchors;
    QSet<QString> seen;
    const QString ws = cleanAbsolute(workspace);
    const auto add = [&](const QString& path) {
        const auto stamp = FileStamp::ofPath(path);
        if (!stamp || !stamp->isDirectory || stamp->isSymlink)
            return false;
        if (!seen.contains(path)) {
            seen.insert(path);
            anchors.append({ path, *stamp, -1 });
        }
        return true;
    };
    // Inside the workspace: the nearest existing directory, up to the workspace (where
    // .trajectories, .codegraph, .gstack and .agentworkforce appear), or above it while it is missing.
    const auto addNearest = [&](QString path) {
        for (; path != QLatin1String("/") && !path.isEmpty(); path = QFileInfo(path).path()) {
            if (add(path))
                return;
        }
    };
    addNearest(ws);
    QStringList all = candidateStateDirs(workspace);
    all.append(stateDirs);
    for (const QString& dir : std::as_const(all)) {
        const QString parent = QFileInfo(cleanAbsolute(dir)).path();
        if (parent == ws || parent.startsWith(ws + QLatin1Char('/')))
            addNearest(parent);
        else if (parent != QLatin1String("/"))
            add(parent); // outside it (codex roots): never a busy ancestor such as /tmp or ~
    }
    return anchors;
}

void ScanSpec::merge(const ScanSpec& other)
{
    if (reason.isEmpty())
        reason = other.reason;
    else if (!other.reason.isEmpty() && !reason.split(QStringLiteral(", ")).contains(other.reason))
        reason += QStringLiteral(", ") + other.reason;
    // A request that names no path (liveness, backstop, anchors) says nothing about names: those
    // walk or parse whole anyway. Otherwise named only if both were.
    const auto named = [](const ScanSpec& s) { return s.everyChangeNamed || s.changedPaths.isEmpty(); };
    everyChangeNamed = named(*this) && named(other);
    parseAll = parseAll || other.parseAll;
    backstop = backstop || other.backstop;
    dirty.unite(other.dirty);
    // Bounded: past the limit every dirty tree is walked whole anyway.
    for (auto it = other.changedPaths.cbegin();
         it != other.changedPaths.cend() && changedPaths.size() <= TreeFingerprint::kMaxChangedPaths; ++it)
        changedPaths.insert(*it);
    force.unite(other.force);
}

ScanResult runScan(const ScanRequest& request, const std::function<bool()>& superseded)
{
    QElapsedTimer timer;
    timer.start();
    ScanResult result;
    result.workspace = request.workspace;
    result.generation = request.generation;
    result.knownDelivery = request.knownDelivery;
    const ScanSpec& spec = request.spec;

    QHash<QString, const SourceState*> known;
    for (const SourceState& s : request.known)
        known.insert(sourceKey(s.family, s.stateDir), &s);

    ScanContext context; // the /proc tables, read at most once for every state dir of this scan
    context.setCaches(request.caches.get());
    QStringList stateDirs;
    // Asked every time: cheap (a few stats), and a state dir may have appeared or gone.
    for (const SourceAdapter* adapter : sourceAdapters()) {
        for (const QString& dir : adapter->stateDirs(request.workspace)) {
            if (superseded()) {
                result.superseded = true;
                result.elapsedMs = timer.elapsed();
                return result;
            }
            stateDirs.append(dir);
            const SourceState* before = known.value(sourceKey(adapter->family(), dir));
            SourceState now;
            now.family = adapter->family();
            now.stateDir = dir;
            const bool forced = spec.parseAll || spec.force.contains(dir);
            if (before && !forced && !spec.backstop && !spec.dirty.contains(dir)) {
                result.sources.append(*before); // nothing reported a change here
                result.reused.append(dir);
                continue;
            }
            // The tree before the parse: a change during the parse shows in the next comparison.
            // Listed again only where events said, unless every entry must be looked at.
            // After events, the adapter may re-judge only what changed since the last scan; the
            // first scan, a forced one and the backstop judge everything again.
            const bool afterEvents = before && !forced && !spec.parseAll && !spec.backstop && spec.dirty.contains(dir);
            if (afterEvents) {
                now.tree = TreeFingerprint::updated(dir, before->tree, spec.changedPaths, spec.everyChangeNamed);
            } else {
                QElapsedTimer walk;
                walk.start();
                now.tree = TreeFingerprint::of(dir);
                result.wholeWalkMs += walk.elapsed();
            }
            const bool parse = !before || forced || !TreeFingerprint::unchanged(before->tree, now.tree)
                || (spec.backstop && adapter->agesWithTime(before->snapshot));
            if (parse) {
                context.setTree(&now.tree);
                const PreviousScan previous { before ? before->snapshot : now.snapshot,
                    before ? before->tree : now.tree };
                now.snapshot = adapter->scanAfter(request.workspace, dir, context, afterEvents ? &previous : nullptr);
                context.setTree(nullptr);
                now.pids = pidsInView(now.snapshot);
                if (before)
                    result.changes.insert(dir, diffSnapshots(before->snapshot, now.snapshot));
                result.parsed.append(dir);
            } else {
                now.snapshot = before->snapshot;
                now.pids = before->pids;
                result.reused.append(dir);
            }
            result.sources.append(std::move(now));
        }
    }
    result.rejudged = context.rejudged();
    result.anchors = anchorsFor(request.workspace, stateDirs);
    result.elapsedMs = timer.elapsed();
    return result;
}

QHash<QString, FileStamp> changedStamps(const QHash<QString, FileStamp>& expected)
{
    QHash<QString, FileStamp> changed;
    for (auto it = expected.cbegin(); it != expected.cend(); ++it) {
        const FileStamp now = FileStamp::ofPath(it.key()).value_or(FileStamp {});
        if (!(now == it.value()))
            changed.insert(it.key(), now);
    }
    return changed;
}

} // namespace Stateward
