import { processIO } from './io.js'
import { runCli } from './program.js'

/** The `paip` executable: Ctrl-C aborts the running command's signal, a second one exits. */
export async function main (): Promise<void> {
  const controller = new AbortController()
  let interrupted = false
  const onSignal = (): void => {
    if (interrupted) process.exit(130)
    interrupted = true
    controller.abort(new Error('interrupted'))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.exitCode = await runCli(process.argv.slice(2), { io: processIO(), signal: controller.signal })
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
}
