// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "source.h"

namespace Stateward {

// The Codex plugin for Claude Code ("codex-companion", docs/formats/codex.md): per-workspace state
// dirs <root>/<slug>-<sha256(realpath(ws))[:16]> with state.json, jobs/<id>.json|log and
// broker.json naming a broker process and its $TMPDIR/cxc-XXXXXX session dir.
class CodexSource : public SourceAdapter
{
public:
    Family family() const override { return Family::Codex; }
    QString name() const override { return QStringLiteral("codex"); }
    QStringList candidateStateDirs(const QString& workspace) const override;
    Snapshot scan(const QString& workspace, const QString& stateDir, ScanContext& context) const override;
    // Brokers found in the process table, and their session dirs, change with no file named.
    bool agesWithTime(const Snapshot&) const override { return true; }
    const ToolIndex* index() const override; // state.json (codexindex.cpp)
    QStringList rewrittenInPlace(const Snapshot& snapshot) const override; // and running jobs' files
    QString daemonNoun() const override { return QStringLiteral("codex broker"); }
    // orphanBrokerMismatch, and still at the endpoint and in the session dir the scan saw.
    QString orphanMismatch(const ProcessInfo& live, const QString& stateDir, const Broker& seen) const override;
    // state.json and jobs/<id>.json (codexrepair.cpp).
    JobEnding endDeadJob(
        const QString& stateDir, const QString& index, const QString& jobId, qint64 pid) const override;
    const SessionDirs* sessionDirs() const override; // $TMPDIR/cxc-XXXXXX (codexrepair.cpp)

    // "<slug>-<hash>" exactly as upstream's resolveStateDir names it (git toplevel, else ws).
    static QString stateDirName(const QString& workspace);
    // $CLAUDE_PLUGIN_DATA/state, ~/.claude/plugins/data/*/state, $TMPDIR/codex-companion.
    static QStringList stateRoots();
    // A job id that is a plain file name in upstream's shape (`task-<base36>-<rand>`): ids are
    // used as jobs/<id>.json, so anything else ("../x") is a finding and never a path.
    static bool isSafeJobId(const QString& id);

    // Empty when p is a live codex broker of ours serving this state dir's workspace that
    // broker.json (naming namedPid) does not name, i.e. an orphan; else why not. The scan and the
    // terminate-orphan repair decide with this one rule.
    static QString orphanBrokerMismatch(const ProcessInfo& p, const QString& stateDir, qint64 namedPid);
    // Upstream's field order for state.json and job records (docs/formats/codex.md), for
    // toJsonText. A request object shares the list: its keys sit where they sort right.
    static const QStringList& keyOrder();
    // A broker session dir: $TMPDIR/cxc-XXXXXX (mkdtemp), by path shape only.
    static bool isSessionDirPath(const QString& path);
    // The PID broker.json names now, -1 when none.
    static qint64 namedBrokerPid(const QString& stateDir);

    // Where a state dir lies, which says whose it is: `root` is its parent; `pluginId` the plugin
    // data folder's name (~/.claude/plugins/data/<id>/state, or $CLAUDE_PLUGIN_DATA's folder), empty
    // under $TMPDIR/codex-companion, the companion's root when it runs without $CLAUDE_PLUGIN_DATA.
    struct Placement
    {
        QString root;
        QString pluginId;
        QString where; // for the evidence: "~/.claude/plugins/data/codex-openai-codex/state", …
    };
    static Placement placementOf(const QString& stateDir);
    // The state root the companion that started broker p used (resolveStateDir): $CLAUDE_PLUGIN_DATA/state
    // from p's environment, else $TMPDIR/codex-companion as p's os.tmpdir() gives it. Empty, with
    // `why`, when p's environment cannot be read: then it is matched to no state dir.
    static QString brokerStateRoot(const ProcessInfo& p, QString* why);
    // The broker.json files of every other state dir (in every state root) naming sessionDir: a
    // session dir named by another workspace's state belongs to that workspace.
    static QStringList sessionDirNamedElsewhere(const QString& sessionDir, const QString& stateDir);
    // Why the state dir, its jobs/ or its state.json cannot be read (each that exists is opened);
    // empty when all can. What cannot be read is never judged, rebuilt or exported as empty.
    static QString unreadable(const QString& stateDir);

    static constexpr int kUpstreamJobLimit = 50;
    static constexpr qint64 kMaxStateBytes = 16 * 1024 * 1024;
    static constexpr int kSocketTimeoutMs = 150; // upstream's own readiness window
    // A session dir younger than this may belong to a broker still starting (upstream waits 2 s).
    static constexpr qint64 kSessionGraceSecs = 10;
    // A broker younger than this may not be named yet: upstream writes broker.json only once the
    // broker answers, waiting up to 2 s (ensureBrokerSession). The same margin as session dirs.
    static constexpr qint64 kBrokerGraceSecs = kSessionGraceSecs;

protected:
    void groupProblems(ProblemBuilder& builder) const override;
};

// argv: <node> <plugin root>/scripts/app-server-broker.mjs serve --endpoint E --cwd C --pid-file P
// (or acp-broker.mjs, the script of a plugin that copies the companion; docs/formats/codex.md).
bool looksLikeCodexBroker(const ProcessInfo& process);
// <plugin root> of a broker's argv (the folder above scripts/), "" when argv[1] is not in one.
QString brokerPluginRoot(const ProcessInfo& process);
QString argumentAfter(const QStringList& argv, QStringView flag);

} // namespace Stateward
