// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

namespace Stateward {

// A fault-injection point for tests of interrupted repairs (docs/undo.md, Interrupted repairs).
// In a build with STATEWARD_TEST_HOOKS (CMake option, on by default in Debug builds, off in
// release and packaged builds), when $STATEWARD_TEST_STOP_AT equals `point` the process stops
// itself there with SIGSTOP: a test then sees it stopped at exactly that step and kills it with
// SIGKILL, as a crash or `kill -9` would. Elsewhere this is an empty inline function.
#ifdef STATEWARD_TEST_HOOKS
void testStopPoint(const char* point);
#else
inline void testStopPoint(const char*)
{ }
#endif

} // namespace Stateward
