import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProjectedTokenFile, TokenFileError } from '../../src/client/token-file.js';

const dir = mkdtempSync(join(tmpdir(), 'wid-token-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const jwt = (n: number): string => `aGVhZGVy.cGF5bG9hZA${n}.c2ln`;

describe('ProjectedTokenFile', () => {
  it('sees a new token from the next turn of the event loop; reads within one turn share one stat', async () => {
    const path = join(dir, 'turns');
    writeFileSync(path, jwt(1));
    const file = new ProjectedTokenFile(path);
    expect(file.readNow()).toBe(jwt(1));
    // Written in the same turn: nothing outside this process could have been ordered in between.
    writeFileSync(path, `${jwt(2)}  `);
    expect(file.readNow()).toBe(jwt(1));
    await nextTurn();
    expect(file.readNow()).toBe(jwt(2));
  });

  it('never reuses a failed read within the turn: a fixed file is read at once', async () => {
    const path = join(dir, 'broken');
    writeFileSync(path, jwt(1));
    const file = new ProjectedTokenFile(path);
    expect(file.readNow()).toBe(jwt(1));
    await nextTurn();
    writeFileSync(path, '');
    expect(() => file.readNow()).toThrow(TokenFileError);
    writeFileSync(path, 'not a token');
    expect(() => file.readNow()).toThrow(/not a JWT/);
    writeFileSync(path, jwt(3));
    expect(file.readNow()).toBe(jwt(3));
    rmSync(path);
    await nextTurn();
    expect(() => file.readNow()).toThrow(/does not exist/);
  });
});
