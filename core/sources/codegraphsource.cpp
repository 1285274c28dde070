// SPDX-License-Identifier: GPL-3.0-or-later
#include "codegraphsource.h"

#include "proc/regularfile.h"

#include <QDir>
#include <QFileInfo>
#include <QSet>

namespace Stateward {

namespace {

    const QByteArray kHeaderPrefix = "# codegraph-journal v1 ";

    // Reads the journal as codegraph's readJournal does (docs/formats/codegraph.md) and reports
    // what would make codegraph ignore it or lose entries.
    void checkJournal(Snapshot& s)
    {
        const QString path = QDir(s.stateDir).filePath(QStringLiteral("changes.journal"));
        const QFileInfo info(path);
        if (!info.exists() && !info.isSymLink())
            return;
        if (info.isSymLink()) {
            s.addFinding(QStringLiteral("journal-symlink"), Severity::Error, path,
                QStringLiteral("the journal is a symlink; not followed"),
                QStringLiteral("points to %1").arg(info.symLinkTarget()));
            return;
        }
        if (info.size() > CodegraphSource::kMaxJournalBytes) {
            s.addFinding(QStringLiteral("journal-too-large"), Severity::Warning, path,
                QStringLiteral("the journal is too large to check"),
                QStringLiteral("%1 bytes, more than the %2 bytes Stateward reads")
                    .arg(info.size())
                    .arg(CodegraphSource::kMaxJournalBytes));
            return;
        }
        const RegularFile file = readRegularFile(path, CodegraphSource::kMaxJournalBytes);
        if (file.status == RegularFile::Status::TooLarge) { // grew since the size was checked
            s.addFinding(QStringLiteral("journal-too-large"), Severity::Warning, path,
                QStringLiteral("the journal is too large to check"), file.problem);
            return;
        }
        if (!file.ok()) {
            s.addFinding(QStringLiteral("journal-unreadable"), Severity::Error, path,
                QStringLiteral("cannot read the journal"), file.problem);
            return;
        }
        const QByteArray& data = file.bytes;
        if (data.isEmpty()) {
            s.addFinding(QStringLiteral("journal-empty"), Severity::Warning, path,
                QStringLiteral("zero-byte journal: codegraph reads it as invalid"),
                QStringLiteral("no header line; the next build falls back to a full scan"));
            return;
        }
        const qsizetype firstNl = data.indexOf('\n');
        const QByteArray header = data.left(firstNl < 0 ? data.size() : firstNl);
        QList<QByteArray> lines = data.mid(firstNl < 0 ? data.size() : firstNl + 1).split('\n');
        const bool torn = !data.endsWith('\n');
        if (!lines.isEmpty() && lines.last().isEmpty())
            lines.removeLast();
        QSet<QByteArray> changed, removed;
        for (const QByteArray& raw : lines) {
            const QByteArray line = raw.trimmed();
            if (line.isEmpty() || line.startsWith('#'))
                continue;
            if (line.startsWith("DELETED "))
                removed.insert(line.mid(8));
            else
                changed.insert(line);
        }
        const QString counts = QStringLiteral("%1 changed and %2 removed paths in %3 bytes")
                                   .arg(changed.size())
                                   .arg(removed.size())
                                   .arg(data.size());
        if (!header.startsWith(kHeaderPrefix)) {
            s.addFinding(QStringLiteral("journal-bad-header"), Severity::Error, path,
                QStringLiteral("malformed journal header: codegraph ignores this journal"),
                QStringLiteral("line 1 is '%1', expected '%2<ms timestamp>'; %3")
                    .arg(QString::fromUtf8(header.left(80)), QString::fromLatin1(kHeaderPrefix), counts));
        } else {
            bool ok = false;
            const double ts = header.mid(kHeaderPrefix.size()).trimmed().toDouble(&ok);
            if (!ok || !(ts > 0)) {
                s.addFinding(QStringLiteral("journal-placeholder-header"), Severity::Warning, path,
                    QStringLiteral("journal header has no valid timestamp: codegraph reads it as invalid"),
                    QStringLiteral("header timestamp '%1' (appendJournalEntries writes 0 when it creates the file, "
                                   "and only a build stamps a real one); %2 are ignored until then")
                        .arg(QString::fromUtf8(header.mid(kHeaderPrefix.size()).trimmed()), counts));
            }
        }
        if (torn) {
            s.addFinding(QStringLiteral("journal-torn-line"), Severity::Warning, path,
                QStringLiteral("the journal's last line is incomplete"),
                QStringLiteral("'%1' has no newline: an append was cut short; %2")
                    .arg(QString::fromUtf8(lines.isEmpty() ? header.right(80) : lines.last().right(80)), counts));
        }
    }

} // namespace

QStringList CodegraphSource::candidateStateDirs(const QString& workspace) const
{
    return { QDir(workspace).filePath(QStringLiteral(".codegraph")) };
}

Snapshot CodegraphSource::scan(const QString& workspace, const QString& stateDir, ScanContext& context) const
{
    Snapshot s;
    if (!beginSnapshot(s, Family::Codegraph, workspace, stateDir))
        return s;
    checkJournal(s);
    scanLocksAndTempFiles(s, context);
    return s;
}

} // namespace Stateward
