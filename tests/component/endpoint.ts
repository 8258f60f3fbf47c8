import { vi } from 'vitest'
import { saveSession, type StoredSession } from '@/db/sync-store'
import type { ConflictEntry, PullResponse, PushRequest, PushResponse, SessionResponse, User } from '@/shared/protocol'
import { formatStamp } from '@/shared/hlc'
import { useSyncStore } from '@/stores/sync'

/**
 * A stand-in for the municipal endpoint: global `fetch` is replaced by a function that answers
 * same-origin `/api/v1/...` requests from a table of handlers. Nothing reaches the network.
 */

export const SERVER_TIME = '2025-03-01T12:00:00.000Z'

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })
}

/** One request the app sent, as the endpoint would see it. */
export interface EndpointCall {
  method: string
  /** Path without the query, e.g. `/api/v1/session`. */
  path: string
  query: URLSearchParams
  headers: Record<string, string>
  body: unknown
}

export type EndpointHandler = (call: EndpointCall) => Response | Promise<Response>

/** Handlers by `"METHOD /path"`, e.g. `"POST /api/v1/session"`. */
export type EndpointRoutes = Partial<Record<string, EndpointHandler>>

/** Quiet defaults, so the sync that starts after sign-in finds nothing to do. */
const DEFAULT_ROUTES: EndpointRoutes = {
  'POST /api/v1/sync/push': ({ body }) => {
    const { mutations } = body as PushRequest
    const response: PushResponse = {
      ackSeq: Math.max(0, ...mutations.map((m) => m.seq)),
      results: mutations.map((m) => ({ seq: m.seq, status: 'applied' })),
      serverTime: SERVER_TIME,
    }
    return jsonResponse(200, response)
  },
  'GET /api/v1/sync/pull': () => jsonResponse(200, { changes: [], cursor: 'cursor-1', through: 0, hasMore: false, serverTime: SERVER_TIME } satisfies PullResponse),
  'GET /api/v1/conflicts': () => jsonResponse(200, { conflicts: [], serverTime: SERVER_TIME }),
  'DELETE /api/v1/session': () => new Response(null, { status: 204 }),
}

function headersOf(init: RequestInit | undefined): Record<string, string> {
  const entries = new Headers(init?.headers).entries()
  return Object.fromEntries([...entries].map(([name, value]) => [name.toLowerCase(), value]))
}

/** Replaces global `fetch`; unknown requests answer 404. Returns the recorded calls. */
export function stubEndpoint(routes: EndpointRoutes = {}) {
  const calls: EndpointCall[] = []
  const handlers: EndpointRoutes = { ...DEFAULT_ROUTES, ...routes }
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input), 'http://localhost')
    const method = (init?.method ?? 'GET').toUpperCase()
    const body: unknown = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined
    const call: EndpointCall = { method, path: url.pathname, query: url.searchParams, headers: headersOf(init), body }
    calls.push(call)
    const handler = handlers[`${method} ${url.pathname}`]
    return handler ? handler(call) : jsonResponse(404, { error: 'not_found' })
  })
  vi.stubGlobal('fetch', fetchMock)
  return {
    fetch: fetchMock,
    calls,
    /** The calls to `"METHOD /path"`. */
    callsTo: (route: string) => calls.filter((call) => `${call.method} ${call.path}` === route),
  }
}

/** A `fetch` that never reaches anything, as when the device is offline. */
export function stubOffline() {
  const fetchMock = vi.fn(() => Promise.reject(new TypeError('Failed to fetch')))
  vi.stubGlobal('fetch', fetchMock)
  return fetchMock
}

export function testUser(overrides: Partial<User> = {}): User {
  return { id: 'user-testperson', username: 'testperson', displayName: 'Testperson Beispiel', role: 'coach', teamId: 'team-beispiel', ...overrides }
}

export const OTHER_USER = testUser({ id: 'user-beispiel', username: 'beispiel', displayName: 'Erika Beispiel' })

export function sessionResponse(user: User, token = `token-${user.id}`): SessionResponse {
  return { token, deviceId: `device-${user.id}`, user, serverTime: SERVER_TIME }
}

/** A session as a previous sign-in left it on the device, read by the store as at app start. */
export async function restoreSignedIn(user: User = testUser()): Promise<StoredSession> {
  const session: StoredSession = { token: `stored-token-${user.id}`, deviceId: `stored-device-${user.id}`, user }
  await saveSession(session)
  await useSyncStore().restore()
  return session
}

let conflictCounter = 0

export function testConflict(overrides: Partial<ConflictEntry> & Pick<ConflictEntry, 'recordId' | 'lostBy'>): ConflictEntry {
  conflictCounter += 1
  return {
    id: `conflict-${conflictCounter}`,
    table: 'mentees',
    field: 'phone',
    value: '+49 000 111',
    hlc: formatStamp({ millis: Date.UTC(2025, 2, 1, 10), counter: conflictCounter, node: 'device-test' }),
    wonBy: null,
    at: '2025-03-01T10:30:00.000Z',
    ...overrides,
  }
}
