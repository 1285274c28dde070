// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// QCOMPARE failure messages for core's enums, found by argument-dependent lookup.
#include "proc/processinfo.h"

#include <QTest>

namespace Stateward {
inline char* toString(Liveness value)
{
    return qstrdup(qPrintable(Stateward::nameOf(value)));
}
inline char* toString(WriterVerdict value)
{
    return qstrdup(qPrintable(Stateward::nameOf(value)));
}
} // namespace Stateward
