// SPDX-License-Identifier: GPL-3.0-or-later
#include "tmpfiles.h"

#include <QList>
#include <QRegularExpression>

namespace Stateward {

namespace {

    struct Rule
    {
        const char* family;
        const char* pattern;
        QRegularExpression re; // captures: "target" (or fixedTarget), "pid" when present
        const char* fixedTarget;
    };

    const QList<Rule>& rules()
    {
        static const QList<Rule> table = [] {
            auto re = [](const char* p) { return QRegularExpression(QString::fromLatin1(p)); };
            return QList<Rule> {
                // Ours first: its suffix is unambiguous.
                { "stateward", "<file>.<pid>.<hex>.stateward.tmp",
                    re("^(?<target>.+)\\.(?<pid>\\d+)\\.[0-9a-f]+\\.stateward\\.tmp$"), nullptr },
                { "trajectories", "index.json.<pid>.<uuid>.tmp",
                    re("^index\\.json\\.(?<pid>\\d+)\\.[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                       "[0-9a-fA-F]{12}\\.tmp$"),
                    "index.json" },
                { "trajectories", "index.json.tmp", re("^index\\.json\\.tmp$"), "index.json" },
                // Steal tmp of the journal lock.
                { "codegraph", "changes.journal.lock.<pid>-<16 hex>.tmp",
                    re("^changes\\.journal\\.lock\\.(?<pid>\\d+)-[0-9a-f]{16}\\.tmp$"), "changes.journal.lock" },
                // Ours for any other lock: the same shape, so each tool's sweep knows them.
                { "stateward", "<file>.lock.<pid>-<16 hex>.tmp",
                    re("^(?<target>.+\\.lock)\\.(?<pid>\\d+)-[0-9a-f]{16}\\.tmp$"), nullptr },
                { "codegraph", "changes.journal.tmp", re("^changes\\.journal\\.tmp$"), "changes.journal" },
                { "codegraph", ".<name>.db.tmp-<pid>-<ms>-<12 hex>",
                    re("^\\.(?<target>.+\\.db)\\.tmp-(?<pid>\\d+)-\\d+-[0-9a-f]{12}$"), nullptr },
                { "codegraph", "<db>.restore-tmp-<pid>-<ms>-<12 hex>",
                    re("^(?<target>.+)\\.restore-tmp-(?<pid>\\d+)-\\d+-[0-9a-f]{12}$"), nullptr },
                { "gstack", "browse.json.tmp.<pid>.<8 hex>", re("^browse\\.json\\.tmp\\.(?<pid>\\d+)\\.[0-9a-f]{8}$"),
                    "browse.json" },
                { "gstack", "browse.json.tmp", re("^browse\\.json\\.tmp$"), "browse.json" },
                { "gstack", ".tmp-claude-<pid>", re("^\\.tmp-claude-(?<pid>\\d+)$"), "claude-available.json" },
                { "gstack", ".tmp-tabs-<pid>", re("^\\.tmp-tabs-(?<pid>\\d+)$"), "tabs.json" },
                { "gstack", ".tmp-tab-<pid>", re("^\\.tmp-tab-(?<pid>\\d+)$"), "active-tab.json" },
            };
        }();
        return table;
    }

} // namespace

TmpFileName recogniseTmpName(const QString& fileName)
{
    TmpFileName t;
    // Every rule's name holds a literal "tmp": the other files of a tree (every record a scan
    // walks past) are turned away without running thirteen regexes each.
    if (!fileName.contains(QLatin1String("tmp")))
        return t;
    for (const Rule& rule : rules()) {
        Q_ASSERT(rule.re.pattern().contains(QLatin1String("tmp"))); // a rule without one breaks the shortcut
        const QRegularExpressionMatch m = rule.re.match(fileName);
        if (!m.hasMatch())
            continue;
        t.recognised = true;
        t.family = QLatin1String(rule.family);
        t.pattern = QLatin1String(rule.pattern);
        t.target = rule.fixedTarget ? QLatin1String(rule.fixedTarget) : m.captured(u"target");
        bool ok = false;
        const qint64 pid = m.captured(u"pid").toLongLong(&ok);
        t.ownerPid = ok && pid > 0 ? pid : -1;
        return t;
    }
    return t;
}

TmpFileName recogniseGstackScratchName(const QString& fileName)
{
    // mktemp's six characters; BSD mktemp once left the template itself, "codex-err-XXXXXX.txt" (gstack #2091).
    static const QRegularExpression re(
        QStringLiteral("^codex-(?<kind>err|prompt|resp)-(?:[A-Za-z0-9]{6}|XXXXXX\\.txt)$"));
    TmpFileName t;
    const QRegularExpressionMatch m = re.match(fileName);
    if (!m.hasMatch())
        return t;
    t.recognised = true;
    t.family = QStringLiteral("gstack");
    t.pattern = QStringLiteral("tmp/codex-%1-XXXXXX").arg(m.captured(u"kind"));
    t.target = QStringLiteral("the /codex skill's %1")
                   .arg(m.captured(u"kind") == QLatin1String("err")         ? QStringLiteral("stderr capture")
                           : m.captured(u"kind") == QLatin1String("prompt") ? QStringLiteral("prompt")
                                                                            : QStringLiteral("response"));
    // The skill reads them back across several tool calls around a codex run of up to 10 minutes
    // (its timeout wrapper); an hour unopened is well past any run.
    t.idleLimitMs = 60 * 60 * 1000;
    return t;
}

} // namespace Stateward
