// SPDX-License-Identifier: GPL-3.0-or-later
#include "brokersmodel.h"

#include "models/statusglyphs.h"

namespace Stateward {

namespace {

    enum class Identity
    {
        Verified,
        NotVerified,
        NotChecked, // the adapters check identity only for a live process
    };

    Identity identityOf(const Broker& b)
    {
        if (b.identityVerified)
            return Identity::Verified;
        return b.pid > 0 && b.liveness == Liveness::Alive ? Identity::NotVerified : Identity::NotChecked;
    }

    QString identityText(Identity identity)
    {
        switch (identity) {
        case Identity::Verified:
            return BrokersModel::tr("verified");
        case Identity::NotVerified:
            return BrokersModel::tr("not verified");
        case Identity::NotChecked:
            break;
        }
        return BrokersModel::tr("not checked");
    }

    Glyph identityGlyph(Identity identity)
    {
        switch (identity) {
        case Identity::Verified:
            return Glyph::Alive;
        case Identity::NotVerified:
            return Glyph::Warning;
        case Identity::NotChecked:
            break;
        }
        return Glyph::NoProcess;
    }

    QString reachableText(std::optional<bool> reachable)
    {
        if (!reachable)
            return BrokersModel::tr("not probed");
        return *reachable ? BrokersModel::tr("yes") : BrokersModel::tr("no");
    }

    Glyph reachableGlyph(std::optional<bool> reachable)
    {
        if (!reachable)
            return Glyph::NoProcess;
        return *reachable ? Glyph::Alive : Glyph::Dead;
    }

    QString brokerName(const Broker& b)
    {
        if (!b.stateFile.isEmpty())
            return folderName(b.stateFile);
        if (!b.sessionDir.isEmpty())
            return folderName(b.sessionDir);
        return b.id;
    }

    QString referencedText(const Broker& b)
    {
        if (b.referencedBy.isEmpty())
            return BrokersModel::tr("nothing (orphan)");
        QStringList names;
        names.reserve(b.referencedBy.size());
        for (const QString& r : b.referencedBy)
            names << folderName(r);
        return names.join(QStringLiteral(", "));
    }

} // namespace

BrokersModel::BrokersModel(QObject* parent)
    : KeyedRowModel(&Snapshot::brokers, &SnapshotChanges::brokers,
        {
            { tr("Family"), tr("The tool that keeps this state directory") },
            { tr("Broker"), tr("The state file that names it, or its session directory") },
            { tr("PID"), {}, true },
            { tr("Alive"), tr("Whether the process is running now") },
            { tr("Identity"), tr("Whether the process was verified to be this broker (command line, pid file)") },
            { tr("Endpoint"), {} },
            { tr("Reachable"), tr("Whether the endpoint answered a probe") },
            { tr("Referenced by"), tr("State files naming this broker; none means it is an orphan") },
            { tr("Workspace"), {} },
        },
        -1, parent)
{ }

QVariant BrokersModel::rowData(const BrokerRow& row, int column, int role) const
{
    const Broker& b = row.item;
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case FamilyColumn:
            return nameOf(row.origin.family);
        case BrokerColumn:
            return brokerName(b);
        case PidColumn:
            return pidText(b.pid);
        case AliveColumn:
            return livenessText(b.pid, b.liveness);
        case IdentityColumn:
            return identityText(identityOf(b));
        case EndpointColumn:
            return b.endpoint;
        case ReachableColumn:
            return reachableText(b.reachable);
        case ReferencedByColumn:
            return referencedText(b);
        case WorkspaceColumn:
            return folderName(row.origin.workspace);
        }
        break;
    case SortRole:
        switch (column) {
        case PidColumn:
            return b.pid;
        case AliveColumn:
            return livenessRank(b.pid, b.liveness);
        case IdentityColumn:
            return int(identityOf(b));
        case ReachableColumn:
            return b.reachable ? int(*b.reachable) : -1; // not probed sorts first
        case ReferencedByColumn:
            return int(b.referencedBy.size());
        case WorkspaceColumn:
            return row.origin.workspace;
        }
        break;
    case Qt::DecorationRole:
        switch (column) {
        case AliveColumn:
            return glyphIcon(glyphFor(b.pid, b.liveness));
        case IdentityColumn:
            return glyphIcon(identityGlyph(identityOf(b)));
        case ReachableColumn:
            return glyphIcon(reachableGlyph(b.reachable));
        case ReferencedByColumn:
            return b.referencedBy.isEmpty() ? glyphIcon(Glyph::Warning) : QVariant();
        }
        break;
    case Qt::ToolTipRole:
        switch (column) {
        case BrokerColumn: {
            QStringList lines;
            if (!b.stateFile.isEmpty())
                lines << tr("state file: %1").arg(b.stateFile);
            if (!b.sessionDir.isEmpty())
                lines << tr("session dir: %1").arg(b.sessionDir);
            lines << b.id;
            return lines.join(QLatin1Char('\n'));
        }
        case PidColumn:
        case AliveColumn:
            return b.pid > 0 ? tr("PID %1 is %2").arg(b.pid).arg(nameOf(b.liveness)) : tr("no PID recorded");
        case IdentityColumn:
            return b.identityEvidence.isEmpty() ? identityText(identityOf(b)) : b.identityEvidence;
        case ReferencedByColumn:
            return b.referencedBy.isEmpty() ? tr("no state file names this process: an orphan")
                                            : b.referencedBy.join(QLatin1Char('\n'));
        case FamilyColumn:
        case WorkspaceColumn:
            return originToolTip(row.origin);
        default:
            return {};
        }
    default:
        break;
    }
    return {};
}

} // namespace Stateward
