// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace Stateward {
QString version();
QString applicationId();
} // namespace Stateward
