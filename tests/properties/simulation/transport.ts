/**
 * The network between the simulated devices and the endpoint: a fetch-like function per device
 * (`SyncClient`'s `transport`) that calls the Fastify app in-process (`app.inject`) and injects the
 * fault the schedule chose for each request. No socket is opened.
 *
 * Every request that reaches the app, whatever the client ends up seeing, passes through
 * `deliver`, which hands pushes to the ledger: the properties are judged by what the server did,
 * not by what a device was told.
 */
import type { LightMyRequestResponse as InjectResponse } from 'fastify'
import type { FetchFunction } from '@/sync/client'
import type { Edit, Fault, NetworkFaultKind } from './model'
import type { Ledger } from './properties'
import type { Stats } from './report'
import type { SimServer } from './server'

/** A request as it travels: enough to deliver it again later (held, duplicated, replayed). */
export interface SimRequest {
  method: string
  url: string
  headers: Record<string, string>
  body: string | undefined
}

/** What the transport needs of a device. */
export interface NetworkPeer {
  readonly index: number
  offline: boolean
  /** Faults for the requests of the current sync step, consumed in order; then every request is fine. */
  faults: Fault[]
  /** Called for a `crash` fault: the device dies (its database closes) before it sees the answer. */
  crashNow(): void
  /**
   * Answers the network made up or mangled (a proxy's 5xx, a body cut off: an error answer then
   * loses its code), so the runner can tell the failures they cause from the endpoint's own.
   */
  mangledAnswers: number
  /** A local edit through the app's repositories, as the user makes it (false: nothing to edit). */
  edit(edit: Edit): Promise<boolean>
}

/** The client's own timeout (src/sync/client.ts): a later answer is never seen. */
const CLIENT_TIMEOUT_MS = 30_000
const PUSH_URL = '/api/v1/sync/push'

class NetworkDown extends TypeError {
  constructor(why: string) {
    // What fetch throws when the connection fails: the client turns any throw into a NetworkError.
    super(`fetch failed (simulated: ${why})`)
  }
}

function toResponse(answer: InjectResponse, cutBody = false): Response {
  const headers = new Headers()
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value === undefined || name === 'content-length') continue
    headers.set(name, Array.isArray(value) ? value.join(', ') : String(value))
  }
  const hasBody = answer.statusCode !== 204 && answer.statusCode !== 304
  const body = hasBody ? (cutBody ? answer.body.slice(0, Math.floor(answer.body.length / 2)) : answer.body) : null
  return new Response(body, { status: answer.statusCode, headers })
}

function errorResponse(status: number): Response {
  // What a reverse proxy in front of the endpoint sends: not the endpoint's JSON error shape.
  return new Response('<html><body>Service unavailable</body></html>', { status, headers: { 'content-type': 'text/html' } })
}

function headersOf(init: RequestInit): Record<string, string> {
  const headers: Record<string, string> = {}
  new Headers(init.headers).forEach((value, name) => {
    headers[name] = value
  })
  return headers
}

export class Network {
  /** Requests the network holds back (`reorder`), delivered by `deliverHeld` or when faults stop. */
  readonly held: { device: number; request: SimRequest }[] = []

  constructor(
    private readonly server: SimServer,
    private readonly ledger: Ledger,
    private readonly stats: Stats,
  ) {}

  transportFor(peer: NetworkPeer): FetchFunction {
    return (input, init) => this.send(peer, input, init)
  }

  private count(kind: NetworkFaultKind): void {
    this.stats.faults[kind] += 1
  }

