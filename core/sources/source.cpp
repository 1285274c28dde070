// SPDX-License-Identifier: GPL-3.0-or-later
#include "source.h"

#include "proc/filetree.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>

#include <algorithm>

namespace Stateward {

namespace {
    // A writer renames its tmp file into place within milliseconds; one that carries no PID and
    // is older than this, with nobody holding it open, will never be renamed.
    constexpr qint64 kUnnamedTmpAgeMs = 30000;
} // namespace

const OpenFileTable& ScanContext::openFiles()
{
    if (!m_openFiles)
        m_openFiles = OpenFileTable::scan();
    return *m_openFiles;
}

const KernelLockTable& ScanContext::kernelLocks()
{
    if (!m_kernelLocks)
        m_kernelLocks = KernelLockTable::read();
    return *m_kernelLocks;
}

const QList<ProcessInfo>& ScanContext::processes()
{
    if (!m_processes) {
        QList<ProcessInfo> all;
        for (qint64 pid : listPids()) {
            ProcessInfo p = inspectProcess(pid);
            if (p.isAlive())
                all.append(std::move(p));
        }
        m_processes = std::move(all);
    }
    return *m_processes;
}

LockJudge ScanContext::judge()
{
    return LockJudge(openFiles(), kernelLocks());
}

AdapterCache* AdapterCaches::of(const SourceAdapter& adapter)
{
    const QMutexLocker lock(&m_mutex);
    auto it = m_slots.find(adapter.family());
    if (it == m_slots.end())
        it = m_slots.emplace(adapter.family(), adapter.newCache()).first;
    return it->second.get();
}

QStringList SourceAdapter::stateDirs(const QString& workspace) const
{
    QStringList dirs = candidateStateDirs(workspace);
    dirs.removeIf([](const QString& dir) { return !isStateDirCandidate(dir); });
    return dirs;
}

bool SourceAdapter::agesWithTime(const Snapshot& snapshot) const
{
    return !snapshot.locks.isEmpty() || !snapshot.tempFiles.isEmpty() || !snapshot.brokers.isEmpty();
}

QStringList SourceAdapter::rewrittenInPlace(const Snapshot& snapshot) const
{
    QStringList files;
    if (const ToolIndex* i = index())
        files.append(snapshot.stateDir + QLatin1Char('/') + i->fileName());
    for (const LockHolder& l : snapshot.locks)
        files.append(l.verdict.path);
    return files;
}

QString SourceAdapter::orphanMismatch(const ProcessInfo&, const QString&, const Broker&) const
{
    return QStringLiteral("%1 runs no daemon").arg(name());
}

QList<Snapshot> scanWorkspace(const QString& workspace, ScanContext& context, const QStringList& families)
{
    QList<Snapshot> snapshots;
    const QString absolute = QFileInfo(workspace).absoluteFilePath();
    for (const SourceAdapter* adapter : sourceAdapters()) {
        if (!families.isEmpty() && !families.contains(nameOf(adapter->family())))
            continue;
        for (const QString& dir : adapter->stateDirs(absolute))
            snapshots.append(adapter->scan(absolute, dir, context));
    }
    return snapshots;
}

bool beginSnapshot(Snapshot& snapshot, Family family, const QString& workspace, const QString& stateDir)
{
    snapshot.family = family;
    snapshot.workspace = workspace;
    snapshot.stateDir = stateDir;
    snapshot.scannedAt = QDateTime::currentDateTimeUtc();
    // The state dir itself, and every folder between the workspace and it (a symlinked
    // .agentworkforce/ leads out of the workspace just the same).
    const QString ws = QDir::cleanPath(workspace);
    for (QString path = QDir::cleanPath(stateDir);; path = QFileInfo(path).path()) {
        const QFileInfo info(path);
        if (info.isSymLink()) {
            snapshot.addFinding(QStringLiteral("state-dir-symlink"), Severity::Error, stateDir,
                path == QDir::cleanPath(stateDir)
                    ? QStringLiteral("the state directory is a symlink; not followed")
                    : QStringLiteral("the state directory is reached through a symlink (%1); not followed").arg(path),
                QStringLiteral("%1 points to %2").arg(path, info.symLinkTarget()));
            return false;
        }
        if (!path.startsWith(ws + QLatin1Char('/')) || QFileInfo(path).path() == ws)
            return true;
    }
}

bool isStateDirCandidate(const QString& path)
{
    const QFileInfo info(path);
    return info.isDir() || info.isSymLink();
}

void scanLocksAndTempFiles(Snapshot& snapshot, ScanContext& context, const LockScanOptions& options)
{
    const auto foreign = [&options](const QString& path) { return options.foreign && options.foreign(path); };
    // A name that is not valid UTF-8 has no QString spelling: every listing below misses it, and its
    // lossy spelling may be another file's name. Said, with its bytes escaped; never acted on.
    for (const QString& name : undecodableNames(snapshot.stateDir, QByteArrayLiteral(".stateward"))) {
        const QString dir = name.left(name.lastIndexOf(QLatin1Char('/')));
        snapshot.addFinding(QStringLiteral("undecodable-name"), Severity::Warning,
            FindingTarget::item(dir, QStringLiteral("undecodable:") + name),
            QStringLiteral("a name in %1 that is not valid UTF-8").arg(dir),
            QStringLiteral("%1 (each byte that is not UTF-8 as \\xNN): Stateward cannot name it, so it reads, "
                           "judges and repairs nothing by it; rename it to have it checked")
                .arg(name));
    }

    const LockJudge judge = context.judge();
    for (const QString& path : LockJudge::findLocks(snapshot.stateDir, nullptr, context.tree())) {
        if (foreign(path))
            continue;
        LockHolder holder { QStringLiteral("lock:") + path, judge.judge(path) };
        const LockVerdict& v = holder.verdict;
        if (v.state == LockState::Stale) {
            snapshot.addFinding(QStringLiteral("stale-lock"), Severity::Warning, FindingTarget::item(path, holder.id),
                QStringLiteral("stale %1 lock").arg(nameOf(v.dialect)), v.reason, { RepairKind::ClearStaleLock });
        } else if (v.state == LockState::Suspect) {
            snapshot.addFinding(QStringLiteral("suspect-lock"), Severity::Info, FindingTarget::item(path, holder.id),
                QStringLiteral("%1 lock that looks abandoned").arg(nameOf(v.dialect)), v.reason);
        }
        snapshot.locks.append(holder);
    }

    // Every tmp-named entry but a directory, Stateward's own area left out (swept tmp files wait
    // in its quarantine for undo); symlinks are listed, never followed, so one is reported. In
    // path order, however they were listed.
    QList<std::pair<QString, bool>> tmpNamed; // path, is a symlink
    const QString ownArea = QDir(snapshot.stateDir).filePath(QStringLiteral(".stateward/"));
    const TreeFingerprint* tree = context.tree();
    if (tree && tree->lists(snapshot.stateDir)) {
        for (const TreeEntry& e : tree->entries) {
            // QDir::Files | QDir::System, as below: a symlink to a directory is neither.
            if (e.depth == 0 || e.stamp.isDirectory || e.path.startsWith(ownArea)
                || !recogniseTmpName(e.path.mid(e.path.lastIndexOf(QLatin1Char('/')) + 1)).recognised
                || (e.stamp.isSymlink && QFileInfo(e.path).isDir()))
                continue;
            tmpNamed.append({ e.path, e.stamp.isSymlink });
        }
    } else {
        QDirIterator it(snapshot.stateDir, QDir::Files | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            if (!path.startsWith(ownArea) && recogniseTmpName(it.fileName()).recognised)
                tmpNamed.append({ path, it.fileInfo().isSymLink() });
        }
    }
    tmpNamed.removeIf([&foreign](const std::pair<QString, bool>& entry) { return foreign(entry.first); });
    std::sort(tmpNamed.begin(), tmpNamed.end());
    // QDirIterator spells an undecodable name lossily: it may come out as another entry's real name.
    tmpNamed.erase(std::unique(tmpNamed.begin(), tmpNamed.end()), tmpNamed.end());

    for (const auto& [path, isSymlink] : std::as_const(tmpNamed))
        addTempFile(snapshot, context, path, isSymlink,
            recogniseTmpName(path.mid(path.lastIndexOf(QLatin1Char('/')) + 1)), options.liveWriter);
}

void addTempFile(Snapshot& snapshot, ScanContext& context, const QString& path, bool isSymlink, const TmpFileName& name,
    const std::function<QString(const QString& path)>& liveWriter)
{
    if (isSymlink) {
        // Moving the link aside is safe (rename never follows it); reading through it is not.
        snapshot.addFinding(QStringLiteral("tmp-symlink"), Severity::Warning, path,
            QStringLiteral("a %1 tmp name that is a symlink; not followed").arg(name.family),
            QStringLiteral("points to %1; no tool writes its tmp files as symlinks")
                .arg(QFileInfo(path).symLinkTarget()),
            { RepairKind::SweepTmp });
        return;
    }
    const auto stamp = FileStamp::ofPath(path);
    if (!stamp)
        return; // gone since listed: it was renamed into place
    TempFile t;
    t.id = QStringLiteral("tmp:") + path;
    t.path = path;
    t.name = name;
    t.size = stamp->size;
    t.mtime = QDateTime::fromMSecsSinceEpoch(stamp->mtimeMs(), Qt::UTC);
    t.openBy = context.openFiles().holders(stamp->key);
    const qint64 ageMs = t.mtime.msecsTo(QDateTime::currentDateTimeUtc());
    if (!t.openBy.isEmpty()) {
        t.reason = QStringLiteral("open by PID %1: being written").arg(t.openBy.first());
    } else if (name.ownerPid > 0) {
        const ProcessInfo owner = inspectProcess(name.ownerPid);
        t.ownerLiveness = owner.liveness;
        const WriterJudgement w = judgeWriter(owner, t.mtime);
        t.orphan = w.verdict == WriterVerdict::Dead || w.verdict == WriterVerdict::Reused;
        t.reason = t.orphan ? QStringLiteral("its writer is gone: %1").arg(w.reason)
                            : QStringLiteral("its writer PID %1 is alive").arg(name.ownerPid);
    } else if (const QString writer = liveWriter ? liveWriter(path) : QString(); !writer.isEmpty()) {
        t.reason = QStringLiteral("names no writer, and one may be running: %1").arg(writer);
    } else {
        const qint64 limitMs = name.idleLimitMs > 0 ? name.idleLimitMs : kUnnamedTmpAgeMs;
        t.orphan = ageMs > limitMs;
        t.reason = QStringLiteral("names no writer; %1 s old (idle limit %2 s) and open by nobody")
                       .arg(ageMs / 1000)
                       .arg(limitMs / 1000);
    }
    if (t.orphan) {
        snapshot.addFinding(QStringLiteral("orphan-tmp"), Severity::Warning, FindingTarget::item(path, t.id),
            QStringLiteral("orphaned %1 tmp file for %2 (%3 bytes)").arg(name.family, name.target).arg(t.size),
            t.reason, { RepairKind::SweepTmp });
    }
    snapshot.tempFiles.append(t);
}

QString startupGraceLeft(const ProcessInfo& p, const QDateTime& now, qint64 graceSecs)
{
    if (!p.startTime.isValid())
        return QStringLiteral("PID %1's start time is unreadable: it may still be starting").arg(p.pid);
    const qint64 ageMs = p.startTime.msecsTo(now);
    if (ageMs > graceSecs * 1000)
        return {};
    return QStringLiteral("PID %1 started %2 s ago: within the %3 s start-up grace (its tool names it only once it "
                          "is ready)")
        .arg(p.pid)
        .arg(QString::number(double(std::max<qint64>(ageMs, 0)) / 1000.0, 'f', 1))
        .arg(graceSecs);
}
} // namespace Stateward
