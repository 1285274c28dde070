// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace Stateward {

// "1 entry", "3 entries", "0 findings". QObject::tr's %n picks a plural form only through a loaded
// translation; the untranslated English text (what the CLI, the logs and the window show) needs
// both forms spelled out.
inline QString counted(qint64 n, const QString& one, const QString& many)
{
    return QStringLiteral("%1 %2").arg(n).arg(n == 1 ? one : many);
}

} // namespace Stateward
