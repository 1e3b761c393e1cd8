import { Type } from 'typebox';

/** `GET /api/demo/staff-token` (DEMO=1 only): a short-lived staff token of the `support` inbox. */
export const DemoStaffToken = Type.Object({
  token: Type.String({ description: 'A JWT (HS256) with `inboxes: ["support"]`, for the `/inbox` page.' }),
  expiresAt: Type.Integer({ minimum: 0, description: 'When the token expires, ms since the epoch.' }),
});
