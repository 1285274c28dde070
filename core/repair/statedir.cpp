// SPDX-License-Identifier: GPL-3.0-or-later
#include "statedir.h"

#include "proc/paths.h"
#include "proc/procfs.h"

#include <QFile>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>

namespace Stateward {

StateDir::StateDir(const QString& path)
    : m_path(cleanAbsolute(path))
{
    m_fd.reset(::open(QFile::encodeName(m_path).constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!m_fd.isValid())
        m_error = QStringLiteral("%1: cannot open the state directory: %2")
                      .arg(m_path, errno == ELOOP ? QStringLiteral("it is a symlink") : ProcFs::errorText(errno));
}

std::optional<QString> StateDir::relativePath(const QString& absolute, QString* why) const
{
    const QString clean = cleanAbsolute(absolute);
    if (!clean.startsWith(m_path + QLatin1Char('/'))) {
        if (why)
            *why = QStringLiteral("%1 is outside the state directory %2").arg(absolute, m_path);
        return std::nullopt;
    }
    const QString relative = clean.mid(m_path.size() + 1);
    // cleanPath already folded "." and ".."; what remains must be plain names.
    for (const QString& part : relative.split(QLatin1Char('/'))) {
        if (part.isEmpty() || part == QLatin1String(".") || part == QLatin1String("..")) {
            if (why)
                *why = QStringLiteral("%1 is not a plain path inside %2").arg(absolute, m_path);
            return std::nullopt;
        }
    }
    return relative;
}

QString StateDir::absolutePath(const QString& relative) const
{
    return m_path + QLatin1Char('/') + relative;
}

UniqueFd StateDir::openParent(const QString& relative, QByteArray* leaf, bool create, QString* error) const
{
    const QStringList parts = relative.split(QLatin1Char('/'));
    if (!isOpen() || parts.isEmpty() || parts.contains(QStringLiteral("..")) || parts.contains(QString())) {
        if (error)
            *error = QStringLiteral("%1: not a plain path inside %2").arg(relative, m_path);
        return {};
    }
    UniqueFd dir(::fcntl(m_fd.get(), F_DUPFD_CLOEXEC, 0));
    for (qsizetype i = 0; i + 1 < parts.size(); ++i) {
        const QByteArray name = QFile::encodeName(parts.at(i));
        int next = ::openat(dir.get(), name.constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0 && errno == ENOENT && create) {
            if (::mkdirat(dir.get(), name.constData(), 0755) != 0 && errno != EEXIST) {
                if (error)
                    *error = QStringLiteral("%1: cannot create %2: %3")
                                 .arg(absolutePath(relative), parts.at(i), ProcFs::errorText(errno));
                return {};
            }
            next = ::openat(dir.get(), name.constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (next < 0) {
            if (error)
                *error = QStringLiteral("%1: %2: %3")
                             .arg(absolutePath(relative), parts.at(i),
                                 errno == ELOOP || errno == ENOTDIR ? QStringLiteral("a symlink or not a directory")
                                                                    : ProcFs::errorText(errno));
            return {};
        }
        dir.reset(next);
    }
    *leaf = QFile::encodeName(parts.last());
    return dir;
}

std::optional<FileStamp> StateDir::stamp(const QString& relative) const
{
    QByteArray leaf;
    const UniqueFd dir = openParent(relative, &leaf, false, nullptr);
    struct stat st
    {
    };
    if (!dir.isValid() || ::fstatat(dir.get(), leaf.constData(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        return std::nullopt;
    return FileStamp::fromStat(st);
}

} // namespace Stateward
