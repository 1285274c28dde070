// SPDX-License-Identifier: GPL-3.0-or-later
#include "demostandin.h"

#include "proc/procfs.h"
#include "proc/uniquefd.h"
#include "sources/jsonfile.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QStringList>
#include <QUuid>

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

namespace Stateward::DemoStandIn {

namespace {

    constexpr int kParentCheckMs = 2000;
    constexpr int kMaxClients = 32;
    constexpr qsizetype kMaxRequestBytes = 64 * 1024;

    int fail(const QString& message)
    {
        std::fprintf(stderr, "%s\n", qPrintable(message));
        return 1;
    }

    QString lastError()
    {
        return ProcFs::errorText(errno);
    }

    qint64 monotonicMs()
    {
        timespec t {};
        ::clock_gettime(CLOCK_MONOTONIC, &t);
        return qint64(t.tv_sec) * 1000 + t.tv_nsec / 1000000;
    }

    bool sendAll(int fd, const QByteArray& data)
    {
        qsizetype sent = 0;
        while (sent < data.size()) {
            const ssize_t n = ::send(fd, data.constData() + sent, size_t(data.size() - sent), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                pollfd p { fd, POLLOUT, 0 };
                if (::poll(&p, 1, 1000) <= 0)
                    return false;
                continue;
            }
            if (n <= 0)
                return false;
            sent += n;
        }
        return true;
    }

    // What the loop does with a client after its handler has seen new bytes.
    enum class Next
    {
        Keep,
        Close,
        Shutdown, // the client asked the daemon to stop (codex broker/shutdown)
    };

    struct Client
    {
        UniqueFd fd;
        QByteArray input;
    };

    // Signals arrive through a signalfd, so the poll() loop is the only place anything happens.
    class Server
    {
    public:
        bool setUp(QString* error)
        {
            sigset_t set;
            sigemptyset(&set);
            for (int s : { SIGTERM, SIGINT, SIGHUP })
                sigaddset(&set, s);
            if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) {
                *error = QStringLiteral("sigprocmask: %1").arg(lastError());
                return false;
            }
            m_signals.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
            if (!m_signals.isValid()) {
                *error = QStringLiteral("signalfd: %1").arg(lastError());
                return false;
            }
            ::signal(SIGPIPE, SIG_IGN);
            bool ok = false;
            m_parent = qEnvironmentVariable(kParentVariable).toLongLong(&ok);
            if (!ok)
                m_parent = 0;
            // A parent that died before we got here would never send the death signal.
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (parentGone()) {
                *error = QStringLiteral("the process that started the stand-in (PID %1) is gone").arg(m_parent);
                return false;
            }
            m_deadline = monotonicMs() + qint64(kMaxLifetimeSecs) * 1000;
            return true;
        }

        void listenOn(UniqueFd fd) { m_listen = std::move(fd); }

