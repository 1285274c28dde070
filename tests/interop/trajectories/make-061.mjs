// SPDX-License-Identifier: GPL-3.0-or-later
// make-061.mjs WS [--no-git]
// Builds a small 0.6.1-layout state dir in WS with the real `trail` 0.6.1
// CLI (cwd=WS): two completed trajectories, one abandoned, one left active,
// each with decisions. By default WS is made a git repo (git init if WS has
// no .git) and a commit is made inside each completed trajectory, so `trail
// complete` also writes commits/filesChanged/_trace and <id>.trace.json;
// --no-git skips all git use (no _trace, no trace files).
// Prints `trajectory <id> <status>` per trajectory, `file <relative path>`
// for every file under WS except .git/, then `count <files>`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { die, emit, trail, trailEnv } from './lib.mjs';

const a = process.argv.slice(2);
const noGit = a.includes('--no-git');
const pos = a.filter((x) => x !== '--no-git');
if (pos.length !== 1) die('usage: make-061.mjs WS [--no-git]', 2);
const ws = path.resolve(pos[0]);
fs.mkdirSync(ws, { recursive: true });

const env = trailEnv({
    // trail runs `git rev-parse` etc. in cwd: never let it find an enclosing
    // repository (e.g. the Stateward checkout) above WS.
    GIT_CEILING_DIRECTORIES: path.dirname(ws),
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Fixture',
    GIT_AUTHOR_EMAIL: 'fixture@example.invalid',
    GIT_COMMITTER_NAME: 'Fixture',
    GIT_COMMITTER_EMAIL: 'fixture@example.invalid',
    // Otherwise projectId comes from the nearest package.json above WS or
    // the git remote, i.e. from wherever the test happens to run.
    TRAJECTORIES_PROJECT: 'stateward/fixture',
});

function git(...argv) {
    const r = spawnSync('git', argv, { cwd: ws, env, encoding: 'utf8' });
    if (r.error || r.status !== 0) die(`git ${argv.join(' ')}: ${r.error?.message ?? r.stderr.trim()}`);
}
function commitFile(rel, text, msg) {
    if (noGit) return;
    fs.mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
    fs.appendFileSync(path.join(ws, rel), text);
    git('add', '--', rel);
    git('commit', '-q', '-m', msg);
}
const t = (...argv) => trail('061', ws, argv, env);
const start = (...argv) => t('start', ...argv, '-q').trim().split('\n').pop();

if (!noGit && !fs.existsSync(path.join(ws, '.git'))) {
    git('init', '-q', '-b', 'main');
    commitFile('README.md', '# fixture\n', 'Initial commit');
}

const made = [];

const id1 = start('Add config parser', '-a', 'alice');
t('decision', 'Use a hand-written parser', '-r', 'Avoids a new dependency', '-a', 'toml11,yaml-cpp');
t('decision', 'Keep keys case-sensitive', '-r', 'Matches the upstream format');
commitFile('src/parser.txt', 'parse()\nvalidate()\n', 'Add parser');
t('complete', '--summary', 'Parser added with tests', '--approach', 'Test first', '--confidence', '0.85');
made.push([id1, 'completed']);

const id2 = start('Fix flaky lock test', '-a', 'bob', '-t', '42', '-s', 'github', '--url', 'https://example.invalid/issues/42');
t('decision', 'Retry with backoff', '-r', 'The lock holder releases within 50 ms', '-a', 'sleep,poll');
commitFile('src/lock.txt', 'retry(3)\n', 'Retry lock acquisition');
t('complete', '--summary', 'Test is stable over 500 runs', '--confidence', '0.7');
made.push([id2, 'completed']);

const id3 = start('Try a sqlite backend', '-a', 'carol');
t('decision', 'Prototype behind a flag', '-r', 'Keep file storage the default');
t('abandon', '-r', 'Out of scope for this release');
made.push([id3, 'abandoned']);

const id4 = start('Refactor storage layer', '-a', 'dave', '-w', 'run-7');
t('decision', 'Split reader and writer', '-r', 'Readers must not take the write path', '-a', 'single class');
made.push([id4, 'active']);

// Check the CLI left each trajectory where the 0.6.1 layout says.
const root = path.join(ws, '.agentworkforce', 'trajectories');
for (const [id, status] of made) {
    let file = path.join(root, 'active', id, 'trajectory.json');
    if (status !== 'active') {
        const months = fs.readdirSync(path.join(root, 'completed'));
        file = months.map((m) => path.join(root, 'completed', m, id, 'trajectory.json')).find((f) => fs.existsSync(f));
    }
    if (!file || !fs.existsSync(file)) die(`no trajectory.json for ${id} (${status}) under ${root}`);
    const got = JSON.parse(fs.readFileSync(file, 'utf8')).status;
    if (got !== status) die(`${file}: status ${got}, expected ${status}`);
    emit(`trajectory ${id} ${status}`);
}

const files = [];
(function walk(dir) {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
            if (!(dir === ws && e.name === '.git')) walk(p);
        } else files.push(path.relative(ws, p));
    }
})(ws);
files.sort();
for (const f of files) emit(`file ${f}`);
emit(`count ${files.length}`);
