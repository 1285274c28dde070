// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "proc/filetree.h"
#include "source.h"

#include <QHash>
#include <QMutex>

#include <atomic>
#include <memory>

namespace Stateward {

struct TrajectoryRecord;
struct TrajectoryScanMemo;

// agent-trajectories (`trail`), docs/formats/trajectories.md. Index era (published ≤0.5.6):
// <ws>/.trajectories/ with index.json, active/<id>.json, completed/[YYYY-MM/]<id>.json. 0.5.9+:
// active/<id>/trajectory.json, completed/YYYY-MM/<id>/trajectory.json and no index, in
// <ws>/.trajectories/ for 0.5.9 and in <ws>/.agentworkforce/trajectories/ from 0.6.1 on.
// $TRAJECTORIES_DATA_DIR names the directory itself (~ expanded, relative to the workspace).
// Which era a directory is in is read from its files (recogniseEra), never from its name alone.
class TrajectoriesSource : public SourceAdapter
{
public:
    Family family() const override { return Family::Trajectories; }
    QString name() const override { return QStringLiteral("trajectories"); }
    QStringList candidateStateDirs(const QString& workspace) const override;
    Snapshot scan(const QString& workspace, const QString& stateDir, ScanContext& context) const override;
    // Re-reads only the records (and index.json when it changed), and re-judges only the ids, index
    // entries, locks, tmp files and names the changed tree entries touch; a whole scan whenever
    // that cannot be proven the same (index.json became or ceased to be usable, a symlink came or
    // went, the era changed, too many changes, or no memo).
    Snapshot scanAfter(const QString& workspace, const QString& stateDir, ScanContext& context,
        const PreviousScan* previous) const override;
    std::unique_ptr<AdapterCache> newCache() const override; // a TrajectoryRecordCache
    const ToolIndex* index() const override; // index.json of the index era
    QStringList rewrittenInPlace(const Snapshot& snapshot) const override; // and active records
    // invalid/<path>, where 0.5.8's `trail doctor --quarantine` moves them. trail writes records in
    // place, non-atomically: one changed within 10 s may be half-written by a live writer, not
    // invalid (docs/formats/trajectories.md).
    std::optional<UnreadableRecords> unreadableRecords() const override
    {
        return UnreadableRecords { QStringLiteral("invalid"), 10, QStringLiteral("trail") };
    }

    static constexpr qint64 kMaxRecordBytes = 64 * 1024 * 1024;

