// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QString>

namespace Stateward {

// Bounded endpoint probes for daemons and brokers: never block a scan for longer than timeoutMs.
struct ProbeResult
{
    bool connected = false;
    int httpStatus = 0; // HTTP probes only
    QByteArray body;
    QString error; // why it failed, for evidence
    qint64 elapsedMs = 0;
};

// GET http://127.0.0.1:<port><path> (loopback only: these daemons bind nowhere else).
ProbeResult probeHttpLoopback(quint16 port, const QByteArray& path, int timeoutMs);
// connect(2) to a unix socket path; no bytes are sent.
ProbeResult probeUnixSocket(const QString& socketPath, int timeoutMs);

} // namespace Stateward
