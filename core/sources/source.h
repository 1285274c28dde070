// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "lock/lockjudge.h"
#include "problem/problem.h"
#include "proc/filekey.h"
#include "registry.h"
#include "snapshot/snapshot.h"

#include <QJsonObject>
#include <QMutex>

#include <functional>
#include <map>
#include <memory>
#include <optional>

namespace Stateward {

class SourceAdapter;
struct TreeFingerprint;
struct TreeEntry;
struct RecoveredIndex;
struct IndexEdit;
struct EditedIndex;

// What an adapter keeps from one scan to the next of the same state dirs (TrajectoryRecordCache:
// records unchanged since are not read again). Shared with the scanning thread: thread-safe.
class AdapterCache
{
public:
    virtual ~AdapterCache() = default;
};

// One cache slot per adapter, for whoever scans the same workspace repeatedly (WatchHub: one set
// per workspace). Thread-safe; each slot is made by its adapter on first use.
class AdapterCaches
{
public:
    // The adapter's cache; null when it keeps none.
    AdapterCache* of(const SourceAdapter& adapter);

private:
    QMutex m_mutex;
    std::map<Family, std::unique_ptr<AdapterCache>> m_slots;
};

// What one scan shares between adapters: the /proc tables are read at most once per scan,
// and only if some verdict needs them.
class ScanContext
{
public:
    const OpenFileTable& openFiles();
    const KernelLockTable& kernelLocks();
    LockJudge judge(); // sharing this scan's tables
    // Every process we can see, inspected once per scan: for daemons no state file names.
    const QList<ProcessInfo>& processes();
    // What the adapter kept from earlier scans of the same state dirs, when whoever scans them
    // repeatedly (WatchHub) lends its caches; null for a one-off scan. Not owned.
    AdapterCache* cache(const SourceAdapter& adapter) const { return m_caches ? m_caches->of(adapter) : nullptr; }
    void setCaches(AdapterCaches* caches) { m_caches = caches; }
    // The state dir's tree as the caller just walked it (WatchHub), so an adapter may list from
    // it instead of walking again; null for a one-off scan. Not owned; a tree of another dir, or
    // an incomplete one, is not to be used.
    const TreeFingerprint* tree() const { return m_tree; }
    void setTree(const TreeFingerprint* tree) { m_tree = tree; }
    // The scan's clock, for verdicts that depend on how long ago something started (a daemon's
    // start-up grace): now, unless set. Tests set it to judge a process as of a moment they choose.
    QDateTime now() const { return m_now.value_or(QDateTime::currentDateTimeUtc()); }
    void setNow(const QDateTime& now) { m_now = now; }
    // The state dirs whose scan re-judged only what changed (scanAfter), for tests and reports.
    const QStringList& rejudged() const { return m_rejudged; }
    void noteRejudged(const QString& stateDir) { m_rejudged.append(stateDir); }

private:
    std::optional<QDateTime> m_now;
    std::optional<QList<ProcessInfo>> m_processes;
    std::optional<OpenFileTable> m_openFiles;
    std::optional<KernelLockTable> m_kernelLocks;
    AdapterCaches* m_caches = nullptr;
    const TreeFingerprint* m_tree = nullptr;
    QStringList m_rejudged;
};

// The index a tool keeps beside its records (trajectories' index.json, codex's state.json): how it
// reads, how it is rebuilt from the records and how entries are edited. recover.cpp does the rest,
// the same for every tool: reading it once, export, the compare-before-rename frame.
class ToolIndex
{
public:
    virtual ~ToolIndex() = default;
    virtual QString fileName() const = 0; // in the state dir
    // How recover() rebuilds it, in one sentence for help and dialogs: which state dirs keep one,
    // which records go in, what wins a tie.
    virtual QString rule() const = 0;
    virtual qint64 maxBytes() const = 0; // a larger file is not read
    // Whether this state dir keeps the index: the one rule for exporting (CLI, dialog) and recovering.
    virtual bool keptIn(const QString& stateDir) const = 0;
    // Why a parsed index is not of the tool's shape (codex: no "jobs" array), or "".
    virtual QString shapeProblem(const QJsonObject& root) const = 0;
    // A missing index, as the tool reads one: empty.
    virtual QJsonObject empty() const = 0;
    // Fills r (its frame set) from the records, given the current index (`current`: its usable
    // root, empty when `problem` says why it is not).
    virtual void recover(RecoveredIndex& r, const QJsonObject& current, const QString& problem) const = 0;
    // `edit` applied to `current` with entries from `recovered`: out.document (empty when nothing
    // changes), out.applied, out.skipped.
    virtual void edit(EditedIndex& out, const QString& stateDir, const QJsonObject& current,
        const RecoveredIndex& recovered, const IndexEdit& edit) const = 0;
};

// One file a repair rewrites, as its adapter worked it out from what the file holds now.
struct FileRewrite
{
    QString path; // absolute: where it is written
    QString relative; // in the state dir: as the quarantine records it
    QByteArray bytes; // what it holds now: kept in the quarantine
    FileStamp stamp; // of those bytes: it is replaced only while it is still exactly them
    QByteArray written; // what replaces them
};

// How the adapter ends, in the tool's own job state, a job whose process is gone (mark-failed):
// worked out again at the moment of acting, from the files as they are then. repair.cpp does the
// rest, the same for every tool: the lock, the quarantine, compare-before-rename.
struct JobEnding
{
    QString refusal; // why nothing is to change (the job is no longer the one planned), or empty
    // The files to rewrite: the first under compare-before-rename (when a tool wrote it meanwhile,
    // the ending is worked out again); each other one after it, as it can.
    QList<FileRewrite> files;
    QString done; // what the result says was done
    QStringList applied; // the result's per-entry changes
};

// Where a tool keeps the records it cannot read (quarantine-invalid moves one there, as the tool's
// own doctor would), and how long after its last change such a record may still be one a live
// writer is in the middle of.
struct UnreadableRecords
{
    QString asideDir; // in the state dir: the record at <path> goes to <asideDir>/<path>
    qint64 settleSecs = 0; // a record changed more recently is left alone for now
    QString writer; // who writes the records in place, as the refusal names it
};

// The scratch dirs a tool's daemon keeps outside the state dir (codex's $TMPDIR/cxc-XXXXXX broker
// session dirs), left behind when a daemon dies. repair.cpp empties and removes one (remove-session-dir,
// terminate-orphan) through a dir fd, every file kept in the quarantine, and undo writes a kept file
// back only into one of this shape: the same for every tool, asking this for what is the tool's.
class SessionDirs
{
public:
    virtual ~SessionDirs() = default;
    virtual QString noun() const = 0; // as a plan names one: "codex session dir"
    virtual QString shape() const = 0; // as a refusal names what a path is not: "$TMPDIR/cxc-XXXXXX session dir"
    // Whether `path` has a session dir's shape (by its path only: the manifest undo follows is
    // checked, never trusted).
    virtual bool isSessionDir(const QString& path) const = 0;
    // The state files of state dirs other than stateDir that name `path`: a session dir named there
    // belongs to that workspace, never swept by stateDir's repair.
    virtual QStringList namedElsewhere(const QString& path, const QString& stateDir) const = 0;
    // The PID of a live daemon using `path` now (one started in it since the scan), or -1.
    virtual qint64 usedBy(const QString& path) const = 0;
    // What one holds at most: a dir with more entries, or a bigger file, is not one.
    virtual int maxEntries() const = 0;
    virtual qint64 maxFileBytes() const = 0;
};

// The last scan of a state dir, for a scan after events (WatchHub): its snapshot and the tree it was
// made from.
struct PreviousScan
{
    const Snapshot& snapshot;
    const TreeFingerprint& tree;
};

// One tool family (docs/architecture.md, How to add a tool): everything Stateward knows of the
// tool lives behind this interface. Adding a tool means one adapter and its tests, its enumerator
// in registry.h and its line in registry.cpp.
class SourceAdapter
{
public:
    virtual ~SourceAdapter() = default;
    virtual Family family() const = 0;
    virtual QString name() const = 0; // nameOf(family()): "trajectories", "codex", …
    // Every place a state directory of the family can appear for this workspace, whether or not it
    // exists now, so that one appearing later is watched for.
    virtual QStringList candidateStateDirs(const QString& workspace) const = 0;
    // The family's state directories for a workspace: the candidates that exist (a directory, or a
    // symlink that scan() refuses loudly).
    virtual QStringList stateDirs(const QString& workspace) const;
    virtual Snapshot scan(const QString& workspace, const QString& stateDir, ScanContext& context) const = 0;
    // scan() after events, given the previous scan of the same state dir and the tree now in
    // context.tree(): an adapter may re-judge only what changed between the two trees, from what it
    // kept in its cache. The result is what scan() gives now; where the adapter cannot prove that
    // (or keeps nothing: the default), it is scan()'s. Called by whoever scans the state dir again
    // and again (the hub), so the adapter may keep, in the context's cache, what the next call
    // re-judges from; previous is null for a whole scan.
    virtual Snapshot scanAfter(
        const QString& workspace, const QString& stateDir, ScanContext& context, const PreviousScan* previous) const;

