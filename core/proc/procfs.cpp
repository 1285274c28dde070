// SPDX-License-Identifier: GPL-3.0-or-later
#include "procfs.h"

#include "regularfile.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

namespace Stateward::ProcFs {

ReadResult readAt(int dirFd, const char* name, qsizetype maxBytes)
{
    // /proc files report size 0 and are read to EOF; the shared reader stops at the cap all the same.
    RegularFile file = readRegularFile(dirFd, name, maxBytes, Overflow::KeepPrefix);
    ReadResult result;
    switch (file.status) {
    case RegularFile::Status::Ok:
    case RegularFile::Status::TooLarge:
        result.data = std::move(file.bytes);
        break;
    case RegularFile::Status::Missing:
        result.error = ENOENT;
        break;
    case RegularFile::Status::Symlink:
        result.error = ELOOP;
        break;
    case RegularFile::Status::NotRegular:
        result.error = EINVAL;
        break;
    case RegularFile::Status::Unreadable:
        result.error = file.error;
        break;
    }
    return result;
}

ReadResult readLinkAt(int dirFd, const char* name)
{
    ReadResult result;
    char buffer[PATH_MAX + 1];
    const ssize_t n = ::readlinkat(dirFd, name, buffer, sizeof buffer - 1);
    if (n < 0)
        result.error = errno;
    else
        result.data = QByteArray(buffer, n);
    return result;
}

qint64 clockTicksPerSecond()
{
    static const qint64 ticks = [] {
        const long t = ::sysconf(_SC_CLK_TCK);
        return t > 0 ? qint64(t) : qint64(100);
    }();
    return ticks;
}

qint64 bootTimeMsecs()
{
    timespec real {}, boot {};
    ::clock_gettime(CLOCK_REALTIME, &real);
    ::clock_gettime(CLOCK_BOOTTIME, &boot);
    const qint64 realNs = qint64(real.tv_sec) * 1000000000 + real.tv_nsec;
    const qint64 bootNs = qint64(boot.tv_sec) * 1000000000 + boot.tv_nsec;
    return (realNs - bootNs) / 1000000;
}

qint64 bootTimeSecondsFromStat()
{
    const ReadResult stat = readAt(AT_FDCWD, "/proc/stat", 1024 * 1024);
    if (!stat.ok())
        return -1;
    for (QByteArrayView line : split(stat.data, '\n')) {
        if (line.startsWith("btime "))
            return line.sliced(6).trimmed().toLongLong();
    }
    return -1;
}

QString bootId()
{
    const ReadResult r = readAt(AT_FDCWD, "/proc/sys/kernel/random/boot_id", 256);
    return r.ok() ? QString::fromLatin1(r.data.trimmed()) : QString();
}

QString hostName()
{
    char buffer[HOST_NAME_MAX + 1] = {};
    if (::gethostname(buffer, sizeof buffer - 1) != 0)
        return {};
    return QString::fromUtf8(buffer);
}

qint64 pidMax()
{
    static const qint64 value = [] {
        const ReadResult r = readAt(AT_FDCWD, "/proc/sys/kernel/pid_max", 64);
        bool ok = false;
        const qint64 v = r.ok() ? r.data.trimmed().toLongLong(&ok) : 0;
        // 2^22 is the kernel's hard ceiling (PID_MAX_LIMIT on 64-bit).
        return ok && v > 0 ? v : qint64(4194304);
    }();
    return value;
}

QString errorText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

QList<QByteArrayView> split(QByteArrayView text, char separator, SplitBehavior behavior)
{
    QList<QByteArrayView> parts;
    qsizetype start = 0;
    for (qsizetype i = 0; i <= text.size(); ++i) {
        if (i == text.size() || text.at(i) == separator) {
            if (i > start || behavior == SplitBehavior::KeepEmpty)
                parts.append(text.sliced(start, i - start));
            start = i + 1;
        }
    }
    return parts;
}

} // namespace Stateward::ProcFs
