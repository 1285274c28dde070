// SPDX-License-Identifier: GPL-3.0-or-later
// cbm-hold.mjs ROOT
// Takes CodeGraph's (npm @colbymchenry/codegraph) three locks of the project
// at ROOT with its own code from the installed bundle: the database lock
// .codegraph/codegraph.lock (utils.js FileLock), the writer lock
// .codegraph/writer.pid (mcp/writer-lock.js, direct mode) and the daemon lock
// .codegraph/daemon.pid (mcp/daemon.js tryAcquireDaemonLock). Prints
// `held <pid>`, then holds them until stdin reaches EOF (releases them, prints
// `released`) or it is killed (they stay behind, naming a dead PID).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { args, codeGraphBundle, die, emit } from './lib.mjs';

const [root] = args('cbm-hold.mjs ROOT', 1);
const abs = path.resolve(root);
const require = createRequire(import.meta.url);
const dist = path.join(codeGraphBundle(), 'lib', 'dist');
const { FileLock } = require(path.join(dist, 'utils.js'));
const { tryAcquireWriterLock, releaseWriterLock } = require(path.join(dist, 'mcp', 'writer-lock.js'));
const { tryAcquireDaemonLock } = require(path.join(dist, 'mcp', 'daemon.js'));
const { getDaemonPidPath } = require(path.join(dist, 'mcp', 'daemon-paths.js'));

fs.mkdirSync(path.join(abs, '.codegraph'), { recursive: true }); // `codegraph init` makes it first
const dbLock = new FileLock(path.join(abs, '.codegraph', 'codegraph.lock'));
try {
    dbLock.acquire();
} catch (e) {
    die(`codegraph.lock: ${e.message}`);
}
const writer = tryAcquireWriterLock(abs, 'direct');
if (writer.kind !== 'acquired') die(`writer.pid is taken: ${JSON.stringify(writer.existing)}`);
const daemon = tryAcquireDaemonLock(abs);
if (daemon.kind !== 'acquired') die(`daemon.pid is taken: ${JSON.stringify(daemon.existing)}`);
emit(`held ${process.pid}`);
process.stdin.resume();
process.stdin.on('end', () => {
    dbLock.release();
    releaseWriterLock(abs);
    fs.unlinkSync(getDaemonPidPath(abs));
    emit('released');
    process.exit(0);
});
