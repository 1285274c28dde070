// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QMainWindow>

class QLabel;
class QListView;

namespace Stateward {

class WorkspaceListModel;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    WorkspaceListModel* workspaces() const { return m_workspaces; }
    // Adds a workspace from the command line or a folder picker; false (with a status message)
    // when the path is not a directory.
    bool openWorkspace(const QString& path);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void addWorkspaceInteractively();
    void removeSelectedWorkspace();
    void updateDetail();
    void saveSettings() const;

    WorkspaceListModel* m_workspaces;
    QListView* m_workspaceView;
    QLabel* m_detail;
};

} // namespace Stateward
