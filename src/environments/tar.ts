/**
 * A minimal POSIX tar writer (ustar headers, PAX extended headers for long paths) for build
 * contexts held in memory: regular files, directories and symlinks are all a build context needs.
 */

export type TarEntry =
  | { type: 'file'; path: string; content: Buffer; mode?: number; mtime?: number }
  | { type: 'directory'; path: string; mode?: number; mtime?: number }
  | { type: 'symlink'; path: string; target: string; mtime?: number };

const BLOCK = 512;

export function createTar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const path = entry.type === 'directory' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
    const linkTarget = entry.type === 'symlink' ? entry.target : '';
    const content = entry.type === 'file' ? entry.content : Buffer.alloc(0);
    const pax: Record<string, string> = {};
    const split = splitPath(path);
    if (!split) pax.path = path;
    if (Buffer.byteLength(linkTarget) > 100) pax.linkpath = linkTarget;
    if (Object.keys(pax).length) {
      const body = paxBody(pax);
      parts.push(header({ name: 'PaxHeader', prefix: '', size: body.length, mode: 0o644, mtime: 0, type: 'x', link: '' }), pad(body));
    }
    parts.push(
      header({
        name: split?.name ?? path.slice(-100),
        prefix: split?.prefix ?? '',
        size: content.length,
        mode: entry.type === 'symlink' ? 0o777 : (entry.mode ?? (entry.type === 'directory' ? 0o755 : 0o644)),
        mtime: entry.mtime ?? 0,
        type: entry.type === 'file' ? '0' : entry.type === 'directory' ? '5' : '2',
        link: linkTarget.slice(0, 100),
      }),
    );
    if (content.length) parts.push(pad(content));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

/** ustar keeps paths up to 100 bytes in `name`, or 155 + 100 split at a slash. */
function splitPath(path: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name.length > 0) return { name, prefix };
  }
  return undefined;
}

/** PAX records are `<length> <key>=<value>\n` where length counts the whole record, itself included. */
function paxBody(records: Record<string, string>): Buffer {
  let text = '';
  for (const [key, value] of Object.entries(records)) {
    const rest = ` ${key}=${value}\n`;
    let length = Buffer.byteLength(rest) + 1;
    while (String(length).length + Buffer.byteLength(rest) !== length) length = String(length).length + Buffer.byteLength(rest);
    text += `${length}${rest}`;
  }
  return Buffer.from(text);
}

interface Header {
  name: string;
  prefix: string;
  size: number;
  mode: number;
  mtime: number;
  type: string;
  link: string;
}

function header(h: Header): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(h.name, 0, 100);
  octal(block, 100, 8, h.mode & 0o7777);
  octal(block, 108, 8, 0); // uid
  octal(block, 116, 8, 0); // gid
  octal(block, 124, 12, h.size);
  octal(block, 136, 12, Math.floor(h.mtime));
  block.fill(' ', 148, 156); // checksum is computed with spaces in its own field
  block.write(h.type, 156, 1);
  block.write(h.link, 157, 100);
  block.write('ustar\u0000', 257, 6);
  block.write('00', 263, 2);
  block.write(h.prefix, 345, 155);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8);
  return block;
}

function octal(block: Buffer, offset: number, width: number, value: number): void {
  block.write(`${value.toString(8).padStart(width - 1, '0')}\u0000`, offset, width);
}

function pad(content: Buffer): Buffer {
  const rest = content.length % BLOCK;
  return rest === 0 ? content : Buffer.concat([content, Buffer.alloc(BLOCK - rest)]);
}
