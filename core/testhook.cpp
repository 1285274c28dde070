// SPDX-License-Identifier: GPL-3.0-or-later
#include "testhook.h"

#ifdef STATEWARD_TEST_HOOKS
#include <csignal>
#include <cstdlib>
#include <cstring>

namespace Stateward {

void testStopPoint(const char* point)
{
    const char* wanted = std::getenv("STATEWARD_TEST_STOP_AT");
    if (wanted && std::strcmp(wanted, point) == 0)
        std::raise(SIGSTOP);
}

} // namespace Stateward
#endif
