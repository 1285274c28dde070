// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "lock/lockjudge.h"
#include "lock/tmpfiles.h"
#include "proc/processinfo.h"
#include "repair/repairkind.h"
#include "snapshot/chunkedlist.h"
#include "snapshot/jsonstream.h"
#include "sources/registry.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <optional>

// Plain values describing one state directory at one moment (docs/architecture.md, Data flow: disk
// → adapter → Snapshot → model diff → view). Copy them across threads; every item has a stable id
// so a model can apply a newer snapshot as a diff.
namespace Stateward {

enum class Severity
{
    Info,
    Warning,
    Error,
    Critical
};
QString nameOf(Severity severity);

struct Job
{
    QString id; // stable: "<family>:<state dir>:<job id>"
    QString jobId;
    QString title;
    QString kind;
    QString status; // as the tool writes it
    qint64 pid = -1;
    Liveness liveness = Liveness::Invalid;
    QDateTime startedAt;
    QDateTime updatedAt;
    QString recordFile;
    QString logFile;
    bool inIndex = false;
    QJsonObject toJson() const;
    friend bool operator==(const Job&, const Job&) = default;
};

} // namespace Stateward
// Held by the 100 000 in lists: moved as bytes when a list grows or takes an insertion.
Q_DECLARE_TYPEINFO(Stateward::Job, Q_RELOCATABLE_TYPE);
namespace Stateward {

struct Broker
{
    QString id;
    qint64 pid = -1;
    qint64 startTicks = -1; // of the live process the scan saw: a later signal must find the same one
    Liveness liveness = Liveness::Invalid;
    bool identityVerified = false;
    QString identityEvidence;
    QString endpoint; // unix:… or http://127.0.0.1:port
    std::optional<bool> reachable; // whether it answered on its endpoint; nullopt when not probed
    QString stateFile;
    QString sessionDir;
    QStringList referencedBy;
    QJsonObject toJson() const;
    friend bool operator==(const Broker&, const Broker&) = default;
};

struct LockHolder
{
    QString id;
    LockVerdict verdict;
    QJsonObject toJson() const;
    friend bool operator==(const LockHolder&, const LockHolder&) = default;
};

struct TempFile
{
    QString id;
    QString path;
    TmpFileName name;
    qint64 size = 0;
    QDateTime mtime;
    Liveness ownerLiveness = Liveness::Invalid; // of name.ownerPid, when the name carries one
    QList<qint64> openBy;
    bool orphan = false; // nobody will rename it into place any more
    QString reason;
    QJsonObject toJson() const;
    friend bool operator==(const TempFile&, const TempFile&) = default;
};

// What a finding is about, as values: code reads these fields, never the subject string.
struct FindingTarget
{
    QString path; // the file or directory concerned
    QString entryId; // an entry inside the file at `path`: an index entry (trajectory or codex job id)
    qint64 pid = -1; // a process the file at `path` does not name (an orphan broker or daemon)
    QString itemId; // the Snapshot item concerned (Job, Broker, LockHolder or TempFile id), if any

    FindingTarget() = default;
    FindingTarget(const QString& file) // implicit: most findings are about one file and nothing else
        : path(file)
    { }
    // The file as one item of the snapshot (a job's record, a broker's state file, a lock, a tmp file).
    static FindingTarget item(const QString& path, const QString& itemId);
    // One entry of an index (and the job it stands for, if the scan has one).
    static FindingTarget entry(const QString& indexPath, const QString& entryId, const QString& itemId = {});
    // A live process of the tool that the state file at `path` does not name.
    static FindingTarget process(const QString& path, qint64 pid, const QString& itemId);
    // The target as one line, for JSON, the views and the finding id: path, path#entry or path#pid=N.
    QString subject() const;
    friend bool operator==(const FindingTarget&, const FindingTarget&) = default;
};

struct Finding
{
    QString id; // stable: "<code>:<subject>"
    QString code; // e.g. "stale-lock", "orphan-tmp", "journal-placeholder-header"
    Severity severity = Severity::Warning;
    QString subject; // target.subject(): what JSON and the views show
    FindingTarget target;
    QString summary; // one line
    QString evidence; // what was checked, with figures
    QList<RepairKind> repairs; // the repairs that would fix it (docs/findings.md)
    QJsonObject toJson() const;
    friend bool operator==(const Finding&, const Finding&) = default;
};

} // namespace Stateward
Q_DECLARE_TYPEINFO(Stateward::Finding, Q_RELOCATABLE_TYPE);
namespace Stateward {

// What an adapter recognised a state directory as, from its content (never from the folder's name
// alone): the upstream tool, the layout or era of its files, and the files that told it apart. A
// directory nothing recognises keeps `tool` empty and is shown as unknown, never judged by a
// neighbour's rules (docs/scan-schema.md).
struct Recognition
{
    QString tool; // the upstream package, e.g. "agent-trajectories"; empty: unknown
    QString layout; // the era or variant, e.g. "0.5.9-style, index-free"
    QString evidence; // the files or content that told it apart
    bool known() const { return !tool.isEmpty(); }
    QString describe() const; // "agent-trajectories (0.5.9-style, index-free)" or "unknown"
    QJsonObject toJson() const;
    friend bool operator==(const Recognition&, const Recognition&) = default;
};

struct Snapshot
{
    Family family {};
    QString workspace;
    QString stateDir;
    Recognition recognised;
    QDateTime scannedAt;
    ChunkedList<Job> jobs; // up to 100 000: a copy shares its chunks, an edit copies one (chunkedlist.h)
    QList<Broker> brokers;
    QList<LockHolder> locks;
    QList<TempFile> tempFiles;
    QList<Finding> findings;

    void addFinding(const QString& code, Severity severity, const FindingTarget& target, const QString& summary,
        const QString& evidence, const QList<RepairKind>& repairs = {});
    Severity worst() const;
    // The item with this id (a FindingTarget::itemId, a Problem's itemIds); null when there is none.
    const Broker* brokerWithId(const QString& id) const;
    const LockHolder* lockWithId(const QString& id) const;
    const TempFile* tempFileWithId(const QString& id) const;
    // The object of docs/scan-schema.md, its item lists made one item at a time (JsonStream).
    JsonMembers jsonMembers() const;
    QJsonObject toJson() const; // toJsonObject(jsonMembers())
};

// The list type a Snapshot keeps items of type Item in (the type of its member that holds them).
template <typename Item> struct SnapshotList
{
    using type = QList<Item>;
};
template <> struct SnapshotList<Job>
{
    using type = ChunkedList<Job>;
};

} // namespace Stateward
Q_DECLARE_METATYPE(Stateward::Snapshot)
