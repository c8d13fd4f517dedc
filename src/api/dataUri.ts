/** Decoding of `data:` URIs (RFC 2397), the protocol's way of carrying attachments. */
export interface DecodedDataUri {
  type: string;
  bytes: Buffer;
}

const base64Body = /^[A-Za-z0-9+/\-_]*={0,2}$/;

/** Returns the decoded bytes and media type, or a reason the URI is not a valid data: URI. */
export function decodeDataUri(uri: string): DecodedDataUri | { error: string } {
  if (!/^data:/i.test(uri)) return { error: 'must be a data: URI (data:<type>;base64,<data>)' };
  const comma = uri.indexOf(',');
  if (comma < 0) return { error: 'is a data: URI without the "," that starts its data' };
  const params = uri
    .slice(5, comma)
    .split(';')
    .map((p) => p.trim());
  const isBase64 = params.length > 1 && params[params.length - 1]!.toLowerCase() === 'base64';
  const mediaParams = isBase64 ? params.slice(0, -1) : params;
  const type =
    mediaParams[0] && /^[\w.+-]+\/[\w.+-]+$/.test(mediaParams[0]) ? mediaParams.join(';') : 'text/plain';
  const body = uri.slice(comma + 1);
  if (isBase64) {
    const compact = body.replace(/\s+/g, '');
    if (!base64Body.test(compact) || compact.replace(/=+$/, '').length % 4 === 1) {
      return { error: 'has invalid base64 data' };
    }
    return {
      type,
      bytes: Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64'),
    };
  }
  try {
    return { type, bytes: Buffer.from(decodeURIComponent(body), 'utf8') };
  } catch {
    return { error: 'has invalid percent-encoding in its data' };
  }
}
