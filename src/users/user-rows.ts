/*
 * The user tables' SQL lives in users.repository.ts. This module only keeps the name that
 * sign-in (src/sessions/auth.service.ts) imports `readUser` by, until that moves to a
 * repository method of its own.
 */
export { readUser } from './users.repository.js';
