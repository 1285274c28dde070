// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "background.h"
#include "messageline.h"
#include "recover/recover.h"
#include "snapshot/snapshot.h"

#include <QDialog>
#include <QList>
#include <QStyle>

#include <optional>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTreeWidget;

namespace Stateward {

// "Export recovered index…" (docs/formats/trajectories.md, docs/formats/codex.md): pick a state
// directory whose tool keeps an index (trajectories of the index era, codex), see what a recovery
// from its record files would produce, and write that index atomically to a file outside the state
// directory. Nothing in the state directory changes. Recovery and writing run on a worker thread.
class ExportDialog : public QDialog
{
    Q_OBJECT
public:
    struct Source
    {
        Family family {};
        QString workspace;
        QString stateDir;
    };

    explicit ExportDialog(const QList<Snapshot>& snapshots, QWidget* parent = nullptr);

    // Whether the snapshot's tool keeps an index that recoverIndex can rebuild.
    static bool keepsIndex(const Snapshot& snapshot);

    const QList<Source>& sources() const { return m_sources; } // the combo's entries
    bool selectStateDir(const QString& stateDir);
    QString currentStateDir() const;
    bool isBusy() const { return m_background.pending() > 0; } // recovering or writing
    // The recovery shown in the preview, once computed for the current state dir.
    const std::optional<RecoveredIndex>& recovered() const { return m_recovered; }
    QString outputPath() const;
    void setOutputPath(const QString& path); // as if typed: no longer follows the state dir
    QString message() const; // the last export's outcome or error
    bool lastExportSucceeded() const { return m_exportOk; }

public slots:
    void exportIndex();
    void browse();
    void recompute(); // the preview again, from the record files as they are now

signals:
    void exported(const QString& path);
    void previewReady(); // recovered() is the current state dir's

private:
    void showPreview();
    void updateButtons();
    void setMessage(const QString& text, QStyle::StandardPixmap icon);

    QList<Source> m_sources;
    std::optional<RecoveredIndex> m_recovered;
    quint64 m_generation = 0; // a newer selection drops an older recovery's result
    bool m_pathEdited = false;
    bool m_exportOk = false;

    QComboBox* m_combo;
    QLabel* m_summary;
    QTreeWidget* m_details;
    QLineEdit* m_path;
    QPushButton* m_browseButton;
    MessageLine* m_message;
    QPushButton* m_exportButton;
    QPushButton* m_recomputeButton;
    BackgroundRunner m_background;
};

} // namespace Stateward
