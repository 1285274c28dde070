// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What the watch tests share: the paths a change signal reported, and how many events inotify
// queues before it overflows.
#include <QFile>
#include <QSignalSpy>
#include <QStringList>

namespace WatchEvents {

// The paths every signal the spy saw named (its first argument: a path, or a list of them), sorted.
inline QStringList paths(const QSignalSpy& spy)
{
    QStringList out;
    for (const QList<QVariant>& args : spy)
        out.append(args.at(0).toStringList());
    out.sort();
    return out;
}

// fs.inotify.max_queued_events; 0 when it cannot be read.
inline qint64 maxQueuedEvents()
{
    QFile limit(QStringLiteral("/proc/sys/fs/inotify/max_queued_events"));
    return limit.open(QIODevice::ReadOnly) ? limit.readAll().trimmed().toLongLong() : 0;
}

} // namespace WatchEvents
