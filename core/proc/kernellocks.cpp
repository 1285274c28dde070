// SPDX-License-Identifier: GPL-3.0-or-later
#include "kernellocks.h"

#include "procfs.h"

#include <fcntl.h>

namespace Stateward {

namespace {

    KernelLock::Kind kindOf(QByteArrayView token)
    {
        if (token == "FLOCK")
            return KernelLock::Kind::Flock;
        if (token == "POSIX")
            return KernelLock::Kind::Posix;
        if (token == "OFDLCK")
            return KernelLock::Kind::Ofd;
        if (token == "LEASE" || token == "DELEG")
            return KernelLock::Kind::Lease;
        return KernelLock::Kind::Other;
    }

    // "MAJ:MIN:INODE", device numbers in hex, inode in decimal (fs/locks.c lock_get_status).
    std::optional<FileKey> parseFileField(QByteArrayView field)
    {
        const QList<QByteArrayView> parts = ProcFs::split(field, ':');
        if (parts.size() != 3)
            return std::nullopt;
        bool okMaj = false, okMin = false, okIno = false;
        const uint major = parts[0].toUInt(&okMaj, 16);
        const uint minor = parts[1].toUInt(&okMin, 16);
        const qulonglong inode = parts[2].toULongLong(&okIno, 10);
        if (!okMaj || !okMin || !okIno)
            return std::nullopt;
        return FileKey::fromMajorMinor(major, minor, inode);
    }

} // namespace

QString KernelLock::kindText() const
{
    switch (kind) {
    case Kind::Flock:
        return QStringLiteral("flock");
    case Kind::Posix:
        return QStringLiteral("posix");
    case Kind::Ofd:
        return QStringLiteral("ofd");
    case Kind::Lease:
        return QStringLiteral("lease");
    case Kind::Other:
        break;
    }
    return QStringLiteral("other");
}

KernelLockTable KernelLockTable::read()
{
    const ProcFs::ReadResult r = ProcFs::readAt(AT_FDCWD, "/proc/locks", 16 * 1024 * 1024);
    if (!r.ok()) {
        KernelLockTable empty;
        empty.m_available = false;
        return empty;
    }
    return parse(r.data);
}

KernelLockTable KernelLockTable::parse(QByteArrayView text)
{
    KernelLockTable table;
    for (QByteArrayView line : ProcFs::split(text, '\n', ProcFs::SplitBehavior::SkipEmpty)) {
        const QList<QByteArrayView> tokens = ProcFs::split(line.trimmed(), ' ', ProcFs::SplitBehavior::SkipEmpty);
        if (tokens.isEmpty())
            continue;
        // id: [->] KIND ADVISORY|MANDATORY|ACTIVE|BREAKING… READ|WRITE|RW|UNLCK PID MAJ:MIN:INO START END
        KernelLock lock;
        qsizetype i = 1;
        if (tokens.size() > 1 && tokens[1] == "->") {
            lock.waiting = true;
            ++i;
        }
        if (tokens.size() < i + 7 || !tokens[0].endsWith(':')) {
            ++table.m_malformed;
            continue;
        }
        lock.kind = kindOf(tokens[i]);
        lock.write = tokens[i + 2] == "WRITE" || tokens[i + 2] == "RW";
        bool okPid = false;
        lock.pid = tokens[i + 3].toLongLong(&okPid);
        const auto file = parseFileField(tokens[i + 4]);
        if (!okPid || !file) {
            ++table.m_malformed;
            continue;
        }
        lock.file = *file;
        lock.start = tokens[i + 5].toLongLong();
        lock.end = tokens[i + 6] == "EOF" ? -1 : tokens[i + 6].toLongLong();
        table.m_byFile.insert(lock.file, table.m_locks.size());
        table.m_locks.append(lock);
    }
    return table;
}

QList<KernelLock> KernelLockTable::locksOn(const FileKey& key) const
{
    QList<KernelLock> out;
    for (auto it = m_byFile.constFind(key); it != m_byFile.cend() && it.key() == key; ++it) {
        const KernelLock& lock = m_locks.at(it.value());
        if (!lock.waiting)
            out.append(lock);
    }
    return out;
}

QList<qint64> KernelLockTable::holderPids(const FileKey& key) const
{
    QList<qint64> pids;
    for (const KernelLock& lock : locksOn(key)) {
        if (lock.pid > 0 && !pids.contains(lock.pid))
            pids.append(lock.pid);
    }
    return pids;
}

} // namespace Stateward
