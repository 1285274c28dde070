// SPDX-License-Identifier: GPL-3.0-or-later
// Shared helpers for the interop drivers. The only place that knows where
// codegraph's journal module lives inside node_modules.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

export const CODEGRAPH_VERSION = '3.11.2';

// @optave/codegraph's "exports" map only exposes ".", "./cli" and
// "./package.json", so the journal module cannot be imported by specifier;
// resolve the package root and import the dist file by path.
export function journalModulePath() {
    const pkgJson = require.resolve('@optave/codegraph/package.json');
    const { version } = JSON.parse(fs.readFileSync(pkgJson, 'utf8'));
    if (version !== CODEGRAPH_VERSION) {
        throw new Error(`expected @optave/codegraph ${CODEGRAPH_VERSION}, found ${version}`);
    }
    return path.join(path.dirname(pkgJson), 'dist', 'domain', 'graph', 'journal.js');
}

// Resolves to the module namespace: appendJournalEntries, readJournal,
// writeJournalHeader, appendJournalEntriesAndStampHeader, JOURNAL_FILENAME.
export async function loadJournal() {
    return import(pathToFileURL(journalModulePath()).href);
}

// In 3.11.2 every journal function takes the project root and hard-codes
// `<root>/.codegraph/`. Drivers accept either form of DIR: a path whose last
// component is `.codegraph` is the journal dir (root = its parent); anything
// else is the root. Returns absolute paths.
export function codegraphDirs(dir) {
    const abs = path.resolve(dir);
    const journalDir = path.basename(abs) === '.codegraph' ? abs : path.join(abs, '.codegraph');
    return {
        rootDir: path.dirname(journalDir),
        journalDir,
        journalPath: path.join(journalDir, 'changes.journal'),
        lockPath: path.join(journalDir, 'changes.journal.lock'),
    };
}

export function die(msg, code = 1) {
    process.stderr.write(`${path.basename(process.argv[1])}: ${msg}\n`);
    process.exit(code);
}

// Positional args after the script; exits 2 with usage on a count mismatch.
export function args(usage, min, max = min) {
    const a = process.argv.slice(2);
    if (a.length < min || a.length > max) die(`usage: ${usage}`, 2);
    return a;
}

export function intArg(s, name, min = 0) {
    if (!/^\d+$/.test(s) || Number(s) < min) die(`${name} must be an integer >= ${min}, got '${s}'`, 2);
    return Number(s);
}

// Synchronous write to fd 1 so a line is out before we block or get killed.
// Copes with partial writes and EAGAIN (fd 1 may be a non-blocking pipe).
export function emit(line) {
    const buf = Buffer.from(`${line}\n`);
    for (let off = 0; off < buf.length; ) {
        try {
            off += fs.writeSync(1, buf, off);
        } catch (e) {
            if (e.code !== 'EAGAIN') throw e;
            sleepMs(1);
        }
    }
}

export function sleepMs(ms) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// codegraph 3.17.0's native engine, the platform package `--engine auto` loads
// (@optave/codegraph-linux-x64-gnu, an optional dependency here). The npm
// registry serves the native package of 3.17.0 but not the JS package, so the
// drivers call the engine's own NAPI entry points, as 3.17.0's
// native-orchestrator.ts does. Resolves to the addon's exports, or throws.
export const NATIVE_VERSION = '3.17.0';
export function loadNative() {
    const pkgJson = require.resolve('@optave/codegraph-linux-x64-gnu/package.json');
    const { version } = JSON.parse(fs.readFileSync(pkgJson, 'utf8'));
    if (version !== NATIVE_VERSION) {
        throw new Error(`expected @optave/codegraph-linux-x64-gnu ${NATIVE_VERSION}, found ${version}`);
    }
    const addon = require(path.join(path.dirname(pkgJson), 'codegraph-core.node'));
    if (addon.engineVersion() !== NATIVE_VERSION) {
        throw new Error(`the addon reports ${addon.engineVersion()}, expected ${NATIVE_VERSION}`);
    }
    return addon;
}

// CodeGraph (npm @colbymchenry/codegraph): its main package is a launcher for
// the self-contained per-platform bundle, which holds the real program under
// lib/dist (CommonJS) and its own Node. Returns the bundle's root, or throws.
export const CODEGRAPH_CBM_VERSION = '1.6.1';
export function codeGraphBundle() {
    const pkgJson = require.resolve(`@colbymchenry/codegraph-${process.platform}-${process.arch}/package.json`);
    const { version } = JSON.parse(fs.readFileSync(pkgJson, 'utf8'));
    if (version !== CODEGRAPH_CBM_VERSION) {
        throw new Error(`expected CodeGraph ${CODEGRAPH_CBM_VERSION}, found ${version}`);
    }
    return path.dirname(pkgJson);
}