    // Whether verdicts on this snapshot change with the clock or with processes no file names, so
    // that a backstop scan parses its state dir again though no file changed. By default: lock and
    // tmp file ages, and broker health.
    virtual bool agesWithTime(const Snapshot& snapshot) const;
    // The files of the state dir the tool rewrites in place (open, write, no rename): a watch on
    // their directory never sees such a write, so the watcher gives these a watch of their own
    // before any other file; the others may wait for the backstop walk. By default the index
    // file and every lock the snapshot names; adapters add their journals and the records the
    // tool is still writing. Paths that do not exist are ignored.
    virtual QStringList rewrittenInPlace(const Snapshot& snapshot) const;
    // Made once per AdapterCaches, on first use; null (the default) when the adapter keeps nothing.
    virtual std::unique_ptr<AdapterCache> newCache() const { return nullptr; }

    // The index the tool keeps; null (the default) when it keeps none.
    virtual const ToolIndex* index() const { return nullptr; }

    // The tool's daemon as a person names it ("codex broker"); empty when it runs none.
    virtual QString daemonNoun() const { return {}; }
    // Empty when `live` is still the orphan daemon `seen` of this state dir (as the scan saw it):
    // ours, of the tool's shape, serving this state dir and named by no state file; else why not.
    // Asked again on the live process right before the terminate-orphan repair signals it.
    virtual QString orphanMismatch(const ProcessInfo& live, const QString& stateDir, const Broker& seen) const;