    // What a state dir's files say about the trail that wrote them: records as <id>/trajectory.json
    // (only 0.5.9+ writes them), index.json (every index-era trail writes it on start, 0.5.9+
    // deletes it), flat <id>.json records, active/ and completed/. records: everything
    // findTrajectoryRecords() found there. The scan, the recovery and export-index agree on it.
    enum class Era
    {
        Unknown, // nothing agent-trajectories writes: never judged
        Index, // ≤0.5.6: index.json is what trail list shows
        IndexFree, // 0.5.9+: trail reads the files, keeps no index
    };
    struct Layout
    {
        Era era = Era::Unknown;
        Recognition recognition;
        friend bool operator==(const Layout&, const Layout&) = default;
    };
    static Layout recogniseLayout(const QString& stateDir, const QList<TrajectoryRecord>& records);
    // The same from the counts of valid records as <id>/trajectory.json and as flat <id>.json.
    static Layout recogniseLayout(const QString& stateDir, qsizetype nested, qsizetype flat);
    static bool keepsNoIndex(const QString& stateDir, const QList<TrajectoryRecord>& records)
    {
        return recogniseLayout(stateDir, records).era == Era::IndexFree;
    }
    // Why it cannot be told whether `path` (absolute, clean) holds a file: on its way from stateDir
    // a symlink the scan does not follow, a directory it cannot list, or the file cannot be read.
    // Empty when it can be told: the path is outside stateDir, or every step was seen.
    static QString unseenReason(const QString& stateDir, const QString& path);
    // FileStorage's field order of index.json (docs/formats/trajectories.md), for toJsonText.
    static const QStringList& indexKeyOrder();

protected:
    void groupProblems(ProblemBuilder& builder) const override;

private:
    // scan() and scanAfter(): only the latter keeps a memo in the cache for the next call.
    Snapshot scanKeeping(const QString& workspace, const QString& stateDir, ScanContext& context,
        const PreviousScan* previous, bool keepMemo) const;
};

// One trajectory file as found on disk.
struct TrajectoryRecord
{
    QString id;
    QString path;
    QString title;
    QString status;
    QDateTime startedAt;
    QDateTime completedAt;
    QString problem; // non-empty: unreadable, malformed or not a valid trajectory
    QDateTime newest() const { return completedAt.isValid() ? completedAt : startedAt; }
};

// Which of two copies of one id counts, for the scan and the recovery alike: the newest; on a tie
// a settled copy over an active one (upstream's first-found rule would pick active/); then the path.
inline bool isPreferredCopy(const TrajectoryRecord& a, const TrajectoryRecord& b)
{
    if (a.newest() != b.newest())
        return a.newest() > b.newest();
    const bool aActive = a.status == QLatin1String("active");
    if (aActive != (b.status == QLatin1String("active")))
        return !aActive;
    return a.path < b.path;
}

// The records of the last scan of each state dir, so that a file unchanged since is neither read
// nor parsed again (a live workspace re-scans thousands of records for one changed file).
// Owned by whoever scans the same state dirs repeatedly (WatchHub: one per workspace) and handed
// to the adapter through ScanContext; a one-off scan goes without. A record is reused only when
// lstat(2) shows its path with the same device, inode, size, mtime and ctime as when it was read,
// and both times were older than kRacyWindowNs then (the clock is coarse: a rewrite within one
// tick keeps them; whole-second times, as FAT, ext3 or some network mounts keep, get
// kWholeSecondRacyWindowNs). So a reused record is what reading the file now would give.
// Thread-safe; it holds the records found by the last scan of each state dir, no more.
class TrajectoryRecordCache : public AdapterCache
{
public:
    static constexpr qint64 kRacyWindowNs = TreeFingerprint::kRacyWindowNs;
    static constexpr qint64 kWholeSecondRacyWindowNs = 3000 * 1000 * 1000LL; // FAT keeps 2 s steps
    static constexpr qsizetype kMaxRecords = 500000; // per state dir; beyond it nothing is kept
    static constexpr int kMaxStateDirs = 8; // the least recently scanned goes first

    // What lstat said of the file when it was read.
    struct Version
    {
        quint64 device = 0;
        quint64 inode = 0;
        qint64 size = -1;
        qint64 mtimeNs = 0;
        qint64 ctimeNs = 0;
        friend bool operator==(const Version&, const Version&) = default;
    };
    struct Entry
    {
        Version version;
        TrajectoryRecord record;
    };
    using Records = QHash<QString, Entry>; // by path

    // A scan takes the state dir's records and puts back the ones it found: two scans of one
    // dir at once (never from WatchHub) would only cost the second one its reuse.
    Records take(const QString& stateDir);
    void put(const QString& stateDir, Records records);
    void clear();
    qsizetype recordCount() const;

    // What the last scan of a state dir kept to re-judge only what changes next time
    // (TrajectoriesSource::scanAfter), with the tree it was judged from. Taken by the next scan (every scan takes it: a
    // whole scan drops it), put back renewed. Whether or not the result of the scan that put it was delivered (a
    // superseded one is dropped), the next scan starts from it: it re-judges what changed since that memo's tree, not
    // since the delivered one.
    std::shared_ptr<TrajectoryScanMemo> takeMemo(const QString& stateDir);
    void putMemo(const QString& stateDir, std::shared_ptr<TrajectoryScanMemo> memo);

    quint64 hits() const { return m_hits.load(); } // records reused
    quint64 misses() const { return m_misses.load(); } // records read
    void count(quint64 hits, quint64 misses);

private:
    struct Dir
    {
        quint64 lastUse = 0;
        Records records;
    };
    mutable QMutex m_mutex;
    QHash<QString, Dir> m_dirs;
    QHash<QString, std::shared_ptr<TrajectoryScanMemo>> m_memos;
    quint64 m_uses = 0;
    std::atomic<quint64> m_hits { 0 };
    std::atomic<quint64> m_misses { 0 };
};

// Every trajectory file under dir, as upstream's reconcile and 0.5.9 list() discover them:
// active/ (flat files and <id>/trajectory.json), completed/ recursively; trace, compaction and
// index files, invalid/ and compacted/ are not trajectories. With a cache, unchanged files are
// not read again (same result). (TrajectoriesSource::scan lists off the context's tree instead,
// when it has one.)
QList<TrajectoryRecord> findTrajectoryRecords(const QString& dir, TrajectoryRecordCache* cache = nullptr);

} // namespace Stateward
