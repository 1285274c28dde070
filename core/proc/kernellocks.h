// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "filekey.h"

#include <QByteArrayView>
#include <QHash>
#include <QList>

namespace Stateward {

// One line of /proc/locks: a flock(2), POSIX fcntl(2) or open-file-description lock.
struct KernelLock
{
    enum class Kind
    {
        Flock,
        Posix,
        Ofd,
        Lease,
        Other
    };
    Kind kind = Kind::Other;
    bool write = false;
    bool waiting = false; // a "->" line: blocked, waiting for the lock, not holding it
    qint64 pid = -1; // -1 for OFD locks, which belong to an open file description, not a process
    FileKey file;
    qint64 start = 0;
    qint64 end = -1; // -1 means to end of file
    QString kindText() const;
};

class KernelLockTable
{
public:
    static KernelLockTable read(); // parses /proc/locks
    static KernelLockTable parse(QByteArrayView text);

    QList<KernelLock> locksOn(const FileKey& key) const; // held locks only, waiters excluded
    QList<qint64> holderPids(const FileKey& key) const;
    const QList<KernelLock>& all() const { return m_locks; }
    int malformedLines() const { return m_malformed; }
    bool available() const { return m_available; }

private:
    QList<KernelLock> m_locks;
    QMultiHash<FileKey, qsizetype> m_byFile;
    int m_malformed = 0;
    bool m_available = true;
};

} // namespace Stateward