  private async send(peer: NetworkPeer, input: string, init: RequestInit): Promise<Response> {
    const request: SimRequest = {
      method: init.method ?? 'GET',
      url: input,
      headers: headersOf(init),
      body: typeof init.body === 'string' ? init.body : undefined,
    }
    if (peer.offline) {
      this.stats.offlineRequests += 1
      throw new NetworkDown('device offline')
    }
    let fault = peer.faults.shift() ?? { kind: 'ok' }
    if (fault.kind === 'editDuringSync') {
      // The request is on its way (a push's batch is read); the user's edit lands meanwhile.
      if (await peer.edit(fault.edit)) this.count(fault.kind)
      fault = { kind: 'ok' }
    }
    const isPull = request.url.startsWith('/api/v1/sync/pull')
    switch (fault.kind) {
      case 'ok':
        return toResponse(await this.deliver(peer.index, request))
      case 'requestLost':
        this.count(fault.kind)
        throw new NetworkDown('request lost')
      case 'responseLost':
        this.count(fault.kind)
        await this.deliver(peer.index, request)
        throw new NetworkDown('response lost after the server answered')
      case 'duplicate': {
        this.count(fault.kind)
        const first = await this.deliver(peer.index, request)
        const second = await this.deliver(peer.index, request)
        return toResponse(fault.answer === 'first' ? first : second)
      }
      case 'reorder':
        this.count(fault.kind)
        this.held.push({ device: peer.index, request })
        throw new NetworkDown('request held in the network; client timed out')
      case 'delay': {
        this.count(fault.kind)
        this.server.now += fault.ms
        const answer = await this.deliver(peer.index, request)
        if (fault.ms >= CLIENT_TIMEOUT_MS) throw new NetworkDown('answer came after the client timed out')
        return toResponse(answer)
      }
      case 'serverError':
        this.count(fault.kind)
        peer.mangledAnswers += 1
        return errorResponse(fault.status)
      case 'gatewayTimeout':
        this.count(fault.kind)
        await this.deliver(peer.index, request)
        peer.mangledAnswers += 1
        return errorResponse(504)
      case 'truncatedBody':
        this.count(fault.kind)
        peer.mangledAnswers += 1
        return toResponse(await this.deliver(peer.index, request), true)
      case 'shortPage': {
        if (!isPull) return toResponse(await this.deliver(peer.index, request))
        this.count(fault.kind)
        const url = new URL(request.url, 'http://sim.invalid')
        url.searchParams.set('limit', String(fault.limit))
        return toResponse(await this.deliver(peer.index, { ...request, url: `${url.pathname}${url.search}` }))
      }
      case 'crash':
        this.count(fault.kind)
        await this.deliver(peer.index, request)
        peer.crashNow()
        throw new NetworkDown('device crashed before handling the answer')
    }
  }

  /** Runs one request on the app at the server's current time; pushes go through the ledger. */
  async deliver(device: number, request: SimRequest): Promise<InjectResponse> {
    const isPush = request.method === 'POST' && request.url === PUSH_URL
    const before = isPush && request.body !== undefined ? await this.ledger.beforePush(request.body) : undefined
    const answer = await this.server.app.inject({
      method: request.method as 'GET' | 'POST' | 'DELETE',
      url: request.url,
      headers: request.headers,
      ...(request.body !== undefined ? { payload: request.body } : {}),
    })
    if (answer.statusCode >= 500) {
      this.ledger.violation('a', `the endpoint answered ${answer.statusCode} to ${request.method} ${request.url}: ${answer.body.slice(0, 300)}`)
    }
    if (isPush) {
      this.stats.pushesDelivered += 1
      await this.ledger.afterPush(device, request, answer, before!, this.server.now)
      // Every tombstone as soon as it exists (a mentee's deletion makes its children's too): a
      // later write that brought one back to life would otherwise leave no trace for (c).
      await this.ledger.noteTombstones()
    } else if (request.url.startsWith('/api/v1/sync/pull')) {
      this.stats.pullsDelivered += 1
      if (answer.statusCode === 409) this.stats.faults.resetRequired += 1
    }
    return answer
  }

  /** The network finally delivers one held request; nobody is waiting for the answer. */
  async deliverHeld(pick: number): Promise<boolean> {
    if (this.held.length === 0) return false
    const [entry] = this.held.splice(pick % this.held.length, 1)
    await this.deliver(entry!.device, entry!.request)
    this.stats.heldDelivered += 1
    return true
  }

  async deliverAllHeld(): Promise<void> {
    while (this.held.length > 0) await this.deliverHeld(0)
  }
}