        // Runs until a signal, the parent's death, the lifetime cap, or a handler's Shutdown.
        template <typename Handler> QString serve(Handler&& handle)
        {
            for (;;) {
                std::vector<pollfd> fds { { m_signals.get(), POLLIN, 0 }, { m_listen.get(), POLLIN, 0 } };
                for (const Client& c : m_clients)
                    fds.push_back({ c.fd.get(), POLLIN, 0 });
                const qint64 left = m_deadline - monotonicMs();
                if (left <= 0)
                    return QStringLiteral("maximum lifetime reached");
                const int rc = ::poll(fds.data(), nfds_t(fds.size()), int(qMin<qint64>(left, kParentCheckMs)));
                if (rc < 0 && errno != EINTR)
                    return QStringLiteral("poll: %1").arg(lastError());
                if (parentGone())
                    return QStringLiteral("parent PID %1 is gone").arg(m_parent);
                if (rc <= 0)
                    continue;
                if (fds[0].revents & POLLIN) {
                    signalfd_siginfo info {};
                    if (::read(m_signals.get(), &info, sizeof info) == ssize_t(sizeof info))
                        return QStringLiteral("signal %1").arg(info.ssi_signo);
                }
                // Clients before accepting, from the back: fds[i] keeps naming m_clients[i - 2] as they go.
                for (size_t i = fds.size(); i-- > 2;) {
                    if (!fds[i].revents)
                        continue;
                    Client& c = m_clients[i - 2];
                    char buffer[4096];
                    const ssize_t n = ::recv(c.fd.get(), buffer, sizeof buffer, 0);
                    if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        continue;
                    Next next = Next::Close;
                    if (n > 0) {
                        c.input.append(buffer, n);
                        next = c.input.size() > kMaxRequestBytes ? Next::Close : handle(c);
                    }
                    if (next == Next::Shutdown)
                        return QStringLiteral("asked to shut down by a client");
                    if (next == Next::Close)
                        m_clients.erase(m_clients.begin() + qsizetype(i - 2));
                }
                if (fds[1].revents & POLLIN) {
                    UniqueFd fd(::accept4(m_listen.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
                    if (fd.isValid()) {
                        if (m_clients.size() >= size_t(kMaxClients)) // the oldest idle client makes room
                            m_clients.erase(m_clients.begin());
                        m_clients.push_back(Client { std::move(fd), {} });
                    }
                }
            }
        }

        void closeAll()
        {
            m_clients.clear();
            m_listen.reset();
        }

    private:
        bool parentGone() const { return m_parent > 0 && ::getppid() != pid_t(m_parent); }

        UniqueFd m_signals;
        UniqueFd m_listen;
        std::vector<Client> m_clients;
        qint64 m_parent = 0;
        qint64 m_deadline = 0;
    };

    QStringList arguments(int argc, char** argv)
    {
        QStringList out;
        for (int i = 0; i < argc; ++i)
            out.append(QFile::decodeName(argv[i]));
        return out;
    }

    // ---- codex broker ---------------------------------------------------------------------------

    QByteArray rpcId(const QJsonValue& id)
    {
        const QByteArray a = QJsonDocument(QJsonArray { id }).toJson(QJsonDocument::Compact);
        return a.mid(1, a.size() - 2);
    }

    QByteArray compact(const QJsonObject& o)
    {
        return QJsonDocument(o).toJson(QJsonDocument::Compact);
    }

    // One newline-delimited JSON-RPC message, answered as app-server-broker.mjs answers it.
    Next answerRpc(int fd, const QByteArray& line)
    {
        QJsonParseError parse {};
        const QJsonDocument doc = QJsonDocument::fromJson(line, &parse);
        if (parse.error != QJsonParseError::NoError || !doc.isObject()) {
            const QString why
                = parse.error != QJsonParseError::NoError ? parse.errorString() : QStringLiteral("not a JSON object");
            return sendAll(fd,
                       "{\"id\":null,\"error\":"
                           + compact({ { QStringLiteral("code"), -32700 },
                               { QStringLiteral("message"), QStringLiteral("Invalid JSON: ") + why } })
                           + "}\n")
                ? Next::Keep
                : Next::Close;
        }
        const QJsonObject message = doc.object();
        const bool hasId = message.contains(QStringLiteral("id"));
        const QString method = message.value(QStringLiteral("method")).toString();
        if (!hasId) // notifications, `initialized` among them, get no answer
            return Next::Keep;
        const QByteArray id = rpcId(message.value(QStringLiteral("id")));
        if (method == QLatin1String("initialize"))
            return sendAll(fd, "{\"id\":" + id + ",\"result\":{\"userAgent\":\"codex-companion-broker\"}}\n")
                ? Next::Keep
                : Next::Close;
        if (method == QLatin1String("broker/shutdown")) {
            sendAll(fd, "{\"id\":" + id + ",\"result\":{}}\n");
            return Next::Shutdown;
        }
        const QJsonObject error { { QStringLiteral("code"), -32000 },
            { QStringLiteral("message"),
                QStringLiteral("stand-in broker has no codex app-server; cannot forward %1").arg(method) } };
        return sendAll(fd, "{\"id\":" + id + ",\"error\":" + compact(error) + "}\n") ? Next::Keep : Next::Close;
    }

    int runCodexBroker(const QStringList& argv)
    {
        const QString usage = QStringLiteral("Usage: node scripts/app-server-broker.mjs serve --endpoint <value> "
                                             "[--cwd <path>] [--pid-file <path>]");
        if (argv.size() < 3 || argv.at(2) != QLatin1String("serve"))
            return fail(usage);
        QString endpoint, cwd, pidFile;
        for (qsizetype i = 3; i < argv.size(); ++i) {
            const QString& arg = argv.at(i);
            if (!arg.startsWith(QLatin1String("--")))
                return fail(QStringLiteral("Unexpected argument: %1").arg(arg));
            const qsizetype eq = arg.indexOf(QLatin1Char('='));
            const QString name = arg.mid(2, eq < 0 ? -1 : eq - 2);
            QString value;
            if (eq >= 0)
                value = arg.mid(eq + 1);
            else if (i + 1 < argv.size())
                value = argv.at(++i);
            else
                return fail(QStringLiteral("Missing value for --%1").arg(name));
            if (name == QLatin1String("endpoint"))
                endpoint = value;
            else if (name == QLatin1String("cwd"))
                cwd = value;
            else if (name == QLatin1String("pid-file"))
                pidFile = QFileInfo(value).absoluteFilePath();
            else
                return fail(QStringLiteral("Unknown option: --%1").arg(name));
        }
        if (endpoint.isEmpty())
            return fail(QStringLiteral("Missing required --endpoint."));
        if (!endpoint.startsWith(QLatin1String("unix:")) || endpoint.size() == 5)
            return fail(QStringLiteral("Unsupported broker endpoint: %1").arg(endpoint));
        const QString socketPath = endpoint.mid(5);

        Server server;
        QString error;
        if (!server.setUp(&error))
            return fail(error);
        // Upstream writes the pid file before its socket exists.
        if (!pidFile.isEmpty()) {
            QDir().mkpath(QFileInfo(pidFile).absolutePath());
            QFile f(pidFile);
            if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)
                || f.write(QByteArray::number(qint64(::getpid())) + '\n') < 0)
                return fail(QStringLiteral("cannot write %1: %2").arg(pidFile, f.errorString()));
        }
        // Where upstream would spawn `codex app-server` in cwd.
        if (!cwd.isEmpty() && !QFileInfo(cwd).isDir())
            return fail(QStringLiteral("spawn codex ENOENT (cwd %1 does not exist)").arg(cwd));

