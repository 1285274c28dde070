// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "proc/filekey.h"

#include <QJsonObject>
#include <QStringList>

namespace Stateward {

// One JSON state file as read once: never through a symlink, never more than a cap, with the
// stamp of exactly the bytes parsed (for compare-before-rename later).
struct JsonFile
{
    // What went wrong, for callers that map it onto their own finding codes.
    enum class Status
    {
        Ok,
        Missing,
        Symlink,
        Unreadable, // cannot be opened or read, or not a regular file
        TooLarge,
        Empty, // zero bytes, or only whitespace
        Malformed, // not JSON
        NotObject, // JSON, but its top level is not an object
    };
    Status status = Status::Missing;
    QJsonObject object;
    QByteArray bytes;
    FileStamp stamp;
    QString problem; // empty when `object` is the file's top-level object

    bool exists() const { return status != Status::Missing; }
    bool ok() const { return status == Status::Ok; }
};

// `problem` wording is what findings quote: "zero bytes", "JSON error at byte N of M: …",
// "is a symlink to …; not followed", "N bytes, more than the M Stateward reads", "not a JSON object".
JsonFile readJsonFile(const QString& path, qint64 maxBytes);

// The text JSON.stringify(value, null, 2) writes, plus a final newline: what the Node tools
// produce. Object keys come in keyOrder's order first, the rest sorted (QJsonObject keeps no order).
QByteArray toJsonText(const QJsonValue& value, const QStringList& keyOrder = {});

} // namespace Stateward
