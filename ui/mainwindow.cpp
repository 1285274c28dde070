// SPDX-License-Identifier: GPL-3.0-or-later
#include "mainwindow.h"

#include "proc/procfs.h"
#include "version.h"
#include "workspacelist.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileDialog>
#include <QLabel>
#include <QListView>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>
#include <QToolBar>

namespace Stateward {

namespace {
    const auto kWorkspacesKey = QStringLiteral("workspaces/list");
    const auto kGeometryKey = QStringLiteral("window/geometry");
    const auto kStateKey = QStringLiteral("window/state");
} // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , m_workspaces(new WorkspaceListModel(this))
    , m_workspaceView(new QListView)
    , m_detail(new QLabel)
{
    setWindowTitle(QStringLiteral("Stateward"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/stateward.svg")));
    resize(1000, 640);

    m_workspaceView->setModel(m_workspaces);
    m_workspaceView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_workspaceView->setContextMenuPolicy(Qt::ActionsContextMenu);
    auto* dock = new QDockWidget(tr("Workspaces"), this);
    dock->setObjectName(QStringLiteral("workspacesDock"));
    dock->setWidget(m_workspaceView);
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::LeftDockWidgetArea, dock);

    m_detail->setAlignment(Qt::AlignCenter);
    m_detail->setWordWrap(true);
    m_detail->setMargin(24);
    m_detail->setTextInteractionFlags(Qt::TextSelectableByMouse);
    setCentralWidget(m_detail);

    auto* addAction = new QAction(QIcon::fromTheme(QStringLiteral("folder-open")), tr("&Add Workspace…"), this);
    addAction->setShortcut(QKeySequence::Open);
    connect(addAction, &QAction::triggered, this, &MainWindow::addWorkspaceInteractively);
    auto* removeAction = new QAction(QIcon::fromTheme(QStringLiteral("list-remove")), tr("&Remove Workspace"), this);
    removeAction->setShortcut(QKeySequence::Delete);
    removeAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(removeAction, &QAction::triggered, this, &MainWindow::removeSelectedWorkspace);
    m_workspaceView->addAction(removeAction);
    auto* quitAction = new QAction(QIcon::fromTheme(QStringLiteral("application-exit")), tr("&Quit"), this);
    quitAction->setShortcut(QKeySequence::Quit);
    connect(quitAction, &QAction::triggered, this, &QWidget::close);
    auto* aboutAction = new QAction(tr("&About Stateward"), this);
    connect(aboutAction, &QAction::triggered, this, [this] {
        QMessageBox::about(this, tr("About Stateward"),
            tr("<h3>Stateward %1</h3><p>Sees and safely repairs the state directories that local developer "
               "and agent tools keep in a workspace.</p>")
                .arg(version()));
    });

    QMenu* fileMenu = menuBar()->addMenu(tr("&File"));
    fileMenu->addAction(addAction);
    fileMenu->addAction(removeAction);
    fileMenu->addSeparator();
    fileMenu->addAction(quitAction);
    QMenu* viewMenu = menuBar()->addMenu(tr("&View"));
    viewMenu->addAction(dock->toggleViewAction());
    menuBar()->addMenu(tr("&Help"))->addAction(aboutAction);

    QToolBar* toolBar = addToolBar(tr("Main"));
    toolBar->setObjectName(QStringLiteral("mainToolBar"));
    toolBar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolBar->addAction(addAction);

    connect(m_workspaceView->selectionModel(), &QItemSelectionModel::currentChanged, this, &MainWindow::updateDetail);
    connect(m_workspaces, &QAbstractItemModel::rowsInserted, this, &MainWindow::updateDetail);
    connect(m_workspaces, &QAbstractItemModel::rowsRemoved, this, &MainWindow::updateDetail);

    QSettings settings;
    m_workspaces->load(settings.value(kWorkspacesKey).toStringList());
    restoreGeometry(settings.value(kGeometryKey).toByteArray());
    restoreState(settings.value(kStateKey).toByteArray());

    statusBar()->showMessage(tr("Host %1 · boot %2").arg(ProcFs::hostName(), ProcFs::bootId().left(8)));
    updateDetail();
}

MainWindow::~MainWindow() = default;

bool MainWindow::openWorkspace(const QString& path)
{
    const int row = m_workspaces->addWorkspace(path);
    if (row < 0) {
        statusBar()->showMessage(tr("Not a folder: %1").arg(path), 10000);
        return false;
    }
    m_workspaceView->setCurrentIndex(m_workspaces->index(row));
    return true;
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    saveSettings();
    event->accept();
}

void MainWindow::addWorkspaceInteractively()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Add Workspace"));
    if (!dir.isEmpty())
        openWorkspace(dir);
}

void MainWindow::removeSelectedWorkspace()
{
    m_workspaces->removeWorkspace(m_workspaceView->currentIndex().row());
}

void MainWindow::updateDetail()
{
    const QModelIndex current = m_workspaceView->currentIndex();
    if (m_workspaces->rowCount() == 0) {
        m_detail->setText(tr("<h2>No workspace open</h2><p>Add a workspace folder (File → Add Workspace…, "
                             "or <tt>stateward FOLDER</tt>) to see the jobs, daemons, locks and temporary "
                             "files that its tools keep.</p>"));
    } else if (!current.isValid()) {
        m_detail->setText(
            tr("<h2>%n workspace(s)</h2><p>Select one on the left.</p>", nullptr, m_workspaces->rowCount()));
    } else {
        m_detail->setText(tr("<h2>%1</h2><p><tt>%2</tt></p>")
                              .arg(current.data().toString().toHtmlEscaped(),
                                  current.data(WorkspaceListModel::PathRole).toString().toHtmlEscaped()));
    }
}

void MainWindow::saveSettings() const
{
    QSettings settings;
    settings.setValue(kWorkspacesKey, m_workspaces->workspaces());
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kStateKey, saveState());
}

} // namespace Stateward
