// SPDX-License-Identifier: GPL-3.0-or-later
#include "mainwindow.h"

#include "autostart.h"
#include "exportdialog.h"
#include "models/brokersmodel.h"
#include "models/filterproxy.h"
#include "models/findingsmodel.h"
#include "models/jobsmodel.h"
#include "models/locksmodel.h"
#include "models/problemsmodel.h"
#include "models/rows.h"
#include "models/statusglyphs.h"
#include "models/tempfilesmodel.h"
#include "problem/problem.h"
#include "repairdialog.h"
#include "sources/source.h"
#include "theme.h"
#include "timelinewidget.h"
#include "undodialog.h"
#include "version.h"
#include "watch/watchhub.h"
#include "workspacelist.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QComboBox>
#include <QDesktopServices>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMetaEnum>
#include <QPainter>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScreen>
#include <QScrollBar>
#include <QSet>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QStyledItemDelegate>
#include <QSystemTrayIcon>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QTreeWidget>
#include <QUrl>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Stateward {

namespace {
    const auto kWorkspacesKey = QStringLiteral("workspaces/list");
    const auto kGeometryKey = QStringLiteral("window/geometry");
    const auto kStateKey = QStringLiteral("window/state");
    const auto kTrayKey = QStringLiteral("tray/show");
    const auto kCloseToTrayKey = QStringLiteral("tray/closeTo");
    constexpr int kLogLines = 2000;
    constexpr qint64 kLogTailBytes = 16 * 1024;
    constexpr int kMaxColumnWidth = 220; // long titles and paths elide; the row shows whole in Details

    // The end of a job's log, read without following a symlink and without reading a huge file whole.
    QString logTail(const QString& path)
    {
        if (path.isEmpty())
            return {};
        const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            return QObject::tr("(log %1: %2)").arg(path, QString::fromLocal8Bit(::strerror(errno)));
        struct stat st
        {
        };
        QByteArray bytes;
        if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
            const qint64 from = qMax<qint64>(0, st.st_size - kLogTailBytes);
            bytes.resize(qsizetype(st.st_size - from));
            const ssize_t n = ::pread(fd, bytes.data(), size_t(bytes.size()), from);
            bytes.resize(n > 0 ? qsizetype(n) : 0);
            if (from > 0) // start at a whole line
                bytes = bytes.mid(bytes.indexOf('\n') + 1);
        }
        ::close(fd);
        return QString::fromUtf8(bytes);
    }

    // The items behind the rows someone selected, keyed so that asking whether a finding is about
    // one of them costs a lookup, not a pass over every row (selection changes and every scan
    // delivery ask it for every finding).
    struct SelectedItems
    {
        QSet<QString> itemIds; // Job, Broker, LockHolder, TempFile ids
        QSet<QString> findingIds;
        QSet<QString> sessionDirs; // a broker's session dir left behind is about it too

        explicit SelectedItems(const QList<QVariant>& rows)
        {
            for (const QVariant& row : rows) {
                if (row.canConvert<JobRow>()) {
                    itemIds.insert(row.value<JobRow>().item.id);
                } else if (row.canConvert<BrokerRow>()) {
                    const Broker& b = row.value<BrokerRow>().item;
                    itemIds.insert(b.id);
                    if (!b.sessionDir.isEmpty())
                        sessionDirs.insert(b.sessionDir);
                } else if (row.canConvert<LockRow>()) {
                    itemIds.insert(row.value<LockRow>().item.id);
                } else if (row.canConvert<TempFileRow>()) {
                    itemIds.insert(row.value<TempFileRow>().item.id);
                } else if (row.canConvert<FindingRow>()) {
                    findingIds.insert(row.value<FindingRow>().item.id);
                } else if (row.canConvert<ProblemRow>()) {
                    for (const QString& id : row.value<ProblemRow>().item.findingIds)
                        findingIds.insert(id);
                }
            }
        }
        bool isEmpty() const { return itemIds.isEmpty() && findingIds.isEmpty(); }
        bool concern(const Finding& f) const
        {
            const FindingTarget& t = f.target;
            return (!t.itemId.isEmpty() && itemIds.contains(t.itemId)) || sessionDirs.contains(t.path)
                || findingIds.contains(f.id);
        }
    };

    QString viewTitle(MainWindow::View view)
    {
        switch (view) {
        case MainWindow::View::Problems:
            return QObject::tr("Problems");
        case MainWindow::View::Jobs:
            return QObject::tr("Jobs");
        case MainWindow::View::Brokers:
            return QObject::tr("Brokers && Daemons");
        case MainWindow::View::Locks:
            return QObject::tr("Locks");
        case MainWindow::View::TempFiles:
            return QObject::tr("Temp Files");
        case MainWindow::View::Findings:
            return QObject::tr("Findings");
        }
        return {};
    }
} // namespace

