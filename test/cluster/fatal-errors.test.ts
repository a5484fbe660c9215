import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { exitOnFatalErrors } from '../../cluster/fatal-errors.js';

const nodeProcess = () => {
  const proc = new EventEmitter();
  const lines: Array<{ level: number; msg: string; err?: { message?: string } }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => { lines.push(JSON.parse(line) as (typeof lines)[number]); } });
  const exits: number[] = [];
  exitOnFatalErrors(proc as unknown as NodeJS.Process, logger, (code) => exits.push(code));
  return { proc, lines, exits };
};

describe('a node process meeting an error nobody handled', () => {
  it('logs an unhandled rejection through pino with the error, then exits non-zero', () => {
    const { proc, lines, exits } = nodeProcess();
    proc.emit('unhandledRejection', new Error('lost promise'), Promise.resolve());
    expect(lines).toEqual([expect.objectContaining({ level: 60, err: expect.objectContaining({ message: 'lost promise' }) })]);
    expect(exits).toEqual([1]);
  });

  it('logs an uncaught exception through pino with the error, then exits non-zero', () => {
    const { proc, lines, exits } = nodeProcess();
    proc.emit('uncaughtException', new Error('thrown in a timer'));
    expect(lines).toEqual([expect.objectContaining({ level: 60, err: expect.objectContaining({ message: 'thrown in a timer' }) })]);
    expect(exits).toEqual([1]);
  });
});
