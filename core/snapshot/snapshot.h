// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "lock/lockjudge.h"
#include "lock/tmpfiles.h"
#include "proc/processinfo.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

// Plain values describing one state directory at one moment (docs/architecture.md, Data flow: disk
// → adapter → Snapshot → model diff → view). Copy them across threads; every item has a stable id
// so a model can apply a newer snapshot as a diff.
namespace Stateward {

enum class Family
{
    Trajectories,
    Codex,
    Codegraph,
    Gstack
};
QString nameOf(Family family);

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

struct Broker
{
    QString id;
    qint64 pid = -1;
    qint64 startTicks = -1; // of the live process the scan saw: a later signal must find the same one
    Liveness liveness = Liveness::Invalid;
    bool identityVerified = false;
    QString identityEvidence;
    QString endpoint; // unix:… or http://127.0.0.1:port
    int reachable = -1; // -1 not probed, 0 no, 1 yes
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

struct Finding
{
    QString id; // stable: "<code>:<subject>"
    QString code; // e.g. "stale-lock", "orphan-tmp", "journal-placeholder-header"
    Severity severity = Severity::Warning;
    QString subject; // the file (or record) it is about
    QString summary; // one line
    QString evidence; // what was checked, with figures
    QStringList repairs; // repair kinds that would fix it (docs/findings.md)
    QJsonObject toJson() const;
    friend bool operator==(const Finding&, const Finding&) = default;
};

struct Snapshot
{
    Family family = Family::Codegraph;
    QString workspace;
    QString stateDir;
    QDateTime scannedAt;
    QList<Job> jobs;
    QList<Broker> brokers;
    QList<LockHolder> locks;
    QList<TempFile> tempFiles;
    QList<Finding> findings;

    void addFinding(const QString& code, Severity severity, const QString& subject, const QString& summary,
        const QString& evidence, const QStringList& repairs = {});
    Severity worst() const;
    QJsonObject toJson() const;
};

} // namespace Stateward

Q_DECLARE_METATYPE(Stateward::Snapshot)
