// SPDX-License-Identifier: GPL-3.0-or-later
#include "logging.h"

namespace Stateward {

// QtInfoMsg: debug messages are off until a logging rule turns them on.
Q_LOGGING_CATEGORY(lcWatch, "stateward.watch", QtInfoMsg)
Q_LOGGING_CATEGORY(lcScan, "stateward.scan", QtInfoMsg)
Q_LOGGING_CATEGORY(lcRepair, "stateward.repair", QtInfoMsg)
Q_LOGGING_CATEGORY(lcLock, "stateward.lock", QtInfoMsg)

} // namespace Stateward
