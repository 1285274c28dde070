// SPDX-License-Identifier: GPL-3.0-or-later
#include "jsonfile.h"

#include "proc/regularfile.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>

namespace Stateward {

JsonFile readJsonFile(const QString& path, qint64 maxBytes)
{
    JsonFile r;
    RegularFile file = readRegularFile(path, maxBytes);
    r.stamp = file.stamp;
    r.problem = file.problem;
    switch (file.status) {
    case RegularFile::Status::Missing:
        return r;
    case RegularFile::Status::Symlink:
        r.status = JsonFile::Status::Symlink;
        return r;
    case RegularFile::Status::NotRegular:
    case RegularFile::Status::Unreadable:
        r.status = JsonFile::Status::Unreadable;
        return r;
    case RegularFile::Status::TooLarge:
        r.status = JsonFile::Status::TooLarge;
        return r;
    case RegularFile::Status::Ok:
        break;
    }
    r.bytes = std::move(file.bytes);
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
