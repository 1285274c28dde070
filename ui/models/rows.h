// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "problem/problem.h"
#include "snapshot/snapshot.h"

#include <QList>
#include <QMetaType>
#include <QString>

namespace Stateward {

// Where a row came from: the models flatten every current snapshot (several workspaces and state
// dirs) into one table, so each row remembers its snapshot.
struct Origin
{
    Family family {};
    QString workspace;
    QString stateDir;
    friend bool operator==(const Origin&, const Origin&) = default;
};

// One table row: an item of a snapshot plus its origin. The item's id is the row's key.
template <typename Item> struct Row
{
    Origin origin;
    Item item;
    const QString& id() const { return item.id; }
};

using JobRow = Row<Job>;
using BrokerRow = Row<Broker>;
using LockRow = Row<LockHolder>;
using TempFileRow = Row<TempFile>;
using FindingRow = Row<Finding>;
using ProblemRow = Row<Problem>;

// How a newer row differs from the one shown. Quiet: only fields no column shows and that
// follow from others changed (a lock's ageMs is mtime vs scan time): store it, emit nothing.
enum class RowChange
{
    None,
    Quiet,
    Visible
};

// Field-by-field comparisons (the core types' defaulted operator==, so a field added there counts
// here too), no formatting: applying 10 000 unchanged rows must stay cheap.
RowChange compareItems(const Job& a, const Job& b);
RowChange compareItems(const Broker& a, const Broker& b);
RowChange compareItems(const LockHolder& a, const LockHolder& b);
RowChange compareItems(const TempFile& a, const TempFile& b);
RowChange compareItems(const Finding& a, const Finding& b);
RowChange compareItems(const Problem& a, const Problem& b);

// Shared display text, so every view words the same fact the same way.
QString pidText(qint64 pid); // the number, or an em dash for none
QString livenessText(qint64 pid, Liveness liveness); // "alive", "dead", … or "no PID"
QString ageText(qint64 ms); // "42 s", "5 min", "3 h", "2 d"; empty when unknown (< 0)
QString sizeText(qint64 bytes);
QString timeText(const QDateTime& time); // local, to the second; empty when invalid
QString folderName(const QString& path); // last path component, or the path itself
int livenessRank(qint64 pid, Liveness liveness); // sort order: alive, zombie, dead, invalid, no PID
QString workspacePath(const QString& path, const Origin& origin); // relative when inside the workspace
QString originToolTip(const Origin& origin); // the workspace and state dir a row came from

// The tools spell job states differently ("running", "active", "queued", "completed", "abandoned"…).
enum class JobPhase
{
    Active, // should have a live process behind it
    Done,
    Failed,
    Ended, // stopped without failing: abandoned, cancelled
    Other,
};
JobPhase jobPhase(const QString& status);
// An active-looking job whose process is gone: it will never finish by itself.
bool jobProcessGone(const Job& job);

} // namespace Stateward

Q_DECLARE_METATYPE(Stateward::JobRow)
Q_DECLARE_METATYPE(Stateward::BrokerRow)
Q_DECLARE_METATYPE(Stateward::LockRow)
Q_DECLARE_METATYPE(Stateward::TempFileRow)
Q_DECLARE_METATYPE(Stateward::FindingRow)
Q_DECLARE_METATYPE(Stateward::ProblemRow)
