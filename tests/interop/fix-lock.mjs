// SPDX-License-Identifier: GPL-3.0-or-later
// Re-adds placeholder lock entries for optional dependencies that are not
// published (e.g. @optave/codegraph-darwin-arm64@3.11.2 is a 404 on the
// registry). npm 11.16+ drops them from package-lock.json on `npm install`
// and then `npm ci` rejects its own lock ("Missing: X@ from lock file",
// npm/cli#9846). Run after every `npm install`: `node fix-lock.mjs`.
import fs from 'node:fs';
import path from 'node:path';

const file = path.join(path.dirname(new URL(import.meta.url).pathname), 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const pkgs = lock.packages;

// Node resolution: is `name` visible from lock location `loc`?
function resolvable(loc, name) {
    for (let l = loc; ; ) {
        const cand = (l ? `${l}/` : '') + `node_modules/${name}`;
        if (pkgs[cand]) return true;
        if (!l) return false;
        const i = l.lastIndexOf('/node_modules/');
        l = i < 0 ? '' : l.slice(0, i);
    }
}

let added = 0;
for (const [loc, meta] of Object.entries({ ...pkgs })) {
    for (const name of Object.keys(meta.optionalDependencies ?? {})) {
        if (resolvable(loc, name)) continue;
        pkgs[`${loc}/node_modules/${name}`] = { optional: true };
        added++;
    }
}
const keys = Object.keys(pkgs).sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b, 'en')));
lock.packages = Object.fromEntries(keys.map((k) => [k, pkgs[k]]));
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added}`);
