// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The agent-trajectories drivers in tests/interop/trajectories (see the README there): the real
// npm package at every published version from 0.3.1 to 0.6.1, run by Node. Failures come back as values, not QVERIFYs,
// so a caller can retry, skip or assert as it needs.
#include "nodetools.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QList>
#include <QMap>
#include <QProcess>
#include <QRegularExpression>
#include <QString>
#include <QStringList>

#include <memory>
#include <vector>

namespace TrajectoryTools {

// tests/interop/trajectories/<name>
inline QString driver(const char* name)
{
    return QStringLiteral(STATEWARD_SOURCE_DIR "/tests/interop/trajectories/") + QLatin1String(name);
}

// Empty when the drivers can run, otherwise what to do about it.
inline QString missing()
{
    if (const QString why = NodeTools::missingNode(); !why.isEmpty())
        return why;
    for (const char* alias : { "trajectories-031", "trajectories-041", "trajectories-052", "trajectories-054",
             "trajectories-056", "trajectories-059", "trajectories-061" }) {
        if (!QFile::exists(driver("node_modules/") + QLatin1String(alias) + QLatin1String("/package.json")))
            return QStringLiteral("tests/interop/trajectories/node_modules/%1 is missing: run scripts/deps")
                .arg(QLatin1String(alias));
    }
    return {};
}

namespace detail {

    struct Run
    {
        bool finished = false; // within the timeout
        int exitCode = -1;
        QByteArray out;
        QByteArray err;
        bool ok() const { return finished && exitCode == 0; }
        QString what() const
        {
            if (!finished)
                return QStringLiteral("timed out");
            return QStringLiteral("exit %1: %2").arg(exitCode).arg(QString::fromUtf8(err.trimmed().right(400)));
        }
    };

    inline Run node(const char* script, const QStringList& arguments, int timeoutMs)
    {
        Run r;
        QProcess p;
        p.start(NodeTools::node(), QStringList { driver(script) } + arguments);
        r.finished = p.waitForFinished(timeoutMs);
        if (!r.finished) {
            p.kill();
            p.waitForFinished(5000);
        }
        r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out = p.readAllStandardOutput();
        r.err = p.readAllStandardError();
        return r;
    }

