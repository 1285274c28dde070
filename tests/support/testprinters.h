// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// QCOMPARE failure messages for core's enums, found by argument-dependent lookup.
#include "lock/lockjudge.h"
#include "problem/problem.h"
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
inline char* toString(LockState value)
{
    return qstrdup(qPrintable(Stateward::nameOf(value)));
}
inline char* toString(LockDialect value)
{
    return qstrdup(qPrintable(Stateward::nameOf(value)));
}
inline char* toString(Impact value)
{
    return qstrdup(qPrintable(Stateward::nameOf(value)));
}
} // namespace Stateward
