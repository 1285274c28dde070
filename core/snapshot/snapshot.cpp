// SPDX-License-Identifier: GPL-3.0-or-later
#include "snapshot.h"

#include <QJsonArray>

#include <algorithm>

namespace Stateward {

namespace {

    QString iso(const QDateTime& t)
    {
        return t.isValid() ? t.toString(Qt::ISODateWithMs) : QString();
    }

    template <typename T> const T* withId(const QList<T>& items, const QString& id)
    {
        const auto it = std::find_if(items.begin(), items.end(), [&id](const T& item) { return item.id == id; });
        return it == items.end() ? nullptr : &*it;
    }

    // Each item's object is made when the sink asks for it, so a stream holds one at a time.
    template <typename List> std::function<void(JsonArraySink&)> elementsOf(const List& items)
    {
        return [&items](JsonArraySink& sink) {
            for (const auto& item : items)
                sink.append(item.toJson());
        };
    }

} // namespace

QString nameOf(Severity severity)
{
    switch (severity) {
    case Severity::Info:
        return QStringLiteral("info");
    case Severity::Warning:
        return QStringLiteral("warning");
    case Severity::Error:
        return QStringLiteral("error");
    case Severity::Critical:
        return QStringLiteral("critical");
    }
    return {};
}

QJsonObject Job::toJson() const
{
    return QJsonObject {
        { QStringLiteral("id"), id },
        { QStringLiteral("jobId"), jobId },
        { QStringLiteral("title"), title },
        { QStringLiteral("kind"), kind },
        { QStringLiteral("status"), status },
        { QStringLiteral("pid"), pid },
        { QStringLiteral("liveness"), pid > 0 ? nameOf(liveness) : QStringLiteral("none") },
        { QStringLiteral("startedAt"), iso(startedAt) },
        { QStringLiteral("updatedAt"), iso(updatedAt) },
        { QStringLiteral("recordFile"), recordFile },
        { QStringLiteral("logFile"), logFile },
        { QStringLiteral("inIndex"), inIndex },
    };
}

QJsonObject Broker::toJson() const
{
    return QJsonObject {
        { QStringLiteral("id"), id },
        { QStringLiteral("pid"), pid },
        { QStringLiteral("startTicks"), startTicks },
        { QStringLiteral("startTicks"), startTicks },
        { QStringLiteral("liveness"), pid > 0 ? nameOf(liveness) : QStringLiteral("none") },
        { QStringLiteral("identityVerified"), identityVerified },
        { QStringLiteral("identityEvidence"), identityEvidence },
        { QStringLiteral("endpoint"), endpoint },
        { QStringLiteral("reachable"), reachable ? QJsonValue(*reachable) : QJsonValue() },
        { QStringLiteral("stateFile"), stateFile },
        { QStringLiteral("sessionDir"), sessionDir },
        { QStringLiteral("referencedBy"), QJsonArray::fromStringList(referencedBy) },
    };
}

QJsonObject LockHolder::toJson() const
{
    QJsonObject o = verdict.toJson();
    o.insert(QStringLiteral("id"), id);
    return o;
}

QJsonObject TempFile::toJson() const
{
    QJsonArray open;
    for (qint64 p : openBy)
        open.append(p);
    return QJsonObject {
        { QStringLiteral("id"), id },
        { QStringLiteral("path"), path },
        { QStringLiteral("family"), name.family },
        { QStringLiteral("pattern"), name.pattern },
        { QStringLiteral("target"), name.target },
        { QStringLiteral("ownerPid"), name.ownerPid },
        { QStringLiteral("ownerLiveness"), name.ownerPid > 0 ? nameOf(ownerLiveness) : QStringLiteral("none") },
        { QStringLiteral("size"), size },
        { QStringLiteral("mtime"), iso(mtime) },
        { QStringLiteral("openBy"), open },
        { QStringLiteral("orphan"), orphan },
        { QStringLiteral("reason"), reason },
    };
}

QJsonObject Finding::toJson() const
{
    return QJsonObject {
        { QStringLiteral("id"), id },
        { QStringLiteral("code"), code },
        { QStringLiteral("severity"), nameOf(severity) },
        { QStringLiteral("subject"), subject },
        { QStringLiteral("summary"), summary },
        { QStringLiteral("evidence"), evidence },
        { QStringLiteral("repairs"), QJsonArray::fromStringList(namesOf(repairs)) },
    };
}

FindingTarget FindingTarget::item(const QString& path, const QString& itemId)
{
    FindingTarget t(path);
    t.itemId = itemId;
    return t;
}

FindingTarget FindingTarget::entry(const QString& indexPath, const QString& entryId, const QString& itemId)
{
    FindingTarget t(indexPath);
    t.entryId = entryId;
    t.itemId = itemId;
    return t;
}

FindingTarget FindingTarget::process(const QString& path, qint64 pid, const QString& itemId)
{
    FindingTarget t(path);
    t.pid = pid;
    t.itemId = itemId;
    return t;
}

QString FindingTarget::subject() const
{
    if (pid > 0)
        return QStringLiteral("%1#pid=%2").arg(path).arg(pid);
    return entryId.isEmpty() ? path : path + QLatin1Char('#') + entryId;
}

void Snapshot::addFinding(const QString& code, Severity severity, const FindingTarget& target, const QString& summary,
    const QString& evidence, const QList<RepairKind>& repairs)
{
    const QString subject = target.subject();
    findings.append(
        Finding { code + QLatin1Char(':') + subject, code, severity, subject, target, summary, evidence, repairs });
}

QString Recognition::describe() const
{
    if (!known())
        return QStringLiteral("unknown");
    return layout.isEmpty() ? tool : QStringLiteral("%1 (%2)").arg(tool, layout);
}

QJsonObject Recognition::toJson() const
{
    return QJsonObject {
        { QStringLiteral("tool"), tool.isEmpty() ? QJsonValue() : QJsonValue(tool) },
        { QStringLiteral("layout"), layout },
        { QStringLiteral("evidence"), evidence },
    };
}

Severity Snapshot::worst() const
{
    Severity w = Severity::Info;
    for (const Finding& f : findings)
        w = qMax(w, f.severity);
    return w;
}

const Broker* Snapshot::brokerWithId(const QString& id) const
{
    return withId(brokers, id);
}

const LockHolder* Snapshot::lockWithId(const QString& id) const
{
    return withId(locks, id);
}

const TempFile* Snapshot::tempFileWithId(const QString& id) const
{
    return withId(tempFiles, id);
}

JsonMembers Snapshot::jsonMembers() const
{
    return JsonMembers {
        { QStringLiteral("family"), nameOf(family), {} },
        { QStringLiteral("workspace"), workspace, {} },
        { QStringLiteral("stateDir"), stateDir, {} },
        { QStringLiteral("recognised"), recognised.toJson(), {} },
        { QStringLiteral("scannedAt"), iso(scannedAt), {} },
        { QStringLiteral("jobs"), {}, elementsOf(jobs) },
        { QStringLiteral("brokers"), {}, elementsOf(brokers) },
        { QStringLiteral("locks"), {}, elementsOf(locks) },
        { QStringLiteral("tempFiles"), {}, elementsOf(tempFiles) },
        { QStringLiteral("findings"), {}, elementsOf(findings) },
    };
}

QJsonObject Snapshot::toJson() const
{
    return toJsonObject(jsonMembers());
}

} // namespace Stateward
