import { afterEach, describe, expect, it } from '@jest/globals';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { AppLogger, installAppLogger, type AppLoggerOptions } from './app-logger.js';
import { withLogContext, withoutLogContext } from './log-context.js';

/** A logger whose lines are kept in memory, as written (pino takes any stream). */
function capture(options: Partial<AppLoggerOptions> = {}) {
  const written: string[] = [];
  const settings = { service: 'scheduling', level: 'debug' as const, format: 'json' as const, destination: { write: (line: string) => void written.push(line) }, ...options };
  return { logger: new AppLogger(settings), settings, written, lines: () => written.map((line) => JSON.parse(line) as Record<string, any>) };
}

describe('AppLogger', () => {
  afterEach(() => {
    Logger.overrideLogger(new ConsoleLogger());
    Logger.overrideLogger(['log', 'warn', 'error', 'fatal']);
  });

  it('writes one JSON object per line: ISO time, level, service, pid, context and msg', () => {
    const { logger, written, lines } = capture();
    logger.log('listening on port 3000', 'Gateway');
    expect(written).toHaveLength(1);
    expect(written[0]!.endsWith('}\n')).toBe(true);
    expect(written[0]!.slice(0, -1)).not.toContain('\n');
    const [line] = lines();
    expect(line).toEqual({ level: 'info', time: expect.any(String), service: 'scheduling', pid: process.pid, context: 'Gateway', msg: 'listening on port 3000' });
    expect(new Date(line!.time).toISOString()).toBe(line!.time);
  });

  it('keeps to LOG_LEVEL, under Nest level names, and follows a change of levels', () => {
    const { logger, lines } = capture({ level: 'warn' });
    logger.debug('not written', 'X');
    logger.log('not written either', 'X');
    logger.warn('written', 'X');
    logger.error('written too', undefined, 'X');
    expect(lines().map((l) => [l.level, l.msg])).toEqual([['warn', 'written'], ['error', 'written too']]);
    expect(logger.isLevelEnabled('debug')).toBe(false);
    logger.setLogLevels(['debug', 'log', 'warn', 'error']);
    logger.debug('now written', 'X');
    expect(lines().at(-1)).toMatchObject({ level: 'debug', msg: 'now written' });
  });

  it('redacts patient data under any of its keys, at any depth, arrays included, whatever the case', () => {
    const { logger, lines } = capture();
    const patient = { id: 'p-1', firstName: 'Ana', lastName: 'Rivera', phone: '+13125550147', email: 'ana@example.com', dateOfBirth: '1970-01-02' };
    logger.warn({ msg: 'registration refused', patient, form: { From: '+13125550147', Body: 'my knee hurts', attempts: [{ to: '+13125550147', status: 'failed' }] } }, 'Patients');
    logger.log('duplicate', { candidates: [{ match: { contact: { email: 'ana@example.com' } } }], count: 1 }, 'Patients');
    const [first, second] = lines();
    expect(first).toMatchObject({
      msg: 'registration refused',
      patient: { id: 'p-1', firstName: '[redacted]', lastName: '[redacted]', phone: '[redacted]', email: '[redacted]', dateOfBirth: '[redacted]' },
      form: { From: '[redacted]', Body: '[redacted]', attempts: [{ to: '[redacted]', status: 'failed' }] },
    });
    expect(second).toMatchObject({ msg: 'duplicate', candidates: [{ match: { contact: { email: '[redacted]' } } }], count: 1, context: 'Patients' });
    const text = JSON.stringify(lines());
    for (const value of ['Ana', 'Rivera', '3125550147', 'ana@example.com', '1970-01-02', 'my knee']) expect(text).not.toContain(value);
    // What was logged is left as it was.
    expect(patient.firstName).toBe('Ana');
  });

  it('writes an error with its type, message and stack', () => {
    const { logger, lines } = capture();
    const error = new TypeError('cannot read the row');
    logger.error('unexpected error', error, 'HttpErrorFilter');
    logger.error('from a stack string', error.stack, 'ExceptionsHandler');
    logger.error(new RangeError('out of range'));
    const [withError, withStack, errorOnly] = lines();
    expect(withError).toMatchObject({ level: 'error', context: 'HttpErrorFilter', msg: 'unexpected error', err: { type: 'TypeError', message: 'cannot read the row' } });
    expect(withError!.err.stack).toContain('app-logger.spec.ts');
    expect(withStack).toMatchObject({ context: 'ExceptionsHandler', msg: 'from a stack string', err: { stack: error.stack } });
    expect(errorOnly).toMatchObject({ msg: 'out of range', err: { type: 'RangeError', message: 'out of range' } });
  });

  it("keeps a failed query's parameters and a database error's details out of the error", () => {
    const { logger, written } = capture();
    const cause = Object.assign(new Error('invalid input syntax for type uuid: "Ana Rivera"'), {
      code: '22P02',
      severity: 'ERROR',
      detail: 'Key (phone)=(+13125550147) already exists.',
    });
    const error = new DrizzleQueryError('select * from "scheduling"."patients" where "id" = $1', ['Ana Rivera', '+13125550147'], cause);
    logger.error('unexpected error', error, 'HttpErrorFilter');
    logger.warn('pg', { err: cause }, 'Pool');
    const [query, pg] = written.map((line) => JSON.parse(line));
    expect(query.err).toMatchObject({ type: 'DrizzleQueryError', message: 'database error 22P02' });
    expect(query.err.stack.split('\n')[0]).toBe('DrizzleQueryError: database error 22P02');
    expect(query.err.stack).toContain('app-logger.spec.ts');
    expect(pg.err).toEqual({ type: 'Error', message: 'database error 22P02', code: '22P02', stack: expect.stringMatching(/^Error: database error 22P02\n/) });
    expect(written.join('')).not.toMatch(/Ana|Rivera|3125550147/);
  });

  it('writes the ids of the work under way on every line, through awaits, and no others outside it', async () => {
    const { logger, lines } = capture();
    await withLogContext({ requestId: 'req-1' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      logger.log('inside', 'Http');
      await withLogContext({ jobId: 'job-9', queue: '{outbound-messages}' }, async () => logger.debug('nested', 'Job'));
      withoutLogContext(() => logger.log('a background pass', 'Relay'));
    });
    await Promise.all([
      withLogContext({ correlationId: 'a' }, async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        logger.log('first', 'Rpc');
      }),
      withLogContext({ correlationId: 'b' }, async () => logger.log('second', 'Rpc')),
    ]);
    logger.log('outside', 'Boot');
    const byMsg = Object.fromEntries(lines().map((line) => [line.msg, line]));
    expect(byMsg.inside).toMatchObject({ requestId: 'req-1' });
    expect(byMsg.nested).toMatchObject({ requestId: 'req-1', jobId: 'job-9', queue: '{outbound-messages}' });
    expect(byMsg['a background pass']).not.toHaveProperty('requestId');
    expect([byMsg.first!.correlationId, byMsg.second!.correlationId]).toEqual(['a', 'b']);
    expect(Object.keys(byMsg.outside!)).toEqual(['level', 'time', 'service', 'pid', 'context', 'msg']);
  });

  it("becomes Nest's logger: new Logger(context) and the static Logger write through it, levels included", () => {
    const written: string[] = [];
    installAppLogger({ service: 'gateway', level: 'log', format: 'json', destination: { write: (line) => void written.push(line) } });
    new Logger('InstanceLoader').log('GatewayModule dependencies initialized');
    new Logger('Reconciler').error('reconcile failed');
    new Logger('Http').debug('not at LOG_LEVEL=log');
    Logger.warn('a static line', 'Bootstrap');
    expect(Logger.isLevelEnabled('debug')).toBe(false);
    expect(written.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ level: 'info', service: 'gateway', context: 'InstanceLoader', msg: 'GatewayModule dependencies initialized' }),
      expect.objectContaining({ level: 'error', context: 'Reconciler', msg: 'reconcile failed' }),
      expect.objectContaining({ level: 'warn', context: 'Bootstrap', msg: 'a static line' }),
    ]);
  });

  it('LOG_FORMAT=text: one readable line with level, context, message and ids; the stack after it', () => {
    const { logger, written } = capture({ format: 'text' });
    withLogContext({ requestId: 'req-7' }, () => logger.log('GET /api/patients/:id 200 3ms', 'HTTP'));
    logger.warn({ msg: 'refused', patient: { phone: '+13125550147' } }, 'Patients');
    logger.error('unexpected error', new Error('boom'), 'HttpErrorFilter');
    expect(written[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  \[HTTP\] GET \/api\/patients\/:id 200 3ms requestId=req-7\n$/);
    expect(written[1]).toMatch(/ WARN  \[Patients\] refused \{"patient":\{"phone":"\[redacted\]"\}\}\n$/);
    const [head, ...trace] = written[2]!.trimEnd().split('\n');
    expect(head).toMatch(/ ERROR \[HttpErrorFilter\] unexpected error$/);
    expect(trace[0]).toBe('    Error: boom');
    expect(trace[1]).toMatch(/^ {4}at /);
  });
});
