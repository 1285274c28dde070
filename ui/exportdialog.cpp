// SPDX-License-Identifier: GPL-3.0-or-later
#include "exportdialog.h"

#include "sources/registry.h"
#include "sources/source.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace Stateward {

namespace {

    constexpr qsizetype kMaxChildRows = 500; // 100 000 added ids: the count says the rest

    void addGroup(QTreeWidget* tree, const QString& title, const QStringList& firsts, const QStringList& seconds = {})
    {
        if (firsts.isEmpty())
            return;
        auto* group = new QTreeWidgetItem(tree, { QStringLiteral("%1 (%2)").arg(title).arg(firsts.size()) });
        group->setFirstColumnSpanned(true);
        for (qsizetype i = 0; i < qMin(kMaxChildRows, firsts.size()); ++i) {
            auto* row = new QTreeWidgetItem(group, { firsts.at(i), seconds.value(i) });
            row->setToolTip(0, firsts.at(i));
            row->setToolTip(1, seconds.value(i));
        }
        if (firsts.size() > kMaxChildRows)
            new QTreeWidgetItem(
                group, { ExportDialog::tr("… and %n more", nullptr, int(firsts.size() - kMaxChildRows)) });
        group->setExpanded(firsts.size() <= 20);
    }

    // "trajectories (index.json), codex (state.json)": the tools whose adapters rebuild an index.
    QString rebuildableIndexes()
    {
        QStringList out;
        for (const SourceAdapter* a : sourceAdapters()) {
            if (const ToolIndex* index = a->index())
                out.append(QStringLiteral("%1 (%2)").arg(a->name(), index->fileName()));
        }
        return out.join(QStringLiteral(", "));
    }

} // namespace

bool ExportDialog::keepsIndex(const Snapshot& snapshot)
{
    const ToolIndex* index = adapterFor(snapshot.family).index();
    return index && index->keptIn(snapshot.stateDir);
}

