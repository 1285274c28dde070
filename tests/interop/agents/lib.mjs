// SPDX-License-Identifier: GPL-3.0-or-later
// Shared helpers for the agent-tool drivers. The only place that knows where claude-flow and
// oh-my-codex live inside node_modules, and which versions they must be.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { die, sleepMs } from '../lib.mjs';

export { args, die, emit, sleepMs } from '../lib.mjs';

const require = createRequire(import.meta.url);

export const CLAUDE_FLOW_VERSION = '3.43.0';
export const OMX_VERSION = '0.21.6';

function packageRoot(name, want) {
    let pkgJson;
    try {
        pkgJson = require.resolve(`${name}/package.json`);
    } catch (e) {
        die(`${name} is not installed (run 'npm ci' in ${path.dirname(new URL(import.meta.url).pathname)}): ${e.message}`);
    }
    const { version } = JSON.parse(fs.readFileSync(pkgJson, 'utf8'));
    if (version !== want) die(`expected ${name} ${want}, found ${version}`);
    return path.dirname(pkgJson);
}

// claude-flow's umbrella bin (what `npx claude-flow` runs) and the real CLI it imports, which the
// daemon re-runs with fork(): v3/@claude-flow/cli/bin/cli.js inside the same tarball.
export function claudeFlow() {
    const root = packageRoot('claude-flow', CLAUDE_FLOW_VERSION);
    const cli = path.join(root, 'v3', '@claude-flow', 'cli');
    return {
        root,
        bin: path.join(root, 'bin', 'cli.js'),
        cli: path.join(cli, 'bin', 'cli.js'),
        dist: path.join(cli, 'dist', 'src'),
    };
}

// oh-my-codex: the `omx` CLI and the hook script Codex runs for its native hooks.
export function omx() {
    const root = packageRoot('oh-my-codex', OMX_VERSION);
    return {
        root,
        bin: path.join(root, 'dist', 'cli', 'omx.js'),
        hook: path.join(root, 'dist', 'scripts', 'codex-native-hook.js'),
        session: path.join(root, 'dist', 'hooks', 'session.js'),
    };
}

// The environment every driver runs the tools in: no update check or auto-update (claude-flow
// fetches registry.npmjs.org at startup otherwise), no telemetry. HOME is the caller's: tests pass
// a temp one, as both tools write there (~/.claude-flow/, ~/.codegraph/daemons/).
export function offlineEnv(extra = {}) {
    return { ...process.env, CLAUDE_FLOW_AUTO_UPDATE: 'false', DO_NOT_TRACK: '1', ...extra };
}

export function readText(file) {
    try {
        return fs.readFileSync(file, 'utf8');
    } catch {
        return null;
    }
}

export function alive(pid) {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return e.code === 'EPERM';
    }
}

// Polls `probe` until it returns a truthy value; dies naming `what` after `ms`. The deadline only
// bounds a broken run: the tests wait on the driver's printed line, never on a duration.
export function waitFor(what, probe, ms = 120000) {
    const end = Date.now() + ms;
    for (;;) {
        const v = probe();
        if (v) return v;
        if (Date.now() > end) die(`timed out waiting for ${what}`);
        sleepMs(25);
    }
}

export function absDir(dir) {
    const abs = path.resolve(dir);
    if (!fs.statSync(abs, { throwIfNoEntry: false })?.isDirectory()) die(`${dir} is not a directory`, 2);
    return fs.realpathSync(abs);
}
