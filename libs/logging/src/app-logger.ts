import { Logger, type LoggerService, type LogLevel } from '@nestjs/common';
import { pino, type DestinationStream, type Level, type Logger as Pino } from 'pino';
import { currentLogContext } from './log-context.js';
import { redactFields } from './redaction.js';
import { serializeError } from './safe-error.js';
import { jsonLineToText } from './text-format.js';

/** LOG_LEVEL: Nest's level names, each including the ones above it. */
export type LogLevelName = 'error' | 'warn' | 'log' | 'debug';
/** LOG_FORMAT: one JSON object per line, or a line for a person to read (README, "Logs"). */
export type LogFormat = 'json' | 'text';

export interface AppLoggerOptions {
  /** Written on every line: which of the four services (or a script) wrote it. */
  service: string;
  level: LogLevelName;
  format: LogFormat;
  /** Where lines go: stdout, written synchronously, unless a test passes a stream of its own. */
  destination?: DestinationStream;
}

/** Nest's level → pino's (which names Nest's `log` `info`, as log tools expect). */
const PINO_LEVELS: Readonly<Record<LogLevel, Level>> = { fatal: 'fatal', error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };
const MOST_VERBOSE_FIRST: readonly LogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];
/** A stack trace passed as a string (Nest's `logger.error(message, stack)`). */
const STACK = /\n[ \t]+at /;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null);

/**
 * Nest's logger, backed by pino: every line - Nest's own, ours, errors - is one JSON object on
 * stdout with time, level, service, pid, context and msg, the ids of the work under way
 * (LogContext) and whatever fields were logged, patient data redacted (redactFields), errors
 * reduced to a safe message and their stack (serializeError).
 *
 * Takes Nest's calling conventions: the last string argument is the context (Nest's `Logger`
 * appends it), a string that is a stack trace is the error's stack, an Error is the error, plain
 * objects are fields of the line.
 */
export class AppLogger implements LoggerService {
  private readonly pino: Pino;

  constructor(options: AppLoggerOptions) {
    this.pino = pino(
      {
        level: PINO_LEVELS[options.level],
        base: { service: options.service, pid: process.pid },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }), log: redactFields },
        // A new object each line: pino merges the line's fields into it.
        mixin: () => ({ ...currentLogContext() }),
        // redactFields has made errors safe already; pino's own serializer would take them for new ones.
        serializers: { err: (value: unknown) => value },
        ...(options.format === 'text' ? { hooks: { streamWrite: jsonLineToText } } : {}),
      },
      options.destination ?? pino.destination({ dest: 1, sync: true }),
    );
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /** Nest's levels (LOG_LEVEL through `Logger.overrideLogger(levels)`): the most verbose one wins. */
  setLogLevels(levels: LogLevel[]): void {
    const lowest = MOST_VERBOSE_FIRST.find((level) => levels.includes(level));
    this.pino.level = lowest ? PINO_LEVELS[lowest] : 'silent';
  }

  isLevelEnabled(level: LogLevel): boolean {
    return this.pino.isLevelEnabled(PINO_LEVELS[level]);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    let last = params.length - 1;
    const tail = params[last];
    if (typeof tail === 'string' && !STACK.test(tail)) {
      fields.context = tail;
      last--;
    }
    const words: string[] = [];
    for (let i = 0; i <= last; i++) {
      const param = params[i];
      if (param === undefined) continue; // Nest's Logger.error(message) passes an undefined stack
      if (param instanceof Error) fields.err = param;
      else if (typeof param === 'string' && STACK.test(param)) fields.err = { stack: param };
      else if (isPlainObject(param)) Object.assign(fields, param);
      else words.push(String(param));
    }
    let msg: string | undefined;
    if (message instanceof Error) {
      fields.err ??= message;
      msg = serializeError(message).message;
    } else if (isPlainObject(message)) {
      Object.assign(fields, message);
    } else {
      msg = String(message);
    }
    if (words.length > 0) msg = [msg, ...words].filter((word) => word !== undefined).join(' ');
    this.pino[level](fields, msg);
  }
}

/**
 * The logger of a service process: made Nest's (the static `Logger` and every `new Logger(ctx)`
 * write through it) before Nest writes its first line, so nothing needs buffering. Pass it to
 * NestFactory as `logger` too. `Logger.isLevelEnabled('debug')` answers for it: check it before
 * building a debug line on a hot path.
 */
export function installAppLogger(options: AppLoggerOptions): AppLogger {
  const logger = new AppLogger(options);
  Logger.overrideLogger(logger);
  Logger.overrideLogger(MOST_VERBOSE_FIRST.slice(MOST_VERBOSE_FIRST.indexOf(options.level)));
  return logger;
}

/**
 * For a service's entry point: Node's warnings and a crash (an exception nothing caught, a
 * rejection nothing handled) are logged lines too, not Node's own text on stderr. Not part of
 * installing the logger: a test that starts an app in its runner's process keeps the runner's
 * handling of both.
 */
export function logProcessWarningsAndCrashes(): void {
  const logger = new Logger('Process');
  process.removeAllListeners('warning'); // Node's own printer
  process.on('warning', (warning) => logger.warn(`${warning.name}: ${warning.message}`));
  process.on('uncaughtException', (error) => {
    logger.fatal('crashed: an exception nothing caught', error);
    process.exit(1);
  });
}
