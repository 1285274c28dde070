// SPDX-License-Identifier: GPL-3.0-or-later
// claude-flow.mjs start|second|stop|swarm WS
// Runs the real claude-flow 3.43.0 (npm `claude-flow`, the same CLI `ruflo` ships) offline in the
// workspace WS:
//   start   `claude-flow daemon start --quiet`: the launcher forks the detached daemon
//           (`node .../cli.js daemon start --foreground --quiet --workspace WS`), which writes
//           .claude-flow/daemon.pid, daemon-state.json and logs/daemon.log. Prints `started <pid>`
//           once the daemon's log says it started and daemon.pid names it.
//   second  starts one more daemon process for WS exactly as the launcher forks one (same argv,
//           CLAUDE_FLOW_DAEMON=1). claude-flow's singleton check finds the live daemon.pid and
//           skips scheduling, but the process stays up, named by no file: an orphan. Prints
//           `second <pid>` once its log line is out.
//   stop    `claude-flow daemon stop --quiet` (it also SIGTERMs every daemon of WS that
//           daemon.pid does not name). Prints `stopped`.
//   swarm   the MCP tool swarm_init through `claude-flow mcp exec`: writes
//           .claude-flow/swarm/swarm-state.json. Prints `swarm <id>`.
// HOME should be a temp directory: claude-flow keeps ~/.claude-flow/ (update and warning stamps).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { absDir, alive, args, claudeFlow, die, emit, offlineEnv, readText, waitFor } from './lib.mjs';

const [cmd, dir] = args('claude-flow.mjs start|second|stop|swarm WS', 2);
const ws = absDir(dir);
const cf = claudeFlow();
const stateDir = path.join(ws, '.claude-flow');
const pidFile = path.join(stateDir, 'daemon.pid');
const logFile = path.join(stateDir, 'logs', 'daemon.log');

// `daemon stop` and `swarm` key on the project root claude-flow finds from the cwd; make sure it is
// WS and not some ancestor with a claude-flow marker.
const { resolveDaemonProjectRoot } = await import(
    pathToFileURL(path.join(cf.dist, 'services', 'daemon-autostart.js')).href
);
if (resolveDaemonProjectRoot(ws) !== ws) {
    die(`claude-flow would take ${resolveDaemonProjectRoot(ws)} as the project of ${ws}`);
}

function run(argv) {
    const r = spawnSync(process.execPath, [cf.bin, ...argv], { cwd: ws, env: offlineEnv(), encoding: 'utf8' });
    if (r.status !== 0) die(`claude-flow ${argv.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr}${r.stdout}`);
    return r.stdout;
}

function logCount(needle) {
    return (readText(logFile) ?? '').split('\n').filter((l) => l.includes(needle)).length;
}

if (cmd === 'start') {
    run(['daemon', 'start', '--quiet', '--workspace', ws]);
    const pid = waitFor('daemon.pid and the daemon log', () => {
        const n = Number((readText(pidFile) ?? '').trim());
        if (!Number.isInteger(n) || n <= 0 || !alive(n)) return null;
        if (!(readText(logFile) ?? '').includes(`Daemon started (PID: ${n},`)) return null;
        return fs.existsSync(path.join(stateDir, 'daemon-state.json')) ? n : null;
    });
    emit(`started ${pid}`);
} else if (cmd === 'second') {
    const before = logCount('skipping start');
    const child = spawn(process.execPath, [cf.cli, 'daemon', 'start', '--foreground', '--quiet', '--workspace', ws], {
        cwd: ws,
        detached: true,
        stdio: 'ignore',
        env: offlineEnv({ CLAUDE_FLOW_DAEMON: '1' }),
    });
    child.unref();
    waitFor('the second daemon to find the first', () => logCount('skipping start') > before);
    if (!alive(child.pid)) die('the second daemon exited');
    emit(`second ${child.pid}`);
} else if (cmd === 'stop') {
    run(['daemon', 'stop', '--quiet']);
    emit('stopped');
} else if (cmd === 'swarm') {
    const out = run(['mcp', 'exec', '-t', 'swarm_init', '-p', '{"topology":"mesh"}']);
    const id = /"swarmId":\s*"([^"]+)"/.exec(out)?.[1];
    if (!id) die(`swarm_init printed no swarmId: ${out}`);
    emit(`swarm ${id}`);
} else {
    die(`unknown command '${cmd}'`, 2);
}
