/**
 * A local stand-in for Slack's Socket Mode: a WebSocket server the fake Slack's
 * `apps.connections.open` points the bot at. It greets each connection with the `hello` of the
 * fixture corpus, sends envelopes (slash commands, interactivity, events; see
 * socket-mode-fixtures.ts) each under a fresh `envelope_id`, resolves with the app's
 * acknowledgement of that id, and can ask the app to reconnect with the fixture's `disconnect`.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { readSocketFixture, type SocketEnvelope } from './socket-mode-fixtures.ts';

/** What the app sent back for one envelope. */
export interface Ack {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

export interface SocketModeServer {
  /** `ws://127.0.0.1:<port>/link?ticket=<n>`: a fresh ticket per `apps.connections.open`. */
  nextUrl(): string;
  /** How many connections the app opened so far. */
  connections(): number;
  /** Resolves once `count` connections are open (the app has reconnected). */
  waitForConnections(count: number, timeoutMs: number): Promise<void>;
  /** Sends one envelope (under a fresh envelope_id) on the newest connection; resolves with its ack. */
  send(envelope: SocketEnvelope, timeoutMs: number): Promise<Ack>;
  /** Asks the app to reconnect, the way Slack does before it rotates a connection. */
  disconnect(reason?: string): void;
  close(): Promise<void>;
}

export async function startSocketModeServer(): Promise<SocketModeServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const hello = readSocketFixture<{ connection_info: { app_id: string } }>('hello');
  const appId = hello.connection_info.app_id;
  const sockets: WebSocket[] = [];
  const acks = new Map<string, (ack: Ack) => void>();
  let tickets = 0;
  let onConnection: (() => void) | undefined;
  const pinger = setInterval(() => {
    for (const s of sockets) if (s.readyState === s.OPEN) s.ping();
  }, 5_000);

  server.on('connection', (socket) => {
    sockets.push(socket);
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as Ack;
      acks.get(message.envelope_id)?.(message);
      acks.delete(message.envelope_id);
    });
    socket.on('error', () => {});
    socket.send(JSON.stringify(hello));
    onConnection?.();
  });

  const newest = () => {
    const open = sockets.filter((s) => s.readyState === s.OPEN);
    const socket = open.at(-1);
    if (!socket) throw new Error('socket mode stand-in: no open connection');
    return socket;
  };

  return {
    nextUrl: () => {
      tickets += 1;
      return `ws://127.0.0.1:${port}/link/?ticket=${tickets}&app_id=${appId}`;
    },
    connections: () => sockets.length,
    waitForConnections(count, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (sockets.filter((s) => s.readyState === s.OPEN).length > 0 && sockets.length >= count) {
            clearTimeout(timer);
            onConnection = undefined;
            resolve();
          }
        };
        const timer = setTimeout(() => {
          onConnection = undefined;
          reject(new Error(`socket mode stand-in: ${sockets.length} of ${count} connections`));
        }, timeoutMs);
        onConnection = check;
        check();
      });
    },
    send(envelope, timeoutMs) {
      const envelopeId = randomUUID();
      const { type } = envelope;
      const socket = newest();
      return new Promise<Ack>((resolve, reject) => {
        const timer = setTimeout(() => {
          acks.delete(envelopeId);
          reject(new Error(`socket mode stand-in: no ack of ${type} envelope ${envelopeId}`));
        }, timeoutMs);
        acks.set(envelopeId, (ack) => {
          clearTimeout(timer);
          resolve(ack);
        });
        socket.send(JSON.stringify({ ...envelope, envelope_id: envelopeId }));
      });
    },
    disconnect(reason) {
      const message = readSocketFixture<{ reason: string }>('disconnect');
      newest().send(JSON.stringify({ ...message, ...(reason ? { reason } : {}) }));
    },
    close: async () => {
      clearInterval(pinger);
      for (const s of sockets) s.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
