/** `app.db`: the database every route plugin reaches through the Fastify instance. */
import type { Database } from './database'

declare module 'fastify' {
  interface FastifyInstance {
    db: Database
  }
}
