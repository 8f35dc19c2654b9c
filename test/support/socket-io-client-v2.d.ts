// socket.io-client 2 (installed as socket.io-client-v2, the Engine.IO v3 client) ships no types: what the tests use of it.

declare module 'socket.io-client-v2' {
  interface SocketV2 {
    on(event: string, listener: (...args: any[]) => void): SocketV2;
    emit(event: string, ...args: unknown[]): SocketV2;
    close(): SocketV2;
  }
  /** Connects to `url` (its path names the namespace), as `io()` of socket.io-client 2. */
  export default function io(url: string, options?: { transports?: string[] }): SocketV2;
}