ExportDialog::ExportDialog(const QList<Snapshot>& snapshots, QWidget* parent)
    : QDialog(parent)
    , m_combo(new QComboBox)
    , m_summary(new QLabel)
    , m_details(new QTreeWidget)
    , m_path(new QLineEdit)
    , m_browseButton(new QPushButton(tr("&Browse…")))
    , m_message(new MessageLine)
{
    setWindowTitle(tr("Export Recovered Index"));
    resize(860, 560);
    setMinimumSize(600, 420);

    for (const Snapshot& s : snapshots) {
        const bool known = std::any_of(
            m_sources.cbegin(), m_sources.cend(), [&s](const Source& o) { return o.stateDir == s.stateDir; });
        if (keepsIndex(s) && !known)
            m_sources.append({ s.family, s.workspace, s.stateDir });
    }

    auto* intro = new QLabel(tr("Rebuilds the tool's index from its record files and writes it to a file outside the "
                                "state directory. Nothing in the state directory changes; to use the export, stop the "
                                "tool and copy it over its index."));
    intro->setWordWrap(true);

    m_combo->setObjectName(QStringLiteral("stateDirCombo"));
    m_combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_combo->setMinimumContentsLength(40);
    for (const Source& s : std::as_const(m_sources)) {
        m_combo->addItem(QStringLiteral("%1 — %2").arg(nameOf(s.family), s.stateDir));
        m_combo->setItemData(m_combo->count() - 1, s.stateDir, Qt::ToolTipRole);
    }
    if (m_sources.isEmpty()) {
        m_combo->addItem(tr("No state directory in the open workspaces keeps an index: %1").arg(rebuildableIndexes()));
        m_combo->setEnabled(false);
    }
    connect(m_combo, &QComboBox::currentIndexChanged, this, &ExportDialog::recompute);

    m_summary->setObjectName(QStringLiteral("summary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_details->setObjectName(QStringLiteral("details"));
    m_details->setHeaderLabels({ tr("Entry or file"), tr("Why") });
    m_details->setUniformRowHeights(true);
    m_details->setTextElideMode(Qt::ElideMiddle);
    m_details->setColumnWidth(0, 380);
    m_details->header()->setStretchLastSection(true);

    m_path->setObjectName(QStringLiteral("outputPath"));
    m_path->setClearButtonEnabled(true);
    connect(m_path, &QLineEdit::textEdited, this, [this] {
        m_pathEdited = true;
        updateButtons();
    });
    connect(m_browseButton, &QPushButton::clicked, this, &ExportDialog::browse);
    auto* pathRow = new QHBoxLayout;
    pathRow->addWidget(m_path, 1);
    pathRow->addWidget(m_browseButton);

    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    auto* comboLabel = new QLabel(tr("&Index of:"));
    comboLabel->setBuddy(m_combo);
    form->addRow(comboLabel, m_combo);
    auto* pathLabel = new QLabel(tr("&Save as:"));
    pathLabel->setBuddy(m_path);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    m_exportButton = buttons->addButton(tr("&Export"), QDialogButtonBox::ActionRole);
    m_exportButton->setObjectName(QStringLiteral("exportButton"));
    m_exportButton->setDefault(true);
    m_recomputeButton = buttons->addButton(tr("&Recompute"), QDialogButtonBox::ActionRole);
    m_recomputeButton->setObjectName(QStringLiteral("recomputeButton"));
    m_recomputeButton->setShortcut(QKeySequence::Refresh);
    m_recomputeButton->setToolTip(tr("Recover again from the record files as they are now"));
    connect(m_exportButton, &QPushButton::clicked, this, &ExportDialog::exportIndex);
    connect(m_recomputeButton, &QPushButton::clicked, this, &ExportDialog::recompute);
    connect(buttons, &QDialogButtonBox::rejected, this, &ExportDialog::reject);

    auto* pathForm = new QFormLayout;
    pathForm->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    pathForm->addRow(pathLabel, pathRow);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(m_summary);
    layout->addWidget(m_details, 1);
    layout->addLayout(pathForm);
    layout->addWidget(m_message);
    layout->addWidget(buttons);

    if (m_sources.isEmpty())
        m_summary->setText(
            tr("Nothing to export: open a workspace whose tool keeps an index, %1.").arg(rebuildableIndexes()));
    else
        recompute();
    updateButtons();
}

bool ExportDialog::selectStateDir(const QString& stateDir)
{
    for (int i = 0; i < m_sources.size(); ++i) {
        if (m_sources.at(i).stateDir == stateDir) {
            if (m_combo->currentIndex() == i)
                recompute();
            else
                m_combo->setCurrentIndex(i);
            return true;
        }
    }
    return false;
}

QString ExportDialog::currentStateDir() const
{
    const int i = m_combo->currentIndex();
    return i >= 0 && i < m_sources.size() ? m_sources.at(i).stateDir : QString();
}

QString ExportDialog::outputPath() const
{
    QString path = m_path->text().trimmed();
    if (path == QLatin1String("~") || path.startsWith(QLatin1String("~/")))
        path = QDir::homePath() + path.mid(1);
    return path;
}

void ExportDialog::setOutputPath(const QString& path)
{
    m_path->setText(path);
    m_pathEdited = true;
    updateButtons();
}

QString ExportDialog::message() const
{
    return m_message->text();
}

void ExportDialog::recompute()
{
    const int i = m_combo->currentIndex();
    if (i < 0 || i >= m_sources.size())
        return;
    const Source source = m_sources.at(i);
    const quint64 generation = ++m_generation;
    m_recovered.reset();
    m_details->clear();
    // The last export's outcome was about the previous preview (perhaps another family's index).
    m_exportOk = false;
    setMessage({}, QStyle::SP_CustomBase);
    m_summary->setText(tr("Reading the record files in %1…").arg(source.stateDir));
    m_background.run([source] { return recoverIndex(source.family, source.stateDir); },
        [this, generation, source](const RecoveredIndex& r) {
            if (generation != m_generation)
                return; // the selection moved on
            m_recovered = r;
            if (!m_pathEdited && r.ok())
                m_path->setText(defaultExportPath(r, source.workspace));
            showPreview();
            updateButtons();
            emit previewReady();
        });
    updateButtons();
}

void ExportDialog::showPreview()
{
    m_details->clear();
    const RecoveredIndex& r = *m_recovered;
    if (!r.ok()) {
        m_summary->setText(tr("Nothing can be recovered here: %1").arg(r.error));
        return;
    }
    QStringList text;
    text.append((r.ids.size() == 1 ? tr("%1 with 1 entry:") : tr("%1 with %n entries:", nullptr, int(r.ids.size())))
                    .arg(QFileInfo(r.indexPath).fileName()));
    text.append(
        tr("%1 added (missing from the current index), %2 kept from it;").arg(r.addedIds.size()).arg(r.keptFromIndex));
    text.append(tr("%1 dropped (no valid record), %2 left out (over the tool's limit).")
                    .arg(r.droppedIds.size())
                    .arg(r.leftOutIds.size()));
    if (!r.skipped.isEmpty())
        text.append(r.skipped.size() == 1 ? tr("1 record file skipped.")
                                          : tr("%n record files skipped.", nullptr, int(r.skipped.size())));
    m_summary->setText(text.join(QLatin1Char(' ')));

    addGroup(m_details, tr("Added"), r.addedIds);
    addGroup(m_details, tr("Dropped"), r.droppedIds, QStringList(r.droppedIds.size(), tr("no valid record file")));
    addGroup(m_details, tr("Left out"), r.leftOutIds, QStringList(r.leftOutIds.size(), tr("over the tool's limit")));
    QStringList paths, problems;
    for (const RecoveredIndex::Skipped& s : r.skipped) {
        paths.append(s.path);
        problems.append(s.problem);
    }
    addGroup(m_details, tr("Skipped files"), paths, problems);
    addGroup(m_details, tr("Notes"), r.notes);
}

void ExportDialog::updateButtons()
{
    const bool ready = m_recovered && m_recovered->ok();
    m_exportButton->setEnabled(ready && !isBusy() && !outputPath().isEmpty());
    m_recomputeButton->setEnabled(!m_sources.isEmpty() && !isBusy());
    m_combo->setEnabled(!m_sources.isEmpty() && !isBusy());
}

void ExportDialog::setMessage(const QString& text, QStyle::StandardPixmap icon)
{
    m_message->setMessage(text, icon);
}

void ExportDialog::browse()
{
    const QString chosen = QFileDialog::getSaveFileName(
        this, tr("Export Recovered Index"), outputPath(), tr("JSON files (*.json);;All files (*)"));
    if (!chosen.isEmpty())
        setOutputPath(chosen);
}

void ExportDialog::exportIndex()
{
    if (!m_recovered || !m_recovered->ok() || isBusy())
        return;
    const QString path = outputPath();
    m_exportOk = false;
    if (path.isEmpty() || QDir::isRelativePath(path)) {
        setMessage(tr("Enter a full path to write to (or choose one with Browse…)."), QStyle::SP_MessageBoxWarning);
        return;
    }
    const RecoveredIndex index = *m_recovered; // exactly what the preview shows
    setMessage(tr("Writing %1…").arg(path), QStyle::SP_BrowserReload);
    m_background.run([index, path] { return exportRecoveredIndex(index, path); },
        [this, path, index](const QString& error) {
            m_exportOk = error.isEmpty();
            if (m_exportOk) {
                setMessage(
                    tr("Written to %1. To use it, stop the tool and copy it over %2.").arg(path, index.indexPath),
                    QStyle::SP_DialogApplyButton);
                emit exported(path);
            } else {
                setMessage(tr("Not exported: %1").arg(error), QStyle::SP_MessageBoxCritical);
            }
            updateButtons();
        });
    updateButtons();
}

} // namespace Stateward
