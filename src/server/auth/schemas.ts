/**
 * The shapes the sign-in and admin routes take and answer (see ../routes/schemas.ts for the
 * pattern). Only types and presence: the username and password rules, a token name's length and
 * an expiry's range stay in the handlers with their own codes.
 */
import type { FastifySchema } from 'fastify';
import { describedString, fields, json, OBJECT, OBJECTS, optionalFields, pathParams, STRING } from '../api-schemas.ts';

/** The bodies are the clients' too: written once in the API contract (src/api/types.ts). */
export type { CreateTokenBody, CreateUserBody, LoginBody, LogoutBody, PasswordBody } from '../../api/index.ts';
export type NextQuery = { next?: string };
export type LoginPageQuery = { next?: string; token?: string };
export interface TokenIdParams {
  id: string;
}
export interface UsernameParams {
  username: string;
}

const NEXT = describedString('the path to go to after signing in (only paths on this server)');
const LOGIN_FIELDS = optionalFields({
  token: describedString('an admin API token or a login link token'),
  username: STRING,
  password: STRING,
  next: NEXT,
});
const PAGE = { description: 'the sign-in page', content: { 'text/html': { schema: STRING } } };
const REDIRECT = { description: 'a redirect to `next` (or to the sign-in page)' };
const PRINCIPAL = fields({ kind: STRING, name: STRING, username: { type: ['string', 'null'] }, scope: STRING });
const NULLABLE_STRING = { type: ['string', 'null'] };
/** A new token as POST answers it: its record (admin-routes.ts tokenView) and, this once, its secret. */
const CREATED_TOKEN = fields({
  id: { type: 'integer' },
  name: STRING,
  kind: STRING,
  scope: STRING,
  username: NULLABLE_STRING,
  createdAt: STRING,
  lastUsedAt: NULLABLE_STRING,
  expiresAt: NULLABLE_STRING,
  token: describedString('the secret: shown only in this answer'),
});

export const signinMoved: FastifySchema = {
  summary: 'the old sign-in address: redirects to /login',
  tags: ['auth'],
  querystring: optionalFields({ next: NEXT }),
  documentedResponses: { 302: REDIRECT },
};

export const loginPage: FastifySchema = {
  summary: 'the sign-in page; ?token=… (a login link) signs in and redirects to `next`',
  tags: ['auth'],
  querystring: optionalFields({ next: NEXT, token: describedString('a login link token') }),
  documentedResponses: { 200: PAGE, 303: REDIRECT },
};

export const loginForm: FastifySchema = {
  summary: "the sign-in page's form post: redirects to `next`, or shows the page again with the reason",
  tags: ['auth'],
  querystring: optionalFields({ next: NEXT }),
  body: LOGIN_FIELDS,
  documentedResponses: { 303: REDIRECT, 401: PAGE },
};

export const login: FastifySchema = {
  summary: 'sign in with a token, or a username and password: sets the session cookie',
  tags: ['auth'],
  body: LOGIN_FIELDS,
  documentedResponses: { 200: json('who signed in, and the CSRF token for X-Berth-CSRF', fields({ user: PRINCIPAL, csrfToken: STRING })), 303: REDIRECT },
};

export const logout: FastifySchema = {
  summary: 'sign out (a browser session needs its CSRF token: the X-Berth-CSRF header or a `csrf` form field)',
  tags: ['auth'],
  body: optionalFields({ csrf: describedString("the session's CSRF token") }),
  documentedResponses: { 200: json('signed out', fields({ ok: { type: 'boolean' } })), 303: REDIRECT },
};

export const me: FastifySchema = {
  summary: 'who is signed in',
  tags: ['auth'],
  documentedResponses: {
    200: json('the principal, the CSRF token of a browser session, and whether login is on', fields({ user: PRINCIPAL, csrfToken: { type: ['string', 'null'] }, authEnabled: { type: 'boolean' } })),
  },
};

export const createToken: FastifySchema = {
  summary: 'create an admin API token (shown once)',
  tags: ['auth'],
  body: {
    type: 'object',
    required: ['name'],
    properties: {
      name: describedString('where the token is used, 1-100 characters'),
      expiresInDays: { type: 'number', description: 'days until it expires (default: never)' },
    },
  },
  documentedResponses: { 201: json('the token and its record', CREATED_TOKEN) },
};

export const createLoginLink: FastifySchema = {
  summary: 'a fresh one-day admin sign-in link token',
  tags: ['auth'],
  documentedResponses: { 201: json('the token and its record', CREATED_TOKEN) },
};

export const listTokens: FastifySchema = {
  summary: 'the API, CLI and login link tokens (never their secrets)',
  tags: ['auth'],
  documentedResponses: { 200: json('the tokens', fields({ tokens: OBJECTS })) },
};

export const revokeToken: FastifySchema = {
  summary: 'revoke an API token',
  tags: ['auth'],
  params: pathParams('id'),
  documentedResponses: { 200: json('the revoked token', fields({ removed: OBJECT })) },
};

export const listUsers: FastifySchema = {
  summary: 'the users who can sign in with a password',
  tags: ['users'],
  documentedResponses: { 200: json('the users', fields({ users: OBJECTS })) },
};

export const createUser: FastifySchema = {
  summary: 'add a user',
  tags: ['users'],
  body: fields({ username: describedString('1-64 letters, digits, ".", "_" or "-"'), password: describedString('at least 12 characters') }),
  documentedResponses: { 201: json('the user', fields({ user: OBJECT })) },
};

export const deleteUser: FastifySchema = {
  summary: 'remove a user',
  tags: ['users'],
  params: pathParams('username'),
  documentedResponses: { 200: json('the removed user', fields({ removed: OBJECT })) },
};

export const changePassword: FastifySchema = {
  summary: "set a user's password; their other browsers are signed out",
  tags: ['users'],
  params: pathParams('username'),
  body: fields({ password: describedString('at least 12 characters') }),
  documentedResponses: { 200: json('the user', fields({ user: OBJECT })) },
};
