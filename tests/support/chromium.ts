import { chromium, type Browser } from 'playwright-core'

/** Debian's Chromium package: tests and benchmarks never download a browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium'

// No background networking: traffic from tests and benchmarks goes to localhost only.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })
}