    // Ends job `jobId` of stateDir, whose process `pid` the scan found gone, in the tool's job
    // state (mark-failed): `index` is the file the plan names, whose lock the caller holds. Asked
    // again on each attempt. By default a refusal: the tool keeps no jobs.
    virtual JobEnding endDeadJob(const QString& stateDir, const QString& index, const QString& jobId, qint64 pid) const;
    // The session dirs the tool's daemon keeps; null (the default) when it keeps none.
    virtual const SessionDirs* sessionDirs() const { return nullptr; }
    // Where the tool keeps records it cannot read; none (the default) when it keeps no such place.
    virtual std::optional<UnreadableRecords> unreadableRecords() const { return std::nullopt; }

    // The snapshot's findings grouped by cause and worded for a person, worst first (problemsOf()
    // calls this; docs/problems.md). groupProblems() words the tool's own findings first; the
    // findings every adapter shares (locks, tmp files, a symlinked state dir, undecodable names),
    // and whatever it leaves, are grouped by the common rules in source.cpp.
    QList<Problem> problems(const Snapshot& snapshot) const;

protected:
    // Takes the findings of the tool's own codes from `builder` and adds their problems. The
    // default takes none: each code it leaves becomes one problem per state dir, ranked by its
    // findings' severity and titled by their summaries.
    virtual void groupProblems(ProblemBuilder& builder) const;
};

// Every state directory of every adapter (or of the named families) in one workspace, scanned.
QList<Snapshot> scanWorkspace(const QString& workspace, ScanContext& context, const QStringList& families = {});

// Starts the snapshot of stateDir, stamped now. A state dir that is a symlink is never
// followed: it gets a finding and the adapter scans nothing (returns false).
bool beginSnapshot(Snapshot& snapshot, Family family, const QString& workspace, const QString& stateDir);
// What stateDirs() reports: a directory, or a symlink that beginSnapshot() will refuse loudly.
bool isStateDirCandidate(const QString& path);

// What an adapter adds to the shared lock and tmp scan.
struct LockScanOptions
{
    // A file of another tool that shares the state dir (CodeGraph's codegraph.lock in optave's
    // .codegraph/): neither listed nor judged here; its adapter shows it by its own rules.
    std::function<bool(const QString& path)> foreign;
    // Why a tmp file whose name carries no PID may still be renamed into place by a writer that is
    // running now (codegraph's native engine writes changes.journal.tmp without any lock); empty
    // when no such writer may be running.
    std::function<QString(const QString& path)> liveWriter;
};

// Shared by every adapter: every lock and every recognised tmp file under stateDir, judged, with
// findings for stale locks and orphaned tmp files.
void scanLocksAndTempFiles(Snapshot& snapshot, ScanContext& context, const LockScanOptions& options = {});
// Its two halves, for an adapter that keeps the listing between scans and updates it from the
// entries that changed (TrajectoriesSource::scanAfter): what is listed, and judging it.
struct LockScanListing
{
    QStringList undecodable; // undecodableNames() of the state dir, sorted
    QStringList locks; // sorted
    QList<std::pair<QString, bool>> tempFiles; // path, is a symlink; sorted
};
LockScanListing listLocksAndTempFiles(
    const QString& stateDir, const TreeFingerprint* tree, const LockScanOptions& options = {});
void judgeLocksAndTempFiles(
    Snapshot& snapshot, ScanContext& context, const LockScanListing& listing, const LockScanOptions& options = {});
// Whether the listing of a state dir's tree holds this entry as a lock, or as a tmp file (foreign
// files aside).
bool isListedLock(const TreeEntry& entry);
bool isListedTempFile(const TreeEntry& entry);
// One judged lock added to the snapshot, with a stale-lock or suspect-lock finding as its verdict says.
void addLockHolder(Snapshot& snapshot, const LockHolder& holder);
// One recognised tmp file judged by the owner-aware rules (open by someone: live; a PID in its name:
// its writer's liveness; else its age against the name's idle limit), added to the snapshot with an
// orphan-tmp finding when nobody will use it again. Shared with adapters that list tmp areas of their own.
// `liveWriter`: as LockScanOptions::liveWriter.
void addTempFile(Snapshot& snapshot, ScanContext& context, const QString& path, bool isSymlink, const TmpFileName& name,
    const std::function<QString(const QString& path)>& liveWriter = {});

// Why a daemon or broker that started `graceSecs` or less before `now` is not judged an orphan
// yet (it may still be starting: its tool writes the state file naming it only once it is
// ready); empty once past the grace. Decided from the process's start time, never from a PID.
QString startupGraceLeft(const ProcessInfo& process, const QDateTime& now, qint64 graceSecs);

} // namespace Stateward
