import { Type } from 'typebox';
import { Attachment, AttachmentId, Room, Timestamp } from './common.js';

/** Attachments (issue 13 point 4): the upload token over `/chat`, the upload and download over HTTP. */

export const UploadTokenRequest = Type.Object({ room: Room });

export const UploadTokenResult = Type.Object({
  token: Type.String({
    description: 'Signed, names this user and the room, lives a few minutes: send it as `Authorization: Upload <token>`.',
  }),
  expiresAt: Timestamp,
  maxBytes: Type.Integer({ minimum: 1, description: 'MAX_UPLOAD_BYTES: the largest file the server takes.' }),
});

export const AttachmentParams = Type.Object({ room: Room, id: AttachmentId });

export const UploadQuery = Type.Object({
  name: Type.Optional(
    Type.String({
      maxLength: 1000,
      description: 'The file name; cleaned (no path, no control characters, at most 120 characters). Default `file`.',
    }),
  ),
});

export const UploadResult = Type.Object({ attachment: Attachment });

/** The bytes of an attachment (documented only: the route answers with the file itself). */
export const AttachmentBytes = Type.Unsafe<Uint8Array>({
  type: 'string',
  format: 'binary',
  description: "The file's bytes, with its `Content-Type`.",
});
