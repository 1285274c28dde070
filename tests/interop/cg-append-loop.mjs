// SPDX-License-Identifier: GPL-3.0-or-later
// cg-append-loop.mjs DIR PREFIX COUNT [PAUSE_MS]
// cg-append.mjs spread over time and watched: COUNT calls of codegraph's real
// appendJournalEntries, one entry `${PREFIX}-${i}` each (i = 0..COUNT-1),
// PAUSE_MS apart, so the appends overlap whatever else runs meanwhile. At each
// append, i.e. inside codegraph's journal lock, the lock file must be ours:
// its first line must be our PID. Otherwise someone broke into the lock (or
// removed it) while we held it; that prints `breach I FIRSTLINE EPOCH_MS`
// (FIRSTLINE `none` when the lock file is gone, `empty` when it has no PID
// yet) and the append goes on, so the journal shows whether anything was
// lost. codegraph's own appenders do this to each other now and then (a
// waiter reads a fresh lock in its empty-file window as PID 0, dead, and
// steals it: docs/formats/codegraph.md), so the holder and time say who it was.
// Prints `done COUNT BREACHES`; an append that throws (codegraph gives up
// after 5 s) exits 1.
import fs from 'node:fs';
import { args, codegraphDirs, die, emit, intArg, loadJournal, sleepMs } from './lib.mjs';

const [dir, prefix, countArg, pauseArg = '0'] = args('cg-append-loop.mjs DIR PREFIX COUNT [PAUSE_MS]', 3, 4);
const count = intArg(countArg, 'COUNT');
const pause = intArg(pauseArg, 'PAUSE_MS');
const { rootDir, journalPath, lockPath } = codegraphDirs(dir);
const { appendJournalEntries } = await loadJournal();

// journal.js calls fs.appendFileSync on the shared default-export object (see cg-hold.mjs):
// patched, it runs exactly where codegraph holds its lock.
let current = -1;
let breaches = 0;
const realAppend = fs.appendFileSync;
fs.appendFileSync = function (file, ...rest) {
    if (file === journalPath) {
        let holder = 'none';
        try {
            holder = fs.readFileSync(lockPath, 'utf8').split('\n')[0].trim() || 'empty';
        } catch {
            // gone: `none`
        }
        if (holder !== String(process.pid)) {
            breaches++;
            emit(`breach ${current} ${holder} ${Date.now()}`);
        }
    }
    return realAppend.call(this, file, ...rest);
};

for (let i = 0; i < count; i++) {
    current = i;
    try {
        appendJournalEntries(rootDir, [{ file: `${prefix}-${i}` }]);
    } catch (e) {
        die(`append ${i} failed: ${e.message}`);
    }
    if (pause > 0) sleepMs(pause);
}
emit(`done ${count} ${breaches}`);
