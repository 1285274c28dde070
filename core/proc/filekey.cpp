// SPDX-License-Identifier: GPL-3.0-or-later
#include "filekey.h"

#include <QFile>

#include <sys/stat.h>
#include <sys/sysmacros.h>

namespace Stateward {

QString FileKey::toString() const
{
    return QStringLiteral("%1:%2:%3")
        .arg(::major(device), 2, 16, QLatin1Char('0'))
        .arg(::minor(device), 2, 16, QLatin1Char('0'))
        .arg(inode);
}

FileKey FileKey::fromStat(const struct stat& st)
{
    return FileKey { quint64(st.st_dev), quint64(st.st_ino) };
}

FileKey FileKey::fromMajorMinor(quint32 major, quint32 minor, quint64 inode)
{
    return FileKey { quint64(::makedev(major, minor)), inode };
}

std::optional<FileKey> FileKey::ofPath(const QString& path)
{
    struct stat st
    {
    };
    if (::lstat(QFile::encodeName(path).constData(), &st) != 0)
        return std::nullopt;
    return fromStat(st);
}

FileStamp FileStamp::fromStat(const struct stat& st)
{
    FileStamp stamp;
    stamp.key = FileKey::fromStat(st);
    stamp.size = qint64(st.st_size);
    stamp.mtimeNs = qint64(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    stamp.isDirectory = S_ISDIR(st.st_mode);
    stamp.isSymlink = S_ISLNK(st.st_mode);
    return stamp;
}

std::optional<FileStamp> FileStamp::ofPath(const QString& path)
{
    struct stat st
    {
    };
    if (::lstat(QFile::encodeName(path).constData(), &st) != 0)
        return std::nullopt;
    return fromStat(st);
}

} // namespace Stateward
