// SPDX-License-Identifier: GPL-3.0-or-later
#include "paths.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <fcntl.h>

namespace Stateward {

QString cleanAbsolute(const QString& path)
{
    return QDir::cleanPath(QFileInfo(path).absoluteFilePath());
}

bool decodesExactly(const QByteArray& raw, QString* decoded)
{
    // ASCII decodes exactly in every encoding a file name may be taken in: no round trip.
    if (std::all_of(raw.cbegin(), raw.cend(), [](char c) { return uchar(c) < 0x80; })) {
        if (decoded)
            *decoded = QString::fromLatin1(raw);
        return true;
    }
    const QString name = QFile::decodeName(raw);
    if (decoded)
        *decoded = name;
    return QFile::encodeName(name) == raw;
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
