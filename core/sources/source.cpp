// SPDX-License-Identifier: GPL-3.0-or-later
#include "source.h"

#include "proc/filetree.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QMap>

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

Snapshot SourceAdapter::scanAfter(
    const QString& workspace, const QString& stateDir, ScanContext& context, const PreviousScan* /*previous*/) const
{
    return scan(workspace, stateDir, context);
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

JobEnding SourceAdapter::endDeadJob(const QString&, const QString&, const QString&, qint64) const
{
    JobEnding e;
    e.refusal = QStringLiteral("%1 keeps no jobs").arg(name());
    return e;
}

void SourceAdapter::groupProblems(ProblemBuilder&) const
{ }

namespace {

    // A path as a person reads it in a title: relative to the state dir (or the workspace) when under it.
    QString shortPath(const Snapshot& s, const QString& path)
    {
        for (const QString& base : { s.stateDir, s.workspace }) {
            if (path.startsWith(base + QLatin1Char('/')))
                return path.mid(base.size() + 1);
        }
        return path;
    }

    qint64 bytesOf(const Snapshot& s, const QList<Finding>& findings)
    {
        qint64 total = 0;
        for (const Finding& f : findings) {
            if (const TempFile* t = s.tempFileWithId(f.target.itemId))
                total += t->size;
        }
        return total;
    }

    // Why a stale lock's holder is gone, in a few words.
    QString holderGone(const LockVerdict& v)
    {
        const qint64 pid = v.content.pid;
        if (pid > 0 && (v.liveness == Liveness::Dead || v.liveness == Liveness::Zombie))
            return QStringLiteral("holder PID %1 died").arg(pid);
        if (pid > 0 && v.writer.verdict == WriterVerdict::Reused)
            return QStringLiteral("PID %1 now belongs to another process").arg(pid);
        if (v.otherBoot)
            return QStringLiteral("written before the last boot");
        return QStringLiteral("its holder is gone");
    }

    // A stale lock, with the tmp files its dead holder left (their names carry its PID): one cause.
    void groupStaleLocks(ProblemBuilder& b)
    {
        const Snapshot& s = b.snapshot();
        for (const Finding& lock : b.take(QStringLiteral("stale-lock"))) {
            const LockHolder* holder = s.lockWithId(lock.target.itemId);
            const qint64 pid = holder ? holder->verdict.content.pid : -1;
            const QList<Finding> tmps
                = pid <= 0 ? QList<Finding> {} : b.takeIf(QStringLiteral("orphan-tmp"), [&](const Finding& f) {
                      const TempFile* t = s.tempFileWithId(f.target.itemId);
                      return t && t->name.ownerPid == pid;
                  });
            Problem p = b.start(
                QStringLiteral("stale-lock:") + lock.target.path, Impact::Blocks, QList<Finding> { lock } + tmps);
            const QString name = shortPath(s, lock.target.path);
            p.title = holder ? QStringLiteral("%1 is stale: %2").arg(name, holderGone(holder->verdict))
                             : QStringLiteral("%1 is stale").arg(name);
            if (!tmps.isEmpty())
                p.title += QStringLiteral(", leaving %1 (%2)")
                               .arg(counted(tmps.size(), QStringLiteral("tmp file")), bytesText(bytesOf(s, tmps)));
            p.explanation = QStringLiteral("%1. A tool that finds this lock waits for it or gives up: one that asks "
                                           "only whether the PID is alive waits for ever once the PID is reused, the "
                                           "others clear it only when they next want the lock.")
                                .arg(lock.evidence);
            if (!tmps.isEmpty())
                p.explanation
                    += QStringLiteral(" The same holder left %1 it will never rename into place (%2).")
                           .arg(counted(tmps.size(), QStringLiteral("tmp file")), bytesText(bytesOf(s, tmps)));
            p.explanation += QStringLiteral(" Clearing it follows the lock's own rules and checks again first.");
            p.fixLabel = QStringLiteral("Clear stale lock");
            b.add(p);
        }
        for (const Finding& lock : b.take(QStringLiteral("suspect-lock"))) {
            Problem p = b.start(QStringLiteral("suspect-lock:") + lock.target.path, Impact::Blocks, { lock });
            p.title = QStringLiteral("%1 looks abandoned: no process has it open").arg(shortPath(s, lock.target.path));
            p.explanation = QStringLiteral("%1. Git never removes its own lock files, and refuses to run while one "
                                           "exists. Stateward cannot prove its holder is gone, so it does not "
                                           "remove it.")
                                .arg(lock.evidence);
            p.manualFix = QStringLiteral("Make sure no git command is running in that repository, then: rm -- '%1'")
                              .arg(lock.target.path);
            b.add(p);
        }
    }

    void groupLitter(ProblemBuilder& b)
    {
        const Snapshot& s = b.snapshot();
        if (const QList<Finding> tmps = b.take(QStringLiteral("orphan-tmp")); !tmps.isEmpty()) {
            Problem p = b.start(QStringLiteral("orphan-tmp"), Impact::Litter, tmps);
            const QString what = counted(tmps.size(), QStringLiteral("leftover tmp file"));
            p.title = QStringLiteral("%1 (%2) that no writer will rename into place")
                          .arg(what, bytesText(bytesOf(s, tmps)));
            p.explanation = QStringLiteral("Writers that died or were cut short left %1 in %2: their writers are gone "
                                           "or they are older than their idle limit and open by nobody. They only "
                                           "take space, but a disk full of them breaks the tools' own writes. "
                                           "Sweeping moves them to the quarantine, from which Undo restores them.")
                                .arg(what, s.stateDir);
            p.fixLabel = QStringLiteral("Sweep tmp files");
            b.add(p);
        }
        if (const QList<Finding> links = b.take(QStringLiteral("tmp-symlink")); !links.isEmpty()) {
            Problem p = b.start(QStringLiteral("tmp-symlink"), Impact::Litter, links);
            p.title = QStringLiteral("%1 named like tmp files").arg(counted(links.size(), QStringLiteral("symlink")));
            p.explanation = QStringLiteral("No tool writes its tmp files as symlinks, and renaming one into place "
                                           "would replace the tool's file by a link. Moving them aside never follows "
                                           "them. First: %1.")
                                .arg(links.first().evidence);
            p.fixLabel = QStringLiteral("Move symlinks aside");
            b.add(p);
        }
        if (const QList<Finding> names = b.take(QStringLiteral("undecodable-name")); !names.isEmpty()) {
            Problem p = b.start(QStringLiteral("undecodable-name"), Impact::Litter, names);
            p.title = QStringLiteral("%1 that %2 not valid UTF-8: not checked")
                          .arg(counted(names.size(), QStringLiteral("file name")),
                              names.size() == 1 ? QStringLiteral("is") : QStringLiteral("are"));
            QStringList where;
            for (const Finding& f : names)
                where.append(f.evidence.left(f.evidence.indexOf(QLatin1String(" (each byte"))));
            p.explanation = QStringLiteral("Stateward spells file names as UTF-8 and cannot name these, so nothing in "
                                           "them is read, judged or repaired; a record, lock or tmp file there stays "
                                           "invisible. %1.")
                                .arg(where.join(QStringLiteral("; ")));
            p.manualFix = QStringLiteral("Rename each (for example mv -- \"$(printf 'a\\xffb')\" ab) and scan again.");
            b.add(p);
        }
        if (const QList<Finding> links = b.take(QStringLiteral("state-dir-symlink")); !links.isEmpty()) {
            Problem p = b.start(QStringLiteral("state-dir-symlink"), Impact::Blocks, links);
            p.title = QStringLiteral("%1 is reached through a symlink: nothing in it was checked")
                          .arg(shortPath(s, s.stateDir));
            p.explanation = QStringLiteral("%1. Stateward never follows a symlink out of a workspace (a repair could "
                                           "act outside it), so problems in this state directory stay hidden.")
                                .arg(links.first().evidence);
            p.manualFix = QStringLiteral("Replace the link by the real directory, or add the workspace it points "
                                         "into instead of this one; then scan again.");
            b.add(p);
        }
    }

    // A code no rule above or in the adapter words: one problem per code, ranked by severity.
    void groupRest(ProblemBuilder& b)
    {
        QMap<QString, QList<Finding>> byCode;
        for (const Finding& f : b.remaining())
            byCode[f.code].append(f);
        for (auto it = byCode.cbegin(); it != byCode.cend(); ++it) {
            const QList<Finding> findings = b.take(it.key());
            Severity worst = Severity::Info;
            for (const Finding& f : findings)
                worst = std::max(worst, f.severity);
            const Impact impact = worst == Severity::Critical ? Impact::LosesData
                : worst == Severity::Error                    ? Impact::Blocks
                                                              : Impact::Litter;
            Problem p = b.start(it.key(), impact, findings);
            p.title = findings.size() == 1
                ? findings.first().summary
                : QStringLiteral("%1 (and %2 more like it)").arg(findings.first().summary).arg(findings.size() - 1);
            QStringList lines;
            for (const Finding& f : findings)
                lines.append(QStringLiteral("%1: %2").arg(f.subject, f.evidence));
            p.explanation = lines.join(QLatin1Char('\n'));
            if (!p.fixable())
                p.manualFix = QStringLiteral("No automatic fix: see `%1` in docs/findings.md.").arg(it.key());
            b.add(p);
        }
    }

} // namespace

QList<Problem> SourceAdapter::problems(const Snapshot& snapshot) const
{
    ProblemBuilder builder(snapshot);
    groupProblems(builder);
    groupStaleLocks(builder);
    groupLitter(builder);
    groupRest(builder);
    return builder.problems();
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

bool isListedLock(const TreeEntry& e)
{
    if (e.depth == 0 || e.stamp.isSymlink)
        return false;
    const QStringView name = QStringView(e.path).mid(e.path.lastIndexOf(QLatin1Char('/')) + 1);
    if (!name.endsWith(QLatin1String(".lock")))
        return false;
    // A proper-lockfile directory lock is itself the lock; its insides are not ours to list.
    return e.stamp.isDirectory
        || !QStringView(e.path).left(e.path.size() - name.size() - 1).endsWith(QLatin1String(".lock"));
}

bool isListedTempFile(const TreeEntry& e)
{
    // QDir::Files | QDir::System, as the listing without a tree: a symlink to a directory is neither.
    return e.depth > 0 && !e.stamp.isDirectory
        && recogniseTmpName(e.path.mid(e.path.lastIndexOf(QLatin1Char('/')) + 1)).recognised
        && !(e.stamp.isSymlink && QFileInfo(e.path).isDir());
}

LockScanListing listLocksAndTempFiles(
    const QString& stateDir, const TreeFingerprint* tree, const LockScanOptions& options)
{
    const auto foreign = [&options](const QString& path) { return options.foreign && options.foreign(path); };
    LockScanListing listing;
    // The walk that made the tree saw every name already (and left .stateward out too): a name
    // that is not valid UTF-8 comes from it instead of a second walk.
    listing.undecodable = tree && tree->namesListed && tree->lists(stateDir)
        ? tree->undecodable
        : undecodableNames(stateDir, QByteArrayLiteral(".stateward"));
    listing.locks = LockJudge::findLocks(stateDir, nullptr, tree);
    listing.locks.removeIf(foreign);

    // Every tmp-named entry but a directory, Stateward's own area left out (swept tmp files wait
    // in its quarantine for undo); symlinks are listed, never followed, so one is reported. In
    // path order, however they were listed.
    QList<std::pair<QString, bool>>& tmpNamed = listing.tempFiles;
    const QString ownArea = QDir(stateDir).filePath(QStringLiteral(".stateward/"));
    if (tree && tree->lists(stateDir)) {
        for (const TreeEntry& e : tree->entries) { // Stateward's own area is never in a tree
            if (isListedTempFile(e))
                tmpNamed.append({ e.path, e.stamp.isSymlink });
        }
    } else {
        QDirIterator it(stateDir, QDir::Files | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
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
    return listing;
}

void judgeLocksAndTempFiles(
    Snapshot& snapshot, ScanContext& context, const LockScanListing& listing, const LockScanOptions& options)
{
    // A name that is not valid UTF-8 has no QString spelling: every listing below misses it, and its
    // lossy spelling may be another file's name. Said, with its bytes escaped; never acted on.
    for (const QString& name : listing.undecodable) {
        const QString dir = name.left(name.lastIndexOf(QLatin1Char('/')));
        snapshot.addFinding(QStringLiteral("undecodable-name"), Severity::Warning,
            FindingTarget::item(dir, QStringLiteral("undecodable:") + name),
            QStringLiteral("a name in %1 that is not valid UTF-8").arg(dir),
            QStringLiteral("%1 (each byte that is not UTF-8 as \\xNN): Stateward cannot name it, so it reads, "
                           "judges and repairs nothing by it; rename it to have it checked")
                .arg(name));
    }
    const LockJudge judge = context.judge();
    for (const QString& path : listing.locks)
        addLockHolder(snapshot, { QStringLiteral("lock:") + path, judge.judge(path) });
    for (const auto& [path, isSymlink] : listing.tempFiles)
        addTempFile(snapshot, context, path, isSymlink,
            recogniseTmpName(path.mid(path.lastIndexOf(QLatin1Char('/')) + 1)), options.liveWriter);
}

void scanLocksAndTempFiles(Snapshot& snapshot, ScanContext& context, const LockScanOptions& options)
{
    judgeLocksAndTempFiles(
        snapshot, context, listLocksAndTempFiles(snapshot.stateDir, context.tree(), options), options);
}

void addLockHolder(Snapshot& snapshot, const LockHolder& holder)
{
    const LockVerdict& v = holder.verdict;
    if (v.state == LockState::Stale) {
        snapshot.addFinding(QStringLiteral("stale-lock"), Severity::Warning, FindingTarget::item(v.path, holder.id),
            QStringLiteral("stale %1 lock").arg(nameOf(v.dialect)), v.reason, { RepairKind::ClearStaleLock });
    } else if (v.state == LockState::Suspect) {
        snapshot.addFinding(QStringLiteral("suspect-lock"), Severity::Info, FindingTarget::item(v.path, holder.id),
            QStringLiteral("%1 lock that looks abandoned").arg(nameOf(v.dialect)), v.reason);
    }
    snapshot.locks.append(holder);
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
