/**
 * buffers: the BufferPool, fixed-size slices of one pre-allocated region.
 * Owns: slab allocation and reuse. Does not: know about sockets, HTTP or sessions.
 */
export { BufferPool } from './buffer-pool.ts';
