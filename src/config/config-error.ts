/** Thrown by loadConfig with every configuration problem found, one per line. */
export class ConfigError extends Error {
  /** Each problem, already phrased for an operator ("PORT: expected …"). */
  readonly problems: readonly string[]

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}