MainWindow::MainWindow(QWidget* parent, bool restoreWorkspaces)
    : QMainWindow(parent)
    , m_workspaces(new WorkspaceListModel(this))
    , m_hub(new WatchHub(this))
    , m_restoreWorkspaces(restoreWorkspaces)
{
    setWindowTitle(QStringLiteral("Stateward"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/stateward.svg")));
    resize(1280, 800);

    buildActions();
    buildViews();
    buildDocks();
    m_ownNotifier = std::make_unique<DesktopNotifier>(this);
    m_herald = std::make_unique<Herald>(m_ownNotifier.get());
    m_heraldTimer = new QTimer(this);
    m_heraldTimer->setSingleShot(true);
    connect(m_heraldTimer, &QTimer::timeout, this, [this] {
        if (const qint64 left = m_herald->flush(); left > 0)
            m_heraldTimer->start(int(left));
    });
    buildSettingsMenu();
    updateTray();

    connect(m_hub, &WatchHub::snapshotsChanged, this, &MainWindow::onSnapshots);
    connect(m_hub, &WatchHub::healthChanged, this, &MainWindow::onHealth);
    connect(m_hub, &WatchHub::scanFinished, this, [this](const QString& workspace, qint64 elapsedMs) {
        m_scanLabel->setText(tr("Last scan %1 (%2 ms)").arg(QTime::currentTime().toString(Qt::ISODate)).arg(elapsedMs));
        m_scanLabel->setToolTip(tr("Last scan: %1").arg(workspace));
    });
    // inotify can report a thousand writes a second: the log gets one line per burst.
    auto* flush = new QTimer(this);
    flush->setSingleShot(true);
    flush->setInterval(500);
    auto pending = std::make_shared<QStringList>();
    connect(m_hub, &WatchHub::fileEvent, this, [flush, pending](const QString& path) {
        pending->append(path);
        if (!flush->isActive())
            flush->start();
    });
    connect(flush, &QTimer::timeout, this, [this, pending] {
        pending->removeDuplicates();
        logEvent(pending->size() == 1
                ? tr("changed: %1").arg(pending->first())
                : tr("%1 changed, e.g. %2").arg(counted(pending->size(), tr("file"), tr("files")), pending->first()));
        pending->clear();
    });

    QSettings settings;
    const QStringList remembered = restoreWorkspaces ? settings.value(kWorkspacesKey).toStringList() : QStringList();
    for (const QString& path : remembered) {
        if (QFileInfo(path).isDir())
            openWorkspace(path);
    }
    restoreGeometry(settings.value(kGeometryKey).toByteArray());
    m_stateRestored = restoreState(settings.value(kStateKey).toByteArray());
    fitToScreen();
    onHealth(m_hub->health());
    applyAll();
}

MainWindow::~MainWindow() = default;

void MainWindow::fitToScreen()
{
    // 1280×800 (or what was saved) is too big for a small screen or a large scale factor: at
    // QT_SCALE_FACTOR=1.5 a 1440×900 screen is 960×600 logical pixels. Keep the whole window, with
    // its details, log and status bar, on the screen it opens on.
    const QScreen* s = screen();
    if (!s)
        return;
    const QRect available = s->availableGeometry();
    const QSize fitted = size().boundedTo(available.size() * 0.95).expandedTo(QSize(320, 240));
    if (fitted != size())
        resize(fitted);
    if (!available.contains(geometry()))
        move(available.topLeft() + QPoint((available.width() - width()) / 2, (available.height() - height()) / 2));
}

void MainWindow::buildActions()
{
    const auto make = [this](const char* name, const QString& text, const QString& icon, const QKeySequence& keys,
                          const QString& tip, auto slot) {
        auto* a = new QAction(QIcon::fromTheme(icon), text, this);
        a->setObjectName(QLatin1String(name));
        a->setShortcut(keys);
        a->setToolTip(keys.isEmpty() ? tip : tr("%1 (%2)").arg(tip, keys.toString(QKeySequence::NativeText)));
        a->setStatusTip(tip);
        connect(a, &QAction::triggered, this, slot);
        m_actions.insert(QLatin1String(name), a);
        return a;
    };
    make("addWorkspace", tr("&Add Workspace…"), QStringLiteral("folder-open"), QKeySequence::Open,
        tr("Watch another workspace folder"), &MainWindow::addWorkspaceInteractively);
    QAction* remove = make("removeWorkspace", tr("&Remove Workspace"), QStringLiteral("list-remove"),
        QKeySequence::Delete, tr("Stop watching the selected workspace"), &MainWindow::removeSelectedWorkspace);
    remove->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    make("rescan", tr("Re&scan"), QStringLiteral("view-refresh"), QKeySequence::Refresh,
        tr("Scan every workspace again now"), &MainWindow::rescan);
    make("repairSelected", tr("Repair &Selected…"), QStringLiteral("tools-check-spelling"),
        QKeySequence(Qt::CTRL | Qt::Key_R), tr("Preview and apply the repairs for the selected rows"),
        &MainWindow::repairSelected);
    make("repairAll", tr("Repair All &Safe…"), QStringLiteral("document-save"),
        QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R), tr("Preview and apply every repair that signals no process"),
        &MainWindow::repairAllSafe);
    make("cleanUpOrphans", tr("Clean Up &Orphan Brokers…"), QStringLiteral("process-stop"),
        QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_K),
        tr("Preview terminating orphan brokers and daemons and removing their session dirs"),
        &MainWindow::cleanUpOrphanBrokers);
    make("exportIndex", tr("&Export Recovered Index…"), QStringLiteral("document-export"),
        QKeySequence(Qt::CTRL | Qt::Key_E), tr("Rebuild an index from its record files and save it elsewhere"),
        &MainWindow::exportRecoveredIndex);
    make("undo", tr("&Undo a Repair…"), QStringLiteral("edit-undo"), QKeySequence::Undo,
        tr("List the quarantines repairs left and restore one"), &MainWindow::showUndo);
    make("quit", tr("&Quit"), QStringLiteral("application-exit"), QKeySequence::Quit, tr("Quit Stateward"),
        &MainWindow::quit);
    make("find", tr("&Filter"), QStringLiteral("edit-find"), QKeySequence::Find, tr("Filter the tables"), [this] {
        m_filter->setFocus();
        m_filter->selectAll();
    });
    make("about", tr("&About Stateward"), QStringLiteral("help-about"), {}, tr("About Stateward"), [this] {
        QMessageBox::about(this, tr("About Stateward"),
            tr("<h3>Stateward %1</h3><p>Sees and safely repairs the state directories that local developer "
               "and agent tools keep in a workspace.</p>")
                .arg(version()));
    });
}

void MainWindow::buildViews()
{
    m_models = { new ProblemsModel(this), new JobsModel(this), new BrokersModel(this), new LocksModel(this),
        new TempFilesModel(this), new FindingsModel(this) };
    m_tabs = new QTabWidget;
    m_tabs->setDocumentMode(true);
    // Every tab stays in sight at any width: labels elide instead of scrolling behind an arrow
    // (at 1024×640 the first tab once hid behind it).
    m_tabs->setUsesScrollButtons(false);
    m_tabs->setElideMode(Qt::ElideRight);
    m_tabs->tabBar()->setExpanding(false);
    for (int i = 0; i < m_models.size(); ++i) {
        const View view = View(i);
        auto* proxy = new FilterProxy(this);
        proxy->setSourceModel(m_models.at(i));
        auto* table = new QTableView;
        table->setObjectName(QStringLiteral("view%1").arg(i));
        table->setModel(proxy);
        table->setSortingEnabled(true);
        table->sortByColumn(-1, Qt::AscendingOrder); // the model's order (scan order) until asked
        table->setSelectionBehavior(QAbstractItemView::SelectRows);
        table->setSelectionMode(QAbstractItemView::ExtendedSelection);
        table->setAlternatingRowColors(true);
        table->setWordWrap(false);
        table->setTextElideMode(Qt::ElideMiddle); // paths: both ends say the most
        table->verticalHeader()->hide();
        table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 8);
        table->horizontalHeader()->setStretchLastSection(true);
        table->horizontalHeader()->setHighlightSections(false);
        table->horizontalHeader()->setSectionsMovable(true);
        table->horizontalHeader()->setContextMenuPolicy(Qt::CustomContextMenu);
        connect(table->horizontalHeader(), &QWidget::customContextMenuRequested, this,
            [this, view](const QPoint& pos) { showColumnMenu(view, pos); });
        table->setTabKeyNavigation(false); // Tab leaves the table; arrows move between cells
        table->setContextMenuPolicy(Qt::CustomContextMenu);
        connect(table, &QWidget::customContextMenuRequested, this,
            [this, view](const QPoint& pos) { showRowMenu(view, pos); });
        connect(table->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
            updateDetail();
            updateActions();
        });
        connect(table, &QAbstractItemView::activated, this, [this] { updateDetail(); });
        m_proxies.append(proxy);
        m_views.append(table);
        m_tabs->addTab(view == View::Problems ? buildOverview(table) : table, viewTitle(view));
        restoreColumns(view);
        connect(
            table->horizontalHeader(), &QHeaderView::sortIndicatorChanged, this, [this, view] { saveColumns(view); });
    }
    connect(m_tabs, &QTabWidget::currentChanged, this, [this] {
        updateDetail();
        updateActions();
    });

    m_filter = new QLineEdit;
    m_filter->setPlaceholderText(tr("Filter rows (Ctrl+F): id, path, status, PID…"));
    m_filter->setClearButtonEnabled(true);
    m_severity = new QComboBox;
    m_severity->addItem(tr("Any severity"));
    m_severity->addItem(glyphIcon(glyphFor(Severity::Warning)), tr("Warnings and worse"), int(Severity::Warning));
    m_severity->addItem(glyphIcon(glyphFor(Severity::Error)), tr("Errors and worse"), int(Severity::Error));
    m_severity->setToolTip(tr("Findings: the least severity shown"));
    m_family = new QComboBox;
    m_family->addItem(tr("Every tool"));
    for (const SourceAdapter* adapter : sourceAdapters())
        m_family->addItem(adapter->name(), int(adapter->family()));
    const auto refilter = [this] {
        const QVariant severity = m_severity->currentData();
        const QVariant family = m_family->currentData();
        for (FilterProxy* p : std::as_const(m_proxies)) {
            p->setFilterText(m_filter->text());
            p->setMinimumSeverity(
                severity.isValid() ? std::optional<Severity>(Severity(severity.toInt())) : std::nullopt);
            p->setFamilies(family.isValid() ? QSet<Family> { Family(family.toInt()) } : QSet<Family> {});
        }
        updateCounts();
    };
    connect(m_filter, &QLineEdit::textChanged, this, refilter);
    connect(m_severity, &QComboBox::currentIndexChanged, this, refilter);
    connect(m_family, &QComboBox::currentIndexChanged, this, refilter);

    auto* filterBar = new QWidget;
    auto* filterLayout = new QHBoxLayout(filterBar);
    filterLayout->setContentsMargins(6, 6, 6, 0);
    filterLayout->addWidget(m_filter, 1);
    filterLayout->addWidget(m_family);
    filterLayout->addWidget(m_severity);

    m_timeline = new TimelineWidget;
    m_timeline->setToolTip(tr("Job lifetimes and lock holds over the last minutes"));
    connect(m_timeline, &TimelineWidget::itemClicked, this, &MainWindow::selectId);

    auto* tables = new QWidget;
    auto* tablesLayout = new QVBoxLayout(tables);
    tablesLayout->setContentsMargins(0, 0, 0, 0);
    tablesLayout->addWidget(filterBar);
    tablesLayout->addWidget(m_tabs, 1);
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(tables);
    split->addWidget(m_timeline);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    split->setChildrenCollapsible(false);

    m_welcome = new QLabel(tr("<h2>No workspace open</h2><p>Add a workspace folder (File → Add Workspace…, or "
                              "<tt>stateward FOLDER</tt>) to see the jobs, daemons, locks and temporary files "
                              "that its tools keep.</p><p>To look around safely first, start <tt>stateward "
                              "--demo</tt>.</p>"));
    m_welcome->setAlignment(Qt::AlignCenter);
    m_welcome->setWordWrap(true);
    m_welcome->setMargin(24);
    m_stack = new QStackedWidget;
    m_stack->addWidget(m_welcome);
    m_stack->addWidget(split);
    setCentralWidget(m_stack);

    QToolBar* toolBar = addToolBar(tr("Main"));
    toolBar->setObjectName(QStringLiteral("mainToolBar"));
    toolBar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    const char* const bar[] = { "addWorkspace", "rescan", nullptr, "repairSelected", "repairAll", "cleanUpOrphans",
        nullptr, "exportIndex", "undo" };
    for (const char* name : bar) {
        if (name)
            toolBar->addAction(action(QLatin1String(name)));
        else
            toolBar->addSeparator();
    }
}

