import type {
  ConflictsResponse,
  ErasureResponse,
  ErrorCode,
  MenteeExport,
  PullResponse,
  PushRequest,
  PushResponse,
  ReportResponse,
  SessionRequest,
  SessionResponse,
} from '@/shared/protocol'
import { REQUEST_TIMEOUT_MS } from '@/shared/retry'

/** The endpoint answered with an error status. */
export class EndpointError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | undefined,
    /** Seconds from a `Retry-After` header, when the endpoint sent one. */
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(`endpoint answered ${status}${code ? ` ${code}` : ''}`)
    this.name = 'EndpointError'
  }
}

/** No answer: offline, DNS, a dropped connection or a timeout. */
export class NetworkError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('no answer from the endpoint', options)
    this.name = 'NetworkError'
  }
}


function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds)
  const date = Date.parse(value)
  return Number.isFinite(date) ? Math.max(0, (date - Date.now()) / 1000) : undefined
}

export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>

/** The HTTP side of the sync protocol; the endpoint is the origin that served the app. */
export class SyncClient {
  constructor(
    private token: string | undefined = undefined,
    private readonly baseUrl = '',
    /** The transport; tests and the sync simulation put a faulty network here. */
    private readonly transport?: FetchFunction,
  ) {}

  useToken(token: string | undefined): void {
    this.token = token
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (this.token) headers.authorization = `Bearer ${this.token}`
    let response: Response
    try {
      // Looked up per call, so a fetch replaced after start-up (tests) is the one used.
      const send = this.transport ?? fetch
      response = await send(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      })
    } catch (error) {
      throw new NetworkError({ cause: error })
    }
    if (!response.ok) {
      const payload = (await response.json().catch(() => undefined)) as { error?: ErrorCode } | undefined
      throw new EndpointError(response.status, payload?.error, parseRetryAfter(response.headers.get('retry-after')))
    }
    if (response.status === 204) return undefined as T
    try {
      return (await response.json()) as T
    } catch (error) {
      // A captive portal or a proxy answered instead of the endpoint.
      throw new NetworkError({ cause: error })
    }
  }

  signIn(request: SessionRequest): Promise<SessionResponse> {
    return this.request('POST', '/api/v1/session', request)
  }

  signOut(): Promise<void> {
    return this.request('DELETE', '/api/v1/session')
  }

  push(request: PushRequest): Promise<PushResponse> {
    return this.request('POST', '/api/v1/sync/push', request)
  }

  pull(cursor: string | undefined, limit: number): Promise<PullResponse> {
    const query = new URLSearchParams({ limit: String(limit) })
    if (cursor) query.set('cursor', cursor)
    return this.request('GET', `/api/v1/sync/pull?${query.toString()}`)
  }

  /** Erases the mentee and everything bound to it on the endpoint (GDPR Art. 17). */
  eraseMentee(menteeId: string): Promise<ErasureResponse> {
    return this.request('POST', `/api/v1/mentees/${encodeURIComponent(menteeId)}/erasure`)
  }

  /** Everything the endpoint stores about the mentee that this user may see (GDPR Art. 15). */
  exportMentee(menteeId: string): Promise<MenteeExport> {
    return this.request('GET', `/api/v1/mentees/${encodeURIComponent(menteeId)}/export`)
  }

  /** The figures for funders over the whole municipality (coordinators only), suppressed. */
  report(period: { from: string; to: string }, teamId?: string): Promise<ReportResponse> {
    const query = new URLSearchParams({ from: period.from, to: period.to })
    if (teamId) query.set('teamId', teamId)
    return this.request('GET', `/api/v1/reports?${query.toString()}`)
  }

  conflicts(filter: { table?: string; id?: string } = {}): Promise<ConflictsResponse> {
    const query = new URLSearchParams(Object.entries(filter).filter((entry): entry is [string, string] => Boolean(entry[1])))
    const suffix = query.size > 0 ? `?${query.toString()}` : ''
    return this.request('GET', `/api/v1/conflicts${suffix}`)
  }
}
