// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace Stateward {

// The path made absolute (against the current directory) with "." and ".." folded and no trailing
// slash, without touching the disk: symlinks stay as they are, so a path that leads through one
// still says so. The one spelling every map keyed by path and every prefix check compares.
QString cleanAbsolute(const QString& path);

} // namespace Stateward
