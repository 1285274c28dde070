// SPDX-License-Identifier: GPL-3.0-or-later
#include "paths.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <fcntl.h>

namespace Stateward {

QString cleanAbsolute(const QString& path)
{
    return QDir::cleanPath(QFileInfo(path).absoluteFilePath());
}

bool decodesExactly(const QByteArray& raw)
{
    return QFile::encodeName(QFile::decodeName(raw)) == raw;
}

QString escapedBytes(const QByteArray& raw)
{
    QString out;
    for (qsizetype i = 0; i < raw.size();) {
        qsizetype n = 1; // the shortest run from i that is one valid UTF-8 character
        while (n <= 4 && i + n <= raw.size() && QString::fromUtf8(raw.mid(i, n)).toUtf8() != raw.mid(i, n))
            ++n;
        if (n <= 4 && i + n <= raw.size()) {
            out += QString::fromUtf8(raw.mid(i, n));
            i += n;
        } else {
            out += QStringLiteral("\\x%1").arg(uchar(raw.at(i)), 2, 16, QLatin1Char('0'));
            ++i;
        }
    }
    return out;
}

QString pathFromBytes(const QByteArray& raw, bool* viaDescriptor)
{
    if (viaDescriptor)
        *viaDescriptor = false;
    if (decodesExactly(raw))
        return QFile::decodeName(raw);
    // Kept open until the process ends: the path below is valid only while it is.
    const int fd = ::open(raw.constData(), O_PATH | O_CLOEXEC);
    if (fd < 0)
        return QFile::decodeName(raw);
    if (viaDescriptor)
        *viaDescriptor = true;
    return QStringLiteral("/proc/self/fd/%1").arg(fd);
}

} // namespace Stateward