namespace {

    // What happened, on one elided line: a row is as tall as its title (or its Fix button), not as
    // tall as the explanation wrapped into whatever width a small window leaves it. The whole
    // explanation is in the tooltip and in Details.
    class OneLineDelegate : public QStyledItemDelegate
    {
    public:
        using QStyledItemDelegate::QStyledItemDelegate;

    protected:
        void initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const override
        {
            QStyledItemDelegate::initStyleOption(option, index);
            option->features &= ~QStyleOptionViewItem::WrapText;
        }
    };

} // namespace

QWidget* MainWindow::buildOverview(QTableView* table)
{
    // Rows read as sentences: the title and what happened wrap, and each row is as tall as its text.
    table->setWordWrap(true);
    table->setTextElideMode(Qt::ElideRight);
    table->setSelectionMode(QAbstractItemView::SingleSelection);
    table->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    QHeaderView* header = table->horizontalHeader();
    header->setStretchLastSection(false);
    // The fix right after the title, the explanation taking the room left: at any width the
    // button stays in sight (the explanation, in full in Details, is what a narrow window cuts).
    header->setSectionResizeMode(ProblemsModel::ExplanationColumn, QHeaderView::Stretch);
    table->setItemDelegateForColumn(ProblemsModel::ExplanationColumn, new OneLineDelegate(table));
    if (!QSettings().contains(columnsKey(View::Problems)))
        header->moveSection(header->visualIndex(ProblemsModel::FixColumn), ProblemsModel::TitleColumn + 1);
    table->setColumnWidth(ProblemsModel::ImpactColumn, 115);
    table->setColumnWidth(ProblemsModel::TitleColumn, 220);
    table->setColumnWidth(ProblemsModel::FixColumn, 215);
    table->setColumnWidth(ProblemsModel::FamilyColumn, 100);
    table->setColumnWidth(ProblemsModel::WorkspaceColumn, 140);
    table->setProperty("sized", true);
    // The tool and workspace are in the title's words already; the column chooser brings them back.
    if (!QSettings().contains(columnsKey(View::Problems))) {
        header->setSectionHidden(ProblemsModel::FamilyColumn, true);
        header->setSectionHidden(ProblemsModel::WorkspaceColumn, true);
    }
    if (header->sortIndicatorSection() < 0 || header->sortIndicatorSection() >= header->count())
        table->sortByColumn(ProblemsModel::ImpactColumn, Qt::DescendingOrder); // worst first
    table->setToolTip(tr("What is wrong in the workspaces, worst first. Fix previews the change first."));

    m_overviewSummary = new QLabel;
    m_overviewSummary->setObjectName(QStringLiteral("overviewSummary"));
    m_overviewSummary->setWordWrap(true);
    m_overviewSummary->setTextFormat(Qt::PlainText);
    m_fixAllButton = new QPushButton(QIcon::fromTheme(QStringLiteral("document-save")), tr("Fix All Safe…"));
    m_fixAllButton->setObjectName(QStringLiteral("fixAllSafe"));
    m_fixAllButton->setToolTip(tr("Preview every fix that only changes files (each kept for Undo, or re-checked "
                                  "first), then apply it"));
    connect(m_fixAllButton, &QPushButton::clicked, this, &MainWindow::repairAllSafe);
    auto* bar = new QHBoxLayout;
    bar->setContentsMargins(8, 6, 8, 6);
    bar->addWidget(m_overviewSummary, 1);
    bar->addWidget(m_fixAllButton);
    auto* page = new QWidget;
    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(bar);
    layout->addWidget(table, 1);
    return page;
}

void MainWindow::updateOverview()
{
    auto* model = static_cast<ProblemsModel*>(m_models.at(int(View::Problems)));
    const QList<Problem> all = model->problems();
    int safe = 0;
    QHash<Impact, int> byImpact;
    for (const Problem& p : all) {
        safe += p.fixable() && p.fixSafety() == RepairSafety::Safe;
        ++byImpact[p.impact];
    }
    QStringList parts;
    for (Impact i : { Impact::LosesData, Impact::Blocks, Impact::WastesMemory, Impact::Litter }) {
        if (byImpact.value(i) > 0)
            parts.append(tr("%1: %2").arg(impactText(i)).arg(byImpact.value(i)));
    }
    if (m_workspaces->rowCount() == 0)
        m_overviewSummary->setText(tr("No workspace open."));
    else if (all.isEmpty())
        m_overviewSummary->setText(m_snapshots.isEmpty()
                ? tr("Scanning…")
                : tr("Nothing wrong in %1: every tool's state checks out.")
                      .arg(counted(m_workspaces->rowCount(), tr("workspace"))));
    else
        m_overviewSummary->setText(tr("%1 (%2). %3")
                                       .arg(counted(all.size(), tr("problem")), parts.join(QStringLiteral(", ")),
                                           safe == all.size() ? tr("Fix All Safe fixes every one of them.")
                                               : safe > 0     ? tr("Fix All Safe fixes %1 of them.").arg(safe)
                                                              : tr("None can be fixed without a decision of yours.")));
    m_fixAllButton->setEnabled(safe > 0);

    // One Fix button per fixable row; a problem without an automatic fix shows what to do by hand.
    QTableView* table = m_views.at(int(View::Problems));
    QAbstractItemModel* shown = table->model();
    for (int r = 0; r < shown->rowCount(); ++r) {
        const QModelIndex cell = shown->index(r, ProblemsModel::FixColumn);
        const Problem p = cell.data(KeyedModel::RowRole).value<ProblemRow>().item;
        auto* button = qobject_cast<QPushButton*>(table->indexWidget(cell));
        if (!p.fixable()) {
            if (button)
                table->setIndexWidget(cell, nullptr);
            continue;
        }
        if (!button) {
            button = new QPushButton;
            button->setObjectName(QStringLiteral("fixButton"));
            connect(button, &QPushButton::clicked, this,
                [this, button] { fixProblem(button->property("problemId").toString()); });
            table->setIndexWidget(cell, button);
        }
        button->setProperty("problemId", p.id);
        button->setText(fixText(p) + QStringLiteral("…"));
        button->setToolTip(cell.data(Qt::ToolTipRole).toString());
    }
}

