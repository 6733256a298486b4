/**
 * The kernel process of the "ehr-msn (TypeScript)" kernelspec: tslab, its sockets bound iopub first.
 * tslab binds its five zeromq sockets at once and serves the shell socket as soon as that one is bound;
 * a request that arrives before iopub's bind has finished makes it publish "busy" on a socket still
 * binding, zeromq throws EBUSY ("Socket is blocked by a bind or unbind operation"), and the kernel dies
 * before it starts (JupyterLab then waits in vain; seen once in CI on 2 busy cores). tslab 1.0.22.
 */
import { packageRoot } from "../util/paths";

/** What this needs of tslab's ZmqServer (tslab/dist/jupyter.js). */
export interface ZmqServerLike {
  iopub: unknown;
  bindSocket(sock: unknown, port: number): Promise<void>;
}

/**
 * Makes `server.bindSocket` bind any other socket only once iopub is bound. tslab's init calls it for
 * iopub first, then for the others, without waiting in between.
 */
export function bindIopubFirst(server: { prototype: ZmqServerLike }): void {
  const bindSocket = server.prototype.bindSocket;
  const iopubBound = new WeakMap<object, Promise<void>>();
  server.prototype.bindSocket = async function (this: ZmqServerLike, sock: unknown, port: number) {
    if (sock === this.iopub) {
      const bound = bindSocket.call(this, sock, port);
      iopubBound.set(this, bound);
      return bound;
    }
    await iopubBound.get(this);
    return bindSocket.call(this, sock, port);
  };
}

if (require.main === module) {
  const root = packageRoot();
  const tslab = (name: string) => require(require.resolve(`tslab/dist/${name}`, { paths: [root] }));
  bindIopubFirst((tslab("jupyter") as { ZmqServer: { prototype: ZmqServerLike } }).ZmqServer);
  (tslab("main") as { main: () => void }).main();
}
