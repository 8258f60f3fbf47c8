/** The sync API from Node, as other devices would call it (127.0.0.1 only). */
import type { PushResponse, SessionResponse } from '../../src/shared/protocol'

export interface NodeDevice {
  token: string
  deviceId: string
  userId: string
}

export async function signInFromNode(baseUrl: string, username: string, password: string, deviceName: string): Promise<NodeDevice> {
  const response = await fetch(new URL('api/v1/session', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, deviceName }),
  })
  if (response.status !== 201) throw new Error(`sign-in of ${username} answered ${response.status}: ${await response.text()}`)
  const session = (await response.json()) as SessionResponse
  return { token: session.token, deviceId: session.deviceId, userId: session.user.id }
}

/** POST /api/v1/sync/push with a body already serialised (so the load generator stays cheap). */
export async function pushFromNode(baseUrl: string, token: string, body: string): Promise<PushResponse> {
  const response = await fetch(new URL('api/v1/sync/push', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  })
  if (!response.ok) throw new Error(`push answered ${response.status}: ${await response.text()}`)
  return (await response.json()) as PushResponse
}
