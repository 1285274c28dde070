// SPDX-License-Identifier: GPL-3.0-or-later
// codegraph-daemon.mjs start|second WS
// Runs CodeGraph's (npm @colbymchenry/codegraph 1.6.1, the bundle pinned in ../package.json) real
// shared MCP daemon offline for the project WS:
//   start   `codegraph init -y WS` when WS has no index yet, then `codegraph serve --mcp --path WS`
//           as an MCP host starts it: this launcher spawns the detached daemon (same argv,
//           CODEGRAPH_DAEMON_INTERNAL=1), which takes .codegraph/writer.pid and daemon.pid and
//           listens on .codegraph/daemon.sock. Once the socket's hello names the PID daemon.pid
//           names, the launcher's stdin is closed (it exits, the daemon stays until its idle
//           timeout) and `daemon <pid>` is printed.
//   second  one more daemon for WS, spawned exactly as the launcher spawns one. Prints
//           `exited <code>` once it is gone (it loses daemon.pid's O_EXCL link to the live one).
// HOME should be a temp directory: CodeGraph keeps a registry of daemons in ~/.codegraph/daemons/.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { args, codeGraphBundle, die, emit } from '../lib.mjs';
import { absDir, alive, readText } from './lib.mjs';

const [cmd, dir] = args('codegraph-daemon.mjs start|second WS', 2);
const ws = absDir(dir);
const bundle = codeGraphBundle();
const cgDir = path.join(ws, '.codegraph');
const env = { ...process.env, DO_NOT_TRACK: '1', CODEGRAPH_NO_DOWNLOAD: '1' }; // telemetry off, offline
delete env.CODEGRAPH_DIR;

// The daemon's hello: the first line it writes to every connection, `{"codegraph","pid",...}`.
function hello(socketPath) {
    return new Promise((resolve) => {
        let buf = '';
        const s = net.createConnection(socketPath);
        const done = (v) => {
            s.destroy();
            resolve(v);
        };
        s.setEncoding('utf8');
        s.on('data', (d) => {
            buf += d;
            const nl = buf.indexOf('\n');
            if (nl < 0) return;
            try {
                done(JSON.parse(buf.slice(0, nl)));
            } catch {
                done(null);
            }
        });
        s.on('error', () => done(null));
        s.on('close', () => done(null));
    });
}

async function until(what, probe, ms = 180000) {
    const end = Date.now() + ms;
    for (;;) {
        const v = await probe();
        if (v) return v;
        if (Date.now() > end) die(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 25));
    }
}

if (cmd === 'start') {
    if (!fs.existsSync(path.join(cgDir, 'codegraph.db'))) {
        const init = spawnSync(path.join(bundle, 'bin', 'codegraph'), ['init', '-y', ws], { cwd: ws, env, encoding: 'utf8' });
        if (init.status !== 0) die(`codegraph init exited ${init.status ?? init.signal}: ${init.stderr}`);
    }
    const launcher = spawn(path.join(bundle, 'bin', 'codegraph'), ['serve', '--mcp', '--path', ws], {
        cwd: ws,
        env,
        stdio: ['pipe', 'ignore', 'ignore'],
    });
    const pid = await until('the daemon to answer on its socket', async () => {
        let info;
        try {
            info = JSON.parse(readText(path.join(cgDir, 'daemon.pid')) ?? '');
        } catch {
            return null;
        }
        if (!Number.isInteger(info?.pid) || !alive(info.pid) || !info.socketPath) return null;
        const h = await hello(info.socketPath);
        return h?.pid === info.pid ? info.pid : null;
    });
    launcher.stdin.end();
    await new Promise((r) => (launcher.exitCode !== null || launcher.signalCode !== null ? r() : launcher.on('exit', r)));
    emit(`daemon ${pid}`);
} else if (cmd === 'second') {
    const log = fs.openSync(path.join(cgDir, 'daemon.log'), 'a');
    const child = spawn(
        path.join(bundle, 'node'),
        [
            '--liftoff-only',
            '--disable-warning=ExperimentalWarning',
            path.join(bundle, 'lib', 'dist', 'bin', 'codegraph.js'),
            'serve',
            '--mcp',
            '--path',
            ws,
        ],
        { cwd: ws, env: { ...env, CODEGRAPH_DAEMON_INTERNAL: '1' }, stdio: ['ignore', log, log] },
    );
    fs.closeSync(log);
    const code = await new Promise((r) => child.on('exit', (c, s) => r(c ?? s)));
    emit(`exited ${code}`);
} else {
    die(`unknown command '${cmd}'`, 2);
}
