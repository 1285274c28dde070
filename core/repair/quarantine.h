// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "statedir.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>

namespace Stateward {

// Nothing a repair changes is deleted outright (docs/architecture.md, Findings and repairs). Each
// applied action gets its own <statedir>/.stateward/quarantine/<UTC time>-<id>/ holding what it
// moved or replaced under files/, and a manifest.json that Undo follows. Every action is also a
// line in <statedir>/.stateward/audit.jsonl.
//
// The manifest is written ahead: each entry is in manifest.json (marked "complete": false) before
// the change it records is made, and commit() marks it complete. So a repair killed half-way, or
// one that runs out of disk, leaves a quarantine that undo can still follow (docs/undo.md).
struct QuarantineEntry
{
    enum class Op
    {
        Moved, // the file itself was moved here; undo moves it back
        Replaced, // the file was rewritten; its old bytes are here; undo writes them back
        Cleared, // a stale lock removed by its own protocol; kept as evidence, never restored
        Removed, // a file outside the state dir (in a dead daemon's session dir, SessionDirs) copied
                 // here, then removed there; `path` is absolute; undo writes it back
    };
    Op op = Op::Moved;
    QString path; // relative to the state dir
    QString stored; // relative to the quarantine dir, or to the state dir when `aside`
    bool aside = false; // moved to the tool's own place (UnreadableRecords::asideDir), not ours
    bool directory = false;
    QByteArray sha256; // hex, of the bytes kept (files only)
    qint64 size = 0;
    unsigned mode = 0;
    qint64 mtimeNs = 0;
    QByteArray writtenSha256; // Replaced: hex of what the repair wrote in its place

    QJsonObject toJson() const;
    static QuarantineEntry fromJson(const QJsonObject& o);
};

struct QuarantineInfo
{
    QString id;
    QString path; // the quarantine dir
    QDateTime createdAt;
    QJsonObject action; // the repair action as planned
    QList<QuarantineEntry> entries;
    QDateTime restoredAt; // set once undone
    bool interrupted = false; // the repair stopped before it completed the manifest
    QString problem; // the manifest could not be read
    QJsonObject toJson() const;
};

class Quarantine
{
public:
    // Makes a new quarantine dir for one action; isValid() false (and error()) when it cannot.
    Quarantine(const StateDir& stateDir, const QString& actionId, const QJsonObject& action);

    bool isValid() const { return m_dir.isValid(); }
    const QString& error() const { return m_error; }
    const QString& id() const { return m_id; }
    QString path() const;

    // Moves `relative` here, but only while it is still exactly `expected` (same inode, size and
    // mtime): the check-then-rename window is closed by checking the moved inode and moving it
    // back if a writer replaced the file meanwhile.
    bool moveIn(const QString& relative, const FileStamp& expected, QString* error);
    // Like moveIn, but to `destination` in the state dir (the tool's own convention, e.g.
    // trajectories' invalid/<path>): a name taken there gets a ".N" suffix, as trail doctor does.
    bool moveAside(const QString& relative, const QString& destination, const FileStamp& expected, QString* error);
    // Keeps a copy of a file outside the state dir that the repair then removes (op Removed).
    bool keepRemoved(const QString& absolute, const QByteArray& bytes, unsigned mode, qint64 mtimeNs, QString* error);
    // Keeps the bytes a rewrite replaces (old) and the hash of what replaced them (written).
    bool keepReplaced(const QString& relative, const QByteArray& old, const FileStamp& oldStamp,
        const QByteArray& written, QString* error);
    // Keeps a cleared lock's content as evidence.
    bool keepCleared(const QString& relative, const QByteArray& content, QString* error);
    // Its files/ directory: where a lock directory is moved out of its path before it is emptied
    // (clearStaleLock's owner-dir removal), so that a crash midway leaves it here, never at its path.
    int filesFd() const { return m_files.get(); }
    // Marks manifest.json complete (atomically); an action without entries leaves no quarantine.
    // When it fails, the manifest written ahead still records every change.
    bool commit(QString* error);
    // The last moveIn/moveAside/keep* failed on our side (its manifest could not be written), not
    // because the file changed: nothing was changed, and the action failed.
    bool recordFailed() const { return m_recordFailed; }
    // Forgets kept copies (Replaced/Cleared only: the change they were kept for did not happen)
    // and removes the quarantine dir; a moved file is never dropped this way.
    void discardCopies();
    const QList<QuarantineEntry>& entries() const { return m_entries; }

private:
    bool moveEntry(const QString& relative, const FileStamp& expected, int toDir, const QByteArray& toLeaf,
        const QString& stored, bool aside, QString* error);
    bool keepBytes(QuarantineEntry entry, const QByteArray& bytes, QString* error);
    // Adds the entry and writes the manifest ahead of its change; on failure nothing is recorded.
    bool record(const QuarantineEntry& entry, QString* error);
    bool writeManifest(bool complete, QString* error);
    void removeIfEmpty();
    const StateDir& m_stateDir;
    QString m_id;
    QString m_relative; // .stateward/quarantine/<id>
    QJsonObject m_action;
    QDateTime m_createdAt;
    UniqueFd m_dir;
    UniqueFd m_files;
    QList<QuarantineEntry> m_entries;
    QString m_error;
    bool m_recordFailed = false;
};

QList<QuarantineInfo> listQuarantines(const QString& stateDir);

// Why undo does not put this entry back, or "" when it does: a cleared stale lock would block the
// tool again; the session dir of a broker the repair terminated would be litter of a process that
// cannot be restarted (what the repair kind's undoable() says). Both stay in the quarantine as
// evidence.
QString whyNotRestorable(const QuarantineInfo& info, const QuarantineEntry& entry);
// Whether undo would put anything back.
bool hasRestorable(const QuarantineInfo& info);

struct UndoResult
{
    QString id;
    bool ok = false; // every restorable entry is back
    QStringList restored; // relative paths
    QStringList refused; // "path: why" (a newer file there, changed since the repair)
    QStringList notRestorable; // "path: why" (whyNotRestorable)
    QStringList unchanged; // "path: why": an interrupted repair had not changed it yet
    QString error;
    QJsonObject toJson() const;
};
// Restores one quarantine byte-identically; never overwrites a file that is not the one the repair
// left (says so instead). Appends to the audit log.
UndoResult undoQuarantine(const QString& stateDir, const QString& id);

// One JSON line appended to <statedir>/.stateward/audit.jsonl (time, user and PID added). Only to
// a regular file with one link: a FIFO would block, a hard link or symlink would carry the lines
// into a file elsewhere.
bool appendAudit(const StateDir& stateDir, QJsonObject record, QString* error = nullptr);
// Why the audit log cannot take a line now (names its path), or empty. Checked before every repair
// and undo: no change without its audit line.
QString auditLogProblem(const StateDir& stateDir);

QByteArray sha256Hex(const QByteArray& bytes);

} // namespace Stateward
