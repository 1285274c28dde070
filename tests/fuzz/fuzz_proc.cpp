// SPDX-License-Identifier: GPL-3.0-or-later
// What Stateward parses from /proc: /proc/<pid>/stat, status, cmdline and environ (the parsers
// inspectProcess uses) and /proc/locks (KernelLockTable). /proc files cannot be written, so the
// parsers are called on the bytes directly; every input goes through all of them.
#include "proc/kernellocks.h"
#include "proc/processinfo.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace Stateward;
    const QByteArray bytes(reinterpret_cast<const char*>(data), qsizetype(size));

    ProcParse::parseStat(bytes);

    ProcessInfo info;
    ProcParse::parseStatus(bytes, info);
    info.sameUser();

    const QStringList parts = ProcParse::splitNulSeparated(bytes);
    for (const QString& part : parts) {
        if (part.isEmpty())
            std::abort(); // empty entries are skipped
    }
    info.environment = parts;
    info.environmentValue(u"BROWSE_STATE_FILE");

    const KernelLockTable table = KernelLockTable::parse(bytes);
    for (const KernelLock& lock : table.all()) {
        lock.kindText();
        for (const KernelLock& held : table.locksOn(lock.file)) {
            if (held.waiting || !(held.file == lock.file))
                std::abort(); // locksOn lists held locks on that file only
        }
        table.holderPids(lock.file);
    }
    return 0;
}
