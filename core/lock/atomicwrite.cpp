// SPDX-License-Identifier: GPL-3.0-or-later
#include "atomicwrite.h"

#include "proc/procfs.h"

#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>

#include <cerrno>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace Stateward {

AtomicWriteResult atomicWrite(const QString& path, QByteArrayView data, const AtomicWriteOptions& options)
{
    AtomicWriteResult r;
    const QFileInfo info(path);
    const QByteArray dirPath = QFile::encodeName(info.absolutePath());
    const QByteArray name = QFile::encodeName(info.fileName());
    auto fail = [&r, &path](const QString& what, int error) {
        r.error = QStringLiteral("%1: %2: %3").arg(path, what, ProcFs::errorText(error));
        return r;
    };

    const int dirFd = ::open(dirPath.constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd < 0)
        return fail(QStringLiteral("cannot open its directory"), errno);

    struct stat st
    {
    };
    unsigned mode = options.newFileMode;
    const bool exists = ::fstatat(dirFd, name.constData(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists) {
        if (S_ISLNK(st.st_mode) || !S_ISREG(st.st_mode)) {
            ::close(dirFd);
            r.error = QStringLiteral("%1: %2; refusing to replace it")
                          .arg(path,
                              S_ISLNK(st.st_mode) ? QStringLiteral("is a symlink")
                                                  : QStringLiteral("is not a regular file"));
            return r;
        }
        mode = st.st_mode & 07777;
    } else if (errno != ENOENT) {
        const int e = errno;
        ::close(dirFd);
        return fail(QStringLiteral("cannot stat"), e);
    }
    if ((options.expected && (!exists || FileStamp::fromStat(st) != *options.expected))
        || (options.expectAbsent && exists)) {
        ::close(dirFd);
        r.changedMeanwhile = true;
        r.error = QStringLiteral("%1: changed since it was read; not replaced").arg(path);
        return r;
    }

    const QByteArray tmpName = name + '.' + QByteArray::number(qint64(::getpid())) + '.'
        + QByteArray::number(QRandomGenerator::system()->generate64(), 16) + ".stateward.tmp";
    const int fd
        = ::openat(dirFd, tmpName.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode & 0777);
    if (fd < 0) {
        const int e = errno;
        ::close(dirFd);
        return fail(QStringLiteral("cannot create its tmp file"), e);
    }
    auto abandon = [&](const QString& what) {
        const int e = errno;
        ::close(fd);
        ::unlinkat(dirFd, tmpName.constData(), 0);
        ::close(dirFd);
        return fail(what, e);
    };
    // fchmod: the umask must not narrow the original file's mode.
    if (::fchmod(fd, mode) != 0)
        return abandon(QStringLiteral("cannot set mode"));
    qsizetype done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, size_t(data.size() - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return abandon(QStringLiteral("cannot write"));
        done += n;
    }
    if (::fsync(fd) != 0)
        return abandon(QStringLiteral("cannot fsync"));
    struct stat mine
    {
    };
    if (::fstat(fd, &mine) != 0)
        return abandon(QStringLiteral("cannot stat its tmp file"));
    if (::close(fd) != 0) {
        const int e = errno;
        ::unlinkat(dirFd, tmpName.constData(), 0);
        ::close(dirFd);
        return fail(QStringLiteral("cannot close"), e);
    }
    const auto stampAt = [dirFd](const QByteArray& leaf) -> std::optional<FileStamp> {
        struct stat now
        {
        };
        if (::fstatat(dirFd, leaf.constData(), &now, AT_SYMLINK_NOFOLLOW) != 0)
            return std::nullopt;
        return FileStamp::fromStat(now);
    };
    const auto changed = [&](const QString& why) {
        ::close(dirFd);
        r.changedMeanwhile = true;
        r.error = QStringLiteral("%1: %2; not replaced").arg(path, why);
        return r;
    };
    if (options.expected) {
        // The last moment before the swap: a lock-less writer may have rewritten it meanwhile.
        if (stampAt(name) != *options.expected) {
            ::unlinkat(dirFd, tmpName.constData(), 0);
            return changed(QStringLiteral("changed since it was read"));
        }
        // RENAME_EXCHANGE swaps X and our tmp in one step, so the file swapped out is exactly the
        // one replaced, and it is checked once more: a writer that truncated X in place (or renamed
        // over it) between the check above and the swap is caught, and its version swapped back.
        if (::syscall(SYS_renameat2, dirFd, tmpName.constData(), dirFd, name.constData(), RENAME_EXCHANGE) == 0) {
            if (stampAt(tmpName) == *options.expected) {
                ::unlinkat(dirFd, tmpName.constData(), 0);
                ::fsync(dirFd);
                ::close(dirFd);
                r.ok = true;
                return r;
            }
            // Swap back only while X is still ours; if someone wrote X after the swap too, both
            // their versions stay (the in-between one under the tmp name): nothing is lost.
            const FileStamp ours = FileStamp::fromStat(mine);
            if (stampAt(name) == ours
                && ::syscall(SYS_renameat2, dirFd, tmpName.constData(), dirFd, name.constData(), RENAME_EXCHANGE) == 0
                && stampAt(tmpName) == ours)
                ::unlinkat(dirFd, tmpName.constData(), 0);
            ::fsync(dirFd);
            return changed(QStringLiteral("written by someone else while being replaced"));
        }
        if (errno != EINVAL && errno != ENOSYS) {
            const int e = errno;
            ::unlinkat(dirFd, tmpName.constData(), 0);
            ::close(dirFd);
            return fail(QStringLiteral("cannot swap into place"), e);
        }
        // A filesystem without RENAME_EXCHANGE: the plain rename below, right after the check.
    }
    // expectAbsent: renameat2(RENAME_NOREPLACE) makes "still absent" and the rename one step.
    const int renamed = options.expectAbsent
        ? int(::syscall(SYS_renameat2, dirFd, tmpName.constData(), dirFd, name.constData(), RENAME_NOREPLACE))
        : ::renameat(dirFd, tmpName.constData(), dirFd, name.constData());
    if (renamed != 0 && options.expectAbsent && errno == EEXIST) {
        ::unlinkat(dirFd, tmpName.constData(), 0);
        ::close(dirFd);
        r.changedMeanwhile = true;
        r.error = QStringLiteral("%1: created by someone else meanwhile; not replaced").arg(path);
        return r;
    }
    if (renamed != 0) {
        const int e = errno;
        ::unlinkat(dirFd, tmpName.constData(), 0);
        ::close(dirFd);
        return fail(QStringLiteral("cannot rename into place"), e);
    }
    ::fsync(dirFd); // the rename itself must survive a crash
    ::close(dirFd);
    r.ok = true;
    return r;
}

} // namespace Stateward
