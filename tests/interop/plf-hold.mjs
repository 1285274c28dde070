// SPDX-License-Identifier: GPL-3.0-or-later
// plf-hold.mjs FILE [STALE_MS]
// Takes a proper-lockfile lock on FILE (lock dir `FILE.lock`) with
// {stale: STALE_MS (default 10000), realpath: false}; the library refreshes
// the dir mtime every stale/2 ms. Prints `locked <pid>`, then holds until
// killed or stdin reaches EOF; on EOF releases, prints `released`, exits 0.
// If proper-lockfile reports the lock compromised (dir removed or mtime
// changed behind its back) prints `compromised <code>` and exits 3.
import lockfile from 'proper-lockfile';
import { args, die, emit, intArg } from './lib.mjs';

const [file, staleArg = '10000'] = args('plf-hold.mjs FILE [STALE_MS]', 1, 2);
const stale = intArg(staleArg, 'STALE_MS', 1);

let release;
try {
    release = await lockfile.lock(file, {
        stale,
        realpath: false,
        onCompromised: (err) => {
            emit(`compromised ${err.code ?? 'UNKNOWN'}`);
            die(`lock compromised: ${err.message}`, 3);
        },
    });
} catch (e) {
    die(`lock failed: ${e.code ?? ''} ${e.message}`);
}
emit(`locked ${process.pid}`);

process.stdin.on('error', () => {});
process.stdin.on('end', async () => {
    try {
        await release();
    } catch (e) {
        die(`release failed: ${e.code ?? ''} ${e.message}`);
    }
    emit('released');
    process.exit(0);
});
process.stdin.resume();
