// SPDX-License-Identifier: GPL-3.0-or-later
// cg-append.mjs DIR PREFIX COUNT
// Calls codegraph's real appendJournalEntries COUNT times, one entry per call,
// entry line `${PREFIX}-${i}` for i = 0..COUNT-1. Prints `done COUNT`.
import { args, codegraphDirs, die, emit, intArg, loadJournal } from './lib.mjs';

const [dir, prefix, countArg] = args('cg-append.mjs DIR PREFIX COUNT', 3);
const count = intArg(countArg, 'COUNT');
const { rootDir } = codegraphDirs(dir);
const { appendJournalEntries } = await loadJournal();

for (let i = 0; i < count; i++) {
    try {
        appendJournalEntries(rootDir, [{ file: `${prefix}-${i}` }]);
    } catch (e) {
        die(`append ${i} failed: ${e.message}`);
    }
}
emit(`done ${count}`);
