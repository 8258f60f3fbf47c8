import type { IncomingMessage } from 'node:http'
import type { FastifyError, FastifyLoggerOptions, FastifyRequest } from 'fastify'

// Type aliases rather than interfaces: Fastify's serializer types demand an index signature.
export type LoggedRequest = {
  method: string
  route: string
}

export type LoggedError = {
  type: string
  message: string
  stack: string
  code?: string
  statusCode?: number
}

/**
 * Request logs of a service that handles personal data of newcomers must not leak it. The URL can
 * carry identifiers and query parameters, so only the route pattern (`/api/v1/mentees/:id`, never
 * the concrete id) is logged; headers, client addresses and bodies are never logged.
 */
export function serializeRequestForLog(request: IncomingMessage | FastifyRequest): LoggedRequest {
  const routePattern = 'routeOptions' in request ? request.routeOptions.url : undefined
  return {
    method: request.method ?? 'UNKNOWN',
    route: routePattern ?? '(no route)',
  }
}

export function serializeResponseForLog(reply: { statusCode: number }): { statusCode: number } {
  return { statusCode: reply.statusCode }
}

/**
 * Client errors are the client's problem and their messages may quote the request body (a JSON
 * syntax error quotes the offending text), so only their kind is logged. Server errors keep message
 * and stack because operators need them to fix the bug.
 */
export function serializeErrorForLog(error: FastifyError): LoggedError {
  const statusCode = typeof error.statusCode === 'number' ? error.statusCode : undefined
  const isClientError = statusCode !== undefined && statusCode >= 400 && statusCode < 500
  return {
    type: error.name,
    code: error.code,
    statusCode,
    message: isClientError ? '(client error, details not logged)' : error.message,
    stack: isClientError ? '' : (error.stack ?? ''),
  }
}

export const loggerOptions: FastifyLoggerOptions = {
  level: 'info',
  serializers: {
    req: serializeRequestForLog,
    res: serializeResponseForLog,
    err: serializeErrorForLog,
  },
}
