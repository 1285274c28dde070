// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace Stateward {

// Start at login, the XDG way: a .desktop entry in $XDG_CONFIG_HOME/autostart/ (~/.config/autostart)
// that starts this program with --hidden (to the tray when there is one). The entry is the setting:
// nothing else remembers it.
QString autostartFile();
bool startsAtLogin();
// Writes or removes the entry; false with *error when it cannot.
bool setStartAtLogin(bool on, const QString& program, QString* error = nullptr);

} // namespace Stateward
