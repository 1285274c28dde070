// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "source.h"

namespace Stateward {

// codegraph (npm @optave/codegraph): <ws>/.codegraph/ with changes.journal and its pid-nonce lock,
// graph.db.lock (pid-only), steal and snapshot tmp files (docs/formats/codegraph.md).
class CodegraphSource : public SourceAdapter
{
public:
    Family family() const override { return Family::Codegraph; }
    QString name() const override { return QStringLiteral("codegraph"); }
    QStringList candidateStateDirs(const QString& workspace) const override;
    Snapshot scan(const QString& workspace, const QString& stateDir, ScanContext& context) const override;

    // Largest journal we read whole; codegraph's own journals are a few KiB.
    static constexpr qint64 kMaxJournalBytes = 64 * 1024 * 1024;

protected:
    void groupProblems(ProblemBuilder& builder) const override;
};

} // namespace Stateward
