// SPDX-License-Identifier: GPL-3.0-or-later
#include "openfiles.h"

#include <QElapsedTimer>

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Stateward {

namespace {

    bool isNumeric(const char* name)
    {
        if (!*name)
            return false;
        for (const char* p = name; *p; ++p) {
            if (*p < '0' || *p > '9')
                return false;
        }
        return true;
    }

} // namespace

OpenFileTable OpenFileTable::scan()
{
    return scan(Options {});
}

OpenFileTable OpenFileTable::scan(const Options& options)
{
    OpenFileTable table;
    QElapsedTimer timer;
    timer.start();

    DIR* proc = ::opendir("/proc");
    if (!proc)
        return table;
    const int procFd = ::dirfd(proc);
    while (const dirent* entry = ::readdir(proc)) {
        if (!isNumeric(entry->d_name))
            continue;
        const qint64 pid = std::strtoll(entry->d_name, nullptr, 10);
        char fdPath[300]; // d_name is at most 255 bytes
        std::snprintf(fdPath, sizeof fdPath, "%s/fd", entry->d_name);
        const int fdDirFd = ::openat(procFd, fdPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fdDirFd < 0) {
            if (errno == EACCES || errno == EPERM)
                ++table.m_processesUnreadable;
            continue; // ENOENT: exited since readdir
        }
        DIR* fds = ::fdopendir(fdDirFd);
        if (!fds) {
            ::close(fdDirFd);
            continue;
        }
        ++table.m_processesScanned;
        while (const dirent* fdEntry = ::readdir(fds)) {
            if (fdEntry->d_name[0] == '.')
                continue;
            ++table.m_descriptorsSeen;
            struct stat st
            {
            };
            // stat through the magic link: the (dev, ino) of the open file itself, even if it
            // has since been unlinked or renamed.
            if (::fstatat(fdDirFd, fdEntry->d_name, &st, 0) != 0)
                continue;
            const bool wanted = S_ISREG(st.st_mode) || (options.includeDirectories && S_ISDIR(st.st_mode));
            if (!wanted)
                continue;
            if (!options.devices.isEmpty() && !options.devices.contains(quint64(st.st_dev)))
                continue;
            QList<qint64>& pids = table.m_holders[FileKey::fromStat(st)];
            if (!pids.contains(pid))
                pids.append(pid);
        }
        ::closedir(fds);
    }
    ::closedir(proc);
    table.m_elapsedUs = timer.nsecsElapsed() / 1000;
    return table;
}

} // namespace Stateward