QList<Problem> MainWindow::problems() const
{
    return static_cast<const ProblemsModel*>(m_models.at(int(View::Problems)))->problems();
}

RepairPlan MainWindow::planProblem(const QString& problemId) const
{
    const KeyedModel* model = m_models.at(int(View::Problems));
    const int row = model->rowOf(problemId);
    if (row < 0)
        return {};
    const Problem p = model->index(row, 0).data(KeyedModel::RowRole).value<ProblemRow>().item;
    const QSet<QString> ids(p.findingIds.cbegin(), p.findingIds.cend());
    QList<Snapshot> chosen = snapshots();
    chosen.removeIf([&p](const Snapshot& s) { return s.stateDir != p.stateDir; });
    for (Snapshot& s : chosen)
        s.findings.removeIf([&ids](const Finding& f) { return !ids.contains(f.id); });
    return planRepairs(chosen, p.repairs);
}

void MainWindow::fixProblem(const QString& problemId)
{
    const KeyedModel* model = m_models.at(int(View::Problems));
    const int row = model->rowOf(problemId);
    if (row < 0)
        return; // fixed or gone meanwhile
    const Problem p = model->index(row, 0).data(KeyedModel::RowRole).value<ProblemRow>().item;
    openRepairDialog(planProblem(problemId), tr("Fix: %1").arg(p.title));
}

QList<Problem> MainWindow::problemsIn(const QString& workspace) const
{
    QList<Problem> in;
    for (const Problem& p : problems()) {
        if (p.workspace == workspace)
            in.append(p);
    }
    return in;
}

void MainWindow::logProblemChanges(const QString& workspace, const QList<Problem>& before, const QList<Problem>& now)
{
    // What changed, in words: a problem that appeared (its title has the figures), one whose figures
    // changed, one that is gone. Nothing when a rescan found the same.
    const QString where = QDir(workspace).dirName();
    QHash<QString, QString> old;
    for (const Problem& p : before)
        old.insert(p.id, p.title);
    QSet<QString> still;
    for (const Problem& p : now) {
        still.insert(p.id);
        const auto it = old.constFind(p.id);
        if (it == old.cend())
            logEvent(tr("%1: %2").arg(where, p.title));
        else if (*it != p.title)
            logEvent(tr("%1: now %2").arg(where, p.title));
    }
    for (auto it = old.cbegin(); it != old.cend(); ++it) {
        if (!still.contains(it.key()))
            logEvent(tr("%1: resolved: %2").arg(where, it.value()));
    }
    if (before.isEmpty() && now.isEmpty())
        logEvent(tr("%1: nothing wrong (%2 checked)")
                     .arg(where, counted(m_snapshots.value(workspace).size(), tr("state dir"))));
}

QString MainWindow::describeInWords(const QVariant& row) const
{
    QStringList lines;
    QString itemId, findingId;
    if (row.canConvert<ProblemRow>()) {
        const Problem& p = row.value<ProblemRow>().item;
        lines << p.title << QString() << p.explanation << QString();
        lines << (p.fixable() ? tr("Fix: %1 (previewed first).").arg(fixText(p)) : tr("By hand: %1").arg(p.manualFix));
        lines << tr("Impact: %1. %2.").arg(impactText(p.impact), counted(p.findingIds.size(), tr("finding")));
        return lines.join(QLatin1Char('\n'));
    }
    if (row.canConvert<JobRow>()) {
        const Job& j = row.value<JobRow>().item;
        itemId = j.id;
        lines << tr("Job %1, '%2'; its process %3 is %4.")
                     .arg(j.id, j.status, pidText(j.pid), livenessText(j.pid, j.liveness));
    } else if (row.canConvert<BrokerRow>()) {
        const Broker& b = row.value<BrokerRow>().item;
        itemId = b.id;
        lines << tr("Broker or daemon, PID %1: %2.").arg(pidText(b.pid), livenessText(b.pid, b.liveness));
    } else if (row.canConvert<LockRow>()) {
        const LockHolder& l = row.value<LockRow>().item;
        itemId = l.id;
        lines << tr("Lock %1: %2.").arg(l.verdict.path, l.verdict.reason);
    } else if (row.canConvert<TempFileRow>()) {
        const TempFile& t = row.value<TempFileRow>().item;
        itemId = t.id;
        lines << tr("Temporary file %1 (%2): %3.").arg(t.path, sizeText(t.size), t.reason);
    } else if (row.canConvert<FindingRow>()) {
        const Finding& f = row.value<FindingRow>().item;
        findingId = f.id;
        lines << tr("%1 (%2).").arg(f.summary, nameOf(f.severity)) << f.evidence;
    }
    QStringList attached;
    for (const Problem& p : problems()) {
        if ((!itemId.isEmpty() && p.itemIds.contains(itemId))
            || (!findingId.isEmpty() && p.findingIds.contains(findingId)))
            attached << tr("  • %1 — %2").arg(p.title, p.fixable() ? fixText(p) : tr("by hand"));
    }
    lines << QString();
    if (attached.isEmpty())
        lines << tr("No problem concerns it.");
    else
        lines << tr("Problems about it:") << attached;
    return lines.join(QLatin1Char('\n'));
}

