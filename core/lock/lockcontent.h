// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QMap>
#include <QString>
#include <QStringList>

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
    // A directory <file>.lock whose holder is named by a JSON owner file inside it: owner.json, or
    // owner.<token>.tmp while it is being published (oh-my-codex's session pointer lock,
    // docs/formats/oh-my-codex.md). Judged by the holder's PID, start ticks and command-line hash,
    // never by age; cleared by moving the directory out of its path first, as oh-my-codex does.
    OwnerDir,
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
    // owner-dir: the owner file read ("owner.json" or "owner.<token>.tmp"), what it records
    // (startTicks above is its recorded start; -1 when it records none) and its format version.
    QString ownerFile;
    QString token;
    QString platform; // of the recorded identity when there is one, else of the record
    QString cmdlineHash; // SHA-256 hex, empty when none recorded
    int ownerVersion = 0;
    bool birthNotTicks = false; // a recorded start that is no clock-tick count (another platform's)
    bool empty = false;
    friend bool operator==(const LockContent&, const LockContent&) = default;
};

// Classifies by name first (the tools' fixed file names), then by shape of the content. For a
// Chromium SingletonLock the content is the symlink's target as readlink gives it.
LockDialect classifyLock(const QString& fileName, bool isDirectory, bool insideGitDir, const QByteArray& content);
// A lock directory by what it holds: an owner file (owner.json, owner.<token>.tmp) makes it an
// owner-dir lock, anything else (proper-lockfile's are empty) a mkdir lock.
LockDialect classifyLockDirectory(const QStringList& entryNames);
LockContent parseLockContent(LockDialect dialect, const QByteArray& content);

// An owner-dir owner file, validated as oh-my-codex 0.21.6 validates it (hooks/session.js
// parseLockOwner): a JSON object with a token, a positive integer pid, a platform and created_at;
// version 1 may add pid_start_ticks and pid_cmdline_hash, version 2 carries process_identity.
// Returns why it is malformed, or empty with *out filled.
QString parseOwnerRecord(const QByteArray& content, LockContent* out);
// Whether name is an owner file of an owner-dir lock ("owner.json", "owner.<token>.tmp"); *token
// gets the tmp file's token.
bool isOwnerFileName(QStringView name, QString* token = nullptr);
// The command-line hash an owner record carries: SHA-256 (lower-case hex) of the arguments joined
// by single spaces, every run of JavaScript white space collapsed to one space and trimmed
// (hooks/session.js hashCmdline, normalizeCmdline); empty when nothing is left.
QByteArray ownerCmdlineHash(const QStringList& argv);

// Our dialect, readable by codegraph (it reads line 1 and tests "content includes nonce").
QByteArray ourLockContent(const QString& nonce);
QString newNonce(); // "<pid>-<16 lowercase hex>", codegraph's shape

} // namespace Stateward
