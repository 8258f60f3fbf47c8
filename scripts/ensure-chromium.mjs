// Makes sure the Chromium that the end-to-end tests and benchmarks drive is installed.
// Installs it on Debian when running as root (CI containers); otherwise explains how.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const chromiumPath = '/usr/bin/chromium'
// fonts-noto-core: without it Arabic, Persian, Tigrinya etc. render as boxes and layouts differ.
const packages = ['chromium', 'fonts-noto-core']

function runOrExit(command, args) {
  const result = spawnSync(command, args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  })
  if (result.error) {
    console.error(`Could not run ${command}: ${result.error.message}`)
    process.exit(1)
  }
  if (result.status !== 0) {
    console.error(`${command} ${args.join(' ')} failed (exit code ${result.status ?? result.signal}).`)
    process.exit(result.status ?? 1)
  }
}

if (!existsSync(chromiumPath)) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  if (!isRoot) {
    console.error(
      [
        `Chromium is needed for the end-to-end tests and benchmarks, but ${chromiumPath} does not exist.`,
        'On Debian, install it with:',
        `  sudo apt-get update && sudo apt-get install -y ${packages.join(' ')}`,
        '(Running this script as root installs it automatically.)',
      ].join('\n'),
    )
    process.exit(1)
  }

  console.log(`${chromiumPath} is missing; installing ${packages.join(' ')} with apt-get…`)
  runOrExit('apt-get', ['update'])
  runOrExit('apt-get', ['install', '-y', ...packages])

  if (!existsSync(chromiumPath)) {
    console.error(`apt-get finished, but ${chromiumPath} still does not exist.`)
    process.exit(1)
  }
}