void MainWindow::buildDocks()
{
    m_workspaceView = new QListView;
    m_workspaceView->setModel(m_workspaces);
    m_workspaceView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_workspaceView->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_workspaceView->addAction(action(QStringLiteral("removeWorkspace")));
    m_tools = new QTreeWidget;
    m_tools->setHeaderLabels({ tr("Tool"), tr("State directory") });
    m_tools->setRootIsDecorated(false);
    m_tools->setTextElideMode(Qt::ElideLeft);
    m_tools->setToolTip(tr("The tools found in the workspaces, with their state directories"));
    auto* left = new QSplitter(Qt::Vertical);
    left->addWidget(m_workspaceView);
    left->addWidget(m_tools);
    left->setStretchFactor(0, 1);
    left->setStretchFactor(1, 2);
    auto* workspacesDock = new QDockWidget(tr("Workspaces"), this);
    workspacesDock->setObjectName(QStringLiteral("workspacesDock"));
    workspacesDock->setWidget(left);
    addDockWidget(Qt::LeftDockWidgetArea, workspacesDock);

    const QFont fixed = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    m_detail = new QPlainTextEdit;
    m_detail->setReadOnly(true);
    m_detail->setFont(fixed);
    m_detail->setWordWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere); // long paths stay readable
    m_detail->setPlaceholderText(tr("Select a row to see its record."));
    auto* detailDock = new QDockWidget(tr("Details"), this);
    detailDock->setObjectName(QStringLiteral("detailDock"));
    detailDock->setWidget(m_detail);
    addDockWidget(Qt::RightDockWidgetArea, detailDock);

    m_log = new QPlainTextEdit;
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(kLogLines);
    m_log->setFont(fixed);
    auto* logDock = new QDockWidget(tr("Event Log"), this);
    logDock->setObjectName(QStringLiteral("logDock"));
    logDock->setWidget(m_log);
    addDockWidget(Qt::BottomDockWidgetArea, logDock);
    // Sized once the window has its size (before that the docks share a default width); a saved
    // window state wins.
    QTimer::singleShot(0, this, [this, workspacesDock, detailDock, logDock] {
        if (!m_stateRestored) {
            // A share of the window, so a small or scaled one keeps room for the overview.
            resizeDocks(
                { workspacesDock, detailDock }, { qMin(220, width() / 6), qMin(280, width() / 5) }, Qt::Horizontal);
            resizeDocks({ logDock }, { 110 }, Qt::Vertical);
        }
    });

    QMenu* file = menuBar()->addMenu(tr("&File"));
    for (const char* name : { "addWorkspace", "removeWorkspace", "exportIndex" })
        file->addAction(action(QLatin1String(name)));
    file->addSeparator();
    file->addAction(action(QStringLiteral("quit")));
    QMenu* repair = menuBar()->addMenu(tr("&Repair"));
    for (const char* name : { "repairSelected", "repairAll", "cleanUpOrphans", "undo" })
        repair->addAction(action(QLatin1String(name)));
    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addAction(action(QStringLiteral("rescan")));
    view->addAction(action(QStringLiteral("find")));
    view->addSeparator();
    for (int i = 0; i < m_views.size(); ++i) {
        auto* show = view->addAction(viewTitle(View(i)), this, [this, i] { showView(View(i)); });
        show->setShortcut(QKeySequence(Qt::ALT | Qt::Key(Qt::Key_1 + i)));
    }
    view->addSeparator();
    for (QDockWidget* dock : { workspacesDock, detailDock, logDock })
        view->addAction(dock->toggleViewAction());
    view->addSeparator();
    QMenu* colors = view->addMenu(tr("&Colours"));
    auto* schemes = new QActionGroup(this);
    const QString current = savedColorScheme();
    for (const QString& name : colorSchemes()) {
        QAction* a = colors->addAction(name == QLatin1String("system") ? tr("&System")
                : name == QLatin1String("light")                       ? tr("&Light")
                                                                       : tr("&Dark"));
        a->setCheckable(true);
        a->setChecked(name == current);
        a->setObjectName(QStringLiteral("colors-") + name);
        schemes->addAction(a);
        connect(a, &QAction::triggered, this, [name] {
            applyColorScheme(name);
            saveColorScheme(name);
        });
    }
    menuBar()->addMenu(tr("&Help"))->addAction(action(QStringLiteral("about")));

    m_healthLabel = new QLabel;
    m_countsLabel = new QLabel;
    m_scanLabel = new QLabel(tr("Not scanned yet"));
    statusBar()->addWidget(m_countsLabel, 1);
    statusBar()->addPermanentWidget(m_scanLabel);
    statusBar()->addPermanentWidget(m_healthLabel);

    connect(m_workspaceView->selectionModel(), &QItemSelectionModel::currentChanged, this, &MainWindow::updateActions);
}

QAction* MainWindow::action(const QString& objectName) const
{
    return m_actions.value(objectName);
}

KeyedModel* MainWindow::model(View view) const
{
    return m_models.value(int(view));
}

QTableView* MainWindow::tableView(View view) const
{
    return m_views.value(int(view));
}

FilterProxy* MainWindow::proxy(View view) const
{
    return m_proxies.value(int(view));
}

void MainWindow::showView(View view)
{
    m_tabs->setCurrentIndex(int(view));
}

void MainWindow::selectFirstRow(View view)
{
    showView(view);
    QTableView* table = m_views.at(int(view));
    if (table->model()->rowCount() > 0) {
        table->selectRow(0);
        table->setFocus();
    }
}

bool MainWindow::openWorkspace(const QString& path, bool remember)
{
    const int row = m_workspaces->addWorkspace(path);
    if (row < 0) {
        statusBar()->showMessage(tr("Not a folder: %1").arg(path), 10000);
        logEvent(tr("not opened: %1 is not a folder").arg(path));
        return false;
    }
    const QString canonical = m_workspaces->workspaces().at(row);
    if (!remember)
        m_transient.insert(canonical);
    m_workspaceView->setCurrentIndex(m_workspaces->index(row));
    if (m_hub->addWorkspace(canonical))
        logEvent(tr("watching %1").arg(canonical));
    m_stack->setCurrentIndex(1);
    return true;
}

QList<Snapshot> MainWindow::snapshots() const
{
    QList<Snapshot> all;
    for (const QString& ws : m_workspaces->workspaces())
        all += m_snapshots.value(QDir::cleanPath(ws));
    return all;
}

QStringList MainWindow::stateDirs() const
{
    QStringList dirs;
    for (const Snapshot& s : snapshots())
        dirs.append(s.stateDir);
    dirs.removeDuplicates();
    return dirs;
}

void MainWindow::onSnapshots(
    const QString& workspace, const QList<Snapshot>& snapshots, const WorkspaceChanges& changes)
{
    if (!m_hub->workspaces().contains(workspace))
        return; // removed meanwhile
    // The problems model derives the problems once per delivery; the log compares its rows of this
    // workspace before and after.
    const QList<Problem> before = problemsIn(workspace);
    m_snapshots.insert(workspace, snapshots);
    applyAll(workspace, changes);
    logProblemChanges(workspace, before, problemsIn(workspace));
}

void MainWindow::onHealth(const WatchHealth& health)
{
    m_healthLabel->setText(tr("Watch: %1").arg(health.summary()));
    m_healthLabel->setToolTip(health.isDegraded()
            ? tr("%1\nPolled instead of watched:\n%2").arg(health.reason, health.polledPaths.join(QLatin1Char('\n')))
            : tr("inotify sees every change in the state directories"));
    if (health.isDegraded())
        logEvent(tr("watch degraded: %1").arg(health.reason));
}

void MainWindow::applyAll(const QString& workspace, const WorkspaceChanges& changes)
{
    const QList<Snapshot> all = snapshots();
    for (KeyedModel* m : std::as_const(m_models))
        m->applyChanges(all, workspace, changes);
    m_timeline->apply(all);
    // Column widths once, when a table first has rows: afterwards the user's widths stay.
    for (QTableView* view : std::as_const(m_views)) {
        if (view->property("sized").toBool() || view->model()->rowCount() == 0)
            continue;
        view->resizeColumnsToContents();
        for (int c = 0; c < view->model()->columnCount(); ++c)
            view->setColumnWidth(c, qMin(view->columnWidth(c) + 12, kMaxColumnWidth));
        view->setProperty("sized", true);
    }
    m_stack->setCurrentIndex(m_workspaces->rowCount() > 0 ? 1 : 0);
    updateOverview();
    updateAlerts();
    updateTools();
    updateCounts();
    updateDetail();
    updateActions();
}

