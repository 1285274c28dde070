// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The interop drivers in tests/interop: real upstream tools run by Node.
#include <QFile>
#include <QStandardPaths>
#include <QString>

namespace NodeTools {

inline QString node()
{
    return QStandardPaths::findExecutable(QStringLiteral("node"));
}

inline QString script(const char* name)
{
    return QStringLiteral(STATEWARD_SOURCE_DIR "/tests/interop/") + QLatin1String(name);
}

// Empty when the drivers can run, otherwise what to do about it.
inline QString missing()
{
    if (node().isEmpty())
        return QStringLiteral("node is not installed: run scripts/deps");
    if (!QFile::exists(script("node_modules/@optave/codegraph/dist/domain/graph/journal.js")))
        return QStringLiteral("tests/interop/node_modules is missing: run scripts/deps");
    return {};
}

} // namespace NodeTools
