// SPDX-License-Identifier: GPL-3.0-or-later
// Re-adds placeholder lock entries for optional dependencies that are not
// published (e.g. @optave/codegraph-darwin-arm64@3.11.2 is a 404 on the
// registry). npm 11.16+ drops them from package-lock.json on `npm install`
// and then `npm ci` rejects its own lock ("Missing: X@ from lock file",
// npm/cli#9846). Run after every `npm install`: `node fix-lock.mjs [DIR]` fixes DIR's lock
// (default: this folder's), e.g. `node ../fix-lock.mjs .` in agents/.
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2] ? path.resolve(process.argv[2]) : path.dirname(new URL(import.meta.url).pathname);
const file = path.join(dir, 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const pkgs = lock.packages;

// Node resolution: is `name` visible from lock location `loc`, at the exact version `spec` names
// (a nearer copy of another version hides a farther one, so npm nests the wanted one)?
function resolvable(loc, name, spec) {
    for (let l = loc; ; ) {
        const cand = (l ? `${l}/` : '') + `node_modules/${name}`;
        if (pkgs[cand]) return !/^\d+\.\d+\.\d+$/.test(spec) || !pkgs[cand].version || pkgs[cand].version === spec;
        if (!l) return false;
        const i = l.lastIndexOf('/node_modules/');
        l = i < 0 ? '' : l.slice(0, i);
    }
}

let added = 0;
for (const [loc, meta] of Object.entries({ ...pkgs })) {
    for (const [name, spec] of Object.entries(meta.optionalDependencies ?? {})) {
        if (resolvable(loc, name, spec)) continue;
        pkgs[`${loc}/node_modules/${name}`] = { optional: true };
        added++;
    }
}
const keys = Object.keys(pkgs).sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b, 'en')));
lock.packages = Object.fromEntries(keys.map((k) => [k, pkgs[k]]));
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added}`);
