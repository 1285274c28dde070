// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "alerts.h"
#include "background.h"
#include "problem/problem.h"
#include "repair/repair.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshotchanges.h"

#include <QHash>
#include <QMainWindow>
#include <QPair>
#include <QSet>

#include <memory>

class QAction;
class QComboBox;
class QLabel;
class QLineEdit;
class QListView;
class QMenu;
class QPlainTextEdit;
class QPushButton;
class QStackedWidget;
class QSystemTrayIcon;
class QTabWidget;
class QTableView;
class QTimer;
class QTreeWidget;

namespace Stateward {

class FilterProxy;
class KeyedModel;
class RepairDialog;
class TimelineWidget;
class WatchHub;
class WorkspaceListModel;
struct WatchHealth;

// The Stateward window (docs/architecture.md): workspaces and the tools found in them on the left;
// jobs, brokers & daemons, locks, tmp files and findings as sortable, filterable tables; a detail
// pane with the raw record and a job's log tail; a timeline; an event log. Every snapshot the
// WatchHub delivers is applied to the models as a diff. Repairs, the orphan-broker cleanup, export
// and undo all go through dialogs that show exactly what will change first.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    enum class View
    {
        Problems, // the overview: what is wrong, worst first, and the fix of each
        Jobs,
        Brokers,
        Locks,
        TempFiles,
        Findings
    };
    Q_ENUM(View)

    // restoreWorkspaces false (the demo): the remembered workspaces are neither opened nor saved.
    explicit MainWindow(QWidget* parent = nullptr, bool restoreWorkspaces = true);
    ~MainWindow() override;

    WorkspaceListModel* workspaces() const { return m_workspaces; }
    // Adds a workspace from the command line or a folder picker and starts watching it; false
    // (with a status message) when the path is not a directory. A workspace that is not
    // remembered (the demo's) is not saved in the settings.
    bool openWorkspace(const QString& path, bool remember = true);

    WatchHub* hub() const { return m_hub; }
    KeyedModel* model(View view) const;
    QTableView* tableView(View view) const;
    FilterProxy* proxy(View view) const;
    TimelineWidget* timeline() const { return m_timeline; }
    QPlainTextEdit* eventLog() const { return m_log; }
    QPlainTextEdit* detailPane() const { return m_detail; }
    QAction* action(const QString& objectName) const; // "repairAll", "cleanUpOrphans", …
    // Every snapshot shown, all workspaces, in workspace order.
    QList<Snapshot> snapshots() const;
    void showView(View view);
    // The header's column chooser: one checkable action per column (the last one shown cannot be
    // hidden) and "Show All Columns". Hiding, showing, sorting and widths are remembered per view.
    void fillColumnMenu(View view, QMenu* menu);
    // Selects the first row of a view (by its current sort), as a click would.
    void selectFirstRow(View view);

    // The plans the actions preview: all safe repairs; the orphan-broker cleanup; the findings
    // behind the rows selected in the current view (every kind, termination included, since
    // someone chose them).
    RepairPlan planAllSafe() const;
    // The problems shown in the overview, in model order; the plan of one problem's fix (its
    // findings only, every kind its fix names) and its preview.
    QList<Problem> problems() const;
    RepairPlan planProblem(const QString& problemId) const;
    void fixProblem(const QString& problemId);
    RepairPlan planOrphanCleanup() const;
    RepairPlan planSelected() const;

