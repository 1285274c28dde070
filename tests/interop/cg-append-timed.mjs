// SPDX-License-Identifier: GPL-3.0-or-later
// cg-append-timed.mjs DIR [LINE]
// One appendJournalEntries call with a single entry (default `timed-<pid>`).
// Prints `waited_ms <n>` (wall time of the whole call, integer ms, includes
// any time spent waiting for the journal lock) and then `done`.
import { args, codegraphDirs, die, emit, loadJournal } from './lib.mjs';

const [dir, line = `timed-${process.pid}`] = args('cg-append-timed.mjs DIR [LINE]', 1, 2);
const { rootDir } = codegraphDirs(dir);
const { appendJournalEntries } = await loadJournal();

emit('calling'); // the next instant asks for the lock: tests wait for this line
const t0 = process.hrtime.bigint();
try {
    appendJournalEntries(rootDir, [{ file: line }]);
} catch (e) {
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    die(`append failed after ${Math.round(ms)} ms: ${e.message}`);
}
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
emit(`waited_ms ${Math.round(ms)}`);
emit('done');
