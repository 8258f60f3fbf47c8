// `npm start`: builds the web app when the build is missing or stale, then runs the server.
// `npm run demo` (--demo): the same with a fictional demo municipality in its own data directory.
// Plain Node on purpose: it must work right after `npm install`, before anything is compiled.
import { spawn } from 'node:child_process'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { constants as osConstants } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const builtIndexHtml = path.join(repoRoot, 'dist', 'index.html')
const buildInputs = ['src', 'locales', 'public', 'index.html', 'vite.config.ts', 'package.json']
const forwardedSignals = ['SIGINT', 'SIGTERM', 'SIGHUP']

/**
 * Path of a locally installed package's CLI script. Running it with this Node directly instead of
 * through `npx` matters: `npm exec` exits on SIGTERM without passing it on, which would leave the
 * server running, orphaned, on its port.
 */
function localBinScript(packageName) {
  const require = createRequire(path.join(repoRoot, 'package.json'))
  const manifestPath = require.resolve(`${packageName}/package.json`)
  const { bin } = JSON.parse(readFileSync(manifestPath, 'utf8'))
  const relativeScript = typeof bin === 'string' ? bin : bin[packageName]
  return path.resolve(path.dirname(manifestPath), relativeScript)
}

/** Modification time in ms, or undefined when the path does not exist. */
function modifiedTimeOf(filePath) {
  try {
    return statSync(filePath).mtimeMs
  } catch (error) {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined
    throw error
  }
}

function newestModifiedTimeUnder(entryPath) {
  let stats
  try {
    stats = statSync(entryPath)
  } catch (error) {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return 0
    throw error
  }
  if (!stats.isDirectory()) return stats.mtimeMs
  let newest = stats.mtimeMs // a deleted file only shows up in its directory's mtime
  for (const entry of readdirSync(entryPath, { withFileTypes: true })) {
    newest = Math.max(newest, newestModifiedTimeUnder(path.join(entryPath, entry.name)))
  }
  return newest
}

function isBuildStale() {
  const builtAt = modifiedTimeOf(builtIndexHtml)
  if (builtAt === undefined) return true
  const newestInput = Math.max(...buildInputs.map((input) => newestModifiedTimeUnder(path.join(repoRoot, input))))
  return newestInput > builtAt
}

/**
 * Runs a command with the terminal attached and relays termination signals, so a process manager
 * stopping `npm start` also stops the server (and its graceful shutdown) instead of orphaning it.
 * Resolves with the exit code the wrapper should report.
 */
function run(command, args, env = process.env) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: 'inherit', env })
    const relay = (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    }
    for (const signal of forwardedSignals) process.on(signal, relay)
    const finish = (exitCode) => {
      for (const signal of forwardedSignals) process.off(signal, relay)
      resolve(exitCode)
    }
    child.on('error', (error) => {
      console.error(`Could not run ${command} ${args.join(' ')}: ${error.message}`)
      finish(1)
    })
    child.on('exit', (code, signal) => {
      finish(code ?? 128 + (osConstants.signals[signal] ?? 0))
    })
  })
}

if (isBuildStale()) {
  console.log('Building Lotse (dist/ is missing or older than the sources)…')
  const buildExitCode = await run(process.execPath, [localBinScript('vite'), 'build'])
  if (buildExitCode !== 0) {
    console.error(`The build failed (exit code ${buildExitCode}); the server was not started.`)
    process.exit(buildExitCode)
  }
}

/**
 * The demo runs on PGlite in a data directory of its own (data/demo unless DATA_DIR is set), so
 * fictional records never land in real data: a DATABASE_URL in the environment is ignored here.
 */
function serverEnvironment() {
  if (!process.argv.includes('--demo')) return process.env
  const { DATABASE_URL: _ignored, ...environment } = process.env
  return {
    ...environment,
    LOTSE_DEMO: '1',
    DATA_DIR: process.env.DATA_DIR?.trim() || path.join(repoRoot, 'data', 'demo'),
  }
}

// tsx as a loader inside the server's own process (rather than the tsx CLI, which is a second
// process) so relayed signals reach the server's graceful shutdown directly.
process.exit(await run(process.execPath, ['--import', 'tsx', 'server/main.ts'], serverEnvironment()))