    // Speaking up (the tray, notifications, the title). Tests give their own notifier and clock;
    // by default notifications go to the tray's balloon, or to a popup where there is no tray.
    void setNotifier(Notifier* notifier, Herald::Clock clock = {});
    const Herald& herald() const { return *m_herald; }
    QSystemTrayIcon* trayIcon() const { return m_tray; }
    // The settings (Settings menu): a tray icon (on by default where the desktop has one), close
    // to the tray instead of quitting (the same default), start at login (off by default).
    static bool trayWanted();
    static bool closeToTrayWanted();
    // Starts with the window hidden: in the tray when there is one, else minimised (--hidden).
    void startHidden();

signals:
    // A repair preview was opened (non-modal towards the event loop): tests drive it from here.
    void repairDialogOpened(Stateward::RepairDialog* dialog);

public slots:
    void repairSelected();
    void repairAllSafe();
    void cleanUpOrphanBrokers();
    void exportRecoveredIndex();
    void showUndo();
    void rescan();

protected:
    void closeEvent(QCloseEvent* event) override;
    void showEvent(QShowEvent* event) override;

private:
    void buildActions();
    void buildViews();
    void buildDocks();
    void addWorkspaceInteractively();
    void removeSelectedWorkspace();
    void onSnapshots(const QString& workspace, const QList<Snapshot>& snapshots, const WorkspaceChanges& changes);
    void onHealth(const WatchHealth& health);
    // The models given every snapshot; after a delivery of one workspace, only what it changed.
    void applyAll(const QString& workspace = {}, const WorkspaceChanges& changes = WorkspaceChanges::everything());
    void updateTools();
    void updateCounts();
    void updateDetail();
    void showDetail(const QString& text);
    void updateActions();
    void openRepairDialog(const RepairPlan& plan, const QString& title);
    void showRowMenu(View view, const QPoint& pos);
    void showColumnMenu(View view, const QPoint& pos);
    QWidget* buildOverview(QTableView* table);
    void updateOverview();
    // The overview's problems of one workspace (clean absolute path), as its model holds them now.
    QList<Problem> problemsIn(const QString& workspace) const;
    void logProblemChanges(const QString& workspace, const QList<Problem>& before, const QList<Problem>& now);
    QString describeInWords(const QVariant& row) const;
    static QString columnsKey(View view);
    void saveColumns(View view) const;
    void restoreColumns(View view);
    void selectId(const QString& id);
    void logEvent(const QString& text);
    void openContainingFolder(const QString& path);
    void fitToScreen();
    void buildSettingsMenu();
    void updateTray();
    void updateAlerts();
    QList<Alert> currentAlerts() const;
    void quit();
    QList<QVariant> selectedRows() const; // the current view's, as KeyedModel::RowRole values
    bool selectionHasRepairs() const;
    void saveSettings() const;
    QStringList stateDirs() const;

    WorkspaceListModel* m_workspaces;
    WatchHub* m_hub;
    QHash<QString, QList<Snapshot>> m_snapshots; // by workspace, as last delivered
    QSet<QString> m_transient; // open but not remembered
    bool m_restoreWorkspaces = true;
    bool m_stateRestored = false;
    QList<KeyedModel*> m_models; // indexed by View
    QList<FilterProxy*> m_proxies;
    QList<QTableView*> m_views;
    QHash<QString, QAction*> m_actions;
    QListView* m_workspaceView = nullptr;
    QTreeWidget* m_tools = nullptr;
    QStackedWidget* m_stack = nullptr;
    QLabel* m_welcome = nullptr;
    QTabWidget* m_tabs = nullptr;
    QLineEdit* m_filter = nullptr;
    QComboBox* m_severity = nullptr;
    QComboBox* m_family = nullptr;
    TimelineWidget* m_timeline = nullptr;
    QPlainTextEdit* m_detail = nullptr;
    QPlainTextEdit* m_log = nullptr;
    QLabel* m_overviewSummary = nullptr;
    QPushButton* m_fixAllButton = nullptr;
    QLabel* m_healthLabel = nullptr;
    QLabel* m_countsLabel = nullptr;
    QLabel* m_scanLabel = nullptr;
    quint64 m_detailAsked = 0; // a log tail read for an older request is not shown
    QPair<QString, QString> m_logTail; // the last log file read, and its tail
    BackgroundRunner m_background; // the log tail: no file is read on the GUI thread
    std::unique_ptr<DesktopNotifier> m_ownNotifier;
    std::unique_ptr<Herald> m_herald;
    QTimer* m_heraldTimer = nullptr;
    QSystemTrayIcon* m_tray = nullptr;
    bool m_quitting = false;
    bool m_presented = false; // shown, or started hidden on purpose
};

} // namespace Stateward
