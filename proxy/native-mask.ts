import { createRequire } from 'node:module';
import type { NativeMask } from '../core/websocket/unmask.js';

/** How `loadNativeMask` loads a CommonJS module: `require` from this file's location by default. */
export type RequireModule = (id: string) => unknown;

/**
 * `bufferutil`'s native `mask` (the `ws` authors' masking, an optional dependency) when its
 * binary loads: about 20× the core's JavaScript loop on 1 MiB frames. Null when bufferutil is not
 * installed, or when no binary loads and it hands out its own fallback, a plain byte loop slower
 * than the core's. For `useNativeMask`, at startup.
 */
export function loadNativeMask(requireModule: RequireModule = createRequire(import.meta.url)): NativeMask | null {
  try {
    const native = requireModule('bufferutil') as { mask: NativeMask };
    const fallback = requireModule('bufferutil/fallback') as { mask: NativeMask };
    return native.mask === fallback.mask ? null : native.mask;
  } catch {
    return null;
  }
}
