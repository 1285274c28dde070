// SPDX-License-Identifier: GPL-3.0-or-later
#include "jsonfile.h"

#include "proc/procfs.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Stateward {

JsonFile readJsonFile(const QString& path, qint64 maxBytes)
{
    JsonFile r;
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        const int error = errno;
        if (error == ELOOP) {
            r.status = JsonFile::Status::Symlink;
            r.problem = QStringLiteral("is a symlink to %1; not followed").arg(QFileInfo(path).symLinkTarget());
        } else if (error != ENOENT) {
            r.status = JsonFile::Status::Unreadable;
            r.problem = QStringLiteral("cannot open: %1").arg(ProcFs::errorText(error));
        }
        return r;
    }
    struct stat st
    {
    };
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        r.status = JsonFile::Status::Unreadable;
        r.problem = QStringLiteral("not a regular file");
        return r;
    }
    r.stamp = FileStamp::fromStat(st);
    if (st.st_size > maxBytes) {
        ::close(fd);
        r.status = JsonFile::Status::TooLarge;
        r.problem = QStringLiteral("%1 bytes, more than the %2 Stateward reads").arg(st.st_size).arg(maxBytes);
        return r;
    }
    // Read what fstat promised plus one byte (to notice growth), straight from the fd: a buffer
    // sized to the cap would cost a 64 MiB map and unmap per small record.
    qint64 want = std::min<qint64>(st.st_size, maxBytes) + 1;
    r.bytes.resize(want);
    qint64 got = 0;
    while (got < maxBytes + 1) {
        if (got == want) { // it grew since fstat: read on, up to the cap
            want = std::min<qint64>(want * 2, maxBytes + 1);
            r.bytes.resize(want);
        }
        const ssize_t n = ::read(fd, r.bytes.data() + got, size_t(want - got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            const int error = errno;
            ::close(fd);
            r.bytes.clear();
            r.status = JsonFile::Status::Unreadable;
            r.problem = QStringLiteral("cannot read: %1").arg(ProcFs::errorText(error));
            return r;
        }
        if (n == 0)
            break;
        got += n;
    }
    ::close(fd);
    r.bytes.truncate(got);
    if (got > maxBytes) {
        r.status = JsonFile::Status::TooLarge;
        r.problem = QStringLiteral("more than the %1 bytes Stateward reads").arg(maxBytes);
        return r;
    }
    if (std::all_of(r.bytes.cbegin(), r.bytes.cend(), [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); })) {
        r.status = JsonFile::Status::Empty;
        r.problem = r.bytes.isEmpty()
            ? QStringLiteral("zero bytes")
            : QStringLiteral("zero bytes of JSON (%1 bytes of whitespace)").arg(r.bytes.size());
        return r;
    }
    QJsonParseError error {};
    const QJsonDocument doc = QJsonDocument::fromJson(r.bytes, &error);
    if (error.error != QJsonParseError::NoError) {
        r.status = JsonFile::Status::Malformed;
        r.problem = QStringLiteral("JSON error at byte %1 of %2: %3")
                        .arg(error.offset)
                        .arg(r.bytes.size())
                        .arg(error.errorString());
    } else if (!doc.isObject()) {
        r.status = JsonFile::Status::NotObject;
        r.problem = QStringLiteral("not a JSON object");
    } else {
        r.status = JsonFile::Status::Ok;
        r.object = doc.object();
    }
    return r;
}

namespace {

    QByteArray scalarText(const QJsonValue& v)
    {
        // Qt's own escaping and number format, taken from a one-element array.
        const QByteArray a = QJsonDocument(QJsonArray { v }).toJson(QJsonDocument::Compact);
        return a.mid(1, a.size() - 2);
    }

    void write(QByteArray& out, const QJsonValue& v, const QStringList& keyOrder, int depth)
    {
        const QByteArray indent(2 * (depth + 1), ' ');
        const QByteArray closing(2 * depth, ' ');
        if (v.isArray()) {
            const QJsonArray a = v.toArray();
            if (a.isEmpty()) {
                out += "[]";
                return;
            }
            out += "[\n";
            for (qsizetype i = 0; i < a.size(); ++i) {
                out += indent;
                write(out, a.at(i), keyOrder, depth + 1);
                out += i + 1 < a.size() ? ",\n" : "\n";
            }
            out += closing + ']';
        } else if (v.isObject()) {
            const QJsonObject o = v.toObject();
            if (o.isEmpty()) {
                out += "{}";
                return;
            }
            QStringList keys;
            for (const QString& k : keyOrder) {
                if (o.contains(k))
                    keys.append(k);
            }
            for (auto it = o.begin(); it != o.end(); ++it) {
                if (!keyOrder.contains(it.key()))
                    keys.append(it.key());
            }
            out += "{\n";
            for (qsizetype i = 0; i < keys.size(); ++i) {
                out += indent + scalarText(keys.at(i)) + ": ";
                write(out, o.value(keys.at(i)), keyOrder, depth + 1);
                out += i + 1 < keys.size() ? ",\n" : "\n";
            }
            out += closing + '}';
        } else {
            out += scalarText(v);
        }
    }

} // namespace

QByteArray toJsonText(const QJsonValue& value, const QStringList& keyOrder)
{
    QByteArray out;
    write(out, value, keyOrder, 0);
    out += '\n';
    return out;
}

} // namespace Stateward