    inline QStringList lines(const QByteArray& out)
    {
        QStringList result;
        for (const QByteArray& line : out.split('\n')) {
            if (!line.trimmed().isEmpty())
                result.append(QString::fromUtf8(line.trimmed()));
        }
        return result;
    }

} // namespace detail

// Starts n concurrent `race-save.mjs WS traj_raceNN "title NN"` (agent-trajectories 0.4.1's own
// FileStorage.save, with no lock) and waits for all of them. ids receives every id started, in
// order (traj_race01…, zero-padded so they sort). Returns how many printed `saved ID` and exited
// 0. startAtMs (epoch ms, optional) makes them all wait for that moment before saving.
inline int runSeedRace(const QString& ws, int n, QStringList* ids, qint64 startAtMs = 0, int timeoutMs = 60000)
{
    const int width = QString::number(n).size() < 2 ? 2 : int(QString::number(n).size());
    std::vector<std::unique_ptr<QProcess>> processes;
    QStringList started;
    for (int i = 1; i <= n; ++i) {
        const QString id = QStringLiteral("traj_race%1").arg(i, width, 10, QLatin1Char('0'));
        QStringList arguments { driver("race-save.mjs"), ws, id, QStringLiteral("title %1").arg(i) };
        if (startAtMs > 0)
            arguments.append(QString::number(startAtMs));
        auto p = std::make_unique<QProcess>();
        p->start(NodeTools::node(), arguments);
        processes.push_back(std::move(p));
        started.append(id);
    }
    const QDeadlineTimer deadline(timeoutMs);
    int saved = 0;
    for (int i = 0; i < n; ++i) {
        QProcess& p = *processes[size_t(i)];
        if (!p.waitForFinished(int(qMax<qint64>(1, deadline.remainingTime())))) {
            p.kill();
            p.waitForFinished(5000);
            continue;
        }
        const QByteArray expected = "saved " + started[i].toUtf8();
        if (p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0
            && p.readAllStandardOutput().split('\n').contains(expected))
            ++saved;
    }
    if (ids)
        *ids = started;
    return saved;
}

// The ids the real `trail list` of version "031" … "061" shows for WS (list.mjs). On failure
// returns {} and sets *error; an empty list with an empty error means trail listed none. 0.4.1
// lists index entries only, at most 50; 0.6.1 scans the files. diagnostics receives trail's
// stderr (e.g. 0.4.1's "Error loading trajectory index" for a malformed index).
inline QStringList trailList(
    const QString& ws, const QString& version, QString* error = nullptr, QString* diagnostics = nullptr)
{
    const auto fail = [&](const QString& why) {
        if (error)
            *error = QStringLiteral("list.mjs %1 --version %2: %3").arg(ws, version, why);
        return QStringList();
    };
    if (error)
        error->clear();
    const detail::Run r = detail::node("list.mjs", { ws, QStringLiteral("--version"), version }, 30000);
    if (diagnostics)
        *diagnostics = QString::fromUtf8(r.err);
    if (!r.ok())
        return fail(r.what());
    QStringList ids = detail::lines(r.out);
    static const QRegularExpression countLine(QStringLiteral("^count (\\d+)$"));
    const QRegularExpressionMatch m = countLine.match(ids.isEmpty() ? QString() : ids.last());
    if (!m.hasMatch())
        return fail(QStringLiteral("no final 'count N' line in %1").arg(QString::fromUtf8(r.out.left(200))));
    ids.removeLast();
    if (m.captured(1).toInt() != ids.size())
        return fail(QStringLiteral("'count %1' but %2 ids").arg(m.captured(1)).arg(ids.size()));
    static const QRegularExpression idLine(QStringLiteral("^traj_\\S+$"));
    for (const QString& id : std::as_const(ids)) {
        if (!idLine.match(id).hasMatch())
            return fail(QStringLiteral("unexpected line '%1'").arg(id));
    }
    return ids;
}

// Builds the 0.6.1 fixture in WS with the real `trail` 0.6.1 CLI (make-061.mjs, ~7 s): two
// completed, one abandoned, one active trajectory; git=false passes --no-git. outputLines receives
// stdout (`trajectory ID STATUS` ×4, `file PATH`…, `count N`), or the failure as one line.
inline bool make061(const QString& ws, bool git, QStringList* outputLines)
{
    QStringList arguments { ws };
    if (!git)
        arguments.append(QStringLiteral("--no-git"));
    const detail::Run r = detail::node("make-061.mjs", arguments, 60000);
    const QStringList out = detail::lines(r.out);
    const bool ok = r.ok() && !out.isEmpty() && out.last().startsWith(QLatin1String("count "));
    if (outputLines)
        *outputLines = ok ? out : QStringList { QStringLiteral("make-061.mjs failed: ") + r.what() };
    return ok;
}

// make061()'s `trajectory ID STATUS` lines as id → status.
inline QMap<QString, QString> madeTrajectories(const QStringList& outputLines)
{
    QMap<QString, QString> made;
    for (const QString& line : outputLines) {
        const QStringList parts = line.split(QLatin1Char(' '));
        if (parts.size() == 3 && parts[0] == QLatin1String("trajectory"))
            made.insert(parts[1], parts[2]);
    }
    return made;
}

// make061()'s `file PATH` lines (relative to WS).
inline QStringList madeFiles(const QStringList& outputLines)
{
    QStringList files;
    for (const QString& line : outputLines) {
        if (line.startsWith(QLatin1String("file ")))
            files.append(line.mid(5));
    }
    return files;
}

} // namespace TrajectoryTools
