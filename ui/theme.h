// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QStringList>

namespace Stateward {

// The colour scheme: "system" (the platform's palette), "light" or "dark" (Fusion with a fixed
// palette, so a screenshot or a desktop without a dark theme still gets one). False for an
// unknown name.
bool applyColorScheme(const QString& name);
const QStringList& colorSchemes();

// The scheme View → Colours remembers in the settings ("system" when none is).
QString savedColorScheme();
void saveColorScheme(const QString& name);

} // namespace Stateward
