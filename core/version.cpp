// SPDX-License-Identifier: GPL-3.0-or-later
#include "version.h"

namespace Stateward {
QString version()
{
    return QStringLiteral(STATEWARD_VERSION);
}
QString applicationId()
{
    return QStringLiteral("io.github.stateward.Stateward");
}
} // namespace Stateward
