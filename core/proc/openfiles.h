// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "filekey.h"

#include <QHash>
#include <QList>
#include <QSet>

namespace Stateward {

// Which processes hold which files open, from one pass over /proc/*/fd. A lock or tmp file that any
// process has open is never stale (docs/formats/locks.md), whatever its PID line says.
class OpenFileTable
{
public:
    struct Options
    {
        // When non-empty, only files on these devices are recorded (the state directories'
        // devices): keeps the table small on a machine with thousands of processes.
        QSet<quint64> devices;
        bool includeDirectories = true; // proper-lockfile locks are directories
    };

    static OpenFileTable scan();
    static OpenFileTable scan(const Options& options);

    QList<qint64> holders(const FileKey& key) const { return m_holders.value(key); }
    bool isOpen(const FileKey& key) const { return m_holders.contains(key); }
    qsizetype fileCount() const { return m_holders.size(); }

    int processesScanned() const { return m_processesScanned; }
    // Processes whose fd table we may not read (other users, unless we are root): a file held
    // only by one of them is invisible here, so callers say "as far as we can see".
    int processesUnreadable() const { return m_processesUnreadable; }
    qint64 descriptorsSeen() const { return m_descriptorsSeen; }
    qint64 elapsedMicroseconds() const { return m_elapsedUs; }

private:
    QHash<FileKey, QList<qint64>> m_holders;
    int m_processesScanned = 0;
    int m_processesUnreadable = 0;
    qint64 m_descriptorsSeen = 0;
    qint64 m_elapsedUs = 0;
};

} // namespace Stateward
