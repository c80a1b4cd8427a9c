import { createClient } from './http.js';
import { session } from './session.js';

/** The console's client, acting as whoever is signed in. */
export const api = createClient(session);
