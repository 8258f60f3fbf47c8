import type { FastifyPluginAsync } from 'fastify'

export interface HealthRoutesOptions {
  version: string
  /** The server's clock (epoch ms); `Date.now` unless a test moves time. */
  now?: () => number
}

export interface HealthResponse {
  status: 'ok'
  version: string
  serverTime: string
}

/**
 * Registered under `/api/v1`. Clients compare `serverTime` with their own clock before syncing,
 * and operators' monitoring checks `status` and `version` after a deployment.
 */
const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, options) => {
  app.get<{ Reply: HealthResponse }>(
    '/health',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            required: ['status', 'version', 'serverTime'],
            properties: {
              status: { type: 'string', const: 'ok' },
              version: { type: 'string' },
              serverTime: { type: 'string' },
            },
            additionalProperties: false,
          },
        },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store')
      return { status: 'ok', version: options.version, serverTime: new Date((options.now ?? Date.now)()).toISOString() }
    },
  )
}

export default healthRoutes
