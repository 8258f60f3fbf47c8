import type { FastifyPluginAsync } from 'fastify'
import type { Database } from '../db/database'
import type { SlidingWindowLimiter } from '../sync/rate-limit'
import { addAuthHook } from './auth'
import conflictRoutes from './conflicts'
import privacyRoutes from './privacy'
import reportRoutes from './reports'
import sessionRoutes from './session'
import syncRoutes from './sync'

export interface SyncApiOptions {
  db: Database
  now: () => number
  limiter?: SlidingWindowLimiter
}

/**
 * The routes that need the database, registered under `/api/v1` in one encapsulated plugin, so its
 * auth hook covers exactly these (health and the API description are registered beside it).
 */
const syncApi: FastifyPluginAsync<SyncApiOptions> = async (app, options) => {
  addAuthHook(app, options)
  const routeOptions = { db: options.db, now: options.now }
  await app.register(sessionRoutes, routeOptions)
  await app.register(syncRoutes, routeOptions)
  await app.register(conflictRoutes, routeOptions)
  await app.register(privacyRoutes, routeOptions)
  await app.register(reportRoutes, routeOptions)
}

export default syncApi
