// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// SIGINT, SIGTERM and SIGHUP make the application quit (QCoreApplication::quit) instead of dying,
// so the code after exec() runs: the GUI's demo shuts its stand-ins down, `stateward-cli watch`
// stops its scans and says it stopped. The handler only writes the signal's number to a pipe; the
// event loop does the rest. Call once, after the QCoreApplication exists.
namespace Stateward {

bool quitOnTerminationSignals(); // false when the pipe could not be made (the signals then kill)
int terminationSignal(); // the signal that asked to quit, 0 when none has

} // namespace Stateward
