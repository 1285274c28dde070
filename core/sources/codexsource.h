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
    QString daemonNoun() const override { return QStringLiteral("codex broker"); }
    // orphanBrokerMismatch, and still at the endpoint and in the session dir the scan saw.
    QString orphanMismatch(const ProcessInfo& live, const QString& stateDir, const Broker& seen) const override;

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

    static constexpr int kUpstreamJobLimit = 50;
    static constexpr qint64 kMaxStateBytes = 16 * 1024 * 1024;
    static constexpr int kSocketTimeoutMs = 150; // upstream's own readiness window
    // A session dir younger than this may belong to a broker still starting (upstream waits 2 s).
    static constexpr qint64 kSessionGraceSecs = 10;
};

// argv: <node> …/app-server-broker.mjs serve --endpoint E --cwd C --pid-file P
bool looksLikeCodexBroker(const ProcessInfo& process);
QString argumentAfter(const QStringList& argv, QStringView flag);

} // namespace Stateward
