// SPDX-License-Identifier: GPL-3.0-or-later
#include "autostart.h"

#include "lock/atomicwrite.h"
#include "version.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

namespace Stateward {

QString autostartFile()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation)
        + QStringLiteral("/autostart/%1.desktop").arg(applicationId());
}

bool startsAtLogin()
{
    return QFileInfo(autostartFile()).isFile();
}

bool setStartAtLogin(bool on, const QString& program, QString* error)
{
    const QString file = autostartFile();
    if (!on) {
        if (!QFileInfo::exists(file) || QFile::remove(file))
            return true;
        if (error)
            *error = QObject::tr("cannot remove %1").arg(file);
        return false;
    }
    if (!QDir().mkpath(QFileInfo(file).absolutePath())) {
        if (error)
            *error = QObject::tr("cannot create %1").arg(QFileInfo(file).absolutePath());
        return false;
    }
    // Exec quotes the path as the Desktop Entry spec asks (a space in it would split the command).
    QString exec = program;
    exec.replace(QLatin1Char('\\'), QLatin1String("\\\\")).replace(QLatin1Char('"'), QLatin1String("\\\""));
    const QString text = QStringLiteral("[Desktop Entry]\n"
                                        "Type=Application\n"
                                        "Name=Stateward\n"
                                        "Comment=Watch the state directories of developer and agent tools\n"
                                        "Exec=\"%1\" --hidden\n"
                                        "Icon=%2\n"
                                        "Terminal=false\n"
                                        "X-GNOME-Autostart-enabled=true\n")
                             .arg(exec, applicationId());
    const AtomicWriteResult w = atomicWrite(file, text.toUtf8(), {});
    if (!w.ok && error)
        *error = w.error;
    return w.ok;
}

} // namespace Stateward
