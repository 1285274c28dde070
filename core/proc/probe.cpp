// SPDX-License-Identifier: GPL-3.0-or-later
#include "probe.h"

#include "procfs.h"

#include <QElapsedTimer>
#include <QFile>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace Stateward {

namespace {

    // Non-blocking connect, waited for with poll: returns the connected fd or -1.
    int connectWithin(int fd, const sockaddr* address, socklen_t length, int timeoutMs, ProbeResult& r)
    {
        if (::connect(fd, address, length) == 0)
            return fd;
        if (errno != EINPROGRESS) {
            r.error = ProcFs::errorText(errno);
            return -1;
        }
        pollfd p { fd, POLLOUT, 0 };
        if (::poll(&p, 1, timeoutMs) <= 0) {
            r.error = QStringLiteral("no answer within %1 ms").arg(timeoutMs);
            return -1;
        }
        int soError = 0;
        socklen_t len = sizeof soError;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &len);
        if (soError != 0) {
            r.error = ProcFs::errorText(soError);
            return -1;
        }
        return fd;
    }

} // namespace

ProbeResult probeHttpLoopback(quint16 port, const QByteArray& path, int timeoutMs)
{
    ProbeResult r;
    QElapsedTimer timer;
    timer.start();
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        r.error = ProcFs::errorText(errno);
        return r;
    }
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connectWithin(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address, timeoutMs, r) < 0) {
        ::close(fd);
        r.elapsedMs = timer.elapsed();
        return r;
    }
    r.connected = true;
    const QByteArray request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::send(fd, request.constData(), size_t(request.size()), MSG_NOSIGNAL) != request.size()) {
        r.error = QStringLiteral("could not send the request");
        ::close(fd);
        return r;
    }
    QByteArray response;
    while (response.size() < 64 * 1024) {
        const qint64 left = timeoutMs - timer.elapsed();
        pollfd p { fd, POLLIN, 0 };
        if (left <= 0 || ::poll(&p, 1, int(left)) <= 0) {
            r.error = QStringLiteral("no complete answer within %1 ms").arg(timeoutMs);
            break;
        }
        char buffer[4096];
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0)
            break;
        response.append(buffer, n);
    }
    ::close(fd);
    r.elapsedMs = timer.elapsed();
    // "HTTP/1.1 200 OK\r\n…\r\n\r\nbody"
    if (response.startsWith("HTTP/")) {
        const qsizetype space = response.indexOf(' ');
        r.httpStatus = response.mid(space + 1, 3).toInt();
        const qsizetype bodyAt = response.indexOf("\r\n\r\n");
        if (bodyAt >= 0)
            r.body = response.mid(bodyAt + 4);
    } else if (r.error.isEmpty()) {
        r.error = QStringLiteral("not an HTTP answer");
    }
    return r;
}

ProbeResult probeUnixSocket(const QString& socketPath, int timeoutMs)
{
    ProbeResult r;
    QElapsedTimer timer;
    timer.start();
    const QByteArray path = QFile::encodeName(socketPath);
    sockaddr_un address {};
    if (path.size() >= qsizetype(sizeof address.sun_path)) {
        r.error = QStringLiteral("socket path too long");
        return r;
    }
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.constData(), size_t(path.size()));
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        r.error = ProcFs::errorText(errno);
        return r;
    }
    r.connected = connectWithin(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address, timeoutMs, r) >= 0;
    ::close(fd);
    r.elapsedMs = timer.elapsed();
    return r;
}

} // namespace Stateward