        const QByteArray path = QFile::encodeName(socketPath);
        sockaddr_un address {};
        if (path.size() >= qsizetype(sizeof address.sun_path))
            return fail(QStringLiteral("socket path too long: %1").arg(socketPath));
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path, path.constData(), size_t(path.size()));
        UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!listener.isValid() || ::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0
            || ::listen(listener.get(), 16) != 0)
            return fail(QStringLiteral("listen %1: %2").arg(socketPath, lastError())); // e.g. EADDRINUSE
        server.listenOn(std::move(listener));

        const QString why = server.serve([](Client& c) {
            Next next = Next::Keep;
            qsizetype nl;
            while (next == Next::Keep && (nl = c.input.indexOf('\n')) >= 0) {
                const QByteArray line = c.input.left(nl).trimmed();
                c.input.remove(0, nl + 1);
                if (!line.isEmpty())
                    next = answerRpc(c.fd.get(), line);
            }
            return next;
        });
        std::fprintf(stderr, "stand-in broker %lld: shutting down (%s)\n", qint64(::getpid()), qPrintable(why));
        server.closeAll();
        ::unlink(path.constData());
        if (!pidFile.isEmpty())
            ::unlink(QFile::encodeName(pidFile).constData());
        return 0;
    }

    // ---- gstack daemon --------------------------------------------------------------------------

    QByteArray httpResponse(int status, const char* reason, const QByteArray& type, const QByteArray& body)
    {
        return "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\nContent-Type: " + type
            + "\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    }

    // browse.json as server.ts writes it: a unique tmp beside it, mode 0600, then rename.
    bool writeState(const QString& stateFile, const QByteArray& text, QString* error)
    {
        const QString tmp = QStringLiteral("%1.tmp.%2.%3")
                                .arg(stateFile)
                                .arg(qint64(::getpid()))
                                .arg(QRandomGenerator::global()->generate(), 8, 16, QLatin1Char('0'));
        const QByteArray tmpName = QFile::encodeName(tmp);
        UniqueFd fd(::open(tmpName.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!fd.isValid() || ::write(fd.get(), text.constData(), size_t(text.size())) != text.size()) {
            *error = QStringLiteral("cannot write %1: %2").arg(tmp, lastError());
            ::unlink(tmpName.constData());
            return false;
        }
        fd.reset();
        if (::rename(tmpName.constData(), QFile::encodeName(stateFile).constData()) != 0) {
            *error = QStringLiteral("cannot rename %1 to %2: %3").arg(tmp, stateFile, lastError());
            ::unlink(tmpName.constData());
            return false;
        }
        return true;
    }

    // server.ts's startupFailed: the reason goes to stderr and to <stateDir>/browse-startup-error.log.
    int startupFailed(const QString& stateDir, const QString& why)
    {
        const QString message = QStringLiteral("[browse] Failed to start: %1").arg(why);
        QFile log(stateDir + QLatin1String("/browse-startup-error.log"));
        if (log.open(QIODevice::WriteOnly | QIODevice::Truncate))
            log.write(QStringLiteral("%1 %2\n")
                          .arg(QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs), why)
                          .toUtf8());
        return fail(message);
    }

    int runGstackDaemon(const QStringList& argv)
    {
        const QString stateFileEnv = qEnvironmentVariable("BROWSE_STATE_FILE");
        if (stateFileEnv.isEmpty())
            return fail(QStringLiteral("[browse] Failed to start: BROWSE_STATE_FILE is not set (the stand-in does "
                                       "not look for a git toplevel)"));
        const QString stateFile = QFileInfo(stateFileEnv).absoluteFilePath();
        // bun run <abs>/server.ts: server.ts is the script; record it as upstream records its own path.
        const qsizetype run = argv.indexOf(QStringLiteral("run"));
        const QString serverPath = run >= 0 && run + 1 < argv.size() ? QFileInfo(argv.at(run + 1)).absoluteFilePath()
                                                                     : QFileInfo(argv.value(0)).absoluteFilePath();

        Server server;
        QString error;
        if (!server.setUp(&error))
            return fail(error);
        const QString stateDir = QFileInfo(stateFile).absolutePath();
        if (!QFileInfo(stateDir).isDir() && ::mkdir(QFile::encodeName(stateDir).constData(), 0700) != 0)
            return fail(QStringLiteral("[browse] Failed to start: mkdir %1: %2").arg(stateDir, lastError()));
        QFile::remove(stateDir + QLatin1String("/browse-startup-error.log"));

        const int fixedPort = qEnvironmentVariableIntValue("BROWSE_PORT");
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_port = htons(quint16(fixedPort > 0 && fixedPort < 65536 ? fixedPort : 0));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        socklen_t length = sizeof address;
        if (!listener.isValid() || ::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0
            || ::listen(listener.get(), 16) != 0
            || ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
            return startupFailed(stateDir, QStringLiteral("listen on 127.0.0.1: %1").arg(lastError()));
        const int port = ntohs(address.sin_port);
        server.listenOn(std::move(listener));

        const bool headed = qEnvironmentVariable("BROWSE_HEADED") == QLatin1String("1");
        const QString mode = headed ? QStringLiteral("headed") : QStringLiteral("launched");
        QJsonObject state { { QStringLiteral("pid"), qint64(::getpid()) }, { QStringLiteral("port"), port },
            { QStringLiteral("token"), QUuid::createUuid().toString(QUuid::WithoutBraces) },
            { QStringLiteral("startedAt"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs) },
            { QStringLiteral("serverPath"), serverPath }, { QStringLiteral("mode"), mode } };
        if (const QString hash = qEnvironmentVariable("BROWSE_CONFIG_HASH"); !hash.isEmpty())
            state.insert(QStringLiteral("configHash"), hash);
        QByteArray text = toJsonText(state,
            { QStringLiteral("pid"), QStringLiteral("port"), QStringLiteral("token"), QStringLiteral("startedAt"),
                QStringLiteral("serverPath"), QStringLiteral("binaryVersion"), QStringLiteral("mode"),
                QStringLiteral("configHash") });
        text.chop(1); // JSON.stringify(state, null, 2): no final newline
        if (!writeState(stateFile, text, &error))
            return startupFailed(stateDir, error);
        std::printf("[browse] Server running on http://127.0.0.1:%d (PID: %lld)\n[browse] State file: %s\n", port,
            qint64(::getpid()), qPrintable(stateFile));
        std::fflush(stdout);

        const qint64 started = monotonicMs();
        const QString why = server.serve([&](Client& c) {
            qsizetype end = c.input.indexOf("\r\n\r\n");
            if (end < 0)
                end = c.input.indexOf("\n\n");
            if (end < 0)
                return Next::Keep;
            // "GET /health?x HTTP/1.1"
            const QList<QByteArray> requestLine = c.input.left(c.input.indexOf('\n')).trimmed().split(' ');
            const QByteArray method = requestLine.value(0);
            QByteArray target = requestLine.value(1);
            if (const qsizetype q = target.indexOf('?'); q >= 0)
                target.truncate(q);
            if (method == "GET" && target == "/health") {
                // server.ts's field order: status, mode, uptime, tabs.
                const QByteArray body = "{\"status\":\"healthy\",\"mode\":\"" + mode.toLatin1()
                    + "\",\"uptime\":" + QByteArray::number((monotonicMs() - started) / 1000) + ",\"tabs\":0}";
                sendAll(c.fd.get(), httpResponse(200, "OK", "application/json", body));
            } else {
                sendAll(c.fd.get(), httpResponse(404, "Not Found", "text/plain", "Not found"));
            }
            return Next::Close;
        });
        std::printf("[browse] Shutting down... (%s)\n", qPrintable(why));
        server.closeAll();
        ::unlink(QFile::encodeName(stateFile).constData()); // server.ts removes its state file unconditionally
        return 0;
    }

    // ---- Nx daemon -------------------------------------------------------------------------------

    int runNxDaemon()
    {
        const QString ws = QDir::currentPath();
        const QString stateDir = ws + QLatin1String("/.nx/workspace-data/d");
        const QString stateFile = stateDir + QLatin1String("/server-process.json");
        const QString socketPath = qEnvironmentVariable("NX_SOCKET_DIR") + QLatin1String("/d.sock");
        const auto log = [](const QString& message) {
            std::printf("[NX v24.0.7 Daemon Server] - %s - %s\n",
                qPrintable(QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)), qPrintable(message));
            std::fflush(stdout);
        };
        Server server;
        QString error;
        if (!server.setUp(&error))
            return fail(error);
        if (!QDir().mkpath(stateDir))
            return fail(QStringLiteral("cannot create %1").arg(stateDir));
        const QByteArray path = QFile::encodeName(socketPath);
        sockaddr_un address {};
        if (qEnvironmentVariable("NX_SOCKET_DIR").isEmpty() || path.size() >= qsizetype(sizeof address.sun_path))
            return fail(QStringLiteral("no usable socket path: %1").arg(socketPath));
        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path, path.constData(), size_t(path.size()));
        ::unlink(path.constData());
        UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!listener.isValid() || ::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0
            || ::listen(listener.get(), 16) != 0)
            return fail(QStringLiteral("listen %1: %2").arg(socketPath, lastError()));
        server.listenOn(std::move(listener));
        log(QStringLiteral("Started listening on: %1").arg(socketPath));
        const QJsonObject state { { QStringLiteral("processId"), qint64(::getpid()) },
            { QStringLiteral("socketPath"), socketPath }, { QStringLiteral("nxVersion"), QStringLiteral("24.0.7") } };
        QFile f(stateFile); // writeJsonFileAsync: in place, no tmp file, no lock
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)
            || f.write(toJsonText(
                   state, { QStringLiteral("processId"), QStringLiteral("socketPath"), QStringLiteral("nxVersion") }))
                < 0)
            return fail(QStringLiteral("cannot write %1: %2").arg(stateFile, f.errorString()));
        f.close();
        const QString why = server.serve([&](Client&) {
            log(QStringLiteral("Established a connection. Number of open connections: 1"));
            return Next::Close;
        });
        log(QStringLiteral("Server stopped because: \"%1\"").arg(why));
        server.closeAll();
        ::unlink(path.constData());
        // deleteDaemonJsonProcessCache: only while the file still names this process.
        const JsonFile now = readJsonFile(stateFile, 64 * 1024);
        if (now.ok() && now.object.value(QStringLiteral("processId")).toInteger() == qint64(::getpid()))
            ::unlink(QFile::encodeName(stateFile).constData());
        return 0;
    }

} // namespace

int run(const QByteArray& kind, int argc, char** argv)
{
    const QStringList args = arguments(argc, argv);
    if (kind == kCodexBroker)
        return runCodexBroker(args);
    if (kind == kGstackDaemon)
        return runGstackDaemon(args);
    if (kind == kNxDaemon)
        return runNxDaemon();
    std::fprintf(stderr, "stateward: unknown demo stand-in '%s' (expected %s, %s or %s)\n", kind.constData(),
        kCodexBroker, kGstackDaemon, kNxDaemon);
    return 2;
}

} // namespace Stateward::DemoStandIn
