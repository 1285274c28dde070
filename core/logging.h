// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QLoggingCategory>

// The debug output of core, one category per area, silent unless asked for, e.g.
//   QT_LOGGING_RULES="stateward.watch.debug=true;stateward.scan.debug=true"
namespace Stateward {

Q_DECLARE_LOGGING_CATEGORY(lcWatch) // stateward.watch: watches added, re-armed, refused; polled paths
Q_DECLARE_LOGGING_CATEGORY(lcScan) // stateward.scan: scans requested, started, superseded, delivered
Q_DECLARE_LOGGING_CATEGORY(lcRepair) // stateward.repair: repair actions planned and applied
Q_DECLARE_LOGGING_CATEGORY(lcLock) // stateward.lock: locks acquired, stolen, released

} // namespace Stateward
