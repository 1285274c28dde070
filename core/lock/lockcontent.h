// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QMap>
#include <QString>

namespace Stateward {

// The lock conventions found in the tools' state directories (docs/formats/locks.md). Each is
// judged and released only by its own rules.
enum class LockDialect
{
    PidNonce, // codegraph journal: "<pid>\n<pid>-<16 hex>\n"; ours adds key=value lines
    PidOnly, // gstack browse.json.lock, codegraph graph.db.lock: "<pid>[\n]"
    Mkdir, // npm proper-lockfile: a directory <file>.lock, kept fresh by mtime
    QLockFile, // Qt: pid, app name, host name[, machine id, boot id]
    Git, // <file>.lock holding the new content; never stolen automatically
    // Chromium's profile lock: a symlink SingletonLock whose target (never followed) is
    // "<host>-<pid>". Judged by liveness; Chromium and gstack clear it themselves, never we.
    ChromiumSingleton,
    // A file that is only the target of flock(2)/fcntl locks (Nx's nx_files.lock): its content means
    // nothing, the kernel drops the lock with its holder. Never guessed from a name or content: a tool
    // profile names it (docs/profiles.md). Never stale, never removed.
    Flock,
    Unknown,
};
QString nameOf(LockDialect dialect);

struct LockContent
{
    qint64 pid = -1; // -1 when the file names no PID (empty, or not a number)
    QString nonce; // pid-nonce only
    QString appName; // QLockFile
    QString host; // ours ("host=") or QLockFile line 3
    QString bootId; // ours ("boot=") or QLockFile line 5
    qint64 startTicks = -1; // ours: the holder's start time in clock ticks ("start=")
    QString tool; // ours: "stateward"
    QMap<QString, QString> extra; // any other key=value lines
    bool empty = false;
    friend bool operator==(const LockContent&, const LockContent&) = default;
};

// Classifies by name first (the tools' fixed file names), then by shape of the content. For a
// Chromium SingletonLock the content is the symlink's target as readlink gives it.
LockDialect classifyLock(const QString& fileName, bool isDirectory, bool insideGitDir, const QByteArray& content);
LockContent parseLockContent(LockDialect dialect, const QByteArray& content);

// Our dialect, readable by codegraph (it reads line 1 and tests "content includes nonce").
QByteArray ourLockContent(const QString& nonce);
QString newNonce(); // "<pid>-<16 lowercase hex>", codegraph's shape

} // namespace Stateward
