/**
 * How long each step of a daemon's start took, in wall-clock and in CPU time, served as
 * `paip_start_phase_seconds{phase,clock}` on `GET /metrics` (bench: node reads them to say why a
 * cold start takes what it takes). The first phase counts from the process's own start.
 */
export interface StartPhase {
  name: string
  wallSeconds: number
  cpuSeconds: number
}

export interface StartClock {
  /** Ends the phase that ran since the previous mark (the first: since the process started). */
  mark: (name: string) => void
  readonly phases: readonly StartPhase[]
}

export function startClock (): StartClock {
  const phases: StartPhase[] = []
  // performance.now() counts from the process's start, process.cpuUsage() too
  let wall = 0
  let cpu = 0
  return {
    phases,
    mark (name) {
      const nowWall = performance.now() / 1000
      const usage = process.cpuUsage()
      const nowCpu = (usage.user + usage.system) / 1e6
      phases.push({ name, wallSeconds: nowWall - wall, cpuSeconds: nowCpu - cpu })
      wall = nowWall
      cpu = nowCpu
    }
  }
}
