// SPDX-License-Identifier: GPL-3.0-or-later
// Lock file content of every dialect: classified under each fixed name the tools use and under a
// name that leaves only the content to decide, then parsed as every dialect.
#include "lock/lockcontent.h"

#include <QStringList>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace Stateward;
    const QByteArray content(reinterpret_cast<const char*>(data), qsizetype(size));
    static const QStringList names { QStringLiteral("changes.journal.lock"), QStringLiteral("browse.json.lock"),
        QStringLiteral("graph.db.lock"), QStringLiteral("state.json.lock"), QStringLiteral("SingletonLock") };
    for (const QString& name : names) {
        const LockDialect dialect = classifyLock(name, false, false, content);
        const LockContent parsed = parseLockContent(dialect, content);
        // A PID is a decimal of at most 10 digits, never negative except "none".
        if (parsed.pid < -1)
            std::abort();
        nameOf(dialect);
    }
    for (LockDialect d : { LockDialect::PidNonce, LockDialect::PidOnly, LockDialect::Mkdir, LockDialect::QLockFile,
             LockDialect::Git, LockDialect::ChromiumSingleton, LockDialect::OwnerDir, LockDialect::Unknown })
        parseLockContent(d, content);
    // An owner-dir owner file: a record it accepts names a positive PID.
    LockContent owner;
    if (parseOwnerRecord(content, &owner).isEmpty() && (owner.pid <= 0 || owner.token.isEmpty()))
        std::abort();
    return 0;
}