void MainWindow::updateTools()
{
    // Keyed by state dir, updated in place so selection and scroll survive a rescan.
    QHash<QString, const Snapshot*> now;
    const QList<Snapshot> all = snapshots();
    for (const Snapshot& s : all)
        now.insert(s.stateDir, &s);
    for (int i = m_tools->topLevelItemCount() - 1; i >= 0; --i) {
        if (!now.contains(m_tools->topLevelItem(i)->data(1, Qt::UserRole).toString()))
            delete m_tools->takeTopLevelItem(i);
    }
    QHash<QString, QTreeWidgetItem*> items;
    for (int i = 0; i < m_tools->topLevelItemCount(); ++i)
        items.insert(m_tools->topLevelItem(i)->data(1, Qt::UserRole).toString(), m_tools->topLevelItem(i));
    for (const Snapshot& s : all) {
        QTreeWidgetItem* item = items.value(s.stateDir);
        if (!item) {
            item = new QTreeWidgetItem(m_tools);
            item->setData(1, Qt::UserRole, s.stateDir);
        }
        const Severity worst = s.worst();
        item->setText(0, nameOf(s.family));
        item->setIcon(0, s.findings.isEmpty() ? glyphIcon(Glyph::Alive) : glyphIcon(glyphFor(worst)));
        item->setText(1, QDir::toNativeSeparators(s.stateDir));
        item->setToolTip(1,
            tr("%1\nworkspace %2\n%3, %4, %5, %6")
                .arg(s.stateDir, s.workspace, counted(s.jobs.size(), tr("job"), tr("jobs")),
                    counted(s.brokers.size(), tr("broker"), tr("brokers")),
                    counted(s.locks.size(), tr("lock"), tr("locks")),
                    counted(s.findings.size(), tr("finding"), tr("findings"))));
        // What the files say the folder is (tool and era): a folder no tool's files match is shown, never judged.
        QString recognised = tr("recognised as %1").arg(s.recognised.describe());
        if (!s.recognised.evidence.isEmpty())
            recognised += QLatin1Char('\n') + s.recognised.evidence;
        item->setToolTip(0,
            recognised + QLatin1Char('\n')
                + (s.findings.isEmpty() ? tr("no findings") : tr("worst finding: %1").arg(nameOf(worst))));
    }
    m_tools->resizeColumnToContents(0);
}

void MainWindow::updateCounts()
{
    QStringList parts;
    for (int i = 0; i < m_models.size(); ++i) {
        const int shown = m_proxies.at(i)->rowCount();
        const int total = m_models.at(i)->rowCount();
        const QString count = shown == total ? QString::number(total) : tr("%1 of %2").arg(shown).arg(total);
        m_tabs->setTabText(i, tr("%1 (%2)").arg(viewTitle(View(i)), count));
        static const char* const nouns[][2]
            = { { "problem", "problems" }, { "job", "jobs" }, { "broker or daemon", "brokers & daemons" },
                  { "lock", "locks" }, { "temp file", "temp files" }, { "finding", "findings" } };
        parts.append(counted(total, tr(nouns[i][0]), tr(nouns[i][1])));
    }
    const QList<Snapshot> all = snapshots();
    std::optional<Severity> worst;
    for (const Snapshot& s : all) {
        if (!s.findings.isEmpty() && (!worst || s.worst() > *worst))
            worst = s.worst();
    }
    m_tabs->setTabIcon(int(View::Findings), worst ? glyphIcon(glyphFor(*worst)) : glyphIcon(Glyph::Alive));
    std::optional<Impact> gravest;
    for (const Problem& p : problems())
        gravest = gravest ? std::max(*gravest, p.impact) : p.impact;
    m_tabs->setTabIcon(
        int(View::Problems), gravest ? glyphIcon(glyphFor(severityOf(*gravest))) : glyphIcon(Glyph::Alive));
    m_countsLabel->setText(
        tr("%1, %2 · %3")
            .arg(counted(m_workspaces->rowCount(), tr("workspace"), tr("workspaces")),
                counted(all.size(), tr("state dir"), tr("state dirs")), parts.join(QStringLiteral(" · "))));
}

void MainWindow::updateDetail()
{
    QTableView* view = m_views.value(m_tabs->currentIndex());
    const QModelIndex current = view ? view->selectionModel()->currentIndex() : QModelIndex();
    if (!current.isValid() || !view->selectionModel()->isRowSelected(current.row(), current.parent())) {
        ++m_detailAsked;
        m_detail->clear();
        return;
    }
    const QModelIndex index = current.siblingAtColumn(0);
    const QVariant row = index.data(KeyedModel::RowRole);
    // In words first; the raw record below, for whoever wants the figures as the tool wrote them.
    const QString text = describeInWords(row) + tr("\n\n── record ──\n") + index.data(KeyedModel::JsonRole).toString();
    const QString logFile = row.canConvert<JobRow>() ? row.value<JobRow>().item.logFile : QString();
    const quint64 asked = ++m_detailAsked;
    if (logFile.isEmpty()) {
        showDetail(text);
        return;
    }
    // The log is read on a worker (this runs after every scan); until it is back, the tail read
    // last for the same log stays, so the pane does not flicker.
    const QString heading = tr("\n── log tail: %1 ──\n").arg(logFile);
    showDetail(text + heading + (m_logTail.first == logFile ? m_logTail.second : QString()));
    m_background.run([logFile] { return logTail(logFile); },
        [this, asked, logFile, text, heading](const QString& tail) {
            m_logTail = { logFile, tail };
            if (asked == m_detailAsked) // else another row, or a newer scan, asked since
                showDetail(text + heading + tail);
        });
}

void MainWindow::showDetail(const QString& text)
{
    if (text != m_detail->toPlainText())
        m_detail->setPlainText(text);
}

void MainWindow::updateActions()
{
    const bool any = !m_snapshots.isEmpty();
    // Only when a selected row has a finding with a repair: a healthy broker has nothing to preview.
    action(QStringLiteral("repairSelected"))->setEnabled(any && selectionHasRepairs());
    for (const char* name : { "repairAll", "cleanUpOrphans", "exportIndex", "undo", "rescan" })
        action(QLatin1String(name))->setEnabled(any);
    action(QStringLiteral("removeWorkspace"))->setEnabled(m_workspaceView->currentIndex().isValid());
}

RepairPlan MainWindow::planAllSafe() const
{
    return planRepairs(snapshots());
}

RepairPlan MainWindow::planOrphanCleanup() const
{
    return planRepairs(snapshots(), orphanCleanupKinds());
}

QList<QVariant> MainWindow::selectedRows() const
{
    QList<QVariant> rows;
    if (QTableView* view = m_views.value(m_tabs->currentIndex())) {
        for (const QModelIndex& index : view->selectionModel()->selectedRows())
            rows.append(index.data(KeyedModel::RowRole));
    }
    return rows;
}

bool MainWindow::selectionHasRepairs() const
{
    const SelectedItems selected(selectedRows());
    if (selected.isEmpty())
        return false;
    for (const QList<Snapshot>& list : m_snapshots) {
        for (const Snapshot& s : list) {
            if (std::any_of(s.findings.cbegin(), s.findings.cend(),
                    [&selected](const Finding& f) { return !f.repairs.isEmpty() && selected.concern(f); }))
                return true;
        }
    }
    return false;
}

RepairPlan MainWindow::planSelected() const
{
    const SelectedItems selected(selectedRows());
    if (selected.isEmpty())
        return {};
    QList<Snapshot> chosen = snapshots();
    for (Snapshot& s : chosen)
        s.findings.removeIf([&selected](const Finding& f) { return !selected.concern(f); });
    return planRepairs(chosen, repairKinds());
}

void MainWindow::repairSelected()
{
    openRepairDialog(planSelected(), tr("Repair Selected"));
}

void MainWindow::repairAllSafe()
{
    openRepairDialog(planAllSafe(), tr("Repair All Safe"));
}

void MainWindow::cleanUpOrphanBrokers()
{
    openRepairDialog(planOrphanCleanup(), tr("Clean Up Orphan Brokers"));
}

void MainWindow::openRepairDialog(const RepairPlan& plan, const QString& title)
{
    auto* dialog = new RepairDialog(plan, title, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &RepairDialog::applied, this, [this, title](const QList<RepairResult>& results) {
        int applied = 0;
        for (const RepairResult& r : results) {
            applied += r.outcome == RepairResult::Outcome::Applied;
            logEvent(tr("%1 %2: %3").arg(nameOf(r.outcome), r.actionId, r.detail));
        }
        logEvent(tr("%1: %2 of %3 applied").arg(title).arg(applied).arg(results.size()));
        m_hub->rescan(); // the views show the fix land
    });
    dialog->open();
    emit repairDialogOpened(dialog);
}

