// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "lockcontent.h"
#include "proc/filekey.h"
#include "proc/kernellocks.h"
#include "proc/openfiles.h"
#include "proc/processinfo.h"

#include <QJsonObject>

#include <chrono>
#include <optional>

namespace Stateward {

struct TreeFingerprint;

enum class LockState
{
    Held, // a live holder, by the dialect's rules and ours
    Stale, // its holder is gone: the dialect's own rules allow removing it
    Suspect, // looks abandoned, but the dialect forbids automatic removal (git): a human decides
    Unknown, // cannot be judged here (another host's lock, unrecognised format)
};
QString nameOf(LockState state);

struct LockRules
{
    std::chrono::milliseconds pidNonceMaxAge { 30000 }; // codegraph LOCK_STALE_MS
    std::chrono::milliseconds mkdirStale { 10000 }; // proper-lockfile default `stale`
    std::chrono::milliseconds qlockfileStale { 30000 }; // QLockFile default staleLockTime
    // An empty pid-nonce/pid-only file younger than this is a lock being created (codegraph
    // writes its PID after the O_EXCL create), not a lock naming PID 0.
    std::chrono::milliseconds emptyGrace { 5000 };
};

struct LockVerdict
{
    QString path;
    LockDialect dialect = LockDialect::Unknown;
    LockState state = LockState::Unknown;
    bool removable = false; // state is Stale and the dialect allows stealing/removing it
    LockContent content;
    FileStamp stamp;
    FileStamp ownerStamp; // owner-dir: of the owner file judged (content.ownerFile)
    QDateTime mtime;
    qint64 ageMs = 0;
    Liveness liveness = Liveness::Invalid; // of content.pid
    QDateTime holderStart;
    WriterJudgement writer;
    bool foreignHost = false;
    bool otherBoot = false;
    bool openFilesChecked = false;
    QList<qint64> openHolders; // processes with the lock file (or an owner-dir's owner file) open
    QList<qint64> kernelHolders; // flock/fcntl holders (/proc/locks)
    QString reason; // one line, with figures
    QJsonObject toJson() const;
    friend bool operator==(const LockVerdict&, const LockVerdict&) = default;
};

// Judges lock files. The /proc/*/fd and /proc/locks tables are read at most once per judge, and
// only when a verdict needs them, so a cheap "alive and fresh" answer costs no scan.
class LockJudge
{
public:
    explicit LockJudge(LockRules rules = {});
    LockJudge(OpenFileTable openFiles, KernelLockTable kernelLocks, LockRules rules = {});

    enum class Evidence
    {
        Lazy,
        Full
    };
    // dialect: leave empty to classify by name and content.
    LockVerdict judge(const QString& path, std::optional<LockDialect> dialect = std::nullopt,
        Evidence evidence = Evidence::Full) const;

    // Every lock under dir (files and proper-lockfile directories named *.lock, git's locks
    // inside .git), without following symlinks. problems collects what could not be read.
    // With a tree of dir just walked (TreeFingerprint::lists), read off it instead of listing.
    static QStringList findLocks(
        const QString& dir, QStringList* problems = nullptr, const TreeFingerprint* tree = nullptr);

private:
    const OpenFileTable& openFiles() const;
    const KernelLockTable& kernelLocks() const;
    void applyHolderEvidence(LockVerdict& v) const;

    LockRules m_rules;
    mutable std::optional<OpenFileTable> m_openFiles;
    mutable std::optional<KernelLockTable> m_kernelLocks;
};

} // namespace Stateward
