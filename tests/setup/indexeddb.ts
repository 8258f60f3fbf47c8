import 'fake-indexeddb/auto'
import { newDataKey, useKeyForEveryDatabase } from '@/db/sealing'

// Every test database seals its rows, as the app's does once unlocked; tests of the lock itself
// take this key away (useKeyForEveryDatabase(undefined)).
useKeyForEveryDatabase(await newDataKey(false))
