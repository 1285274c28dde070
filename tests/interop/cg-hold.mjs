// SPDX-License-Identifier: GPL-3.0-or-later
// cg-hold.mjs DIR
// Enters codegraph's real journal lock via appendJournalEntries and never
// leaves: fs.appendFileSync (called by appendJournalEntries only after the
// lock is acquired, and after the header write if the journal was missing)
// is patched to print `inside <pid>` and block forever. Meant to be killed.
import fs from 'node:fs';
import { args, codegraphDirs, die, emit, loadJournal } from './lib.mjs';

const [dir] = args('cg-hold.mjs DIR', 1);
const { rootDir, journalPath } = codegraphDirs(dir);
const { appendJournalEntries } = await loadJournal();

// journal.js does `import fs from 'node:fs'` and calls fs.appendFileSync, so
// patching the shared default-export object is seen by it.
const realAppend = fs.appendFileSync;
fs.appendFileSync = function (file, ...rest) {
    if (file === journalPath) {
        emit(`inside ${process.pid}`);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // forever
    }
    return realAppend.call(this, file, ...rest);
};

try {
    appendJournalEntries(rootDir, [{ file: `hold-${process.pid}` }]);
} catch (e) {
    die(`could not enter lock: ${e.message}`);
}
die('appendJournalEntries returned without reaching the append');
