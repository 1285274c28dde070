// SPDX-License-Identifier: GPL-3.0-or-later
#include "regularfile.h"

#include "proc/procfs.h"
#include "proc/uniquefd.h"

#include <QCryptographicHash>
#include <QFile>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>

namespace Stateward {

namespace {

    RegularFile unreadable(RegularFile r, int error, const char* step)
    {
        r.status = RegularFile::Status::Unreadable;
        r.error = error;
        r.bytes.clear();
        r.problem = QStringLiteral("cannot %1: %2").arg(QLatin1String(step), ProcFs::errorText(error));
        return r;
    }

    RegularFile notRegular(RegularFile r, const struct stat& st)
    {
        r.status = RegularFile::Status::NotRegular;
        r.stamp = FileStamp::fromStat(st);
        r.problem = QStringLiteral("not a regular file but %1; not read").arg(fileTypeName(st.st_mode));
        return r;
    }

} // namespace

QString fileTypeName(unsigned mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG:
        return QStringLiteral("a regular file");
    case S_IFDIR:
        return QStringLiteral("a directory");
    case S_IFLNK:
        return QStringLiteral("a symlink");
    case S_IFIFO:
        return QStringLiteral("a FIFO");
    case S_IFSOCK:
        return QStringLiteral("a socket");
    case S_IFCHR:
        return QStringLiteral("a character device");
    case S_IFBLK:
        return QStringLiteral("a block device");
    }
    return QStringLiteral("of unknown type %1").arg(mode & S_IFMT, 0, 8);
}

namespace {

    // The shared first half: lstat, open without blocking or following, fstat. A valid fd only
    // for a regular file (r.stamp set); otherwise r says why.
    UniqueFd openRegular(int dirFd, const char* name, RegularFile& r)
    {
        struct stat st
        {
        };
        if (::fstatat(dirFd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno != ENOENT)
                r = unreadable(r, errno, "stat");
            return {};
        }
        if (S_ISLNK(st.st_mode)) {
            r.status = RegularFile::Status::Symlink;
            r.stamp = FileStamp::fromStat(st);
            const ProcFs::ReadResult target = ProcFs::readLinkAt(dirFd, name);
            r.problem = QStringLiteral("is a symlink to %1; not followed").arg(QFile::decodeName(target.data));
            return {};
        }
        if (!S_ISREG(st.st_mode)) { // a device's open alone can act (rewind a tape, hang up a modem)
            r = notRegular(r, st);
            return {};
        }
        UniqueFd fd(::openat(dirFd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC));
        if (!fd.isValid()) {
            if (errno == ELOOP) { // replaced by a symlink since the lstat
                r.status = RegularFile::Status::Symlink;
                r.problem = QStringLiteral("is a symlink; not followed");
            } else if (errno != ENOENT) {
                r = unreadable(r, errno, "open");
            }
            return {};
        }
        if (::fstat(fd.get(), &st) != 0) {
            r = unreadable(r, errno, "stat");
            return {};
        }
        if (!S_ISREG(st.st_mode)) { // swapped for a FIFO or device between lstat and open
            r = notRegular(r, st);
            return {};
        }
        r.stamp = FileStamp::fromStat(st);
        return fd;
    }

} // namespace

RegularFile readRegularFile(int dirFd, const char* name, qint64 maxBytes, Overflow overflow)
{
    RegularFile r;
    const UniqueFd fd = openRegular(dirFd, name, r);
    if (!fd.isValid())
        return r;
    const qint64 size = r.stamp.size;
    if (size > maxBytes && overflow == Overflow::Refuse) {
        r.status = RegularFile::Status::TooLarge;
        r.problem = QStringLiteral("%1 bytes, more than the %2 Stateward reads").arg(size).arg(maxBytes);
        return r;
    }
    // Read what fstat promised plus one byte (to notice growth); /proc files say 0 and are read on
    // in doubling steps, always up to the cap and no further.
    qint64 want = std::min<qint64>(std::max<qint64>(size, 4095), maxBytes) + 1;
    r.bytes.resize(want);
    qint64 got = 0;
    while (got < maxBytes + 1) {
        if (got == want) {
            want = std::min<qint64>(want * 2, maxBytes + 1);
            r.bytes.resize(want);
        }
        const ssize_t n = ::read(fd.get(), r.bytes.data() + got, size_t(want - got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return unreadable(r, errno, "read");
        if (n == 0)
            break;
        got += n;
    }
    r.bytes.truncate(std::min(got, maxBytes));
    if (got > maxBytes) {
        r.status = RegularFile::Status::TooLarge;
        r.problem = QStringLiteral("more than the %1 bytes Stateward reads").arg(maxBytes);
        if (overflow == Overflow::Refuse)
            r.bytes.clear();
        return r;
    }
    r.status = RegularFile::Status::Ok;
    return r;
}

RegularFile readRegularFile(const QString& path, qint64 maxBytes, Overflow overflow)
{
    return readRegularFile(AT_FDCWD, QFile::encodeName(path).constData(), maxBytes, overflow);
}

std::optional<QByteArray> sha256OfRegularFile(int dirFd, const char* name, QString* problem)
{
    RegularFile r;
    const UniqueFd fd = openRegular(dirFd, name, r);
    if (!fd.isValid()) {
        if (problem)
            *problem = r.exists() ? r.problem : QStringLiteral("missing");
        return std::nullopt;
    }
    QCryptographicHash hash(QCryptographicHash::Sha256);
    char buffer[64 * 1024];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            if (problem)
                *problem = unreadable(r, errno, "read").problem;
            return std::nullopt;
        }
        if (n == 0)
            return hash.result().toHex();
        hash.addData(QByteArrayView(buffer, n));
    }
}

} // namespace Stateward