void MainWindow::exportRecoveredIndex()
{
    auto* dialog = new ExportDialog(snapshots(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ExportDialog::exported, this,
        [this](const QString& path) { logEvent(tr("exported a recovered index to %1").arg(path)); });
    dialog->open();
}

void MainWindow::showUndo()
{
    auto* dialog = new UndoDialog(stateDirs(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &UndoDialog::undone, this, [this](const UndoResult& r) {
        logEvent(tr("undo %1: %2 restored, %3 refused").arg(r.id).arg(r.restored.size()).arg(r.refused.size()));
        m_hub->rescan();
    });
    dialog->open();
}

void MainWindow::rescan()
{
    logEvent(tr("rescan requested"));
    m_hub->rescan();
}

void MainWindow::showRowMenu(View view, const QPoint& pos)
{
    QTableView* table = m_views.at(int(view));
    const QModelIndex index = table->indexAt(pos);
    if (!index.isValid())
        return;
    QMenu menu(this);
    menu.addAction(action(QStringLiteral("repairSelected")));
    menu.addSeparator();
    const QVariant row = index.siblingAtColumn(0).data(KeyedModel::RowRole);
    QString path;
    if (row.canConvert<JobRow>())
        path = row.value<JobRow>().item.recordFile;
    else if (row.canConvert<BrokerRow>())
        path = row.value<BrokerRow>().item.stateFile;
    else if (row.canConvert<LockRow>())
        path = row.value<LockRow>().item.verdict.path;
    else if (row.canConvert<TempFileRow>())
        path = row.value<TempFileRow>().item.path;
    else if (row.canConvert<FindingRow>())
        path = row.value<FindingRow>().item.target.path;
    else if (row.canConvert<ProblemRow>())
        path = row.value<ProblemRow>().item.stateDir + QStringLiteral("/.");
    menu.addAction(QIcon::fromTheme(QStringLiteral("edit-copy")), tr("Copy Path"), this,
            [path] { QApplication::clipboard()->setText(path); })
        ->setEnabled(!path.isEmpty());
    menu.addAction(QIcon::fromTheme(QStringLiteral("folder")), tr("Open Containing Folder"), this,
            [this, path] { openContainingFolder(path); })
        ->setEnabled(!path.isEmpty());
    menu.addAction(QIcon::fromTheme(QStringLiteral("edit-copy")), tr("Copy Record as JSON"), this, [index] {
        QApplication::clipboard()->setText(index.siblingAtColumn(0).data(KeyedModel::JsonRole).toString());
    });
    menu.exec(table->viewport()->mapToGlobal(pos));
}

QString MainWindow::columnsKey(View view)
{
    return QStringLiteral("tables/%1/header").arg(QLatin1String(QMetaEnum::fromType<View>().valueToKey(int(view))));
}

void MainWindow::saveColumns(View view) const
{
    QSettings().setValue(columnsKey(view), m_views.at(int(view))->horizontalHeader()->saveState());
}

void MainWindow::restoreColumns(View view)
{
    QTableView* table = m_views.at(int(view));
    QHeaderView* header = table->horizontalHeader();
    if (!header->restoreState(QSettings().value(columnsKey(view)).toByteArray()))
        return;
    table->setProperty("sized", true); // the saved widths win over sizing to the first rows
    // A saved order is applied, not only drawn: the proxy sorts by the restored indicator.
    if (header->sortIndicatorSection() >= 0 && header->sortIndicatorSection() < header->count())
        table->sortByColumn(header->sortIndicatorSection(), header->sortIndicatorOrder());
}

void MainWindow::showColumnMenu(View view, const QPoint& pos)
{
    QTableView* table = m_views.at(int(view));
    QHeaderView* header = table->horizontalHeader();
    QMenu menu(this);
    menu.setObjectName(QStringLiteral("columnMenu"));
    menu.setTitle(tr("Columns"));
    fillColumnMenu(view, &menu);
    menu.exec(header->viewport()->mapToGlobal(pos));
}

void MainWindow::fillColumnMenu(View view, QMenu* menu)
{
    QTableView* table = m_views.at(int(view));
    QHeaderView* header = table->horizontalHeader();
    const QAbstractItemModel* model = table->model();
    int shown = 0;
    for (int c = 0; c < header->count(); ++c)
        shown += !header->isSectionHidden(c);
    for (int c = 0; c < header->count(); ++c) {
        QAction* a = menu->addAction(model->headerData(c, Qt::Horizontal).toString());
        a->setObjectName(QStringLiteral("column%1").arg(c));
        a->setCheckable(true);
        a->setChecked(!header->isSectionHidden(c));
        a->setEnabled(header->isSectionHidden(c) || shown > 1); // the last column shown stays
        connect(a, &QAction::toggled, this, [this, view, header, c](bool on) {
            header->setSectionHidden(c, !on);
            if (on && header->sectionSize(c) < header->minimumSectionSize() * 2)
                header->resizeSection(c, header->defaultSectionSize());
            saveColumns(view);
        });
    }
    menu->addSeparator();
    menu->addAction(tr("Show All Columns"), this, [this, view, header] {
        for (int c = 0; c < header->count(); ++c)
            header->setSectionHidden(c, false);
        saveColumns(view);
    });
}

void MainWindow::selectId(const QString& id)
{
    for (int i = 0; i < m_models.size(); ++i) {
        const int row = m_models.at(i)->rowOf(id);
        if (row < 0)
            continue;
        const QModelIndex index = m_proxies.at(i)->mapFromSource(m_models.at(i)->index(row, 0));
        if (!index.isValid())
            continue; // filtered out
        showView(View(i));
        m_views.at(i)->selectRow(index.row());
        m_views.at(i)->scrollTo(index);
        return;
    }
}

void MainWindow::openContainingFolder(const QString& path)
{
    const QString folder = QFileInfo(path).absolutePath();
    QString problem;
    if (!QFileInfo(folder).isDir())
        problem = tr("the folder no longer exists");
    else if (!QDesktopServices::openUrl(QUrl::fromLocalFile(folder)))
        problem = tr("no file manager answered (xdg-open failed)");
    if (problem.isEmpty())
        return;
    statusBar()->showMessage(tr("Cannot open %1: %2").arg(folder, problem), 10000);
    logEvent(tr("cannot open %1: %2").arg(folder, problem));
}

void MainWindow::logEvent(const QString& text)
{
    m_log->appendPlainText(QStringLiteral("%1  %2").arg(QTime::currentTime().toString(Qt::ISODate), text));
}

void MainWindow::addWorkspaceInteractively()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Add Workspace"));
    if (!dir.isEmpty())
        openWorkspace(dir);
}

void MainWindow::removeSelectedWorkspace()
{
    const QModelIndex current = m_workspaceView->currentIndex();
    if (!current.isValid())
        return;
    const QString path = QDir::cleanPath(current.data(WorkspaceListModel::PathRole).toString());
    // Del sits next to the keys a user types in the filter: a stray press must not drop a workspace.
    // Window-modal and opened, not exec'd, so the event loop (and the watch) keeps running.
    auto* ask = new QMessageBox(
        QMessageBox::Question, tr("Remove Workspace"), tr("Stop watching %1?").arg(path), QMessageBox::NoButton, this);
    ask->setObjectName(QStringLiteral("confirmRemoveWorkspace"));
    ask->setInformativeText(tr("Stateward forgets the workspace. Nothing in the folder is touched; add it again "
                               "at any time."));
    QPushButton* remove = ask->addButton(tr("Stop Watching"), QMessageBox::AcceptRole);
    ask->addButton(QMessageBox::Cancel);
    ask->setDefaultButton(remove);
    ask->setAttribute(Qt::WA_DeleteOnClose);
    ask->setWindowModality(Qt::WindowModal);
    connect(ask, &QMessageBox::buttonClicked, this, [this, remove, path](QAbstractButton* clicked) {
        if (clicked != remove)
            return;
        const int row = m_workspaces->workspaces().indexOf(path);
        if (row < 0)
            return; // removed meanwhile
        m_workspaces->removeWorkspace(row);
        m_hub->removeWorkspace(path);
        m_snapshots.remove(path);
        m_transient.remove(path);
        logEvent(tr("stopped watching %1").arg(path));
        applyAll();
    });
    ask->open();
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    saveSettings();
    if (!m_quitting && m_tray && m_tray->isVisible() && closeToTrayWanted()) {
        hide(); // still watching: the tray speaks up when something new goes wrong
        event->ignore();
        return;
    }
    event->accept();
    if (m_tray && m_tray->isVisible()) // the tray kept the application from quitting on its own
        QTimer::singleShot(0, qApp, &QCoreApplication::quit);
}

void MainWindow::quit()
{
    m_quitting = true;
    close();
    m_quitting = false; // a refused close (a repair still applying) leaves the window as it was
}

bool MainWindow::trayWanted()
{
    return QSystemTrayIcon::isSystemTrayAvailable() && QSettings().value(kTrayKey, true).toBool();
}

bool MainWindow::closeToTrayWanted()
{
    return QSystemTrayIcon::isSystemTrayAvailable() && QSettings().value(kCloseToTrayKey, true).toBool();
}

void MainWindow::showEvent(QShowEvent* event)
{
    m_presented = true;
    QMainWindow::showEvent(event);
}

void MainWindow::startHidden()
{
    m_presented = true;
    if (m_tray && m_tray->isVisible())
        hide();
    else
        showMinimized();
}

void MainWindow::setNotifier(Notifier* notifier, Herald::Clock clock)
{
    m_herald = clock ? std::make_unique<Herald>(notifier, std::move(clock)) : std::make_unique<Herald>(notifier);
    updateAlerts();
}

void MainWindow::buildSettingsMenu()
{
    QMenu* settings = menuBar()->addMenu(tr("&Settings"));
    const bool trayAvailable = QSystemTrayIcon::isSystemTrayAvailable();
    const QString noTray = tr("This desktop has no system tray");
    QAction* tray = settings->addAction(tr("Show Icon in System &Tray"));
    tray->setObjectName(QStringLiteral("settingTray"));
    tray->setCheckable(true);
    tray->setChecked(trayWanted());
    tray->setEnabled(trayAvailable);
    tray->setStatusTip(
        trayAvailable ? tr("The worst problem and the count, in the tray; notifications from there") : noTray);
    connect(tray, &QAction::toggled, this, [this](bool on) {
        QSettings().setValue(kTrayKey, on);
        updateTray();
    });
    QAction* closeTo = settings->addAction(tr("&Close to Tray"));
    closeTo->setObjectName(QStringLiteral("settingCloseToTray"));
    closeTo->setCheckable(true);
    closeTo->setChecked(closeToTrayWanted());
    closeTo->setEnabled(trayAvailable);
    closeTo->setStatusTip(trayAvailable ? tr("Closing the window keeps Stateward watching in the tray") : noTray);
    connect(closeTo, &QAction::toggled, this, [](bool on) { QSettings().setValue(kCloseToTrayKey, on); });
    QAction* login = settings->addAction(tr("Start at &Login"));
    login->setObjectName(QStringLiteral("settingStartAtLogin"));
    login->setCheckable(true);
    login->setChecked(startsAtLogin());
    login->setStatusTip(tr("Start Stateward hidden when you log in (%1)").arg(autostartFile()));
    connect(login, &QAction::toggled, this, [this, login](bool on) {
        QString error;
        if (setStartAtLogin(on, QCoreApplication::applicationFilePath(), &error)) {
            logEvent(on ? tr("starts at login: %1").arg(autostartFile()) : tr("no longer starts at login"));
            return;
        }
        const QSignalBlocker block(login);
        login->setChecked(!on);
        statusBar()->showMessage(tr("Start at login: %1").arg(error), 10000);
        logEvent(tr("start at login: %1").arg(error));
    });
}

void MainWindow::updateTray()
{
    if (!trayWanted()) {
        if (m_tray)
            m_tray->hide();
        QApplication::setQuitOnLastWindowClosed(true);
        if (m_ownNotifier)
            m_ownNotifier->setTray(nullptr);
        return;
    }
    if (!m_tray) {
        m_tray = new QSystemTrayIcon(this);
        m_tray->setObjectName(QStringLiteral("tray"));
        auto* menu = new QMenu(this);
        menu->addAction(tr("&Show Stateward"), this, [this] {
            showNormal();
            raise();
            activateWindow();
        });
        menu->addAction(action(QStringLiteral("repairAll")));
        menu->addSeparator();
        menu->addAction(action(QStringLiteral("quit")));
        m_tray->setContextMenu(menu);
        connect(m_tray, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason reason) {
            if (reason != QSystemTrayIcon::Trigger && reason != QSystemTrayIcon::DoubleClick)
                return;
            if (isVisible() && !isMinimized()) {
                hide();
            } else {
                showNormal();
                raise();
                activateWindow();
            }
        });
        connect(m_tray, &QSystemTrayIcon::messageClicked, this, [this] {
            showNormal();
            raise();
            activateWindow();
        });
    }
    // The window may hide while the application keeps watching.
    QApplication::setQuitOnLastWindowClosed(false);
    m_tray->show();
    if (m_ownNotifier)
        m_ownNotifier->setTray(m_tray);
    updateAlerts();
}

