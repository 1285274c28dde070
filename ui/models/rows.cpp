// SPDX-License-Identifier: GPL-3.0-or-later
#include "rows.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QLocale>

namespace Stateward {

namespace {

    RowChange visibleIf(bool differs)
    {
        return differs ? RowChange::Visible : RowChange::None;
    }

} // namespace

RowChange compareItems(const Job& a, const Job& b)
{
    return visibleIf(a != b);
}

RowChange compareItems(const Broker& a, const Broker& b)
{
    return visibleIf(a != b);
}

RowChange compareItems(const LockHolder& a, const LockHolder& b)
{
    if (a == b)
        return RowChange::None;
    // ageMs is mtime measured at scan time: every scan moves it, the age column derives it from mtime.
    // A row that differs in ageMs alone changes quietly.
    if (a.verdict.ageMs == b.verdict.ageMs)
        return RowChange::Visible;
    LockHolder sameAge = b;
    sameAge.verdict.ageMs = a.verdict.ageMs;
    return a == sameAge ? RowChange::Quiet : RowChange::Visible;
}

RowChange compareItems(const TempFile& a, const TempFile& b)
{
    return visibleIf(a != b);
}

RowChange compareItems(const Finding& a, const Finding& b)
{
    return visibleIf(a != b);
}

RowChange compareItems(const Problem& a, const Problem& b)
{
    return visibleIf(a != b);
}

QString pidText(qint64 pid)
{
    return pid > 0 ? QString::number(pid) : QStringLiteral("\u2014");
}

QString livenessText(qint64 pid, Liveness liveness)
{
    return pid > 0 ? nameOf(liveness) : QStringLiteral("no PID");
}

QString ageText(qint64 ms)
{
    if (ms < 0)
        return {};
    const qint64 s = ms / 1000;
    if (s < 120)
        return QStringLiteral("%1 s").arg(s);
    if (s < 120 * 60)
        return QStringLiteral("%1 min").arg(s / 60);
    if (s < 48 * 3600)
        return QStringLiteral("%1 h").arg(s / 3600);
    return QStringLiteral("%1 d").arg(s / 86400);
}

QString sizeText(qint64 bytes)
{
    return QLocale::system().formattedDataSize(qMax<qint64>(0, bytes), 1, QLocale::DataSizeTraditionalFormat);
}

QString timeText(const QDateTime& time)
{
    return time.isValid() ? time.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")) : QString();
}

QString folderName(const QString& path)
{
    const QString name = QFileInfo(path).fileName();
    return name.isEmpty() ? path : name;
}

int livenessRank(qint64 pid, Liveness liveness)
{
    if (pid <= 0)
        return 4;
    switch (liveness) {
    case Liveness::Alive:
        return 0;
    case Liveness::Zombie:
        return 1;
    case Liveness::Dead:
        return 2;
    case Liveness::Invalid:
        break;
    }
    return 3;
}

QString workspacePath(const QString& path, const Origin& origin)
{
    if (!origin.workspace.isEmpty() && path.size() > origin.workspace.size() + 1 && path.startsWith(origin.workspace)
        && path.at(origin.workspace.size()) == QLatin1Char('/'))
        return path.mid(origin.workspace.size() + 1);
    return path;
}

QString originToolTip(const Origin& origin)
{
    return QCoreApplication::translate("Stateward::KeyedModel", "workspace: %1\nstate dir: %2")
        .arg(origin.workspace, origin.stateDir);
}

JobPhase jobPhase(const QString& status)
{
    // Runs for every job on every timeline update: compare in place, no lowered copy.
    const QStringView s = QStringView(status).trimmed();
    auto isAny = [s](std::initializer_list<const char*> words) {
        for (const char* word : words) {
            if (s.compare(QLatin1String(word), Qt::CaseInsensitive) == 0)
                return true;
        }
        return false;
    };
    if (isAny({ "running", "active", "queued", "pending", "in_progress", "started", "starting" }))
        return JobPhase::Active;
    if (isAny({ "completed", "done", "succeeded", "success", "finished" }))
        return JobPhase::Done;
    if (isAny({ "failed", "error", "errored", "crashed" }))
        return JobPhase::Failed;
    if (isAny({ "abandoned", "cancelled", "canceled", "killed", "stopped" }))
        return JobPhase::Ended;
    return JobPhase::Other;
}

bool jobProcessGone(const Job& job)
{
    return jobPhase(job.status) == JobPhase::Active && job.pid > 0 && job.liveness != Liveness::Alive;
}

} // namespace Stateward
