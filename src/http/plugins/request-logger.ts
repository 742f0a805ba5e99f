// Each request's logger, made only when the request logs something. Fastify gives every request a
// pino child carrying its id; making one runs the redaction over its bindings and costs ~5 % of a
// portal page, for a logger that almost never writes (request lines are debug-level, and a page
// logs only when it degrades). Until then, level checks answer from the parent, whose level is the
// child's: a route that sets its own level or serializers gets its real child at once.
import type { FastifyBaseLogger } from 'fastify'
import type { Bindings, ChildLoggerOptions, Level } from 'pino'

/** The parent as Fastify holds it: a pino logger. */
type Parent = FastifyBaseLogger & { isLevelEnabled(level: string): boolean }

class LazyRequestLogger {
  #parent: Parent
  #bindings: Bindings
  #child: FastifyBaseLogger | undefined

  constructor(parent: Parent, bindings: Bindings) {
    this.#parent = parent
    this.#bindings = bindings
  }

  /** The real child, made on first use. */
  #real(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings)
    return this.#child
  }

  #log(method: Level, args: unknown[]): void {
    if (this.#child === undefined && !this.#parent.isLevelEnabled(method)) return
    ;(this.#real()[method] as (...a: unknown[]) => void)(...args)
  }

  get level(): string {
    return this.#child?.level ?? this.#parent.level
  }

  set level(level: string) {
    this.#real().level = level
  }

  isLevelEnabled(level: string): boolean {
    return this.#child === undefined ? this.#parent.isLevelEnabled(level) : (this.#child as Parent).isLevelEnabled(level)
  }

  fatal(...args: unknown[]): void {
    this.#log('fatal', args)
  }

  error(...args: unknown[]): void {
    this.#log('error', args)
  }

  warn(...args: unknown[]): void {
    this.#log('warn', args)
  }

  info(...args: unknown[]): void {
    this.#log('info', args)
  }

  debug(...args: unknown[]): void {
    this.#log('debug', args)
  }

  trace(...args: unknown[]): void {
    this.#log('trace', args)
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options)
  }
}

/** Fastify's childLoggerFactory: a request logger that becomes a pino child when first used. */
export function lazyRequestLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  // Fastify passes {} unless the route sets a level or serializers.
  if (Object.keys(options).length > 0) return logger.child(bindings, options)
  return new LazyRequestLogger(logger as Parent, bindings) as unknown as FastifyBaseLogger
}