QList<Alert> MainWindow::currentAlerts() const
{
    QList<Alert> alerts;
    for (const Problem& p : problems())
        alerts.append({ p.id, int(p.impact), p.title });
    return alerts;
}

void MainWindow::updateAlerts()
{
    if (!m_herald)
        return; // still building the window
    const QList<Alert> alerts = currentAlerts();
    setWindowTitle(titleWithCount(QStringLiteral("Stateward"), int(alerts.size())));
    // A window never shown yet (being built) is not "hidden"; one started hidden at login is.
    const bool unseen = m_presented && (!isVisible() || isMinimized());
    m_herald->update(alerts, unseen);
    if (m_herald->hasPending() && !m_heraldTimer->isActive())
        m_heraldTimer->start(int(qMax<qint64>(1000, m_herald->flush())));
    if (!m_tray)
        return;
    int worst = -1;
    for (const Alert& a : alerts)
        worst = qMax(worst, a.rank);
    QPixmap face = windowIcon().pixmap(64, 64);
    if (worst >= 0) {
        QPainter painter(&face);
        paintGlyph(&painter, QRectF(30, 30, 34, 34), glyphFor(severityOf(Impact(worst))));
    }
    m_tray->setIcon(QIcon(face));
    m_tray->setToolTip(alerts.isEmpty()
            ? tr("Stateward: nothing wrong")
            : tr("Stateward: %1; the worst: %2")
                  .arg(counted(alerts.size(), tr("problem"), tr("problems")),
                      std::max_element(alerts.cbegin(), alerts.cend(), [](const Alert& a, const Alert& b) {
                          return a.rank < b.rank;
                      })->title));
}

void MainWindow::saveSettings() const
{
    QSettings settings;
    if (m_restoreWorkspaces) { // else the list was never loaded: saving would forget it
        QStringList remembered = m_workspaces->workspaces();
        remembered.removeIf([this](const QString& p) { return m_transient.contains(p); });
        settings.setValue(kWorkspacesKey, remembered);
    }
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kStateKey, saveState());
    for (int i = 0; i < m_views.size(); ++i)
        saveColumns(View(i));
}

} // namespace Stateward
