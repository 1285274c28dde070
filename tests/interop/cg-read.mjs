// SPDX-License-Identifier: GPL-3.0-or-later
// cg-read.mjs DIR
// Prints codegraph's own readJournal(DIR) as one JSON line:
// {"valid":…,"timestamp":…,"changed":[…],"removed":[…]}.
import { args, codegraphDirs, emit, loadJournal } from './lib.mjs';

const [dir] = args('cg-read.mjs DIR', 1);
const { readJournal } = await loadJournal();
emit(JSON.stringify(readJournal(codegraphDirs(dir).rootDir)));
