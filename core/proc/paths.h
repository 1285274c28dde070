// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QString>

namespace Stateward {

// The path made absolute (against the current directory) with "." and ".." folded and no trailing
// slash, without touching the disk: symlinks stay as they are, so a path that leads through one
// still says so. The one spelling every map keyed by path and every prefix check compares.
QString cleanAbsolute(const QString& path);

// The directory part of a path spelled with '/' ("" for a bare name), as a view into it: no
// allocation, for the per-event and per-entry paths that ask it.
inline QStringView parentOf(const QString& path)
{
    return QStringView(path).left(qMax<qsizetype>(0, path.lastIndexOf(QLatin1Char('/'))));
}

// Qt names files by QString, decoded from UTF-8 with every invalid byte replaced by U+FFFD: a name
// that is not valid UTF-8 cannot be spelled, and its lossy spelling may even be another file's
// real name. These helpers make such names visible without ever using the lossy spelling.

// True when these bytes decode to a QString that encodes back to exactly them; that QString in
// *decoded when asked for (a walk spells every name it meets once).
bool decodesExactly(const QByteArray& raw, QString* decoded = nullptr);
// Bytes as text for a person (a finding, a message): valid UTF-8 as it is, every other byte as
// \xNN. Never a path to open.
QString escapedBytes(const QByteArray& raw);
// A path given as bytes (a command-line argument) as a QString that leads to the same file. One
// that does not decode exactly but exists is opened once (O_PATH) and named by its descriptor,
// /proc/self/fd/N, for the rest of the process (*viaDescriptor set); any other is decoded as Qt
// does.
QString pathFromBytes(const QByteArray& raw, bool* viaDescriptor = nullptr);

} // namespace Stateward
