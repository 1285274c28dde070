// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "lockjudge.h"

#include <QString>

#include <chrono>
#include <functional>

namespace Stateward {

// The lock of file X in our dialect (docs/formats/locks.md): the regular file X.lock, content
// "<pid>\n<pid>-<16 hex>\n" plus key=value lines, which codegraph reads as its own lock.
//  - acquire: write the full content to a private tmp file, then link(2) it to X.lock, so the
//    lock never exists without its content (O_EXCL + write where link is unsupported);
//  - steal a stale lock: rename a tmp over X.lock after re-checking it is the very file judged
//    stale, then keep it only if our nonce is what X.lock now holds;
//  - release: unlink only while X.lock is our inode and carries our nonce;
//  - wait: inotify on the parent directory, with backoff as the fallback, not a fixed sleep.
// The fd of the lock stays open while held, so any observer sees it as open (never stale).
class LockFile
{
public:
    enum class Status
    {
        Acquired,
        Busy,
        Error
    };

    explicit LockFile(const QString& targetPath, LockRules rules = {});
    ~LockFile(); // releases
    LockFile(const LockFile&) = delete;
    LockFile& operator=(const LockFile&) = delete;

    Status tryLock();
    bool lock(std::chrono::milliseconds timeout);
    bool unlock();
    // Heartbeat: bumps the lock's mtime so age-based rules (codegraph: 30 s) never call a live
    // holder stale. Returns false when the lock is no longer ours.
    bool refresh();

    bool isLocked() const { return m_fd >= 0; }
    int handle() const { return m_fd; } // the open lock file, -1 when not held
    bool stole() const { return m_stole; } // the last acquire replaced a stale lock
    QString lockPath() const { return m_lockPath; }
    QString nonce() const { return m_nonce; }
    QString errorString() const { return m_error; }
    const LockVerdict& lastVerdict() const { return m_verdict; } // of the lock found in the way

private:
    bool openDirectory();
    bool stillOurs() const;
    void sweepOrphanTmps();

    QString m_lockPath;
    QByteArray m_dirPath;
    QByteArray m_lockName;
    LockRules m_rules;
    int m_dirFd = -1;
    int m_fd = -1;
    FileKey m_key; // of the lock file we hold
    QString m_nonce;
    QString m_error;
    bool m_stole = false;
    LockVerdict m_verdict;
};

// Removes a stale lock by its own dialect's rules, after judging it again with full evidence
// and proving it unchanged since: pid-nonce by our steal-then-release, pid-only by unlink (as
// gstack does), mkdir by rmdir (as proper-lockfile does, never a fresh one), qlockfile only
// when flock(2) on it succeeds (as Qt does), owner-dir by moving the directory out of its path
// first (as oh-my-codex's own release and recovery do) and only then emptying it. Git locks and
// anything held are refused.
struct ClearResult
{
    bool cleared = false;
    LockVerdict verdict;
    QString message;
    // owner-dir: where a lock directory moved out of its path was left when it could be neither
    // emptied nor put back (it then holds something unexpected); empty otherwise.
    QString leftAt;
};
struct ClearOptions
{
    LockRules rules;
    // owner-dir: where the directory is moved before it is emptied, on the same filesystem (a free
    // name in Stateward's quarantine); by default beside it, "<lock>.stateward-<nonce>".
    int parkDirFd = -1;
    QByteArray parkName;
    // owner-dir: called with the owner file's name and bytes right before anything changes, once
    // they are proven to be those judged stale; returning false (with *error) stops the clear.
    std::function<bool(const QString& ownerFile, const QByteArray& bytes, QString* error)> keepOwner;
};
ClearResult clearStaleLock(const QString& lockPath, LockRules rules = {});
ClearResult clearStaleLock(const QString& lockPath, const ClearOptions& options);

} // namespace Stateward
